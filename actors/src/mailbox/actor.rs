//! One actor per enabled mail account, a child of its tenant's actor, supervised like the
//! endpoint actors: it owns the account's timer, polls in a task of its own (so it stays
//! responsive), has the tenant actor record how each poll went, and waits
//! `MailAccount::wait_minutes` — longer after each failure in a row — for the next.

use std::sync::Arc;

use certwatch_domain::mail::MailAccount;
use certwatch_store::tables;
use chrono::Utc;
use ractor::{Actor, ActorProcessingErr, ActorRef, MessagingErr};
use uuid::Uuid;

use super::poll::poll;
use crate::call;
use crate::context::Context;
use crate::messages::mailbox::{MailboxMsg, PollEnd};
use crate::messages::tenant::MailMsg;
use crate::spawn::report_to;
use crate::timer::cast_after;

/// Polls failing at the same mail after which it is recorded as refused and passed over.
const STUCK_POLLS: u32 = 3;

#[derive(Clone)]
pub(crate) struct MailboxActor;

/// The context, tenant and account.
pub(crate) type MailboxArgs = (Arc<Context>, Uuid, Uuid);

pub(crate) struct MailboxState {
    ctx: Arc<Context>,
    account: MailAccount,
    generation: u64,
    /// The pending timer, aborted when replaced (see the endpoint actor).
    timer: Option<tokio::task::JoinHandle<Result<(), MessagingErr<MailboxMsg>>>>,
    polling: bool,
    /// A poll was asked for during one: poll again right after.
    again: bool,
    /// The mail the last polls failed at, and how many in a row.
    stuck: Option<(u32, u32)>,
}

impl MailboxState {
    fn schedule(&mut self, myself: &ActorRef<MailboxMsg>) {
        self.generation += 1;
        let now = Utc::now();
        let wait = (self.account.next_poll_at(now) - now)
            .to_std()
            .unwrap_or_default();
        if let Some(timer) = self.timer.take() {
            timer.abort();
        }
        self.timer = Some(cast_after(myself, wait, MailboxMsg::Due(self.generation)));
    }

    fn start_poll(&mut self, myself: &ActorRef<MailboxMsg>) {
        self.polling = true;
        let give_up = self
            .stuck
            .filter(|(_, polls)| *polls >= STUCK_POLLS)
            .map(|(uid, _)| uid);
        let (ctx, account, me) = (self.ctx.clone(), self.account.clone(), myself.clone());
        report_to(
            me,
            async move { poll(&ctx, &account, give_up).await },
            |polled| match polled {
                Ok(end) => MailboxMsg::Polled(end),
                Err(why) => MailboxMsg::Panicked(why),
            },
        );
    }

    /// Has the tenant actor note how a poll went; `false` when the account is gone.
    async fn record(&mut self, error: Option<String>) -> bool {
        let outcome = if error.is_some() { "failed" } else { "ok" };
        crate::metrics::MAIL_POLLS
            .with_label_values(&[outcome])
            .inc();
        let id = self.account.id;
        match call::ask_tenant(&self.ctx, self.account.tenant_id, |reply| {
            MailMsg::RecordPoll {
                id,
                at: Utc::now(),
                error,
                reply,
            }
        })
        .await
        {
            Ok(Some(account)) => {
                self.account = account;
                true
            }
            Ok(None) => false,
            Err(e) => {
                // Not recorded: the next poll comes after the account's own wait.
                tracing::warn!(account = %id, error = %e, "poll not recorded");
                true
            }
        }
    }
}

impl Actor for MailboxActor {
    type Msg = MailboxMsg;
    type State = MailboxState;
    type Arguments = MailboxArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<MailboxMsg>,
        (ctx, tenant, id): MailboxArgs,
    ) -> Result<MailboxState, ActorProcessingErr> {
        let account = tables::mail_accounts::get(&ctx.store, tenant, id)?
            .filter(|a| a.enabled)
            .ok_or_else(|| format!("mail account {id} is gone or disabled"))?;
        let mut state = MailboxState {
            ctx,
            account,
            generation: 0,
            timer: None,
            polling: false,
            again: false,
            stuck: None,
        };
        state.schedule(&myself);
        Ok(state)
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<MailboxMsg>,
        state: &mut MailboxState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some(timer) = state.timer.take() {
            timer.abort();
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<MailboxMsg>,
        msg: MailboxMsg,
        state: &mut MailboxState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            MailboxMsg::Due(generation) => {
                if generation == state.generation && !state.polling {
                    state.start_poll(&myself);
                }
            }
            MailboxMsg::Poll => {
                if state.polling {
                    state.again = true;
                } else {
                    state.start_poll(&myself);
                }
            }
            MailboxMsg::Reload => {
                let (tenant, id) = (state.account.tenant_id, state.account.id);
                match tables::mail_accounts::get(&state.ctx.store, tenant, id)? {
                    Some(account) if account.enabled => {
                        state.account = account;
                        if !state.polling {
                            state.schedule(&myself);
                        }
                    }
                    _ => myself.stop(Some("mail account removed or disabled".into())),
                }
            }
            MailboxMsg::Polled(Ok(end)) => {
                state.polling = false;
                let PollEnd {
                    error,
                    at_uid,
                    more,
                    gone,
                } = end;
                state.stuck = match (at_uid, state.stuck) {
                    (Some(uid), Some((stuck, polls))) if uid == stuck => Some((uid, polls + 1)),
                    (Some(uid), _) => Some((uid, 1)),
                    (None, _) => None,
                };
                if let Some(e) = &error {
                    tracing::warn!(account = %state.account.id, error = %e, "mailbox poll failed");
                }
                let failed = error.is_some();
                if gone || !state.record(error).await {
                    myself.stop(Some("mail account removed".into()));
                } else if std::mem::take(&mut state.again) || (more && !failed) {
                    state.start_poll(&myself);
                } else {
                    state.schedule(&myself);
                }
            }
            MailboxMsg::Polled(Err(store_error)) => {
                state.polling = false;
                let why = format!("the store failed while reading the mailbox: {store_error}");
                state.record(Some(why.clone())).await;
                return Err(why.into());
            }
            MailboxMsg::Panicked(why) => {
                tracing::error!(account = %state.account.id, %why, "mailbox poll panicked");
                // Recorded first, so the restarted actor backs off instead of polling
                // the same mailbox again at once.
                state
                    .record(Some(format!(
                        "internal error while reading the mailbox: {why}"
                    )))
                    .await;
                return Err(
                    format!("poll of mail account {} panicked: {why}", state.account.id).into(),
                );
            }
        }
        Ok(())
    }
}
