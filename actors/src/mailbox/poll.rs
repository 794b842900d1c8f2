//! One poll of a mailbox: log in, finish with the last mail recorded (the process may
//! have stopped between recording it and telling the server), list the mails after it,
//! and take each in UID order — fetched within the operator's size limit, read in a
//! worker, its certificate files put into a batch — recorded before the server is told to
//! mark, move or delete it. A mail that cannot be read is recorded with the reason and
//! left on the server; it is never tried again.

use std::sync::Arc;

use certwatch_domain::bulk::NewBatch;
use certwatch_domain::mail::{HandledMail, MailAccount, MailOutcome};
use certwatch_ingest::mail::MailLimits;
use certwatch_ingest::pool::Lane;
use certwatch_ingest::protocol::{Job, Reply};
use certwatch_store::tables::mail_messages;
use chrono::Utc;
use uuid::Uuid;

use super::imap::{Mailbox, Waiting};
use super::intake::{self, IntakeError, OnFile};
use crate::call;
use crate::context::Context;
use crate::messages::mailbox::PollEnd;
use crate::messages::tenant::MailMsg;

/// Mails taken in one poll; the rest wait for the next, which comes at once.
const MAX_PER_POLL: usize = 200;
/// The most of a too-large mail's header fetched, to say whose it was.
const HEADER_BYTES: u64 = 64 * 1024;

/// Why taking one mail stopped the poll: something to try again next time, or the store
/// failing (the actor fails and is started again from the store).
enum Stop {
    Failed(String),
    Crash(String),
    Gone,
}

impl From<IntakeError> for Stop {
    fn from(e: IntakeError) -> Stop {
        match e {
            IntakeError::Io(e) => Stop::Failed(format!("storing an attachment: {e}")),
            IntakeError::Store(e) => Stop::Crash(e.to_string()),
        }
    }
}

/// Polls `account`'s mailbox; `give_up` is a mail that failed three polls in a row, which
/// is recorded as refused instead of fetched again. `Err` is a store failure.
pub(crate) async fn poll(
    ctx: &Arc<Context>,
    account: &MailAccount,
    give_up: Option<u32>,
) -> Result<PollEnd, String> {
    let mut mailbox = match Mailbox::open(account).await {
        Ok(m) => m,
        Err(e) => return Ok(PollEnd::failed(e, None)),
    };
    let polled = take_waiting(ctx, account, &mut mailbox, give_up).await;
    mailbox.close().await;
    polled
}

async fn take_waiting(
    ctx: &Arc<Context>,
    account: &MailAccount,
    mailbox: &mut Mailbox,
    give_up: Option<u32>,
) -> Result<PollEnd, String> {
    let store = &ctx.store;
    let last = mail_messages::last(store, account.id, &account.folder, mailbox.uid_validity)
        .map_err(|e| e.to_string())?;
    if let Some(m) = &last
        && !matches!(m.outcome, MailOutcome::Refused(_))
        && let Err(e) = mailbox
            .done_with(m.uid, account.after_reading, account.move_to.as_deref())
            .await
    {
        return Ok(PollEnd::failed(e, None));
    }
    let waiting = match mailbox.waiting(last.map(|m| m.uid)).await {
        Ok(w) => w,
        Err(e) => return Ok(PollEnd::failed(e, None)),
    };
    let mut on_file = OnFile::of(store, account.tenant_id, ctx.config.storage_quota_bytes)
        .map_err(|e| e.to_string())?;
    let more = waiting.len() > MAX_PER_POLL;
    for w in waiting.into_iter().take(MAX_PER_POLL) {
        match take(ctx, account, mailbox, &mut on_file, w, give_up).await {
            Ok(()) => {}
            Err(Stop::Failed(e)) => return Ok(PollEnd::failed(e, Some(w.uid))),
            Err(Stop::Crash(e)) => return Err(e),
            Err(Stop::Gone) => {
                return Ok(PollEnd {
                    gone: true,
                    ..PollEnd::default()
                });
            }
        }
    }
    Ok(PollEnd {
        more,
        ..PollEnd::default()
    })
}

/// Takes one mail: fetched, read, recorded with its batch, then done with on the server.
async fn take(
    ctx: &Arc<Context>,
    account: &MailAccount,
    mailbox: &mut Mailbox,
    on_file: &mut OnFile,
    w: Waiting,
    give_up: Option<u32>,
) -> Result<(), Stop> {
    let mut handled = HandledMail {
        account_id: account.id,
        folder: account.folder.clone(),
        uid_validity: mailbox.uid_validity,
        uid: w.uid,
        message_id: None,
        from: None,
        subject: String::new(),
        outcome: MailOutcome::NothingToFile,
        notes: Vec::new(),
        handled_at: Utc::now(),
    };
    let max = ctx.config.mail.max_message_bytes;
    let mut batch = None;
    if give_up == Some(w.uid) {
        handled.outcome = MailOutcome::Refused(
            "The server failed to send this mail three polls in a row; it is left on the server."
                .into(),
        );
    } else if u64::from(w.size) > max {
        // Its header says whose it is and what about; its body is not fetched.
        let header = mailbox
            .header(w.uid, HEADER_BYTES)
            .await
            .map_err(|e| Stop::Failed(e.to_string()))?;
        read(ctx, account, header, &mut handled, on_file).await?;
        handled.outcome = MailOutcome::Refused(format!(
            "The mail is {} MB, larger than the {} MB this server takes; it is left on the server.",
            u64::from(w.size).div_ceil(1 << 20),
            max >> 20
        ));
    } else {
        let raw = mailbox
            .message(w.uid, max)
            .await
            .map_err(|e| Stop::Failed(e.to_string()))?;
        batch = read(ctx, account, raw, &mut handled, on_file).await?;
    }
    let outcome = match &handled.outcome {
        MailOutcome::Filed { .. } => "filed",
        MailOutcome::NothingToFile => "nothing_to_file",
        MailOutcome::Refused(_) => "refused",
    };
    let refused = outcome == "refused";
    let recorded = call::ask_tenant(ctx, account.tenant_id, |reply| MailMsg::RecordMail {
        handled: Box::new(handled),
        batch: batch.map(Box::new),
        reply,
    })
    .await
    .map_err(|e| Stop::Failed(format!("recording a mail: {e}")))?;
    if !recorded {
        return Err(Stop::Gone);
    }
    crate::metrics::MAIL_MESSAGES
        .with_label_values(&[outcome])
        .inc();
    if !refused {
        mailbox
            .done_with(w.uid, account.after_reading, account.move_to.as_deref())
            .await
            .map_err(|e| Stop::Failed(e.to_string()))?;
    }
    Ok(())
}

/// A directory removed with everything in it when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Reads a fetched mail in a worker and makes the batch of its files; fills in what the
/// record says of the mail.
async fn read(
    ctx: &Arc<Context>,
    account: &MailAccount,
    raw: Vec<u8>,
    handled: &mut HandledMail,
    on_file: &mut OnFile,
) -> Result<Option<NewBatch>, Stop> {
    let store = &ctx.store;
    let scratch = Scratch(
        store
            .data_dir()
            .join("tmp")
            .join(format!("mail-{}", Uuid::new_v4())),
    );
    let (path, out) = (scratch.0.join("message.eml"), scratch.0.join("files"));
    std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(&path, &raw))
        .map_err(|e| Stop::Failed(format!("spooling a mail: {e}")))?;
    drop(raw);
    let limits = MailLimits {
        max_attachments: ctx.config.mail.max_attachments,
        max_attachment_bytes: ctx.config.mail.max_attachment_bytes,
        ..MailLimits::default()
    };
    let job = Job::Mail { path, out, limits };
    // In the pages lane, beside fetched pages: a mail is read in milliseconds, and a
    // mailbox is not held up behind the OCR of the scans earlier mails brought.
    let reading = match ctx.parsing.run(account.tenant_id, Lane::Pages, job).await {
        Ok(Reply::Mail(Ok(reading))) => reading,
        Ok(Reply::Mail(Err(why))) => {
            handled.outcome = MailOutcome::Refused(why);
            return Ok(None);
        }
        Ok(Reply::Panicked(why)) => {
            handled.outcome = MailOutcome::Refused(format!(
                "The mail could not be read (the reader failed: {why})."
            ));
            return Ok(None);
        }
        Ok(other) => {
            handled.outcome = MailOutcome::Refused(format!("The reader answered {other:?}."));
            return Ok(None);
        }
        Err(e) => {
            handled.outcome = MailOutcome::Refused(format!("Reading this mail {e}."));
            return Ok(None);
        }
    };
    let e = &reading.envelope;
    handled.from = e.from.clone();
    handled.subject = e.subject.clone();
    handled.message_id = e.message_id.clone();
    let now = Utc::now();
    let source = intake::source(store, account, ctx.config.supplier_link_days, &reading, now)
        .map_err(|e| Stop::Crash(e.to_string()))?;
    let (batch, notes) = intake::batch(store, account.tenant_id, &reading, source, on_file, now)?;
    handled.notes = notes;
    if let Some((b, items)) = &batch {
        handled.outcome = MailOutcome::Filed {
            batch: b.id,
            files: items.len() as u32,
        };
    }
    Ok(batch)
}
