//! What the service runs with: the complete, validated configuration.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

/// The complete, validated configuration the service runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Directory holding the sled store, uploaded files and the mail outbox.
    pub data_dir: PathBuf,
    /// The PostgreSQL database holding the records (`CERTWATCH_STORE`); `None` is sled in
    /// the data directory.
    pub store: Option<String>,
    /// This node of several sharing the PostgreSQL store; `None`: the only node.
    pub node: Option<Node>,
    /// The key file that seals stored secrets (`CERTWATCH_SECRET_KEY_FILE`); `None` is
    /// `secret.key` in the data directory, made on first start.
    pub secret_key_file: Option<PathBuf>,
    /// Base URL used in links in mail and in pagination `next`/`previous`, without a
    /// trailing `/`; unset means `http://<listen>` (see [`Config::public_url`]).
    pub public_url: Option<String>,
    /// When set, mail goes over SMTP to this URL instead of into the outbox directory.
    pub smtp_url: Option<String>,
    /// `From:` header of outgoing mail.
    pub mail_from: String,
    /// Allow outbound fetches to loopback, private, link-local and metadata addresses.
    pub allow_private_targets: bool,
    /// Peers whose `X-Forwarded-For` header is believed when finding a client's IP.
    pub trusted_proxies: Vec<IpNet>,
    /// Requests per minute per client IP on register, login, invite-accept and resend.
    pub auth_rate_per_minute: u32,
    /// Requests per minute per client IP on the public certificate search.
    pub public_search_rate_per_minute: u32,
    /// Requests per minute per tenant on the integration API `/api/v1/`.
    pub api_rate_per_minute: u32,
    /// Delay before each webhook delivery attempt: the first is the initial attempt's, the
    /// rest are the retries'; after the last failed attempt a delivery is FAILED.
    pub webhook_retry_schedule: Vec<Duration>,
    /// Longest a monitoring fetch (a page, robots.txt or a document) may take.
    pub fetch_timeout: Duration,
    /// The Tesseract program bulk upload reads scans with (a name on PATH or a path).
    pub tesseract: String,
    /// How untrusted files and pages are read: worker processes and their limits.
    pub parsing: Parsing,
    /// Bytes of uploaded files one tenant may keep.
    pub storage_quota_bytes: u64,
    /// Scheduled backups; off unless a directory is set.
    pub backups: Option<Backups>,
    /// How long history is kept, and how often the sweep that removes older history runs.
    pub retention: Retention,
    /// Bearer token `GET /metrics` answers to; unset: no metrics.
    pub metrics_token: Option<String>,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// How often the expiry-digest mailer looks for digests that are due.
    pub digest_check_interval: Duration,
    /// Time between reminder passes.
    pub reminder_interval: Duration,
    /// Days a supplier link works after its request's last mail.
    pub supplier_link_days: u32,
    /// The registers certificates are checked in.
    pub registers: Registers,
    /// Mail intake over IMAP.
    pub mail: MailIntake,
}

/// How mailboxes are read: which connections are allowed, and how large a mail and an
/// attachment may be.
#[derive(Debug, Clone, PartialEq)]
pub struct MailIntake {
    pub allow_plaintext: bool,
    pub max_message_bytes: u64,
    pub max_attachment_bytes: u64,
    pub max_attachments: usize,
}

/// The registers' APIs and how often certificates are checked in them. A register whose
/// URL is unset is not asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Registers {
    pub iaf_api_url: Option<String>,
    pub fsc_api_url: Option<String>,
    /// Time between a tenant's passes over the registers.
    pub interval: Duration,
    /// Time before a certificate found active is checked again.
    pub active_every: Duration,
    /// Time before any other answer (or a failed try) is checked again.
    pub doubtful_every: Duration,
}

/// A node of several sharing one PostgreSQL store (`CERTWATCH_NODE_ID`).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    /// Where the other nodes reach this one (`CERTWATCH_INTERNAL_LISTEN`).
    pub internal_listen: SocketAddr,
}

/// Backups the server writes on its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Backups {
    pub dir: PathBuf,
    pub interval: Duration,
    /// The newest this many are kept; older ones are removed after each new one.
    pub keep: usize,
}

/// Retention of history, in days.
#[derive(Debug, Clone, PartialEq)]
pub struct Retention {
    pub scrape_log_days: u32,
    pub delivery_days: u32,
    pub event_days: u32,
    pub sweep_interval: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The worker processes that read uploaded files and fetched pages, and their bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsing {
    /// The binary run as `<program> worker`; unset: this very binary.
    pub worker_program: Option<PathBuf>,
    /// Document, OCR and spreadsheet jobs at once in the whole process.
    pub jobs: usize,
    /// Page jobs at once (their own slots, so OCR never starves monitoring).
    pub page_jobs: usize,
    /// Address space of one worker, in bytes.
    pub memory_bytes: u64,
    /// CPU seconds one job may use.
    pub cpu_seconds: u64,
    /// Longest one job may take.
    pub timeout: Duration,
    pub max_text_chars: usize,
    pub max_pdf_pages: u32,
    pub max_image_pixels: u64,
    pub max_import_rows: usize,
    pub max_import_errors: usize,
    pub max_xlsx_part_bytes: u64,
}

impl Config {
    /// The base URL for links: the configured one, else the address the server listens on.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
    }

    /// Whether `peer` is a proxy whose `X-Forwarded-For` header may be believed.
    pub fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }
}
