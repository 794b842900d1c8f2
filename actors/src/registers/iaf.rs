//! IAF CertSearch's Verification Users API: a company is found once by name, country and
//! identifiers (`POST {base}/company`, a credit when it matches), then looked up again by
//! its `ce_id` (`GET {base}/company/{ce_id,…}`, up to 100 a request, free). Responses are
//! `{"data": …}`; errors are problem details with a `code` (`insufficient_credit`).

use certwatch_domain::verification::{RegisterEntry, RegisterStatus, entry_for, iaf_status};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use std::collections::HashMap;

use super::{Answer, RegisterError, Round, StatusProvider, Streak, Subject, client, read, url};

/// The most ids one lookup by id may carry (the API's limit).
pub const IDS_PER_REQUEST: usize = 100;
/// How close a name must be for IAF to call it a match (80–100).
const MATCH_RATE: u32 = 90;

pub struct Iaf {
    base: reqwest::Url,
    http: reqwest::Client,
}

/// A certified entity with its certificates, as IAF holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub ce_id: String,
    pub name: String,
    pub certificates: Vec<RegisterEntry>,
    /// The entity as IAF sent it: the evidence of what it said about its certificates.
    pub raw: String,
}

#[derive(Deserialize)]
struct RawEntity {
    ce_id: String,
    #[serde(default)]
    matched_certified_entity_name: Option<String>,
    #[serde(default)]
    certified_entity_name: Option<String>,
    #[serde(default)]
    certificates: Vec<RawCertificate>,
}

#[derive(Deserialize)]
struct RawCertificate {
    #[serde(default)]
    certification_number: String,
    #[serde(default)]
    certification_status: String,
    #[serde(default)]
    certification_bodies_name: Option<String>,
    /// Only in the responses "with certification issuance dates".
    #[serde(default)]
    certification_expiry_date: Option<String>,
}

#[derive(Deserialize)]
struct Problem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    detail: String,
}

impl Entity {
    fn read(raw: RawEntity, sent: String) -> Entity {
        Entity {
            raw: sent,
            name: raw
                .matched_certified_entity_name
                .or(raw.certified_entity_name)
                .unwrap_or_default(),
            certificates: raw
                .certificates
                .into_iter()
                .map(|c| RegisterEntry {
                    status: iaf_status(&c.certification_status),
                    expiry: c
                        .certification_expiry_date
                        .as_deref()
                        .and_then(|d| NaiveDate::parse_from_str(d.get(..10)?, "%Y-%m-%d").ok()),
                    number: c.certification_number,
                    body: c.certification_bodies_name,
                    raw_status: c.certification_status,
                })
                .collect(),
            ce_id: raw.ce_id,
        }
    }
}

/// The entities of a successful response: `{"data": entity}` or `{"data": [entity, …]}`.
fn entities(body: &str) -> Result<Vec<Entity>, RegisterError> {
    let shape = |e: serde_json::Error| {
        RegisterError::Failed(format!("IAF CertSearch answered in another shape: {e}"))
    };
    let mut envelope: serde_json::Value = serde_json::from_str(body).map_err(shape)?;
    let items = match envelope.get_mut("data").map(serde_json::Value::take) {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Array(items)) => items,
        Some(one) => vec![one],
    };
    items
        .into_iter()
        .map(|item| {
            let sent = item.to_string();
            Ok(Entity::read(
                serde_json::from_value(item).map_err(shape)?,
                sent,
            ))
        })
        .collect()
}

/// The error a failed response stands for; `None` for 404 (nothing found).
fn failure(status: u16, body: &str) -> Option<RegisterError> {
    let problem: Option<Problem> = serde_json::from_str(body).ok();
    let code = problem.as_ref().map_or("", |p| p.code.as_str());
    match status {
        404 => None,
        401 => Some(RegisterError::Unauthorized),
        403 if code == "insufficient_credit" => Some(RegisterError::OutOfCredit),
        403 => Some(RegisterError::Unauthorized),
        _ => Some(RegisterError::Failed(match problem {
            Some(p) if !p.title.is_empty() => {
                format!("IAF CertSearch answered {status}: {} {}", p.title, p.detail)
            }
            _ => format!("IAF CertSearch answered {status}"),
        })),
    }
}

impl Iaf {
    pub fn new(base: &str) -> Result<Iaf, String> {
        let base =
            reqwest::Url::parse(base).map_err(|e| format!("the IAF CertSearch API URL: {e}"))?;
        Ok(Iaf {
            base,
            http: client(),
        })
    }

    /// The entity IAF matches to the subject's company, or `None`; a credit when it
    /// matches. With the response, as evidence.
    pub async fn find_company(
        &self,
        key: &str,
        subject: &Subject,
    ) -> Result<(Option<Entity>, String), RegisterError> {
        let mut identifiers = serde_json::Map::new();
        if let Some(vat) = &subject.vat {
            identifiers.insert("vat".into(), json!(vat));
        }
        let body = json!({
            "company_name": subject.company_name,
            "company_country": subject.country,
            "company_identifiers": identifiers,
            "match_rate": MATCH_RATE,
        });
        let sent = self
            .http
            .post(url(&self.base, &["company"])?)
            .header("x-http-authorization", key)
            .json(&body)
            .send()
            .await;
        let (status, text) = read(sent).await?;
        if !(200..300).contains(&status) {
            return match failure(status, &text) {
                None => Ok((None, text)),
                Some(e) => Err(e),
            };
        }
        Ok((entities(&text)?.into_iter().next(), text))
    }

    /// The entities with these ids (at most [`IDS_PER_REQUEST`]), free. With the response.
    pub async fn entities(
        &self,
        key: &str,
        ids: &[String],
    ) -> Result<(Vec<Entity>, String), RegisterError> {
        if ids.is_empty() || ids.len() > IDS_PER_REQUEST {
            return Err(RegisterError::Failed(format!(
                "a lookup by id takes 1 to {IDS_PER_REQUEST} ids"
            )));
        }
        let sent = self
            .http
            .get(url(&self.base, &["company", &ids.join(",")])?)
            .header("x-http-authorization", key)
            .send()
            .await;
        let (status, text) = read(sent).await?;
        if !(200..300).contains(&status) {
            return match failure(status, &text) {
                None => Ok((Vec::new(), text)),
                Some(e) => Err(e),
            };
        }
        Ok((entities(&text)?, text))
    }
}

/// The answer for `number` from what IAF holds of its company; the evidence is the
/// entity as IAF sent it, or the whole response when it found none.
fn answer(entity: Option<Entity>, number: &str, credits: u32, response: &str) -> Answer {
    let entry = entity
        .as_ref()
        .and_then(|e| entry_for(&e.certificates, number))
        .cloned();
    Answer {
        status: entry
            .as_ref()
            .map_or(RegisterStatus::NotFound, |e| e.status),
        entry,
        evidence: entity
            .as_ref()
            .map_or_else(|| response.to_string(), |e| e.raw.clone()),
        entity_id: entity.map(|e| e.ce_id),
        credits,
    }
}

/// What identifies a company to IAF (name, country, VAT id), for asking once for all its
/// certificates.
type Company = (String, String, Option<String>);

fn company_of(s: &Subject) -> Company {
    (s.company_name.clone(), s.country.clone(), s.vat.clone())
}

impl StatusProvider for Iaf {
    fn name(&self) -> &'static str {
        "iaf_certsearch"
    }

    /// Accredited management-system certificates: the ISO standards (IATF 16949 has its
    /// own database, without an API).
    fn covers(&self, type_code: &str, number: &str) -> bool {
        type_code.starts_with("ISO_") && !number.trim().is_empty()
    }

    async fn check(&self, key: &str, subject: &Subject) -> Result<Answer, RegisterError> {
        if let Some(id) = &subject.entity_id {
            let (found, response) = self.entities(key, std::slice::from_ref(id)).await?;
            let entity = found.into_iter().find(|e| &e.ce_id == id);
            // An id IAF no longer knows is looked up by name again below.
            if entity.is_some() {
                return Ok(answer(entity, &subject.certificate_number, 0, &response));
            }
        }
        if subject.country.trim().is_empty() {
            return Err(RegisterError::Failed(
                "IAF CertSearch needs the supplier's country".into(),
            ));
        }
        let (entity, response) = self.find_company(key, subject).await?;
        let credits = u32::from(entity.is_some());
        Ok(answer(
            entity,
            &subject.certificate_number,
            credits,
            &response,
        ))
    }

    /// Suppliers known by id are looked up together, up to 100 a request, for free; the
    /// others are found by name, one credit per company matched, as long as credits last,
    /// and each company's certificates are answered from that one lookup.
    async fn check_all(&self, key: &str, subjects: &[Subject], credits: u32) -> Round {
        let mut round = Round::default();
        let mut by_name: Vec<usize> = Vec::new();
        let known: Vec<usize> = (0..subjects.len())
            .filter(|&i| subjects[i].entity_id.is_some())
            .collect();
        by_name.extend((0..subjects.len()).filter(|&i| subjects[i].entity_id.is_none()));
        let mut ids: Vec<String> = known
            .iter()
            .filter_map(|&i| subjects[i].entity_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        let mut entities: HashMap<String, Entity> = HashMap::new();
        let mut streak = Streak::default();
        for chunk in ids.chunks(IDS_PER_REQUEST) {
            match self.entities(key, chunk).await {
                Ok((found, _)) => {
                    streak.answered();
                    entities.extend(found.into_iter().map(|e| (e.ce_id.clone(), e)));
                }
                Err(RegisterError::Failed(why)) => {
                    for &i in &known {
                        if subjects[i]
                            .entity_id
                            .as_ref()
                            .is_some_and(|id| chunk.contains(id))
                        {
                            round.failed.push((i, why.clone()));
                        }
                    }
                    if let Some(stop) = streak.failed(&why) {
                        round.stopped = Some(stop);
                        return round;
                    }
                }
                Err(stop) => {
                    round.stopped = Some(stop);
                    return round;
                }
            }
        }
        for &i in &known {
            let id = subjects[i].entity_id.as_deref().unwrap_or_default();
            match entities.get(id) {
                Some(e) => round.answers.push((
                    i,
                    answer(Some(e.clone()), &subjects[i].certificate_number, 0, ""),
                )),
                // An id IAF no longer knows: found by name again.
                None if !round.failed.iter().any(|(f, _)| *f == i) => by_name.push(i),
                None => {}
            }
        }
        let mut companies: Vec<(Company, Vec<usize>)> = Vec::new();
        for i in by_name {
            let company = company_of(&subjects[i]);
            match companies.iter_mut().find(|(c, _)| *c == company) {
                Some((_, members)) => members.push(i),
                None => companies.push((company, vec![i])),
            }
        }
        let mut left = credits;
        for (_, members) in companies {
            let first = &subjects[members[0]];
            if first.country.trim().is_empty() {
                for i in members {
                    round
                        .failed
                        .push((i, "IAF CertSearch needs the supplier's country".into()));
                }
                continue;
            }
            if left == 0 {
                round.over_budget += members.len();
                continue;
            }
            match self.find_company(key, first).await {
                Ok((entity, response)) => {
                    streak.answered();
                    let credits = u32::from(entity.is_some());
                    left -= credits;
                    for (n, &i) in members.iter().enumerate() {
                        // The credit is the company's, counted once.
                        let spent = if n == 0 { credits } else { 0 };
                        round.answers.push((
                            i,
                            answer(
                                entity.clone(),
                                &subjects[i].certificate_number,
                                spent,
                                &response,
                            ),
                        ));
                    }
                }
                Err(RegisterError::Failed(why)) => {
                    for i in members {
                        round.failed.push((i, why.clone()));
                    }
                    if let Some(stop) = streak.failed(&why) {
                        round.stopped = Some(stop);
                        return round;
                    }
                }
                Err(stop) => {
                    round.stopped = Some(stop);
                    return round;
                }
            }
        }
        round
    }
}
