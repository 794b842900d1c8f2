//! `cargo bench --bench supplier_loop`: the reminder pass over one tenant holding 100,000
//! certificates of 10,000 suppliers (each with a contact, two types required of every
//! supplier): the first pass, which opens and mails every request the suppliers owe, and
//! a steady pass after it; the compliance refresh; the memory they take; and the supplier
//! page's latency, 8 concurrent clients over the links the first pass mailed.

mod common;

use std::time::Instant;

use certwatch_domain::compliance::{AppliesTo, RequirementPatch};
use certwatch_domain::contacts::ContactPatch;
use certwatch_store::ops::{compliance, contacts, reminders, requirements};
use certwatch_store::tables;
use chrono::Utc;

const ORGS: usize = 10_000;
const CERTS_PER_ORG: usize = 10;

/// The process's resident and peak memory, in MiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (kib("VmRSS:") / 1024, kib("VmHWM:") / 1024)
}

#[tokio::main]
async fn main() {
    let b = common::start_with(&[("CERTWATCH_REMINDER_INTERVAL", "86400")]).await;
    let store = b.server.actors.store().clone();
    let tenant = b.tenant;
    let now = Utc::now();
    let started = Instant::now();
    common::load_registry(&store, tenant, ORGS, CERTS_PER_ORG);
    for org in store.catalog(tenant).unwrap().read().org_ids() {
        let patch = ContactPatch {
            name: Some("Quality".into()),
            email: Some(format!("qm-{}@supplier.example", org.simple())),
            ..Default::default()
        };
        contacts::edit(&store, tenant, org, None, patch, now).unwrap();
    }
    for code in ["ISO_9001", "ISO_14001"] {
        let ty = tables::cert_types::by_code(&store, tenant, code)
            .unwrap()
            .unwrap();
        let patch = RequirementPatch {
            certificate_type_id: Some(ty.id),
            applies_to: Some(AppliesTo::All),
        };
        requirements::edit(&store, tenant, None, patch, now).unwrap();
    }
    store.commit().await.unwrap();
    let (rss, _) = memory();
    println!(
        "CertWatch supplier-loop benchmark: {ORGS} suppliers with a contact, {} certificates, 2 requirements of all; loaded in {:.1} s; RSS {rss} MiB",
        ORGS * CERTS_PER_ORG,
        started.elapsed().as_secs_f64(),
    );

    let t = Instant::now();
    let first = reminders::run(&store, tenant, now, 30).unwrap().value;
    store.commit().await.unwrap();
    let (rss, peak) = memory();
    println!(
        "first reminder pass: {:.2} s ({} requests opened and mailed, {} mails); RSS {rss} MiB, peak {peak} MiB",
        t.elapsed().as_secs_f64(),
        first.opened,
        first.mails.len()
    );
    let t = Instant::now();
    let steady = reminders::run(&store, tenant, now, 30).unwrap().value;
    println!(
        "steady reminder pass (nothing due): {:.2} s ({} mails)",
        t.elapsed().as_secs_f64(),
        steady.mails.len()
    );
    let t = Instant::now();
    let _ = compliance::refresh(&store, tenant, now).unwrap();
    let first_refresh = t.elapsed();
    let t = Instant::now();
    let _ = compliance::refresh(&store, tenant, now).unwrap();
    println!(
        "compliance refresh over {ORGS} suppliers: {:.0} ms first (records every state), {:.0} ms after",
        first_refresh.as_secs_f64() * 1000.0,
        t.elapsed().as_secs_f64() * 1000.0
    );

    let tokens: Vec<String> = first.mails.iter().map(|m| m.token.clone()).collect();
    let base = b.base.clone();
    common::load("supplier page GET /supplier/{token}/", 8, move |http, i| {
        let url = format!("{base}/supplier/{}/", tokens[i % tokens.len()]);
        async move { http.get(url).send().await.unwrap().status() }
    })
    .await
    .print();
    b.server.shutdown().await.unwrap();
}
