//! A webhook receiver on loopback for tests. It verifies every request's Standard Webhooks
//! signature with its own HMAC code (not the server's), records what arrived, and answers
//! as the test tells it to.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use warp::Filter;
use warp::http::StatusCode;

/// How the receiver answers the next request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Answer {
    Status(u16),
    /// Holds the request open for this long, then answers 200.
    Hang(Duration),
}

#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: i64,
    pub signatures: Vec<String>,
    pub authorization: String,
    pub body: Value,
    pub raw_body: String,
    pub at: Instant,
}

impl Received {
    /// Which of `secrets` produced one of the request's signatures.
    pub fn signed_with(&self, secret: &str) -> bool {
        let key = B64.decode(secret.trim_start_matches("whsec_")).unwrap();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.{}", self.id, self.timestamp, self.raw_body).as_bytes());
        let expected = format!("v1,{}", B64.encode(mac.finalize().into_bytes()));
        self.signatures.contains(&expected)
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    /// Answers to give, in order; when empty, `default`.
    script: VecDeque<Answer>,
    default: Option<Answer>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = inner.clone();
        let route = warp::post()
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .then(move |headers: warp::http::HeaderMap, body: bytes::Bytes| {
                let state = state.clone();
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string()
                    };
                    let raw_body = String::from_utf8_lossy(&body).into_owned();
                    let received = Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp").parse().unwrap_or(0),
                        signatures: header("webhook-signature")
                            .split(' ')
                            .map(String::from)
                            .collect(),
                        authorization: header("authorization"),
                        body: serde_json::from_str(&raw_body).unwrap_or(Value::Null),
                        raw_body,
                        at: Instant::now(),
                    };
                    let answer = {
                        let mut s = state.lock().unwrap();
                        s.received.push(received);
                        s.script
                            .pop_front()
                            .or(s.default)
                            .unwrap_or(Answer::Status(200))
                    };
                    let status = match answer {
                        Answer::Status(code) => code,
                        Answer::Hang(d) => {
                            tokio::time::sleep(d).await;
                            200
                        }
                    };
                    warp::reply::with_status("ok", StatusCode::from_u16(status).unwrap())
                }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Receiver {
            url: format!("http://{addr}/hook"),
            inner,
        }
    }

    /// Answers the next requests with `answers`, in order, then with `then`.
    pub fn script(&self, answers: &[Answer], then: Answer) {
        let mut s = self.inner.lock().unwrap();
        s.script = answers.iter().copied().collect();
        s.default = Some(then);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Waits until at least `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let what = format!("{n} webhooks to arrive (got {:?})", self.received().len());
        super::eventually(&what, async || {
            Some(self.received()).filter(|got| got.len() >= n)
        })
        .await
    }
}

/// A receiver answering 200, registered as a subscriber of the token's tenant and subscribed
/// to `event_types`.
pub async fn subscribed(
    s: &super::Server,
    token: &str,
    event_types: serde_json::Value,
) -> Receiver {
    let rx = Receiver::start().await;
    rx.script(&[], Answer::Status(200));
    let sub = s
        .post(
            "/api/webhooks/subscribers/",
            Some(token),
            serde_json::json!({"name": "ERP", "url": rx.url}),
        )
        .await;
    assert_eq!(sub.status, 201, "{:?}", sub.body);
    let r = s
        .post(
            "/api/webhooks/subscriptions/",
            Some(token),
            serde_json::json!({"subscriber": sub.body["id"], "event_types": event_types}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    rx
}
