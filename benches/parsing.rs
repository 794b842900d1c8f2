//! `cargo bench --bench parsing`: reading untrusted files in worker processes.
//!
//! Part 1: 200 real documents — the labelled corpus' first text PDFs and scans, each copy made
//! unique by a trailing comment so none is deduplicated — uploaded by three tenants at
//! once to the real binary (its own process, so its memory is measured alone). Reported:
//! documents per minute from the first upload to the last batch completed, and the server's
//! peak resident memory.
//!
//! Part 2: what the worker process costs per document against reading in process: the
//! same text PDFs (and a supplier page) read one after another by the library directly,
//! and through the pool (one long-lived worker, a frame each way).

#[path = "../tests/common/mod.rs"]
mod harness;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use certwatch_ingest::Limits;
use certwatch_ingest::document::{Ocr, read_document};
use certwatch_ingest::pool::{Lane, Pool, PoolConfig};
use certwatch_ingest::protocol::{Job, Reply};
use harness::Server;
use serde_json::json;
use uuid::Uuid;

const DOCUMENTS: usize = 200;
const TENANTS: usize = 3;

/// The first 30 documents of the labelled corpus (text PDFs and scans, as generated).
fn corpus() -> Vec<(String, Vec<u8>)> {
    certwatch_corpus::documents(certwatch_corpus::SEED, 0..30)
        .into_iter()
        .map(|d| (d.file, d.bytes))
        .collect()
}

/// Copy `i` of a corpus file, unique by a trailing comment (readers ignore what follows
/// a PDF's `%%EOF` or an image's end marker).
fn copy(name: &str, bytes: &[u8], i: usize) -> (String, Vec<u8>) {
    let mut b = bytes.to_vec();
    b.extend_from_slice(format!("\n%copy {i}\n").as_bytes());
    (format!("{i:03}-{name}"), b)
}

fn mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

async fn upload(s: &Server, token: &str, files: Vec<(String, Vec<u8>)>) -> String {
    let r = s.upload("/api/bulk-upload/", token, "files", files).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

async fn end_to_end() {
    let s = Server::start(&[]);
    let corpus = corpus();
    let mut tokens = Vec::new();
    for t in 0..TENANTS {
        let (token, _) = s
            .signup(&format!("q@tenant{t}.example"), &format!("Tenant {t}"))
            .await;
        let r = s
            .post(
                "/api/organizations/",
                Some(&token),
                json!({"name": "Muster Metall GmbH", "vat": "DE123456789"}),
            )
            .await;
        assert_eq!(r.status, 201);
        tokens.push(token);
    }
    let docs: Vec<(String, Vec<u8>)> = (0..DOCUMENTS)
        .map(|i| {
            let (name, bytes) = &corpus[i % corpus.len()];
            copy(name, bytes, i)
        })
        .collect();
    let scans = docs.iter().filter(|(n, _)| !n.ends_with(".pdf")).count();
    println!(
        "{DOCUMENTS} documents ({} text PDFs, {scans} scans), {TENANTS} tenants uploading at once",
        DOCUMENTS - scans
    );
    let rss_before = mb(s.pid(), "VmRSS");
    let started = Instant::now();
    let mut uploads = Vec::new();
    for (t, token) in tokens.iter().enumerate() {
        let mine: Vec<(String, Vec<u8>)> = docs
            .iter()
            .enumerate()
            .filter(|(i, _)| i % TENANTS == t)
            .map(|(_, d)| d.clone())
            .collect();
        uploads.push(upload(&s, token, mine));
    }
    let batches = futures_util::future::join_all(uploads).await;
    let mut peak_rss: f64 = 0.0;
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        peak_rss = peak_rss.max(mb(s.pid(), "VmRSS"));
        let mut done = 0;
        for (token, batch) in tokens.iter().zip(&batches) {
            let b = s
                .get(&format!("/api/bulk-upload/{batch}/"), Some(token))
                .await;
            if b.body["status"] == "completed" {
                done += 1;
            }
        }
        if done == TENANTS {
            break;
        }
        assert!(Instant::now() < deadline, "the batches did not complete");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let took = started.elapsed().as_secs_f64();
    let mut counts = [0u64; 3];
    for (token, batch) in tokens.iter().zip(&batches) {
        let b = s
            .get(&format!("/api/bulk-upload/{batch}/"), Some(token))
            .await;
        for (n, field) in
            counts
                .iter_mut()
                .zip(["matched_count", "needs_review_count", "failed_count"])
        {
            *n += b.body[field].as_u64().unwrap_or(0);
        }
    }
    let [matched, review, failed] = counts;
    println!(
        "read in {took:.1} s: {:.0} documents/minute ({matched} matched, {review} to review, {failed} failed)",
        DOCUMENTS as f64 / took * 60.0
    );
    println!(
        "server RSS: {rss_before:.0} MB before, {peak_rss:.0} MB at most while reading (VmHWM {:.0} MB)",
        mb(s.pid(), "VmHWM")
    );
}

async fn per_document_cost() {
    let pdfs: Vec<(String, Vec<u8>)> = corpus()
        .into_iter()
        .filter(|(n, _)| n.ends_with(".pdf"))
        .collect();
    let limits = Limits::default();
    let ocr = Ocr::probe("tesseract");
    let scratch = tempfile::tempdir().unwrap();
    let rounds = 10;

    let started = Instant::now();
    for _ in 0..rounds {
        for (_, bytes) in &pdfs {
            let read = read_document(
                bytes,
                "application/pdf",
                &scratch.path().join("w"),
                &ocr,
                &limits,
            );
            assert!(matches!(read, certwatch_domain::reading::Read::Fields(_)));
        }
    }
    let in_process = started.elapsed().as_secs_f64() * 1000.0 / (rounds * pdfs.len()) as f64;

    let pool = Pool::new(PoolConfig {
        program: env!("CARGO_BIN_EXE_certwatch").into(),
        memory_bytes: 1 << 30,
        timeout: Duration::from_secs(60),
        document_jobs: 1,
        page_jobs: 1,
        limits: limits.clone(),
    });
    let tenant = Uuid::new_v4();
    let files: Vec<PathBuf> = pdfs
        .iter()
        .enumerate()
        .map(|(i, (_, bytes))| {
            let p = scratch.path().join(format!("{i}.pdf"));
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    let job = |path: &PathBuf| Job::Document {
        path: path.clone(),
        content_type: "application/pdf".into(),
        scratch: scratch.path().join("w"),
        ocr: ocr.clone(),
    };
    // The first job starts the worker; it is timed apart.
    let first = Instant::now();
    pool.run(tenant, Lane::Documents, job(&files[0]))
        .await
        .unwrap();
    let spawn_ms = first.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    for _ in 0..rounds {
        for path in &files {
            match pool.run(tenant, Lane::Documents, job(path)).await.unwrap() {
                Reply::Document(certwatch_domain::reading::Read::Fields(_)) => {}
                other => panic!("{other:?}"),
            }
        }
    }
    let in_worker = started.elapsed().as_secs_f64() * 1000.0 / (rounds * files.len()) as f64;
    println!(
        "text PDF, one at a time: {in_process:.2} ms in process, {in_worker:.2} ms through a worker \
         (+{:.2} ms, {:.0}%); the first job, starting the worker, {spawn_ms:.1} ms",
        in_worker - in_process,
        (in_worker / in_process - 1.0) * 100.0
    );

    let page = "<html><body><h1>Certificates</h1><table>\
        <tr><th>Standard</th><th>Certificate No.</th><th>Valid until</th></tr>\
        <tr><td>ISO 9001:2015</td><td>Q-1-2024</td><td>14.01.2028</td></tr>\
        <tr><td>ISO 14001:2015</td><td>E-1-2024</td><td>30.06.2028</td></tr></table></body></html>";
    let url = url::Url::parse("https://supplier.example/certificates").unwrap();
    let n = 2000;
    let started = Instant::now();
    for _ in 0..n {
        let p = certwatch_ingest::page::parse(page, &url);
        std::hint::black_box(certwatch_ingest::mentions::page_mentions(&p.lines));
    }
    let page_in_process = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    let started = Instant::now();
    for _ in 0..n {
        let job = Job::Page {
            html: page.as_bytes().to_vec(),
            url: url.clone(),
        };
        pool.run(tenant, Lane::Pages, job).await.unwrap();
    }
    let page_in_worker = started.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!(
        "supplier page, one at a time: {page_in_process:.0} µs in process, {page_in_worker:.0} µs through a worker"
    );
}

#[tokio::main]
async fn main() {
    per_document_cost().await;
    end_to_end().await;
}
