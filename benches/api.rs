//! `cargo bench --bench api`: the foundation's figures, measured against the real server
//! on a loopback port (client and server share this machine's cores).
//!
//! - authenticated GET requests/s (`/api/auth/tokens/`, 8 concurrent clients), next to the
//!   public `/api/health/` as a baseline;
//! - durable writes/s with 32 concurrent clients (`POST /api/auth/tokens/`, each answered
//!   only after its write is flushed);
//! - login latency (argon2id verification plus a durable token write), one at a time.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

const RUN_FOR: Duration = Duration::from_secs(4);
const PASSWORD: &str = "loadTestSecret42";

struct Stats {
    name: String,
    count: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Stats {
    fn print(mut self) {
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        println!(
            "{:<52} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests)",
            self.name,
            self.count as f64 / self.elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
            self.count
        );
    }
}

/// Runs `clients` loops of `request` for [`RUN_FOR`], each checking its own status.
async fn load<F, Fut>(name: &str, clients: usize, request: F) -> Stats
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

fn verification_token(outbox: &std::path::Path) -> String {
    for _ in 0..400 {
        for entry in std::fs::read_dir(outbox).into_iter().flatten().flatten() {
            let mail = std::fs::read_to_string(entry.path()).unwrap_or_default();
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

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap().to_string();
    let config = certwatch_config::Config::load_with(None, |name| match name {
        "CERTWATCH_LISTEN" => Some("127.0.0.1:0".into()),
        "CERTWATCH_DATA_DIR" => Some(data.clone()),
        "CERTWATCH_AUTH_RATE_PER_MINUTE" => Some("1000000".into()),
        _ => None,
    })
    .unwrap();
    let server = certwatch::start(config).await.unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();

    let register =
        json!({"email": "bench@example.com", "password": PASSWORD, "organization_name": "Bench"});
    let r = http
        .post(format!("{base}/api/auth/register/"))
        .json(&register)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let token = verification_token(&dir.path().join("outbox"));
    let r = http
        .get(format!("{base}/api/auth/verify-email/?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let login = json!({"email": "bench@example.com", "password": PASSWORD});
    let body: Value = http
        .post(format!("{base}/api/auth/login/"))
        .json(&login)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = body["token"].as_str().unwrap().to_string();

    println!(
        "CertWatch foundation benchmark ({} s per run, loopback)",
        RUN_FOR.as_secs()
    );

    let url = format!("{base}/api/health/");
    load("GET /api/health/ (public), 8 clients", 8, move |http, _| {
        let url = url.clone();
        async move { http.get(url).send().await.unwrap().status() }
    })
    .await
    .print();

    let url = format!("{base}/api/auth/tokens/");
    let auth = format!("Token {key}");
    let (u, a) = (url.clone(), auth.clone());
    load(
        "GET /api/auth/tokens/ (authenticated), 8 clients",
        8,
        move |http, _| {
            let (url, auth) = (u.clone(), a.clone());
            async move {
                http.get(url)
                    .header("Authorization", auth)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        },
    )
    .await
    .print();

    let (u, a) = (url.clone(), auth.clone());
    load(
        "POST /api/auth/tokens/ (durable write), 32 clients",
        32,
        move |http, i| {
            let (url, auth) = (u.clone(), a.clone());
            async move {
                http.post(url)
                    .header("Authorization", auth)
                    .json(&json!({"name": format!("bench {i}")}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        },
    )
    .await
    .print();

    let url = format!("{base}/api/auth/login/");
    load(
        "POST /api/auth/login/ (argon2id + durable write), 1 client",
        1,
        move |http, _| {
            let (url, login) = (url.clone(), login.clone());
            async move { http.post(url).json(&login).send().await.unwrap().status() }
        },
    )
    .await
    .print();

    server.shutdown().await.unwrap();
}
