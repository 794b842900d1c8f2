//! Invitations: an admin invites an address into the tenant; the link creates or joins
//! an account, and dies when it is used, revoked, expired, or its inviter is no longer
//! an admin.

use crate::engine::tx::abort;
use certwatch_domain::accounts::{Invitation, InvitationStatus, Membership, Role, Token, User};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::secrets::{KeyHash, key_hash};
use crate::engine::tx::transact;
use crate::ops::accounts::{drop_memberships, unproven_memberships};
use crate::tables::{invitations, memberships, password_resets, tokens, users};
use crate::{AccountError, Store, StoreError};

/// Who accepts an invitation: a new account, a user who already has one, or the owner of
/// a mailbox whose account was registered but never verified (by them or by somebody
/// else): the invitation proves the mailbox, so its password replaces the unproven one.
pub enum Acceptor {
    New {
        user_id: Uuid,
        password_hash: String,
    },
    Existing(Uuid),
    Claim {
        user_id: Uuid,
        password_hash: String,
    },
}

/// Stores an invitation; refuses an email that is already a member of the tenant.
pub fn create(store: &Store, inv: &Invitation, token: &KeyHash) -> Result<(), AccountError> {
    if let Some(user) = users::by_email(store, &inv.email)?
        && memberships::get(store, inv.tenant_id, user.id)?.is_some()
    {
        return Err(AccountError::AlreadyMember);
    }
    transact(store, &[invitations::TREES], |tx| {
        invitations::put(tx, inv, Some(token))
    })
}

/// Whether an invitation can still be accepted: pending, unexpired, and its inviter
/// still an admin of the tenant (an invitation dies with its inviter's admin rights).
fn is_live(store: &Store, inv: &Invitation, now: DateTime<Utc>) -> Result<bool, StoreError> {
    Ok(inv.status == InvitationStatus::Pending
        && inv.expires_at > now
        && memberships::get(store, inv.tenant_id, inv.invited_by)?
            .is_some_and(|m| m.role == Role::Admin))
}

/// The pending, unexpired invitation for `token`, if any.
pub fn pending(
    store: &Store,
    token: &KeyHash,
    now: DateTime<Utc>,
) -> Result<Option<Invitation>, StoreError> {
    match invitations::by_token(store, token)? {
        Some(i) if is_live(store, &i, now)? => Ok(Some(i)),
        _ => Ok(None),
    }
}

/// The tenant's invitations that can still be accepted, newest first.
pub fn live(
    store: &Store,
    tenant: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<Invitation>, StoreError> {
    let mut out = Vec::new();
    for inv in invitations::of_tenant(store, tenant)? {
        if is_live(store, &inv, now)? {
            out.push(inv);
        }
    }
    out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// Takes back a pending invitation of the tenant; its link stops working at once.
pub fn revoke(store: &Store, tenant: Uuid, id: Uuid) -> Result<Invitation, AccountError> {
    transact(store, &[invitations::TREES], |tx| {
        let Some(mut inv) = invitations::get_in::<AccountError>(tx, tenant, id)? else {
            return abort(AccountError::NotFound);
        };
        if inv.status != InvitationStatus::Pending {
            return abort(AccountError::NotFound);
        }
        inv.status = InvitationStatus::Revoked;
        invitations::put(tx, &inv, None)?;
        Ok(inv)
    })
}

/// Accepts an invitation: creates or activates the user, adds the membership, marks the
/// invitation used and issues a login token for `login_key` — all or nothing.
pub fn accept(
    store: &Store,
    invitation_token: &KeyHash,
    acceptor: Acceptor,
    login_key: &str,
    now: DateTime<Utc>,
) -> Result<(Invitation, User, Token), AccountError> {
    let token_hash = key_hash(login_key);
    let (dropped, links) = match &acceptor {
        Acceptor::Claim { user_id, .. } => (
            unproven_memberships(store, *user_id, None)?,
            password_resets::of_user(store, *user_id)?,
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let tables = [
        invitations::TREES,
        users::TREES,
        memberships::TREES,
        tokens::TREES,
        password_resets::TREES,
    ];
    transact(store, &tables, |tx| {
        let Some(mut inv) = invitations::by_token_in::<AccountError>(tx, invitation_token)? else {
            return abort(AccountError::InvalidToken);
        };
        if inv.status != InvitationStatus::Pending || inv.expires_at <= now {
            return abort(AccountError::InvalidToken);
        }
        let inviter = memberships::get_in::<AccountError>(tx, inv.tenant_id, inv.invited_by)?;
        if !inviter.is_some_and(|m| m.role == Role::Admin) {
            return abort(AccountError::InvalidToken);
        }
        let user = match &acceptor {
            Acceptor::New {
                user_id,
                password_hash,
            } => {
                if users::id_by_email_in::<AccountError>(tx, &inv.email)?.is_some() {
                    return abort(AccountError::EmailTaken);
                }
                User {
                    id: *user_id,
                    email: inv.email.clone(),
                    password_hash: password_hash.clone(),
                    is_active: true,
                    created_at: now,
                }
            }
            Acceptor::Existing(id) => {
                let Some(mut user) = users::get_in::<AccountError>(tx, *id)? else {
                    return abort(AccountError::InvalidToken);
                };
                if memberships::get_in::<AccountError>(tx, inv.tenant_id, user.id)?.is_some() {
                    return abort(AccountError::AlreadyMember);
                }
                // The invitation reached this mailbox, which proves it.
                user.is_active = true;
                user
            }
            Acceptor::Claim {
                user_id,
                password_hash,
            } => {
                let Some(mut user) = users::get_in::<AccountError>(tx, *user_id)? else {
                    return abort(AccountError::InvalidToken);
                };
                if user.is_active {
                    // Verified meanwhile: its own password is needed now.
                    return abort(AccountError::EmailTaken);
                }
                // The password changes: the account's reset links end with the old one.
                user.password_hash = password_hash.clone();
                for link in &links {
                    password_resets::remove(tx, link)?;
                }
                user.is_active = true;
                drop_memberships(tx, user.id, &dropped)?;
                user
            }
        };
        users::put(tx, &user)?;
        memberships::put(
            tx,
            &Membership {
                tenant_id: inv.tenant_id,
                user_id: user.id,
                role: inv.role,
                created_at: now,
                digest: false,
            },
        )?;
        inv.status = InvitationStatus::Accepted;
        invitations::put(tx, &inv, None)?;
        invitations::forget_token(tx, invitation_token)?;
        let token = Token::login(inv.tenant_id, user.id, login_key, now);
        tokens::put(tx, &token_hash, &token)?;
        Ok((inv, user, token))
    })
}
