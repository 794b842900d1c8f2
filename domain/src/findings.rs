//! What a scrape's findings change in the registry: page rows merged with the documents
//! they link to, whether a mention is the organization's own, and which certificate each
//! finding is about.

use std::collections::{HashMap, HashSet};

use crate::matching::{Evidence, Resolution};
use crate::names::CompanyName;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::reading::{Finding, Mention};
use crate::registry::{CertStatus, Certificate};

/// Findings of one scrape merged: a page row and the PDF it links to that name the same
/// certificate become one finding. The document's values win, since it is the certificate.
pub fn merge_findings(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<Finding> = Vec::new();
    // Documents first, so their values are the ones kept.
    let (docs, pages): (Vec<_>, Vec<_>) =
        findings.into_iter().partition(|f| f.document_url.is_some());
    for f in docs.into_iter().chain(pages) {
        let same = |m: &Finding| {
            m.standard == f.standard
                && match (&m.certificate_number, &f.certificate_number) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => true,
                }
        };
        let candidates: Vec<usize> = (0..merged.len()).filter(|i| same(&merged[*i])).collect();
        // A finding without a number only joins a certificate it cannot be confused about.
        let target = match (&f.certificate_number, candidates.as_slice()) {
            (Some(_), [first, ..]) => Some(*first),
            (None, [only]) => Some(*only),
            _ => None,
        };
        match target {
            Some(i) => {
                let m = &mut merged[i];
                m.certificate_number = m.certificate_number.take().or(f.certificate_number);
                m.issuing_body = m.issuing_body.take().or(f.issuing_body);
                m.scope = m.scope.take().or(f.scope);
                m.issue_date = m.issue_date.or(f.issue_date);
                m.expiry_date = m.expiry_date.or(f.expiry_date);
                m.document_url = m.document_url.take().or(f.document_url);
                m.document_hash = m.document_hash.take().or(f.document_hash);
            }
            None => merged.push(f),
        }
    }
    merged
}

/// Why a mention is not filed under organization `org`, if it is not: fields read without
/// confidence, or a holder the tenant's registry does not resolve to `org` itself (a
/// group company, a customer in a news item). A mention that names no holder is the
/// site's own, and the site is the organization's.
pub fn untied(
    mention: &Mention,
    org: Uuid,
    resolve: impl Fn(&Evidence) -> Resolution<Uuid>,
) -> Option<String> {
    let f = &mention.finding;
    let what = match &f.certificate_number {
        Some(n) => format!("{} {n}", f.standard),
        None => f.standard.clone(),
    };
    if !mention.doubtful.is_empty() {
        return Some(format!(
            "{what}: not read with confidence: {}",
            mention.doubtful.join(", ")
        ));
    }
    for holder in &mention.holders {
        let evidence = Evidence {
            name: Some(CompanyName::parse(holder)),
            ..Evidence::default()
        };
        match resolve(&evidence) {
            Resolution::Matched { id, .. } if id == org => {}
            Resolution::Matched { .. } => {
                return Some(format!("{what}: it is given to {holder}, another supplier"));
            }
            Resolution::Unmatched(why) => {
                return Some(format!(
                    "{what}: it is given to {holder}, not to this supplier ({why})"
                ));
            }
        }
    }
    None
}

/// What one finding does to the registry.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    Create(Box<Certificate>),
    /// The stored certificate, the new version, and the fields that changed (empty when
    /// only `last_checked` moves).
    Update(Box<Certificate>, Box<Certificate>, Vec<String>),
    Skip(String),
}

/// Decides, for each (merged) finding, which certificate of the organization it is about —
/// by number, else by type among those no other finding claimed — and what changes.
/// Nothing found is never a deletion. `types` maps type codes to the tenant's type ids.
/// `held_elsewhere` are the identities (type, [`number_identity`]) that belong to other
/// organizations' certificates: a finding with one of them is skipped, never filed under
/// this organization.
///
/// [`number_identity`]: crate::rules::number_identity
pub fn plan_findings(
    org: (Uuid, Uuid),
    existing: &[Certificate],
    types: &HashMap<String, Uuid>,
    held_elsewhere: &HashSet<(Uuid, String)>,
    findings: &[Finding],
    source_url: &str,
    now: DateTime<Utc>,
) -> Vec<Plan> {
    let (tenant, org) = org;
    let today = now.date_naive();
    let mut claimed: HashSet<Uuid> = HashSet::new();
    let identity = crate::rules::number_identity;
    let by_number = |f: &Finding| {
        let n = identity(f.certificate_number.as_deref()?);
        existing
            .iter()
            .find(|c| identity(&c.certificate_number) == n)
    };
    for f in findings {
        if let Some(c) = by_number(f) {
            claimed.insert(c.id);
        }
    }
    let mut plans = Vec::new();
    for f in findings {
        let Some(&type_id) = types.get(&f.standard) else {
            plans.push(Plan::Skip(format!(
                "{}: no certificate type with this code",
                f.standard
            )));
            continue;
        };
        if let Some(n) = &f.certificate_number
            && held_elsewhere.contains(&(type_id, identity(n)))
        {
            plans.push(Plan::Skip(format!(
                "{} {n}: this number belongs to another organization's certificate",
                f.standard
            )));
            continue;
        }
        let matched = by_number(f).or_else(|| {
            // A certificate another page reports is that page's; only one entered by hand
            // or found here before can be renewed under a new number.
            let found = existing
                .iter()
                .filter(|c| c.certificate_type_id == type_id && !claimed.contains(&c.id))
                .filter(|c| c.source_url.as_deref().is_none_or(|u| u == source_url))
                .max_by_key(|c| c.expiry_date);
            if let Some(c) = found {
                claimed.insert(c.id);
            }
            found
        });
        match matched {
            Some(old) => {
                let (new, fields) = apply_finding(old, f, source_url, today, now);
                plans.push(Plan::Update(Box::new(old.clone()), Box::new(new), fields));
            }
            None => match &f.certificate_number {
                Some(number) => {
                    let status = match f.expiry_date {
                        Some(d) if d < today => CertStatus::Expired,
                        _ => CertStatus::Active,
                    };
                    plans.push(Plan::Create(Box::new(Certificate {
                        issuing_body: f.issuing_body.clone().unwrap_or_default(),
                        scope: f.scope.clone().unwrap_or_default(),
                        issue_date: f.issue_date,
                        expiry_date: f.expiry_date,
                        status,
                        document_url: f.document_url.clone(),
                        source_url: Some(source_url.to_string()),
                        document_hash: f.document_hash.clone(),
                        last_checked: Some(now),
                        ..Certificate::new(tenant, org, type_id, number.clone(), now)
                    })));
                }
                None => plans.push(Plan::Skip(format!(
                    "{}: mentioned without a certificate number",
                    f.standard
                ))),
            },
        }
    }
    plans
}

/// `old` with what `f` says about it, and the names of the fields that changed. Values the
/// finding does not carry are left alone.
fn apply_finding(
    old: &Certificate,
    f: &Finding,
    source_url: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> (Certificate, Vec<String>) {
    let mut new = old.clone();
    let mut fields = Vec::new();
    fn put<T: PartialEq>(field: &mut T, value: T, name: &str, fields: &mut Vec<String>) {
        if *field != value {
            *field = value;
            fields.push(name.to_string());
        }
    }
    // The same number written another way (case, spaces, dashes) is the same number.
    if let Some(n) = &f.certificate_number
        && crate::rules::number_identity(n)
            != crate::rules::number_identity(&new.certificate_number)
    {
        put(
            &mut new.certificate_number,
            n.clone(),
            "certificate_number",
            &mut fields,
        );
    }
    if let Some(b) = &f.issuing_body {
        put(
            &mut new.issuing_body,
            b.clone(),
            "issuing_body",
            &mut fields,
        );
    }
    if let Some(s) = &f.scope {
        put(&mut new.scope, s.clone(), "scope", &mut fields);
    }
    if f.issue_date.is_some() {
        put(&mut new.issue_date, f.issue_date, "issue_date", &mut fields);
    }
    if f.expiry_date.is_some() {
        put(
            &mut new.expiry_date,
            f.expiry_date,
            "expiry_date",
            &mut fields,
        );
    }
    if f.document_url.is_some() {
        put(
            &mut new.document_url,
            f.document_url.clone(),
            "document_url",
            &mut fields,
        );
    }
    if f.document_hash.is_some() {
        put(
            &mut new.document_hash,
            f.document_hash.clone(),
            "document_hash",
            &mut fields,
        );
    }
    // A renewal found online brings an expired certificate back; revoked stays revoked.
    if new.status == CertStatus::Expired && new.expiry_date.is_some_and(|d| d >= today) {
        put(&mut new.status, CertStatus::Active, "status", &mut fields);
    }
    new.source_url = Some(source_url.to_string());
    new.last_checked = Some(now);
    if !fields.is_empty() {
        new.updated_at = now;
    }
    (new, fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{cert, day};

    fn finding(standard: &str, number: Option<&str>, expiry: Option<&str>) -> Finding {
        Finding {
            standard: standard.into(),
            certificate_number: number.map(String::from),
            expiry_date: expiry.map(day),
            ..Finding::default()
        }
    }

    #[test]
    fn a_page_row_and_its_document_merge() {
        let mut doc = finding("ISO_9001", Some("Q-1"), Some("2027-01-14"));
        doc.document_url = Some("https://s/q1.pdf".into());
        doc.document_hash = Some("abc".into());
        let mut row = finding("ISO_9001", Some("q-1"), Some("2027-01-15"));
        row.issuing_body = Some("TÜV SÜD".into());
        let other = finding("ISO_14001", Some("E-2"), None);
        let merged = merge_findings(vec![row, other.clone(), doc]);
        assert_eq!(merged.len(), 2);
        let m = &merged[0];
        assert_eq!(m.certificate_number.as_deref(), Some("Q-1"));
        assert_eq!(m.expiry_date, Some(day("2027-01-14")), "the document wins");
        assert_eq!(m.issuing_body.as_deref(), Some("TÜV SÜD"));
        assert_eq!(m.document_hash.as_deref(), Some("abc"));
        assert_eq!(merged[1], other);
        // Without a number, a mention joins only an unambiguous certificate.
        let two = merge_findings(vec![
            finding("ISO_9001", Some("A"), None),
            finding("ISO_9001", Some("B"), None),
            finding("ISO_9001", None, Some("2027-01-01")),
        ]);
        assert_eq!(two.len(), 3);
    }

    #[test]
    fn findings_match_by_number_then_by_type() {
        let now: DateTime<Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let (iso9, iso14) = (Uuid::new_v4(), Uuid::new_v4());
        let types = HashMap::from([
            ("ISO_9001".to_string(), iso9),
            ("ISO_14001".to_string(), iso14),
        ]);
        let a = cert("Q-1", iso9, Some("2026-12-01"));
        let b = cert("E-1", iso14, Some("2026-01-01"));
        let mut expired = b.clone();
        expired.status = CertStatus::Expired;
        let existing = vec![a.clone(), expired.clone()];
        let findings = vec![
            finding("ISO_9001", Some("q-1"), Some("2027-12-01")),
            finding("ISO_14001", Some("E-2"), Some("2029-01-01")),
            finding("ISO_45001", Some("H-1"), None),
            finding("ISO_9001", None, None),
        ];
        let plans = plan_findings(
            (Uuid::nil(), Uuid::nil()),
            &existing,
            &types,
            &HashSet::new(),
            &findings,
            "https://s/",
            now,
        );
        let Plan::Update(old, new, fields) = &plans[0] else {
            panic!("{:?}", plans[0])
        };
        assert_eq!(old.id, a.id);
        assert_eq!(fields, &["expiry_date"]);
        assert_eq!(new.last_checked, Some(now));
        // By type: the renewed ISO 14001 gets its new number and is active again.
        let Plan::Update(old, new, fields) = &plans[1] else {
            panic!("{:?}", plans[1])
        };
        assert_eq!(old.id, expired.id);
        assert_eq!(fields, &["certificate_number", "expiry_date", "status"]);
        assert_eq!(new.status, CertStatus::Active);
        assert!(matches!(&plans[2], Plan::Skip(why) if why.contains("ISO_45001")));
        // The ISO 9001 certificate was claimed by its number: nothing left to match by type.
        assert!(
            matches!(&plans[3], Plan::Skip(why) if why.contains("without a certificate number"))
        );
    }

    #[test]
    fn a_new_certificate_needs_a_number_and_an_unchanged_one_changes_nothing() {
        let now: DateTime<Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let iso9 = Uuid::new_v4();
        let types = HashMap::from([("ISO_9001".to_string(), iso9)]);
        let plans = plan_findings(
            (Uuid::nil(), Uuid::nil()),
            &[],
            &types,
            &HashSet::new(),
            &[finding("ISO_9001", Some("Q-9"), Some("2020-01-01"))],
            "https://s/",
            now,
        );
        let Plan::Create(c) = &plans[0] else { panic!() };
        assert_eq!(
            (c.status, c.source_url.as_deref()),
            (CertStatus::Expired, Some("https://s/"))
        );
        let same = cert("Q-9", iso9, Some("2027-01-01"));
        let plans = plan_findings(
            (Uuid::nil(), Uuid::nil()),
            std::slice::from_ref(&same),
            &types,
            &HashSet::new(),
            &[finding("ISO_9001", Some("Q-9"), Some("2027-01-01"))],
            "https://s/",
            now,
        );
        assert!(matches!(&plans[0], Plan::Update(_, _, f) if f.is_empty()));
        // The same number written another way is the same certificate.
        let plans = plan_findings(
            (Uuid::nil(), Uuid::nil()),
            std::slice::from_ref(&same),
            &types,
            &HashSet::new(),
            &[finding("ISO_9001", Some("q 9"), Some("2027-01-01"))],
            "https://s/",
            now,
        );
        assert!(matches!(&plans[0], Plan::Update(_, _, f) if f.is_empty()));
        // A number another organization holds is never filed here.
        let theirs = HashSet::from([(iso9, "Q77".to_string())]);
        let plans = plan_findings(
            (Uuid::nil(), Uuid::nil()),
            &[],
            &types,
            &theirs,
            &[finding("ISO_9001", Some("Q-77"), Some("2027-01-01"))],
            "https://s/",
            now,
        );
        assert!(
            matches!(&plans[0], Plan::Skip(why) if why.contains("another organization")),
            "{plans:?}"
        );
        // Another page's certificate of the same type is not taken over.
        let mut elsewhere = same.clone();
        elsewhere.source_url = Some("https://s/plant-2".into());
        let plans = plan_findings(
            (Uuid::nil(), Uuid::nil()),
            &[elsewhere],
            &types,
            &HashSet::new(),
            &[finding("ISO_9001", Some("Q-10"), Some("2027-01-01"))],
            "https://s/plant-1",
            now,
        );
        assert!(matches!(&plans[0], Plan::Create(c) if c.certificate_number == "Q-10"));
    }
}
