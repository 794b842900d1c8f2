//! Typed configuration for CertWatch.
//!
//! Sources, later ones winning: built-in defaults, an optional TOML file, `CERTWATCH_*`
//! environment variables. Every error names the setting it is about, so a bad value stops
//! start-up with a message an operator can act on.

mod error;
mod load;
mod model;
mod parse;
pub mod settings;
mod source;

pub use error::ConfigError;
pub use model::{Backups, Config, LogFormat, MailIntake, Node, Parsing, Registers, Retention};

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::time::Duration;

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
            ("CERTWATCH_STORE", "sled:./data"),
        ];
        for (name, value) in cases {
            let err = load(&[(name, value)]).unwrap_err();
            assert_eq!(err.setting, name, "{value}");
            assert!(err.to_string().contains(name));
        }
        // A store on PostgreSQL is backed up by PostgreSQL's tools, not by the service.
        let err = load(&[
            ("CERTWATCH_STORE", "postgres://cw@127.0.0.1/cw"),
            ("CERTWATCH_BACKUP_DIR", "/var/backups/cw"),
        ])
        .unwrap_err();
        assert_eq!(err.setting, "CERTWATCH_BACKUP_DIR");
        let ok = load(&[("CERTWATCH_STORE", "postgres://cw@127.0.0.1/cw")]).unwrap();
        assert_eq!(ok.store.as_deref(), Some("postgres://cw@127.0.0.1/cw"));
        // Several nodes share a PostgreSQL store, each with a name and an internal address.
        let pg = ("CERTWATCH_STORE", "postgres://cw@127.0.0.1/cw");
        let id = ("CERTWATCH_NODE_ID", "node-1");
        let internal = ("CERTWATCH_INTERNAL_LISTEN", "10.0.0.5:8081");
        assert_eq!(
            load(&[id, internal]).unwrap_err().setting,
            "CERTWATCH_NODE_ID"
        );
        assert_eq!(
            load(&[pg, id]).unwrap_err().setting,
            "CERTWATCH_INTERNAL_LISTEN"
        );
        assert_eq!(
            load(&[pg, internal]).unwrap_err().setting,
            "CERTWATCH_NODE_ID"
        );
        let node = load(&[pg, id, internal]).unwrap().node.unwrap();
        assert_eq!(
            (node.id.as_str(), node.internal_listen.to_string().as_str()),
            ("node-1", "10.0.0.5:8081")
        );
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
