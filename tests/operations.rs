//! Running unattended: backups and restores, scheduled backups, the admin commands
//! (`check-config`, `reset-password`), against the real binary.

mod common;

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

/// Monitors `url` for the supplier and waits for its first check: the endpoint's id.
async fn watched_page(s: &Server, token: &str, org: &str, url: &str) -> String {
    let ep = s
        .post(
            "/api/monitoring/endpoints/",
            Some(token),
            json!({"organization_id": org, "url": url, "check_frequency": "12:00:00"}),
        )
        .await;
    assert_eq!(ep.status, 201, "{:?}", ep.body);
    let ep = ep.body["id"].as_str().unwrap().to_string();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_writes_restores_to_a_server_that_answers_the_same() {
    let mut s = Server::start(&[]);
    let (token, _) = s.signup("ops@backup.example", "Backup Buyer").await;
    // A server that has run a while has been restarted: sled's sequence numbers move
    // ahead at each start, far past a new store's.
    for _ in 0..3 {
        s.restart();
    }
    let mut before = Vec::new();
    for i in 0..20 {
        let org = create_supplier(&s, &token, &format!("Supplier {i:02}"))
            .await
            .unwrap();
        certificate_expiring_in(&s, &token, &org, &format!("Q-{i}"), 700).await;
        before.push(org);
    }
    let (document, item) = upload_document(
        &s,
        &token,
        "doc.pdf",
        &["ISO 9001 certificate", "Certificate No. DOC-1"],
    )
    .await;

    // Writers keep creating suppliers while the backup is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..3 {
        let (stop, base, data_dir, token) = (
            stop.clone(),
            s.base.clone(),
            s.data_dir.clone(),
            token.clone(),
        );
        writers.push(tokio::spawn(async move {
            let s = Server::attach(&base, &data_dir);
            let mut created = 0;
            while !stop.load(Ordering::SeqCst) {
                if create_supplier(&s, &token, &format!("Writer {w} #{created}"))
                    .await
                    .is_some()
                {
                    created += 1;
                }
            }
            created
        }));
    }
    let data_dir = s.data_dir.clone();
    let target = tempfile::tempdir().unwrap();
    let file = target.path().join("live.cwbackup");
    let file_arg = file.to_str().unwrap().to_string();
    // Some writes land before the backup starts, so it is taken in the middle of them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backup = tokio::task::spawn_blocking(move || certwatch(&data_dir, &["backup", &file_arg]))
        .await
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    let mut written = 0;
    for w in writers {
        written += w.await.unwrap();
    }
    assert!(backup.status.success(), "{backup:?}");
    assert!(written > 0, "the writers wrote while the backup ran");
    assert!(!common_partial_left(target.path()));

    let restore = certwatch(
        target.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            target.path().join("restored").to_str().unwrap(),
        ],
    );
    assert!(restore.status.success(), "{restore:?}");
    assert_eq!(
        checksum(&restore),
        checksum(&backup),
        "every record restored as backed up"
    );

    let restored_dir = target.path().join("restored");
    let r = Server::start_prepared(&[], |dir| {
        std::fs::rename(&restored_dir, dir).unwrap();
    });
    // The same account signs in; its token from before the backup still works too.
    r.login("ops@backup.example", PASSWORD).await;
    let original_suppliers = all(&s, &token, "/api/organizations/").await;
    let restored_suppliers = all(&r, &token, "/api/organizations/").await;
    for org in &before {
        let a = s
            .get(&format!("/api/organizations/{org}/"), Some(&token))
            .await;
        let b = r
            .get(&format!("/api/organizations/{org}/"), Some(&token))
            .await;
        assert_eq!((b.status, &b.body), (a.status, &a.body));
    }
    // The snapshot is one moment: whatever it holds of the concurrent writes exists
    // unchanged in the original, and it holds everything written before it started.
    assert!(restored_suppliers.len() >= before.len());
    for supplier in &restored_suppliers {
        assert!(
            original_suppliers.contains(supplier),
            "{supplier} is not in the original"
        );
    }
    assert_eq!(
        all(&r, &token, "/api/certificates/").await,
        all(&s, &token, "/api/certificates/").await
    );
    assert_eq!(
        download(&r, &token, &item).await,
        document,
        "the uploaded file is restored"
    );
    // The restored server takes writes, and what it numbers in sequence (a certificate's
    // history) comes after what it was restored with.
    assert!(create_supplier(&r, &token, "After restore").await.is_some());
    let cert = all(&r, &token, "/api/certificates/").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let patched = r
        .patch(
            &format!("/api/certificates/{cert}/"),
            Some(&token),
            json!({"status": "REVOKED"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    let history = all(&r, &token, &format!("/api/certificates/{cert}/history/")).await;
    let actions: Vec<&str> = history
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["updated", "created"], "newest first");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_or_killed_server_is_backed_up_from_its_store() {
    let mut s = Server::start(&[]);
    let (token, _) = s.signup("ops@offline.example", "Offline Buyer").await;
    create_supplier(&s, &token, "Kept").await.unwrap();
    // Killed: its control socket is left behind, and nobody answers on it.
    s.kill9();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("offline.cwbackup");
    let backup = certwatch(&s.data_dir, &["backup", file.to_str().unwrap()]);
    assert!(backup.status.success(), "{backup:?}");
    assert!(stdout(&backup).contains("1 files") || stdout(&backup).contains("0 files"));
    let restored = dir.path().join("restored");
    let restore = certwatch(
        dir.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            restored.to_str().unwrap(),
        ],
    );
    assert!(restore.status.success(), "{restore:?}");
    assert_eq!(checksum(&restore), checksum(&backup));
    // Restoring over a data directory in use is refused, and a damaged file is refused.
    let again = certwatch(
        dir.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            restored.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success());
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&file, bytes).unwrap();
    let damaged = certwatch(
        dir.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            dir.path().join("d").to_str().unwrap(),
        ],
    );
    assert!(!damaged.status.success());
    assert!(
        String::from_utf8_lossy(&damaged.stderr).contains("not a usable backup"),
        "{damaged:?}"
    );

    s.start_again();
    let names: Vec<Value> = all(&s, &token, "/api/organizations/")
        .await
        .iter()
        .map(|o| o["name"].clone())
        .collect();
    assert_eq!(names, [json!("Kept")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_backups_rotate() {
    let backups = tempfile::tempdir().unwrap();
    let s = Server::start(&[
        ("CERTWATCH_BACKUP_DIR", backups.path().to_str().unwrap()),
        ("CERTWATCH_BACKUP_INTERVAL_SECS", "1"),
        ("CERTWATCH_BACKUP_KEEP", "2"),
    ]);
    let (token, _) = s.signup("ops@schedule.example", "Scheduled Buyer").await;
    create_supplier(&s, &token, "Scheduled").await.unwrap();
    let list = || {
        let mut names: Vec<String> = std::fs::read_dir(backups.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".cwbackup"))
            .collect();
        names.sort();
        names
    };
    let mut seen = std::collections::BTreeSet::new();
    eventually_within(
        Duration::from_secs(60),
        "four scheduled backups",
        async || {
            let now = list();
            assert!(now.len() <= 2, "rotation keeps two: {now:?}");
            seen.extend(now);
            (seen.len() >= 4).then_some(())
        },
    )
    .await;
    let newest = list().pop().unwrap();
    let restore = certwatch(
        backups.path(),
        &[
            "restore",
            backups.path().join(&newest).to_str().unwrap(),
            backups.path().join("check").to_str().unwrap(),
        ],
    );
    assert!(restore.status.success(), "{restore:?}");
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
    let online = certwatch(&s.data_dir, &["reset-password", "admin@locked.example"]);
    use_link(&s, &online, "a new Password 2026").await;
    let unknown = certwatch(&s.data_dir, &["reset-password", "nobody@locked.example"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no account"));

    // With the server stopped, it writes the link into the store itself.
    assert!(s.terminate().success());
    let offline = certwatch(&s.data_dir, &["reset-password", "admin@locked.example"]);
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

/// A sample's value, from a scrape parsed by a Prometheus text parser.
fn sample(scrape: &prometheus_parse::Scrape, metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            prometheus_parse::Value::Summary(_) => f64::NAN,
        })
}

async fn scrape(s: &Server, token: Option<&str>) -> (u16, String) {
    let mut req = s.http.get(format!("{}/metrics", s.base));
    if let Some(token) = token {
        req = req.header("Authorization", format!("Bearer {token}"));
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_behind_their_token() {
    let site = common::site::Site::start().await;
    site.serve(
        "/certs",
        common::site::Resource::html("<p>No certificates yet</p>"),
    );
    let s = Server::start(&[
        ("CERTWATCH_METRICS_TOKEN", METRICS_TOKEN),
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
        // The flood below is not about the rate limit.
        ("CERTWATCH_API_RATE_PER_MINUTE", "100000"),
    ]);
    assert_eq!(scrape(&s, None).await.0, 401);
    assert_eq!(scrape(&s, Some("metrics-token-for-test")).await.0, 401);

    let (token, _) = s.signup("ops@metrics.example", "Metrics Buyer").await;
    let rx = common::receiver::subscribed(&s, &token, json!(["certificate.created"])).await;
    let org = create_supplier(&s, &token, "Measured").await.unwrap();
    certificate_expiring_in(&s, &token, &org, "M-1", 100).await;
    rx.wait_for(1).await;
    watched_page(&s, &token, &org, &site.url("/certs")).await;
    let ok = s
        .get(&format!("/api/organizations/{org}/"), Some(&token))
        .await;
    assert_eq!(ok.status, 200);

    let (status, text) = scrape(&s, Some(METRICS_TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let at_least_one = |metric: &str, labels: &[(&str, &str)]| {
        let v = sample(&parsed, metric, labels);
        assert!(
            v.is_some_and(|v| v >= 1.0),
            "{metric} {labels:?}: {v:?}\n{text}"
        );
    };
    at_least_one(
        "certwatch_http_requests_total",
        &[
            ("method", "POST"),
            ("route", "/api/organizations/"),
            ("status", "201"),
        ],
    );
    at_least_one(
        "certwatch_http_requests_total",
        &[
            ("method", "GET"),
            ("route", "/api/organizations/:id/"),
            ("status", "200"),
        ],
    );
    at_least_one(
        "certwatch_http_request_duration_seconds_count",
        &[("method", "POST"), ("route", "/api/organizations/")],
    );
    at_least_one("certwatch_scrapes_total", &[("outcome", "success")]);
    at_least_one(
        "certwatch_scrape_duration_seconds_count",
        &[("outcome", "success")],
    );
    at_least_one(
        "certwatch_webhook_attempts_total",
        &[("outcome", "delivered")],
    );
    at_least_one("certwatch_webhook_attempt_duration_seconds_count", &[]);
    at_least_one("certwatch_mails_total", &[("outcome", "sent")]);
    at_least_one("certwatch_store_commit_duration_seconds_count", &[]);
    at_least_one("certwatch_store_size_bytes", &[]);
    at_least_one("certwatch_data_dir_free_bytes", &[]);
    at_least_one("certwatch_tenants", &[]);
    at_least_one("process_resident_memory_bytes", &[]);
    at_least_one("process_open_fds", &[]);
    assert_eq!(
        sample(&parsed, "certwatch_certificates", &[("status", "ACTIVE")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&parsed, "certwatch_webhook_deliveries_due", &[]),
        Some(0.0)
    );
    for reason in ["memory", "cpu", "time", "crashed", "unavailable"] {
        assert!(
            sample(
                &parsed,
                "certwatch_parse_jobs_refused_total",
                &[("reason", reason)]
            )
            .is_some()
        );
    }
    for outcome in ["matched", "needs_review", "failed"] {
        assert!(
            sample(
                &parsed,
                "certwatch_documents_total",
                &[("outcome", outcome)]
            )
            .is_some()
        );
    }
    assert!(
        sample(
            &parsed,
            "certwatch_parse_jobs_running",
            &[("lane", "documents")]
        )
        .is_some()
    );
    assert!(sample(&parsed, "certwatch_actor_restarts_total", &[]).is_some());

    // Named and typed the Prometheus way: a counter ends in `_total`, a duration is a
    // histogram in seconds, a size a gauge in bytes; no family mixes quantities.
    let mut families = std::collections::BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            families.insert(name.to_string(), kind.to_string());
        }
    }
    assert!(
        families.len() >= 20,
        "{} families: {families:?}",
        families.len()
    );
    for (name, kind) in &families {
        assert!(
            name.starts_with("certwatch_") || name.starts_with("process_"),
            "{name}"
        );
        match kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "{name} is a counter"),
            "gauge" => assert!(!name.ends_with("_total"), "{name} is a gauge"),
            "histogram" => assert!(name.ends_with("_seconds"), "{name} is a histogram"),
            other => panic!("{name} is {other}"),
        }
        if name.contains("duration") || name.contains("lateness") {
            assert_eq!(kind, "histogram", "{name}");
        }
    }
    assert!(!text.contains("certwatch_state"), "one quantity per family");

    // Random paths, anonymous and signed in, cannot grow the exposition: labels are route
    // templates.
    let flood = async |n: usize, salt: &str| {
        for i in 0..n {
            let random = format!("{salt}-{i}-{}", uuid::Uuid::new_v4().simple());
            for path in [
                format!("/api/v1/certificate/{random}"),
                format!("/api/organizations/{random}/"),
                format!("/{random}"),
                format!("/suppliers/{random}"),
                format!("/static/{random}"),
            ] {
                let _ = s
                    .http
                    .get(format!("{}{path}", s.base))
                    .send()
                    .await
                    .unwrap();
            }
            let _ = s
                .get(&format!("/api/certificates/?search={random}"), Some(&token))
                .await;
            let _ = s
                .http
                .request(
                    reqwest::Method::from_bytes(format!("X{i}").as_bytes()).unwrap(),
                    format!("{}/api/organizations/", s.base),
                )
                .send()
                .await
                .unwrap();
        }
    };
    flood(100, "warm").await;
    let before = scrape(&s, Some(METRICS_TOKEN)).await.1;
    flood(1000, "flood").await;
    let after = scrape(&s, Some(METRICS_TOKEN)).await.1;
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(
        series(&before),
        series(&after),
        "the flood added series:\n{after}"
    );

    // Without the setting there is no such path.
    let off = Server::start(&[("CERTWATCH_METRICS_TOKEN", "")]);
    assert_eq!(scrape(&off, Some(METRICS_TOKEN)).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_the_request_id_into_the_actor_work_it_causes() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("certwatch.log");
    let mut s = Server::start_logging_to(
        &[
            ("CERTWATCH_LOG_FORMAT", "json"),
            ("CERTWATCH_LOG", "info,certwatch_actors=debug"),
        ],
        &log_path,
    );
    let base = s.base.clone();

    let resp = s
        .http
        .post(format!("{base}/api/auth/register/"))
        .header("X-Request-Id", "req-register-7")
        .json(&json!({"email": "logs@json.example", "password": PASSWORD, "organization_name": "Logged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-request-id"], "req-register-7");
    // Without one (or with one that is not a plain token) the server makes one up.
    let odd = s
        .http
        .get(format!("{base}/api/health/"))
        .header("X-Request-Id", "not a token")
        .send()
        .await
        .unwrap();
    let made_up = odd.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(made_up.len() == 32 && made_up.bytes().all(|b| b.is_ascii_hexdigit()));

    let (token, _) = s.signup("admin@json.example", "Json Buyer").await;
    let created = s
        .http
        .post(format!("{base}/api/organizations/"))
        .header("Authorization", format!("Token {token}"))
        .header("X-Request-Id", "req-supplier-9")
        .json(&json!({"name": "Traced Supplier"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let logs = || -> Vec<Value> {
        std::fs::read_to_string(&log_path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    };
    let of = |logs: &[Value], id: &str, message: &str| {
        logs.iter().any(|l| {
            l["span"]["request_id"] == id && l["fields"]["message"].as_str() == Some(message)
        })
    };
    // The verification mail goes out from the mailer actor, after the accounts actor's
    // write is durable: both in the request's span.
    eventually_within(Duration::from_secs(30), "the request's lines", async || {
        let logs = logs();
        (of(&logs, "req-register-7", "answered")
            && of(&logs, "req-register-7", "mail sent")
            && of(
                &logs,
                "req-supplier-9",
                "tenant actor handles a request's message",
            ))
        .then_some(())
    })
    .await;

    // Every line the binary writes, its start-up and shutdown lines on stdout and stderr
    // included, is one JSON object (`logs` fails on any other line).
    assert!(s.terminate().success());
    let logs = logs();
    let says = |message: &str| {
        logs.iter().any(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(message))
        })
    };
    assert!(says("CertWatch listening on"), "{logs:?}");
    assert!(says("data directory: "));
    assert!(says("stopping"));
}
