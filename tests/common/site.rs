//! A supplier website on loopback for monitoring tests: pages, PDFs, robots.txt,
//! redirects, slow and failing pages — changeable while the test runs, and a record of
//! every path requested.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use warp::Filter;
use warp::http::{Response, StatusCode};

#[derive(Clone)]
pub struct Resource {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub delay: Duration,
    pub location: Option<String>,
}

impl Resource {
    pub fn html(body: &str) -> Resource {
        Resource {
            status: 200,
            content_type: "text/html; charset=utf-8",
            body: body.as_bytes().to_vec(),
            delay: Duration::ZERO,
            location: None,
        }
    }

    pub fn pdf(body: Vec<u8>) -> Resource {
        Resource {
            content_type: "application/pdf",
            body,
            ..Resource::html("")
        }
    }

    pub fn text(body: &str) -> Resource {
        Resource {
            content_type: "text/plain",
            ..Resource::html(body)
        }
    }

    pub fn status(status: u16) -> Resource {
        Resource {
            status,
            ..Resource::html("<h1>Error</h1>")
        }
    }

    pub fn redirect(to: &str) -> Resource {
        Resource {
            status: 302,
            location: Some(to.to_string()),
            ..Resource::html("")
        }
    }

    pub fn slow(self, delay: Duration) -> Resource {
        Resource { delay, ..self }
    }
}

type Pages = Arc<Mutex<HashMap<String, Resource>>>;

pub struct Site {
    pub base: String,
    pages: Pages,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Site {
    pub async fn start() -> Site {
        let pages: Pages = Arc::default();
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let (p, r) = (pages.clone(), requests.clone());
        let route = warp::path::full().and_then(move |path: warp::path::FullPath| {
            let (pages, requests) = (p.clone(), r.clone());
            async move {
                let path = path.as_str().to_string();
                requests.lock().unwrap().push(path.clone());
                let found = pages.lock().unwrap().get(&path).cloned();
                let res = found.unwrap_or_else(|| Resource::status(404));
                tokio::time::sleep(res.delay).await;
                let mut b = Response::builder()
                    .status(StatusCode::from_u16(res.status).unwrap())
                    .header("content-type", res.content_type);
                if let Some(to) = &res.location {
                    b = b.header("location", to);
                }
                Ok::<_, Infallible>(b.body(Bytes::from(res.body)).unwrap())
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(warp::serve(route).incoming(listener).run());
        Site {
            base: format!("http://{addr}"),
            pages,
            requests,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn serve(&self, path: &str, resource: Resource) {
        self.pages
            .lock()
            .unwrap()
            .insert(path.to_string(), resource);
    }

    /// How often `path` was requested.
    pub fn hits(&self, path: &str) -> usize {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|p| *p == path)
            .count()
    }
}
