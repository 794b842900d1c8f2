//! `cargo bench --bench registry`: list queries on one tenant holding 100,000 certificates
//! over 10,000 organizations, 8 concurrent clients each, against the real server on a
//! loopback port. The data is loaded through the store's write operations (the ones the
//! tenant actor runs), which keep the catalog indexes current as the API would.

mod common;

use std::time::Instant;

use certwatch_domain::registry::CertStatus;
use certwatch_domain::registry::{CertPatch, OrgPatch};
use certwatch_store::{certificates, organizations, tables};
use chrono::{Duration, Utc};

const ORGS: usize = 10_000;
const CERTS_PER_ORG: usize = 10;
const BODIES: &[&str] = &["TÜV SÜD", "TÜV NORD", "DEKRA", "Bureau Veritas", "DNV"];
const COUNTRIES: &[&str] = &["DE", "AT", "FR", "IT", "PL", "CZ", "NL"];
const CODES: &[&str] = &[
    "ISO_9001",
    "ISO_14001",
    "ISO_45001",
    "IATF_16949",
    "ISCC_EU",
];

#[tokio::main]
async fn main() {
    let b = common::start().await;
    let store = b.server.actors.store().clone();
    let tenant = b.tenant;
    let now = Utc::now();
    let today = now.date_naive();

    let started = Instant::now();
    let types: Vec<_> = CODES
        .iter()
        .map(|c| {
            tables::cert_types::by_code(&store, tenant, c)
                .unwrap()
                .unwrap()
                .id
        })
        .collect();
    for o in 0..ORGS {
        let org = organizations::edit(
            &store,
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
        for c in 0..CERTS_PER_ORG {
            let n = o * CERTS_PER_ORG + c;
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
            };
            let by = certwatch_domain::history::ChangedBy::User(uuid::Uuid::nil());
            certificates::edit(&store, tenant, None, patch, by, now).unwrap();
        }
    }
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
