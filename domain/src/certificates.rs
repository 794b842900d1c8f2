//! Rules of certificates as plain functions: which one answers for a number, what changed,
//! what events a change produces, and when an approaching expiry is announced.

use chrono::{DateTime, NaiveDate, Utc};

use crate::events::{Event, EventKind};
use crate::registry::{CertStatus, Certificate};
use crate::rules::FieldError;

/// "is this certificate valid?" is answered with: the one valid longest, then the one
/// changed last.
pub fn current_certificate(found: &[Certificate]) -> Option<&Certificate> {
    found.iter().max_by_key(|c| (c.expiry_date, c.updated_at))
}

/// The fields a person or a reading can change that differ between two versions of a
/// certificate.
pub fn changed_fields(old: &Certificate, new: &Certificate) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |differs: bool, name: &'static str| {
        if differs {
            out.push(name);
        }
    };
    check(old.organization_id != new.organization_id, "organization");
    check(
        old.certificate_type_id != new.certificate_type_id,
        "certificate_type",
    );
    check(
        old.certificate_number != new.certificate_number,
        "certificate_number",
    );
    check(old.issuing_body != new.issuing_body, "issuing_body");
    check(old.scope != new.scope, "scope");
    check(old.issue_date != new.issue_date, "issue_date");
    check(old.expiry_date != new.expiry_date, "expiry_date");
    check(old.status != new.status, "status");
    check(old.document_url != new.document_url, "document_url");
    check(old.document_hash != new.document_hash, "document_hash");
    out
}

/// What a certificate event carries: enough for a receiver to act without calling back.
pub fn cert_event_data(c: &Certificate) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "organization_id": c.organization_id,
        "certificate_type_id": c.certificate_type_id,
        "certificate_number": c.certificate_number,
        "status": c.status.as_str(),
        "issue_date": c.issue_date,
        "expiry_date": c.expiry_date,
        "document_hash": c.document_hash,
    })
}

/// Expiry must not come before issue.
pub fn check_dates(issue: Option<NaiveDate>, expiry: Option<NaiveDate>) -> Result<(), FieldError> {
    match (issue, expiry) {
        (Some(i), Some(e)) if e < i => Err(FieldError::new(
            "expiry_date",
            "The expiry date must not be before the issue date.",
        )),
        _ => Ok(()),
    }
}

/// The events a certificate change produces.
pub fn certificate_events(
    old: Option<&Certificate>,
    new: &Certificate,
    now: DateTime<Utc>,
) -> Vec<Event> {
    let tenant = new.tenant_id;
    let org = Some(new.organization_id);
    let data = cert_event_data(new);
    let Some(old) = old else {
        return vec![Event::new(
            tenant,
            org,
            EventKind::CertificateCreated,
            data,
            now,
        )];
    };
    let mut events = vec![Event::new(
        tenant,
        org,
        EventKind::CertificateUpdated,
        data.clone(),
        now,
    )];
    if old.status != new.status {
        let mut changed = data.clone();
        changed["previous_status"] = old.status.as_str().into();
        events.push(Event::new(
            tenant,
            org,
            EventKind::CertificateStatusChanged,
            changed,
            now,
        ));
        if new.status == CertStatus::Expired {
            events.push(Event::new(
                tenant,
                org,
                EventKind::CertificateExpired,
                data.clone(),
                now,
            ));
        }
    }
    if old.document_hash != new.document_hash && new.document_hash.is_some() {
        let mut changed = data;
        changed["previous_document_hash"] = old.document_hash.clone().into();
        events.push(Event::new(
            tenant,
            org,
            EventKind::CertificateDocumentChanged,
            changed,
            now,
        ));
    }
    events
}

/// Days before expiry at which `certificate.expiring` is announced, widest first.
pub const EXPIRING_THRESHOLDS: [i64; 3] = [30, 7, 1];

/// The `certificate.expiring` event due for `cert` on `today`, given the tightest threshold
/// already announced, with the threshold it announces. Each threshold is announced once.
pub fn expiring_event(
    cert: &Certificate,
    today: NaiveDate,
    announced: Option<i64>,
    now: DateTime<Utc>,
) -> Option<(Event, i64)> {
    if cert.status != CertStatus::Active {
        return None;
    }
    let days_left = (cert.expiry_date? - today).num_days();
    let threshold = EXPIRING_THRESHOLDS
        .iter()
        .rev()
        .copied()
        .find(|t| (0..=*t).contains(&days_left))?;
    if announced.is_some_and(|a| a <= threshold) {
        return None;
    }
    let mut data = cert_event_data(cert);
    data["days_left"] = days_left.into();
    data["threshold_days"] = threshold.into();
    let event = Event::new(
        cert.tenant_id,
        Some(cert.organization_id),
        EventKind::CertificateExpiring,
        data,
        now,
    );
    Some((event, threshold))
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn sample(expiry: &str) -> Certificate {
        let now = Utc::now();
        Certificate {
            id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            organization_id: Uuid::new_v4(),
            certificate_type_id: Uuid::new_v4(),
            certificate_number: "C".into(),
            issuing_body: String::new(),
            scope: String::new(),
            issue_date: None,
            expiry_date: Some(expiry.parse().unwrap()),
            status: CertStatus::Active,
            document_url: None,
            source_url: None,
            document_hash: None,
            last_checked: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn change_events_name_what_changed() {
        let now = Utc::now();
        let old = sample("2027-01-14");
        let kinds = |events: Vec<Event>| events.into_iter().map(|e| e.kind).collect::<Vec<_>>();
        assert_eq!(
            kinds(certificate_events(None, &old, now)),
            ["certificate.created"]
        );
        let mut new = old.clone();
        new.document_hash = Some("abc".into());
        let events = certificate_events(Some(&old), &new, now);
        assert_eq!(events[1].kind, "certificate.document_changed");
        assert_eq!(events[0].organization_id, Some(old.organization_id));
        let data: serde_json::Value = serde_json::from_str(&events[1].data).unwrap();
        assert_eq!(
            (
                data["document_hash"].as_str(),
                data["previous_document_hash"].is_null()
            ),
            (Some("abc"), true)
        );
        new.status = CertStatus::Revoked;
        let k = kinds(certificate_events(Some(&old), &new, now));
        assert_eq!(
            k,
            [
                "certificate.updated",
                "certificate.status_changed",
                "certificate.document_changed"
            ]
        );
    }

    #[test]
    fn expiry_is_announced_once_per_threshold() {
        let now = Utc::now();
        let cert = sample("2027-01-31");
        let on = |d: &str| d.parse::<NaiveDate>().unwrap();
        assert!(
            expiring_event(&cert, on("2026-12-31"), None, now).is_none(),
            "31 days left"
        );
        let (e, t) = expiring_event(&cert, on("2027-01-01"), None, now).unwrap();
        assert_eq!((e.kind.as_str(), t), ("certificate.expiring", 30));
        assert!(
            expiring_event(&cert, on("2027-01-10"), Some(30), now).is_none(),
            "30 already announced"
        );
        assert_eq!(
            expiring_event(&cert, on("2027-01-24"), Some(30), now)
                .unwrap()
                .1,
            7
        );
        assert_eq!(
            expiring_event(&cert, on("2027-01-30"), Some(7), now)
                .unwrap()
                .1,
            1
        );
        assert!(expiring_event(&cert, on("2027-01-31"), Some(1), now).is_none());
        assert!(
            expiring_event(&cert, on("2027-02-01"), None, now).is_none(),
            "expired, not expiring"
        );
        let mut revoked = cert.clone();
        revoked.status = CertStatus::Revoked;
        assert!(expiring_event(&revoked, on("2027-01-30"), None, now).is_none());
    }

    fn cert(number: &str, expiry: Option<&str>, updated: &str) -> Certificate {
        let mut c = Certificate::new(
            Uuid::nil(),
            Uuid::nil(),
            Uuid::new_v4(),
            number.into(),
            updated.parse().unwrap(),
        );
        c.expiry_date = expiry.map(|d| d.parse().unwrap());
        c
    }

    #[test]
    fn the_current_certificate_is_valid_longest_then_changed_last() {
        let old = cert("Q-1", Some("2026-01-01"), "2026-11-01T00:00:00Z");
        let renewed = cert("Q-1", Some("2029-01-01"), "2025-01-01T00:00:00Z");
        let touched = cert("q 1", Some("2029-01-01"), "2026-06-01T00:00:00Z");
        let undated = cert("Q1", None, "2026-11-20T00:00:00Z");
        let all = [old, renewed, touched.clone(), undated];
        assert_eq!(current_certificate(&all).map(|c| c.id), Some(touched.id));
        assert!(current_certificate(&[]).is_none());
    }

    #[test]
    fn changed_fields_name_what_differs() {
        let a = cert("Q-1", Some("2026-01-01"), "2026-11-01T00:00:00Z");
        let mut b = a.clone();
        b.expiry_date = Some("2029-01-01".parse().unwrap());
        b.scope = "Machining".into();
        b.last_checked = Some(b.updated_at);
        assert_eq!(changed_fields(&a, &b), ["scope", "expiry_date"]);
        assert!(changed_fields(&a, &a).is_empty());
    }
}
