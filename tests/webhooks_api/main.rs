//! /api/webhooks/ against the real server, with a real receiver on loopback that checks
//! every signature itself.

#[path = "../common/mod.rs"]
mod common;
mod deliveries;

use std::time::Duration;

use chrono::Utc;
use common::Server;
use common::receiver::{Answer, Receiver};
use serde_json::{Value, json};

const FAST_RETRIES: (&str, &str) = ("CERTWATCH_WEBHOOK_RETRY_SCHEDULE", "0,1,1");

fn server() -> Server {
    Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"), FAST_RETRIES])
}

struct Setup<'a> {
    s: &'a Server,
    key: String,
    org: String,
    iso: String,
}

impl Setup<'_> {
    async fn subscriber(&self, url: &str) -> Value {
        let r = self
            .s
            .post(
                "/api/webhooks/subscribers/",
                Some(&self.key),
                json!({"name": "ERP", "url": url}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body
    }

    async fn subscribe(&self, subscriber: &Value, types: Value, org: Option<&str>) -> Value {
        let r = self
            .s
            .post(
                "/api/webhooks/subscriptions/",
                Some(&self.key),
                json!({"subscriber": subscriber["id"], "event_types": types, "organization": org}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body
    }

    async fn cert(&self, org: &str, number: &str, expiry: &str) -> String {
        let r = self
            .s
            .post(
                "/api/certificates/",
                Some(&self.key),
                json!({"organization": org, "certificate_type_id": self.iso, "certificate_number": number, "expiry_date": expiry}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    async fn deliveries(&self, query: &str) -> Value {
        self.s
            .get(
                &format!("/api/webhooks/deliveries/?{query}"),
                Some(&self.key),
            )
            .await
            .body
    }
}

async fn setup<'a>(s: &'a Server, email: &str) -> Setup<'a> {
    let (key, _) = s.signup(email, "Buyer").await;
    let org = s
        .post("/api/organizations/", Some(&key), json!({"name": "Acme"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let types = s.get("/api/certificates/types/", Some(&key)).await.body;
    let iso = types["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "ISO_9001")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    Setup { s, key, org, iso }
}

fn days(n: i64) -> String {
    (Utc::now().date_naive() + chrono::Duration::days(n)).to_string()
}

#[tokio::test]
async fn subscribers_secrets_and_rotation() {
    let s = server();
    let t = setup(&s, "a@one.example").await;
    let rx = Receiver::start().await;
    let sub = t.subscriber(&rx.url).await;
    let secret = sub["signing_secret"].as_str().unwrap().to_string();
    let api_key = sub["api_key"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    assert!(api_key.len() >= 32);
    assert_eq!(sub["is_active"], true);
    let id = sub["id"].as_str().unwrap();

    let (member, _) = s.invite_and_accept(&t.key, "m@one.example", "member").await;
    assert_eq!(
        s.get("/api/webhooks/subscribers/", Some(&member))
            .await
            .status,
        403
    );
    for bad in [
        json!({"name": "x", "url": "ftp://x"}),
        json!({"name": "x"}),
        json!({"url": rx.url}),
    ] {
        assert_eq!(
            s.post("/api/webhooks/subscribers/", Some(&t.key), bad)
                .await
                .status,
            400
        );
    }
    let bad_type = s
        .post(
            "/api/webhooks/subscriptions/",
            Some(&t.key),
            json!({"subscriber": id, "event_types": ["certificate.exploded"]}),
        )
        .await;
    assert_eq!(bad_type.status, 400);
    assert!(bad_type.body["event_types"].is_array());

    t.subscribe(&sub, json!(["*"]), None).await;
    t.cert(&t.org, "C-1", &days(100)).await;
    let first = rx.wait_for(1).await;
    assert!(first[0].signed_with(&secret), "{:?}", first[0]);
    assert_eq!(first[0].authorization, format!("Bearer {api_key}"));
    assert_eq!(first[0].signatures.len(), 1);

    // New secret: signed with both during the grace period. New key: the old one is gone.
    let rotated = s
        .call(
            reqwest::Method::POST,
            &format!("/api/webhooks/subscribers/{id}/rotate-signing-secret/"),
            Some(&t.key),
            None,
        )
        .await;
    assert_eq!(rotated.status, 200);
    let new_secret = rotated.body["signing_secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    let rekeyed = s
        .call(
            reqwest::Method::POST,
            &format!("/api/webhooks/subscribers/{id}/rotate-key/"),
            Some(&t.key),
            None,
        )
        .await;
    let new_key = rekeyed.body["api_key"].as_str().unwrap().to_string();
    assert_ne!(new_key, api_key);
    t.cert(&t.org, "C-2", &days(100)).await;
    let second = rx.wait_for(2).await.pop().unwrap();
    assert_eq!(second.signatures.len(), 2);
    assert!(second.signed_with(&new_secret) && second.signed_with(&secret));
    assert_eq!(second.authorization, format!("Bearer {new_key}"));
    let shown = s
        .get(&format!("/api/webhooks/subscribers/{id}/"), Some(&t.key))
        .await
        .body;
    assert_eq!(
        (shown["signing_secret"].as_str(), shown["api_key"].as_str()),
        (Some(new_secret.as_str()), Some(new_key.as_str()))
    );

    // PATCH and deactivation: an inactive subscriber gets nothing.
    let off = s
        .patch(
            &format!("/api/webhooks/subscribers/{id}/"),
            Some(&t.key),
            json!({"is_active": false}),
        )
        .await;
    assert_eq!(off.status, 200);
    assert_eq!(off.body["name"], "ERP");
    t.cert(&t.org, "C-3", &days(100)).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(rx.received().len(), 2);
    assert_eq!(
        s.delete(&format!("/api/webhooks/subscribers/{id}/"), Some(&t.key))
            .await
            .status,
        204
    );
    assert_eq!(
        s.get("/api/webhooks/subscriptions/", Some(&t.key))
            .await
            .body["count"],
        0
    );
}

#[tokio::test]
async fn events_reach_matching_subscriptions_only() {
    let s = server();
    let t = setup(&s, "a@one.example").await;
    let other_org = s
        .post("/api/organizations/", Some(&t.key), json!({"name": "Bolt"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (rx_created, rx_bolt) = (Receiver::start().await, Receiver::start().await);
    let created_only = t.subscriber(&rx_created.url).await;
    t.subscribe(&created_only, json!(["certificate.created"]), None)
        .await;
    let bolt_only = t.subscriber(&rx_bolt.url).await;
    t.subscribe(&bolt_only, json!(["*"]), Some(&other_org))
        .await;

    let acme_cert = t.cert(&t.org, "A-1", &days(100)).await;
    let bolt_cert = t.cert(&other_org, "B-1", &days(5)).await;
    s.patch(
        &format!("/api/certificates/{bolt_cert}/"),
        Some(&t.key),
        json!({"status": "EXPIRED"}),
    )
    .await;
    s.patch(
        &format!("/api/certificates/{acme_cert}/"),
        Some(&t.key),
        json!({"scope": "x"}),
    )
    .await;
    s.delete(&format!("/api/certificates/{bolt_cert}/"), Some(&t.key))
        .await;

    rx_created.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let created: Vec<String> = rx_created
        .received()
        .iter()
        .map(|r| r.body["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        created,
        ["certificate.created", "certificate.created"],
        "only created, from both orgs"
    );

    // Bolt's subscriber: everything about Bolt's certificate, nothing about Acme's.
    rx_bolt.wait_for(6).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = rx_bolt.received();
    let mut types: Vec<&str> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "certificate.created",
            "certificate.deleted",
            "certificate.expired",
            "certificate.expiring",
            "certificate.status_changed",
            "certificate.updated"
        ]
    );
    for r in &got {
        assert_eq!(r.body["data"]["certificate_number"], "B-1", "{:?}", r.body);
        assert!(r.body["timestamp"].is_string());
    }
    let expiring = got
        .iter()
        .find(|r| r.body["type"] == "certificate.expiring")
        .unwrap();
    assert_eq!(expiring.body["data"]["threshold_days"], 7);
    assert_eq!(expiring.body["data"]["days_left"], 5);
    let changed = got
        .iter()
        .find(|r| r.body["type"] == "certificate.status_changed")
        .unwrap();
    assert_eq!(
        (
            changed.body["data"]["previous_status"].as_str(),
            changed.body["data"]["status"].as_str()
        ),
        (Some("ACTIVE"), Some("EXPIRED"))
    );

    // The audit log, filtered.
    assert_eq!(t.deliveries("").await["count"], 8);
    let subscriber = bolt_only["id"].as_str().unwrap();
    assert_eq!(
        t.deliveries(&format!("subscriber={subscriber}")).await["count"],
        6
    );
    assert_eq!(
        t.deliveries("event_type=certificate.created").await["count"],
        3
    );
    assert_eq!(t.deliveries("status=SUCCESS").await["count"], 8);
    assert_eq!(
        s.get("/api/webhooks/deliveries/?status=DONE", Some(&t.key))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn private_targets_are_refused_unless_allowed() {
    let s = Server::start(&[]);
    let (key, _) = s.signup("a@one.example", "One").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
    ] {
        let r = s
            .post(
                "/api/webhooks/subscribers/",
                Some(&key),
                json!({"name": "x", "url": url}),
            )
            .await;
        assert_eq!(r.status, 400, "{url}");
        assert!(
            r.body["url"][0].as_str().unwrap().contains("internal"),
            "{:?}",
            r.body
        );
    }
}

#[tokio::test]
async fn another_tenants_webhook_objects_are_not_found() {
    let s = server();
    let a = setup(&s, "a@one.example").await;
    let b = setup(&s, "b@two.example").await;
    let rx = Receiver::start().await;
    let b_sub = b.subscriber(&rx.url).await;
    let b_subscription = b.subscribe(&b_sub, json!(["*"]), None).await;
    b.cert(&b.org, "B-1", &days(100)).await;
    rx.wait_for(1).await;
    let b_delivery = b.deliveries("").await["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    for path in [
        format!(
            "/api/webhooks/subscribers/{}/",
            b_sub["id"].as_str().unwrap()
        ),
        format!(
            "/api/webhooks/subscriptions/{}/",
            b_subscription["id"].as_str().unwrap()
        ),
    ] {
        assert_eq!(s.get(&path, Some(&a.key)).await.status, 404, "{path}");
        assert_eq!(
            s.call(reqwest::Method::PUT, &path, Some(&a.key), Some(json!({})))
                .await
                .status,
            404,
            "{path}"
        );
        assert_eq!(
            s.patch(&path, Some(&a.key), json!({})).await.status,
            404,
            "{path}"
        );
        assert_eq!(s.delete(&path, Some(&a.key)).await.status, 404, "{path}");
    }
    let sub_id = b_sub["id"].as_str().unwrap();
    for action in ["rotate-key", "rotate-signing-secret"] {
        let r = s
            .call(
                reqwest::Method::POST,
                &format!("/api/webhooks/subscribers/{sub_id}/{action}/"),
                Some(&a.key),
                None,
            )
            .await;
        assert_eq!(r.status, 404, "{action}");
    }
    assert_eq!(
        s.get(
            &format!("/api/webhooks/deliveries/{b_delivery}/"),
            Some(&a.key)
        )
        .await
        .status,
        404
    );
    let retry = s
        .call(
            reqwest::Method::POST,
            &format!("/api/webhooks/deliveries/{b_delivery}/retry/"),
            Some(&a.key),
            None,
        )
        .await;
    assert_eq!(retry.status, 404);
    assert_eq!(a.deliveries("").await["count"], 0);
    // B's subscriber as a reference in A's subscription: a field error.
    let r = s
        .post(
            "/api/webhooks/subscriptions/",
            Some(&a.key),
            json!({"subscriber": sub_id, "event_types": ["*"]}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body["subscriber"].is_array());
    // B's secret was not rotated by A's attempts.
    assert_eq!(
        s.get(
            &format!("/api/webhooks/subscribers/{sub_id}/"),
            Some(&b.key)
        )
        .await
        .body["signing_secret"],
        b_sub["signing_secret"]
    );
}
