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
    /// Print a one-hour link to choose a new password for the account of EMAIL, for an
    /// administrator locked out of the last admin account.
    ResetPassword { email: String },
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

fn main() -> ExitCode {
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
            let summary = certwatch::control::backup_to(&config.data_dir, &file)?;
            println!(
                "backup written to {}: {} records, {} files, record checksum {}",
                file.display(),
                summary.records,
                summary.files,
                summary.record_digest
            );
            Ok(())
        }),
        Command::Restore { file, dir } => offline(|| {
            let input = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let summary = certwatch_store::backup::restore(std::io::BufReader::new(input), &dir)?;
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
            let link =
                certwatch::control::reset_password(&config.data_dir, &config.public_url(), &email)?;
            println!("{link}");
            println!("The link works once, for one hour. It ends the account's sign-in sessions.");
            Ok(())
        }),
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
    match config.log_format {
        // One object per line, with the request's span (and its id) on each.
        LogFormat::Json => logs.json().init(),
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("certwatch: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let server = match certwatch::start(config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("certwatch: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        println!("CertWatch listening on http://{}", server.addr);
        println!("data directory: {}", server.config.data_dir.display());
        match &server.config.smtp_url {
            Some(url) => println!("mail: SMTP via {url}"),
            None => println!(
                "mail: outbox {}",
                server.config.data_dir.join("outbox").display()
            ),
        }
        wait_for_stop_signal().await;
        eprintln!("certwatch: stopping");
        match server.shutdown().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("certwatch: shutdown failed: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

fn doctor(config: &Config, merge: bool) -> ExitCode {
    offline(|| certwatch::doctor(&config.data_dir, merge, &mut std::io::stdout()))
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
