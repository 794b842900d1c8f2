//! A stand-in register on loopback (IAF CertSearch, FSC): answers each request with what
//! the test's handler returns for it — the shapes of the registers' developer guides —
//! and records every request with its headers and body, so a test can see what was sent
//! where, with which key.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use warp::Filter;
use warp::http::{HeaderMap, Method, Response, StatusCode};

/// A request as the register received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path as sent, escapes and query included.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the register answers.
pub struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: body.to_string(),
            headers: Vec::new(),
        }
    }

    pub fn text(status: u16, body: String) -> Reply {
        Reply {
            status,
            content_type: "text/plain",
            body,
            headers: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct Register {
    base: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl Register {
    pub async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Register {
        let handler: Arc<Handler> = Arc::new(handler);
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let seen = requests.clone();
        let route = warp::method()
            .and(warp::filters::path::full())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(warp::header::headers_cloned())
            .and(warp::body::bytes())
            .and_then(
                move |method: Method,
                      path: warp::filters::path::FullPath,
                      query: String,
                      headers: HeaderMap,
                      body: Bytes| {
                    let (handler, seen) = (handler.clone(), seen.clone());
                    async move {
                        let path = if query.is_empty() {
                            path.as_str().to_string()
                        } else {
                            format!("{}?{query}", path.as_str())
                        };
                        let request = Request {
                            method: method.to_string(),
                            path,
                            headers: headers
                                .iter()
                                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                                .collect(),
                            body: String::from_utf8_lossy(&body).into_owned(),
                        };
                        let reply = handler(&request);
                        seen.lock().unwrap().push(request);
                        let mut b = Response::builder()
                            .status(StatusCode::from_u16(reply.status).unwrap())
                            .header("content-type", reply.content_type);
                        for (n, v) in &reply.headers {
                            b = b.header(*n, v);
                        }
                        Ok::<_, Infallible>(b.body(Bytes::from(reply.body)).unwrap())
                    }
                },
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Register {
            base: format!("http://{addr}"),
            requests,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}
