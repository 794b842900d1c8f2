//! Monitored endpoints, their scrape logs, and the rules of monitoring: how often an
//! endpoint is checked (the adaptive tiers), how a failing one backs off, and what a scrape's
//! findings change in the registry.
//!
//! The tenant actor is the one writer of all of it; endpoint actors only fetch and parse,
//! then hand their [`ScrapeReport`] to [`Store::record_scrape`] through it.

use certwatch_domain::events::EventKind;
use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;

use certwatch_domain::matching::{Evidence, Resolution};
use certwatch_domain::names::CompanyName;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, abort};
use uuid::Uuid;

use crate::edits::{Change, certificate_events};
use crate::registry::{CertStatus, Certificate, Event, RegistryError};
use crate::{Store, StoreError, encode, finish, get, keys, scan};

/// Adaptive tiers from the API contract: (days to the nearest expiry, check every).
pub const TIERS: [(i64, StdDuration); 2] = [
    (7, StdDuration::from_secs(4 * 3600)),
    (30, StdDuration::from_secs(12 * 3600)),
];
/// The baseline when no certificate expires within 30 days.
pub const BASELINE: StdDuration = StdDuration::from_secs(24 * 3600);
/// Bounds of a frequency set through the API.
pub const MIN_FREQUENCY: StdDuration = StdDuration::from_secs(60);
pub const MAX_FREQUENCY: StdDuration = StdDuration::from_secs(30 * 86_400);
/// The first retry after a failure; each further failure doubles it, up to [`MAX_BACKOFF`].
pub const FIRST_RETRY: StdDuration = StdDuration::from_secs(15 * 60);
pub const MAX_BACKOFF: StdDuration = StdDuration::from_secs(7 * 86_400);
/// Scrape logs kept per endpoint; older ones are pruned as new ones are written.
pub const LOGS_KEPT_PER_ENDPOINT: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    /// Seconds between checks; the adaptive tiers set it after every scrape.
    pub check_frequency: u64,
    pub is_active: bool,
    /// Created by discovery rather than by a person.
    pub discovered: bool,
    pub last_checked: Option<DateTime<Utc>>,
    /// When the endpoint's actor checks next.
    pub next_check_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct EndpointPatch {
    pub organization_id: Change<Uuid>,
    pub url: Change<String>,
    pub check_frequency: Change<u64>,
    pub is_active: Change<bool>,
}

pub use certwatch_domain::reading::{Finding, Mention};

/// A linked document a scrape fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentSeen {
    pub url: String,
    pub sha256: Option<String>,
    pub bytes: u64,
    pub error: Option<String>,
}

/// What an endpoint actor hands over after one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrapeReport {
    /// When the check was due; `None` for a scrape triggered by hand.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub bytes: u64,
    /// Why the attempt failed; `None` for a successful one (even if it found nothing).
    pub error: Option<String>,
    pub mentions: Vec<Mention>,
    pub documents: Vec<DocumentSeen>,
}

/// A certificate a scrape created or changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertChange {
    pub certificate_id: Uuid,
    pub certificate_number: String,
    /// `created` or `updated`.
    pub action: String,
    /// The fields that changed (empty for `created`).
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScrapeStatus {
    Success,
    Failed,
}

impl ScrapeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeStatus::Success => "SUCCESS",
            ScrapeStatus::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScrapeLog {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub endpoint_id: Uuid,
    pub organization_id: Uuid,
    pub url: String,
    pub status: ScrapeStatus,
    /// When the check was due; `None` for a scrape triggered by hand.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub bytes: u64,
    pub findings: Vec<Finding>,
    pub documents: Vec<DocumentSeen>,
    pub changes: Vec<CertChange>,
    /// Findings that changed nothing and why (no number, no such certificate type).
    pub skipped: Vec<String>,
    pub error: Option<String>,
}

impl ScrapeLog {
    pub fn duration_ms(&self) -> u64 {
        (self.finished_at - self.started_at)
            .num_milliseconds()
            .max(0) as u64
    }
}

/// The check frequency the adaptive tiers give an organization's certificates on `today`:
/// the tightest tier any live certificate's expiry falls in. Expired and revoked
/// certificates do not count: they are not "expiring".
pub fn adaptive_frequency(certs: &[Certificate], today: NaiveDate) -> StdDuration {
    let nearest = certs
        .iter()
        .filter(|c| matches!(c.status, CertStatus::Active | CertStatus::Pending))
        .filter_map(|c| c.expiry_date)
        .map(|d| (d - today).num_days())
        .filter(|days| *days >= 0)
        .min();
    nearest
        .and_then(|days| {
            TIERS
                .iter()
                .find(|(within, _)| days <= *within)
                .map(|(_, every)| *every)
        })
        .unwrap_or(BASELINE)
}

/// How long a failing endpoint waits before its next try: 15 minutes after the first
/// failure, doubling with each further one, at most a week.
pub fn failure_backoff(consecutive_failures: u32) -> StdDuration {
    let doublings = consecutive_failures.saturating_sub(1).min(20);
    FIRST_RETRY
        .saturating_mul(1u32 << doublings)
        .min(MAX_BACKOFF)
}

/// When the next overdue check may start after a restart: `per_second` of them are
/// started each second, one after the other, so a restart never fires them all at once;
/// once the queue has drained, the next one starts at once.
pub fn catch_up_slot(
    previous: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    per_second: u32,
) -> DateTime<Utc> {
    let gap = Duration::milliseconds(1000 / i64::from(per_second.max(1)));
    match previous {
        Some(p) if p + gap > now => p + gap,
        _ => now,
    }
}

/// The URL as compared for duplicates: scheme and host lower-cased, no fragment, no default
/// port, no trailing slash (except the root).
pub fn normalize_url(raw: &str) -> Option<String> {
    let mut url = url::Url::parse(raw.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    url.set_fragment(None);
    let mut s = url.to_string();
    if url.path() != "/" && url.query().is_none() && s.ends_with('/') {
        s.pop();
    }
    Some(s)
}

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
pub fn untied(mention: &Mention, org: Uuid, catalog: &crate::catalog::Catalog) -> Option<String> {
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
        match catalog.resolve_supplier(&evidence) {
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

/// `tenant ‖ micros ‖ id`: newest last, so listings scan in reverse.
fn time_key(prefix: &[u8], at: DateTime<Utc>, id: Uuid) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&at.timestamp_micros().max(0).to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

pub(crate) fn url_key(tenant: Uuid, url: &str) -> Vec<u8> {
    crate::registry::text_key(
        tenant,
        &normalize_url(url).unwrap_or_else(|| url.to_string()),
    )
}

fn field(field: &'static str, message: &str) -> RegistryError {
    RegistryError::Field {
        field,
        message: message.to_string(),
    }
}

/// Health of the monitoring of one tenant, from the stored schedules.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonitoringCounts {
    pub endpoints: usize,
    pub active: usize,
    pub due: usize,
    pub failing: usize,
    pub oldest_overdue_seconds: Option<i64>,
}

type Tx<T> = Result<T, ConflictableTransactionError<RegistryError>>;

impl Store {
    pub fn endpoint(&self, tenant: Uuid, id: Uuid) -> Result<Option<Endpoint>, StoreError> {
        get(&self.trees().endpoints, &keys::pair(tenant, id))
    }

    /// Every endpoint of the tenant, oldest first.
    pub fn endpoints(&self, tenant: Uuid) -> Result<Vec<Endpoint>, StoreError> {
        let mut all: Vec<Endpoint> = scan(&self.trees().endpoints, &keys::id(tenant))?;
        all.sort_by_key(|e| (e.created_at, e.id));
        Ok(all)
    }

    /// Ids of an organization's endpoints.
    pub fn endpoints_of(&self, tenant: Uuid, org: Uuid) -> Result<Vec<Uuid>, StoreError> {
        self.trees()
            .endpoints_by_org
            .scan_prefix(keys::pair(tenant, org))
            .keys()
            .map(|k| {
                keys::uuid_at(&k?, 32).ok_or_else(|| StoreError::Corrupt("endpoint index".into()))
            })
            .collect()
    }

    pub fn endpoint_by_url(&self, tenant: Uuid, url: &str) -> Result<Option<Uuid>, StoreError> {
        Ok(self
            .trees()
            .endpoint_by_url
            .get(url_key(tenant, url))?
            .and_then(|v| keys::uuid_at(&v, 0)))
    }

    /// Creates (`id` None) or edits an endpoint. A new endpoint, a new URL or a resumed one
    /// is checked right away; a new frequency counts from the last check.
    pub fn edit_endpoint(
        &self,
        tenant: Uuid,
        id: Option<Uuid>,
        patch: EndpointPatch,
        discovered: bool,
        now: DateTime<Utc>,
    ) -> Result<Endpoint, RegistryError> {
        let old = match id {
            Some(id) => Some(self.endpoint(tenant, id)?.ok_or(RegistryError::NotFound)?),
            None => None,
        };
        let mut ep = old.clone().unwrap_or(Endpoint {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            organization_id: Uuid::nil(),
            url: String::new(),
            check_frequency: BASELINE.as_secs(),
            is_active: true,
            discovered,
            last_checked: None,
            next_check_at: Some(now),
            consecutive_failures: 0,
            last_error: None,
            created_at: now,
            updated_at: now,
        });
        if let Some(org) = patch.organization_id {
            ep.organization_id = org;
        }
        if let Some(url) = patch.url {
            ep.url = url;
        }
        if let Some(f) = patch.check_frequency {
            ep.check_frequency = f;
        }
        if let Some(a) = patch.is_active {
            ep.is_active = a;
        }
        if self.organization(tenant, ep.organization_id)?.is_none() {
            return Err(field("organization_id", "No such organization."));
        }
        if normalize_url(&ep.url).is_none() {
            return Err(field("url", crate::rules::URL_MESSAGE));
        }
        if let Some(other) = self.endpoint_by_url(tenant, &ep.url)?
            && other != ep.id
        {
            return Err(field("url", "This URL is already monitored."));
        }
        if let Some(old) = &old {
            let resumed = ep.is_active && !old.is_active;
            if resumed || normalize_url(&old.url) != normalize_url(&ep.url) {
                ep.next_check_at = Some(now);
            } else if old.check_frequency != ep.check_frequency {
                let from = ep.last_checked.unwrap_or(now);
                ep.next_check_at = Some(from + secs(ep.check_frequency));
            }
        }
        ep.updated_at = now;
        self.save_endpoint(&ep, old.as_ref(), &[])?;
        Ok(ep)
    }

    /// Writes an endpoint with its indexes (and `events`) in one transaction.
    fn save_endpoint(
        &self,
        ep: &Endpoint,
        old: Option<&Endpoint>,
        events: &[Event],
    ) -> Result<(), RegistryError> {
        let t = self.trees();
        let tenant = ep.tenant_id;
        let fan_out = self.fan_out(tenant, events)?;
        let events = crate::registry::event_keys(self, events)?;
        finish::<_, RegistryError>(
            (
                &t.endpoints,
                &t.endpoints_by_org,
                &t.endpoint_by_url,
                &t.events,
                &t.deliveries,
                &t.deliveries_by_time,
                &t.deliveries_due,
            )
                .transaction(
                    |(eps, by_org, by_url, events_t, deliveries, by_time, due)| -> Tx<()> {
                        let key = url_key(tenant, &ep.url);
                        if let Some(owner) = by_url.get(&key)?
                            && owner.as_ref() != ep.id.as_bytes()
                        {
                            return abort(field("url", "This URL is already monitored."));
                        }
                        if let Some(old) = old {
                            by_org.remove(keys::triple(tenant, old.organization_id, old.id))?;
                            by_url.remove(url_key(tenant, &old.url))?;
                        }
                        eps.insert(&keys::pair(tenant, ep.id), encode(ep))?;
                        by_org.insert(keys::triple(tenant, ep.organization_id, ep.id), &[])?;
                        by_url.insert(key, &keys::id(ep.id))?;
                        fan_out.apply(deliveries, by_time, due)?;
                        for (k, v) in &events {
                            events_t.insert(k.as_slice(), v.as_slice())?;
                        }
                        Ok(())
                    },
                ),
        )?;
        self.woke(&fan_out);
        Ok(())
    }

    pub fn delete_endpoint(&self, tenant: Uuid, id: Uuid) -> Result<Endpoint, RegistryError> {
        let ep = self.endpoint(tenant, id)?.ok_or(RegistryError::NotFound)?;
        let t = self.trees();
        finish::<_, RegistryError>(
            (&t.endpoints, &t.endpoints_by_org, &t.endpoint_by_url).transaction(
                |(eps, by_org, by_url)| -> Tx<()> {
                    eps.remove(&keys::pair(tenant, id))?;
                    by_org.remove(keys::triple(tenant, ep.organization_id, id))?;
                    by_url.remove(url_key(tenant, &ep.url))?;
                    Ok(())
                },
            ),
        )?;
        Ok(ep)
    }

    /// Records one scrape: applies its findings to the organization's certificates (each
    /// change with its events), sets the endpoint's next check by the adaptive tiers (or the
    /// failure backoff), and writes the scrape log. Returns the endpoint and the log.
    pub fn record_scrape(
        &self,
        tenant: Uuid,
        endpoint: Uuid,
        report: ScrapeReport,
        now: DateTime<Utc>,
    ) -> Result<(Endpoint, ScrapeLog), RegistryError> {
        let old = self
            .endpoint(tenant, endpoint)?
            .ok_or(RegistryError::NotFound)?;
        let org = old.organization_id;
        let mut changes = Vec::new();
        let mut skipped = Vec::new();
        let existing = self.certificates_of(tenant, org)?;
        // The organization's certificates as the scrape leaves them (for the tier).
        let mut current: HashMap<Uuid, Certificate> =
            existing.iter().map(|c| (c.id, c.clone())).collect();
        if report.error.is_none() {
            let types: HashMap<String, Uuid> = self
                .certificate_types(tenant)?
                .into_iter()
                .map(|t| (t.code, t.id))
                .collect();
            let catalog = self.catalog(tenant)?;
            let tied: Vec<Finding> = report
                .mentions
                .iter()
                .filter_map(|m| match untied(m, org, &catalog.read()) {
                    Some(why) => {
                        skipped.push(why);
                        None
                    }
                    None => Some(m.finding.clone()),
                })
                .collect();
            let findings = merge_findings(tied);
            let mut held_elsewhere = HashSet::new();
            for n in findings
                .iter()
                .filter_map(|f| f.certificate_number.as_deref())
            {
                for c in self.certificates_by_number(tenant, n)? {
                    if c.organization_id != org {
                        held_elsewhere.insert((
                            c.certificate_type_id,
                            crate::rules::number_identity(&c.certificate_number),
                        ));
                    }
                }
            }
            // Certificates were last seen when the page was read.
            let seen = report.finished_at;
            let plans = plan_findings(
                (tenant, org),
                &existing,
                &types,
                &held_elsewhere,
                &findings,
                &old.url,
                seen,
            );
            for plan in plans {
                // `fields` is None for a new certificate.
                let (previous, cert, fields) = match plan {
                    Plan::Skip(why) => {
                        skipped.push(why);
                        continue;
                    }
                    Plan::Create(cert) => (None, *cert, None),
                    Plan::Update(old_cert, cert, fields) => (Some(*old_cert), *cert, Some(fields)),
                };
                let unchanged = fields.as_ref().is_some_and(Vec::is_empty);
                let events = if unchanged {
                    Vec::new()
                } else {
                    certificate_events(previous.as_ref(), &cert, now)
                };
                self.save_certificate(
                    &cert,
                    previous.as_ref(),
                    &events,
                    crate::history::ChangedBy::Scrape(endpoint),
                )?;
                self.after_certificate_saved(previous.as_ref(), &cert, now)?;
                if !unchanged {
                    changes.push(CertChange {
                        certificate_id: cert.id,
                        certificate_number: cert.certificate_number.clone(),
                        action: if previous.is_none() {
                            "created"
                        } else {
                            "updated"
                        }
                        .into(),
                        fields: fields.unwrap_or_default(),
                    });
                }
                current.insert(cert.id, cert);
            }
        }
        let failed = report.error.is_some();
        let mut ep = old.clone();
        let current: Vec<Certificate> = current.into_values().collect();
        let frequency = adaptive_frequency(&current, now.date_naive());
        ep.check_frequency = frequency.as_secs();
        ep.last_checked = Some(report.finished_at);
        ep.last_error = report.error.clone();
        if failed {
            ep.consecutive_failures += 1;
            ep.next_check_at = Some(now + to_chrono(failure_backoff(ep.consecutive_failures)));
        } else {
            ep.consecutive_failures = 0;
            ep.next_check_at = Some(now + to_chrono(frequency));
        }
        let log = ScrapeLog {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            endpoint_id: endpoint,
            organization_id: org,
            url: old.url.clone(),
            status: if failed {
                ScrapeStatus::Failed
            } else {
                ScrapeStatus::Success
            },
            scheduled_for: report.scheduled_for,
            started_at: report.started_at,
            finished_at: report.finished_at,
            http_status: report.http_status,
            bytes: report.bytes,
            findings: report.mentions.into_iter().map(|m| m.finding).collect(),
            documents: report.documents,
            changes,
            skipped,
            error: report.error,
        };
        let events: Vec<Event> = if failed {
            vec![Event::new(
                tenant,
                Some(org),
                EventKind::EndpointScrapeFailed,
                serde_json::json!({
                    "endpoint_id": endpoint,
                    "organization_id": org,
                    "url": log.url,
                    "error": log.error,
                    "http_status": log.http_status,
                    "consecutive_failures": ep.consecutive_failures,
                    "next_check_at": ep.next_check_at,
                }),
                now,
            )]
        } else {
            Vec::new()
        };
        self.save_endpoint(&ep, Some(&old), &events)?;
        self.save_scrape_log(&log)?;
        Ok((ep, log))
    }

    /// Writes a log with its indexes and drops the endpoint's oldest beyond the limit.
    fn save_scrape_log(&self, log: &ScrapeLog) -> Result<(), StoreError> {
        let t = self.trees();
        let tenant = log.tenant_id;
        let ep_prefix = keys::pair(tenant, log.endpoint_id);
        let stale: Vec<sled::IVec> = {
            let kept = t.scrape_logs_by_endpoint.scan_prefix(ep_prefix).count();
            let excess = (kept + 1).saturating_sub(LOGS_KEPT_PER_ENDPOINT);
            t.scrape_logs_by_endpoint
                .scan_prefix(ep_prefix)
                .keys()
                .take(excess)
                .collect::<Result<_, _>>()?
        };
        let result = (
            &t.scrape_logs,
            &t.scrape_logs_by_time,
            &t.scrape_logs_by_endpoint,
        )
            .transaction(|(logs, by_time, by_ep)| {
                for key in &stale {
                    let Some(id) = keys::uuid_at(key, 40) else {
                        continue;
                    };
                    if let Some(old) = logs.remove(&keys::pair(tenant, id))? {
                        let old: ScrapeLog =
                            crate::decode(&old).map_err(ConflictableTransactionError::Abort)?;
                        by_time.remove(time_key(&keys::id(tenant), old.started_at, id))?;
                    }
                    by_ep.remove(key)?;
                }
                logs.insert(&keys::pair(tenant, log.id), encode(log))?;
                by_time.insert(time_key(&keys::id(tenant), log.started_at, log.id), &[])?;
                by_ep.insert(time_key(&ep_prefix, log.started_at, log.id), &[])?;
                Ok(())
            });
        finish::<_, StoreError>(result)
    }

    pub fn scrape_log(&self, tenant: Uuid, id: Uuid) -> Result<Option<ScrapeLog>, StoreError> {
        get(&self.trees().scrape_logs, &keys::pair(tenant, id))
    }

    /// A page of the tenant's scrape logs, newest first (of one endpoint if given), and how
    /// many there are in all.
    pub fn scrape_logs(
        &self,
        tenant: Uuid,
        endpoint: Option<Uuid>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ScrapeLog>, usize), StoreError> {
        let t = self.trees();
        let (index, prefix) = match endpoint {
            Some(ep) => (&t.scrape_logs_by_endpoint, keys::pair(tenant, ep).to_vec()),
            None => (&t.scrape_logs_by_time, keys::id(tenant).to_vec()),
        };
        let id_at = prefix.len() + 8;
        let total = index.scan_prefix(&prefix).count();
        let mut page = Vec::new();
        for key in index
            .scan_prefix(&prefix)
            .keys()
            .rev()
            .skip(offset)
            .take(limit)
        {
            let key = key?;
            let id = keys::uuid_at(&key, id_at)
                .ok_or_else(|| StoreError::Corrupt("scrape log index".into()))?;
            if let Some(log) = self.scrape_log(tenant, id)? {
                page.push(log);
            }
        }
        Ok((page, total))
    }

    /// Counts behind `/api/monitoring/health/`.
    pub fn monitoring_counts(
        &self,
        tenant: Uuid,
        now: DateTime<Utc>,
    ) -> Result<MonitoringCounts, StoreError> {
        let mut counts = MonitoringCounts::default();
        for ep in scan::<Endpoint>(&self.trees().endpoints, &keys::id(tenant))? {
            counts.endpoints += 1;
            if !ep.is_active {
                continue;
            }
            counts.active += 1;
            if ep.consecutive_failures > 0 {
                counts.failing += 1;
            }
            if let Some(at) = ep.next_check_at
                && at <= now
            {
                counts.due += 1;
                let age = (now - at).num_seconds();
                counts.oldest_overdue_seconds =
                    Some(counts.oldest_overdue_seconds.unwrap_or(0).max(age));
            }
        }
        Ok(counts)
    }
}

fn secs(s: u64) -> Duration {
    Duration::seconds(s.min(i64::MAX as u64) as i64)
}

fn to_chrono(d: StdDuration) -> Duration {
    secs(d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(number: &str, type_id: Uuid, expiry: Option<&str>) -> Certificate {
        let mut c = Certificate::new(Uuid::nil(), Uuid::nil(), type_id, number.into(), Utc::now());
        c.expiry_date = expiry.map(|d| d.parse().unwrap());
        c
    }

    fn day(d: &str) -> NaiveDate {
        d.parse().unwrap()
    }

    #[test]
    fn the_most_urgent_tier_wins() {
        let t = Uuid::new_v4();
        let today = day("2026-11-22");
        let h = |n: u64| StdDuration::from_secs(n * 3600);
        assert_eq!(adaptive_frequency(&[], today), h(24));
        let far = cert("A", t, Some("2027-06-01"));
        assert_eq!(adaptive_frequency(std::slice::from_ref(&far), today), h(24));
        let month = cert("B", t, Some("2026-12-22"));
        assert_eq!(
            adaptive_frequency(&[far.clone(), month.clone()], today),
            h(12)
        );
        let week = cert("C", t, Some("2026-11-29"));
        assert_eq!(adaptive_frequency(&[far, month.clone(), week], today), h(4));
        // Day 31 is outside the 30-day window; an expired or revoked one does not count.
        assert_eq!(
            adaptive_frequency(&[cert("D", t, Some("2026-12-23"))], today),
            h(24)
        );
        assert_eq!(
            adaptive_frequency(&[cert("E", t, Some("2026-11-21"))], today),
            h(24)
        );
        let mut revoked = cert("F", t, Some("2026-11-25"));
        revoked.status = CertStatus::Revoked;
        assert_eq!(adaptive_frequency(&[revoked, month], today), h(12));
    }

    #[test]
    fn failures_back_off_up_to_a_week() {
        let m = |n: u64| StdDuration::from_secs(n * 60);
        assert_eq!(failure_backoff(1), m(15));
        assert_eq!(failure_backoff(2), m(30));
        assert_eq!(failure_backoff(4), m(120));
        assert_eq!(failure_backoff(12), MAX_BACKOFF);
        assert_eq!(failure_backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn catch_up_spreads_overdue_checks() {
        let t0: DateTime<Utc> = "2026-11-22T10:00:00Z".parse().unwrap();
        let first = catch_up_slot(None, t0, 50);
        assert_eq!(first, t0);
        let mut slot = first;
        for _ in 0..100 {
            slot = catch_up_slot(Some(slot), t0, 50);
        }
        assert_eq!(slot, t0 + Duration::seconds(2), "100 more at 50/s take 2 s");
        // Once the queue has drained, the next overdue check starts at once.
        let later = t0 + Duration::minutes(5);
        assert_eq!(catch_up_slot(Some(slot), later, 50), later);
    }

    #[test]
    fn urls_normalize_for_duplicates() {
        let n = |u: &str| normalize_url(u).unwrap();
        assert_eq!(
            n("HTTPS://Example.COM/Certs/"),
            n("https://example.com/Certs")
        );
        assert_eq!(n("http://example.com:80/a#top"), "http://example.com/a");
        assert_eq!(n("https://example.com"), "https://example.com/");
        assert_ne!(n("https://example.com/a?x=1"), n("https://example.com/a"));
        assert_eq!(normalize_url("ftp://example.com/"), None);
        assert_eq!(normalize_url("not a url"), None);
    }

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
