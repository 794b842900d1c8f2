//! Every setting, declared once: its environment variable, its key in `certwatch.toml`, its
//! default (as the parser reads it; empty: unset), the default as the docs show it, and what
//! it does. `Config::load_with` reads each through [`crate::source::Source`] by these
//! declarations, and `docs/configuration.md`'s table is this list (a test checks it word for
//! word, and prints the table to paste when they differ).

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The environment variable, which wins over the file.
    pub env: &'static str,
    /// The key in the TOML file; empty for a setting only the environment gives.
    pub key: &'static str,
    /// The value used when neither gives one, read by the same parser; empty: unset.
    pub default: &'static str,
    /// The default as the docs say it.
    pub shown: &'static str,
    /// What it does, for the docs.
    pub doc: &'static str,
}

macro_rules! settings {
    ($($name:ident { env: $env:literal, key: $key:literal, default: $default:literal, shown: $shown:literal, doc: $doc:literal, })*) => {
        $(pub const $name: Setting = Setting {
            env: $env,
            key: $key,
            default: $default,
            shown: $shown,
            doc: $doc,
        };)*
        /// Every setting, in the order the docs list them.
        pub const ALL: &[Setting] = &[$($name),*];
    };
}

settings! {
    LISTEN {
        env: "CERTWATCH_LISTEN",
        key: "listen",
        default: "127.0.0.1:8080",
        shown: "`127.0.0.1:8080`",
        doc: "Address to bind (`:0` picks a free port; the real one is printed)",
    }
    DATA_DIR {
        env: "CERTWATCH_DATA_DIR",
        key: "data_dir",
        default: "./certwatch-data",
        shown: "`./certwatch-data`",
        doc: "Store (`store/`), mail outbox (`outbox/`); made 0700, everything in it 0600",
    }
    STORE {
        env: "CERTWATCH_STORE",
        key: "store",
        default: "",
        shown: "sled in `<data dir>/store`",
        doc: "`postgres://user@host:port/database`: keep the records in PostgreSQL instead (uploaded files and the key file stay in the data directory; see [docs/operations.md](operations.md))",
    }
    NODE_ID {
        env: "CERTWATCH_NODE_ID",
        key: "node_id",
        default: "",
        shown: "unset",
        doc: "This node's name when several nodes share one PostgreSQL store (letters, digits, `.`, `_`, `-`; at most 64); with `CERTWATCH_INTERNAL_LISTEN`, the node leases shards of tenants (see [docs/operations.md](operations.md)); unset: the only node",
    }
    INTERNAL_LISTEN {
        env: "CERTWATCH_INTERNAL_LISTEN",
        key: "internal_listen",
        default: "",
        shown: "unset",
        doc: "With `CERTWATCH_NODE_ID`: the address the other nodes reach this one at (`10.0.0.5:8081`), recorded with its leases; it must not be reachable from outside the cluster",
    }
    SECRET_KEY_FILE {
        env: "CERTWATCH_SECRET_KEY_FILE",
        key: "secret_key_file",
        default: "",
        shown: "`<data dir>/secret.key`, made on first start",
        doc: "The key ring that seals stored secrets (see [docs/security.md](security.md)); a file named here must exist and be 0600",
    }
    PUBLIC_URL {
        env: "CERTWATCH_PUBLIC_URL",
        key: "public_url",
        default: "",
        shown: "`http://<listen>`",
        doc: "Base of links in mail and of pagination `next`/`previous`",
    }
    SMTP_URL {
        env: "CERTWATCH_SMTP_URL",
        key: "smtp_url",
        default: "",
        shown: "unset",
        doc: "`smtp://` or `smtps://` URL (lettre syntax, e.g. `smtp://user:pass@mail.example.com:587?tls=required`); unset: mail goes to the outbox",
    }
    MAIL_FROM {
        env: "CERTWATCH_MAIL_FROM",
        key: "mail_from",
        default: "CertWatch <certwatch@localhost>",
        shown: "`CertWatch <certwatch@localhost>`",
        doc: "Sender of outgoing mail",
    }
    ALLOW_PRIVATE_TARGETS {
        env: "CERTWATCH_ALLOW_PRIVATE_TARGETS",
        key: "allow_private_targets",
        default: "false",
        shown: "`false`",
        doc: "Allow outbound fetches to loopback, private, link-local and metadata addresses",
    }
    TRUSTED_PROXIES {
        env: "CERTWATCH_TRUSTED_PROXIES",
        key: "trusted_proxies",
        default: "",
        shown: "none",
        doc: "Comma-separated IPs/CIDRs (a TOML array in the file) whose `X-Forwarded-For` is believed for per-IP limits",
    }
    AUTH_RATE_PER_MINUTE {
        env: "CERTWATCH_AUTH_RATE_PER_MINUTE",
        key: "auth_rate_per_minute",
        default: "5",
        shown: "`5`",
        doc: "Requests per minute per client IP on register, login, invite-accept and resend-verification",
    }
    PUBLIC_SEARCH_RATE_PER_MINUTE {
        env: "CERTWATCH_PUBLIC_SEARCH_RATE_PER_MINUTE",
        key: "public_search_rate_per_minute",
        default: "30",
        shown: "`30`",
        doc: "Requests per minute per client IP on the public `GET /api/certificates/search/`",
    }
    API_RATE_PER_MINUTE {
        env: "CERTWATCH_API_RATE_PER_MINUTE",
        key: "api_rate_per_minute",
        default: "100",
        shown: "`100`",
        doc: "Requests per minute per tenant on the integration API `/api/v1/`",
    }
    FETCH_TIMEOUT_SECS {
        env: "CERTWATCH_FETCH_TIMEOUT_SECS",
        key: "fetch_timeout_secs",
        default: "30",
        shown: "`30`",
        doc: "Longest one monitoring or discovery fetch (page, robots.txt, document) may take",
    }
    TESSERACT {
        env: "CERTWATCH_TESSERACT",
        key: "tesseract",
        default: "tesseract",
        shown: "`tesseract`",
        doc: "The Tesseract program bulk upload reads scans with (a name on PATH or a path); when it does not run, scans go to review and `/api/health/` says OCR is unavailable",
    }
    WEBHOOK_RETRY_SCHEDULE {
        env: "CERTWATCH_WEBHOOK_RETRY_SCHEDULE",
        key: "webhook_retry_schedule",
        default: "0,5,300,1800,7200,18000,36000,36000",
        shown: "`0,5,300,1800,7200,18000,36000,36000`",
        doc: "Seconds before each webhook attempt: the first is the initial attempt, the rest the retries; after the last failure a delivery is FAILED",
    }
    STORAGE_QUOTA_MB {
        env: "CERTWATCH_STORAGE_QUOTA_MB",
        key: "storage_quota_mb",
        default: "10240",
        shown: "`10240`",
        doc: "Uploaded documents one tenant may keep (sum of its bulk-upload files); an upload past it is 413",
    }
    PARSE_JOBS {
        env: "CERTWATCH_PARSE_JOBS",
        key: "parse_jobs",
        default: "",
        shown: "cores",
        doc: "Document, OCR and spreadsheet readings at once in the whole process (each in a worker process)",
    }
    PAGE_JOBS {
        env: "CERTWATCH_PAGE_JOBS",
        key: "page_jobs",
        default: "",
        shown: "cores",
        doc: "Supplier-page readings at once (their own slots, so OCR never starves monitoring)",
    }
    WORKER_MEMORY_MB {
        env: "CERTWATCH_WORKER_MEMORY_MB",
        key: "worker_memory_mb",
        default: "1024",
        shown: "`1024`",
        doc: "Address space of one worker process and the programs it starts (tesseract, pdftoppm)",
    }
    WORKER_CPU_SECS {
        env: "CERTWATCH_WORKER_CPU_SECS",
        key: "worker_cpu_secs",
        default: "60",
        shown: "`60`",
        doc: "CPU seconds one reading may use",
    }
    WORKER_TIMEOUT_SECS {
        env: "CERTWATCH_WORKER_TIMEOUT_SECS",
        key: "worker_timeout_secs",
        default: "120",
        shown: "`120`",
        doc: "Longest one reading may take, waiting included; past it the worker and everything it started are killed",
    }
    WORKER_PROGRAM {
        env: "CERTWATCH_WORKER_PROGRAM",
        key: "worker_program",
        default: "",
        shown: "this binary",
        doc: "The program run as `<program> worker` (set it when the server runs inside another executable, as the in-process tests do)",
    }
    MAX_TEXT_CHARS {
        env: "CERTWATCH_MAX_TEXT_CHARS",
        key: "max_text_chars",
        default: "262144",
        shown: "`262144`",
        doc: "Characters of text read from one document (text layer or OCR)",
    }
    MAX_PDF_PAGES {
        env: "CERTWATCH_MAX_PDF_PAGES",
        key: "max_pdf_pages",
        default: "20",
        shown: "`20`",
        doc: "Pages of a PDF read, or rendered for OCR",
    }
    MAX_IMAGE_MEGAPIXELS {
        env: "CERTWATCH_MAX_IMAGE_MEGAPIXELS",
        key: "max_image_megapixels",
        default: "50",
        shown: "`50`",
        doc: "Pixels an image may declare in its header; a larger one fails before it is decoded",
    }
    MAX_IMPORT_ROWS {
        env: "CERTWATCH_MAX_IMPORT_ROWS",
        key: "max_import_rows",
        default: "200000",
        shown: "`200000`",
        doc: "Data rows of one spreadsheet; a longer file is refused whole",
    }
    MAX_IMPORT_ERRORS {
        env: "CERTWATCH_MAX_IMPORT_ERRORS",
        key: "max_import_errors",
        default: "1000",
        shown: "`1000`",
        doc: "Row errors an import lists one by one; the rest are counted in `errors_not_listed`",
    }
    MAX_XLSX_PART_MB {
        env: "CERTWATCH_MAX_XLSX_PART_MB",
        key: "max_xlsx_part_mb",
        default: "256",
        shown: "`256`",
        doc: "Uncompressed size one part of an .xlsx file may declare",
    }
    LOG {
        env: "CERTWATCH_LOG",
        key: "",
        default: "info",
        shown: "`info`",
        doc: "Log filter (tracing `EnvFilter` syntax); logs go to stderr",
    }
    LOG_FORMAT {
        env: "CERTWATCH_LOG_FORMAT",
        key: "log_format",
        default: "text",
        shown: "`text`",
        doc: "`json`: one JSON object per line, each with its request's `request_id` (see *Operations*)",
    }
    METRICS_TOKEN {
        env: "CERTWATCH_METRICS_TOKEN",
        key: "metrics_token",
        default: "",
        shown: "unset",
        doc: "Bearer token for `GET /metrics` and the details of `GET /api/health/` (at least 16 characters); unset: no metrics, and health says only up or down",
    }
    BACKUP_DIR {
        env: "CERTWATCH_BACKUP_DIR",
        key: "backup_dir",
        default: "",
        shown: "unset",
        doc: "Scheduled backups go here; unset: none are scheduled",
    }
    BACKUP_INTERVAL_SECS {
        env: "CERTWATCH_BACKUP_INTERVAL_SECS",
        key: "backup_interval_secs",
        default: "86400",
        shown: "`86400`",
        doc: "Time between scheduled backups (the first is due one interval after the newest one in the directory)",
    }
    BACKUP_KEEP {
        env: "CERTWATCH_BACKUP_KEEP",
        key: "backup_keep",
        default: "7",
        shown: "`7`",
        doc: "Scheduled backups kept; older ones are removed after each new one",
    }
    SCRAPE_LOG_RETENTION_DAYS {
        env: "CERTWATCH_SCRAPE_LOG_RETENTION_DAYS",
        key: "scrape_log_retention_days",
        default: "90",
        shown: "`90`",
        doc: "Scrape logs older than this are removed (0: at the next sweep)",
    }
    DELIVERY_RETENTION_DAYS {
        env: "CERTWATCH_DELIVERY_RETENTION_DAYS",
        key: "delivery_retention_days",
        default: "90",
        shown: "`90`",
        doc: "Delivered or failed webhook deliveries older than this are removed; pending ones never",
    }
    EVENT_RETENTION_DAYS {
        env: "CERTWATCH_EVENT_RETENTION_DAYS",
        key: "event_retention_days",
        default: "365",
        shown: "`365`",
        doc: "Recorded events older than this are removed",
    }
    RETENTION_SWEEP_SECS {
        env: "CERTWATCH_RETENTION_SWEEP_SECS",
        key: "retention_sweep_secs",
        default: "86400",
        shown: "`86400`",
        doc: "Time between retention sweeps (the first runs 5 minutes after start at the latest)",
    }
    DIGEST_CHECK_SECS {
        env: "CERTWATCH_DIGEST_CHECK_SECS",
        key: "digest_check_secs",
        default: "900",
        shown: "`900`",
        doc: "How often each tenant looks whether its expiry digest is due",
    }
    REMINDER_INTERVAL {
        env: "CERTWATCH_REMINDER_INTERVAL",
        key: "reminder_interval",
        default: "3600",
        shown: "`3600`",
        doc: "Seconds between reminder passes, which open certificate requests and remind suppliers (one runs at start-up)",
    }
    SUPPLIER_LINK_DAYS {
        env: "CERTWATCH_SUPPLIER_LINK_DAYS",
        key: "supplier_link_days",
        default: "30",
        shown: "`30`",
        doc: "Days a supplier's upload link works after the request's last mail (while the request is open)",
    }
    IAF_API_URL {
        env: "CERTWATCH_IAF_API_URL",
        key: "iaf_api_url",
        default: "",
        shown: "unset (IAF CertSearch checks off)",
        doc: "Base URL of IAF CertSearch's Verification Users API (shown to the account after login), or of a proxy in front of it; reached even on a private address",
    }
    FSC_API_URL {
        env: "CERTWATCH_FSC_API_URL",
        key: "fsc_api_url",
        default: "",
        shown: "unset (FSC checks off)",
        doc: "Base URL of FSC's certificate status API, or of a proxy in front of it; reached even on a private address",
    }
    VERIFY_INTERVAL {
        env: "CERTWATCH_VERIFY_INTERVAL",
        key: "verify_interval",
        default: "3600",
        shown: "`3600`",
        doc: "Seconds between each tenant's passes over the registers, which check the certificates that are due (one runs at start-up)",
    }
    VERIFY_ACTIVE_DAYS {
        env: "CERTWATCH_VERIFY_ACTIVE_DAYS",
        key: "verify_active_days",
        default: "7",
        shown: "`7`",
        doc: "Days before a certificate a register called active is checked again",
    }
    VERIFY_DOUBTFUL_HOURS {
        env: "CERTWATCH_VERIFY_DOUBTFUL_HOURS",
        key: "verify_doubtful_hours",
        default: "24",
        shown: "`24`",
        doc: "Hours before a certificate a register called suspended, unknown or not found (or could not answer about) is checked again",
    }
    MAIL_ALLOW_PLAINTEXT {
        env: "CERTWATCH_MAIL_ALLOW_PLAINTEXT",
        key: "mail_allow_plaintext",
        default: "false",
        shown: "`false`",
        doc: "Allow mail accounts with `security = none` (IMAP without TLS): for tests and relays on the same host",
    }
    MAIL_MAX_MESSAGE_MB {
        env: "CERTWATCH_MAIL_MAX_MESSAGE_MB",
        key: "mail_max_message_mb",
        default: "30",
        shown: "`30`",
        doc: "Largest mail (as the server sends it, encoded) a mailbox fetches; a larger one is recorded as refused and left on the server",
    }
    MAIL_MAX_ATTACHMENT_MB {
        env: "CERTWATCH_MAIL_MAX_ATTACHMENT_MB",
        key: "mail_max_attachment_mb",
        default: "20",
        shown: "`20`",
        doc: "Largest attachment (decoded) taken from a mail, at most 20 (the upload limit); larger ones are left out and said in the mail's record",
    }
    MAIL_MAX_ATTACHMENTS {
        env: "CERTWATCH_MAIL_MAX_ATTACHMENTS",
        key: "mail_max_attachments",
        default: "20",
        shown: "`20`",
        doc: "Certificate files taken from one mail; the rest are left out and said",
    }
}

/// The settings as the table in `docs/configuration.md`.
pub fn markdown_table() -> String {
    let mut table = String::from(
        "| Environment variable | File key | Default | Meaning |\n|---|---|---|---|\n",
    );
    for s in ALL {
        let key = if s.key.is_empty() {
            "—".to_string()
        } else {
            format!("`{}`", s.key)
        };
        table.push_str(&format!(
            "| `{}` | {key} | {} | {} |\n",
            s.env, s.shown, s.doc
        ));
    }
    table
}
