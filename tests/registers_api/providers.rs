//! The register providers against a stand-in register on loopback serving the shapes of
//! IAF CertSearch's and FSC's developer guides: what each sends (and to whom, with which
//! key), how it reads the answers, and how it takes the registers' refusals.

use std::time::Duration;

use crate::common::register::{Register, Reply};
use certwatch_actors::registers::{
    Fsc, IDS_PER_REQUEST, Iaf, RegisterError, StatusProvider, Subject,
};
use certwatch_domain::verification::RegisterStatus;
use serde_json::json;

pub fn entity(ce_id: &str, number: &str, status: &str) -> serde_json::Value {
    json!({
        "ce_id": ce_id,
        "matched_certified_entity_name": "Muster Metall GmbH",
        "match_status": "matched",
        "country": "DE",
        "certificates": [{
            "cert_id": "cert_1",
            "certification_bodies_name": "TÜV SÜD Management Service GmbH",
            "certification_number": number,
            "certification_status": status,
            "certification_standards_scheme": [{"standard_name": "ISO 9001:2015", "scheme_name": "QMS", "is_accredited_mla": true}],
            "certification_main_sites": [],
        }],
        "updated_at": 1733390000,
    })
}

fn subject() -> Subject {
    Subject {
        company_name: "Muster Metall GmbH".into(),
        country: "DE".into(),
        vat: Some("DE123456789".into()),
        certificate_number: "12 100 48563 TMS".into(),
        entity_id: None,
    }
}

#[tokio::test]
async fn a_company_is_found_once_by_name_then_looked_up_by_id_for_free() {
    let register = Register::start(|req| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/api/company") => Reply::json(
            200,
            json!({"data": entity("ce_1", "12100 48563 TMS", "Active")}),
        ),
        ("GET", "/api/company/ce_1") => Reply::json(
            200,
            json!({"data": entity("ce_1", "12100 48563 TMS", "Suspended")}),
        ),
        _ => Reply::json(
            404,
            json!({"title": "Not found", "status": 404, "code": "not_found"}),
        ),
    })
    .await;
    let iaf = Iaf::new(&register.url("/api")).unwrap();
    let first = iaf.check("key-A", &subject()).await.unwrap();
    assert_eq!(first.status, RegisterStatus::Active);
    assert_eq!(first.credits, 1);
    assert_eq!(first.entity_id.as_deref(), Some("ce_1"));
    assert!(first.evidence.contains("ce_1"));
    let entry = first.entry.unwrap();
    assert_eq!(
        entry.body.as_deref(),
        Some("TÜV SÜD Management Service GmbH")
    );
    let again = Subject {
        entity_id: first.entity_id,
        ..subject()
    };
    let second = iaf.check("key-A", &again).await.unwrap();
    assert_eq!(
        (second.status, second.credits),
        (RegisterStatus::Suspended, 0)
    );
    let seen = register.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("x-http-authorization"), Some("key-A"));
    let sent: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"company_name": "Muster Metall GmbH", "company_country": "DE",
               "company_identifiers": {"vat": "DE123456789"}, "match_rate": 90})
    );
    assert_eq!(seen[1].path, "/api/company/ce_1");
}

#[tokio::test]
async fn another_number_no_company_and_the_registers_refusals() {
    let register = Register::start(|req| match req.header("x-http-authorization") {
        Some("other-number") => {
            Reply::json(200, json!({"data": entity("ce_2", "99999", "Active")}))
        }
        Some("nobody") => Reply::json(
            404,
            json!({"title": "Not found", "status": 404, "code": "not_found"}),
        ),
        Some("broke") => Reply::json(
            403,
            json!({"type": "string", "title": "Insufficient credit.", "status": 403,
            "detail": "You are trying to access data that exceeds your available credits.",
            "instance": "/company", "code": "insufficient_credit"}),
        ),
        Some("slow-down") => Reply::json(429, json!({})).with_header("retry-after", "7"),
        Some("flood") => Reply::json(429, json!({})).with_header("retry-after", "999999"),
        Some("huge") => Reply::text(200, "x".repeat(600 * 1024)),
        Some("garbage") => Reply::text(200, "<html>maintenance</html>".into()),
        _ => Reply::json(
            401,
            json!({"title": "Unauthorized access.", "status": 401, "code": "unauthorized"}),
        ),
    })
    .await;
    let iaf = Iaf::new(&register.url("")).unwrap();
    let a = iaf.check("other-number", &subject()).await.unwrap();
    assert_eq!(
        (a.status, a.entry.is_none()),
        (RegisterStatus::NotFound, true)
    );
    assert_eq!(a.entity_id.as_deref(), Some("ce_2"));
    let a = iaf.check("nobody", &subject()).await.unwrap();
    assert_eq!(
        (a.status, a.credits, a.entity_id),
        (RegisterStatus::NotFound, 0, None)
    );
    let e = iaf.check("broke", &subject()).await.unwrap_err();
    assert_eq!(e, RegisterError::OutOfCredit);
    assert!(e.pauses());
    let e = iaf.check("wrong", &subject()).await.unwrap_err();
    assert_eq!(e, RegisterError::Unauthorized);
    assert!(e.pauses());
    assert_eq!(
        iaf.check("slow-down", &subject()).await.unwrap_err(),
        RegisterError::RateLimited(Duration::from_secs(7))
    );
    assert_eq!(
        iaf.check("flood", &subject()).await.unwrap_err(),
        RegisterError::RateLimited(Duration::from_secs(3600))
    );
    for hostile in ["huge", "garbage"] {
        let e = iaf.check(hostile, &subject()).await.unwrap_err();
        assert!(matches!(e, RegisterError::Failed(_)), "{hostile}: {e:?}");
        assert!(!e.pauses());
    }
}

#[tokio::test]
async fn many_ids_in_one_request_and_never_more_than_the_api_takes() {
    let register = Register::start(|_| {
        Reply::json(
            200,
            json!({"data": [entity("ce_1", "1", "Active"), entity("ce_2", "2", "Withdrawn")]}),
        )
    })
    .await;
    let iaf = Iaf::new(&register.url("")).unwrap();
    let ids = vec!["ce_1".to_string(), "ce_2".to_string()];
    let (found, _) = iaf.entities("k", &ids).await.unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[1].certificates[0].status, RegisterStatus::Withdrawn);
    assert_eq!(register.requests()[0].path, "/company/ce_1,ce_2");
    let too_many: Vec<String> = (0..=IDS_PER_REQUEST).map(|i| format!("ce_{i}")).collect();
    assert!(iaf.entities("k", &too_many).await.is_err());
    // An id is one path segment, whatever it holds.
    let _ = iaf.entities("k", &["../admin?x=1".to_string()]).await;
    assert_eq!(register.requests()[1].path, "/company/..%2Fadmin%3Fx=1");
}

pub fn fsc_record(code: &str, certificate: &str, licence: &str) -> serde_json::Value {
    json!([{
        "LicenseCode": code,
        "CertificateStatus": certificate,
        "LicenseStatus": licence,
        "FirstIssueDate": "2018-03-20",
        "LastIssueDate": "2023-03-20",
        "ExpiryDate": "2028-05-19",
        "CompanyName": "Nordic Timber AB",
        "LocalCompanyName": "",
        "CompanyCountry": "SWEDEN",
        "Standard": "FSC-STD-40-004 V3-1",
        "CertificateType": "COC",
        "Products": [],
    }])
}

#[tokio::test]
async fn fsc_is_asked_by_licence_code_with_the_subscription_key() {
    let register = Register::start(|req| match (req.header("ocp-apim-subscription-key"), req.path.as_str()) {
        (Some("sub-key"), "/api/FSCCertificateStatusSearch/FSC-C127951") => {
            Reply::json(200, fsc_record("FSC-C127951", "Issued", "Valid"))
        }
        (Some("sub-key"), "/api/FSCCertificateStatusSearch/FSC-C000002") => {
            Reply::json(200, fsc_record("FSC-C000002", "Issued", "Suspended"))
        }
        (Some("sub-key"), "/api/FSCCertificateStatusSearch/FSC-C000003") => {
            Reply::json(200, fsc_record("FSC-C000003", "Terminated", "Terminated"))
        }
        (Some("sub-key"), _) => Reply::json(200, json!([])),
        _ => Reply::json(401, json!({"statusCode": 401, "message": "Access denied due to invalid subscription key."})),
    })
    .await;
    let fsc = Fsc::new(&register.url("/api/FSCCertificateStatusSearch")).unwrap();
    assert!(fsc.covers("FSC_COC", "FSC-C127951"));
    assert!(!fsc.covers("FSC_COC", "SGSCH-COC-001234"));
    let subject = |number: &str| Subject {
        certificate_number: number.into(),
        ..Subject::default()
    };
    let a = fsc.check("sub-key", &subject("fsc-c127951")).await.unwrap();
    assert_eq!(a.status, RegisterStatus::Active);
    let entry = a.entry.unwrap();
    assert_eq!(entry.expiry.unwrap().to_string(), "2028-05-19");
    assert_eq!(
        entry.raw_status,
        "CertificateStatus Issued, LicenseStatus Valid"
    );
    assert!(a.evidence.contains("Nordic Timber AB"));
    assert_eq!(
        fsc.check("sub-key", &subject("FSC-C000002"))
            .await
            .unwrap()
            .status,
        RegisterStatus::Suspended
    );
    assert_eq!(
        fsc.check("sub-key", &subject("FSC-C000003"))
            .await
            .unwrap()
            .status,
        RegisterStatus::Withdrawn
    );
    assert_eq!(
        fsc.check("sub-key", &subject("FSC-C999999"))
            .await
            .unwrap()
            .status,
        RegisterStatus::NotFound
    );
    assert_eq!(
        fsc.check("other", &subject("FSC-C127951"))
            .await
            .unwrap_err(),
        RegisterError::Unauthorized
    );
    // Not a licence code: nothing is sent.
    let before = register.requests().len();
    assert!(fsc.check("sub-key", &subject("FSC-C1/../x")).await.is_err());
    assert_eq!(register.requests().len(), before);
    let seen = register.requests();
    assert_eq!(seen[0].path, "/api/FSCCertificateStatusSearch/FSC-C127951");
    assert!(seen.iter().all(|r| r.method == "GET"));
    assert!(
        seen.iter()
            .all(|r| r.header("x-http-authorization").is_none())
    );
}

fn with_id(company: &str, id: Option<&str>, number: &str) -> Subject {
    Subject {
        company_name: company.into(),
        country: "DE".into(),
        vat: None,
        certificate_number: number.into(),
        entity_id: id.map(str::to_string),
    }
}

#[tokio::test]
async fn a_round_asks_by_id_in_hundreds_finds_each_company_once_and_keeps_to_the_budget() {
    // Looked up by id: each requested id answers with its entity; by name: one company.
    let register = Register::start(|req| match (req.method.as_str(), req.path.as_str()) {
        ("GET", path) => {
            let ids = path
                .trim_start_matches("/company/")
                .split("%2C")
                .flat_map(|p| p.split(','));
            let found: Vec<_> = ids
                .filter(|id| *id != "ce_gone")
                .map(|id| entity(id, &format!("N-{id}"), "Active"))
                .collect();
            Reply::json(200, json!({ "data": found }))
        }
        _ => Reply::json(200, json!({"data": entity("ce_new", "N-a", "Suspended")})),
    })
    .await;
    let iaf = Iaf::new(&register.url("")).unwrap();
    let mut subjects: Vec<Subject> = (0..150)
        .map(|i| with_id("Known GmbH", Some(&format!("ce_{i}")), &format!("N-ce_{i}")))
        .collect();
    subjects.push(with_id("New AG", None, "N-a"));
    subjects.push(with_id("New AG", None, "N-b"));
    subjects.push(with_id("Moved AG", Some("ce_gone"), "N-c"));
    subjects.push(with_id("Nowhere GmbH", None, "N-d"));
    let round = iaf.check_all("k", &subjects, 1).await;
    let seen = register.requests();
    let gets = seen.iter().filter(|r| r.method == "GET").count();
    let posts = seen.iter().filter(|r| r.method == "POST").count();
    assert_eq!(
        (gets, posts),
        (2, 1),
        "151 ids in two lookups, one company found by name"
    );
    assert!(round.stopped.is_none() && round.failed.is_empty());
    assert_eq!(round.answers.len(), 152);
    // "Moved AG" (an id IAF no longer knows) and "Nowhere GmbH" wait for credits.
    assert_eq!(round.over_budget, 2);
    let credits: u32 = round.answers.iter().map(|(_, a)| a.credits).sum();
    assert_eq!(credits, 1);
    let by_name: Vec<_> = round.answers.iter().filter(|(i, _)| *i >= 150).collect();
    assert_eq!(by_name.len(), 2);
    assert_eq!(by_name[0].1.status, RegisterStatus::Suspended);
    assert_eq!(
        by_name[1].1.status,
        RegisterStatus::NotFound,
        "N-b is not in the entity"
    );
    assert!(
        by_name
            .iter()
            .all(|(_, a)| a.entity_id.as_deref() == Some("ce_new"))
    );
    let (_, first) = &round.answers[0];
    assert_eq!((first.status, first.credits), (RegisterStatus::Active, 0));
    assert!(
        first.evidence.contains("ce_0") && !first.evidence.contains("ce_1\""),
        "one entity's evidence"
    );
}

#[tokio::test]
async fn a_register_that_keeps_failing_stops_the_round_after_three() {
    let register = Register::start(|_| Reply::text(502, "bad gateway".into())).await;
    let fsc = Fsc::new(&register.url("")).unwrap();
    let subjects: Vec<Subject> = (0..10)
        .map(|i| Subject {
            certificate_number: format!("FSC-C00000{i}"),
            ..Subject::default()
        })
        .collect();
    let round = fsc.check_all("k", &subjects, u32::MAX).await;
    assert_eq!(register.requests().len(), 3);
    assert_eq!(round.failed.len(), 3);
    assert!(matches!(round.stopped, Some(RegisterError::Failed(_))));
    assert!(round.answers.is_empty());
}
