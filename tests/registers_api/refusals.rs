//! What the registers refuse: a 429's `Retry-After` obeyed (no request storm), spent
//! credits and a refused key pausing the provider for the tenant (on the provider list and
//! in /metrics) until an admin saves it again, a budget that stops lookups that cost, and
//! FSC asked by licence code.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::register::{Register, Reply};
use crate::common::{Server, eventually, eventually_within, read_mails};
use crate::providers::fsc_record;
use crate::{entity, provider, set_provider, tenant, verified, verify};

#[tokio::test]
async fn a_rate_limit_is_waited_out_and_spent_credits_pause_the_provider() {
    // The first request is told to wait two seconds; keys ending "broke" have no credits.
    let asked = Arc::new(AtomicUsize::new(0));
    let times = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let (count, at) = (asked.clone(), times.clone());
    let register = Register::start(move |req| {
        at.lock().unwrap().push(Instant::now());
        let key = req.header("x-http-authorization").unwrap_or_default();
        if key.ends_with("broke") {
            return Reply::json(
                403,
                json!({"type": "string", "title": "Insufficient credit.", "status": 403,
                       "detail": "You are trying to access data that exceeds your available credits.",
                       "instance": "/company", "code": "insufficient_credit"}),
            );
        }
        if count.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::json(429, json!({"title": "Too many requests"}))
                .with_header("retry-after", "2");
        }
        Reply::json(200, json!({"data": entity("ce_1", "Q-1", "Active")}))
    })
    .await;
    let s = Server::start(&[("CERTWATCH_IAF_API_URL", &register.url(""))]);
    let t = tenant(&s, "q@rate.example", "Muster Metall GmbH", "Q-1").await;

    let saved = set_provider(
        &s,
        &t.key,
        "iaf_certsearch",
        json!({"api_key": "k-ok", "monthly_credit_budget": 5}),
    )
    .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    let waiting = eventually("the 429 noted", async || {
        let p = provider(&s, &t.key, "iaf_certsearch").await;
        p["retry_at"].is_string().then_some(p)
    })
    .await;
    assert!(
        waiting["last_error"].as_str().unwrap().contains("wait"),
        "{waiting}"
    );
    assert_eq!(waiting["paused"], false);
    verified(&s, &t.key, &t.cert, "active", "ACTIVE").await;
    let times = times.lock().unwrap().clone();
    assert_eq!(
        times.len(),
        2,
        "one request, then one after the wait: no storm"
    );
    assert!(
        times[1] - times[0] >= Duration::from_secs(2),
        "Retry-After obeyed"
    );
    let after = provider(&s, &t.key, "iaf_certsearch").await;
    assert!(
        after["retry_at"].is_null() && after["last_error"].is_null(),
        "{after}"
    );

    // Credits spent: the provider pauses, says why, and asks nothing more.
    let b = tenant(&s, "q@broke.example", "Beispiel Guss AG", "Q-1").await;
    set_provider(
        &s,
        &b.key,
        "iaf_certsearch",
        json!({"api_key": "k-broke", "monthly_credit_budget": 5}),
    )
    .await;
    let paused = eventually("the provider paused", async || {
        let p = provider(&s, &b.key, "iaf_certsearch").await;
        (p["paused"] == true).then_some(p)
    })
    .await;
    assert!(
        paused["paused_reason"]
            .as_str()
            .unwrap()
            .contains("credits"),
        "{paused}"
    );
    let before = register.requests().len();
    let r = verify(&s, &b.key, &b.cert).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["error"].as_str().unwrap().contains("paused"),
        "{:?}",
        r.body
    );
    let metrics = s.metrics().await;
    let paused_line = metrics
        .lines()
        .find(|l| l.starts_with("certwatch_register_providers_paused{provider=\"iaf_certsearch\"}"))
        .unwrap_or_else(|| panic!("no paused gauge in:\n{metrics}"));
    assert!(paused_line.ends_with(" 1"), "{paused_line}");
    assert!(metrics.contains("certwatch_register_refusals_total{provider=\"iaf_certsearch\"} 2"));
    // The other tenant goes on.
    let r = verify(&s, &t.key, &t.cert).await;
    assert_eq!(r.status, 202);
    eventually("tenant a checked again", async || {
        (register.requests().len() > before).then_some(())
    })
    .await;
    assert!(
        register.requests()[before..]
            .iter()
            .all(|r| r.header("x-http-authorization") == Some("k-ok"))
    );
    // An admin saves a new key: the pause is lifted and the certificate checked.
    set_provider(
        &s,
        &b.key,
        "iaf_certsearch",
        json!({"api_key": "k-topped-up"}),
    )
    .await;
    verified(&s, &b.key, &b.cert, "active", "ACTIVE").await;
    let resumed = provider(&s, &b.key, "iaf_certsearch").await;
    assert_eq!(
        (
            resumed["paused"].clone(),
            resumed["monthly_credit_budget"].clone()
        ),
        (json!(false), json!(5))
    );
}

#[tokio::test]
async fn no_budget_no_lookup_that_costs_and_fsc_by_licence_code() {
    let register = Register::start(|req| match req.path.as_str() {
        "/fsc/FSC-C127951" => Reply::json(200, fsc_record("FSC-C127951", "Issued", "Suspended")),
        "/fsc/FSC-C000001" => Reply::json(200, fsc_record("FSC-C000001", "Issued", "Valid")),
        _ => Reply::json(200, json!({"data": entity("ce_1", "Q-1", "Active")})),
    })
    .await;
    let s = Server::start(&[
        ("CERTWATCH_IAF_API_URL", &register.url("/iaf")),
        ("CERTWATCH_FSC_API_URL", &register.url("/fsc")),
        ("CERTWATCH_DIGEST_CHECK_SECS", "1"),
    ]);
    let t = tenant(&s, "q@budget.example", "Muster Metall GmbH", "Q-1").await;
    set_provider(&s, &t.key, "iaf_certsearch", json!({"api_key": "k"})).await;
    let noted = eventually("the budget noted", async || {
        let p = provider(&s, &t.key, "iaf_certsearch").await;
        p["last_error"].as_str().map(str::to_string)
    })
    .await;
    assert!(noted.contains("budget"), "{noted}");
    assert!(
        register.requests().is_empty(),
        "a budget of 0 buys no lookup"
    );
    let c = crate::certificate(&s, &t.key, &t.cert).await;
    assert!(c["verification"].is_null());

    // FSC: its own type, asked by licence code with the subscription key.
    let fsc_type = s
        .post(
            "/api/certificates/types/",
            Some(&t.key),
            json!({"code": "FSC_COC", "name": "FSC Chain of Custody"}),
        )
        .await;
    assert_eq!(fsc_type.status, 201, "{:?}", fsc_type.body);
    let licence = s
        .post(
            "/api/certificates/",
            Some(&t.key),
            json!({"organization": t.org, "certificate_type_id": fsc_type.body["id"],
                   "certificate_number": "FSC-C127951", "expiry_date": "2028-05-19"}),
        )
        .await;
    assert_eq!(licence.status, 201, "{:?}", licence.body);
    let id = licence.body["id"].as_str().unwrap();
    let saved = set_provider(&s, &t.key, "fsc", json!({"api_key": "fsc-sub-key"})).await;
    assert_eq!(
        saved.body["monthly_credit_budget"],
        serde_json::Value::Null,
        "FSC charges nothing"
    );
    let c = eventually_within(Duration::from_secs(20), "the licence checked", async || {
        let c = crate::certificate(&s, &t.key, id).await;
        (c["status"] == "SUSPENDED").then_some(c)
    })
    .await;
    assert_eq!(c["verification"]["provider"], "fsc");
    assert_eq!(
        c["verification"]["raw_status"],
        "CertificateStatus Issued, LicenseStatus Suspended"
    );
    assert_eq!(c["verification"]["mismatch"], json!([]));
    let fsc_requests: Vec<_> = register
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/fsc/"))
        .collect();
    assert_eq!(fsc_requests.len(), 1);
    assert_eq!(
        fsc_requests[0].header("ocp-apim-subscription-key"),
        Some("fsc-sub-key")
    );
    assert!(
        register
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/iaf"))
    );
    // The admins' digest tells the change.
    let digest = eventually_within(Duration::from_secs(30), "the digest", async || {
        read_mails(&s.outbox())
            .into_iter()
            .find(|m| m.contains("CertWatch digest for") && m.contains("FSC-C127951"))
    })
    .await;
    assert!(digest.contains("changed by a register"), "{digest}");
    assert!(
        digest.contains("ACTIVE =E2=86=92 SUSPENDED") || digest.contains("ACTIVE → SUSPENDED"),
        "{digest}"
    );

    // A person records what a register without an API says.
    let manual = s
        .post(
            &format!("/api/certificates/{id}/verifications/"),
            Some(&t.key),
            json!({"status": "active", "raw_status": "Valid", "evidence": "https://search.fsc.org/ 2026-12-05: Valid"}),
        )
        .await;
    assert_eq!(manual.status, 201, "{:?}", manual.body);
    assert_eq!(manual.body["provider"], "manual");
    let c = crate::certificate(&s, &t.key, id).await;
    assert_eq!(
        (c["status"].clone(), c["verification"]["provider"].clone()),
        (json!("ACTIVE"), json!("manual"))
    );
    for bad in [
        json!({"status": "active"}),
        json!({"status": "great", "evidence": "x"}),
        json!({"status": "unknown", "evidence": "x"}),
    ] {
        let r = s
            .post(
                &format!("/api/certificates/{id}/verifications/"),
                Some(&t.key),
                bad.clone(),
            )
            .await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.body);
    }
    let checks = s
        .get(
            &format!("/api/certificates/{id}/verifications/"),
            Some(&t.key),
        )
        .await;
    assert_eq!(checks.body["count"], 2);
}

/// Every byte of every file under `dir`.
#[tokio::test]
async fn a_saved_key_survives_kill_9_sealed_and_still_opens() {
    let iaf = crate::Iaf::default();
    let register = iaf.start().await;
    let key = "sealed-iaf-key-0193";
    iaf.set(key, "ce_k", "Q-1", "Active");
    let mut s = Server::start(&[("CERTWATCH_IAF_API_URL", &register.url("/iaf"))]);
    let t = tenant(&s, "q@sealed.example", "Muster Metall GmbH", "Q-1").await;
    let saved = set_provider(
        &s,
        &t.key,
        "iaf_certsearch",
        json!({"api_key": key, "monthly_credit_budget": 1}),
    )
    .await;
    assert_eq!(saved.status, 200);
    // Killed right after the 2xx: the account is there, its key usable, never in clear.
    s.restart();
    let p = provider(&s, &t.key, "iaf_certsearch").await;
    assert_eq!(
        (p["configured"].clone(), p["api_key_hint"].clone()),
        (json!(true), json!("…0193"))
    );
    let on_disk = crate::common::files_under(&s.data_dir);
    assert!(
        !on_disk.windows(key.len()).any(|w| w == key.as_bytes()),
        "the key is sealed at rest"
    );
    verified(&s, &t.key, &t.cert, "active", "ACTIVE").await;
    assert!(
        register
            .requests()
            .iter()
            .all(|r| r.header("x-http-authorization") == Some(key))
    );
}
