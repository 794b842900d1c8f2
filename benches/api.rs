//! `cargo bench --bench api`: the foundation's figures, measured against the real server
//! on a loopback port (client and server share this machine's cores).
//!
//! - authenticated GET requests/s (`/api/auth/tokens/`, 8 concurrent clients), next to the
//!   public `/api/health/` as a baseline;
//! - durable writes/s with 32 concurrent clients (`POST /api/auth/tokens/`, each answered
//!   only after its write is flushed);
//! - login latency (argon2id verification plus a durable token write), one at a time;
//! - integration API lookups/s (`/api/v1/certificate/{number}` with a `cw_` key, the
//!   per-tenant limit raised for the run), next to `/api/health/`.

mod common;

use certwatch_store::tables;
use serde_json::json;

#[tokio::main]
async fn main() {
    let b = common::start_with(&[("CERTWATCH_API_RATE_PER_MINUTE", "100000000")]).await;
    println!(
        "CertWatch foundation benchmark ({} s per run, loopback)",
        common::RUN_FOR.as_secs()
    );

    let url = format!("{}/api/health/", b.base);
    common::load("GET /api/health/ (public), 8 clients", 8, move |http, _| {
        let url = url.clone();
        async move { http.get(url).send().await.unwrap().status() }
    })
    .await
    .print();

    common::load_get(
        "GET /api/auth/tokens/ (authenticated), 8 clients",
        8,
        &b.base,
        "/api/auth/tokens/",
        &b.key,
    )
    .await
    .print();

    durable_writes(&b).await;
    integration_reads(&b).await;
    let url = format!("{}/api/health/", b.base);
    common::load(
        "GET /api/health/ (same run), 8 clients",
        8,
        move |http, _| {
            let url = url.clone();
            async move { http.get(url).send().await.unwrap().status() }
        },
    )
    .await
    .print();

    b.server.shutdown().await.unwrap();
}

/// Writes a client waits for until they are on disk: a token, a login (argon2id too).
async fn durable_writes(b: &common::Bench) {
    let url = format!("{}/api/auth/tokens/", b.base);
    let auth = format!("Token {}", b.key);
    common::load(
        "POST /api/auth/tokens/ (durable write), 32 clients",
        32,
        move |http, i| {
            let (url, auth) = (url.clone(), auth.clone());
            async move {
                let body = json!({"name": format!("bench {i}")});
                http.post(url)
                    .header("Authorization", auth)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        },
    )
    .await
    .print();

    let url = format!("{}/api/auth/login/", b.base);
    let login = b.login.clone();
    common::load(
        "POST /api/auth/login/ (argon2id + durable write), 1 client",
        1,
        move |http, _| {
            let (url, login) = (url.clone(), login.clone());
            async move { http.post(url).json(&login).send().await.unwrap().status() }
        },
    )
    .await
    .print();
}

/// `/api/v1/` reads with a `cw_` key, on a certificate made for them.
async fn integration_reads(b: &common::Bench) {
    let http = reqwest::Client::new();
    let auth = format!("Token {}", b.key);
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{}{path}", b.base))
            .header("Authorization", &auth)
            .json(&body)
            .send()
    };
    let key: serde_json::Value = post("/api/auth/api-keys/", json!({"name": "bench"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org: serde_json::Value = post("/api/organizations/", json!({"name": "Acme"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ty = tables::cert_types::by_code(b.server.actors.store(), b.tenant, "ISCC_EU")
        .unwrap()
        .unwrap()
        .id;
    let cert = json!({"organization": org["id"], "certificate_type_id": ty, "certificate_number": "ISCC-EU-1234", "expiry_date": "2030-12-31"});
    assert!(
        post("/api/certificates/", cert)
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let url = format!("{}/api/v1/certificate/ISCC-EU-1234", b.base);
    let bearer = format!("Bearer {}", key["key"].as_str().unwrap());
    common::load(
        "GET /api/v1/certificate/{number} (cw_ key), 8 clients",
        8,
        move |http, _| {
            let (url, bearer) = (url.clone(), bearer.clone());
            async move {
                http.get(url)
                    .header("Authorization", bearer)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        },
    )
    .await
    .print();
}
