//! What the actors count for `/metrics`, in the process's Prometheus registry, named the
//! Prometheus way: the unit in the name, `_total` on counters, histograms for durations.
//! [`register`] makes every family at start (with its known label values at zero), so a
//! scrape shows the whole set from the first moment; gauges of state (queues, running
//! jobs) are read when scraped (`http/src/metrics.rs`).

use std::sync::LazyLock;

use certwatch_domain::registers::Provider;
use certwatch_domain::verification::RegisterStatus;

use prometheus::{
    Histogram, HistogramVec, IntCounter, IntCounterVec, exponential_buckets, register_histogram,
    register_histogram_vec, register_int_counter, register_int_counter_vec,
};

/// Durations from a millisecond to about two minutes.
fn seconds_buckets() -> Vec<f64> {
    exponential_buckets(0.001, 3.0, 12).expect("valid buckets")
}

/// Checks of monitored pages, by outcome (`success`, `failed`).
pub(crate) static SCRAPES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_scrapes_total",
        "Checks of monitored supplier pages, by outcome",
        &["outcome"]
    )
    .expect("registered once")
});

/// How long a check of a monitored page took, by outcome.
pub(crate) static SCRAPE_DURATION: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "certwatch_scrape_duration_seconds",
        "Time a check of a monitored page took (fetching, reading, following documents), by outcome",
        &["outcome"],
        seconds_buckets()
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

/// How long a webhook receiver took to answer (or to fail).
pub(crate) static DELIVERY_DURATION: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "certwatch_webhook_attempt_duration_seconds",
        "Time from sending a webhook delivery to its receiver's answer or failure",
        seconds_buckets()
    )
    .expect("registered once")
});

/// Expiry digests mailed (one per recipient).
pub(crate) static REQUEST_MAILS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "certwatch_request_mails_total",
        "Certificate request and reminder mails handed to the mailer"
    )
    .expect("registered once")
});

pub(crate) static REMINDER_PASSES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "certwatch_reminder_passes_total",
        "Reminder passes run, over all tenants"
    )
    .expect("registered once")
});

pub(crate) static DIGEST_MAILS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "certwatch_digest_mails_total",
        "Expiry digest mails handed to the mailer"
    )
    .expect("registered once")
});

/// Mails by outcome: `sent` (the outbox or SMTP relay took it), `retry` (a failed try with
/// another one due), `failed` (given up or not sendable).
pub(crate) static MAILS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_mails_total",
        "Mails (verification, invitation, password reset, digest) by outcome: sent, retry, failed",
        &["outcome"]
    )
    .expect("registered once")
});

/// Uploaded documents filed, by the outcome of reading and matching them.
pub(crate) static DOCUMENTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_documents_total",
        "Uploaded documents read, by outcome: matched (filed), needs_review, failed",
        &["outcome"]
    )
    .expect("registered once")
});

/// How long reading an uploaded document took (text, OCR, fields), in a worker.
pub(crate) static DOCUMENT_READ_DURATION: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "certwatch_document_read_duration_seconds",
        "Time a worker took to read an uploaded document (text layer or OCR, fields)",
        seconds_buckets()
    )
    .expect("registered once")
});

/// How long a writer waited for its write to be on disk (the group commit).
pub(crate) static COMMIT_DURATION: LazyLock<Histogram> = LazyLock::new(|| {
    register_histogram!(
        "certwatch_store_commit_duration_seconds",
        "Time from a write's end to its being on disk (group commit, fsync included)",
        exponential_buckets(0.0001, 3.0, 12).expect("valid buckets")
    )
    .expect("registered once")
});

/// Register passes run, over all tenants.
pub(crate) static REGISTER_PASSES: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "certwatch_register_passes_total",
        "Passes over the registers (IAF CertSearch, FSC) run, over all tenants"
    )
    .expect("registered once")
});

/// Register answers recorded, by provider and normalised status.
pub(crate) static REGISTER_CHECKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_register_checks_total",
        "Register answers about certificates recorded, by provider and status (active, suspended, withdrawn, expired, not_found, unknown)",
        &["provider", "status"]
    )
    .expect("registered once")
});

/// Times a register refused a tenant's account (a refused key, no credits, a rate limit).
pub(crate) static REGISTER_REFUSALS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_register_refusals_total",
        "Times a register refused to answer for a tenant (key refused, credits spent, rate limited, failed), by provider",
        &["provider"]
    )
    .expect("registered once")
});

/// Mailbox polls, by outcome (`ok`, `failed`: a login refused, a server down or erring).
pub(crate) static MAIL_POLLS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_mail_polls_total",
        "Polls of tenants' mailboxes over IMAP, by outcome: ok, failed",
        &["outcome"]
    )
    .expect("registered once")
});

/// Mails taken from mailboxes, by what became of them.
pub(crate) static MAIL_MESSAGES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_mail_messages_total",
        "Mails taken from tenants' mailboxes, by outcome: filed (a batch made of its files), nothing_to_file, refused (not readable, too large; left on the server)",
        &["outcome"]
    )
    .expect("registered once")
});

/// Makes every family above, with the label values it can take at zero.
pub fn register() {
    for outcome in ["success", "failed"] {
        SCRAPES.with_label_values(&[outcome]);
        SCRAPE_DURATION.with_label_values(&[outcome]);
    }
    LazyLock::force(&SCRAPE_LATENESS);
    for outcome in ["delivered", "retry", "failed"] {
        DELIVERIES.with_label_values(&[outcome]);
    }
    LazyLock::force(&DELIVERY_DURATION);
    LazyLock::force(&DIGEST_MAILS);
    LazyLock::force(&REQUEST_MAILS);
    LazyLock::force(&REMINDER_PASSES);
    for outcome in ["sent", "retry", "failed"] {
        MAILS.with_label_values(&[outcome]);
    }
    for outcome in ["matched", "needs_review", "failed"] {
        DOCUMENTS.with_label_values(&[outcome]);
    }
    LazyLock::force(&DOCUMENT_READ_DURATION);
    LazyLock::force(&COMMIT_DURATION);
    LazyLock::force(&REGISTER_PASSES);
    for outcome in ["ok", "failed"] {
        MAIL_POLLS.with_label_values(&[outcome]);
    }
    for outcome in ["filed", "nothing_to_file", "refused"] {
        MAIL_MESSAGES.with_label_values(&[outcome]);
    }
    for provider in Provider::ALL.into_iter().filter(|p| p.has_api()) {
        REGISTER_REFUSALS.with_label_values(&[provider.as_str()]);
    }
    for provider in Provider::ALL {
        for status in RegisterStatus::ALL {
            REGISTER_CHECKS.with_label_values(&[provider.as_str(), status.as_str()]);
        }
    }
}
