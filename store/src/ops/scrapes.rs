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
    let org = old.organization_id;
    let mut woke = Woke::default();
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    let existing = certificates::of_org(store, tenant, org)?;
    // The organization's certificates as the scrape leaves them (for the tier).
    let mut current: HashMap<Uuid, Certificate> =
        existing.iter().map(|c| (c.id, c.clone())).collect();
    if report.error.is_none() {
        let types: HashMap<String, Uuid> = cert_types::all(store, tenant)?
            .into_iter()
            .map(|t| (t.code, t.id))
            .collect();
        let catalog = store.catalog(tenant)?;
        let tied: Vec<Finding> = report
            .mentions
            .iter()
            .filter_map(
                |m| match untied(m, org, |e| catalog.read().resolve_supplier(e)) {
                    Some(why) => {
                        skipped.push(why);
                        None
                    }
                    None => Some(m.finding.clone()),
                },
            )
            .collect();
        let findings = merge_findings(tied);
        let mut held_elsewhere = HashSet::new();
        for n in findings
            .iter()
            .filter_map(|f| f.certificate_number.as_deref())
        {
            for c in certificates::by_number(store, tenant, n)? {
                if c.organization_id != org {
                    held_elsewhere.insert((
                        c.certificate_type_id,
                        number_identity(&c.certificate_number),
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
            let list = if unchanged {
                Vec::new()
            } else {
                certificate_events(previous.as_ref(), &cert, now)
            };
            woke.add(certificate_writes::save(
                store,
                &cert,
                previous.as_ref(),
                &list,
                ChangedBy::Scrape(endpoint),
            )?);
            woke.add(expiry::after_saved(store, previous.as_ref(), &cert, now)?);
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
    let failure: Vec<Event> = if failed {
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
    woke.add(fan_out.woke());
    Ok(Written::new((ep, log), woke))
}
