//! Typed configuration for CertWatch.
//!
//! Sources, later ones winning: built-in defaults, an optional TOML file, `CERTWATCH_*`
//! environment variables. Every error names the setting it is about, so a bad value stops
//! start-up with a message an operator can act on.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;

mod parse;
pub mod settings;
mod source;

use source::Source;

/// The complete, validated configuration the service runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Directory holding the sled store, uploaded files and the mail outbox.
    pub data_dir: PathBuf,
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

/// A configuration value that could not be used, with the setting it belongs to.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

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
        let backups = match src.optional(&BACKUP_DIR, |d| Ok(PathBuf::from(d)))? {
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
            secret_key_file: src.optional(&SECRET_KEY_FILE, |p| Ok(PathBuf::from(p)))?,
            public_url: src.optional(&PUBLIC_URL, parse::public_url)?,
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
        })
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::load_with(None, |name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_no_configuration() {
        let cfg = load(&[]).unwrap();
        assert_eq!(cfg.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(cfg.data_dir, PathBuf::from("./certwatch-data"));
        assert_eq!(cfg.public_url(), "http://127.0.0.1:8080");
        assert_eq!(cfg.smtp_url, None);
        assert!(!cfg.allow_private_targets);
        assert!(cfg.trusted_proxies.is_empty());
        assert_eq!(cfg.auth_rate_per_minute, 5);
        assert_eq!(cfg.webhook_retry_schedule.len(), 8);
        assert_eq!(cfg.webhook_retry_schedule[2], Duration::from_secs(300));
        assert_eq!(cfg.backups, None);
        assert_eq!(cfg.metrics_token, None);
        assert_eq!(cfg.log_format, LogFormat::Text);
        assert_eq!(
            (
                cfg.retention.scrape_log_days,
                cfg.retention.delivery_days,
                cfg.retention.event_days
            ),
            (90, 90, 365)
        );
    }

    #[test]
    fn a_backup_directory_turns_scheduled_backups_on() {
        let cfg = load(&[
            ("CERTWATCH_BACKUP_DIR", "/var/backups/certwatch"),
            ("CERTWATCH_BACKUP_KEEP", "3"),
        ])
        .unwrap();
        let backups = cfg.backups.unwrap();
        assert_eq!(backups.dir, PathBuf::from("/var/backups/certwatch"));
        assert_eq!((backups.keep, backups.interval.as_secs()), (3, 86_400));
    }

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("certwatch.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/cw\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
        )
        .unwrap();
        let env: HashMap<&str, &str> = [("CERTWATCH_LISTEN", "0.0.0.0:7000")].into();
        let cfg = Config::load_with(Some(&path), |n| env.get(n).map(|s| s.to_string())).unwrap();
        assert_eq!(cfg.listen, "0.0.0.0:7000".parse().unwrap());
        assert_eq!(cfg.data_dir, PathBuf::from("/srv/cw"));
        assert!(cfg.is_trusted_proxy("10.1.2.3".parse().unwrap()));
        assert!(!cfg.is_trusted_proxy("11.1.2.3".parse().unwrap()));
    }

    #[test]
    fn bad_values_name_their_setting() {
        let cases = [
            ("CERTWATCH_LISTEN", "not-an-address"),
            ("CERTWATCH_PUBLIC_URL", "ftp://x"),
            ("CERTWATCH_SMTP_URL", "mail.example.com"),
            ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "maybe"),
            ("CERTWATCH_TRUSTED_PROXIES", "10.0.0.0/99"),
            ("CERTWATCH_AUTH_RATE_PER_MINUTE", "0"),
            ("CERTWATCH_WEBHOOK_RETRY_SCHEDULE", "0,5,soon"),
            ("CERTWATCH_WEBHOOK_RETRY_SCHEDULE", ""),
            ("CERTWATCH_METRICS_TOKEN", "short"),
            ("CERTWATCH_LOG_FORMAT", "xml"),
            ("CERTWATCH_EVENT_RETENTION_DAYS", "-1"),
        ];
        for (name, value) in cases {
            let err = load(&[(name, value)]).unwrap_err();
            assert_eq!(err.setting, name, "{value}");
            assert!(err.to_string().contains(name));
        }
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("certwatch.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:9000\"\n").unwrap();
        let err = Config::load_with(Some(&path), |_| None).unwrap_err();
        assert!(err.setting.contains("certwatch.toml"), "{err}");
        assert!(err.message.contains("lisen"), "{err}");
    }

    #[test]
    fn file_values_of_every_kind_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("certwatch.toml");
        std::fs::write(
            &path,
            "allow_private_targets = true\nparse_jobs = 3\nwebhook_retry_schedule = \"0,60\"\n\
             backup_dir = \"/srv/backups\"\nbackup_keep = 2\n",
        )
        .unwrap();
        let cfg = Config::load_with(Some(&path), |_| None).unwrap();
        assert!(cfg.allow_private_targets);
        assert_eq!(cfg.parsing.jobs, 3);
        assert_eq!(
            cfg.webhook_retry_schedule,
            [Duration::ZERO, Duration::from_secs(60)]
        );
        assert_eq!(cfg.backups.unwrap().keep, 2);
    }

    /// The docs' table is the declarations: change a setting there, and this says what the
    /// table must become.
    #[test]
    fn the_docs_list_every_setting_as_declared() {
        let docs = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md"),
        )
        .unwrap();
        let table = settings::markdown_table();
        assert!(
            docs.contains(&table),
            "docs/configuration.md must hold this table:\n\n{table}"
        );
        let mut keys: Vec<&str> = settings::ALL.iter().map(|s| s.env).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), settings::ALL.len(), "a setting declared twice");
    }

    #[test]
    fn public_url_loses_trailing_slash_and_trusted_proxy_takes_plain_address() {
        let cfg = load(&[
            ("CERTWATCH_PUBLIC_URL", "https://cw.example.com/"),
            ("CERTWATCH_TRUSTED_PROXIES", "192.168.1.1, ::1"),
        ])
        .unwrap();
        assert_eq!(cfg.public_url(), "https://cw.example.com");
        assert!(cfg.is_trusted_proxy("192.168.1.1".parse().unwrap()));
        assert!(cfg.is_trusted_proxy("::1".parse().unwrap()));
    }
}
