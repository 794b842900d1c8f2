//! What the benchmarks share: an in-process server on a loopback port, an account on it,
//! and a load loop that reports throughput and latency percentiles.

#![allow(dead_code)] // each bench uses a different part

use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const RUN_FOR: Duration = Duration::from_secs(4);
const PASSWORD: &str = "loadTestSecret42";

pub struct Stats {
    pub name: String,
    pub count: usize,
    pub elapsed: Duration,
    pub latencies: Vec<Duration>,
}

impl Stats {
    pub fn print(mut self) {
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        println!(
            "{:<60} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests)",
            self.name,
            self.count as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            self.count
        );
    }
}

/// Runs `clients` loops of `request` for [`RUN_FOR`], each checking its own status.
pub async fn load<F, Fut>(name: &str, clients: usize, request: F) -> Stats
where
    F: Fn(reqwest::Client, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = reqwest::StatusCode> + Send,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let request = request.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut latencies = Vec::new();
                let mut i = 0;
                while start.elapsed() < RUN_FOR {
                    let t = Instant::now();
                    let status = request(http.clone(), c * 1_000_000 + i).await;
                    assert!(status.is_success(), "{status}");
                    latencies.push(t.elapsed());
                    i += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    Stats {
        name: name.to_string(),
        count: latencies.len(),
        elapsed: start.elapsed(),
        latencies,
    }
}

/// GETs `path` with the token from `clients` concurrent clients.
pub async fn load_get(name: &str, clients: usize, base: &str, path: &str, key: &str) -> Stats {
    let url = format!("{base}{path}");
    let auth = format!("Token {key}");
    load(name, clients, move |http, _| {
        let (url, auth) = (url.clone(), auth.clone());
        async move {
            http.get(url)
                .header("Authorization", auth)
                .send()
                .await
                .unwrap()
                .status()
        }
    })
    .await
}

pub struct Bench {
    pub server: certwatch::RunningServer,
    pub base: String,
    /// Login token of the bench account (an admin of its tenant).
    pub key: String,
    pub tenant: uuid::Uuid,
    pub login: Value,
    pub dir: tempfile::TempDir,
}

/// Starts a server on a fresh data directory and signs up one account through the API.
pub async fn start() -> Bench {
    start_with(&[]).await
}

/// [`start`] with more settings, as `CERTWATCH_*` name and value.
pub async fn start_with(settings: &[(&str, &str)]) -> Bench {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let server = start_server(&data, settings).await;
    let base = format!("http://{}", server.addr);
    let (login, body) = sign_up(&base, dir.path(), "bench@example.com").await;
    Bench {
        server,
        base,
        key: body["token"].as_str().unwrap().to_string(),
        tenant: body["tenant_id"].as_str().unwrap().parse().unwrap(),
        login,
        dir,
    }
}

/// Registers `email` (a tenant of its own) at the server `base` whose data directory is
/// `data` (its outbox has the verification mail), verifies and logs in: the login (email
/// and password) and the login answer.
pub async fn sign_up(base: &str, data: &std::path::Path, email: &str) -> (Value, Value) {
    let http = reqwest::Client::new();
    let register = json!({"email": email, "password": PASSWORD, "organization_name": "Bench"});
    let r = http
        .post(format!("{base}/api/auth/register/"))
        .json(&register)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let token = verification_token(&data.join("outbox"), email);
    let r = http
        .get(format!("{base}/api/auth/verify-email/?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let login = json!({"email": email, "password": PASSWORD});
    let body = log_in(base, &login).await;
    (login, body)
}

/// Starts the real binary, `certwatch serve` with `settings` (as `CERTWATCH_*` name and
/// value) on a loopback port, logging warnings only: the child and its address, once it
/// answers.
pub async fn spawn_binary(settings: &[(&str, &str)]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("serve")
        .env("CERTWATCH_LISTEN", "127.0.0.1:0")
        .env("CERTWATCH_LOG", "warn")
        .envs(settings.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
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
    (child, base)
}

/// A server on the data directory `data` with the bench's settings and `settings` (which
/// win).
pub async fn start_server(data: &str, settings: &[(&str, &str)]) -> certwatch::RunningServer {
    let config = certwatch_config::Config::load_with(None, |name| {
        if let Some((_, v)) = settings.iter().find(|(k, _)| *k == name) {
            return Some(v.to_string());
        }
        match name {
            "CERTWATCH_LISTEN" => Some("127.0.0.1:0".into()),
            "CERTWATCH_DATA_DIR" => Some(data.to_string()),
            "CERTWATCH_AUTH_RATE_PER_MINUTE" => Some("1000000".into()),
            // In process, this executable is the bench: workers are the real binary.
            "CERTWATCH_WORKER_PROGRAM" => Some(env!("CARGO_BIN_EXE_certwatch").into()),
            // `CERTWATCH_STORE=postgres://… cargo bench`: the same run on PostgreSQL.
            "CERTWATCH_STORE" => std::env::var("CERTWATCH_STORE").ok(),
            _ => None,
        }
    })
    .unwrap();
    certwatch::start(config).await.unwrap()
}

/// Logs in with `login` (email and password): the login answer.
pub async fn log_in(base: &str, login: &Value) -> Value {
    reqwest::Client::new()
        .post(format!("{base}/api/auth/login/"))
        .json(login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The token of the verification mail to `email` in `outbox`.
fn verification_token(outbox: &std::path::Path, email: &str) -> String {
    for _ in 0..400 {
        for entry in std::fs::read_dir(outbox).into_iter().flatten().flatten() {
            let mail = std::fs::read_to_string(entry.path()).unwrap_or_default();
            if !mail.contains(&format!("To: {email}")) {
                continue;
            }
            if let Some(rest) = mail.split("Verification token: ").nth(1) {
                return rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect();
            }
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("no verification mail in {}", outbox.display());
}

const BODIES: &[&str] = &["TÜV SÜD", "TÜV NORD", "DEKRA", "Bureau Veritas", "DNV"];
const COUNTRIES: &[&str] = &["DE", "AT", "FR", "IT", "PL", "CZ", "NL"];
const CODES: &[&str] = &[
    "ISO_9001",
    "ISO_14001",
    "ISO_45001",
    "IATF_16949",
    "ISCC_EU",
];

/// Loads `orgs` organizations with `certs_per_org` certificates each into `tenant` through
/// the store's write operations (the ones the tenant actor runs), which keep the catalog
/// indexes current as the API would. Expiry dates spread from a year ago to three years
/// ahead. Call `store.commit()` afterwards.
pub fn load_registry(
    store: &certwatch_store::Store,
    tenant: uuid::Uuid,
    orgs: usize,
    certs_per_org: usize,
) {
    use certwatch_domain::registry::{CertPatch, CertStatus, OrgPatch};
    use certwatch_store::{ops::certificates, ops::organizations, tables};
    use chrono::{Duration, Utc};
    let now = Utc::now();
    let today = now.date_naive();
    let types: Vec<_> = CODES
        .iter()
        .map(|c| {
            tables::cert_types::by_code(store, tenant, c)
                .unwrap()
                .unwrap()
                .id
        })
        .collect();
    for o in 0..orgs {
        let org = organizations::edit(
            store,
            tenant,
            None,
            OrgPatch {
                external_id: Some(Some(format!("SUP-{o:05}"))),
                name: Some(format!("Supplier {o:05} GmbH")),
                country: Some(Some(COUNTRIES[o % COUNTRIES.len()].to_string())),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        for c in 0..certs_per_org {
            let n = o * certs_per_org + c;
            // Expiry dates spread from a year ago to three years ahead.
            let expiry = today + Duration::days((n * 7919 % 1460) as i64 - 365);
            let patch = CertPatch {
                organization_id: Some(org.id),
                certificate_type_id: Some(types[n % types.len()]),
                certificate_number: Some(format!("CERT-{n:06}")),
                issuing_body: Some(BODIES[n % BODIES.len()].to_string()),
                scope: Some(format!("Manufacturing of part family {}", n % 97)),
                issue_date: Some(Some(expiry - Duration::days(1095))),
                expiry_date: Some(Some(expiry)),
                status: Some(if expiry < today {
                    CertStatus::Expired
                } else {
                    CertStatus::Active
                }),
                document_url: None,
                document_hash: None,
            };
            let by = certwatch_domain::history::ChangedBy::User(uuid::Uuid::nil());
            certificates::edit(store, tenant, None, patch, by, now).unwrap();
        }
    }
}

/// A new database on the server `admin` names: its URL.
pub fn database(admin: &str, name: &str) -> String {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| d.filter_map(|e| e.ok().map(|e| e.path())).max())
        .expect("PostgreSQL's client programs are installed")
        .join("bin");
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        let done = std::process::Command::new(bin.join("psql"))
            .args([admin, "-q", "-c", &sql])
            .status()
            .unwrap();
        assert!(done.success(), "{sql}");
    }
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}
