//! Fetching supplier pages and documents politely and safely: the guarded client (no
//! internal addresses, on every hop), a redirect cap, timeouts, a body size cap, and a
//! per-host limit so one supplier never gets more than a couple of requests at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certwatch_ingest::fair::FairSlots;
use reqwest::Url;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::outbound;

/// Requests one host gets from this process at once.
pub const PER_HOST: usize = 2;
/// Fetches under way in the whole process at once (bounds memory: each holds a body),
/// shared round-robin between tenants.
pub const IN_FLIGHT: usize = 32;
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;
/// Largest page read.
pub const MAX_PAGE_BYTES: usize = 5 << 20;
/// Largest document (PDF) read.
pub const MAX_DOCUMENT_BYTES: usize = 20 << 20;

/// What came back.
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    /// Where the response came from, after redirects.
    pub url: Url,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Fetched {
    pub fn is_html(&self) -> bool {
        self.content_type.is_empty()
            || self.content_type.contains("html")
            || self.content_type.starts_with("text/")
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FetchError {
    #[error("refused: {0}")]
    Refused(String),
    #[error("larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Failed(String),
}

pub struct Fetcher {
    client: reqwest::Client,
    allow_internal: bool,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    in_flight: Arc<FairSlots>,
}

impl Fetcher {
    pub fn new(allow_internal: bool, timeout: Duration) -> Fetcher {
        Fetcher {
            client: outbound::client(allow_internal, timeout, MAX_REDIRECTS),
            allow_internal,
            hosts: Mutex::new(HashMap::new()),
            in_flight: FairSlots::new(IN_FLIGHT),
        }
    }

    /// The host's share of requests; the entry goes away when its last holder is done.
    async fn host_permit(&self, host: &str) -> OwnedSemaphorePermit {
        let sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|e| e.into_inner());
            hosts.retain(|_, s| Arc::strong_count(s) > 1 || s.available_permits() < PER_HOST);
            hosts
                .entry(host.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(PER_HOST)))
                .clone()
        };
        sem.acquire_owned()
            .await
            .expect("host semaphores are never closed")
    }

    /// GETs `url` for `tenant`, reading at most `cap` bytes of body.
    pub async fn get(&self, tenant: Uuid, url: &str, cap: usize) -> Result<Fetched, FetchError> {
        let url = outbound::check_url(url, self.allow_internal).map_err(FetchError::Refused)?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let _host = self.host_permit(&host).await;
        let _slot = self.in_flight.acquire(tenant).await;
        let mut resp = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        if resp.content_length().is_some_and(|n| n > cap as u64) {
            return Err(FetchError::TooLarge(cap));
        }
        let status = resp.status().as_u16();
        let final_url = resp.url().clone();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| classify(&e))? {
            if body.len() + chunk.len() > cap {
                return Err(FetchError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            url: final_url,
            content_type,
            body,
        })
    }
}

/// A reqwest error as the log shows it: refusals by the guard stand out from network
/// failures; the causes are where reqwest keeps the useful part.
fn classify(e: &reqwest::Error) -> FetchError {
    let text = outbound::error_chain(e);
    if text.contains("internal address") || text.contains("redirect refused") {
        FetchError::Refused(text)
    } else if e.is_timeout() {
        FetchError::Failed(format!("timed out: {text}"))
    } else {
        FetchError::Failed(text)
    }
}
