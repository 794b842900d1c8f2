//! `cargo bench --bench monitoring`: 10,000 active endpoints (2,000 suppliers with 5
//! certificate pages each) in one server process, scraping a local test site.
//!
//! Phase 1 creates the endpoints through the API; each is checked as soon as it exists, so
//! this is a burst of 10,000 due checks at once. Phase 2 sets every endpoint's frequency to
//! two minutes: the checks then fall due spread the way phase 1 finished them, and the
//! report says how late each ran against its schedule (`started_at - scheduled_for`).
//! The server is the real binary in its own process (the tests' harness), so its resident
//! memory is measured alone.

#[path = "../tests/common/mod.rs"]
mod harness;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use harness::Server;
use serde_json::{Value, json};
use warp::Filter;

const ENDPOINTS: usize = 10_000;
const PAGES_PER_SUPPLIER: usize = 5;
const CLIENTS: usize = 16;

/// A supplier page: a certificate table with two certificates of its own.
fn page(n: u32) -> String {
    format!(
        "<html><body><h1>Certificates</h1><table>\
         <tr><th>Standard</th><th>Certificate No.</th><th>Issued by</th><th>Valid until</th></tr>\
         <tr><td>ISO 9001:2015</td><td>Q-{n}-2024</td><td>TÜV SÜD</td><td>14.01.2028</td></tr>\
         <tr><td>ISO 14001:2015</td><td>E-{n}-2024</td><td>DEKRA</td><td>30.06.2028</td></tr>\
         </table><p>Contact us for details.</p></body></html>"
    )
}

/// A `/proc/<pid>/status` figure (`VmRSS`, `VmHWM`) in MB.
fn mb(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn print_rss(s: &Server, when: &str) {
    println!(
        "server RSS {when}: {:.0} MB (peak so far {:.0} MB)",
        mb(s.pid(), "VmRSS"),
        mb(s.pid(), "VmHWM")
    );
}

fn percentiles(name: &str, mut secs: Vec<f64>) {
    secs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let at = |p: f64| secs[((secs.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "{name:<44} p50 {:>7.2} s   p99 {:>7.2} s   max {:>7.2} s   ({} checks)",
        at(0.5),
        at(0.99),
        secs.last().copied().unwrap_or(0.0),
        secs.len()
    );
}

/// Runs `work(i)` for i in 0..n with [`CLIENTS`] at a time.
async fn each<F, Fut>(n: usize, work: F)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    futures_util::stream::iter(0..n)
        .map(work)
        .buffer_unordered(CLIENTS)
        .collect::<Vec<()>>()
        .await;
}

/// The scrape logs, newest first: `count` of them from page `page` of size `size`.
async fn log_page(s: &Server, key: &str, page: usize, size: usize) -> Value {
    let r = s
        .get(
            &format!("/api/monitoring/logs/?page={page}&page_size={size}"),
            Some(key),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

/// Waits until there are `n` scrape logs.
async fn wait_for_logs(s: &Server, key: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let count = log_page(s, key, 1, 1).await["count"].as_u64().unwrap();
        if count >= n {
            return;
        }
        assert!(Instant::now() < deadline, "only {count} of {n} checks ran");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every scrape log.
async fn all_logs(s: &Server, key: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let body = log_page(s, key, page, 500).await;
        out.extend(body["results"].as_array().unwrap().iter().cloned());
        if body["next"].is_null() {
            return out;
        }
    }
    unreachable!()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::main]
async fn main() {
    let site = warp::path!("supplier" / u32).map(|n| warp::reply::html(page(n)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(warp::serve(site).incoming(listener).run());

    let s = Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]);
    let (key, _) = s.signup("bench@buyer.example", "Bench").await;
    print_rss(&s, "at start");
    let suppliers = ENDPOINTS / PAGES_PER_SUPPLIER;
    let mut orgs = Vec::new();
    for i in 0..suppliers {
        let r = s
            .post(
                "/api/organizations/",
                Some(&key),
                json!({"name": format!("Supplier {i}")}),
            )
            .await;
        orgs.push(r.body["id"].as_str().unwrap().to_string());
    }

    // Phase 1: every endpoint is due the moment it is created.
    let start = Instant::now();
    let ids = std::sync::Mutex::new(Vec::new());
    each(ENDPOINTS, |i| {
        let body = json!({
            "organization_id": orgs[i / PAGES_PER_SUPPLIER],
            "url": format!("{site_url}/supplier/{i}"),
        });
        let (s, key, ids) = (&s, &key, &ids);
        async move {
            let r = s.post("/api/monitoring/endpoints/", Some(key), body).await;
            assert_eq!(r.status, 201);
            ids.lock()
                .unwrap()
                .push(r.body["id"].as_str().unwrap().to_string());
        }
    })
    .await;
    let created = start.elapsed();
    println!(
        "created {ENDPOINTS} endpoints in {:.1} s ({:.0}/s)",
        created.as_secs_f64(),
        ENDPOINTS as f64 / created.as_secs_f64()
    );
    wait_for_logs(&s, &key, ENDPOINTS as u64).await;
    let took = start.elapsed();
    print_rss(&s, "after phase 1, 10,000 endpoints checked once");
    println!(
        "phase 1: {ENDPOINTS} first checks done {:.1} s after the first create ({:.0} scrapes/s overall)",
        took.as_secs_f64(),
        ENDPOINTS as f64 / took.as_secs_f64()
    );

    // Phase 2: checks due two minutes after each endpoint's last one.
    let ids = ids.into_inner().unwrap();
    each(ids.len(), |i| {
        let (s, key, path) = (&s, &key, format!("/api/monitoring/endpoints/{}/", ids[i]));
        async move {
            let r = s
                .patch(&path, Some(key), json!({"check_frequency": "00:02:00"}))
                .await;
            assert_eq!(r.status, 200);
        }
    })
    .await;
    wait_for_logs(&s, &key, 2 * ENDPOINTS as u64).await;
    print_rss(&s, "after phase 2, 10,000 endpoints checked twice");

    report(&s, &key).await;
    let health = s.get("/api/monitoring/health/", Some(&key)).await.body;
    println!("monitoring health: {health}");
}

/// How late the checks started, read from every log and endpoint through the API (after
/// memory was measured): the burst's first checks after creation, then the scheduled ones
/// against when they were due.
async fn report(s: &Server, key: &str) {
    let mut created_at: HashMap<String, DateTime<Utc>> = HashMap::new();
    for page in 1..=ENDPOINTS / 500 {
        let path = format!("/api/monitoring/endpoints/?page={page}&page_size=500");
        for e in s.get(&path, Some(key)).await.body["results"]
            .as_array()
            .unwrap()
        {
            created_at.insert(
                e["id"].as_str().unwrap().to_string(),
                time(&e["created_at"]),
            );
        }
    }
    let mut by_endpoint: HashMap<String, Vec<Value>> = HashMap::new();
    for log in all_logs(s, key).await {
        assert_eq!(log["status"], "SUCCESS", "{log}");
        let ep = log["endpoint"].as_str().unwrap().to_string();
        by_endpoint.entry(ep).or_default().push(log);
    }
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (ep, mut logs) in by_endpoint {
        logs.sort_by_key(|l| time(&l["started_at"]));
        assert_eq!(logs.len(), 2, "{ep}");
        assert_eq!(
            logs[0]["changes"].as_array().unwrap().len(),
            2,
            "two certificates created"
        );
        first.push((time(&logs[0]["started_at"]) - created_at[&ep]).as_seconds_f64());
        let started = time(&logs[1]["started_at"]);
        second.push((
            started,
            (started - time(&logs[1]["scheduled_for"])).as_seconds_f64(),
        ));
    }
    percentiles("phase 1 (burst): first check after creation", first);
    let starts = second.iter().map(|(at, _)| *at);
    let span = starts.clone().max().unwrap() - starts.min().unwrap();
    println!(
        "phase 2: {} scheduled checks over {:.1} s ({:.0} scrapes/s)",
        second.len(),
        span.as_seconds_f64(),
        second.len() as f64 / span.as_seconds_f64().max(0.001)
    );
    percentiles(
        "phase 2 (on schedule): start - due",
        second.into_iter().map(|(_, late)| late).collect(),
    );
}
