//! `cargo bench --bench capacity`: how big a deployment one machine carries. Builds one data
//! directory with 1,000,000 certificates over 100,000 suppliers in 100 tenants and 50,000
//! monitored endpoints (on a local site), then runs the real binary on it and measures:
//! boot time to the first answered request, RSS after boot and after load, list p99, a
//! scrape cycle's lateness, backup time, and the retention sweep.
//!
//! Settings (environment): CAPACITY_TENANTS (100), CAPACITY_SUPPLIERS (1,000 per tenant),
//! CAPACITY_CERTS (10 per supplier), CAPACITY_ENDPOINTS (500 per tenant), CAPACITY_SCRAPE_SECS
//! (how long scrapes are watched, 120).

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use certwatch_domain::monitoring::EndpointPatch;
use certwatch_store::Store;
use chrono::Utc;
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
        common::load_registry(&store, tenant, suppliers, certs);
        add_endpoints(&store, tenant, t, endpoints, tenants * endpoints, site_addr);
        store.commit().await.unwrap();
        if (t + 1) % 10 == 0 {
            println!(
                "  {} tenants built in {:.0} s",
                t + 1,
                built.elapsed().as_secs_f64()
            );
        }
    }
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

    // Boot the real binary on it.
    let booted = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("serve")
        .env("CERTWATCH_LISTEN", "127.0.0.1:0")
        .env("CERTWATCH_DATA_DIR", &data_dir)
        .env("CERTWATCH_LOG", "warn")
        .env("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")
        .env("CERTWATCH_AUTH_RATE_PER_MINUTE", "1000000")
        .env("CERTWATCH_METRICS_TOKEN", "capacity-bench-metrics")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("the address").unwrap();
        if let Some(url) = line.strip_prefix("CertWatch listening on ") {
            break url.to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(format!("{base}/api/health/")).send().await
            && r.status().is_success()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let boot = booted.elapsed();
    let pid = child.id();
    println!(
        "boot to first answered request: {:.2} s; RSS after boot {:.0} MB",
        boot.as_secs_f64(),
        rss_mb(pid)
    );

    // Lists of one tenant (10,000 certificates by default), while the checks run.
    let body = common::log_in(&base, &login).await;
    let key = body["token"].as_str().unwrap().to_string();
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
                &base,
                path,
                &key,
            )
            .await
            .print();
        }
    }

    // The scrape cycle: endpoints are due evenly across their hour; watch how late the
    // checks start (from the server's own histogram).
    let before = lateness(&http, &base).await;
    tokio::time::sleep(watch).await;
    let after = lateness(&http, &base).await;
    let done = after.count - before.count;
    println!(
        "scrapes in {} s: {} ({:.1}/s, {:.1}/s needed for {} endpoints hourly); lateness p50 <= {} s, p99 <= {} s",
        watch.as_secs(),
        done,
        done / watch.as_secs_f64(),
        (tenants * endpoints) as f64 / FREQUENCY_SECS as f64,
        tenants * endpoints,
        after.quantile_since(&before, 0.5),
        after.quantile_since(&before, 0.99),
    );
    println!("RSS after lists and scrapes: {:.0} MB", rss_mb(pid));

    // A backup of the running server.
    let backup = data_dir.with_extension("cwbackup");
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .args(["backup", backup.to_str().unwrap()])
        .env("CERTWATCH_DATA_DIR", &data_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    println!(
        "backup while running: {:.1} s, {:.2} GB",
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&backup).unwrap().len() as f64 / 1e9
    );
    std::fs::remove_file(&backup).unwrap();

    // The retention sweep over all of it, with the server stopped.
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    child.wait().unwrap();
    let store = Store::open(&data_dir).unwrap();
    let started = Instant::now();
    let cutoffs = certwatch_store::retention::Cutoffs {
        scrape_logs: Utc::now() - chrono::Duration::days(90),
        deliveries: Utc::now() - chrono::Duration::days(90),
        events: Utc::now() - chrono::Duration::days(365),
    };
    let swept = certwatch_store::retention::sweep(
        &store,
        cutoffs,
        std::time::SystemTime::now() - certwatch_store::retention::FILE_GRACE,
    )
    .unwrap();
    println!(
        "retention sweep (nothing old to remove, every record looked at): {:.1} s, {swept:?}",
        started.elapsed().as_secs_f64()
    );
}

/// A tenant with an (unverified) admin, made the way registration makes one.
fn register(store: &Store, n: usize) -> uuid::Uuid {
    let (tenant, _) = certwatch_store::accounts::register(
        store,
        certwatch_store::accounts::Registration {
            email: format!("admin{n}@capacity.example"),
            password_hash: "not-a-hash".into(),
            organization_name: format!("Buyer {n}"),
            verification: certwatch_store::secrets::key_hash(&format!("verify-{n}")),
        },
        Utc::now(),
    )
    .unwrap();
    tenant.id
}

/// `count` endpoints on the tenant's first suppliers, all `total` of them due evenly across
/// their hour (as on a server that has run a while; a new endpoint is due at once).
fn add_endpoints(
    store: &Store,
    tenant: uuid::Uuid,
    t: usize,
    count: usize,
    total: usize,
    site: std::net::SocketAddr,
) {
    use certwatch_store::tables::endpoints;
    let orgs = certwatch_store::tables::organizations::all(store, tenant).unwrap();
    let now = Utc::now();
    for i in 0..count {
        let mut ep = certwatch_store::endpoints::edit(
            store,
            tenant,
            None,
            EndpointPatch {
                organization_id: Some(orgs[i % orgs.len()].id),
                url: Some(format!("http://{site}/t{t}/supplier{i}/certificates")),
                check_frequency: Some(FREQUENCY_SECS),
                is_active: Some(true),
            },
            false,
            now,
        )
        .unwrap();
        let offset = ((t * count + i) as u64 * FREQUENCY_SECS * 1000) / total as u64;
        let old = ep.clone();
        ep.next_check_at = Some(now + chrono::Duration::milliseconds(offset as i64));
        certwatch_store::tx::transact::<_, certwatch_store::StoreError>(
            store,
            &[endpoints::TREES],
            |tx| endpoints::put(tx, &ep, Some(&old)),
        )
        .unwrap();
    }
}

struct Lateness {
    count: f64,
    /// (upper bound in seconds, cumulative count)
    buckets: Vec<(f64, f64)>,
}

impl Lateness {
    /// The smallest bucket bound under which `q` of the checks since `before` started.
    fn quantile_since(&self, before: &Lateness, q: f64) -> String {
        let total = self.count - before.count;
        for (bound, n) in &self.buckets {
            let was = before
                .buckets
                .iter()
                .find(|(b, _)| b == bound)
                .map_or(0.0, |(_, was)| *was);
            if n - was >= q * total {
                return format!("{bound}");
            }
        }
        "inf".into()
    }
}

async fn lateness(http: &reqwest::Client, base: &str) -> Lateness {
    let text = http
        .get(format!("{base}/metrics"))
        .header("Authorization", "Bearer capacity-bench-metrics")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut buckets = Vec::new();
    let mut count = 0.0;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("certwatch_scrape_lateness_seconds_bucket{le=\"") {
            let (bound, value) = rest.split_once("\"} ").unwrap();
            buckets.push((
                bound.parse().unwrap_or(f64::INFINITY),
                value.parse().unwrap(),
            ));
        } else if let Some(v) = line.strip_prefix("certwatch_scrape_lateness_seconds_count ") {
            count = v.parse().unwrap();
        }
    }
    Lateness { count, buckets }
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
