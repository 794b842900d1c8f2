//! What an operator watches: Prometheus metrics behind their token, JSON logs with request ids.

use super::*;

/// A sample's value, from a scrape parsed by a Prometheus text parser.
pub(crate) fn sample(
    scrape: &prometheus_parse::Scrape,
    metric: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            prometheus_parse::Value::Summary(_) => f64::NAN,
        })
}

/// `/metrics` of `s`, parsed.
pub(crate) async fn scraped(s: &Server) -> prometheus_parse::Scrape {
    let text = s.metrics().await;
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap()
}

async fn scrape(s: &Server, token: Option<&str>) -> (u16, String) {
    let mut req = s.http.get(format!("{}/metrics", s.base));
    if let Some(token) = token {
        req = req.header("Authorization", format!("Bearer {token}"));
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_prometheus_text_behind_their_token() {
    let site = common::site::Site::start().await;
    site.serve(
        "/certs",
        common::site::Resource::html("<p>No certificates yet</p>"),
    );
    let s = Server::start(&[
        ("CERTWATCH_METRICS_TOKEN", METRICS_TOKEN),
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
        // The flood below is not about the rate limit.
        ("CERTWATCH_API_RATE_PER_MINUTE", "100000"),
    ]);
    assert_eq!(scrape(&s, None).await.0, 401);
    assert_eq!(scrape(&s, Some("metrics-token-for-test")).await.0, 401);

    let (token, _) = s.signup("ops@metrics.example", "Metrics Buyer").await;
    let rx = common::receiver::subscribed(&s, &token, json!(["certificate.created"])).await;
    let org = create_supplier(&s, &token, "Measured").await.unwrap();
    certificate_expiring_in(&s, &token, &org, "M-1", 100).await;
    rx.wait_for(1).await;
    watched_page(&s, &token, &org, &site.url("/certs")).await;
    let ok = s
        .get(&format!("/api/organizations/{org}/"), Some(&token))
        .await;
    assert_eq!(ok.status, 200);

    let (status, text) = scrape(&s, Some(METRICS_TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    let parsed = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let at_least_one = |metric: &str, labels: &[(&str, &str)]| {
        let v = sample(&parsed, metric, labels);
        assert!(
            v.is_some_and(|v| v >= 1.0),
            "{metric} {labels:?}: {v:?}\n{text}"
        );
    };
    at_least_one(
        "certwatch_http_requests_total",
        &[
            ("method", "POST"),
            ("route", "/api/organizations/"),
            ("status", "201"),
        ],
    );
    at_least_one(
        "certwatch_http_requests_total",
        &[
            ("method", "GET"),
            ("route", "/api/organizations/:id/"),
            ("status", "200"),
        ],
    );
    at_least_one(
        "certwatch_http_request_duration_seconds_count",
        &[("method", "POST"), ("route", "/api/organizations/")],
    );
    at_least_one("certwatch_scrapes_total", &[("outcome", "success")]);
    at_least_one(
        "certwatch_scrape_duration_seconds_count",
        &[("outcome", "success")],
    );
    at_least_one(
        "certwatch_webhook_attempts_total",
        &[("outcome", "delivered")],
    );
    at_least_one("certwatch_webhook_attempt_duration_seconds_count", &[]);
    at_least_one("certwatch_mails_total", &[("outcome", "sent")]);
    at_least_one("certwatch_store_commit_duration_seconds_count", &[]);
    at_least_one("certwatch_store_size_bytes", &[]);
    at_least_one("certwatch_data_dir_free_bytes", &[]);
    at_least_one("certwatch_tenants", &[]);
    at_least_one("process_resident_memory_bytes", &[]);
    at_least_one("process_open_fds", &[]);
    assert_eq!(
        sample(&parsed, "certwatch_certificates", &[("status", "ACTIVE")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&parsed, "certwatch_webhook_deliveries_due", &[]),
        Some(0.0)
    );
    for reason in ["memory", "cpu", "time", "crashed", "unavailable"] {
        assert!(
            sample(
                &parsed,
                "certwatch_parse_jobs_refused_total",
                &[("reason", reason)]
            )
            .is_some()
        );
    }
    for outcome in ["matched", "needs_review", "failed"] {
        assert!(
            sample(
                &parsed,
                "certwatch_documents_total",
                &[("outcome", outcome)]
            )
            .is_some()
        );
    }
    assert!(
        sample(
            &parsed,
            "certwatch_parse_jobs_running",
            &[("lane", "documents")]
        )
        .is_some()
    );
    assert!(sample(&parsed, "certwatch_actor_restarts_total", &[]).is_some());

    // Named and typed the Prometheus way: a counter ends in `_total`, a duration is a
    // histogram in seconds, a size a gauge in bytes; no family mixes quantities.
    let mut families = std::collections::BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            families.insert(name.to_string(), kind.to_string());
        }
    }
    assert!(
        families.len() >= 20,
        "{} families: {families:?}",
        families.len()
    );
    for (name, kind) in &families {
        assert!(
            name.starts_with("certwatch_") || name.starts_with("process_"),
            "{name}"
        );
        match kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "{name} is a counter"),
            "gauge" => assert!(!name.ends_with("_total"), "{name} is a gauge"),
            "histogram" => assert!(name.ends_with("_seconds"), "{name} is a histogram"),
            other => panic!("{name} is {other}"),
        }
        if name.contains("duration") || name.contains("lateness") {
            assert_eq!(kind, "histogram", "{name}");
        }
    }
    assert!(!text.contains("certwatch_state"), "one quantity per family");

    // Random paths, anonymous and signed in, cannot grow the exposition: labels are route
    // templates.
    let flood = async |n: usize, salt: &str| {
        for i in 0..n {
            let random = format!("{salt}-{i}-{}", uuid::Uuid::new_v4().simple());
            for path in [
                format!("/api/v1/certificate/{random}"),
                format!("/api/organizations/{random}/"),
                format!("/{random}"),
                format!("/suppliers/{random}"),
                format!("/static/{random}"),
            ] {
                let _ = s
                    .http
                    .get(format!("{}{path}", s.base))
                    .send()
                    .await
                    .unwrap();
            }
            let _ = s
                .get(&format!("/api/certificates/?search={random}"), Some(&token))
                .await;
            let _ = s
                .http
                .request(
                    reqwest::Method::from_bytes(format!("X{i}").as_bytes()).unwrap(),
                    format!("{}/api/organizations/", s.base),
                )
                .send()
                .await
                .unwrap();
        }
    };
    flood(100, "warm").await;
    let before = scrape(&s, Some(METRICS_TOKEN)).await.1;
    flood(1000, "flood").await;
    let after = scrape(&s, Some(METRICS_TOKEN)).await.1;
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(
        series(&before),
        series(&after),
        "the flood added series:\n{after}"
    );

    // Without the setting there is no such path.
    let off = Server::start(&[("CERTWATCH_METRICS_TOKEN", "")]);
    assert_eq!(scrape(&off, Some(METRICS_TOKEN)).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_the_request_id_into_the_actor_work_it_causes() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("certwatch.log");
    let mut s = Server::start_logging_to(
        &[
            ("CERTWATCH_LOG_FORMAT", "json"),
            ("CERTWATCH_LOG", "info,certwatch_actors=debug"),
        ],
        &log_path,
    );
    let base = s.base.clone();

    let resp = s
        .http
        .post(format!("{base}/api/auth/register/"))
        .header("X-Request-Id", "req-register-7")
        .json(&json!({"email": "logs@json.example", "password": PASSWORD, "organization_name": "Logged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    assert_eq!(resp.headers()["x-request-id"], "req-register-7");
    // Without one (or with one that is not a plain token) the server makes one up.
    let odd = s
        .http
        .get(format!("{base}/api/health/"))
        .header("X-Request-Id", "not a token")
        .send()
        .await
        .unwrap();
    let made_up = odd.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(made_up.len() == 32 && made_up.bytes().all(|b| b.is_ascii_hexdigit()));

    let (token, _) = s.signup("admin@json.example", "Json Buyer").await;
    let created = s
        .http
        .post(format!("{base}/api/organizations/"))
        .header("Authorization", format!("Token {token}"))
        .header("X-Request-Id", "req-supplier-9")
        .json(&json!({"name": "Traced Supplier"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let logs = || -> Vec<Value> {
        std::fs::read_to_string(&log_path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    };
    let of = |logs: &[Value], id: &str, message: &str| {
        logs.iter().any(|l| {
            l["span"]["request_id"] == id && l["fields"]["message"].as_str() == Some(message)
        })
    };
    // The verification mail goes out from the mailer actor, after the accounts actor's
    // write is durable: both in the request's span.
    eventually_within(Duration::from_secs(30), "the request's lines", async || {
        let logs = logs();
        (of(&logs, "req-register-7", "answered")
            && of(&logs, "req-register-7", "mail sent")
            && of(
                &logs,
                "req-supplier-9",
                "tenant actor handles a request's message",
            ))
        .then_some(())
    })
    .await;

    // Every line the binary writes, its start-up and shutdown lines on stdout and stderr
    // included, is one JSON object (`logs` fails on any other line).
    assert!(s.terminate().success());
    let logs = logs();
    let says = |message: &str| {
        logs.iter().any(|l| {
            l["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(message))
        })
    };
    assert!(says("CertWatch listening on"), "{logs:?}");
    assert!(says("data directory: "));
    assert!(says("stopping"));
}
