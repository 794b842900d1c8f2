//! A scrape's report made durable: its findings applied to the organization's
//! certificates, the endpoint's next check, and the scrape log (the newest
//! `LOGS_KEPT_PER_ENDPOINT` per endpoint).

use std::collections::{HashMap, HashSet};

use certwatch_domain::certificates::certificate_events;
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::findings::{Plan, merge_findings, plan_findings, untied};
use certwatch_domain::history::ChangedBy;
use certwatch_domain::monitoring::{
    CertChange, Endpoint, Finding, ScrapeLog, ScrapeReport, ScrapeStatus,
};
use certwatch_domain::registry::Certificate;
use certwatch_domain::rules::number_identity;
use certwatch_domain::schedule::{adaptive_frequency, failure_backoff, to_chrono};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::ops::fan_out::{self, Woke};
use crate::tables::{cert_types, certificates, deliveries, endpoints, events, scrape_logs};
use crate::{RegistryError, Store, Written, ops::certificate_writes, ops::expiry};

/// Records one scrape: applies its findings to the organization's certificates (each
/// change with its events), sets the endpoint's next check by the adaptive tiers (or the
/// failure backoff), and writes the scrape log. Returns the endpoint and the log.
pub fn record(
    store: &Store,
    tenant: Uuid,
    endpoint: Uuid,
    report: ScrapeReport,
    now: DateTime<Utc>,
) -> Result<Written<(Endpoint, ScrapeLog)>, RegistryError> {
    let old = endpoints::get(store, tenant, endpoint)?.ok_or(RegistryError::NotFound)?;
    let existing = certificates::of_org(store, tenant, old.organization_id)?;
    let mut applied = Applied::untouched(&existing);
    if report.error.is_none() {
        apply_findings(store, &old, &existing, &report, now, &mut applied)?;
    }
    let ep = next_check(&old, &applied.current, &report, now);
    let log = scrape_log(&old, report, applied.changes, applied.skipped);
    let failure = failure_event(&ep, &log, now);
    let fan_out = fan_out::plan(store, tenant, &failure)?;
    let keyed = events::keyed(store, &failure)?;
    let stale = scrape_logs::stale(store, tenant, endpoint)?;
    let tables = [
        endpoints::TREES,
        scrape_logs::TREES,
        events::TREES,
        deliveries::TREES,
    ];
    transact::<_, RegistryError>(store, &tables, |tx| {
        endpoints::put(tx, &ep, Some(&old))?;
        scrape_logs::put(tx, &log, &stale)?;
        fan_out.put(tx)?;
        events::put(tx, &keyed)
    })?;
    let mut woke = applied.woke;
    woke.add(fan_out.woke());
    Ok(Written::new((ep, log), woke))
}

/// What applying a scrape's findings did.
struct Applied {
    /// The organization's certificates as the scrape leaves them (for the tier).
    current: HashMap<Uuid, Certificate>,
    changes: Vec<CertChange>,
    /// Why findings were not filed.
    skipped: Vec<String>,
    woke: Woke,
}

impl Applied {
    fn untouched(existing: &[Certificate]) -> Applied {
        Applied {
            current: existing.iter().map(|c| (c.id, c.clone())).collect(),
            changes: Vec::new(),
            skipped: Vec::new(),
            woke: Woke::default(),
        }
    }
}

/// Files what a successful scrape found: the findings tied to the endpoint's organization,
/// planned against its certificates, each creation or update saved with its events.
fn apply_findings(
    store: &Store,
    ep: &Endpoint,
    existing: &[Certificate],
    report: &ScrapeReport,
    now: DateTime<Utc>,
    applied: &mut Applied,
) -> Result<(), RegistryError> {
    let (tenant, org) = (ep.tenant_id, ep.organization_id);
    let types: HashMap<String, Uuid> = cert_types::all(store, tenant)?
        .into_iter()
        .map(|t| (t.code, t.id))
        .collect();
    let findings = merge_findings(tied_findings(store, ep, report, &mut applied.skipped)?);
    let elsewhere = held_elsewhere(store, tenant, org, &findings)?;
    // Certificates were last seen when the page was read.
    let seen = report.finished_at;
    let plans = plan_findings(
        (tenant, org),
        existing,
        &types,
        &elsewhere,
        &findings,
        &ep.url,
        seen,
    );
    for plan in plans {
        // `fields` is None for a new certificate.
        let (previous, cert, fields) = match plan {
            Plan::Skip(why) => {
                applied.skipped.push(why);
                continue;
            }
            Plan::Create(cert) => (None, *cert, None),
            Plan::Update(old_cert, cert, fields) => (Some(*old_cert), *cert, Some(fields)),
        };
        let unchanged = fields.as_ref().is_some_and(Vec::is_empty);
        let list = if unchanged {
            Vec::new()
        } else {
            certificate_events(previous.as_ref(), &cert, now)
        };
        let by = ChangedBy::Scrape(ep.id);
        applied.woke.add(certificate_writes::save(
            store,
            &cert,
            previous.as_ref(),
            &list,
            by,
        )?);
        applied
            .woke
            .add(expiry::after_saved(store, previous.as_ref(), &cert, now)?);
        if !unchanged {
            applied.changes.push(CertChange {
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
        applied.current.insert(cert.id, cert);
    }
    Ok(())
}

/// The findings whose mentions give the certificate to the endpoint's organization; the
/// others are noted in `skipped` with why.
fn tied_findings(
    store: &Store,
    ep: &Endpoint,
    report: &ScrapeReport,
    skipped: &mut Vec<String>,
) -> Result<Vec<Finding>, RegistryError> {
    let catalog = store.catalog(ep.tenant_id)?;
    let mut tied = Vec::new();
    for mention in &report.mentions {
        match untied(mention, ep.organization_id, |e| {
            catalog.read().resolve_supplier(e)
        }) {
            Some(why) => skipped.push(why),
            None => tied.push(mention.finding.clone()),
        }
    }
    Ok(tied)
}

/// The (type, number identity) pairs another organization of the tenant holds, which a
/// finding must not take over.
fn held_elsewhere(
    store: &Store,
    tenant: Uuid,
    org: Uuid,
    findings: &[Finding],
) -> Result<HashSet<(Uuid, String)>, RegistryError> {
    let mut held = HashSet::new();
    for n in findings
        .iter()
        .filter_map(|f| f.certificate_number.as_deref())
    {
        for c in certificates::by_number(store, tenant, n)? {
            if c.organization_id != org {
                held.insert((
                    c.certificate_type_id,
                    number_identity(&c.certificate_number),
                ));
            }
        }
    }
    Ok(held)
}

/// The endpoint after the scrape: its tier from the certificates as they now stand, or
/// the failure backoff.
fn next_check(
    old: &Endpoint,
    current: &HashMap<Uuid, Certificate>,
    report: &ScrapeReport,
    now: DateTime<Utc>,
) -> Endpoint {
    let mut ep = old.clone();
    let current: Vec<Certificate> = current.values().cloned().collect();
    let frequency = adaptive_frequency(&current, now.date_naive());
    ep.check_frequency = frequency.as_secs();
    ep.last_checked = Some(report.finished_at);
    ep.last_error = report.error.clone();
    if report.error.is_some() {
        ep.consecutive_failures += 1;
        ep.next_check_at = Some(now + to_chrono(failure_backoff(ep.consecutive_failures)));
    } else {
        ep.consecutive_failures = 0;
        ep.next_check_at = Some(now + to_chrono(frequency));
    }
    ep
}

fn scrape_log(
    ep: &Endpoint,
    report: ScrapeReport,
    changes: Vec<CertChange>,
    skipped: Vec<String>,
) -> ScrapeLog {
    ScrapeLog {
        id: Uuid::new_v4(),
        tenant_id: ep.tenant_id,
        endpoint_id: ep.id,
        organization_id: ep.organization_id,
        url: ep.url.clone(),
        status: if report.error.is_some() {
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
    }
}

/// `endpoint.scrape_failed` for a failed scrape; nothing for a successful one.
fn failure_event(ep: &Endpoint, log: &ScrapeLog, now: DateTime<Utc>) -> Vec<Event> {
    if log.status != ScrapeStatus::Failed {
        return Vec::new();
    }
    vec![Event::new(
        ep.tenant_id,
        Some(ep.organization_id),
        EventKind::EndpointScrapeFailed,
        serde_json::json!({
            "endpoint_id": ep.id,
            "organization_id": ep.organization_id,
            "url": log.url,
            "error": log.error,
            "http_status": log.http_status,
            "consecutive_failures": ep.consecutive_failures,
            "next_check_at": ep.next_check_at,
        }),
        now,
    )]
}
