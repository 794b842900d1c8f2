//! One scrape of one endpoint: fetch the page, read its certificate mentions, fetch and
//! hash the certificate documents it links to and read theirs. The result is a report for
//! the tenant actor to apply; nothing here writes.

use certwatch_domain::monitoring::{DocumentSeen, Finding, Mention, ScrapeReport};
use certwatch_ingest::page::Link;
use certwatch_ingest::pdf;
use certwatch_store::engine::secrets::sha256_hex;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::fetch::{MAX_DOCUMENT_BYTES, MAX_PAGE_BYTES};
use super::read;
use crate::context::Context;

/// Documents fetched from one page at most.
pub const MAX_DOCUMENTS: usize = 10;

/// Scrapes `url` for `tenant` (a check due at `scheduled_for`, or one triggered by hand).
/// The page and its documents are read in worker processes; whatever happens ends up in
/// the report.
pub(crate) async fn scrape(
    ctx: &Context,
    tenant: Uuid,
    url: &str,
    scheduled_for: Option<DateTime<Utc>>,
) -> ScrapeReport {
    let started_at = Utc::now();
    let mut report = ScrapeReport {
        scheduled_for,
        started_at,
        finished_at: started_at,
        http_status: None,
        bytes: 0,
        error: None,
        mentions: Vec::new(),
        documents: Vec::new(),
    };
    match ctx.fetcher.get(tenant, url, MAX_PAGE_BYTES).await {
        Err(e) => report.error = Some(e.to_string()),
        Ok(fetched) => {
            report.http_status = Some(fetched.status);
            report.bytes = fetched.body.len() as u64;
            if !(200..300).contains(&fetched.status) {
                report.error = Some(format!("the page answered HTTP {}", fetched.status));
            } else if pdf::is_pdf(&fetched.body) {
                // The endpoint is a certificate document itself.
                let (seen, mentions) =
                    read_document(ctx, tenant, fetched.url.as_str(), fetched.body).await;
                report.documents.push(seen);
                report.mentions = mentions;
            } else if !fetched.is_html() {
                report.error = Some(format!(
                    "the page is {}, not HTML or PDF",
                    fetched.content_type
                ));
            } else {
                let page = match read::page(ctx, tenant, fetched.body, fetched.url.clone()).await {
                    Ok(page) => page,
                    Err(e) => {
                        report.error = Some(e);
                        report.finished_at = Utc::now();
                        return report;
                    }
                };
                report.mentions = page.mentions;
                for link in document_links(&page.links) {
                    let (seen, mentions) = fetch_document(ctx, tenant, link.url.as_str()).await;
                    report.documents.push(seen);
                    report.mentions.extend(mentions);
                }
            }
        }
    }
    report.finished_at = Utc::now();
    report
}

/// The distinct PDF links of a page, at most [`MAX_DOCUMENTS`].
fn document_links(links: &[Link]) -> Vec<&Link> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for link in links.iter().filter(|l| l.is_pdf()) {
        let mut url = link.url.clone();
        url.set_fragment(None);
        if !seen.contains(&url) {
            seen.push(url);
            out.push(link);
        }
        if out.len() == MAX_DOCUMENTS {
            break;
        }
    }
    out
}

async fn fetch_document(ctx: &Context, tenant: Uuid, url: &str) -> (DocumentSeen, Vec<Mention>) {
    let failed = |error: String, bytes: u64| DocumentSeen {
        url: url.to_string(),
        sha256: None,
        bytes,
        error: Some(error),
    };
    match ctx.fetcher.get(tenant, url, MAX_DOCUMENT_BYTES).await {
        Err(e) => (failed(e.to_string(), 0), Vec::new()),
        Ok(f) if !(200..300).contains(&f.status) => (
            failed(format!("HTTP {}", f.status), f.body.len() as u64),
            Vec::new(),
        ),
        Ok(f) => read_document(ctx, tenant, url, f.body).await,
    }
}

/// Hashes a document and reads its mentions, each pointing back at the document.
async fn read_document(
    ctx: &Context,
    tenant: Uuid,
    url: &str,
    body: Vec<u8>,
) -> (DocumentSeen, Vec<Mention>) {
    let sha256 = sha256_hex(&body);
    let bytes = body.len() as u64;
    let (mentions, error) = match read::pdf(ctx, tenant, body).await {
        Ok(mentions) => (mentions, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    let mentions = mentions
        .into_iter()
        .map(|m| Mention {
            finding: Finding {
                document_url: Some(url.to_string()),
                document_hash: Some(sha256.clone()),
                ..m.finding
            },
            ..m
        })
        .collect();
    let seen = DocumentSeen {
        url: url.to_string(),
        sha256: Some(sha256),
        bytes,
        error,
    };
    (seen, mentions)
}
