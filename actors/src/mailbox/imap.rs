//! One IMAP conversation with a tenant's mail server: connect (TLS, STARTTLS, or plain
//! where the operator allows it), log in, open the folder, list the messages after the
//! last one handled with their sizes, fetch one without marking it seen, and do with it
//! what the account says once its handling is recorded. Every step has a deadline, and the
//! server's answers are held to a byte budget: a server that never answers or sends
//! without end costs a timeout, not the process.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::{Client, Session};
use certwatch_domain::mail::{AfterReading, MailAccount, Security};
use futures_util::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// How long one step (connecting, a command and its answer) may take.
const STEP: Duration = Duration::from_secs(60);

/// What went wrong, in words for the account's `last_error`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImapError {
    /// The server refused the user name or password (or the account cannot log in).
    #[error("the server refused the login: {0}")]
    Login(String),
    #[error("{0}")]
    Failed(String),
}

/// A connection the client reads through: at most `budget` bytes until the budget is set
/// again, so no answer can grow past what the caller expects.
struct Budgeted<S> {
    inner: S,
    budget: Arc<std::sync::atomic::AtomicU64>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Budgeted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = (buf.filled().len() - before) as u64;
        let left = self.budget.load(std::sync::atomic::Ordering::Relaxed);
        if read > left {
            return Poll::Ready(Err(std::io::Error::other(
                "the server sent more than the message size allows",
            )));
        }
        self.budget
            .store(left - read, std::sync::atomic::Ordering::Relaxed);
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Budgeted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> std::fmt::Debug for Budgeted<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Budgeted")
    }
}

/// The byte stream of a connection, plain or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

/// The most a command's answer may hold besides a message (lists of UIDs and sizes).
const ANSWER_BYTES: u64 = 4 << 20;

/// A logged-in conversation with one folder open.
pub struct Mailbox {
    session: Session<Box<dyn Io>>,
    budget: Arc<std::sync::atomic::AtomicU64>,
    pub uid_validity: u32,
    /// Messages in the folder when it was opened.
    pub exists: u32,
    /// Whether the server moves messages itself (RFC 6851).
    can_move: bool,
}

/// A message waiting in the folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub uid: u32,
    pub size: u32,
}

async fn step<T>(what: &str, f: impl std::future::Future<Output = T>) -> Result<T, ImapError> {
    tokio::time::timeout(STEP, f)
        .await
        .map_err(|_| ImapError::Failed(format!("the server did not answer {what} in time")))
}

fn failed(what: &str) -> impl Fn(async_imap::error::Error) -> ImapError + '_ {
    move |e| ImapError::Failed(format!("{what}: {e}"))
}

/// A TLS connection to `host` over `tcp`, checked against the web's root certificates.
async fn tls(host: &str, tcp: Box<dyn Io>) -> Result<Box<dyn Io>, ImapError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| ImapError::Failed(format!("{host} is not a TLS server name: {e}")))?;
    let stream = step(
        "the TLS handshake",
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await?
    .map_err(|e| ImapError::Failed(format!("TLS with {host}: {e}")))?;
    Ok(Box::new(stream))
}

impl Mailbox {
    /// Connects as the account says, logs in and opens its folder.
    pub async fn open(account: &MailAccount) -> Result<Mailbox, ImapError> {
        let address = (account.host.as_str(), account.port);
        let tcp = step("the connection", TcpStream::connect(address))
            .await?
            .map_err(|e| {
                ImapError::Failed(format!(
                    "cannot reach {}:{}: {e}",
                    account.host, account.port
                ))
            })?;
        let budget = Arc::new(std::sync::atomic::AtomicU64::new(ANSWER_BYTES));
        let plain: Box<dyn Io> = Box::new(Budgeted {
            inner: tcp,
            budget: budget.clone(),
        });
        let stream = match account.security {
            Security::Tls => tls(&account.host, plain).await?,
            Security::Starttls | Security::None => plain,
        };
        let mut client = Client::new(stream);
        step("its greeting", client.read_response())
            .await?
            .map_err(|e| ImapError::Failed(format!("no greeting: {e}")))?
            .ok_or_else(|| ImapError::Failed("the server closed the connection".into()))?;
        if account.security == Security::Starttls {
            step(
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await?
            .map_err(failed("STARTTLS"))?;
            let stream = tls(&account.host, client.into_inner()).await?;
            client = Client::new(stream);
        }
        let mut session = step(
            "the login",
            client.login(&account.username, &account.password),
        )
        .await?
        .map_err(|(e, _)| ImapError::Login(e.to_string()))?;
        let capabilities = step("CAPABILITY", session.capabilities())
            .await?
            .map_err(failed("CAPABILITY"))?;
        let can_move = capabilities.has_str("MOVE");
        let folder = step("SELECT", session.select(&account.folder))
            .await?
            .map_err(failed(&format!("the folder {}", account.folder)))?;
        let uid_validity = folder
            .uid_validity
            .ok_or_else(|| ImapError::Failed("the server gave the folder no UIDVALIDITY".into()))?;
        Ok(Mailbox {
            session,
            budget,
            uid_validity,
            exists: folder.exists,
            can_move,
        })
    }

    fn allow(&self, bytes: u64) {
        self.budget
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    /// The messages after `last` (all when `None`), oldest first, with their sizes.
    pub async fn waiting(&mut self, last: Option<u32>) -> Result<Vec<Waiting>, ImapError> {
        self.allow(ANSWER_BYTES);
        let from = last.map_or(1, |l| l.saturating_add(1));
        let fetched: Vec<_> = step("the message list", async {
            self.session
                .uid_fetch(format!("{from}:*"), "(UID RFC822.SIZE)")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?
        .map_err(failed("the message list"))?;
        // "n:*" names the last message even when its UID is below n.
        let mut waiting: Vec<Waiting> = fetched
            .iter()
            .filter_map(|f| {
                Some(Waiting {
                    uid: f.uid?,
                    size: f.size.unwrap_or(0),
                })
            })
            .filter(|w| w.uid >= from)
            .collect();
        waiting.sort_by_key(|w| w.uid);
        waiting.dedup();
        Ok(waiting)
    }

    /// The message `uid` as the server holds it, not marked seen; at most `max` bytes.
    pub async fn message(&mut self, uid: u32, max: u64) -> Result<Vec<u8>, ImapError> {
        self.fetch_part(uid, "BODY.PEEK[]", max).await
    }

    /// Only the header of the message `uid` (who sent a mail too large to fetch, and
    /// what about), not marked seen; at most `max` bytes.
    pub async fn header(&mut self, uid: u32, max: u64) -> Result<Vec<u8>, ImapError> {
        self.fetch_part(uid, "BODY.PEEK[HEADER]", max).await
    }

    async fn fetch_part(&mut self, uid: u32, part: &str, max: u64) -> Result<Vec<u8>, ImapError> {
        // The answer's framing (and a few unsolicited lines) on top of the message.
        self.allow(max + 16 * 1024);
        let fetched: Vec<_> = step("a message", async {
            self.session
                .uid_fetch(uid.to_string(), part)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?
        .map_err(failed("a message"))?;
        fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body().or_else(|| f.header()))
            .map(<[u8]>::to_vec)
            .ok_or_else(|| ImapError::Failed(format!("the server sent no message {uid}")))
    }

    /// Marks, moves or deletes the message `uid` as the account says.
    pub async fn done_with(
        &mut self,
        uid: u32,
        after: AfterReading,
        move_to: Option<&str>,
    ) -> Result<(), ImapError> {
        self.allow(ANSWER_BYTES);
        let uid = uid.to_string();
        match (after, move_to) {
            (AfterReading::Move, Some(folder)) if self.can_move => {
                step("MOVE", self.session.uid_mv(&uid, folder))
                    .await?
                    .map_err(failed("MOVE"))
            }
            (AfterReading::Move, Some(folder)) => {
                step("COPY", self.session.uid_copy(&uid, folder))
                    .await?
                    .map_err(failed("COPY"))?;
                self.delete(&uid).await
            }
            (AfterReading::Delete, _) => self.delete(&uid).await,
            _ => self.flag(&uid, "+FLAGS (\\Seen)").await,
        }
    }

    async fn flag(&mut self, uid: &str, change: &str) -> Result<(), ImapError> {
        step("STORE", async {
            self.session
                .uid_store(uid, change)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?
        .map_err(failed("STORE"))?;
        Ok(())
    }

    async fn delete(&mut self, uid: &str) -> Result<(), ImapError> {
        self.flag(uid, "+FLAGS (\\Deleted)").await?;
        step("EXPUNGE", async {
            self.session
                .uid_expunge(uid)
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?
        .map_err(failed("EXPUNGE"))?;
        Ok(())
    }

    /// Ends the conversation politely; a server that is gone already is no error.
    pub async fn close(mut self) {
        let _ = step("LOGOUT", self.session.logout()).await;
    }
}
