//! A scrape's report made durable: its findings applied to the organization's
//! certificates, the endpoint's next check, and the scrape log (the newest
//! [`LOGS_KEPT_PER_ENDPOINT`] per endpoint).

use std::collections::{HashMap, HashSet};

use certwatch_domain::events::EventKind;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use certwatch_domain::certificates::certificate_events;
use certwatch_domain::events::Event;
use certwatch_domain::findings::{Plan, merge_findings, plan_findings, untied};
use certwatch_domain::monitoring::{
    CertChange, Endpoint, Finding, LOGS_KEPT_PER_ENDPOINT, ScrapeLog, ScrapeReport, ScrapeStatus,
};
use certwatch_domain::registry::Certificate;
use certwatch_domain::schedule::{adaptive_frequency, failure_backoff, to_chrono};

use super::time_key;
use crate::registry::RegistryError;
use crate::{Store, StoreError, encode, finish, get, keys};

impl Store {
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
                    certwatch_domain::history::ChangedBy::Scrape(endpoint),
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
}
