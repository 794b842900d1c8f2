//! Monitoring against the real server and a supplier website served on loopback: scrapes
//! that create and update certificates from pages and real PDFs, the adaptive tiers,
//! failures and their logs, discovery, the outbound guard, and schedules across a restart.

#[path = "../common/mod.rs"]
mod common;
mod discovery;
mod scrapes;

use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use common::receiver::{self, Receiver};
use common::site::{Resource, Site};
use common::{Server, eventually, pdf};
use serde_json::{Value, json};

/// A server allowed to fetch from loopback (the test site), with short fetch timeouts.
fn server() -> Server {
    Server::start(&[
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
        ("CERTWATCH_FETCH_TIMEOUT_SECS", "2"),
    ])
}

fn in_days(days: u64) -> NaiveDate {
    Utc::now()
        .date_naive()
        .checked_add_days(Days::new(days))
        .unwrap()
}

fn german(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// A German certificate table, and a link to the ISO 14001 certificate PDF.
fn zertifikate_page(iso9001_expiry: NaiveDate) -> String {
    format!(
        r#"<html><body><h1>Zertifikate</h1><p>Unsere Qualität ist zertifiziert.</p>
        <table><tr><th>Norm</th><th>Zertifikat-Nr.</th><th>Zertifizierungsstelle</th><th>Gültig bis</th></tr>
        <tr><td>DIN EN ISO 9001:2015</td><td>12 100 45678 TMS</td><td>TÜV SÜD</td><td>{}</td></tr></table>
        <p><a href="/docs/iso14001.pdf">Umweltzertifikat ISO 14001 (PDF)</a></p></body></html>"#,
        german(iso9001_expiry)
    )
}

fn iso14001_pdf(number: &str, issued: &str, expiry: NaiveDate) -> Vec<u8> {
    pdf::with_lines(&[
        "CERTIFICATE",
        "DEKRA Certification GmbH hereby certifies that",
        "Muster Metall GmbH, Industriestrasse 1, 70565 Stuttgart",
        "operates an environmental management system according to ISO 14001:2015",
        "Scope: Machining of precision parts",
        &format!("Certificate No.: {number}"),
        &format!("Date of issue: {issued}"),
        &format!("Valid until: {}", expiry.format("%d %B %Y")),
    ])
}

struct Tenant<'a> {
    s: &'a Server,
    key: String,
}

impl Tenant<'_> {
    async fn org(&self, name: &str, website: Option<&str>) -> String {
        let r = self
            .s
            .post(
                "/api/organizations/",
                Some(&self.key),
                json!({"name": name, "website": website}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    async fn endpoint(&self, org: &str, url: &str) -> Value {
        let r = self
            .s
            .post(
                "/api/monitoring/endpoints/",
                Some(&self.key),
                json!({"organization_id": org, "url": url, "check_frequency": "12:00:00"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body
    }

    async fn get(&self, path: &str) -> Value {
        let r = self.s.get(path, Some(&self.key)).await;
        assert_eq!(r.status, 200, "{path}: {:?}", r.body);
        r.body
    }

    /// The endpoint's logs, newest first, once there are at least `n`.
    async fn logs(&self, endpoint: &str, n: usize) -> Vec<Value> {
        let path = format!("/api/monitoring/logs/?endpoint={endpoint}");
        eventually(&format!("{n} scrape logs of {endpoint}"), async || {
            let logs = self.get(&path).await["results"].as_array().unwrap().clone();
            (logs.len() >= n).then_some(logs)
        })
        .await
    }

    async fn certificates(&self, org: &str) -> Vec<Value> {
        let body = self
            .get(&format!("/api/certificates/?organization={org}"))
            .await;
        let mut certs = body["results"].as_array().unwrap().clone();
        certs.sort_by_key(|c| c["certificate_number"].as_str().unwrap().to_string());
        certs
    }

    /// A webhook receiver subscribed to `event_types`, answering 200.
    async fn receiver(&self, event_types: Value) -> Receiver {
        receiver::subscribed(self.s, &self.key, event_types).await
    }

    async fn trigger(&self, endpoint: &str) -> common::Answer {
        self.s
            .post(
                &format!("/api/monitoring/endpoints/{endpoint}/trigger_scrape/"),
                Some(&self.key),
                json!({}),
            )
            .await
    }
}

async fn tenant<'a>(s: &'a Server, email: &str) -> Tenant<'a> {
    let (key, _) = s.signup(email, "Buyer").await;
    Tenant { s, key }
}

#[tokio::test]
async fn internal_targets_are_refused_unless_allowed() {
    let s = Server::start(&[]);
    let t = tenant(&s, "q@buyer.example").await;
    let org = t.org("Acme", None).await;
    for url in [
        "http://127.0.0.1:9/certs",
        "http://localhost/certs",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://10.0.0.8/certs",
        "ftp://example.com/certs",
    ] {
        let r = s
            .post(
                "/api/monitoring/endpoints/",
                Some(&t.key),
                json!({"organization_id": org, "url": url}),
            )
            .await;
        assert_eq!(r.status, 400, "{url}: {:?}", r.body);
        assert!(r.body["url"].is_array(), "{:?}", r.body);
    }
    let list = t.get("/api/monitoring/endpoints/").await;
    assert_eq!(list["count"], 0);
}

#[tokio::test]
async fn endpoints_are_tenant_scoped_validated_paused_and_deleted_with_their_organization() {
    let site = Site::start().await;
    site.serve(
        "/c",
        Resource::html("<p>ISO 9001 Certificate No. Q-1 valid until 2099-01-01</p>"),
    );
    let s = server();
    let a = tenant(&s, "a@one.example").await;
    let b = tenant(&s, "b@two.example").await;
    let org = a.org("Acme", None).await;
    let ep = a.endpoint(&org, &site.url("/c")).await;
    let id = ep["id"].as_str().unwrap().to_string();
    a.logs(&id, 1).await;

    // Field errors, duplicates and bad frequencies change nothing.
    for (body, field) in [
        (json!({"url": site.url("/d")}), "organization_id"),
        (json!({"organization_id": org}), "url"),
        (
            json!({"organization_id": org, "url": site.url("/c/")}),
            "url",
        ),
        (
            json!({"organization_id": org, "url": site.url("/e"), "check_frequency": "00:00:10"}),
            "check_frequency",
        ),
        (
            json!({"organization_id": org, "url": site.url("/e"), "is_active": "yes"}),
            "is_active",
        ),
    ] {
        let r = s
            .post("/api/monitoring/endpoints/", Some(&a.key), body)
            .await;
        assert_eq!(r.status, 400, "{:?}", r.body);
        assert!(r.body[field].is_array(), "{field}: {:?}", r.body);
    }
    let r = s
        .post(
            "/api/monitoring/endpoints/",
            Some(&b.key),
            json!({"organization_id": org, "url": site.url("/x")}),
        )
        .await;
    assert_eq!(
        r.status, 400,
        "another tenant's organization does not exist"
    );

    // Another tenant sees none of it.
    let path = format!("/api/monitoring/endpoints/{id}/");
    assert_eq!(s.get(&path, Some(&b.key)).await.status, 404);
    assert_eq!(
        s.patch(&path, Some(&b.key), json!({"is_active": false}))
            .await
            .status,
        404
    );
    assert_eq!(s.delete(&path, Some(&b.key)).await.status, 404);
    assert_eq!(b.trigger(&id).await.status, 404);
    assert_eq!(b.get("/api/monitoring/logs/").await["count"], 0);
    let log_id = a.get("/api/monitoring/logs/").await["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        s.get(&format!("/api/monitoring/logs/{log_id}/"), Some(&b.key))
            .await
            .status,
        404
    );
    assert_eq!(
        a.get(&format!("/api/monitoring/logs/{log_id}/")).await["endpoint"],
        id.as_str()
    );
    assert_eq!(b.get("/api/monitoring/endpoints/").await["count"], 0);

    // Paused: no trigger, no actor; resumed: checked at once.
    let r = s
        .patch(&path, Some(&a.key), json!({"is_active": false}))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["is_active"]),
        (200, &json!(false))
    );
    let r = a.trigger(&id).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let h = a.get("/api/monitoring/health/").await;
    assert_eq!(
        (h["active"].as_u64(), h["scheduled"].as_u64()),
        (Some(0), Some(0))
    );
    let listed = a
        .get("/api/monitoring/endpoints/?is_active=false&search=acme")
        .await;
    assert_eq!(listed["count"], 1);
    assert_eq!(
        a.get("/api/monitoring/endpoints/?is_active=true").await["count"],
        0
    );
    let r = s
        .patch(&path, Some(&a.key), json!({"is_active": true}))
        .await;
    assert_eq!(r.status, 200);
    a.logs(&id, 2).await;

    // Paused and resumed back to back: the paused endpoint's actor may still hold its name
    // for a moment; the resumed endpoint gets a running actor all the same.
    for active in [false, true] {
        let r = s
            .patch(&path, Some(&a.key), json!({"is_active": active}))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let h = a.get("/api/monitoring/health/").await;
    assert_eq!(
        (h["active"].as_u64(), h["scheduled"].as_u64()),
        (Some(1), Some(1)),
        "{h}"
    );
    assert_eq!(a.trigger(&id).await.status, 202);
    a.logs(&id, 3).await;
    let h = a.get("/api/monitoring/health/").await;
    assert_eq!(h["scheduled"].as_u64(), Some(1), "still scheduled: {h}");

    // Deleting the organization deletes its endpoints and stops their actors.
    assert_eq!(
        s.delete(&format!("/api/organizations/{org}/"), Some(&a.key))
            .await
            .status,
        204
    );
    assert_eq!(s.get(&path, Some(&a.key)).await.status, 404);
    let h = a.get("/api/monitoring/health/").await;
    assert_eq!(
        (h["endpoints"].as_u64(), h["scheduled"].as_u64()),
        (Some(0), Some(0)),
        "{h}"
    );
}

#[tokio::test]
async fn schedules_survive_a_restart() {
    let site = Site::start().await;
    site.serve(
        "/c",
        Resource::html("<p>ISO 9001 Certificate No. Q-77 valid until 2099-01-01</p>"),
    );
    site.serve(
        "/later",
        Resource::html("<p>ISO 14001 Certificate No. E-5 valid until 2099-01-01</p>")
            .slow(Duration::from_millis(1500)),
    );
    let mut s = server();
    let t = tenant(&s, "q@buyer.example").await;
    let key = t.key.clone();
    let org = t.org("Acme", None).await;
    let done = t.endpoint(&org, &site.url("/c")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.logs(&done, 1).await;
    let before = t.get(&format!("/api/monitoring/endpoints/{done}/")).await;
    // Its first check is due now and still under way when the process dies.
    let overdue = t.endpoint(&org, &site.url("/later")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    drop(t);
    s.restart();
    let t = Tenant { s: &s, key };
    let after = t.get(&format!("/api/monitoring/endpoints/{done}/")).await;
    assert_eq!(
        after["next_check_at"], before["next_check_at"],
        "the schedule is kept"
    );
    assert_eq!(after["check_frequency"], "1 00:00:00");
    // The overdue one is checked soon after start.
    let logs = t.logs(&overdue, 1).await;
    assert_eq!(logs[0]["status"], "SUCCESS");
    let h = t.get("/api/monitoring/health/").await;
    assert_eq!(
        (h["scheduled"].as_u64(), h["due"].as_u64()),
        (Some(2), Some(0)),
        "{h}"
    );
    assert_eq!(
        t.logs(&done, 1).await.len(),
        1,
        "not due: not checked again"
    );
}

/// In-process: when a tenant's actor fails, the endpoint actors it supervises go with it;
/// the restarted tenant actor starts them again from the store (one actor per endpoint,
/// under the same names, once the old ones are gone) and they report to it.
#[tokio::test]
async fn endpoint_actors_come_back_with_their_tenant_actor_after_a_failure() {
    let site = Site::start().await;
    site.serve(
        "/c",
        Resource::html("<p>ISO 9001 Certificate No. Q-77 valid until 2099-01-01</p>"),
    );
    let dir = tempfile::tempdir().unwrap();
    let (server, s) =
        common::in_process(dir.path(), &[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]).await;
    let (key, tenant_id) = s.signup("a@one.example", "One").await;
    let (_, member) = s.invite_and_accept(&key, "m@one.example", "member").await;
    let t = Tenant { s: &s, key };
    let org = t.org("Acme", None).await;
    let id = t.endpoint(&org, &site.url("/c")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.logs(&id, 1).await;

    // A corrupt member record makes the tenant actor fail when it reads it.
    let (tenant_id, member): (uuid::Uuid, uuid::Uuid) =
        (tenant_id.parse().unwrap(), member.parse().unwrap());
    let mut record = tenant_id.as_bytes().to_vec();
    record.extend_from_slice(member.as_bytes());
    let store = server.actors.store();
    store
        .tree(certwatch_store::engine::trees::Tree::Memberships)
        .insert(record, vec![1u8, 0xff, 0xff])
        .unwrap();
    let failed = s
        .delete(&format!("/api/auth/members/{member}/"), Some(&t.key))
        .await;
    assert_eq!(failed.status, 503, "{:?}", failed.body);

    let h = s.health().await;
    assert_eq!(
        h.body["actors"]["restarts"], 1,
        "only the tenant actor restarted"
    );
    let m = t.get("/api/monitoring/health/").await;
    assert_eq!(
        (m["scheduled"].as_u64(), m["scheduler_alive"].as_bool()),
        (Some(1), Some(true)),
        "{m}"
    );
    // The endpoint's new actor reports to the new tenant actor.
    assert_eq!(t.trigger(&id).await.status, 202);
    assert_eq!(t.logs(&id, 2).await[0]["status"], "SUCCESS");
    server.shutdown().await.unwrap();
}
