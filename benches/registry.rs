//! `cargo bench --bench registry`: list queries on one tenant holding 100,000 certificates
//! over 10,000 organizations, 8 concurrent clients each, against the real server on a
//! loopback port. The data is loaded through the store's write operations (the ones the
//! tenant actor runs), which keep the catalog indexes current as the API would.

mod common;

use std::time::Instant;

use chrono::{Duration, Utc};

const ORGS: usize = 10_000;
const CERTS_PER_ORG: usize = 10;

#[tokio::main]
async fn main() {
    let b = common::start().await;
    let store = b.server.actors.store().clone();
    let tenant = b.tenant;
    let today = Utc::now().date_naive();

    let started = Instant::now();
    common::load_registry(&store, tenant, ORGS, CERTS_PER_ORG);
    store.commit().await.unwrap();
    println!(
        "CertWatch registry benchmark: {} organizations, {} certificates loaded in {:.1} s; {} s per run, 8 clients",
        ORGS,
        ORGS * CERTS_PER_ORG,
        started.elapsed().as_secs_f64(),
        common::RUN_FOR.as_secs()
    );

    let before = today + Duration::days(180);
    let runs = [
        (
            "certificates, unfiltered first page",
            "/api/certificates/".to_string(),
        ),
        (
            "certificates, expiry_date_before + ordering=expiry_date",
            format!("/api/certificates/?expiry_date_before={before}&ordering=expiry_date"),
        ),
        (
            "certificates, search=nord (20% match)",
            "/api/certificates/?search=nord".to_string(),
        ),
        (
            "certificates, search=cert-01234 (10 match)",
            "/api/certificates/?search=cert-01234".to_string(),
        ),
        (
            "organizations with certificate counts",
            "/api/organizations/".to_string(),
        ),
        (
            "certificates/expiring/ (30 days)",
            "/api/certificates/expiring/".to_string(),
        ),
    ];
    for (name, path) in runs {
        common::load_get(name, 8, &b.base, &path, &b.key)
            .await
            .print();
    }
    b.server.shutdown().await.unwrap();
}
