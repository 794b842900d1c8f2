//! Who may act in the tenant: login and API tokens, invitations, members and their roles,
//! the public listing, and the integration API's keys.

use certwatch_domain::accounts::{Invitation, Role, Tenant, Token, User};
use certwatch_domain::digest::Frequency;
use certwatch_store::AccountError;
use certwatch_store::engine::secrets::{KeyHash, key_hash, new_token_key};
use certwatch_store::{ops::invitations, ops::members, ops::tokens, tables};
use chrono::{DateTime, Utc};
use ractor::ActorProcessingErr;
use uuid::Uuid;

use super::state::TenantState;
use crate::call::{write, write_then};
use crate::mail;
use crate::messages::Reply;
use crate::messages::tenant::{AccessMsg, IssuedToken};

pub(super) fn handle(
    msg: AccessMsg,
    state: &TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store;
    let tenant = state.tenant;
    match msg {
        AccessMsg::IssueLoginToken { user_id, reply } => {
            let key = new_token_key();
            let token = Token::login(tenant, user_id, &key, now);
            let result = tokens::insert(store, &key_hash(&key), &token).map(|_| (key, token));
            write(store, reply, result)
        }
        AccessMsg::CreateApiToken {
            user_id,
            name,
            expires_at,
            reply,
        } => {
            let key = new_token_key();
            let token = Token::api(tenant, user_id, name, &key, expires_at, now);
            let result = tokens::insert(store, &key_hash(&key), &token).map(|_| (key, token));
            write(store, reply, result)
        }
        AccessMsg::RefreshToken { current, reply } => {
            let result = refresh_token(state, &current, now)?;
            write(store, reply, result)
        }
        AccessMsg::RevokeToken {
            user_id,
            key_or_id,
            reply,
        } => {
            let result = match find_own_token(state, user_id, &key_or_id)? {
                Some(hash) => tokens::remove(store, &hash).map(|_| ()),
                None => Err(AccountError::NotFound),
            };
            write(store, reply, result)
        }
        AccessMsg::CreateInvitation {
            invited_by,
            email,
            role,
            reply,
        } => create_invitation(state, (invited_by, email, role), now, reply),
        AccessMsg::RevokeInvitation { id, reply } => write(
            store,
            reply,
            invitations::revoke(store, tenant, id).map(|_| ()),
        ),
        AccessMsg::AcceptInvitation {
            token,
            acceptor,
            reply,
        } => {
            let key = new_token_key();
            let result = invitations::accept(store, &token, acceptor, &key, now)
                .and_then(|accepted| own_invitation(tenant, accepted, key));
            write(store, reply, result)
        }
        AccessMsg::SetRole {
            user_id,
            role,
            reply,
        } => write(
            store,
            reply,
            members::set_role(store, tenant, user_id, role),
        ),
        AccessMsg::RemoveMember { user_id, reply } => {
            write(store, reply, members::remove(store, tenant, user_id))
        }
        AccessMsg::SetTenantSettings {
            public_listing,
            digest_frequency,
            expiry_windows,
            reply,
        } => {
            let result = tables::tenants::update(store, tenant, |t| {
                apply_settings(t, public_listing, digest_frequency, expiry_windows)
            });
            write(store, reply, result)
        }
        AccessMsg::SetDigestOptIn { user_id, on, reply } => write(
            store,
            reply,
            members::set_digest(store, tenant, user_id, on),
        ),
        AccessMsg::CreateApiKey { name, reply } => write(
            store,
            reply,
            tables::api_keys::create(store, tenant, name, now),
        ),
        AccessMsg::DeleteApiKey { id, reply } => {
            write(store, reply, tables::api_keys::remove(store, tenant, id))
        }
        AccessMsg::TouchApiKey { hash } => Ok(tables::api_keys::touch(store, &hash, now)?),
    }
}

/// The tenant's settings with those given changed.
fn apply_settings(
    t: &mut Tenant,
    public_listing: Option<bool>,
    digest_frequency: Option<Frequency>,
    expiry_windows: Option<Vec<u32>>,
) {
    t.public_listing = public_listing.unwrap_or(t.public_listing);
    t.digest_frequency = digest_frequency.unwrap_or(t.digest_frequency);
    if let Some(windows) = expiry_windows {
        t.expiry_windows = windows;
    }
}

/// A new token in place of the tenant's token `current`, with the same name and lifetime.
fn refresh_token(
    state: &TenantState,
    current: &KeyHash,
    now: DateTime<Utc>,
) -> Result<Result<IssuedToken, AccountError>, ActorProcessingErr> {
    let store = &state.ctx.store;
    Ok(match tables::tokens::get(store, current)? {
        Some(old) if old.tenant_id == state.tenant => {
            let key = new_token_key();
            let token = old.refreshed(&key, now);
            tokens::replace(store, Some(current), &key_hash(&key), &token).map(|_| (key, token))
        }
        _ => Err(AccountError::NotFound),
    })
}

/// Stores an invitation and mails its link once the write is durable.
fn create_invitation(
    state: &TenantState,
    (invited_by, email, role): (Uuid, String, Role),
    now: DateTime<Utc>,
    reply: Reply<Invitation>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store;
    let key = new_token_key();
    let invitation = Invitation::pending(state.tenant, email, role, invited_by, now);
    let tenant_name = tables::tenants::get(store, state.tenant)?
        .map(|t| t.name)
        .unwrap_or_default();
    let result = invitations::create(store, &invitation, &key_hash(&key)).map(|_| invitation);
    let ctx = state.ctx.clone();
    write_then(store, reply, result, move |inv| {
        ctx.send_mail(mail::invitation(
            &ctx.config.public_url(),
            &inv.email,
            &tenant_name,
            inv.role.as_str(),
            &key,
            inv.expires_at,
        ));
    })
}

/// An accepted invitation's user and login token, when the invitation is this tenant's:
/// the invitation index is global, and this actor accepts only its own.
fn own_invitation(
    tenant: Uuid,
    (inv, user, token): (Invitation, User, Token),
    key: String,
) -> Result<(User, IssuedToken), AccountError> {
    if inv.tenant_id == tenant {
        Ok((user, (key, token)))
    } else {
        Err(AccountError::InvalidToken)
    }
}

/// The hash of `user_id`'s token in this tenant named by `key_or_id`: the key itself, or
/// the token's id as the token list shows it.
fn find_own_token(
    state: &TenantState,
    user_id: Uuid,
    key_or_id: &str,
) -> Result<Option<KeyHash>, certwatch_store::StoreError> {
    let store = &state.ctx.store;
    let owned = |t: &Token| t.tenant_id == state.tenant && t.user_id == user_id;
    let by_key = key_hash(key_or_id);
    if tables::tokens::get(store, &by_key)?.is_some_and(|t| owned(&t)) {
        return Ok(Some(by_key));
    }
    let Ok(id) = key_or_id.parse::<Uuid>() else {
        return Ok(None);
    };
    tables::tokens::owned_hash(store, state.tenant, user_id, id)
}
