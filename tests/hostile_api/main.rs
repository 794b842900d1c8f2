//! Hostile files and pages against the real server, run with small worker limits (256 MiB,
//! a few CPU seconds): compression bombs, sizes and counts that lie, work amplification,
//! deep nesting, floods, truncated and mislabelled files — uploaded by a member or served
//! by a supplier's site. Each must end with its reason while the server lives, stays
//! small, answers another tenant, and leaves nothing burning CPU — across a restart too.

#[path = "../common/mod.rs"]
mod common;
mod spreadsheets;

use std::io::Write;
use std::time::Duration;

use common::procs::{descendants, quiet, rss_mib, running};
use common::site::{Resource, Site};
use common::{Answer, Server, eventually_within, pdf};
use serde_json::{Value, json};

/// Generous for a busy 2-core machine: every job here is bounded far below it.
const LONG: Duration = Duration::from_secs(120);

fn server(extra: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
        ("CERTWATCH_WORKER_MEMORY_MB", "256"),
        ("CERTWATCH_WORKER_CPU_SECS", "5"),
        ("CERTWATCH_WORKER_TIMEOUT_SECS", "60"),
        ("CERTWATCH_MAX_XLSX_PART_MB", "16"),
        ("CERTWATCH_MAX_IMPORT_ROWS", "2000"),
        ("CERTWATCH_MAX_IMPORT_ERRORS", "50"),
    ];
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k, v));
    }
    Server::start(&env)
}

async fn bulk(s: &Server, token: &str, files: Vec<(&str, Vec<u8>)>) -> String {
    let r = s.upload("/api/bulk-upload/", token, "files", files).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn import(s: &Server, token: &str, name: &str, bytes: Vec<u8>) -> Answer {
    s.upload("/api/imports/upload/", token, "file", vec![(name, bytes)])
        .await
}

/// Waits for a batch to complete; its items by file name.
async fn completed(s: &Server, token: &str, batch: &str) -> Vec<Value> {
    eventually_within(LONG, "the batch completes", async || {
        let b = s
            .get(&format!("/api/bulk-upload/{batch}/"), Some(token))
            .await;
        (b.body["status"] == "completed").then_some(())
    })
    .await;
    let items = s
        .get(
            &format!("/api/bulk-upload/{batch}/items/?page_size=100"),
            Some(token),
        )
        .await;
    items.body["results"].as_array().unwrap().clone()
}

fn item<'a>(items: &'a [Value], file: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["filename"] == file)
        .unwrap_or_else(|| panic!("no item {file} in {items:?}"))
}

/// The server lives, is small, and another tenant is answered.
async fn still_fine(s: &Server, other_token: &str) {
    let health = s.get("/api/health/", None).await;
    assert_eq!(health.status, 200, "{:?}", health.body);
    let r = s.get("/api/organizations/", Some(other_token)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let rss = rss_mib(s.pid());
    assert!(rss < 300, "the server holds {rss} MiB");
}

/// A PNG header declaring `w` × `h` pixels, then `tag` (for the fake tesseract's log).
fn png(w: u32, h: u32, tag: &str) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend_from_slice(&w.to_be_bytes());
    png.extend_from_slice(&h.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    png.extend_from_slice(format!("TAG:{tag}:END").as_bytes());
    png
}

/// A stand-in for tesseract that logs which image it was given (by its tag) and then
/// takes `seconds`; it answers `--version` and `--list-langs` like the real one.
fn fake_tesseract(dir: &std::path::Path, seconds: &str) -> (String, std::path::PathBuf) {
    let log = dir.join("ocr.log");
    let script = dir.join("slow-tesseract");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1\" in --version) echo 'tesseract 5.3'; exit 0;; --list-langs) echo eng; exit 0;; esac\n\
             grep -ao 'TAG:[A-Za-z0-9]*' \"$1\" >> {log}\nsleep {seconds}\necho 'nothing certified here'\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    (script.to_string_lossy().into_owned(), log)
}

#[tokio::test]
async fn hostile_documents_end_with_their_reason_and_hurt_nobody() {
    let s = server(&[]);
    let (token, _) = s.signup("q@attacker.example", "Attacker").await;
    let (other, _) = s.signup("q@bystander.example", "Bystander").await;
    let r = s
        .post(
            "/api/organizations/",
            Some(&token),
            json!({"name": "Muster Metall GmbH", "vat": "DE123456789"}),
        )
        .await;
    assert_eq!(r.status, 201);

    let good = pdf::with_lines(&[
        "CERTIFICATE",
        "This is to certify that",
        "Muster Metall GmbH",
        "VAT ID: DE123456789",
        "has implemented a quality management system according to ISO 9001:2015",
        "Certificate No.: Q-2024-0815",
        "Valid until: 14.01.2027",
    ]);
    // Work amplification: thousands of distinct standards, each once searched for in the
    // whole text before the caps.
    let codes: Vec<String> = (0..4000)
        .map(|i| format!("ISO {} ISO {} Certificate No.: Q-{i}", 10000 + i, 50000 + i))
        .collect();
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    let amplifier = pdf::with_lines(&codes);
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    // A real scan cut short after its header: the size is plausible, the pixels are gone.
    let mut cut_scan = (0..)
        .map(|i| certwatch_corpus::document(certwatch_corpus::SEED, i))
        .find(|d| d.class.scan)
        .unwrap()
        .bytes;
    cut_scan.truncate(2048);
    // A cross-reference table that declares four billion objects.
    let lying_xref = {
        let text = String::from_utf8_lossy(&good).into_owned();
        let lying = text.replacen("/Size ", "/Size 4000000000 /Was ", 1);
        assert_ne!(lying, text, "the trailer declares its size");
        lying.into_bytes()
    };
    let batch = bulk(
        &s,
        &token,
        vec![
            ("bomb.pdf", pdf::flate_bomb(2 << 30)),
            ("huge.png", png(100_000, 100_000, "huge")),
            ("truncated.pdf", truncated),
            ("cut.jpg", cut_scan),
            ("xref.pdf", lying_xref),
            ("mislabelled.pdf", png(100, 100, "png")),
            // Arrays nested two hundred thousand deep: a recursive parser's stack.
            (
                "nested.pdf",
                [
                    b"%PDF-1.4\n1 0 obj\n".as_slice(),
                    &vec![b'['; 200_000],
                    b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
                ]
                .concat(),
            ),
            ("amplifier.pdf", amplifier),
            ("good.pdf", good),
        ],
    )
    .await;
    let refused = s
        .get(&format!("/api/bulk-upload/{batch}/"), Some(&token))
        .await;
    assert!(
        refused.body["file_errors"][0]
            .as_str()
            .unwrap()
            .contains("'mislabelled.pdf' is not a .pdf file"),
        "{:?}",
        refused.body
    );
    // The bystander is answered while the attacker's files are read.
    still_fine(&s, &other).await;
    let items = completed(&s, &token, &batch).await;

    let reason = |f: &str| item(&items, f)["reason"].as_str().unwrap_or("").to_string();
    assert_eq!(item(&items, "bomb.pdf")["status"], "failed");
    assert_eq!(
        reason("bomb.pdf"),
        "Reading this PDF needed more than 256 MiB of memory."
    );
    assert_eq!(item(&items, "huge.png")["status"], "failed");
    assert!(
        reason("huge.png").contains("declares 100000×100000 pixels"),
        "{}",
        reason("huge.png")
    );
    assert_eq!(item(&items, "truncated.pdf")["status"], "failed");
    assert!(!reason("truncated.pdf").is_empty());
    assert_eq!(item(&items, "cut.jpg")["status"], "failed", "{items:?}");
    assert!(
        reason("cut.jpg").contains("tesseract"),
        "{}",
        reason("cut.jpg")
    );
    assert_eq!(item(&items, "nested.pdf")["status"], "failed", "{items:?}");
    assert!(!reason("nested.pdf").is_empty());
    assert_ne!(item(&items, "xref.pdf")["status"], "pending");
    assert!(!reason("xref.pdf").contains("took longer"));
    // Read within its bounds: no limit was needed.
    let amp = reason("amplifier.pdf");
    assert!(
        !amp.contains("needed more") && !amp.contains("took longer"),
        "{amp}"
    );
    assert_ne!(item(&items, "amplifier.pdf")["status"], "pending");
    assert_eq!(item(&items, "good.pdf")["status"], "matched", "{items:?}");

    still_fine(&s, &other).await;
    quiet(s.pid(), LONG).await;
}

const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#;
const WORKBOOK: &[u8] = br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const RELS: &[u8] = br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

#[tokio::test]
async fn a_reader_past_its_deadline_is_killed_with_everything_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let (tesseract, log) = fake_tesseract(dir.path(), "600");
    let s = server(&[
        ("CERTWATCH_TESSERACT", tesseract.as_str()),
        ("CERTWATCH_WORKER_TIMEOUT_SECS", "3"),
    ]);
    let (token, _) = s.signup("q@attacker.example", "Attacker").await;
    let batch = bulk(&s, &token, vec![("slow.png", png(100, 100, "slow"))]).await;
    let items = completed(&s, &token, &batch).await;
    assert_eq!(item(&items, "slow.png")["status"], "failed");
    assert_eq!(
        item(&items, "slow.png")["reason"],
        "Reading this image took longer than 3 s."
    );
    assert!(std::fs::read_to_string(&log).unwrap().contains("TAG:slow"));
    // The program the worker started went with it.
    eventually_within(LONG, "the hanging program is gone", async || {
        running(&tesseract).is_empty().then_some(())
    })
    .await;
    quiet(s.pid(), LONG).await;
}

#[tokio::test]
async fn a_file_whose_reading_ends_the_service_twice_fails_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let (tesseract, _log) = fake_tesseract(dir.path(), "600");
    let mut s = server(&[
        ("CERTWATCH_TESSERACT", tesseract.as_str()),
        ("CERTWATCH_WORKER_TIMEOUT_SECS", "3600"),
    ]);
    let (token, _) = s.signup("q@attacker.example", "Attacker").await;
    let batch = bulk(&s, &token, vec![("stuck.png", png(100, 100, "stuck"))]).await;
    for _ in 0..2 {
        // The reading is under way (its attempt recorded first), then the service dies.
        eventually_within(LONG, "the reading runs", async || {
            (!running(&tesseract).is_empty()).then_some(())
        })
        .await;
        let workers = descendants(s.pid());
        assert!(!workers.is_empty());
        s.kill9();
        // Workers die with the server, and the programs with their workers.
        eventually_within(LONG, "nothing outlives the server", async || {
            let alive = workers.iter().any(|p| {
                std::path::Path::new(&format!("/proc/{p}")).exists()
                    && !running(&tesseract).is_empty()
            });
            (!alive && running(&tesseract).is_empty()).then_some(())
        })
        .await;
        s.restart();
    }
    let items = completed(&s, &token, &batch).await;
    assert_eq!(item(&items, "stuck.png")["status"], "failed");
    assert_eq!(
        item(&items, "stuck.png")["reason"],
        "Reading this image stopped the service 2 times; it is not tried again."
    );
    assert!(running(&tesseract).is_empty());
    quiet(s.pid(), LONG).await;
}

#[tokio::test]
async fn one_tenants_many_files_do_not_starve_anothers_one() {
    let dir = tempfile::tempdir().unwrap();
    let (tesseract, log) = fake_tesseract(dir.path(), "0.3");
    let s = server(&[
        ("CERTWATCH_TESSERACT", tesseract.as_str()),
        ("CERTWATCH_PARSE_JOBS", "1"),
    ]);
    let (busy, _) = s.signup("q@busy.example", "Busy").await;
    let (quiet_one, _) = s.signup("q@quiet.example", "Quiet").await;
    // Three batches of the busy tenant (each hands the pool two files at a time).
    let mut batches = Vec::new();
    for b in 0..3 {
        let files = (0..3)
            .map(|i| {
                (
                    format!("b{b}-{i}.png"),
                    png(100, 100, &format!("busy{b}x{i}")),
                )
            })
            .collect::<Vec<_>>();
        let files = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        batches.push(bulk(&s, &busy, files).await);
    }
    eventually_within(LONG, "the busy tenant's first file is read", async || {
        std::fs::read_to_string(&log)
            .ok()
            .filter(|l| l.contains("TAG:busy"))
            .map(|_| ())
    })
    .await;
    let theirs = bulk(&s, &quiet_one, vec![("q.png", png(100, 100, "quiet"))]).await;
    completed(&s, &quiet_one, &theirs).await;
    for b in &batches {
        completed(&s, &busy, b).await;
    }
    let order: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(order.len(), 10, "{order:?}");
    let at = order.iter().position(|t| t == "TAG:quiet").unwrap();
    // With first-come order the quiet tenant's file would wait behind six queued ones.
    assert!(
        at <= 2,
        "the quiet tenant's file was read {at}th: {order:?}"
    );
}

#[tokio::test]
async fn hostile_supplier_pages_and_documents_fail_their_scrape_not_the_server() {
    let s = server(&[]);
    let site = Site::start().await;
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let (other, _) = s.signup("q@bystander.example", "Bystander").await;
    let org = s
        .post(
            "/api/organizations/",
            Some(&token),
            json!({"name": "Supplier AG"}),
        )
        .await;
    let org = org.body["id"].as_str().unwrap().to_string();

    site.serve("/bomb.pdf", Resource::pdf(pdf::flate_bomb(2 << 30)));
    site.serve(
        "/links",
        Resource::html(&format!(
            "<h1>Zertifikate</h1><p>ISO 9001 Zertifikat-Nr. Q-1 gültig bis 14.01.2027</p>\
             <a href=\"/bomb.pdf\">ISO 9001 PDF</a>{}",
            (0..50_000)
                .map(|i| format!("<a href=\"/d{i}.pdf\">PDF {i}</a>"))
                .collect::<String>()
        )),
    );
    // Tables nested in cells: every row's text used to be read again for every level.
    site.serve(
        "/nested",
        Resource::html(&format!(
            "{}ISO 9001 Q-7{}",
            "<table><tr><td>".repeat(20_000),
            "</td></tr></table>".repeat(20_000)
        )),
    );
    // Five MiB of ever deeper elements.
    site.serve("/deep", Resource::html(&"<div><span>".repeat(400_000)));
    site.serve(
        "/standards",
        Resource::html(
            &(0..40_000)
                .map(|i| format!("ISO {} ", 10000 + i))
                .collect::<String>(),
        ),
    );
    // Every mention's sentence searched for company names: long runs of capitalised words
    // and legal forms, each line naming a standard.
    site.serve(
        "/holders",
        Resource::html(
            &(0..2_000)
                .map(|i| {
                    format!(
                        "<p>ISO 9001 Cert {i} {}GmbH &amp; Co. KG Ltd</p><p>{}AG</p>",
                        "Alpha Beta Gamma ".repeat(100),
                        "Zeta ".repeat(8)
                    )
                })
                .collect::<String>(),
        ),
    );

    let mut endpoints = Vec::new();
    for path in ["/links", "/nested", "/deep", "/standards", "/holders"] {
        let r = s
            .post(
                "/api/monitoring/endpoints/",
                Some(&token),
                json!({"organization_id": org, "url": site.url(path), "check_frequency": "1 00:00:00"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        endpoints.push((path, r.body["id"].as_str().unwrap().to_string()));
    }
    still_fine(&s, &other).await;
    let mut logs = std::collections::HashMap::new();
    for (path, id) in &endpoints {
        let log = eventually_within(LONG, &format!("{path} is scraped"), async || {
            s.newest_scrape_log(&token, id).await
        })
        .await;
        logs.insert(*path, log);
    }
    // The page is read; its bomb document fails on its own with the reason, and only ten
    // of fifty thousand document links are fetched.
    let links = &logs["/links"];
    assert_eq!(links["status"], "SUCCESS", "{links}");
    let docs = links["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 10);
    assert_eq!(
        docs[0]["error"], "reading the document needed more than 256 MiB of memory",
        "{links}"
    );
    assert_eq!(site.hits("/d20.pdf"), 0);
    // Nested tables are read in bounded time.
    let nested = &logs["/nested"];
    assert_eq!(nested["status"], "SUCCESS", "{nested}");
    // Deep nesting, a flood of standards and one of company names end, either read or
    // failed with a reason.
    for path in ["/deep", "/standards", "/holders"] {
        let log = &logs[path];
        if log["status"] == "FAILED" {
            let error = log["error"].as_str().unwrap();
            assert!(error.starts_with("reading the page "), "{path}: {error}");
        }
    }
    for path in ["/standards", "/holders"] {
        assert!(logs[path]["findings"].as_array().map_or(0, Vec::len) <= 200);
    }

    // Half a megabyte of robots.txt rules, each a pattern to compile: discovery reads them
    // in a worker and ends.
    site.serve(
        "/robots.txt",
        Resource::text(
            &(0..20_000)
                .map(|i| format!("Disallow: /{i}*a*b*$\n"))
                .collect::<String>(),
        ),
    );
    site.serve("/", Resource::html("<h1>Zertifikate</h1><p>ISO 9001</p>"));
    let crawled = s
        .post(
            "/api/organizations/",
            Some(&token),
            json!({"name": "Robots AG", "website": site.url("/")}),
        )
        .await;
    assert_eq!(crawled.status, 201, "{:?}", crawled.body);
    eventually_within(LONG, "discovery reads robots.txt and ends", async || {
        let h = s.get("/api/monitoring/health/", Some(&token)).await;
        (h.body["discoveries_running"] == 0 && site.hits("/robots.txt") > 0).then_some(())
    })
    .await;
    still_fine(&s, &other).await;
    quiet(s.pid(), LONG).await;
}
