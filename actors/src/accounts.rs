//! The accounts actor owns global identity: registering a tenant with its first user, and
//! verifying email addresses. Passwords arrive already hashed (hashing is slow and runs
//! off the runtime in the HTTP layer), so this actor never blocks on argon2.

use std::sync::Arc;

use certwatch_store::engine::secrets::{key_hash, new_token_key};
use certwatch_store::ops::accounts::Registration;
use certwatch_store::{ops::accounts, ops::password_resets};
use chrono::Utc;
use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::call::{crash_on_store_error, reply_when_durable, reply_when_durable_then};
use crate::context::Context;
use crate::mail;
use crate::messages::accounts::AccountsMsg;
use crate::tenant_supervisor::start_tenant;

pub(crate) struct Accounts;

impl Actor for Accounts {
    type Msg = AccountsMsg;
    type State = Arc<Context>;
    type Arguments = Arc<Context>;

    async fn pre_start(
        &self,
        _myself: ActorRef<AccountsMsg>,
        ctx: Arc<Context>,
    ) -> Result<Arc<Context>, ActorProcessingErr> {
        Ok(ctx)
    }

    async fn handle(
        &self,
        _myself: ActorRef<AccountsMsg>,
        msg: AccountsMsg,
        ctx: &mut Arc<Context>,
    ) -> Result<(), ActorProcessingErr> {
        handle(msg, ctx)
    }
}

/// Handles one message; nothing here awaits, so a request's span can be entered around it.
fn handle(msg: AccountsMsg, ctx: &Arc<Context>) -> Result<(), ActorProcessingErr> {
    let store = &ctx.store;
    let now = Utc::now();
    match msg {
        AccountsMsg::Traced(span, msg) => {
            let _entered = span.enter();
            return handle(*msg, ctx);
        }
        AccountsMsg::Register {
            email,
            password_hash,
            organization_name,
            reply,
        } => {
            let key = new_token_key();
            let registration = Registration {
                tenant_id: ctx.placement.new_tenant_id(),
                email,
                password_hash,
                organization_name,
                verification: key_hash(&key),
            };
            let result = crash_on_store_error(accounts::register(store, registration, now))?;
            let ctx = ctx.clone();
            reply_when_durable_then(store, reply, result, move |(tenant, user)| {
                ctx.send_mail(mail::verification(
                    &ctx.config.public_url(),
                    &user.email,
                    &key,
                ));
                start_tenant(&ctx, tenant.id);
            });
        }
        AccountsMsg::VerifyEmail { token, reply } => {
            let result = crash_on_store_error(accounts::verify_email(store, &token, now))?;
            reply_when_durable(store, reply, result);
        }
        // Known or not, an address costs a write and its flush (see the store operations),
        // and the mail goes out after the answer: the answer's time says nothing.
        AccountsMsg::ResendVerification { email, reply } => {
            let issued = accounts::resend_verification(store, &email, now)?;
            let ctx = ctx.clone();
            reply_when_durable_then(store, reply, Ok(()), move |_| {
                if let Some((user, key)) = issued {
                    ctx.send_mail(mail::verification(
                        &ctx.config.public_url(),
                        &user.email,
                        &key,
                    ));
                }
            });
        }
        AccountsMsg::RequestPasswordReset { email, reply } => {
            let issued = password_resets::issue(store, &email, now)?;
            let ctx = ctx.clone();
            reply_when_durable_then(store, reply, Ok(()), move |_| {
                if let Some((user, key)) = issued {
                    ctx.send_mail(mail::password_reset(
                        &ctx.config.public_url(),
                        &user.email,
                        &key,
                    ));
                }
            });
        }
        AccountsMsg::ResetPassword {
            token,
            password_hash,
            reply,
        } => {
            let result =
                crash_on_store_error(password_resets::reset(store, &token, password_hash, now))?;
            reply_when_durable(store, reply, result);
        }
    }
    Ok(())
}
