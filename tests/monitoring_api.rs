//! Monitoring against the real server and a supplier website served on loopback: scrapes
//! that create and update certificates from pages and real PDFs, the adaptive tiers,
//! failures and their logs, discovery, the outbound guard, and schedules across a restart.

mod common;

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
async fn a_scrape_files_certificates_from_the_page_and_its_pdf_and_notices_a_changed_pdf() {
    let site = Site::start().await;
    let (e9001, e14001) = (in_days(400), in_days(500));
    site.serve("/de/zertifikate", Resource::html(&zertifikate_page(e9001)));
    site.serve(
        "/docs/iso14001.pdf",
        Resource::pdf(iso14001_pdf("DE-UM-2024-77", "15.01.2024", e14001)),
    );
    let s = server();
    let t = tenant(&s, "q@buyer.example").await;
    let rx = t
        .receiver(json!([
            "certificate.created",
            "certificate.document_changed"
        ]))
        .await;
    let org = t.org("Muster Metall GmbH", None).await;
    let ep = t.endpoint(&org, &site.url("/de/zertifikate")).await;
    let ep_id = ep["id"].as_str().unwrap();
    assert_eq!(ep["organization"]["name"], "Muster Metall GmbH");

    let logs = t.logs(ep_id, 1).await;
    let log = &logs[0];
    assert_eq!(log["status"], "SUCCESS", "{log}");
    assert_eq!(log["http_status"], 200);
    assert!(log["bytes"].as_u64().unwrap() > 100);
    assert_eq!(log["documents"][0]["url"], site.url("/docs/iso14001.pdf"));
    assert_eq!(log["documents"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(log["changes"].as_array().unwrap().len(), 2, "{log}");

    let certs = t.certificates(&org).await;
    assert_eq!(certs.len(), 2, "{certs:?}");
    let (c9001, c14001) = (&certs[0], &certs[1]);
    assert_eq!(c9001["certificate_number"], "12 100 45678 TMS");
    assert_eq!(c9001["expiry_date"], e9001.to_string());
    assert_eq!(c9001["issuing_body"], "TÜV SÜD");
    assert_eq!(c9001["source_url"], site.url("/de/zertifikate"));
    assert_eq!(c14001["certificate_number"], "DE-UM-2024-77");
    assert_eq!(c14001["issue_date"], "2024-01-15");
    assert_eq!(c14001["expiry_date"], e14001.to_string());
    assert_eq!(c14001["issuing_body"], "DEKRA");
    assert_eq!(c14001["scope"], "Machining of precision parts");
    assert_eq!(c14001["document_url"], site.url("/docs/iso14001.pdf"));
    let first_hash = c14001["document_hash"].as_str().unwrap().to_string();
    assert_eq!(first_hash, log["documents"][0]["sha256"].as_str().unwrap());

    // The same content again changes nothing.
    assert_eq!(t.trigger(ep_id).await.status, 202);
    let logs = t.logs(ep_id, 2).await;
    assert_eq!(logs[0]["changes"], json!([]), "{}", logs[0]);

    // A renewed PDF: new hash, new expiry — one change, announced.
    let renewed = in_days(900);
    site.serve(
        "/docs/iso14001.pdf",
        Resource::pdf(iso14001_pdf("DE-UM-2024-77", "15.01.2024", renewed)),
    );
    assert_eq!(t.trigger(ep_id).await.status, 202);
    let logs = t.logs(ep_id, 3).await;
    let change = &logs[0]["changes"][0];
    assert_eq!(change["certificate_number"], "DE-UM-2024-77");
    assert_eq!(change["action"], "updated");
    assert_eq!(change["fields"], json!(["expiry_date", "document_hash"]));
    let certs = t.certificates(&org).await;
    assert_eq!(certs[1]["expiry_date"], renewed.to_string());
    assert_ne!(certs[1]["document_hash"], first_hash.as_str());

    let got = rx.wait_for(3).await;
    let types: Vec<&str> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "certificate.created")
            .count(),
        2
    );
    let changed = got
        .iter()
        .find(|r| r.body["type"] == "certificate.document_changed")
        .expect("document_changed delivered");
    assert_eq!(
        changed.body["data"]["previous_document_hash"],
        first_hash.as_str()
    );

    // The detail carries the last 5 logs, newest first.
    let detail = t.get(&format!("/api/monitoring/endpoints/{ep_id}/")).await;
    assert_eq!(detail["recent_scrape_logs"].as_array().unwrap().len(), 3);
    assert_eq!(detail["recent_scrape_logs"][0]["id"], logs[0]["id"]);
}

#[tokio::test]
async fn adaptive_frequency_moves_between_the_three_tiers() {
    let site = Site::start().await;
    let page = |days: u64| {
        format!(
            "<table><tr><th>Standard</th><th>Certificate No.</th><th>Valid until</th></tr>\
             <tr><td>IATF 16949</td><td>IATF-0815-42</td><td>{}</td></tr></table>",
            in_days(days).format("%B %-d, %Y")
        )
    };
    site.serve("/quality", Resource::html(&page(90)));
    let s = server();
    let t = tenant(&s, "q@buyer.example").await;
    let org = t.org("Autoteile AG", None).await;
    let ep = t.endpoint(&org, &site.url("/quality")).await;
    let id = ep["id"].as_str().unwrap();
    assert_eq!(ep["check_frequency"], "12:00:00", "as created");
    t.logs(id, 1).await;
    let freq = async || t.get(&format!("/api/monitoring/endpoints/{id}/")).await;
    let ep = freq().await;
    assert_eq!(
        ep["check_frequency"], "1 00:00:00",
        "nothing expires within 30 days"
    );
    let next: chrono::DateTime<Utc> = ep["next_check_at"].as_str().unwrap().parse().unwrap();
    let last: chrono::DateTime<Utc> = ep["last_checked"].as_str().unwrap().parse().unwrap();
    assert!(
        (next - last - chrono::Duration::hours(24))
            .num_seconds()
            .abs()
            < 5
    );

    site.serve("/quality", Resource::html(&page(20)));
    assert_eq!(t.trigger(id).await.status, 202);
    t.logs(id, 2).await;
    assert_eq!(
        freq().await["check_frequency"],
        "12:00:00",
        "within 30 days"
    );

    site.serve("/quality", Resource::html(&page(5)));
    t.trigger(id).await;
    t.logs(id, 3).await;
    assert_eq!(freq().await["check_frequency"], "04:00:00", "within 7 days");

    site.serve("/quality", Resource::html(&page(200)));
    t.trigger(id).await;
    t.logs(id, 4).await;
    assert_eq!(freq().await["check_frequency"], "1 00:00:00", "renewed");
}

#[tokio::test]
async fn failures_are_logged_back_off_and_are_announced() {
    let site = Site::start().await;
    site.serve("/broken", Resource::status(500));
    site.serve(
        "/slow",
        Resource::html("<p>ISO 9001</p>").slow(Duration::from_secs(4)),
    );
    site.serve(
        "/huge",
        Resource::html(&format!("<p>{}</p>", "x".repeat(6 << 20))),
    );
    site.serve("/moved", Resource::redirect("/zertifikate"));
    site.serve(
        "/zertifikate",
        Resource::html(&zertifikate_page(in_days(300))),
    );
    let s = server();
    let t = tenant(&s, "q@buyer.example").await;
    let rx = t.receiver(json!(["endpoint.scrape_failed"])).await;
    let org = t.org("Fragile GmbH", None).await;
    let mut ids = Vec::new();
    for path in ["/broken", "/slow", "/huge", "/moved"] {
        let ep = t.endpoint(&org, &site.url(path)).await;
        ids.push(ep["id"].as_str().unwrap().to_string());
    }
    let broken = &t.logs(&ids[0], 1).await[0];
    assert_eq!(
        (broken["status"].as_str(), broken["http_status"].as_u64()),
        (Some("FAILED"), Some(500))
    );
    assert!(broken["error"].as_str().unwrap().contains("500"));
    let slow = &t.logs(&ids[1], 1).await[0];
    assert_eq!(slow["status"], "FAILED");
    assert!(
        slow["error"].as_str().unwrap().contains("timed out"),
        "{slow}"
    );
    let huge = &t.logs(&ids[2], 1).await[0];
    assert_eq!(huge["status"], "FAILED");
    assert!(
        huge["error"].as_str().unwrap().contains("larger than"),
        "{huge}"
    );
    let moved = &t.logs(&ids[3], 1).await[0];
    assert_eq!(moved["status"], "SUCCESS", "{moved}");
    assert_eq!(
        t.certificates(&org).await.len(),
        1,
        "the redirect was followed"
    );

    // A failing endpoint backs off: its next try is 15 minutes out, not its frequency.
    let ep = t
        .get(&format!("/api/monitoring/endpoints/{}/", ids[0]))
        .await;
    assert_eq!(ep["consecutive_failures"], 1);
    let next: chrono::DateTime<Utc> = ep["next_check_at"].as_str().unwrap().parse().unwrap();
    let wait = (next - Utc::now()).num_minutes();
    assert!((13..=15).contains(&wait), "{wait}");
    t.trigger(&ids[0]).await;
    t.logs(&ids[0], 2).await;
    let ep = t
        .get(&format!("/api/monitoring/endpoints/{}/", ids[0]))
        .await;
    assert_eq!(ep["consecutive_failures"], 2);
    let next: chrono::DateTime<Utc> = ep["next_check_at"].as_str().unwrap().parse().unwrap();
    assert!((28..=30).contains(&(next - Utc::now()).num_minutes()));

    let health = t.get("/api/monitoring/health/").await;
    assert_eq!(health["failing"], 3, "{health}");
    assert_eq!(
        (health["active"].as_u64(), health["scheduled"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(health["scheduler_alive"], true);

    let got = rx.wait_for(4).await;
    assert!(
        got.iter()
            .all(|r| r.body["type"] == "endpoint.scrape_failed")
    );
    assert!(got.iter().any(|r| r.body["data"]["http_status"] == 500));
    // Failures never create or delete certificates: the good page's certificate stays.
    assert_eq!(t.certificates(&org).await.len(), 1);
}

#[tokio::test]
async fn discovery_finds_the_certificate_pages_and_honours_robots_txt() {
    let site = Site::start().await;
    site.serve(
        "/robots.txt",
        Resource::text("User-agent: *\nDisallow: /intern/\n"),
    );
    site.serve(
        "/",
        Resource::html(
            r#"<h1>Muster Metall</h1><p>Quality is our passion.</p>
            <a href="/de/unternehmen">Unternehmen</a> <a href="/en/news">News</a>
            <a href="/intern/zertifikate">Intern</a> <a href="https://elsewhere.example/certificates">Partner</a>"#,
        ),
    );
    site.serve(
        "/de/unternehmen",
        Resource::html(
            r#"<p>Über uns.</p><a href="/de/zertifikate">Zertifikate</a> <a href="/en/quality">Quality</a>"#,
        ),
    );
    site.serve(
        "/de/zertifikate",
        Resource::html(&zertifikate_page(in_days(300))),
    );
    site.serve(
        "/en/quality",
        Resource::html(
            r#"<h2>Certificates</h2><p>We are certified to ISO 9001:2015 and ISO 45001:2018.</p>
            <a href="/docs/iso9001-certificate.pdf">ISO 9001 certificate (PDF)</a>"#,
        ),
    );
    site.serve(
        "/en/news",
        Resource::html("<p>Our new plant opened. We renewed our certification.</p>"),
    );
    site.serve(
        "/intern/zertifikate",
        Resource::html(&zertifikate_page(in_days(300))),
    );
    let s = server();
    let t = tenant(&s, "q@buyer.example").await;
    // Creating an organization with a website starts discovery by itself.
    let org = t.org("Muster Metall GmbH", Some(&site.url("/"))).await;
    let urls = async || {
        let list = t
            .get(&format!(
                "/api/monitoring/endpoints/?organization={org}&ordering=url"
            ))
            .await;
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["url"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let settled = async || {
        eventually("discovery to finish", async || {
            let h = t.get("/api/monitoring/health/").await;
            (h["discoveries_running"] == 0).then_some(())
        })
        .await
    };
    eventually("discovered endpoints", async || {
        let found = urls().await;
        (found.len() == 2).then_some(found)
    })
    .await;
    settled().await;
    let want = vec![site.url("/de/zertifikate"), site.url("/en/quality")];
    assert_eq!(urls().await, want);
    assert_eq!(site.hits("/robots.txt"), 1);
    assert_eq!(
        site.hits("/intern/zertifikate"),
        0,
        "robots.txt disallows it"
    );
    let list = t
        .get(&format!("/api/monitoring/endpoints/?organization={org}"))
        .await;
    assert!(
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["discovered"] == true)
    );

    // Discovering again finds the same pages and creates no duplicates.
    let r = s
        .post(
            &format!("/api/monitoring/discover/{org}/"),
            Some(&t.key),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["organizations"]),
        (202, &json!(1))
    );
    eventually("the second crawl", async || {
        (site.hits("/robots.txt") == 2).then_some(())
    })
    .await;
    settled().await;
    assert_eq!(urls().await, want);
    let r = s
        .post("/api/monitoring/discover/", Some(&t.key), json!({}))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["organizations"]),
        (202, &json!(1))
    );

    let without = t.org("No Website Ltd", None).await;
    let r = s
        .post(
            &format!("/api/monitoring/discover/{without}/"),
            Some(&t.key),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 400);
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
    let data = dir.path().to_str().unwrap().to_string();
    let config = certwatch_config::Config::load_with(None, |name| match name {
        "CERTWATCH_LISTEN" => Some("127.0.0.1:0".into()),
        "CERTWATCH_DATA_DIR" => Some(data.clone()),
        "CERTWATCH_AUTH_RATE_PER_MINUTE" => Some("10000".into()),
        "CERTWATCH_ALLOW_PRIVATE_TARGETS" => Some("true".into()),
        "CERTWATCH_METRICS_TOKEN" => Some(common::METRICS_TOKEN.into()),
        // In process, this executable is the test: workers are the real binary.
        "CERTWATCH_WORKER_PROGRAM" => Some(env!("CARGO_BIN_EXE_certwatch").into()),
        _ => None,
    })
    .unwrap();
    let server = certwatch::start(config).await.unwrap();
    let s = Server::attach(&format!("http://{}", server.addr), dir.path());
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

#[tokio::test]
async fn a_page_files_only_the_certificates_it_gives_to_the_supplier_itself() {
    let site = Site::start().await;
    let (e9001, e45001, e_pdf, e_other) = (in_days(300), in_days(400), in_days(500), in_days(600));
    let page = format!(
        r#"<html><body><header><p>Acme Metall GmbH</p></header><h1>Qualität</h1>
        <dl><dt>Norm</dt><dd>ISO 9001:2015</dd><dt>Zertifikat-Nr.</dt><dd>Q-9001-77</dd>
        <dt>Gültig bis</dt><dd>{}</dd></dl>
        <p>System BHP: ISO 45001, certyfikat nr PL-4455-1</p><p>Ważny do {}</p>
        <p><a href="/docs/combined.pdf">Zertifikat (PDF)</a></p>
        <h2>Gruppenunternehmen</h2><h3>Beta Components s.r.o.</h3>
        <p>ISO 14001, Zertifikat-Nr. E-14001-5, gültig bis {}</p>
        <h2>News</h2><p>Our customer Gamma Industries Ltd achieved IATF 16949 certification
        (certificate no. IATF-0815-9, valid until {}).</p></body></html>"#,
        german(e9001),
        certwatch_corpus::lang::Language::Pl.date(e45001, true),
        german(e_other),
        e_other,
    );
    site.serve("/quality", Resource::html(&page));
    site.serve(
        "/docs/combined.pdf",
        Resource::pdf(pdf::with_lines(&[
            "CERTIFICATE",
            "DEKRA Certification GmbH hereby certifies that",
            "Acme Metall GmbH, Hafenstrasse 9, 28217 Bremen",
            "operates a management system according to ISO 14001:2015 and ISO 50001:2018",
            "Certificate No.: 55123456/1",
            "Date of issue: 01.02.2025",
            &format!("Valid until: {}", german(e_pdf)),
        ])),
    );
    let s = server();
    let t = tenant(&s, "ties@buyer.example").await;
    let acme = t.org("Acme Metall GmbH", None).await;
    let beta = t.org("Beta Components s.r.o.", None).await;
    let ep = t.endpoint(&acme, &site.url("/quality")).await;
    let log = t.logs(ep["id"].as_str().unwrap(), 1).await.remove(0);
    assert_eq!(log["status"], "SUCCESS", "{log}");

    let certs = t.certificates(&acme).await;
    let mut got: Vec<(&str, &str, &str)> = certs
        .iter()
        .map(|c| {
            (
                c["certificate_type"]["code"].as_str().unwrap_or_default(),
                c["certificate_number"].as_str().unwrap(),
                c["expiry_date"].as_str().unwrap(),
            )
        })
        .collect();
    got.sort();
    let (d9001, d45001, d_pdf) = (e9001.to_string(), e45001.to_string(), e_pdf.to_string());
    assert_eq!(
        got,
        [
            ("ISO_14001", "55123456/1", d_pdf.as_str()),
            ("ISO_45001", "PL-4455-1", d45001.as_str()),
            ("ISO_50001", "55123456/1", d_pdf.as_str()),
            ("ISO_9001", "Q-9001-77", d9001.as_str()),
        ],
        "{log}"
    );
    // The group company's and the customer's certificates are filed under no one.
    assert_eq!(t.certificates(&beta).await, Vec::<Value>::new());
    let skipped: Vec<&str> = log["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("E-14001-5")
                && s.contains("Beta Components s.r.o., another supplier")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("IATF-0815-9") && s.contains("Gamma Industries Ltd")),
        "{skipped:?}"
    );
}
