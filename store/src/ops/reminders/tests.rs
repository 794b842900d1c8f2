use super::*;
use crate::engine::secrets::key_hash;
use crate::ops::accounts::{Registration, register};
use crate::ops::{certificates, contacts, organizations, requirements};
use crate::tables;
use certwatch_domain::compliance::{AppliesTo, RequirementPatch};
use certwatch_domain::contacts::ContactPatch;
use certwatch_domain::history::ChangedBy;
use certwatch_domain::registry::{CertPatch, OrgPatch};
use chrono::Duration;

struct World {
    store: Store,
    tenant: Uuid,
    org: Uuid,
    cert: Uuid,
    _dir: tempfile::TempDir,
}

/// A tenant requiring ISO 9001 of everyone, and one supplier with a contact and an ISO
/// 9001 certificate expiring in `days`.
fn world(now: DateTime<Utc>, days: i64) -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let reg = Registration {
        tenant_id: uuid::Uuid::new_v4(),
        email: "buyer@example.com".into(),
        password_hash: "x".into(),
        organization_name: "Buyer".into(),
        verification: key_hash("v"),
    };
    let (tenant, _) = register(&store, reg, now).unwrap();
    let t = tenant.id;
    let iso = tables::cert_types::by_code(&store, t, "ISO_9001")
        .unwrap()
        .unwrap();
    let org_patch = OrgPatch {
        name: Some("Gießerei Nord".into()),
        ..Default::default()
    };
    let org = organizations::edit(&store, t, None, org_patch, now).unwrap();
    let contact = ContactPatch {
        name: Some("Q. Manager".into()),
        email: Some("qm@giesserei.example".into()),
        ..Default::default()
    };
    contacts::edit(&store, t, org.id, None, contact, now).unwrap();
    let requirement = RequirementPatch {
        certificate_type_id: Some(iso.id),
        applies_to: Some(AppliesTo::All),
    };
    requirements::edit(&store, t, None, requirement, now).unwrap();
    let cert = CertPatch {
        organization_id: Some(org.id),
        certificate_type_id: Some(iso.id),
        certificate_number: Some("Q-1".into()),
        expiry_date: Some(Some(now.date_naive() + Duration::days(days))),
        ..Default::default()
    };
    let cert = certificates::edit(&store, t, None, cert, ChangedBy::User(Uuid::nil()), now)
        .unwrap()
        .value;
    World {
        store,
        tenant: t,
        org: org.id,
        cert: cert.id,
        _dir: dir,
    }
}

fn pass(w: &World, now: DateTime<Utc>) -> Pass {
    run(&w.store, w.tenant, now, 30).unwrap().value
}

#[tokio::test]
async fn an_expiring_certificate_is_asked_for_once_then_reminded_on_the_cadence() {
    let now: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
    let w = world(now, 50);
    let first = pass(&w, now);
    assert_eq!((first.opened, first.mails.len()), (1, 1));
    assert_eq!(first.mails[0].to, "qm@giesserei.example");
    assert_eq!(first.mails[0].current.as_ref().unwrap().0, "Q-1");
    // The same day and the next week: same window, nothing more.
    assert_eq!(pass(&w, now + Duration::hours(1)).mails.len(), 0);
    assert_eq!(pass(&w, now + Duration::days(7)).mails.len(), 0);
    // 29 days left: the 30-day window.
    let window = pass(&w, now + Duration::days(21));
    assert_eq!((window.reminded, window.opened), (1, 0));
    // Expired: reminded at once, then weekly.
    let after = now + Duration::days(51);
    assert_eq!(pass(&w, after).reminded, 1);
    assert_eq!(pass(&w, after + Duration::days(3)).reminded, 0);
    assert_eq!(pass(&w, after + Duration::days(7)).reminded, 1);
    let open = tables::cert_requests::open_for(
        &w.store,
        w.tenant,
        w.org,
        tables::cert_types::by_code(&w.store, w.tenant, "ISO_9001")
            .unwrap()
            .unwrap()
            .id,
    )
    .unwrap()
    .unwrap();
    assert_eq!(open.mails.len(), 4);
    assert_eq!(open.basis.certificate, Some(w.cert));
}

#[tokio::test]
async fn a_renewed_certificate_fulfils_the_request() {
    let now: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
    let w = world(now, 20);
    assert_eq!(pass(&w, now).opened, 1);
    let renew = CertPatch {
        expiry_date: Some(Some(now.date_naive() + Duration::days(1000))),
        ..Default::default()
    };
    let later = now + Duration::days(2);
    let _ = certificates::edit(
        &w.store,
        w.tenant,
        Some(w.cert),
        renew,
        ChangedBy::User(Uuid::nil()),
        later,
    )
    .unwrap();
    let done = pass(&w, later);
    assert_eq!(done.fulfilled, 1);
    let all = tables::cert_requests::all(&w.store, w.tenant).unwrap();
    assert_eq!(all[0].status, RequestStatus::Fulfilled);
    assert_eq!(all[0].fulfilled_by, Some(w.cert));
    // Valid now: nothing is opened again.
    assert_eq!(pass(&w, later + Duration::days(1)).opened, 0);
}

#[tokio::test]
async fn a_supplier_without_contacts_cannot_be_asked() {
    let now: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
    let w = world(now, 10);
    for c in tables::contacts::of_org(&w.store, w.tenant, w.org).unwrap() {
        contacts::delete(&w.store, w.tenant, w.org, c.id).unwrap();
    }
    let p = pass(&w, now);
    assert_eq!((p.opened, p.cannot_ask, p.mails.len()), (0, 1, 0));
}
