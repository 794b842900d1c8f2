//! The control socket: how `certwatch backup` and `certwatch reset-password` reach the
//! running server, which alone may open the store.
//!
//! A Unix socket `control.sock` in the data directory, readable and writable by the
//! service's user only. A client sends one line (`backup`, or `reset-password EMAIL`);
//! the server answers `ok …` or `error …` on one line, followed for a backup by the backup
//! stream. With no server running, the commands open the store themselves.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use certwatch_config::Config;
use certwatch_store::engine::{backup, moving};
use certwatch_store::{Store, ops::password_resets};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixListener;

const SOCKET: &str = "control.sock";
/// The longest request line: a command and a mail address.
const MAX_LINE: usize = 512;

pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

/// Binds the control socket, replacing one a killed server left behind.
pub fn bind(data_dir: &Path) -> anyhow::Result<UnixListener> {
    let path = socket_path(data_dir);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot replace {}", path.display()));
        }
        _ => {}
    }
    let listener = UnixListener::bind(&path)
        .with_context(|| format!("cannot create the control socket {}", path.display()))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Answers control requests until the task is aborted.
pub async fn serve(listener: UnixListener, store: Store, public_url: String) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let store = store.clone();
        let public_url = public_url.clone();
        tokio::spawn(async move {
            if let Err(e) = answer(stream, store, &public_url).await {
                tracing::warn!(error = %format!("{e:#}"), "control request failed");
            }
        });
    }
}

async fn answer(
    stream: tokio::net::UnixStream,
    store: Store,
    public_url: &str,
) -> anyhow::Result<()> {
    let mut stream = tokio::io::BufReader::new(stream);
    let mut line = String::new();
    (&mut stream)
        .take(MAX_LINE as u64)
        .read_line(&mut line)
        .await?;
    let mut stream = stream.into_inner();
    let request = line.trim();
    if request == "backup" {
        tracing::info!("backup requested on the control socket");
        if let Err(e) = store.backs_up_itself() {
            stream.write_all(format!("error {e}\n").as_bytes()).await?;
            return Ok(());
        }
        stream.write_all(b"ok\n").await?;
        let mut stream = stream.into_std()?;
        stream.set_nonblocking(false)?;
        let summary = tokio::task::spawn_blocking(move || {
            backup::write(&store, std::io::BufWriter::new(&mut stream))
        })
        .await??;
        tracing::info!(
            records = summary.records,
            files = summary.files,
            "backup sent"
        );
        return Ok(());
    }
    let reply = match request.strip_prefix("reset-password ") {
        Some(email) => match reset_link(&store, email.trim(), public_url) {
            Ok(link) => {
                store.commit().await?;
                format!("ok {link}\n")
            }
            Err(e) => format!("error {e:#}\n"),
        },
        None => format!("error unknown request {request:?}\n"),
    };
    stream.write_all(reply.as_bytes()).await?;
    Ok(())
}

/// A one-hour password-reset link for the account of `email` (to be made durable before
/// it is shown).
fn reset_link(store: &Store, email: &str, public_url: &str) -> anyhow::Result<String> {
    let (_, key) = password_resets::issue(store, email, chrono::Utc::now())?
        .with_context(|| format!("no account has the address {email}"))?;
    Ok(certwatch_actors::mail::reset_link(public_url, &key))
}

/// Sends `request` to the running server: its connection after the `ok` line, or `None`
/// when no server answers on the socket.
fn ask(data_dir: &Path, request: &str) -> anyhow::Result<Option<(String, BufReader<UnixStream>)>> {
    let mut stream = match UnixStream::connect(socket_path(data_dir)) {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(e).context("cannot reach the server's control socket"),
    };
    stream.write_all(format!("{request}\n").as_bytes())?;
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status)?;
    match status.trim_end().split_once(' ') {
        _ if status.trim_end() == "ok" => Ok(Some((String::new(), reader))),
        Some(("ok", rest)) => Ok(Some((rest.to_string(), reader))),
        Some(("error", message)) => anyhow::bail!("{message}"),
        _ => anyhow::bail!("the server answered {status:?}"),
    }
}

/// `certwatch backup FILE`: asks the running server for a backup, or makes one from the
/// store when no server runs. The file appears complete and checked, or not at all.
pub fn backup_to(config: &Config, file: &Path) -> anyhow::Result<backup::Summary> {
    let partial = partial_path(file);
    let written = write_backup(config, &partial).and_then(|_| {
        let summary = backup::verify(BufReader::new(std::fs::File::open(&partial)?))
            .context("the backup received is not complete")?;
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, file)
            .with_context(|| format!("cannot write {}", file.display()))?;
        Ok(summary)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

fn write_backup(config: &Config, partial: &Path) -> anyhow::Result<()> {
    let out = std::fs::File::create(partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    let mut out = std::io::BufWriter::new(out);
    match ask(&config.data_dir, "backup")? {
        Some((_, mut stream)) => {
            std::io::copy(&mut stream, &mut out)?;
        }
        None => {
            let store = open_offline(config)?;
            backup::write(&store, &mut out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Where a file is written before it is complete.
pub fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    file.with_file_name(name)
}

/// `certwatch reset-password EMAIL`: a reset link, from the running server or the store.
pub fn reset_password(config: &Config, email: &str) -> anyhow::Result<String> {
    if email.contains(char::is_whitespace) || email.len() > MAX_LINE - 20 {
        anyhow::bail!("{email:?} is not a mail address");
    }
    if let Some((link, _)) = ask(&config.data_dir, &format!("reset-password {email}"))? {
        return Ok(link);
    }
    let store = open_offline(config)?;
    let link = reset_link(&store, email, &config.public_url())?;
    store.flush()?;
    Ok(link)
}

/// `certwatch migrate-store`: moves the sled store of the data directory `from`
/// (`sled:DIR`) into the new PostgreSQL database `to`, with no server running on it.
pub fn migrate_store(config: &Config, from: &str, to: &str) -> anyhow::Result<moving::Moved> {
    let Some(dir) = from.strip_prefix("sled:") else {
        anyhow::bail!("--from {from:?} must be sled:DIR, the sled store's data directory");
    };
    if !to.starts_with("postgres://") && !to.starts_with("postgresql://") {
        anyhow::bail!("--to must be a postgres:// URL");
    }
    let dir = Path::new(dir);
    if !dir.join("store").is_dir() {
        anyhow::bail!("{} holds no sled store", dir.display());
    }
    // The open below would wait for the store's lock and then fail less clearly.
    if UnixStream::connect(socket_path(dir)).is_ok() {
        anyhow::bail!("a server is running on {}; stop it first", dir.display());
    }
    moving::sled_into_postgres(dir, config.secret_key_file.as_deref(), to)
        .context("the store was not moved")
}

/// The store the configuration names, opened by this process (no server runs).
fn open_offline(config: &Config) -> anyhow::Result<Store> {
    crate::opening::open_store(config).with_context(|| {
        format!(
            "no server answers on {}",
            socket_path(&config.data_dir).display()
        )
    })
}
