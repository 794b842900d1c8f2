//! The expiry digest of a tenant: what is news since its last digest, read from the
//! registry, monitoring and webhooks, and the marks that keep it from being told twice.
//! The tenant actor prepares a digest, writes its marks (and the time it went out) in one
//! transaction, and mails it once that is durable: a crash in between loses one digest
//! rather than sending it twice.

use certwatch_domain::accounts::Tenant;
use certwatch_domain::digest::{
    DeliveryLine, Digest, ExpiryLine, FAILING_AFTER, FailingLine, RegisterLine, Stage, is_due,
    is_news, stage,
};
use certwatch_domain::events::EventKind;
use certwatch_domain::registry::CertStatus;
use certwatch_domain::webhooks::DeliveryStatus;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::digests::{self, Announced};
use crate::tables::{
    cert_types, certificates, deliveries, endpoints, events, memberships, organizations,
    subscribers, tenants, users,
};
use crate::{Store, StoreError};

/// A digest ready to go: its content, who gets it, and what to mark once it is sent.
#[derive(Debug)]
pub struct Prepared {
    pub digest: Digest,
    pub recipients: Vec<String>,
    marks: Marks,
}

#[derive(Debug, Default)]
struct Marks {
    certificates: Vec<(Uuid, Announced)>,
    /// Endpoints whose failing streak is reported (true) or over (false).
    endpoints: Vec<(Uuid, bool)>,
}

/// The first digest looks back this far for newly expired certificates and failed
/// deliveries; later ones look back to the one before.
const FIRST_LOOKBACK_DAYS: i64 = 7;

/// The tenant's digest if one is due now and there is news for it.
pub fn prepare(
    store: &Store,
    tenant: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Prepared>, StoreError> {
    let Some(t) = tenants::get(store, tenant)? else {
        return Ok(None);
    };
    let last_sent = digests::last_sent(store, tenant)?;
    if !is_due(t.digest_frequency, last_sent, now) {
        return Ok(None);
    }
    let since = last_sent.unwrap_or(now - Duration::days(FIRST_LOOKBACK_DAYS));
    let mut digest = Digest {
        tenant_name: t.name.clone(),
        ..Digest::default()
    };
    let mut marks = Marks::default();
    add_expiries(store, &t, now.date_naive(), since, &mut digest, &mut marks)?;
    add_failing(store, tenant, &mut digest, &mut marks)?;
    add_failed_deliveries(store, tenant, since, &mut digest)?;
    add_register_changes(store, tenant, since, &mut digest)?;
    if digest.is_empty() {
        // Nothing to tell; a recovered endpoint's mark is still cleared.
        if !marks.endpoints.is_empty() {
            write_marks(store, tenant, &marks, None)?;
        }
        return Ok(None);
    }
    Ok(Some(Prepared {
        digest,
        recipients: recipients(store, tenant)?,
        marks,
    }))
}

/// The name of a supplier as the digest shows it.
fn supplier(store: &Store, tenant: Uuid, org: Uuid) -> Result<String, StoreError> {
    Ok(organizations::get(store, tenant, org)?.map_or_else(|| "(deleted)".into(), |o| o.name))
}

/// Certificates that entered an expiry window or expired since they were last announced.
fn add_expiries(
    store: &Store,
    t: &Tenant,
    today: NaiveDate,
    since: DateTime<Utc>,
    digest: &mut Digest,
    marks: &mut Marks,
) -> Result<(), StoreError> {
    let tenant = t.id;
    for cert in certificates::all(store, tenant)? {
        let Some(expiry) = cert.expiry_date else {
            continue;
        };
        if cert.status == CertStatus::Revoked {
            continue;
        }
        let Some(now_stage) = stage(expiry, today, &t.expiry_windows) else {
            continue;
        };
        let announced = digests::announced(store, tenant, cert.id)?
            .filter(|a| a.expiry == expiry)
            .map(|a| a.stage);
        if !is_news(now_stage, announced) {
            continue;
        }
        // Certificates that expired before the period this digest covers are old news
        // (on a tenant's first digest: everything that expired long ago).
        if now_stage == Stage::Expired && expiry < since.date_naive() {
            continue;
        }
        let line = ExpiryLine {
            supplier: supplier(store, tenant, cert.organization_id)?,
            certificate_type: cert_types::get(store, tenant, cert.certificate_type_id)?
                .map_or_else(String::new, |ty| ty.name),
            number: cert.certificate_number.clone(),
            expiry,
            days_left: (expiry - today).num_days(),
        };
        match now_stage {
            Stage::Expired => digest.expired.push(line),
            Stage::Window(_) => digest.expiring.push(line),
        }
        marks.certificates.push((
            cert.id,
            Announced {
                expiry,
                stage: now_stage,
            },
        ));
    }
    digest
        .expiring
        .sort_by(|a, b| (a.expiry, &a.supplier).cmp(&(b.expiry, &b.supplier)));
    digest
        .expired
        .sort_by(|a, b| (a.expiry, &a.supplier).cmp(&(b.expiry, &b.supplier)));

    let order =
        |a: &ExpiryLine, b: &ExpiryLine| (a.expiry, &a.supplier).cmp(&(b.expiry, &b.supplier));
    digest.expiring.sort_by(order);
    digest.expired.sort_by(order);
    Ok(())
}

/// Monitored pages that started failing (announced once), and the marks of those that
/// recovered.
fn add_failing(
    store: &Store,
    tenant: Uuid,
    digest: &mut Digest,
    marks: &mut Marks,
) -> Result<(), StoreError> {
    for ep in endpoints::all(store, tenant)? {
        let failing = ep.is_active && ep.consecutive_failures >= FAILING_AFTER;
        let reported = digests::failing_reported(store, tenant, ep.id)?;
        if failing && !reported {
            digest.failing.push(FailingLine {
                supplier: supplier(store, tenant, ep.organization_id)?,
                url: ep.url.clone(),
                failures: ep.consecutive_failures,
                last_error: ep.last_error.clone(),
            });
            marks.endpoints.push((ep.id, true));
        } else if !failing && reported && ep.consecutive_failures == 0 {
            marks.endpoints.push((ep.id, false));
        }
    }

    Ok(())
}

/// Webhook deliveries that failed since the last digest.
fn add_failed_deliveries(
    store: &Store,
    tenant: Uuid,
    since: DateTime<Utc>,
    digest: &mut Digest,
) -> Result<(), StoreError> {
    for d in deliveries::of_tenant(store, tenant, |d| {
        d.status == DeliveryStatus::Failed && d.updated_at > since
    })? {
        digest.failed_deliveries.push(DeliveryLine {
            subscriber: subscribers::get(store, tenant, d.subscriber_id)?
                .map_or_else(|| "(deleted)".into(), |s| s.name),
            event_type: d.event_type,
            at: d.updated_at,
        });
    }

    Ok(())
}

/// Certificate statuses the registers changed since the last digest: the
/// `certificate.status_changed` events that name a register.
fn add_register_changes(
    store: &Store,
    tenant: Uuid,
    since: DateTime<Utc>,
    digest: &mut Digest,
) -> Result<(), StoreError> {
    for e in events::all(store, tenant)? {
        if e.kind != EventKind::CertificateStatusChanged.as_str() || e.created_at <= since {
            continue;
        }
        let data: serde_json::Value = serde_json::from_str(&e.data)
            .map_err(|err| StoreError::Corrupt(format!("event data: {err}")))?;
        let Some(register) = data["provider"].as_str() else {
            continue;
        };
        let text = |field: &str| data[field].as_str().unwrap_or_default().to_string();
        digest.register_changes.push(RegisterLine {
            supplier: match e.organization_id {
                Some(org) => supplier(store, tenant, org)?,
                None => String::new(),
            },
            number: text("certificate_number"),
            register: register.to_string(),
            from: text("previous_status"),
            to: text("status"),
            at: e.created_at,
        });
    }
    Ok(())
}

/// Who gets the digest: the active admins, and the members who asked for it.
fn recipients(store: &Store, tenant: Uuid) -> Result<Vec<String>, StoreError> {
    let mut recipients = Vec::new();
    for m in memberships::of_tenant(store, tenant)? {
        if m.role != certwatch_domain::accounts::Role::Admin && !m.digest {
            continue;
        }
        if let Some(user) = users::get(store, m.user_id)?.filter(|u| u.is_active) {
            recipients.push(user.email);
        }
    }
    recipients.sort();
    Ok(recipients)
}

/// Records that `prepared` went out at `now` (one transaction; commit before sending).
pub fn mark_sent(
    store: &Store,
    tenant: Uuid,
    prepared: &Prepared,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    write_marks(store, tenant, &prepared.marks, Some(now))
}

fn write_marks(
    store: &Store,
    tenant: Uuid,
    marks: &Marks,
    sent: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    transact::<_, StoreError>(store, &[digests::TREES], |tx| {
        for (cert, announced) in &marks.certificates {
            digests::set_announced(tx, tenant, *cert, announced)?;
        }
        for (endpoint, on) in &marks.endpoints {
            digests::set_failing_reported(tx, tenant, *endpoint, *on)?;
        }
        if let Some(at) = sent {
            digests::set_last_sent(tx, tenant, at)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_domain::accounts::{Membership, Role, Tenant, User};
    use certwatch_domain::digest::{DEFAULT_WINDOWS, Frequency};
    use certwatch_domain::registry::{Certificate, Organization};
    use chrono::NaiveDate;

    fn at(day: &str) -> DateTime<Utc> {
        format!("{day}T07:00:00Z").parse().unwrap()
    }

    /// A tenant with an admin, a member who did not ask for the digest, one supplier and
    /// one certificate expiring on 2027-03-31.
    fn seed(store: &Store) -> Uuid {
        let now = at("2027-01-01");
        let tenant = Tenant {
            id: Uuid::new_v4(),
            name: "Buyer".into(),
            created_at: now,
            public_listing: false,
            digest_frequency: Frequency::Daily,
            expiry_windows: DEFAULT_WINDOWS.to_vec(),
            reminders: certwatch_domain::requests::ReminderSettings::default(),
        };
        let user = |email: &str| User {
            id: Uuid::new_v4(),
            email: email.into(),
            password_hash: String::new(),
            is_active: true,
            created_at: now,
        };
        let (admin, member) = (user("admin@buyer.example"), user("member@buyer.example"));
        let org = Organization {
            name: "Nordic Steel".into(),
            ..Organization::new(tenant.id, now)
        };
        let cert = Certificate {
            id: Uuid::new_v4(),
            tenant_id: tenant.id,
            organization_id: org.id,
            certificate_type_id: Uuid::new_v4(),
            certificate_number: "Q-1".into(),
            issuing_body: String::new(),
            scope: String::new(),
            issue_date: None,
            expiry_date: NaiveDate::from_ymd_opt(2027, 3, 31),
            status: CertStatus::Active,
            document_url: None,
            source_url: None,
            document_hash: None,
            last_checked: None,
            created_at: now,
            updated_at: now,
        };
        let tables = [
            tenants::TREES,
            users::TREES,
            memberships::TREES,
            organizations::TREES,
            certificates::TREES,
        ];
        transact::<_, StoreError>(store, &tables, |tx| {
            tenants::put(tx, &tenant)?;
            for (u, role) in [(&admin, Role::Admin), (&member, Role::Member)] {
                users::put(tx, u)?;
                memberships::put(
                    tx,
                    &Membership {
                        tenant_id: tenant.id,
                        user_id: u.id,
                        role,
                        created_at: now,
                        digest: false,
                    },
                )?;
            }
            organizations::put(tx, &org)?;
            certificates::put(tx, &cert, None)
        })
        .unwrap();
        tenant.id
    }

    fn send(store: &Store, tenant: Uuid, day: &str) -> Option<Prepared> {
        let prepared = prepare(store, tenant, at(day)).unwrap()?;
        mark_sent(store, tenant, &prepared, at(day)).unwrap();
        Some(prepared)
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn each_window_is_announced_once_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let tenant = {
            let store = Store::open(dir.path()).unwrap();
            let tenant = seed(&store);
            // Further off than every window: nothing to say.
            assert!(send(&store, tenant, "2027-02-01").is_none());
            let first = send(&store, tenant, "2027-03-05").expect("the 30-day window");
            assert_eq!(first.recipients, ["admin@buyer.example"]);
            assert_eq!(first.digest.expiring.len(), 1);
            assert_eq!(first.digest.expiring[0].supplier, "Nordic Steel");
            assert_eq!(first.digest.expiring[0].days_left, 26);
            store.flush().unwrap();
            tenant
        };
        // After a restart the marks are still there: the next days say nothing new.
        let store = crate::engine::handle::tests::open_when_free(dir.path())
            .await
            .unwrap();
        assert!(send(&store, tenant, "2027-03-06").is_none());
        assert!(send(&store, tenant, "2027-03-20").is_none());
        let week = send(&store, tenant, "2027-03-25").expect("the 7-day window");
        assert_eq!(week.digest.expiring[0].days_left, 6);
        assert!(send(&store, tenant, "2027-03-26").is_none());
        let day = send(&store, tenant, "2027-03-30").expect("the 1-day window");
        assert_eq!(day.digest.expiring[0].days_left, 1);
        let expired = send(&store, tenant, "2027-04-01").expect("expired");
        assert!(expired.digest.expiring.is_empty());
        assert_eq!(expired.digest.expired.len(), 1);
        assert!(send(&store, tenant, "2027-04-02").is_none());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_digest_waits_for_its_period_and_reaches_members_who_asked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tenant = seed(&store);
        let member = memberships::of_tenant(&store, tenant)
            .unwrap()
            .into_iter()
            .find(|m| m.role == Role::Member)
            .unwrap();
        crate::ops::members::set_digest(&store, tenant, member.user_id, true).unwrap();
        tenants::update(&store, tenant, |t| t.digest_frequency = Frequency::Weekly).unwrap();
        let first = send(&store, tenant, "2027-03-05").unwrap();
        assert_eq!(
            first.recipients,
            ["admin@buyer.example", "member@buyer.example"]
        );
        // Weekly: six days later nothing is due yet.
        assert!(prepare(&store, tenant, at("2027-03-11")).unwrap().is_none());
        assert!(send(&store, tenant, "2027-03-25").is_some());
    }
}
