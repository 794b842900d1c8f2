//! Running unattended: backups and restores, scheduled backups, the admin commands
//! (`check-config`, `reset-password`), against the real binary.

mod backups;
mod cluster;
#[path = "../common/mod.rs"]
mod common;
mod metrics;
mod postgres;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{METRICS_TOKEN, PASSWORD, Server, eventually_within};
use serde_json::{Value, json};

/// Runs `certwatch <args>` against `data_dir` (as an operator would, beside the server).
fn certwatch(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .args(args)
        .env("CERTWATCH_DATA_DIR", data_dir)
        .env("CERTWATCH_LOG", "warn")
        .output()
        .expect("the certwatch binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The record checksum a backup or restore printed.
fn checksum(out: &Output) -> String {
    let text = stdout(out);
    let (_, rest) = text
        .split_once("record checksum ")
        .unwrap_or_else(|| panic!("no checksum in {text:?}"));
    rest.chars().take_while(char::is_ascii_hexdigit).collect()
}

async fn create_supplier(s: &Server, token: &str, name: &str) -> Option<String> {
    let r = s
        .post(
            "/api/organizations/",
            Some(token),
            json!({"name": name, "vat_number": null}),
        )
        .await;
    (r.status == 201).then(|| r.body["id"].as_str().unwrap().to_string())
}

async fn all(s: &Server, token: &str, path: &str) -> Vec<Value> {
    let r = s.get(&format!("{path}?page_size=1000"), Some(token)).await;
    assert_eq!(r.status, 200, "{path}: {:?}", r.body);
    r.body["results"].as_array().unwrap().clone()
}

/// Revokes `cert` through `s`: its history lists the change before the creation, so what
/// the server numbers in sequence now comes after what it was given (a restored or moved
/// store's ordered keys).
async fn revoked_history_comes_after(s: &Server, token: &str, cert: &str) {
    let patched = s
        .patch(
            &format!("/api/certificates/{cert}/"),
            Some(token),
            json!({"status": "REVOKED"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    let history = all(s, token, &format!("/api/certificates/{cert}/history/")).await;
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["updated", "created"], "newest first");
}

/// Uploads one PDF of `lines` and waits for its batch: the file's bytes and its item's id.
async fn upload_document(s: &Server, token: &str, name: &str, lines: &[&str]) -> (Vec<u8>, String) {
    let document = common::pdf::with_lines(lines);
    let up = s
        .upload(
            "/api/bulk-upload/",
            token,
            "files",
            vec![(name, document.clone())],
        )
        .await;
    assert_eq!(up.status, 201, "{:?}", up.body);
    let batch = up.body["id"].as_str().unwrap().to_string();
    s.completed_batch(token, &batch, Duration::from_secs(120))
        .await;
    let item = all(s, token, &format!("/api/bulk-upload/{batch}/items/")).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (document, item)
}

/// The stored file of a bulk-upload item, as served.
async fn download(s: &Server, token: &str, item: &str) -> Vec<u8> {
    let resp = s
        .http
        .get(format!("{}/api/bulk-upload/files/{item}/", s.base))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap().to_vec()
}

/// Monitors `url` for the supplier, every 12 hours: the endpoint's id.
async fn monitored_page(s: &Server, token: &str, org: &str, url: &str) -> String {
    let ep = s
        .post(
            "/api/monitoring/endpoints/",
            Some(token),
            json!({"organization_id": org, "url": url, "check_frequency": "12:00:00"}),
        )
        .await;
    assert_eq!(ep.status, 201, "{:?}", ep.body);
    ep.body["id"].as_str().unwrap().to_string()
}

/// Monitors `url` for the supplier and waits for its first check: the endpoint's id.
async fn watched_page(s: &Server, token: &str, org: &str, url: &str) -> String {
    let ep = monitored_page(s, token, org, url).await;
    eventually_within(
        Duration::from_secs(60),
        "the endpoint to be checked",
        async || {
            let e = s
                .get(&format!("/api/monitoring/endpoints/{ep}/"), Some(token))
                .await;
            (!e.body["last_checked"].is_null()).then_some(())
        },
    )
    .await;
    ep
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_password_gives_a_locked_out_admin_a_link_online_and_offline() {
    let mut s = Server::start(&[]);
    s.signup("admin@locked.example", "Locked Buyer").await;
    let use_link = async |s: &Server, out: &Output, password: &str| {
        assert!(out.status.success(), "{out:?}");
        let text = stdout(out);
        let token = text
            .split("reset-password/?token=")
            .nth(1)
            .expect("a reset link")
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let r = s
            .post(
                "/api/auth/password-reset/confirm/",
                None,
                json!({"token": token, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        s.login("admin@locked.example", password).await;
    };
    // While the server runs, the command asks it.
    let reset = |s: &Server, email: &str| {
        s.command()
            .args(["reset-password", email])
            .output()
            .unwrap()
    };
    let online = reset(&s, "admin@locked.example");
    use_link(&s, &online, "a new Password 2026").await;
    let unknown = reset(&s, "nobody@locked.example");
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account"));

    // With the server stopped, it writes the link into the store itself.
    assert!(s.terminate().success());
    let offline = reset(&s, "admin@locked.example");
    s.start_again();
    use_link(&s, &offline, "another Password 2027").await;
}

#[test]
fn check_config_reports_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let good = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("check-config")
        .env("CERTWATCH_DATA_DIR", dir.path().join("data"))
        .env("CERTWATCH_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    let text = stdout(&good);
    assert!(text.contains("ok    data directory"), "{text}");
    assert!(text.contains("ok    listen address"), "{text}");

    // A data directory that cannot be one: a file stands where it would be.
    std::fs::write(dir.path().join("file"), b"x").unwrap();
    let bad_dir = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("check-config")
        .env("CERTWATCH_DATA_DIR", dir.path().join("file"))
        .env("CERTWATCH_TESSERACT", "/nonexistent/tesseract")
        .env("CERTWATCH_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert_eq!(bad_dir.status.code(), Some(1));
    let text = stdout(&bad_dir);
    assert!(text.contains("FAIL  data directory"), "{text}");
    assert!(text.contains("FAIL  OCR program"), "{text}");

    // A bad value stops it before anything else, naming the setting.
    let bad_value = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("check-config")
        .env("CERTWATCH_BACKUP_DIR", dir.path())
        .env("CERTWATCH_BACKUP_KEEP", "none")
        .output()
        .unwrap();
    assert_eq!(bad_value.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_value.stderr).contains("CERTWATCH_BACKUP_KEEP"));
}

fn common_partial_left(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    })
}

/// Makes a file look as old as a file that has sat in the store for `age`.
fn age_file(path: &Path, age: Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_removes_history_past_retention_and_files_nothing_points_at() {
    let site = common::site::Site::start().await;
    site.serve(
        "/certs",
        common::site::Resource::html("<p>No certificates yet</p>"),
    );
    // An upload that a crash cut off after its file was stored, before its record: a file
    // nothing points at, written two hours ago.
    let orphan = "ab".repeat(32);
    let s = Server::start_prepared(
        &[
            ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
            ("CERTWATCH_SCRAPE_LOG_RETENTION_DAYS", "0"),
            ("CERTWATCH_DELIVERY_RETENTION_DAYS", "0"),
            ("CERTWATCH_EVENT_RETENTION_DAYS", "0"),
            ("CERTWATCH_RETENTION_SWEEP_SECS", "1"),
        ],
        |dir| {
            let path = dir.join("files").join("ab").join(&orphan);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, b"cut off").unwrap();
            age_file(&path, Duration::from_secs(7200));
        },
    );
    let (token, _) = s.signup("ops@retention.example", "Retention Buyer").await;
    let rx = common::receiver::subscribed(&s, &token, json!(["certificate.created"])).await;
    let org = create_supplier(&s, &token, "Monitored").await.unwrap();
    certificate_expiring_in(&s, &token, &org, "R-1", 700).await;
    rx.wait_for(1).await;
    watched_page(&s, &token, &org, &site.url("/certs")).await;
    // A file an item points at, as old as the orphan: it stays.
    let (document, item) = upload_document(
        &s,
        &token,
        "keep.pdf",
        &["ISO 9001 certificate", "Certificate No. KEEP-1"],
    )
    .await;
    let kept = std::fs::read_dir(s.data_dir.join("files"))
        .unwrap()
        .flat_map(|shard| std::fs::read_dir(shard.unwrap().path()).unwrap())
        .map(|f| f.unwrap().path())
        .find(|p| std::fs::read(p).unwrap() == document)
        .expect("the upload is in the file store");
    age_file(&kept, Duration::from_secs(7200));

    let count = async |path: &str| s.get(path, Some(&token)).await.body["count"].as_u64();
    eventually_within(
        Duration::from_secs(60),
        "history past retention swept",
        async || {
            let logs = count("/api/monitoring/logs/").await;
            let deliveries = count("/api/webhooks/deliveries/").await;
            let orphan_gone = !s.data_dir.join("files").join("ab").join(&orphan).exists();
            (logs == Some(0) && deliveries == Some(0) && orphan_gone).then_some(())
        },
    )
    .await;
    assert!(kept.exists(), "a file an item points at is kept");
    assert_eq!(download(&s, &token, &item).await, document);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_endpoint_removes_its_logs() {
    let site = common::site::Site::start().await;
    site.serve("/certs", common::site::Resource::html("<p>Nothing</p>"));
    let s = Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]);
    let (token, _) = s.signup("ops@endpoints.example", "Endpoint Buyer").await;
    let org = create_supplier(&s, &token, "Watched").await.unwrap();
    let ep = watched_page(&s, &token, &org, &site.url("/certs")).await;
    let logs = format!("/api/monitoring/logs/?endpoint={ep}");
    assert_eq!(s.get(&logs, Some(&token)).await.body["count"], 1);
    assert_eq!(
        s.delete(&format!("/api/monitoring/endpoints/{ep}/"), Some(&token))
            .await
            .status,
        204
    );
    assert_eq!(
        s.get("/api/monitoring/logs/", Some(&token)).await.body["count"],
        0
    );
}

/// The digest mails in the outbox (raw messages).
fn digests_to(s: &Server, to: &str) -> Vec<String> {
    common::read_mails(&s.outbox())
        .into_iter()
        .filter(|m| m.contains(&format!("To: {to}")) && m.contains("CertWatch digest for"))
        .collect()
}

async fn certificate_expiring_in(s: &Server, token: &str, org: &str, number: &str, days: i64) {
    let iso = s.type_id(token, "ISO_9001").await;
    let expiry = (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string();
    let r = s
        .post(
            "/api/certificates/",
            Some(token),
            json!({"organization": org, "certificate_type_id": iso, "certificate_number": number,
                   "issue_date": "2025-01-01", "expiry_date": expiry, "status": "ACTIVE"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_expiry_digest_is_mailed_once_to_admins_and_members_who_asked() {
    let mut s = Server::start(&[("CERTWATCH_DIGEST_CHECK_SECS", "1")]);
    let (admin, _) = s.signup("admin@digest.example", "Digest Buyer").await;
    let (asked, _) = s
        .invite_and_accept(&admin, "asked@digest.example", "member")
        .await;
    s.invite_and_accept(&admin, "quiet@digest.example", "member")
        .await;

    // The settings: defaults, checked values, admins only.
    let t = s.get("/api/auth/tenant/", Some(&admin)).await.body;
    assert_eq!(
        (&t["digest_frequency"], &t["expiry_windows"]),
        (&json!("daily"), &json!([30, 7, 1]))
    );
    for bad in [
        json!({"expiry_windows": [0]}),
        json!({"expiry_windows": [1, 2, 3, 4, 5, 6]}),
        json!({"expiry_windows": "30"}),
        json!({"digest_frequency": "hourly"}),
        json!({"digest_frequency": ""}),
        json!({"expiry_windows": [7.5]}),
    ] {
        let r = s
            .patch("/api/auth/tenant/", Some(&admin), bad.clone())
            .await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.body);
    }
    assert_eq!(
        s.patch(
            "/api/auth/tenant/",
            Some(&asked),
            json!({"digest_frequency": "off"})
        )
        .await
        .status,
        403
    );
    let r = s
        .patch(
            "/api/auth/tenant/",
            Some(&admin),
            json!({"expiry_windows": [7, 60, 1]}),
        )
        .await;
    assert_eq!(r.body["expiry_windows"], json!([60, 7, 1]), "{:?}", r.body);
    let me = s
        .call(
            reqwest::Method::PUT,
            "/api/auth/notifications/",
            Some(&asked),
            Some(json!({"expiry_digest": true})),
        )
        .await;
    assert_eq!(
        (me.status.as_u16(), &me.body["receives_digest"]),
        (200, &json!(true))
    );

    let org = create_supplier(&s, &admin, "Nordic Steel AB")
        .await
        .unwrap();
    certificate_expiring_in(&s, &admin, &org, "Q-45", 45).await;
    certificate_expiring_in(&s, &admin, &org, "Q-400", 400).await;
    let mail = eventually_within(Duration::from_secs(60), "the digest", async || {
        digests_to(&s, "admin@digest.example").pop()
    })
    .await;
    assert!(
        mail.contains("Nordic Steel AB") && mail.contains("Q-45"),
        "{mail}"
    );
    assert!(!mail.contains("Q-400"), "outside every window: {mail}");
    assert!(
        mail.contains("multipart/alternative")
            && mail.contains("text/plain")
            && mail.contains("text/html"),
        "{mail}"
    );
    eventually_within(Duration::from_secs(60), "the member's digest", async || {
        (digests_to(&s, "asked@digest.example").len() == 1).then_some(())
    })
    .await;

    // Killed right after and started again: the digest is not sent a second time. Another
    // tenant's first digest after the restart shows the checks have run since.
    s.restart();
    let (other, _) = s.signup("admin@later.example", "Later Buyer").await;
    let other_org = create_supplier(&s, &other, "Later Supplier").await.unwrap();
    certificate_expiring_in(&s, &other, &other_org, "L-1", 3).await;
    eventually_within(
        Duration::from_secs(60),
        "the other tenant's digest",
        async || (!digests_to(&s, "admin@later.example").is_empty()).then_some(()),
    )
    .await;
    assert_eq!(digests_to(&s, "admin@digest.example").len(), 1);
    assert_eq!(digests_to(&s, "asked@digest.example").len(), 1);
    assert!(digests_to(&s, "quiet@digest.example").is_empty());
}
