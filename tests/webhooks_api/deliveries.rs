//! Deliveries: retries, failures, gone and hanging receivers, SIGKILL, no proxy.

use super::*;

#[tokio::test]
async fn failing_receivers_are_retried_then_failed_and_retried_by_hand() {
    let s = server();
    let t = setup(&s, "a@one.example").await;
    let (flaky, dead) = (Receiver::start().await, Receiver::start().await);
    flaky.script(
        &[Answer::Status(500), Answer::Status(503)],
        Answer::Status(200),
    );
    dead.script(&[], Answer::Status(500));
    for rx in [&flaky, &dead] {
        let sub = t.subscriber(&rx.url).await;
        t.subscribe(&sub, json!(["certificate.created"]), None)
            .await;
    }
    t.cert(&t.org, "R-1", &days(100)).await;

    // Fails twice, then succeeds: the same webhook-id every time.
    let tries = flaky.wait_for(3).await;
    assert!(
        tries
            .iter()
            .all(|r| r.id == tries[0].id && r.id.starts_with("msg_"))
    );
    // Always failing: the whole schedule (3 attempts), then FAILED with each attempt kept.
    dead.wait_for(3).await;
    let failed = common::eventually("no FAILED delivery", async || {
        let failed = t.deliveries("status=FAILED").await;
        (failed["count"] == 1).then(|| failed["results"][0].clone())
    })
    .await;
    assert_eq!(failed["attempt_count"], 3);
    assert!(
        failed["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status_code"] == 500 && a["response_body"] == "ok")
    );
    let ok = t.deliveries("status=SUCCESS").await["results"][0].clone();
    assert_eq!(ok["attempt_count"], 3);
    assert_eq!(ok["webhook_id"], tries[0].id.as_str());

    // Not FAILED: no retry. FAILED: back to PENDING, delivered again, history kept.
    let ok_id = ok["id"].as_str().unwrap();
    assert_eq!(
        s.call(
            reqwest::Method::POST,
            &format!("/api/webhooks/deliveries/{ok_id}/retry/"),
            Some(&t.key),
            None
        )
        .await
        .status,
        400
    );
    dead.script(&[], Answer::Status(204));
    let id = failed["id"].as_str().unwrap();
    let retried = s
        .call(
            reqwest::Method::POST,
            &format!("/api/webhooks/deliveries/{id}/retry/"),
            Some(&t.key),
            None,
        )
        .await;
    assert_eq!(retried.status, 200);
    assert_eq!(
        retried.body,
        json!({"status": "retry_queued", "delivery_id": id})
    );
    dead.wait_for(4).await;
    let d = common::eventually("retried delivery never succeeded", async || {
        let d = s
            .get(&format!("/api/webhooks/deliveries/{id}/"), Some(&t.key))
            .await
            .body;
        (d["status"] == "SUCCESS").then_some(d)
    })
    .await;
    assert_eq!(d["attempt_count"], 4);
}

#[tokio::test]
async fn gone_receivers_are_deactivated() {
    let s = server();
    let t = setup(&s, "a@one.example").await;
    let rx = Receiver::start().await;
    rx.script(&[], Answer::Status(410));
    let sub = t.subscriber(&rx.url).await;
    t.subscribe(&sub, json!(["*"]), None).await;
    t.cert(&t.org, "G-1", &days(100)).await;
    rx.wait_for(1).await;
    let path = format!("/api/webhooks/subscribers/{}/", sub["id"].as_str().unwrap());
    common::eventually("410 did not deactivate the subscriber", async || {
        (s.get(&path, Some(&t.key)).await.body["is_active"] == false).then_some(())
    })
    .await;
    assert_eq!(
        t.deliveries("status=FAILED").await["count"],
        1,
        "410 is not retried"
    );
}

#[tokio::test]
async fn a_hanging_receiver_does_not_slow_another() {
    let s = server();
    let t = setup(&s, "a@one.example").await;
    let (slow, fast) = (Receiver::start().await, Receiver::start().await);
    slow.script(&[], Answer::Hang(Duration::from_secs(12)));
    for rx in [&slow, &fast] {
        let sub = t.subscriber(&rx.url).await;
        t.subscribe(&sub, json!(["certificate.created"]), None)
            .await;
    }
    let started = std::time::Instant::now();
    for i in 0..6 {
        t.cert(&t.org, &format!("H-{i}"), &days(100)).await;
    }
    fast.wait_for(6).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "fast receiver waited {:?}",
        started.elapsed()
    );
    assert!(slow.received().len() <= 6);
}

#[tokio::test]
async fn a_pending_delivery_survives_sigkill() {
    let mut s = server();
    let t = setup(&s, "a@one.example").await;
    let key = t.key.clone();
    let rx = Receiver::start().await;
    // The receiver holds the first attempt open; the server dies meanwhile.
    rx.script(
        &[Answer::Hang(Duration::from_secs(30))],
        Answer::Status(200),
    );
    let sub = t.subscriber(&rx.url).await;
    t.subscribe(&sub, json!(["certificate.created"]), None)
        .await;
    t.cert(&t.org, "K-1", &days(100)).await;
    let first = rx.wait_for(1).await[0].clone();
    drop(t);
    s.kill9();

    s.restart();
    let again = rx.wait_for(2).await;
    assert_eq!(
        again[1].id, first.id,
        "the same event, delivered after the restart"
    );
    common::eventually("delivery not recorded as SUCCESS", async || {
        let done = s
            .get("/api/webhooks/deliveries/?status=SUCCESS", Some(&key))
            .await
            .body;
        (done["count"] == 1).then_some(())
    })
    .await;
}

/// A proxy resolves names itself, past the guard: the service must not use one from its
/// environment. Deliveries to a name that does not resolve here fail on their own, and the
/// "proxy" on loopback is never asked.
#[tokio::test]
async fn deliveries_never_go_through_a_proxy_from_the_environment() {
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    tokio::spawn(async move {
        while let Ok((_sock, _)) = proxy.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let s = Server::start(&[
        FAST_RETRIES,
        ("HTTP_PROXY", &proxy_url),
        ("HTTPS_PROXY", &proxy_url),
        ("ALL_PROXY", &proxy_url),
        ("http_proxy", &proxy_url),
        ("https_proxy", &proxy_url),
        ("all_proxy", &proxy_url),
    ]);
    let t = setup(&s, "a@one.example").await;
    let sub = t.subscriber("http://hooks.certwatch-test.invalid/in").await;
    t.subscribe(&sub, json!(["*"]), None).await;
    t.cert(&t.org, "P-1", &days(100)).await;
    // Every attempt of the schedule ends, each failing without the proxy.
    let failed = common::eventually("the delivery fails without the proxy", async || {
        let d = t.deliveries("status=FAILED").await;
        (d["count"] == 1).then_some(d)
    })
    .await;
    let attempts = failed["results"][0]["attempts"].as_array().unwrap().clone();
    assert_eq!(attempts.len(), 3, "{failed}");
    assert!(
        attempts
            .iter()
            .all(|a| a["status_code"].is_null() && a["error"].is_string()),
        "{failed}"
    );
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0);
}
