//! `cargo bench --bench webhooks`: delivery throughput and latency with 100 subscribers,
//! all subscribed to every event, receiving on one local HTTP receiver. Each certificate
//! created through the API is one event and 100 deliveries; latency is from the event's
//! timestamp (when the change was recorded) to the receiver seeing the first attempt.
//!
//! Two runs: a burst of events all at once (throughput: how fast the queues drain), and
//! events paced at 10 per second, i.e. 1,000 deliveries/s (latency at that steady rate).

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use warp::Filter;

const SUBSCRIBERS: usize = 100;
const EVENTS: usize = 200;
const PACED_EVENTS: usize = 100;

#[tokio::main]
async fn main() {
    let b = common::start_with(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]).await;
    let http = reqwest::Client::new();
    let auth = format!("Token {}", b.key);

    let (url, latencies) = receiver().await;
    subscribe(&b, &http, &auth, &url).await;
    let (org, iso) = certificate_parts(&b, &http, &auth).await;

    let create = |i: usize| {
        let (http, auth, base) = (http.clone(), auth.clone(), b.base.clone());
        let body = json!({"organization": org, "certificate_type_id": iso, "certificate_number": format!("W-{i}")});
        tokio::spawn(async move {
            let r = http
                .post(format!("{base}/api/certificates/"))
                .header("Authorization", auth)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        })
    };
    let wait_for = |n: usize| {
        let latencies = latencies.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(120);
            while latencies.lock().unwrap().len() < n {
                assert!(
                    Instant::now() < deadline,
                    "only {} of {n} deliveries arrived",
                    latencies.lock().unwrap().len()
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    let report = |name: &str, expected: usize, elapsed: Duration| {
        let mut all = std::mem::take(&mut *latencies.lock().unwrap());
        all.sort_by(f64::total_cmp);
        let pct = |p: f64| all[((all.len() - 1) as f64 * p).round() as usize];
        println!(
            "{name:<44} {expected} deliveries in {:.2} s = {:>6.0} deliveries/s; event to first attempt p50 {:.1} ms, p99 {:.1} ms",
            elapsed.as_secs_f64(),
            expected as f64 / elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.99),
        );
    };
    println!(
        "CertWatch webhook benchmark: {SUBSCRIBERS} subscribers, each subscribed to every event"
    );

    let started = Instant::now();
    let tasks: Vec<_> = (0..EVENTS).map(create).collect();
    for t in tasks {
        t.await.unwrap();
    }
    wait_for(SUBSCRIBERS * EVENTS).await;
    report(
        &format!("burst: {EVENTS} events at once"),
        SUBSCRIBERS * EVENTS,
        started.elapsed(),
    );

    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    for i in 0..PACED_EVENTS {
        tick.tick().await;
        create(EVENTS + i);
    }
    wait_for(SUBSCRIBERS * PACED_EVENTS).await;
    report(
        &format!("paced: {PACED_EVENTS} events at 10/s"),
        SUBSCRIBERS * PACED_EVENTS,
        started.elapsed(),
    );

    b.server.shutdown().await.unwrap();
}

/// The receiver: records each delivery's latency from its event's timestamp. Its URL, and
/// the latencies so far.
async fn receiver() -> (String, Arc<Mutex<Vec<f64>>>) {
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let seen = latencies.clone();
    let route = warp::post()
        .and(warp::body::json())
        .map(move |body: Value| {
            let at: DateTime<Utc> = body["timestamp"].as_str().unwrap().parse().unwrap();
            let ms = (Utc::now() - at).num_microseconds().unwrap() as f64 / 1000.0;
            seen.lock().unwrap().push(ms);
            warp::reply()
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(warp::serve(route).incoming(listener).run());

    (url, latencies)
}

/// Subscribes `SUBSCRIBERS` receivers at `url` to every event.
async fn subscribe(b: &common::Bench, http: &reqwest::Client, auth: &str, url: &str) {
    for i in 0..SUBSCRIBERS {
        let sub: Value = http
            .post(format!("{}/api/webhooks/subscribers/", b.base))
            .header("Authorization", auth)
            .json(&json!({"name": format!("receiver {i}"), "url": url}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let r = http
            .post(format!("{}/api/webhooks/subscriptions/", b.base))
            .header("Authorization", auth)
            .json(&json!({"subscriber": sub["id"], "event_types": ["*"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
}

/// A supplier, and the id of a certificate type, for the certificates that make the events.
async fn certificate_parts(
    b: &common::Bench,
    http: &reqwest::Client,
    auth: &str,
) -> (Value, Value) {
    let org: Value = http
        .post(format!("{}/api/organizations/", b.base))
        .header("Authorization", auth)
        .json(&json!({"name": "Acme"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let types: Value = http
        .get(format!("{}/api/certificates/types/", b.base))
        .header("Authorization", auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let iso = types["results"][0]["id"].clone();

    (org["id"].clone(), iso)
}
