//! `certwatch`: the service binary.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use certwatch_config::{Config, LogFormat};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "certwatch",
    version,
    about = "Keeps supplier compliance certificates current"
)]
struct Cli {
    /// TOML configuration file; CERTWATCH_* environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API and the monitoring actors until SIGTERM or Ctrl-C.
    Serve,
    /// Print the effective configuration and exit.
    Config,
    /// Check the configuration and what it points at (directories, programs, the port);
    /// exits non-zero when something is wrong.
    CheckConfig,
    /// Write a backup of the store and the uploaded files to FILE: asks the running server
    /// (through the control socket in the data directory), or reads the store itself when
    /// no server runs.
    Backup { file: PathBuf },
    /// Build a new data directory DIR from a backup FILE (checked before it is used).
    Restore { file: PathBuf, dir: PathBuf },
    /// Add a new key to the key file that seals stored secrets (webhook signing secrets,
    /// API keys); the service seals every secret with it at its next start. The older
    /// keys stay in the file so older backups still open.
    RotateSecretKey,
    /// Print a one-hour link to choose a new password for the account of EMAIL, for an
    /// administrator locked out of the last admin account.
    ResetPassword { email: String },
    /// Make the store's schema where CERTWATCH_STORE (or the data directory) says, or
    /// migrate an older store to it, and exit: run it once before starting the
    /// nodes of a new release.
    Migrate,
    /// With the service stopped: copy every record of a sled store into a new PostgreSQL
    /// database, in one transaction, and check the copy against the original. Uploaded
    /// files and the key file stay in the data directory; serve with that
    /// CERTWATCH_DATA_DIR and CERTWATCH_STORE set to the database.
    MigrateStore {
        /// `sled:DIR`, the data directory of the store to move.
        #[arg(long, value_name = "sled:DIR")]
        from: String,
        /// `postgres://…`, a database holding no tenant's records yet.
        #[arg(long, value_name = "postgres://…")]
        to: String,
    },
    /// Several nodes sharing the PostgreSQL store (CERTWATCH_STORE).
    Cluster {
        #[command(subcommand)]
        command: ClusterCommand,
    },
    /// Read untrusted files for a running server (started by it; speaks on stdin/stdout).
    Worker,
    /// With the service stopped: list certificates that share a type and number (written
    /// before that was refused) and, with --merge, fold each group into its newest one.
    Doctor {
        /// Merge every group (one transaction each), keeping the newest values and every
        /// value only an older duplicate has.
        #[arg(long)]
        merge: bool,
    },
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// The nodes alive, the shards each holds, and every shard's lease: its node, epoch and
    /// time left.
    Status,
}

fn main() -> ExitCode {
    // Before any file is made: the data, mails, backups and keys are the operator's alone.
    certwatch_store::engine::private::private_umask();
    let cli = Cli::parse();
    if let Command::Worker = cli.command {
        // The server that started the worker has its configuration; every job brings
        // the limits it runs under.
        return certwatch_ingest::worker::serve();
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("certwatch: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Config => {
            println!("{config:#?}");
            ExitCode::SUCCESS
        }
        Command::Serve => serve(config),
        Command::Doctor { merge } => doctor(&config, merge),
        Command::CheckConfig => check_config(&config),
        Command::Backup { file } => offline(|| {
            let summary = certwatch::control::backup_to(&config, &file)?;
            println!(
                "backup written to {}: {} records, {} files, record checksum {}",
                file.display(),
                summary.records,
                summary.files,
                summary.record_digest
            );
            Ok(())
        }),
        Command::RotateSecretKey => offline(|| {
            let path = key_file(&config).map(PathBuf::from).unwrap_or_else(|| {
                config
                    .data_dir
                    .join(certwatch_store::engine::sealing::DEFAULT_KEY_FILE)
            });
            let id = certwatch_store::engine::sealing::rotate_key_file(&path)?;
            println!(
                "key {id} added to {}; restart the service to seal the stored secrets with it",
                path.display()
            );
            Ok(())
        }),
        Command::Restore { file, dir } => offline(|| {
            let input = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let summary =
                certwatch_store::engine::backup::restore(std::io::BufReader::new(input), &dir)?;
            // A backup holds secrets sealed, never the key: the restored directory gets
            // this installation's key file, unless the operator keeps it elsewhere.
            let key = key_file(&config).map(PathBuf::from).unwrap_or_else(|| {
                config
                    .data_dir
                    .join(certwatch_store::engine::sealing::DEFAULT_KEY_FILE)
            });
            let restored_key = dir.join(certwatch_store::engine::sealing::DEFAULT_KEY_FILE);
            if config.secret_key_file.is_none() && key.exists() && !restored_key.exists() {
                std::fs::copy(&key, &restored_key)?;
            }
            println!(
                "restored {} records and {} files into {} (record checksum {}); start it with CERTWATCH_DATA_DIR={}",
                summary.records,
                summary.files,
                dir.display(),
                summary.record_digest,
                dir.display()
            );
            Ok(())
        }),
        Command::ResetPassword { email } => offline(|| {
            let link = certwatch::control::reset_password(&config, &email)?;
            println!("{link}");
            println!("The link works once, for one hour. It ends the account's sign-in sessions.");
            Ok(())
        }),
        Command::Migrate => offline(|| {
            let store = certwatch::opening::open_store(&config)?;
            let version = store.schema_version()?;
            store.flush()?;
            let place = match &config.store {
                Some(_) => "PostgreSQL (CERTWATCH_STORE)".to_string(),
                None => config.data_dir.join("store").display().to_string(),
            };
            println!("the store in {place} is at schema {version}");
            Ok(())
        }),
        Command::MigrateStore { from, to } => offline(|| {
            let moved = certwatch::control::migrate_store(&config, &from, &to)?;
            println!(
                "moved {} records into PostgreSQL (record checksum {}); serve with CERTWATCH_DATA_DIR={} and CERTWATCH_STORE set to the database",
                moved.records,
                moved.record_digest,
                from.trim_start_matches("sled:")
            );
            Ok(())
        }),
        Command::Cluster {
            command: ClusterCommand::Status,
        } => offline(|| certwatch::cluster::status(&config, &mut std::io::stdout())),
        Command::Worker => unreachable!("handled before the configuration is read"),
    }
}

fn serve(config: Config) -> ExitCode {
    // warp's request span would log every 4xx as a warning; the `answered` line says it.
    let quiet_warp = "warp::filters::trace=error"
        .parse()
        .expect("a valid directive");
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CERTWATCH_LOG")
                .unwrap_or_else(|_| "info".into())
                .add_directive(quiet_warp),
        )
        .with_writer(std::io::stderr);
    let json = config.log_format == LogFormat::Json;
    match config.log_format {
        // One object per line, with the request's span (and its id) on each.
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    if json {
        // A panic's own message is plain text on stderr: with JSON logs it is a log line.
        std::panic::set_hook(Box::new(|info| {
            tracing::error!(panic = %info, "a task panicked");
        }));
    }
    let say = Announcer { json };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            say.failure(&format!("cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let server = match certwatch::start(config).await {
            Ok(server) => server,
            Err(e) => {
                say.failure(&format!("{e:#}"));
                return ExitCode::FAILURE;
            }
        };
        say.line(&format!("CertWatch listening on http://{}", server.addr));
        say.line(&format!(
            "data directory: {}",
            server.config.data_dir.display()
        ));
        match &server.config.smtp_url {
            Some(url) => say.line(&format!("mail: SMTP via {}", without_password(url))),
            None => say.line(&format!(
                "mail: outbox {}",
                server.config.data_dir.join("outbox").display()
            )),
        }
        wait_for_stop_signal().await;
        say.progress("stopping");
        match server.shutdown().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say.failure(&format!("shutdown failed: {e:#}"));
                ExitCode::FAILURE
            }
        }
    })
}

/// What `serve` says outside its log — where it listens (on stdout, which scripts read),
/// that it stops, why it could not start (on stderr) — as plain lines, or with JSON logs
/// as one JSON object per line in the log's own shape, so a log shipper reads every line.
struct Announcer {
    json: bool,
}

impl Announcer {
    /// A line on stdout.
    fn line(&self, message: &str) {
        if self.json {
            println!("{}", json_line("INFO", message));
        } else {
            println!("{message}");
        }
    }

    /// A step of the shutdown, on stderr.
    fn progress(&self, message: &str) {
        if self.json {
            eprintln!("{}", json_line("INFO", message));
        } else {
            eprintln!("certwatch: {message}");
        }
    }

    /// Why the service cannot go on, on stderr.
    fn failure(&self, message: &str) {
        if self.json {
            eprintln!("{}", json_line("ERROR", message));
        } else {
            eprintln!("certwatch: {message}");
        }
    }
}

/// One line as tracing-subscriber's JSON format writes it.
fn json_line(level: &str, message: &str) -> String {
    serde_json::json!({
        "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        "level": level,
        "fields": {"message": message},
        "target": "certwatch",
    })
    .to_string()
}

/// An SMTP URL as it may be shown: without the password it may carry.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// The key file the operator named, if any (else the store uses the data directory's).
fn key_file(config: &Config) -> Option<&std::path::Path> {
    config.secret_key_file.as_deref()
}

fn doctor(config: &Config, merge: bool) -> ExitCode {
    offline(|| certwatch::doctor(config, merge, &mut std::io::stdout()))
}

/// Runs a command that may open the store itself (which needs a runtime for its flusher).
fn offline(command: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("certwatch: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _guard = runtime.enter();
    match command() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("certwatch: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn check_config(config: &Config) -> ExitCode {
    println!("ok    configuration is valid");
    let mut failed = false;
    for check in certwatch::check::run(config) {
        match check.problem {
            None => println!("ok    {}", check.what),
            Some(problem) => {
                failed = true;
                println!("FAIL  {}: {problem}", check.what);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

async fn wait_for_stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
