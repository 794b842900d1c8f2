//! `certwatch check-config`: the configuration as the service would run with it, and the
//! things around it that a bad install gets wrong, each reported on its own line.

use std::path::Path;

use certwatch_config::Config;

/// One check: what was checked, and the problem found (none when it passed).
pub struct Check {
    pub what: String,
    pub problem: Option<String>,
}

impl Check {
    fn new(what: impl Into<String>, problem: Option<String>) -> Check {
        Check {
            what: what.into(),
            problem,
        }
    }
}

/// Checks what the configuration points at. The configuration itself was valid, or the
/// command would have stopped with its error before.
pub fn run(config: &Config) -> Vec<Check> {
    let mut checks = vec![
        Check::new(
            format!("data directory {} is writable", config.data_dir.display()),
            writable(&config.data_dir),
        ),
        Check::new(
            format!("listen address {} can be bound", config.listen),
            bindable(config),
        ),
        Check::new(
            format!("OCR program {:?} runs", config.tesseract),
            runs(&config.tesseract, "--version"),
        ),
        Check::new("PDF renderer pdftoppm runs", runs("pdftoppm", "-v")),
    ];
    if let Some(program) = &config.parsing.worker_program {
        checks.push(Check::new(
            format!("worker program {} exists", program.display()),
            (!program.is_file()).then(|| "not a file".to_string()),
        ));
    }
    if let Some(backups) = &config.backups {
        checks.push(Check::new(
            format!("backup directory {} is writable", backups.dir.display()),
            writable(&backups.dir),
        ));
    }
    checks
}

/// Whether files can be created in `dir` (made if missing).
fn writable(dir: &Path) -> Option<String> {
    let probe = dir.join(".certwatch-check");
    let result = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&probe, b"check"))
        .and_then(|_| std::fs::remove_file(&probe));
    result.err().map(|e| e.to_string())
}

fn bindable(config: &Config) -> Option<String> {
    match std::net::TcpListener::bind(config.listen) {
        Ok(_) => None,
        // A running CertWatch holds its own port; that is not a problem of the setting.
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            let running = std::os::unix::net::UnixStream::connect(crate::control::socket_path(
                &config.data_dir,
            ))
            .is_ok();
            (!running).then(|| format!("{e} (and no CertWatch runs on this data directory)"))
        }
        Err(e) => Some(e.to_string()),
    }
}

fn runs(program: &str, arg: &str) -> Option<String> {
    match std::process::Command::new(program)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
    {
        Ok(status) if status.success() => None,
        Ok(status) => Some(format!("exited with {status}")),
        Err(e) => Some(format!("{e} (bulk upload of this kind of file will fail)")),
    }
}
