//! Typed configuration for CertWatch.
//!
//! Sources, later ones winning: built-in defaults, an optional TOML file, `CERTWATCH_*`
//! environment variables. Every error names the setting it is about, so a bad value stops
//! start-up with a message an operator can act on.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

/// The complete, validated configuration the service runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// Directory holding the sled store, uploaded files and the mail outbox.
    pub data_dir: PathBuf,
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

/// The shape of `certwatch.toml`. Every key is optional; unknown keys are an error so a
/// typo does not silently fall back to a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    public_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    allow_private_targets: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    auth_rate_per_minute: Option<u32>,
    public_search_rate_per_minute: Option<u32>,
    webhook_retry_schedule: Option<String>,
    api_rate_per_minute: Option<u32>,
    fetch_timeout_secs: Option<u32>,
    tesseract: Option<String>,
    worker_program: Option<PathBuf>,
    parse_jobs: Option<u64>,
    page_jobs: Option<u64>,
    worker_memory_mb: Option<u64>,
    worker_cpu_secs: Option<u64>,
    worker_timeout_secs: Option<u64>,
    max_text_chars: Option<u64>,
    max_pdf_pages: Option<u64>,
    max_image_megapixels: Option<u64>,
    max_import_rows: Option<u64>,
    max_import_errors: Option<u64>,
    max_xlsx_part_mb: Option<u64>,
    storage_quota_mb: Option<u64>,
    backup_dir: Option<PathBuf>,
    backup_interval_secs: Option<u64>,
    backup_keep: Option<u64>,
    scrape_log_retention_days: Option<u64>,
    delivery_retention_days: Option<u64>,
    event_retention_days: Option<u64>,
    retention_sweep_secs: Option<u64>,
    metrics_token: Option<String>,
    log_format: Option<String>,
    digest_check_secs: Option<u64>,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./certwatch-data";
pub const DEFAULT_MAIL_FROM: &str = "CertWatch <certwatch@localhost>";
pub const DEFAULT_AUTH_RATE_PER_MINUTE: u32 = 5;
pub const DEFAULT_PUBLIC_SEARCH_RATE_PER_MINUTE: u32 = 30;
pub const DEFAULT_API_RATE_PER_MINUTE: u32 = 100;
pub const DEFAULT_FETCH_TIMEOUT_SECS: u32 = 30;
/// Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const DEFAULT_WEBHOOK_RETRY_SCHEDULE: &str = "0,5,300,1800,7200,18000,36000,36000";

impl Config {
    /// Loads the configuration from an optional file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::load_with(file, |name| std::env::var(name).ok())
    }

    /// Loads the configuration with an injected environment, so tests need not touch the
    /// process environment.
    pub fn load_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file_cfg = match file {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        // Each setting: the environment wins over the file, the file over the default.
        let pick = |env_name: &str, from_file: Option<String>| env(env_name).or(from_file);

        let listen_raw =
            pick("CERTWATCH_LISTEN", file_cfg.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_raw.trim().parse().map_err(|_| {
            ConfigError::new(
                "CERTWATCH_LISTEN",
                format!("'{listen_raw}' is not an address like 127.0.0.1:8080"),
            )
        })?;

        let data_dir = env("CERTWATCH_DATA_DIR")
            .map(PathBuf::from)
            .or(file_cfg.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        if data_dir.as_os_str().is_empty() {
            return Err(ConfigError::new("CERTWATCH_DATA_DIR", "must not be empty"));
        }

        let public_url = pick("CERTWATCH_PUBLIC_URL", file_cfg.public_url)
            .map(|url| parse_public_url(&url))
            .transpose()?;

        let smtp_url = pick("CERTWATCH_SMTP_URL", file_cfg.smtp_url)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        if let Some(url) = &smtp_url
            && !(url.starts_with("smtp://") || url.starts_with("smtps://"))
        {
            return Err(ConfigError::new(
                "CERTWATCH_SMTP_URL",
                format!("'{url}' must start with smtp:// or smtps://"),
            ));
        }

        let mail_from = pick("CERTWATCH_MAIL_FROM", file_cfg.mail_from)
            .unwrap_or_else(|| DEFAULT_MAIL_FROM.to_string());
        if !mail_from.contains('@') {
            return Err(ConfigError::new(
                "CERTWATCH_MAIL_FROM",
                format!("'{mail_from}' is not a mail address"),
            ));
        }

        let allow_private_targets = match env("CERTWATCH_ALLOW_PRIVATE_TARGETS") {
            Some(raw) => parse_bool("CERTWATCH_ALLOW_PRIVATE_TARGETS", &raw)?,
            None => file_cfg.allow_private_targets.unwrap_or(false),
        };

        let proxies_raw: Vec<String> = match env("CERTWATCH_TRUSTED_PROXIES") {
            Some(raw) => raw
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            None => file_cfg.trusted_proxies.unwrap_or_default(),
        };
        let trusted_proxies = proxies_raw
            .iter()
            .map(|p| parse_net(p))
            .collect::<Result<Vec<_>, _>>()?;

        let auth_rate_per_minute = rate(
            "CERTWATCH_AUTH_RATE_PER_MINUTE",
            env("CERTWATCH_AUTH_RATE_PER_MINUTE"),
            file_cfg.auth_rate_per_minute,
            DEFAULT_AUTH_RATE_PER_MINUTE,
        )?;
        let public_search_rate_per_minute = rate(
            "CERTWATCH_PUBLIC_SEARCH_RATE_PER_MINUTE",
            env("CERTWATCH_PUBLIC_SEARCH_RATE_PER_MINUTE"),
            file_cfg.public_search_rate_per_minute,
            DEFAULT_PUBLIC_SEARCH_RATE_PER_MINUTE,
        )?;

        let api_rate_per_minute = rate(
            "CERTWATCH_API_RATE_PER_MINUTE",
            env("CERTWATCH_API_RATE_PER_MINUTE"),
            file_cfg.api_rate_per_minute,
            DEFAULT_API_RATE_PER_MINUTE,
        )?;
        let schedule_raw = pick(
            "CERTWATCH_WEBHOOK_RETRY_SCHEDULE",
            file_cfg.webhook_retry_schedule,
        )
        .unwrap_or_else(|| DEFAULT_WEBHOOK_RETRY_SCHEDULE.to_string());
        let webhook_retry_schedule = parse_schedule(&schedule_raw)?;
        let fetch_timeout = rate(
            "CERTWATCH_FETCH_TIMEOUT_SECS",
            env("CERTWATCH_FETCH_TIMEOUT_SECS"),
            file_cfg.fetch_timeout_secs,
            DEFAULT_FETCH_TIMEOUT_SECS,
        )?;
        let fetch_timeout = Duration::from_secs(u64::from(fetch_timeout));
        let tesseract = pick("CERTWATCH_TESSERACT", file_cfg.tesseract)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "tesseract".to_string());

        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
        let num = |setting: &str, from_file: Option<u64>, default: u64, max: u64| {
            number(setting, env(setting), from_file, default, max)
        };
        let parsing = Parsing {
            worker_program: env("CERTWATCH_WORKER_PROGRAM")
                .map(PathBuf::from)
                .or(file_cfg.worker_program)
                .filter(|p| !p.as_os_str().is_empty()),
            jobs: num("CERTWATCH_PARSE_JOBS", file_cfg.parse_jobs, cores, 256)? as usize,
            page_jobs: num("CERTWATCH_PAGE_JOBS", file_cfg.page_jobs, cores, 256)? as usize,
            memory_bytes: num(
                "CERTWATCH_WORKER_MEMORY_MB",
                file_cfg.worker_memory_mb,
                1024,
                1 << 20,
            )? << 20,
            cpu_seconds: num(
                "CERTWATCH_WORKER_CPU_SECS",
                file_cfg.worker_cpu_secs,
                60,
                86_400,
            )?,
            timeout: Duration::from_secs(num(
                "CERTWATCH_WORKER_TIMEOUT_SECS",
                file_cfg.worker_timeout_secs,
                120,
                86_400,
            )?),
            max_text_chars: num(
                "CERTWATCH_MAX_TEXT_CHARS",
                file_cfg.max_text_chars,
                262_144,
                1 << 30,
            )? as usize,
            max_pdf_pages: num(
                "CERTWATCH_MAX_PDF_PAGES",
                file_cfg.max_pdf_pages,
                20,
                10_000,
            )? as u32,
            max_image_pixels: num(
                "CERTWATCH_MAX_IMAGE_MEGAPIXELS",
                file_cfg.max_image_megapixels,
                50,
                10_000,
            )? * 1_000_000,
            max_import_rows: num(
                "CERTWATCH_MAX_IMPORT_ROWS",
                file_cfg.max_import_rows,
                200_000,
                100_000_000,
            )? as usize,
            max_import_errors: num(
                "CERTWATCH_MAX_IMPORT_ERRORS",
                file_cfg.max_import_errors,
                1_000,
                1_000_000,
            )? as usize,
            max_xlsx_part_bytes: num(
                "CERTWATCH_MAX_XLSX_PART_MB",
                file_cfg.max_xlsx_part_mb,
                256,
                1 << 20,
            )? << 20,
        };
        let storage_quota_bytes = num(
            "CERTWATCH_STORAGE_QUOTA_MB",
            file_cfg.storage_quota_mb,
            10_240,
            1 << 40,
        )? << 20;

        let backups = env("CERTWATCH_BACKUP_DIR")
            .map(PathBuf::from)
            .or(file_cfg.backup_dir)
            .filter(|d| !d.as_os_str().is_empty())
            .map(|dir| {
                Ok::<_, ConfigError>(Backups {
                    dir,
                    interval: Duration::from_secs(num(
                        "CERTWATCH_BACKUP_INTERVAL_SECS",
                        file_cfg.backup_interval_secs,
                        86_400,
                        365 * 86_400,
                    )?),
                    keep: num("CERTWATCH_BACKUP_KEEP", file_cfg.backup_keep, 7, 10_000)? as usize,
                })
            })
            .transpose()?;
        // 0 days keeps nothing past the next sweep.
        let days = |setting: &str, from_file: Option<u64>, default: u64| {
            number_from(setting, env(setting), from_file, default, 0, 100 * 365).map(|d| d as u32)
        };
        let retention = Retention {
            scrape_log_days: days(
                "CERTWATCH_SCRAPE_LOG_RETENTION_DAYS",
                file_cfg.scrape_log_retention_days,
                90,
            )?,
            delivery_days: days(
                "CERTWATCH_DELIVERY_RETENTION_DAYS",
                file_cfg.delivery_retention_days,
                90,
            )?,
            event_days: days(
                "CERTWATCH_EVENT_RETENTION_DAYS",
                file_cfg.event_retention_days,
                365,
            )?,
            sweep_interval: Duration::from_secs(num(
                "CERTWATCH_RETENTION_SWEEP_SECS",
                file_cfg.retention_sweep_secs,
                86_400,
                365 * 86_400,
            )?),
        };
        let metrics_token = pick("CERTWATCH_METRICS_TOKEN", file_cfg.metrics_token)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if let Some(token) = &metrics_token
            && token.len() < 16
        {
            return Err(ConfigError::new(
                "CERTWATCH_METRICS_TOKEN",
                "must be at least 16 characters",
            ));
        }
        let log_format = match pick("CERTWATCH_LOG_FORMAT", file_cfg.log_format)
            .map(|f| f.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("" | "text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "CERTWATCH_LOG_FORMAT",
                    format!("'{other}' is not text or json"),
                ));
            }
        };
        let digest_check_interval = Duration::from_secs(num(
            "CERTWATCH_DIGEST_CHECK_SECS",
            file_cfg.digest_check_secs,
            900,
            86_400,
        )?);

        Ok(Config {
            backups,
            retention,
            metrics_token,
            log_format,
            digest_check_interval,
            parsing,
            storage_quota_bytes,
            listen,
            data_dir,
            public_url,
            smtp_url,
            mail_from,
            allow_private_targets,
            trusted_proxies,
            auth_rate_per_minute,
            public_search_rate_per_minute,
            api_rate_per_minute,
            webhook_retry_schedule,
            fetch_timeout,
            tesseract,
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

/// Comma-separated seconds, at least one, each at most a week.
fn parse_schedule(raw: &str) -> Result<Vec<Duration>, ConfigError> {
    let setting = "CERTWATCH_WEBHOOK_RETRY_SCHEDULE";
    let delays = raw
        .split(',')
        .map(|part| {
            part.trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= 7 * 86_400)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    ConfigError::new(
                        setting,
                        format!("'{part}' is not a number of seconds up to a week"),
                    )
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if delays.is_empty() {
        return Err(ConfigError::new(setting, "needs at least one delay"));
    }
    Ok(delays)
}

/// A per-minute rate: a whole number of at least 1.
fn rate(
    setting: &str,
    from_env: Option<String>,
    from_file: Option<u32>,
    default: u32,
) -> Result<u32, ConfigError> {
    let value = match from_env {
        Some(raw) => raw
            .trim()
            .parse::<u32>()
            .map_err(|_| ConfigError::new(setting, format!("'{raw}' is not a whole number")))?,
        None => from_file.unwrap_or(default),
    };
    if value == 0 {
        return Err(ConfigError::new(setting, "must be at least 1"));
    }
    Ok(value)
}

/// A whole number from 1 to `max`.
fn number(
    setting: &str,
    from_env: Option<String>,
    from_file: Option<u64>,
    default: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    number_from(setting, from_env, from_file, default, 1, max)
}

/// A whole number from `min` to `max`.
fn number_from(
    setting: &str,
    from_env: Option<String>,
    from_file: Option<u64>,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let value = match from_env {
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .map_err(|_| ConfigError::new(setting, format!("'{raw}' is not a whole number")))?,
        None => from_file.unwrap_or(default),
    };
    if !(min..=max).contains(&value) {
        return Err(ConfigError::new(
            setting,
            format!("must be from {min} to {max}"),
        ));
    }
    Ok(value)
}

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let setting = format!("config file {}", path.display());
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigError::new(&setting, e.to_string()))?;
    toml::from_str(&text).map_err(|e| ConfigError::new(&setting, e.message().to_string()))
}

fn parse_public_url(raw: &str) -> Result<String, ConfigError> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(url.to_string())
        }
        _ => Err(ConfigError::new(
            "CERTWATCH_PUBLIC_URL",
            format!("'{raw}' is not an http(s) URL like https://certwatch.example.com"),
        )),
    }
}

fn parse_bool(setting: &str, raw: &str) -> Result<bool, ConfigError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError::new(
            setting,
            format!("'{raw}' is not a boolean (true/false)"),
        )),
    }
}

/// A trusted proxy is an address (`10.0.0.1`) or a network (`10.0.0.0/8`).
fn parse_net(raw: &str) -> Result<IpNet, ConfigError> {
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            ConfigError::new(
                "CERTWATCH_TRUSTED_PROXIES",
                format!("'{raw}' is not an IP address or CIDR network"),
            )
        })
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
