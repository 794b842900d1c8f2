//! `cargo bench --bench capacity`: how big a deployment one machine carries. Builds one data
//! directory with 1,000,000 certificates over 100,000 suppliers in 100 tenants, 50,000
//! monitored endpoints (on a local site) and the history a retention sweep removes (old
//! scrape logs and events), then runs the real binary on it and measures: boot time to the
//! first answered request and until the server is idle (every tenant started, its catalog
//! loaded), resident memory, `/metrics`, list p99, the scrape cycle's lateness, a backup
//! under writes and how long writes waited for it, and the retention sweep.
//!
//! Settings (environment): CAPACITY_TENANTS (100), CAPACITY_SUPPLIERS (1,000 per tenant),
//! CAPACITY_CERTS (10 per supplier), CAPACITY_ENDPOINTS (500 per tenant), CAPACITY_OLD_LOGS
//! (old scrape logs per endpoint, 10), CAPACITY_OLD_EVENTS (per tenant, 1,000),
//! CAPACITY_SCRAPE_SECS (how long scrapes are watched, 120).
//!
//! With `CERTWATCH_BENCH_POSTGRES=postgres://user@host:port/postgres` (a server the bench may
//! create databases on) the data directory, once built, is moved into a new database with
//! `certwatch migrate-store` (timed) and the binary runs on PostgreSQL; the backup is then
//! `pg_dump`'s job and is not measured here.

mod common;
#[path = "capacity/data.rs"]
mod data;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use certwatch_store::Store;
use chrono::Utc;
use data::{add_endpoints, add_old_events, add_old_logs, register, schedule_endpoints};
use warp::Filter;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const FREQUENCY_SECS: u64 = 3600;

#[tokio::main]
async fn main() {
    let tenants = setting("CAPACITY_TENANTS", 100);
    let suppliers = setting("CAPACITY_SUPPLIERS", 1_000);
    let certs = setting("CAPACITY_CERTS", 10);
    let endpoints = setting("CAPACITY_ENDPOINTS", 500);
    let old_logs = setting("CAPACITY_OLD_LOGS", 10);
    let old_events = setting("CAPACITY_OLD_EVENTS", 1_000);
    let watch = Duration::from_secs(setting("CAPACITY_SCRAPE_SECS", 120) as u64);

    // The supplier sites: every monitored page is served here.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site_addr = listener.local_addr().unwrap();
    let page = warp::any().map(|| {
        warp::reply::html(
            "<html><body><h1>Quality</h1><p>Our ISO 9001 certificate is on file.</p></body></html>",
        )
    });
    tokio::spawn(warp::serve(page).incoming(listener).run());

    // Build the data directory in process, through the store's write operations.
    let bench = common::start_with(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]).await;
    let data_dir = bench.server.config.data_dir.clone();
    let store = bench.server.actors.store().clone();
    let built = Instant::now();
    let mut tenant_ids = vec![bench.tenant];
    for t in 1..tenants {
        tenant_ids.push(register(&store, t));
    }
    for (t, &tenant) in tenant_ids.iter().enumerate() {
        // Events are kept in the order they were recorded: the old ones come first.
        add_old_events(&store, tenant, old_events);
        common::load_registry(&store, tenant, suppliers, certs);
        add_endpoints(&store, tenant, t, endpoints, site_addr);
        add_old_logs(&store, tenant, old_logs);
        store.commit().await.unwrap();
        if (t + 1) % 10 == 0 {
            println!(
                "  {} tenants built in {:.0} s",
                t + 1,
                built.elapsed().as_secs_f64()
            );
        }
    }
    // Due evenly across the hour from now, as on a server that has run a while: the scrapes
    // watched below are the steady cycle, not a catch-up after the build.
    schedule_endpoints(&store, &tenant_ids, Utc::now());
    store.commit().await.unwrap();
    let build_secs = built.elapsed().as_secs_f64();
    let login = bench.login.clone();
    // The binary takes the store over: every handle of this process goes first.
    drop(store);
    bench.server.shutdown().await.unwrap();
    let size = dir_size(&data_dir);
    println!(
        "CertWatch capacity: {} tenants, {} suppliers, {} certificates, {} endpoints; built in {:.0} s, {:.2} GB on disk",
        tenants,
        tenants * suppliers,
        tenants * suppliers * certs,
        tenants * endpoints,
        build_secs,
        size as f64 / 1e9
    );

    // On PostgreSQL: the built directory moved there, as an operator moves one.
    let postgres = std::env::var("CERTWATCH_BENCH_POSTGRES")
        .ok()
        .map(|admin| move_into_postgres(&data_dir, &admin));
    let (mut child, base, pid) = boot(&data_dir, postgres.as_deref()).await;
    time_metrics(&base).await;
    let body = common::log_in(&base, &login).await;
    let key = body["token"].as_str().unwrap().to_string();
    time_lists(&base, &key).await;
    // The scrape cycle: endpoints are due evenly across their hour; watch how late the
    // checks start (from the server's own histogram).
    let window = (Utc::now(), watch);
    tokio::time::sleep(watch).await;
    println!("RSS after lists and scrapes: {:.0} MB", rss_mb(pid));

    if postgres.is_none() {
        backup_while_writing(&base, &key, &data_dir).await;
    }
    // The retention sweep over all of it, with the server stopped: once with the old
    // history to remove, once more as the next day's sweep finds it.
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    child.wait().unwrap();
    let store = Store::open_at(postgres.as_deref(), &data_dir, None).unwrap();
    print_lateness(&store, window, tenants * endpoints);
    sweep_twice(&store);
}

/// Moves the sled store of `data_dir` into a new database on the server `admin` names,
/// timed: the new database's URL.
fn move_into_postgres(data_dir: &Path, admin: &str) -> String {
    let url = common::database(admin, "bench_capacity");
    let started = Instant::now();
    let moved = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("migrate-store")
        .arg(format!("--from=sled:{}", data_dir.display()))
        .arg(format!("--to={url}"))
        .env("CERTWATCH_LOG", "warn")
        .output()
        .unwrap();
    assert!(moved.status.success(), "migrate-store: {moved:?}");
    println!(
        "migrate-store into PostgreSQL: {:.0} s",
        started.elapsed().as_secs_f64()
    );
    url
}

/// Boots the real binary on the data directory (its store in PostgreSQL at `postgres`, if
/// given): the child, its address and its pid, once it answers and once it is idle.
async fn boot(data_dir: &Path, postgres: Option<&str>) -> (std::process::Child, String, u32) {
    let booted = Instant::now();
    let mut settings = vec![
        ("CERTWATCH_DATA_DIR", data_dir.to_str().unwrap()),
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
        ("CERTWATCH_AUTH_RATE_PER_MINUTE", "1000000"),
        ("CERTWATCH_METRICS_TOKEN", "capacity-bench-metrics"),
    ];
    if let Some(url) = postgres {
        settings.push(("CERTWATCH_STORE", url));
    }
    let (child, base) = common::spawn_binary(&settings).await;
    let boot = booted.elapsed();
    let pid = child.id();
    println!(
        "boot to first answered request: {:.2} s; RSS then {:.0} MB",
        boot.as_secs_f64(),
        rss_mb(pid)
    );
    let settled = wait_until_idle(pid).await;
    println!(
        "boot until idle (every tenant started, its catalog loaded): {:.0} s; RSS then {:.0} MB",
        (boot + settled).as_secs_f64(),
        rss_mb(pid)
    );
    (child, base, pid)
}

/// How long `/metrics` takes to answer, three times.
async fn time_metrics(base: &str) {
    let http = reqwest::Client::new();
    for _ in 0..3 {
        let started = Instant::now();
        let metrics = http
            .get(format!("{base}/metrics"))
            .header("Authorization", "Bearer capacity-bench-metrics")
            .send()
            .await
            .unwrap();
        assert!(metrics.status().is_success());
        metrics.bytes().await.unwrap();
        println!(
            "GET /metrics: {:.0} ms",
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
}

/// Lists of one tenant (10,000 certificates by default), by one client and by four.
async fn time_lists(base: &str, key: &str) {
    for clients in [1, 4] {
        for (name, path) in [
            (
                "certificates, 50 per page",
                "/api/certificates/?page_size=50",
            ),
            (
                "certificates expiring soonest, 50",
                "/api/certificates/?ordering=expiry_date&status=ACTIVE&page_size=50",
            ),
            ("suppliers, 50 per page", "/api/organizations/?page_size=50"),
            (
                "certificates, search=nord",
                "/api/certificates/?search=nord",
            ),
        ] {
            common::load_get(
                &format!("{name} ({clients} clients)"),
                clients,
                base,
                path,
                key,
            )
            .await
            .print();
        }
    }
}

/// A backup of the running server, while one client keeps writing: its slowest write is
/// how long the snapshot held writes back.
async fn backup_while_writing(base: &str, key: &str, data_dir: &Path) {
    let backup = data_dir.with_extension("cwbackup");
    let backing_up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let writer = tokio::spawn(keep_writing(
        base.to_string(),
        key.to_string(),
        backing_up.clone(),
    ));
    let started = Instant::now();
    let out = tokio::task::spawn_blocking({
        let (backup, data_dir) = (backup.clone(), data_dir.to_path_buf());
        move || {
            Command::new(env!("CARGO_BIN_EXE_certwatch"))
                .args(["backup", backup.to_str().unwrap()])
                .env("CERTWATCH_DATA_DIR", &data_dir)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let took = started.elapsed();
    backing_up.store(false, std::sync::atomic::Ordering::Relaxed);
    let (writes, failed, slowest) = writer.await.unwrap();
    assert!(out.status.success(), "{out:?}");
    println!(
        "backup while running: {:.1} s, {:.2} GB; {writes} writes meanwhile ({failed} failed), the slowest {:.2} s",
        took.as_secs_f64(),
        std::fs::metadata(&backup).unwrap().len() as f64 / 1e9,
        slowest.as_secs_f64()
    );
    std::fs::remove_file(&backup).unwrap();
}

/// The retention sweep, once with the old history to remove, once more as the next day's
/// sweep finds it.
fn sweep_twice(store: &Store) {
    for run in ["first", "next"] {
        let started = Instant::now();
        let cutoffs = certwatch_store::ops::retention::Cutoffs {
            scrape_logs: Utc::now() - chrono::Duration::days(90),
            deliveries: Utc::now() - chrono::Duration::days(90),
            events: Utc::now() - chrono::Duration::days(365),
        };
        let swept = certwatch_store::ops::retention::sweep(
            store,
            cutoffs,
            std::time::SystemTime::now() - certwatch_store::ops::retention::FILE_GRACE,
            |_| true,
        )
        .unwrap();
        println!(
            "retention sweep, {run}: {:.1} s, {swept:?}",
            started.elapsed().as_secs_f64()
        );
    }
}

/// Waits until the process uses less than a fifth of a core over two seconds: how long
/// that took.
async fn wait_until_idle(pid: u32) -> Duration {
    let started = Instant::now();
    let mut last = cpu_ticks(pid);
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = cpu_ticks(pid);
        // Ticks are 1/100 s: 40 ticks in two seconds is a fifth of a core.
        if now - last < 40 || started.elapsed() > Duration::from_secs(1800) {
            return started.elapsed();
        }
        last = now;
    }
}

/// User and system CPU time of the process so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after its ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

/// Creates API tokens one after another while `running`: how many, how many failed, and
/// the slowest.
async fn keep_writing(
    base: String,
    key: String,
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (usize, usize, Duration) {
    let http = reqwest::Client::new();
    let (mut writes, mut failed, mut slowest) = (0, 0, Duration::ZERO);
    while running.load(std::sync::atomic::Ordering::Relaxed) {
        let t = Instant::now();
        let status = http
            .post(format!("{base}/api/auth/tokens/"))
            .header("Authorization", format!("Token {key}"))
            .json(&serde_json::json!({"name": format!("during backup {writes}")}))
            .send()
            .await
            .unwrap()
            .status();
        if !status.is_success() {
            failed += 1;
        }
        slowest = slowest.max(t.elapsed());
        writes += 1;
    }
    (writes, failed, slowest)
}

/// How late the timed checks of `window` (its start and length) started, from their logs.
fn print_lateness(store: &Store, window: (chrono::DateTime<Utc>, Duration), endpoints: usize) {
    use certwatch_domain::monitoring::ScrapeLog;
    let (from, length) = window;
    let until = from + chrono::Duration::from_std(length).unwrap();
    let mut late: Vec<f64> = store
        .tree(certwatch_store::engine::trees::Tree::ScrapeLogs)
        .iter()
        .values()
        .map(|v| certwatch_store::decode::<ScrapeLog>(&v.unwrap()).unwrap())
        .filter(|log| log.started_at >= from && log.started_at < until)
        .filter_map(|log| Some((log.started_at - log.scheduled_for?).as_seconds_f64()))
        .collect();
    late.sort_by(f64::total_cmp);
    let at = |q: f64| late[((late.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "scrapes in {} s: {} ({:.1}/s, {:.1}/s needed for {endpoints} endpoints hourly)",
        length.as_secs(),
        late.len(),
        late.len() as f64 / length.as_secs_f64(),
        endpoints as f64 / FREQUENCY_SECS as f64,
    );
    if !late.is_empty() {
        println!(
            "  started late by: p50 {:.2} s, p99 {:.2} s, max {:.2} s",
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}
