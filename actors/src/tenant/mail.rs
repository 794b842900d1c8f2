//! Mail intake: the tenant's mail accounts, their mailbox actors (children of this actor,
//! one per enabled account), and what those read — each mail recorded with the batch of
//! its files before the server is told, each batch then read like an upload.

use certwatch_store::ops::mail;
use certwatch_store::{RegistryError, tables};
use chrono::{DateTime, Utc};
use ractor::{ActorProcessingErr, ActorRef};
use uuid::Uuid;

use super::bulk::start_batch;
use super::state::TenantState;
use crate::call::{crash_on_store_error, reply_when_durable, write};
use crate::mailbox::actor::MailboxActor;
use crate::messages::ActorError;
use crate::messages::mailbox::MailboxMsg;
use crate::messages::tenant::{MailMsg, TenantMsg};
use crate::spawn::ensure_child;

pub(super) async fn handle(
    myself: &ActorRef<TenantMsg>,
    msg: MailMsg,
    state: &mut TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store.clone();
    let tenant = state.tenant;
    match msg {
        MailMsg::EditAccount { id, patch, reply } => {
            let plaintext = state.ctx.config.mail.allow_plaintext;
            let result =
                crash_on_store_error(mail::edit_account(store, tenant, id, patch, plaintext, now))?;
            if let Ok(account) = &result {
                sync_mailbox(myself, state, account.id, account.enabled).await;
            }
            write(store, reply, result)
        }
        MailMsg::DeleteAccount { id, reply } => {
            let result = crash_on_store_error(mail::delete_account(store, tenant, id))?;
            if result.is_ok() {
                stop_mailbox(state, id);
            }
            write(store, reply, result)
        }
        MailMsg::Poll { id, reply } => {
            let result = poll_now(myself, state, id).await?;
            let _ = reply.send(result);
            Ok(())
        }
        MailMsg::RecordMail {
            handled,
            batch,
            reply,
        } => {
            let batch = batch.map(|b| *b);
            let recorded = mail::record_mail(store, tenant, &handled, batch.as_ref())?.is_some();
            reply_when_durable(store, reply, Ok(recorded));
            if let Some((batch, _)) = batch.filter(|_| recorded) {
                // Its items are read once they are durable, as an upload's are.
                store.commit().await?;
                start_batch(myself, state, batch.id).await;
            }
            Ok(())
        }
        MailMsg::RecordPoll {
            id,
            at,
            error,
            reply,
        } => {
            let account = mail::record_poll(store, tenant, id, at, error)?;
            reply_when_durable(store, reply, Ok(account));
            Ok(())
        }
    }
}

/// Starts the actors of the tenant's enabled mail accounts.
pub(super) async fn start_mailboxes(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
) -> Result<(), ActorProcessingErr> {
    for account in tables::mail_accounts::of_tenant(&state.ctx.store, state.tenant)? {
        if account.enabled {
            ensure_mailbox(myself, state, account.id).await;
        }
    }
    Ok(())
}

/// Polls the account's mailbox now, through its actor.
async fn poll_now(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    id: Uuid,
) -> Result<Result<(), ActorError>, ActorProcessingErr> {
    let Some(account) = tables::mail_accounts::get(&state.ctx.store, state.tenant, id)? else {
        return Ok(Err(RegistryError::NotFound.into()));
    };
    if !account.enabled {
        return Ok(Err(RegistryError::Refused(
            "The mail account is disabled; set enabled to true to poll it.".into(),
        )
        .into()));
    }
    Ok(match ensure_mailbox(myself, state, id).await {
        Some(actor) => {
            let _ = actor.cast(MailboxMsg::Poll);
            Ok(())
        }
        None => Err(ActorError::Unavailable(
            "the mailbox's actor could not be started".into(),
        )),
    })
}

/// The account's mailbox actor, started if need be; `None` if the account is gone or
/// disabled.
pub(super) async fn ensure_mailbox(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    id: Uuid,
) -> Option<ActorRef<MailboxMsg>> {
    let name = state.ctx.name(&format!("mailbox:{id}"));
    let args = (state.ctx.clone(), state.tenant, id);
    let supervisor = myself.get_cell();
    ensure_child(
        &mut state.mailboxes,
        id,
        name,
        MailboxActor,
        args,
        supervisor,
    )
    .await
}

fn stop_mailbox(state: &mut TenantState, id: Uuid) {
    if let Some(actor) = state.mailboxes.remove(&id) {
        actor.stop(Some("mail account removed or disabled".into()));
    }
}

/// Makes the account's actor match its record: running, reloaded and polling at once when
/// enabled (a saved change is tried right away: a new password, a new folder), stopped
/// when disabled.
async fn sync_mailbox(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    id: Uuid,
    enabled: bool,
) {
    if !enabled {
        stop_mailbox(state, id);
    } else if let Some(actor) = ensure_mailbox(myself, state, id).await {
        let _ = actor.cast(MailboxMsg::Reload);
        let _ = actor.cast(MailboxMsg::Poll);
    }
}
