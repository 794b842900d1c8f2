//! Forgotten passwords: a mailed one-time link (an hour) to choose a new one.

use crate::engine::tx::abort;
use certwatch_domain::accounts::{PASSWORD_RESET_TTL_MINUTES, PasswordReset, TokenKind, User};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::engine::secrets::{KeyHash, key_hash, new_token_key};
use crate::engine::tx::transact;
use crate::tables::{memberships, password_resets, tokens, users};
use crate::{AccountError, Store, StoreError};

/// Stores a reset link for `user_id`.
pub fn add(
    store: &Store,
    user_id: Uuid,
    token: &KeyHash,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let reset = PasswordReset {
        user_id,
        expires_at: now + Duration::minutes(PASSWORD_RESET_TTL_MINUTES),
    };
    transact(store, &[password_resets::TREES], |tx| {
        password_resets::put(tx, token, &reset)
    })
}

/// Issues a reset link for the account of `email`: its user and the link's key, or none
/// when no account has that address.
///
/// An unknown address costs the same work as a known one — a key made, a record written
/// and made durable by the caller — so the time to answer does not tell which addresses
/// have accounts. Its record names no user (the nil id) and expires like a link; no one
/// knows its key.
pub fn issue(
    store: &Store,
    email: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>, StoreError> {
    let user = users::by_email(store, email)?;
    let key = new_token_key();
    add(
        store,
        user.as_ref().map_or(Uuid::nil(), |u| u.id),
        &key_hash(&key),
        now,
    )?;
    Ok(user.map(|user| (user, key)))
}

/// Consumes a reset link: sets the new password, activates the account (the link proves
/// the mailbox) and ends the user's sign-in sessions everywhere — whoever knew the old
/// password is signed out. Personal API tokens stay: integrations keep working.
pub fn reset(
    store: &Store,
    token: &KeyHash,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    // The sessions to end are read first; a session started between this read and the
    // transaction survives, as it would if it had started just after the reset.
    let mut sessions = Vec::new();
    let user_id = password_resets::get(store, token)?.map(|r| r.user_id);
    let (tenants, links) = match user_id {
        Some(user) => (
            memberships::of_user(store, user)?,
            password_resets::of_user(store, user)?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    for m in tenants {
        for t in tokens::hashes_of(store, m.tenant_id, m.user_id)? {
            if tokens::get(store, &t)?.is_some_and(|t| t.kind == TokenKind::Login) {
                sessions.push(t);
            }
        }
    }
    let tables = [password_resets::TREES, users::TREES, tokens::TREES];
    transact(store, &tables, |tx| {
        let Some(reset) = password_resets::get_in::<AccountError>(tx, token)? else {
            return abort(AccountError::InvalidToken);
        };
        if reset.expires_at <= now {
            return abort(AccountError::InvalidToken);
        }
        let Some(mut user) = users::get_in::<AccountError>(tx, reset.user_id)? else {
            return abort(AccountError::InvalidToken);
        };
        // Every link of the account ends with the one used: an older mail in the inbox
        // must not choose another password later.
        password_resets::remove(tx, token)?;
        for link in &links {
            password_resets::remove(tx, link)?;
        }
        for session in &sessions {
            tokens::remove::<AccountError>(tx, session)?;
        }
        user.password_hash = password_hash.clone();
        user.is_active = true;
        users::put(tx, &user)?;
        Ok(user)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::secrets::{key_hash, new_token_key};
    use crate::ops::accounts::{Registration, register};
    use certwatch_domain::accounts::Token;

    #[tokio::test]
    async fn a_reset_link_works_once_within_the_hour_and_ends_the_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let registration = Registration {
            tenant_id: uuid::Uuid::new_v4(),
            email: "a@x.de".into(),
            password_hash: "old".into(),
            organization_name: "Acme".into(),
            verification: key_hash(&new_token_key()),
        };
        let (tenant, user) = register(&store, registration, now).unwrap();
        let session = key_hash("session");
        crate::ops::tokens::insert(
            &store,
            &session,
            &Token::login(tenant.id, user.id, "session", now),
        )
        .unwrap();
        let api = key_hash("api");
        let api_token = Token {
            kind: TokenKind::Api,
            ..Token::login(tenant.id, user.id, "api", now)
        };
        crate::ops::tokens::insert(&store, &api, &api_token).unwrap();

        let late = key_hash(&new_token_key());
        add(&store, user.id, &late, now).unwrap();
        assert!(matches!(
            reset(&store, &late, "new".into(), now + Duration::minutes(61)),
            Err(AccountError::InvalidToken)
        ));

        let link = key_hash(&new_token_key());
        add(&store, user.id, &link, now).unwrap();
        let changed = reset(&store, &link, "new".into(), now + Duration::minutes(59)).unwrap();
        assert_eq!(changed.password_hash, "new");
        assert!(changed.is_active, "the link proves the mailbox");
        assert!(tokens::get(&store, &session).unwrap().is_none());
        assert!(tokens::get(&store, &api).unwrap().is_some());
        assert!(matches!(
            reset(&store, &link, "again".into(), now),
            Err(AccountError::InvalidToken)
        ));
    }

    #[tokio::test]
    async fn using_one_link_ends_the_accounts_other_links() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let (_, user) = register(&store, registration("b@x.de"), now).unwrap();
        let (_, other) = register(&store, registration("c@x.de"), now).unwrap();
        let (older, newer, others) = (
            key_hash(&new_token_key()),
            key_hash(&new_token_key()),
            key_hash(&new_token_key()),
        );
        add(&store, user.id, &older, now).unwrap();
        add(&store, user.id, &newer, now).unwrap();
        add(&store, other.id, &others, now).unwrap();
        reset(&store, &newer, "new".into(), now).unwrap();
        assert!(matches!(
            reset(&store, &older, "older".into(), now),
            Err(AccountError::InvalidToken)
        ));
        // Another account's link is its own.
        reset(&store, &others, "theirs".into(), now).unwrap();
    }

    #[tokio::test]
    async fn an_unknown_address_costs_a_write_like_a_known_one_and_gives_no_link() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        register(&store, registration("d@x.de"), now).unwrap();
        let tree = store.tree(crate::engine::trees::Tree::PasswordResets);
        assert!(issue(&store, "d@x.de", now).unwrap().is_some());
        assert_eq!(tree.len().unwrap(), 1);
        assert!(issue(&store, "nobody@x.de", now).unwrap().is_none());
        assert_eq!(
            tree.len().unwrap(),
            2,
            "the unknown address wrote its stand-in"
        );
        assert_eq!(
            password_resets::expired(&store, now + Duration::minutes(61))
                .unwrap()
                .len(),
            2
        );
    }

    fn registration(email: &str) -> Registration {
        Registration {
            tenant_id: uuid::Uuid::new_v4(),
            email: email.into(),
            password_hash: "old".into(),
            organization_name: "Acme".into(),
            verification: key_hash(&new_token_key()),
        }
    }
}
