//! What the actors count for `/metrics`, in the process's Prometheus registry. Counters are
//! made on first use; gauges of state (queues, running jobs) are read when scraped.

use std::sync::LazyLock;

use prometheus::{
    Histogram, IntCounter, IntCounterVec, exponential_buckets, register_histogram,
    register_int_counter, register_int_counter_vec,
};

/// Checks of monitored pages, by outcome (`success`, `failed`).
pub(crate) static SCRAPES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_scrapes_total",
        "Checks of monitored supplier pages, by outcome",
        &["outcome"]
    )
    .expect("registered once")
});

/// How late a scheduled check started after it was due.
pub(crate) static SCRAPE_LATENESS: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "certwatch_scrape_lateness_seconds",
        "How long after it was due a scheduled check started",
        exponential_buckets(0.1, 4.0, 9).expect("valid buckets")
    )
    .expect("registered once")
});

/// Webhook delivery attempts, by outcome (`delivered`, `retry`, `failed`).
pub(crate) static DELIVERIES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_webhook_attempts_total",
        "Webhook delivery attempts, by outcome: delivered, retry (another attempt is due), failed (no attempt left)",
        &["outcome"]
    )
    .expect("registered once")
});

/// Expiry digests mailed (one per recipient).
pub(crate) static DIGEST_MAILS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "certwatch_digest_mails_total",
        "Expiry digest mails handed to the mailer"
    )
    .expect("registered once")
});
