//! `cargo bench --bench pages`: the web app's pages rendered for a signed-in person of a
//! tenant holding 100,000 certificates over 10,000 suppliers, against the real server on a
//! loopback port: the dashboard and 50-row lists, each by one client (the latency a person
//! sees) and by 4 at once.

mod common;

use std::time::Instant;

use chrono::{Duration, Utc};

const ORGS: usize = 10_000;
const CERTS_PER_ORG: usize = 10;

#[tokio::main]
async fn main() {
    let b = common::start().await;
    let store = b.server.actors.store().clone();
    let started = Instant::now();
    common::load_registry(&store, b.tenant, ORGS, CERTS_PER_ORG);
    store.commit().await.unwrap();
    println!(
        "CertWatch pages benchmark: {} suppliers, {} certificates loaded in {:.1} s; {} s per run",
        ORGS,
        ORGS * CERTS_PER_ORG,
        started.elapsed().as_secs_f64(),
        common::RUN_FOR.as_secs()
    );
    let today = Utc::now().date_naive();
    let runs = [
        ("dashboard", "/".to_string()),
        ("certificates, 50 rows", "/certificates/".to_string()),
        (
            "certificates expiring within 30 days, 50 rows",
            format!(
                "/certificates/?status=ACTIVE&expiry_date_after={today}&expiry_date_before={}&ordering=expiry_date",
                today + Duration::days(30)
            ),
        ),
        (
            "certificates, search=nord, 50 rows",
            "/certificates/?search=nord".to_string(),
        ),
        ("suppliers, 50 rows", "/suppliers/".to_string()),
        (
            "suppliers without a valid certificate, 50 rows",
            "/suppliers/?without_valid_certificate=true".to_string(),
        ),
    ];
    let cookie = format!("cw_session={}", b.key);
    for clients in [1, 4] {
        for (name, path) in &runs {
            let url = format!("{}{path}", b.base);
            let cookie = cookie.clone();
            common::load(
                &format!("{name} ({clients} clients)"),
                clients,
                move |http, _| {
                    let (url, cookie) = (url.clone(), cookie.clone());
                    async move {
                        let r = http.get(url).header("cookie", cookie).send().await.unwrap();
                        let status = r.status();
                        // The whole page is read, as a browser would.
                        let page = r.text().await.unwrap();
                        assert!(page.contains("</html>"));
                        status
                    }
                },
            )
            .await
            .print();
        }
    }
    b.server.shutdown().await.unwrap();
}
