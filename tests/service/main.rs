//! The service as an operator meets it: health, the OpenAPI document, rate limits,
//! durability across SIGKILL, graceful SIGTERM, configuration errors, actor restarts.

#[path = "../common/mod.rs"]
mod common;
mod document;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use std::process::Command;

use common::{PASSWORD, Server};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn health_reports_store_and_actor_tree() {
    let s = Server::start(&[]);
    let h = s.health().await;
    assert_eq!(h.status, 200);
    assert_eq!(h.body["status"], "ok");
    assert_eq!(h.body["store"]["ok"], true);
    assert_eq!(
        h.body["store"]["schema_version"],
        certwatch_store::SCHEMA_VERSION
    );
    assert_eq!(h.body["store"]["duplicate_certificates"], 0);
    for part in [
        "root",
        "mailer",
        "accounts",
        "delivery_supervisor",
        "tenant_supervisor",
        "ok",
    ] {
        assert_eq!(h.body["actors"][part], true, "{part}");
    }
    assert_eq!(h.body["actors"]["tenants_running"], 0);
    s.signup("a@one.example", "One").await;
    s.signup("b@two.example", "Two").await;
    let h = s.health().await;
    assert_eq!(h.body["actors"]["tenants_running"], 2);
    assert_eq!(h.body["actors"]["restarts"], 0);
}

#[tokio::test]
async fn auth_endpoints_are_limited_per_client_ip() {
    let s = Server::start(&[("CERTWATCH_AUTH_RATE_PER_MINUTE", "5")]);
    let attempt = || {
        s.post(
            "/api/auth/login/",
            None,
            json!({"email": "x@y.example", "password": "wrongPassword1"}),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt().await.status, 400);
    }
    let limited = attempt().await;
    assert_eq!(limited.status, 429);
    assert!(limited.body["error"].is_string());
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    // X-Forwarded-For from an untrusted peer changes nothing.
    let spoofed = s
        .http
        .post(format!("{}/api/auth/login/", s.base))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({"email": "x@y.example", "password": "wrongPassword1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 429);

    // Each endpoint has its own budget.
    let r = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "n@y.example", "password": PASSWORD, "organization_name": "N"}),
        )
        .await;
    assert_eq!(r.status, 201);
}

#[tokio::test]
async fn trusted_proxy_forwards_the_client_ip() {
    let s = Server::start(&[
        ("CERTWATCH_AUTH_RATE_PER_MINUTE", "2"),
        ("CERTWATCH_TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    let from = |ip: &'static str| {
        s.http
            .post(format!("{}/api/auth/login/", s.base))
            .header("x-forwarded-for", ip)
            .json(&json!({"email": "x@y.example", "password": "wrongPassword1"}))
            .send()
    };
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 400);
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 400);
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 429);
    assert_eq!(from("198.51.100.2").await.unwrap().status(), 400);
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let mut s = Server::start(&[]);
    let (login, _) = s.signup("a@one.example", "One").await;

    // Many concurrent writes, each acknowledged, then SIGKILL at once.
    let creates = (0..24).map(|i| {
        s.post(
            "/api/auth/tokens/",
            Some(&login),
            json!({"name": format!("token {i}")}),
        )
    });
    let keys: Vec<String> = futures_util::future::join_all(creates)
        .await
        .into_iter()
        .map(|r| {
            assert_eq!(r.status, 201, "{:?}", r.body);
            r.body["key"].as_str().unwrap().to_string()
        })
        .collect();
    let registered = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "b@two.example", "password": PASSWORD, "organization_name": "Two"}),
        )
        .await;
    assert_eq!(registered.status, 201);
    s.kill9();

    s.restart();
    for key in &keys {
        assert_eq!(s.get("/api/auth/tokens/", Some(key)).await.status, 200);
    }
    assert_eq!(
        s.get("/api/auth/tokens/", Some(&login)).await.body["count"],
        25
    );
    // The account exists (unverified: 403 for its correct password, not 400 for unknown).
    let again = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "b@two.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        again.status, 403,
        "the registration was lost: {:?}",
        again.body
    );
    // The tenant actors came back from the store.
    assert_eq!(s.health().await.body["actors"]["tenants_running"], 2);
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_exits_cleanly() {
    let mut s = Server::start(&[]);
    s.signup("a@one.example", "One").await;
    let in_flight = {
        let http = s.http.clone();
        let url = format!("{}/api/auth/login/", s.base);
        tokio::spawn(async move {
            http.post(url)
                .json(&json!({"email": "a@one.example", "password": PASSWORD}))
                .send()
                .await
                .map(|r| r.status())
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    let status = tokio::task::spawn_blocking(move || {
        let status = s.terminate();
        (s, status)
    });
    assert_eq!(in_flight.await.unwrap().unwrap(), 200);
    let (mut s, status) = status.await.unwrap();
    assert!(status.success(), "exit status {status:?}");

    s.restart();
    let (token, _) = s.login("a@one.example", PASSWORD).await;
    assert_eq!(
        s.get("/api/auth/tokens/", Some(&token)).await.body["count"],
        3
    );
}

#[test]
fn bad_configuration_stops_startup_naming_the_setting() {
    for (name, value) in [
        ("CERTWATCH_LISTEN", "localhost-ish"),
        ("CERTWATCH_PUBLIC_URL", "ftp://nope"),
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "perhaps"),
        ("CERTWATCH_SMTP_URL", "mail.example.com:25"),
        ("CERTWATCH_TRUSTED_PROXIES", "10.0.0.300"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_certwatch"))
            .arg("serve")
            .env(name, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(name), "{name}: {stderr}");
    }
}

#[tokio::test]
async fn malformed_requests_get_json_errors() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("a@one.example", "One").await;
    let no_route = s.get("/api/nothing-here/", None).await;
    assert_eq!(no_route.status, 404);
    assert_eq!(no_route.body["error"], "No such route.");
    let wrong_method = s
        .call(Method::PUT, "/api/auth/login/", None, Some(json!({})))
        .await;
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.body["error"].is_string());
    assert_eq!(wrong_method.headers["allow"], "POST");
    // A path with an id: the template's methods.
    let id = uuid::Uuid::new_v4();
    let wrong_method = s
        .call(
            Method::POST,
            &format!("/api/organizations/{id}/"),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.headers["allow"], "GET, PUT, DELETE, PATCH");
    let bad_id = s.get("/api/auth/members/not-a-uuid/", Some(&token)).await;
    assert_eq!(bad_id.status, 404);

    // Too large a body is refused from its Content-Length, before any of it is read. A raw
    // connection sends only the head: a client still writing the body when the server
    // answers and closes would see a broken pipe instead of the answer.
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/auth/tokens/ HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Token {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        2 << 20
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&answer).contains("\"error\"") {
        let n = conn.read(&mut buf).await.unwrap();
        assert!(
            n > 0,
            "closed without an answer: {:?}",
            String::from_utf8_lossy(&answer)
        );
        answer.extend_from_slice(&buf[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(
        s.get("/api/auth/tokens/", Some(&token)).await.body["count"],
        1
    );

    let bad_query = s.get("/api/auth/members/?page=%ZZ", Some(&token)).await;
    assert_eq!(bad_query.status, 400);
}

/// In-process: a corrupt record makes one tenant actor fail; its supervisor restarts it
/// and the other tenant never notices.
#[tokio::test]
async fn a_failed_tenant_actor_restarts_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (server, s) = common::in_process(dir.path(), &[]).await;

    let (admin_a, tenant_a) = s.signup("a@one.example", "One").await;
    let (admin_b, _) = s.signup("b@two.example", "Two").await;
    let (_, member_a) = s
        .invite_and_accept(&admin_a, "m@one.example", "member")
        .await;

    // Corrupt A's member record where only A's actor will read it.
    let tenant_a: uuid::Uuid = tenant_a.parse().unwrap();
    let member_a: uuid::Uuid = member_a.parse().unwrap();
    let mut key = tenant_a.as_bytes().to_vec();
    key.extend_from_slice(member_a.as_bytes());
    let store = server.actors.store();
    store
        .tree(certwatch_store::engine::trees::Tree::Memberships)
        .insert(key, vec![1u8, 0xff, 0xff])
        .unwrap();

    // DELETE goes straight to the tenant actor, which reads the record and fails.
    let failed = s
        .delete(&format!("/api/auth/members/{member_a}/"), Some(&admin_a))
        .await;
    assert_eq!(failed.status, 503, "{:?}", failed.body);

    // Tenant B is served throughout; tenant A's restarted actor serves A's other writes.
    let b = s
        .post("/api/auth/tokens/", Some(&admin_b), json!({"name": "b"}))
        .await;
    assert_eq!(b.status, 201);
    let a = s
        .post("/api/auth/tokens/", Some(&admin_a), json!({"name": "a"}))
        .await;
    assert_eq!(a.status, 201, "{:?}", a.body);
    let h = s.health().await;
    assert_eq!(h.body["actors"]["restarts"], 1);
    assert_eq!(h.body["actors"]["tenants_running"], 2);
    assert_eq!(h.body["status"], "ok");

    server.shutdown().await.unwrap();
}
