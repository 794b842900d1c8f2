//! Values that cannot be what they claim, over HTTP against the real server: impossible
//! dates on certificates and tokens, empty filters that take an id, a number or a choice,
//! and PATCH bodies that change nothing. Each is a 400 naming the field and changes
//! nothing.

mod common;

use common::Server;
use serde_json::{Value, json};

#[tokio::test]
async fn certificate_and_token_dates_must_be_real_and_sane() {
    let s = Server::start(&[]);
    let (key, _) = s.signup("q@buyer.example", "Buyer").await;
    let org = s
        .post("/api/organizations/", Some(&key), json!({"name": "Acme"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let iso = s.type_id(&key, "ISO_9001").await;
    let cert = |number: &str, issue: Value, expiry: Value| {
        json!({"organization": org, "certificate_type_id": iso, "certificate_number": number,
               "issue_date": issue, "expiry_date": expiry})
    };
    for (issue, expiry, field) in [
        (json!("2024-01-01"), json!("0000-01-01"), "expiry_date"),
        (json!("1949-12-31"), json!("2027-01-01"), "issue_date"),
        (json!("2024-01-01"), json!("2201-01-01"), "expiry_date"),
        (json!("2024-02-30"), json!("2027-01-01"), "issue_date"),
        (json!("2027-01-01"), json!("2024-01-01"), "expiry_date"),
    ] {
        let r = s
            .post("/api/certificates/", Some(&key), cert("C-1", issue, expiry))
            .await;
        assert_eq!(r.status, 400, "{:?}", r.body);
        assert!(r.body[field].is_array(), "{field}: {:?}", r.body);
    }
    let list = s.get("/api/certificates/", Some(&key)).await;
    assert_eq!(list.body["count"], 0, "nothing was created");

    let ok = s
        .post(
            "/api/certificates/",
            Some(&key),
            cert("C-1", json!("2024-01-01"), json!("2027-01-01")),
        )
        .await;
    assert_eq!(ok.status, 201, "{:?}", ok.body);
    let id = ok.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/certificates/{id}/");
    let patched = s
        .patch(&path, Some(&key), json!({"expiry_date": "0000-01-01"}))
        .await;
    assert_eq!(patched.status, 400, "{:?}", patched.body);
    assert!(patched.body["expiry_date"].is_array());
    let put = s
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&key),
            Some(cert("C-1", json!("2024-01-01"), json!("2200-12-32"))),
        )
        .await;
    assert_eq!(put.status, 400, "{:?}", put.body);
    assert_eq!(
        s.get(&path, Some(&key)).await.body["expiry_date"],
        "2027-01-01"
    );

    let token = s
        .post(
            "/api/auth/tokens/",
            Some(&key),
            json!({"name": "far", "expires_at": "9999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(token.status, 400, "{:?}", token.body);
    assert!(token.body["expires_at"].is_array());
}

#[tokio::test]
async fn empty_filters_and_empty_patches_are_refused() {
    let s = Server::start(&[]);
    let (key, _) = s.signup("q@buyer.example", "Buyer").await;
    for (path, param) in [
        ("/api/certificates/?organization=", "organization"),
        ("/api/certificates/?status=", "status"),
        ("/api/certificates/?type_code=", "type_code"),
        (
            "/api/certificates/?expiry_date_before=",
            "expiry_date_before",
        ),
        ("/api/organizations/?ordering=", "ordering"),
        ("/api/organizations/?page=", "page"),
        ("/api/organizations/?page_size=", "page_size"),
        ("/api/monitoring/logs/?endpoint=", "endpoint"),
        ("/api/monitoring/endpoints/?organization=", "organization"),
        ("/api/webhooks/deliveries/?subscriber=", "subscriber"),
    ] {
        let r = s.get(path, Some(&key)).await;
        assert_eq!(r.status, 400, "{path}: {:?}", r.body);
        assert_eq!(
            r.body[param],
            json!(["This parameter may not be empty."]),
            "{path}"
        );
    }
    // Free-text filters may be empty: they filter nothing.
    for path in ["/api/organizations/?search=", "/api/certificates/?search="] {
        assert_eq!(s.get(path, Some(&key)).await.status, 200, "{path}");
    }

    let org = s
        .post("/api/organizations/", Some(&key), json!({"name": "Acme"}))
        .await;
    let org_path = format!("/api/organizations/{}/", org.body["id"].as_str().unwrap());
    for path in ["/api/auth/tenant/", org_path.as_str()] {
        let r = s.patch(path, Some(&key), json!({})).await;
        assert_eq!(r.status, 400, "{path}: {:?}", r.body);
        assert_eq!(r.body["error"], "Send at least one field to change.");
    }
}
