//! The integration API (/api/v1/) and its `cw_` keys, against the real server.

mod common;

use chrono::{Duration, Utc};
use common::Server;
use serde_json::{Value, json};

async fn v1(s: &Server, number: &str, header: (&str, String)) -> common::Answer {
    let r = s
        .http
        .get(format!("{}/api/v1/certificate/{number}", s.base))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap();
    common::answer(r).await
}

/// A new `cw_` key of the token's tenant.
async fn new_key(s: &Server, token: &str, name: &str) -> String {
    let r = s
        .post("/api/auth/api-keys/", Some(token), json!({"name": name}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["key"].as_str().unwrap().to_string()
}

fn bearer(key: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {key}"))
}

async fn certificate(s: &Server, token: &str, number: &str, expiry: &str, status: &str) -> Value {
    let org = s
        .post(
            "/api/organizations/",
            Some(token),
            json!({"name": format!("Org of {number}")}),
        )
        .await
        .body["id"]
        .clone();
    let types = s.get("/api/certificates/types/", Some(token)).await.body;
    let iscc = types["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "ISCC_EU")
        .unwrap()["id"]
        .clone();
    let r = s
        .post(
            "/api/certificates/",
            Some(token),
            json!({"organization": org, "certificate_type_id": iscc, "certificate_number": number, "expiry_date": expiry, "status": status}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn api_keys_are_managed_by_admins() {
    let s = Server::start(&[]);
    let (admin, _) = s.signup("a@one.example", "One").await;
    let (member, _) = s.invite_and_accept(&admin, "m@one.example", "member").await;
    assert_eq!(
        s.post("/api/auth/api-keys/", Some(&member), json!({"name": "x"}))
            .await
            .status,
        403
    );
    assert_eq!(
        s.post("/api/auth/api-keys/", Some(&admin), json!({}))
            .await
            .status,
        400
    );

    let created = s
        .post("/api/auth/api-keys/", Some(&admin), json!({"name": "ERP"}))
        .await;
    assert_eq!(created.status, 201);
    let key = created.body["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("cw_") && key.len() >= 35, "{key}");
    assert!(key.starts_with(created.body["prefix"].as_str().unwrap()));
    let id = created.body["id"].as_str().unwrap().to_string();

    let list = s.get("/api/auth/api-keys/", Some(&admin)).await;
    assert_eq!(list.body["count"], 1);
    let row = list.body["results"][0].as_object().unwrap();
    let mut fields: Vec<&str> = row.keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["created_at", "id", "last_used_at", "name", "prefix"]
    );
    assert!(row["last_used_at"].is_null());

    // Using the key is recorded.
    v1(&s, "NOPE", bearer(&key)).await;
    common::eventually("last_used_at never set", async || {
        let keys = s.get("/api/auth/api-keys/", Some(&admin)).await.body;
        (!keys["results"][0]["last_used_at"].is_null()).then_some(())
    })
    .await;

    let (other, _) = s.signup("b@two.example", "Two").await;
    assert_eq!(
        s.delete(&format!("/api/auth/api-keys/{id}/"), Some(&other))
            .await
            .status,
        404
    );
    assert_eq!(
        v1(&s, "NOPE", bearer(&key)).await.status,
        404,
        "still valid"
    );
    assert_eq!(
        s.delete(&format!("/api/auth/api-keys/{id}/"), Some(&admin))
            .await
            .status,
        204
    );
    assert_eq!(
        v1(&s, "NOPE", bearer(&key)).await.status,
        401,
        "revoked at once"
    );
}

#[tokio::test]
async fn certificate_status_by_number() {
    let s = Server::start(&[]);
    let (admin, _) = s.signup("a@one.example", "One").await;
    let key = new_key(&s, &admin, "ERP").await;
    let expiry = (Utc::now().date_naive() + Duration::days(400)).to_string();
    certificate(&s, &admin, "ISCC-EU-1234", &expiry, "ACTIVE").await;
    certificate(&s, &admin, "OLD-1", "2020-01-01", "ACTIVE").await;
    certificate(&s, &admin, "REV-1", &expiry, "REVOKED").await;

    let shown = chrono::NaiveDate::parse_from_str(&expiry, "%Y-%m-%d")
        .unwrap()
        .format("%d.%m.%Y")
        .to_string();
    for header in [bearer(&key), ("X-API-Key", key.clone())] {
        let r = v1(&s, "ISCC-EU-1234", header).await;
        assert_eq!(r.status, 200);
        // A manual entry: no last_checked at all.
        assert_eq!(
            r.body,
            json!({"cert_number": "ISCC-EU-1234", "status": "valid", "valid_until": shown})
        );
        assert_eq!(r.headers["x-ratelimit-limit"], "100");
        assert!(
            r.headers["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .parse::<u32>()
                .unwrap()
                < 100
        );
    }
    assert_eq!(
        v1(&s, "iscc-eu-1234", bearer(&key)).await.body["cert_number"],
        "ISCC-EU-1234"
    );
    assert_eq!(
        v1(&s, "OLD-1", bearer(&key)).await.body["status"],
        "expired",
        "ACTIVE but past expiry"
    );
    assert_eq!(
        v1(&s, "REV-1", bearer(&key)).await.body["status"],
        "revoked"
    );

    let missing = v1(&s, "NOT-THERE", bearer(&key)).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body["error"].is_string());
    for header in [
        (
            "Authorization",
            "Bearer cw_notarealkey0000000000000000000000000".to_string(),
        ),
        ("Authorization", format!("Token {key}")),
        ("Authorization", "Bearer".to_string()),
        ("X-API-Key", "not-a-cw-key".to_string()),
    ] {
        assert_eq!(
            v1(&s, "ISCC-EU-1234", header.clone()).await.status,
            401,
            "{header:?}"
        );
    }
    let bare = common::answer(
        s.http
            .get(format!("{}/api/v1/certificate/ISCC-EU-1234", s.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bare.status, 401);
    // A login token is not an API key.
    assert_eq!(v1(&s, "ISCC-EU-1234", bearer(&admin)).await.status, 401);
}

#[tokio::test]
async fn a_key_sees_only_its_own_tenant() {
    let s = Server::start(&[]);
    let (a, _) = s.signup("a@one.example", "One").await;
    let (b, _) = s.signup("b@two.example", "Two").await;
    let key_a = new_key(&s, &a, "A").await;
    let key_b = new_key(&s, &b, "B").await;
    certificate(&s, &a, "ONLY-A", "2030-01-01", "ACTIVE").await;
    certificate(&s, &a, "SHARED-1", "2030-01-01", "ACTIVE").await;
    certificate(&s, &b, "SHARED-1", "2031-06-30", "PENDING").await;

    assert_eq!(v1(&s, "ONLY-A", bearer(&key_a)).await.status, 200);
    assert_eq!(v1(&s, "ONLY-A", bearer(&key_b)).await.status, 404);
    assert_eq!(
        v1(&s, "SHARED-1", bearer(&key_a)).await.body["valid_until"],
        "01.01.2030"
    );
    assert_eq!(
        v1(&s, "SHARED-1", bearer(&key_b)).await.body,
        json!({"cert_number": "SHARED-1", "status": "pending", "valid_until": "30.06.2031"})
    );
}

#[tokio::test]
async fn the_rate_limit_is_per_tenant() {
    let s = Server::start(&[("CERTWATCH_API_RATE_PER_MINUTE", "3")]);
    let (a, _) = s.signup("a@one.example", "One").await;
    let (b, _) = s.signup("b@two.example", "Two").await;
    let key_a = new_key(&s, &a, "A").await;
    let key_a2 = new_key(&s, &a, "A2").await;
    let key_b = new_key(&s, &b, "B").await;

    let remaining: Vec<String> = {
        let mut out = Vec::new();
        for key in [&key_a, &key_a2, &key_a] {
            let r = v1(&s, "X", bearer(key)).await;
            assert_eq!(r.headers["x-ratelimit-limit"], "3");
            out.push(
                r.headers["x-ratelimit-remaining"]
                    .to_str()
                    .unwrap()
                    .to_string(),
            );
        }
        out
    };
    assert_eq!(
        remaining,
        ["2", "1", "0"],
        "two keys of one tenant share its budget"
    );
    let limited = v1(&s, "X", bearer(&key_a2)).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["x-ratelimit-remaining"], "0");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(
        v1(&s, "X", bearer(&key_b)).await.status,
        404,
        "another tenant has its own budget"
    );
}

/// A certificate found by monitoring carries `last_checked`: the time of the scrape that
/// last saw it, with milliseconds.
#[tokio::test]
async fn a_monitored_certificate_shows_when_it_was_checked() {
    let site = common::site::Site::start().await;
    site.serve(
        "/certificates",
        common::site::Resource::html(
            "<table><tr><th>Scheme</th><th>Certificate No.</th><th>Valid until</th></tr>\
             <tr><td>ISCC EU</td><td>EU-ISCC-Cert-DE105-12345678</td><td>31.12.2099</td></tr></table>",
        ),
    );
    let s = Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]);
    let (admin, _) = s.signup("a@one.example", "One").await;
    let key = new_key(&s, &admin, "ERP").await;
    let org = s
        .post(
            "/api/organizations/",
            Some(&admin),
            json!({"name": "Biofuel AG"}),
        )
        .await
        .body["id"]
        .clone();
    let r = s
        .post(
            "/api/monitoring/endpoints/",
            Some(&admin),
            json!({"organization_id": org, "url": site.url("/certificates")}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let number = "EU-ISCC-Cert-DE105-12345678";
    let log = common::eventually("the scrape", async || {
        let logs = s.get("/api/monitoring/logs/", Some(&admin)).await.body;
        (logs["count"] == 1).then(|| logs["results"][0].clone())
    })
    .await;
    let found = v1(&s, number, bearer(&key)).await.body;
    let finished: chrono::DateTime<Utc> = log["finished_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        found,
        json!({
            "cert_number": number,
            "status": "valid",
            "valid_until": "31.12.2099",
            "last_checked": finished.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        })
    );
}
