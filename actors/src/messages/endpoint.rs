//! To the actor of one monitored endpoint.

use certwatch_domain::monitoring::ScrapeReport;

pub enum EndpointMsg {
    /// A timer ran out; stale timers (an older generation) are ignored.
    Due(u64),
    /// Scrape now (the API's trigger_scrape).
    Trigger,
    /// The endpoint record changed: read it again and reschedule.
    Reload,
    /// A scrape finished.
    Scraped(Box<ScrapeReport>),
    /// Parsing a page panicked: record the failure, then fail so the tenant restarts us.
    Panicked(String),
}
