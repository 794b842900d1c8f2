//! A certificate's life as IAF CertSearch tells it: found once by name (a credit), then
//! looked up by id for free; Active → Suspended → Active → Withdrawn driving its status,
//! history and webhooks; the key never shown again and never another tenant's.

use serde_json::json;

use crate::common::Server;
use crate::common::receiver::subscribed;
use crate::{Iaf, certificate, provider, set_provider, tenant, verified, verify};

const KEY_A: &str = "iaf-key-of-buyer-a-7781";
const KEY_B: &str = "iaf-key-of-buyer-b-4242";

#[tokio::test]
async fn a_register_drives_a_certificate_through_suspension_and_withdrawal() {
    let iaf = Iaf::default();
    let register = iaf.start().await;
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("server.log");
    let s = Server::start_logging_to(
        &[
            ("CERTWATCH_IAF_API_URL", &register.url("/iaf")),
            ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
            ("CERTWATCH_LOG", "debug"),
        ],
        &log,
    );
    let a = tenant(
        &s,
        "quality@buyer-a.example",
        "Muster Metall GmbH",
        "12 100 48563 TMS",
    )
    .await;
    let hooks = subscribed(&s, &a.key, json!(["certificate.status_changed"])).await;

    // No key yet: nothing to ask with.
    let r = verify(&s, &a.key, &a.cert).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(r.body["error"].as_str().unwrap().contains("no API key"));
    let listed = provider(&s, &a.key, "iaf_certsearch").await;
    assert_eq!(
        (listed["available"].clone(), listed["configured"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(provider(&s, &a.key, "fsc").await["available"], false);
    assert!(
        provider(&s, &a.key, "manual").await["lookup_pages"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );

    // A member may not see or set keys.
    let (member, _) = s
        .invite_and_accept(&a.key, "m@buyer-a.example", "member")
        .await;
    assert_eq!(
        s.get("/api/status-providers/", Some(&member)).await.status,
        403
    );
    let r = set_provider(&s, &member, "iaf_certsearch", json!({"api_key": "x"})).await;
    assert_eq!(r.status, 403);
    // Bad input changes nothing.
    for bad in [
        json!({}),
        json!({"api_key": "k", "monthly_credit_budget": -1}),
        json!({"api_key": "k", "enabled": "yes"}),
    ] {
        let r = set_provider(&s, &a.key, "iaf_certsearch", bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.body);
    }
    assert_eq!(
        set_provider(&s, &a.key, "manual", json!({"api_key": "k"}))
            .await
            .status,
        404
    );
    assert_eq!(
        set_provider(&s, &a.key, "nope", json!({"api_key": "k"}))
            .await
            .status,
        404
    );
    assert_eq!(
        provider(&s, &a.key, "iaf_certsearch").await["configured"],
        false
    );

    // The key saved: shown as its last four characters, and the certificate (never
    // checked) is checked at once — found by name, one credit.
    iaf.set(KEY_A, "ce_a", "12100 48563 TMS", "Active");
    let saved = set_provider(
        &s,
        &a.key,
        "iaf_certsearch",
        json!({"api_key": KEY_A, "monthly_credit_budget": 10}),
    )
    .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    assert_eq!(saved.body["api_key_hint"], "…7781");
    assert!(!saved.body.to_string().contains(KEY_A));
    let c = verified(&s, &a.key, &a.cert, "active", "ACTIVE").await;
    assert_eq!(c["verification"]["provider"], "iaf_certsearch");
    assert_eq!(c["verification"]["register_number"], "12100 48563 TMS");
    assert_eq!(c["verification"]["mismatch"], json!([]));
    let seen = register.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("POST", "/iaf/company")
    );
    let asked: serde_json::Value = serde_json::from_str(&seen[0].body).unwrap();
    assert_eq!(asked["company_name"], "Muster Metall GmbH");
    assert_eq!(asked["company_country"], "DE");
    assert_eq!(asked["company_identifiers"], json!({"vat": "DE123456789"}));
    // The budget changes without sending the key again.
    let budget = set_provider(
        &s,
        &a.key,
        "iaf_certsearch",
        json!({"monthly_credit_budget": 12}),
    )
    .await;
    assert_eq!(budget.status, 200, "{:?}", budget.body);
    assert_eq!(
        (
            budget.body["api_key_hint"].clone(),
            budget.body["monthly_credit_budget"].clone()
        ),
        (json!("…7781"), json!(12))
    );

    // Suspended: looked up by id, free; the certificate stops counting.
    iaf.set(KEY_A, "ce_a", "12100 48563 TMS", "Suspended");
    let r = verify(&s, &member, &a.cert).await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    assert_eq!(r.body["provider"], "iaf_certsearch");
    verified(&s, &a.key, &a.cert, "suspended", "SUSPENDED").await;
    let last = register.requests().pop().unwrap();
    assert_eq!(
        (last.method.as_str(), last.path.as_str()),
        ("GET", "/iaf/company/ce_a")
    );
    let cw = s
        .post("/api/auth/api-keys/", Some(&a.key), json!({"name": "ERP"}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    let v1 = s
        .http
        .get(format!("{}/api/v1/certificate/1210048563TMS", s.base))
        .header("Authorization", format!("Bearer {cw}"))
        .send()
        .await
        .unwrap();
    let v1: serde_json::Value = v1.json().await.unwrap();
    assert_eq!(v1["status"], "suspended", "{v1}");
    let filtered = s
        .get(
            "/api/certificates/?verification_status=suspended",
            Some(&a.key),
        )
        .await;
    assert_eq!(filtered.body["count"], 1);
    assert_eq!(
        s.get("/api/certificates/?status=SUSPENDED", Some(&a.key))
            .await
            .body["count"],
        1
    );
    assert_eq!(
        s.get("/api/certificates/?verification_status=maybe", Some(&a.key))
            .await
            .status,
        400
    );

    // Active again, then withdrawn: revoked for good.
    iaf.set(KEY_A, "ce_a", "12100 48563 TMS", "Active");
    verify(&s, &a.key, &a.cert).await;
    verified(&s, &a.key, &a.cert, "active", "ACTIVE").await;
    iaf.set(KEY_A, "ce_a", "12100 48563 TMS", "Withdrawn");
    verify(&s, &a.key, &a.cert).await;
    verified(&s, &a.key, &a.cert, "withdrawn", "REVOKED").await;
    assert_eq!(
        register
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count(),
        1,
        "the company was found once"
    );
    let spent = provider(&s, &a.key, "iaf_certsearch").await;
    assert_eq!(spent["credits_spent_this_month"], 1);

    // Every change is a webhook naming the register and the check, and a history entry.
    let got = hooks.wait_for(3).await;
    let changes: Vec<(String, String)> = got
        .iter()
        .map(|h| {
            let d = &h.body["data"];
            assert_eq!(d["provider"], "iaf_certsearch", "{d}");
            assert!(d["verification_id"].is_string());
            (
                d["previous_status"].as_str().unwrap().into(),
                d["status"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("ACTIVE", "SUSPENDED"),
            ("SUSPENDED", "ACTIVE"),
            ("ACTIVE", "REVOKED")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let history = s
        .get(
            &format!("/api/certificates/{}/history/", a.cert),
            Some(&a.key),
        )
        .await
        .body;
    let by_register = history["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["by"]["kind"] == "register")
        .count();
    assert_eq!(by_register, 3);
    let checks = s
        .get(
            &format!("/api/certificates/{}/verifications/", a.cert),
            Some(&a.key),
        )
        .await
        .body;
    assert_eq!(checks["count"], 4);
    let newest = &checks["results"][0];
    assert_eq!(newest["status"], "withdrawn");
    assert_eq!(newest["raw_status"], "Withdrawn");
    assert!(newest["evidence"].as_str().unwrap().contains("ce_a"));
    assert_eq!(got[2].body["data"]["verification_id"], newest["id"]);

    // Another tenant: the checks are 404, and its own key is the only one used for it.
    let b = tenant(&s, "quality@buyer-b.example", "Beispiel Guss AG", "Q-77").await;
    for path in [
        format!("/api/certificates/{}/verifications/", a.cert),
        format!("/api/certificates/{}/", a.cert),
    ] {
        assert_eq!(s.get(&path, Some(&b.key)).await.status, 404);
    }
    let r = verify(&s, &b.key, &a.cert).await;
    assert_eq!(r.status, 404);
    let r = verify(&s, &b.key, &b.cert).await;
    assert_eq!(r.status, 400, "B has no key: A's is never used for B");
    iaf.set(KEY_B, "ce_b", "Q-77", "Active");
    set_provider(
        &s,
        &b.key,
        "iaf_certsearch",
        json!({"api_key": KEY_B, "monthly_credit_budget": 1}),
    )
    .await;
    verified(&s, &b.key, &b.cert, "active", "ACTIVE").await;
    for req in register.requests() {
        let key = req.header("x-http-authorization").unwrap();
        let about_b = req.body.contains("Beispiel Guss") || req.path.ends_with("ce_b");
        assert_eq!(key, if about_b { KEY_B } else { KEY_A }, "{req:?}");
    }
    // Neither key is ever shown again, nor sent to anyone but the register.
    for who in [&a.key, &b.key] {
        let shown = s
            .get("/api/status-providers/", Some(who))
            .await
            .body
            .to_string();
        assert!(!shown.contains(KEY_A) && !shown.contains(KEY_B));
    }
    assert!(hooks.received().iter().all(|h| !h.raw_body.contains(KEY_A)));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("register"), "the log is read");
    assert!(!logged.contains(KEY_A) && !logged.contains(KEY_B));

    // Removing the account stops checks; the checks made stay.
    assert_eq!(
        s.delete("/api/status-providers/iaf_certsearch/", Some(&a.key))
            .await
            .status,
        204
    );
    assert_eq!(
        s.delete("/api/status-providers/iaf_certsearch/", Some(&a.key))
            .await
            .status,
        404
    );
    assert_eq!(
        provider(&s, &a.key, "iaf_certsearch").await["configured"],
        false
    );
    let c = certificate(&s, &a.key, &a.cert).await;
    assert_eq!(c["verification"]["status"], "withdrawn");
}
