//! Reading the configuration: each setting once, by its declaration in [`crate::settings`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::ConfigError;
use crate::model::{Backups, Config, MailIntake, Node, Parsing, Registers, Retention};
use crate::parse;
use crate::settings;
use crate::source::Source;

impl Config {
    /// Loads the configuration from an optional file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, |name| std::env::var(name).ok())
    }

    /// Loads the configuration with an injected environment, so tests need not touch the
    /// process environment. Each setting is one reading of its declaration in
    /// [`settings`]: the environment wins over the file, the file over the default.
    pub fn load_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        use settings::*;
        let src = Source::new(file, &env)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        let secs = |s: &Setting, max: u64| src.number(s, 1, max, None).map(Duration::from_secs);
        let rate = |s: &Setting| {
            src.number(s, 1, u64::from(u32::MAX), None)
                .map(|n| n as u32)
        };
        // 0 days keeps nothing past the next sweep.
        let days = |s: &Setting| src.number(s, 0, 100 * 365, None).map(|d| d as u32);
        let data_dir = src
            .text(&DATA_DIR)?
            .map(PathBuf::from)
            .ok_or_else(|| ConfigError::new(DATA_DIR.env, "must not be empty"))?;
        let store = src.optional(&STORE, parse::store_url)?;
        let node = match (
            src.optional(&NODE_ID, parse::node_id)?,
            src.optional(&INTERNAL_LISTEN, parse::listen)?,
        ) {
            (None, None) => None,
            (Some(_), _) | (_, Some(_)) if store.is_none() => {
                return Err(ConfigError::new(
                    NODE_ID.env,
                    "several nodes share a PostgreSQL store: set CERTWATCH_STORE too",
                ));
            }
            (Some(id), Some(internal_listen)) => Some(Node {
                id,
                internal_listen,
            }),
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    NODE_ID.env,
                    "must be set with CERTWATCH_INTERNAL_LISTEN",
                ));
            }
            (Some(_), None) => {
                return Err(ConfigError::new(
                    INTERNAL_LISTEN.env,
                    "must be set with CERTWATCH_NODE_ID",
                ));
            }
        };
        let backups = match src.optional(&BACKUP_DIR, |d| Ok(PathBuf::from(d)))? {
            Some(_) if store.is_some() => {
                return Err(ConfigError::new(
                    BACKUP_DIR.env,
                    "a store on PostgreSQL (CERTWATCH_STORE) is backed up with pg_dump; unset it",
                ));
            }
            Some(dir) => Some(Backups {
                dir,
                interval: secs(&BACKUP_INTERVAL_SECS, 365 * 86_400)?,
                keep: src.number(&BACKUP_KEEP, 1, 10_000, None)? as usize,
            }),
            None => None,
        };
        Ok(Config {
            listen: src.parsed(&LISTEN, parse::listen)?,
            data_dir,
            store,
            node,
            secret_key_file: src.optional(&SECRET_KEY_FILE, |p| Ok(PathBuf::from(p)))?,
            public_url: src.optional(&PUBLIC_URL, parse::http_url)?,
            smtp_url: src.optional(&SMTP_URL, parse::smtp_url)?,
            mail_from: src.parsed(&MAIL_FROM, parse::mail_from)?,
            allow_private_targets: src.boolean(&ALLOW_PRIVATE_TARGETS)?,
            trusted_proxies: src.list(&TRUSTED_PROXIES, parse::net)?,
            auth_rate_per_minute: rate(&AUTH_RATE_PER_MINUTE)?,
            public_search_rate_per_minute: rate(&PUBLIC_SEARCH_RATE_PER_MINUTE)?,
            api_rate_per_minute: rate(&API_RATE_PER_MINUTE)?,
            webhook_retry_schedule: src.parsed(&WEBHOOK_RETRY_SCHEDULE, parse::schedule)?,
            fetch_timeout: secs(&FETCH_TIMEOUT_SECS, u64::from(u32::MAX))?,
            tesseract: src.parsed(&TESSERACT, |t| Ok(t.trim().to_string()))?,
            parsing: Parsing {
                worker_program: src.optional(&WORKER_PROGRAM, |p| Ok(PathBuf::from(p)))?,
                jobs: src.number(&PARSE_JOBS, 1, 256, Some(cores))? as usize,
                page_jobs: src.number(&PAGE_JOBS, 1, 256, Some(cores))? as usize,
                memory_bytes: src.number(&WORKER_MEMORY_MB, 1, 1 << 20, None)? << 20,
                cpu_seconds: src.number(&WORKER_CPU_SECS, 1, 86_400, None)?,
                timeout: secs(&WORKER_TIMEOUT_SECS, 86_400)?,
                max_text_chars: src.number(&MAX_TEXT_CHARS, 1, 1 << 30, None)? as usize,
                max_pdf_pages: src.number(&MAX_PDF_PAGES, 1, 10_000, None)? as u32,
                max_image_pixels: src.number(&MAX_IMAGE_MEGAPIXELS, 1, 10_000, None)? * 1_000_000,
                max_import_rows: src.number(&MAX_IMPORT_ROWS, 1, 100_000_000, None)? as usize,
                max_import_errors: src.number(&MAX_IMPORT_ERRORS, 1, 1_000_000, None)? as usize,
                max_xlsx_part_bytes: src.number(&MAX_XLSX_PART_MB, 1, 1 << 20, None)? << 20,
            },
            storage_quota_bytes: src.number(&STORAGE_QUOTA_MB, 1, 1 << 40, None)? << 20,
            backups,
            retention: Retention {
                scrape_log_days: days(&SCRAPE_LOG_RETENTION_DAYS)?,
                delivery_days: days(&DELIVERY_RETENTION_DAYS)?,
                event_days: days(&EVENT_RETENTION_DAYS)?,
                sweep_interval: secs(&RETENTION_SWEEP_SECS, 365 * 86_400)?,
            },
            metrics_token: src.optional(&METRICS_TOKEN, parse::metrics_token)?,
            log_format: src.parsed(&LOG_FORMAT, parse::log_format)?,
            digest_check_interval: secs(&DIGEST_CHECK_SECS, 86_400)?,
            reminder_interval: secs(&REMINDER_INTERVAL, 86_400)?,
            supplier_link_days: src.number(&SUPPLIER_LINK_DAYS, 1, 365, None)? as u32,
            registers: Registers {
                iaf_api_url: src.optional(&IAF_API_URL, parse::http_url)?,
                fsc_api_url: src.optional(&FSC_API_URL, parse::http_url)?,
                interval: secs(&VERIFY_INTERVAL, 7 * 86_400)?,
                active_every: Duration::from_secs(
                    src.number(&VERIFY_ACTIVE_DAYS, 1, 365, None)? * 86_400,
                ),
                doubtful_every: Duration::from_secs(
                    src.number(&VERIFY_DOUBTFUL_HOURS, 1, 24 * 365, None)? * 3600,
                ),
            },
            mail: MailIntake {
                allow_plaintext: src.boolean(&MAIL_ALLOW_PLAINTEXT)?,
                max_message_bytes: src.number(&MAIL_MAX_MESSAGE_MB, 1, 1 << 12, None)? << 20,
                max_attachment_bytes: src.number(&MAIL_MAX_ATTACHMENT_MB, 1, 20, None)? << 20,
                max_attachments: src.number(&MAIL_MAX_ATTACHMENTS, 1, 1_000, None)? as usize,
            },
        })
    }
}
