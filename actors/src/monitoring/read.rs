//! Reading what monitoring fetched, in worker processes: pages in the page lane, PDFs in
//! the document lane, each turn fair between tenants. A page or document that makes its
//! reader overrun a limit is a clear error, never the server's problem.

use certwatch_domain::monitoring::Mention;
use certwatch_ingest::pool::Lane;
use certwatch_ingest::protocol::{Job, PageReading, Reply};
use certwatch_ingest::robots::RobotsReading;
use reqwest::Url;
use uuid::Uuid;

use crate::context::Context;

/// A fetched HTML page: its certificate mentions, links and discovery score.
pub(crate) async fn page(
    ctx: &Context,
    tenant: Uuid,
    html: Vec<u8>,
    url: Url,
) -> Result<PageReading, String> {
    match ctx
        .parsing
        .run(tenant, Lane::Pages, Job::Page { html, url })
        .await
    {
        Ok(Reply::Page(reading)) => Ok(reading),
        other => Err(failure("the page", other)),
    }
}

/// What a site's robots.txt says about fetching `url`.
pub(crate) async fn robots(
    ctx: &Context,
    tenant: Uuid,
    body: Vec<u8>,
    url: Url,
) -> Result<RobotsReading, String> {
    match ctx
        .parsing
        .run(tenant, Lane::Pages, Job::Robots { body, url })
        .await
    {
        Ok(Reply::Robots(reading)) => Ok(reading),
        other => Err(failure("robots.txt", other)),
    }
}

/// The certificates a fetched PDF's text layer shows.
pub(crate) async fn pdf(
    ctx: &Context,
    tenant: Uuid,
    bytes: Vec<u8>,
) -> Result<Vec<Mention>, String> {
    match ctx
        .parsing
        .run(tenant, Lane::Documents, Job::PdfMentions { bytes })
        .await
    {
        Ok(Reply::Mentions(mentions)) => mentions,
        other => Err(failure("the document", other)),
    }
}

fn failure(what: &str, outcome: Result<Reply, certwatch_ingest::pool::JobError>) -> String {
    match outcome {
        Err(e) => format!("reading {what} {e}"),
        Ok(Reply::Panicked(why)) => format!("{what} could not be read (the reader failed: {why})"),
        Ok(other) => format!("the reader answered {other:?}"),
    }
}
