//! `Authorization: Token <key>`: who is calling, in which tenant, with which role.

use certwatch_domain::accounts::Role;
use certwatch_store::Store;
use certwatch_store::engine::secrets::{KeyHash, key_hash};
use certwatch_store::tables;
use chrono::Utc;
use uuid::Uuid;

use crate::error::{ApiError, Refused};
use crate::state::State;
use warp::{Filter, Rejection};

/// An authenticated caller. Every tenant-scoped handler works inside `tenant_id`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub token_hash: KeyHash,
}

impl Caller {
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Member => Err(ApiError::Forbidden(
                "You do not have permission to perform this action.".into(),
            )),
        }
    }
}

/// The key of an `Authorization: Token <key>` header.
pub(crate) fn token_key(header: &str) -> Option<&str> {
    header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("token"))
        .map(|(_, key)| key.trim())
        .filter(|key| !key.is_empty())
}

/// Checks the token in `header`: it must exist, be unexpired, and its user must still be an
/// active member of its tenant (the role is read fresh, so a role change applies at once).
pub fn authenticate(store: &Store, header: Option<&str>) -> Result<Caller, ApiError> {
    let header = header.ok_or_else(|| {
        ApiError::Unauthorized("Authentication credentials were not provided.".into())
    })?;
    let key = token_key(header).ok_or_else(|| {
        ApiError::Unauthorized("Use the header 'Authorization: Token <key>'.".into())
    })?;
    let hash = key_hash(key);
    let invalid = || ApiError::Unauthorized("Invalid token.".into());
    let token = tables::tokens::get(store, &hash)?.ok_or_else(invalid)?;
    if token.is_expired(Utc::now()) {
        return Err(ApiError::Unauthorized("Token has expired.".into()));
    }
    let membership =
        tables::memberships::get(store, token.tenant_id, token.user_id)?.ok_or_else(invalid)?;
    let user = tables::users::get(store, token.user_id)?.ok_or_else(invalid)?;
    if !user.is_active {
        return Err(invalid());
    }
    Ok(Caller {
        tenant_id: token.tenant_id,
        user_id: token.user_id,
        role: membership.role,
        token_hash: hash,
    })
}

/// The authenticated caller of a request: a warp filter, so a handler receives a `Caller`
/// or is never reached (the answer is the 401 of [`authenticate`]).
pub fn caller(
    state: &State,
) -> impl Filter<Extract = (Caller,), Error = Rejection> + Clone + use<> {
    let state = state.clone();
    warp::header::optional::<String>("authorization").and_then(move |header: Option<String>| {
        let result = authenticate(state.store(), header.as_deref());
        async move { result.map_err(|e| warp::reject::custom(Refused(e))) }
    })
}

/// The state and the authenticated caller: the first two arguments of most operations.
pub fn signed_in(
    state: &State,
) -> impl Filter<Extract = (State, Caller), Error = Rejection> + Clone + use<> {
    crate::state::with_state(state).and(caller(state))
}

/// Whether `authorization` is `Bearer <CERTWATCH_METRICS_TOKEN>` (never, without the
/// setting): for `/metrics` and the health details.
pub(crate) fn holds_metrics_token(state: &State, authorization: Option<&str>) -> bool {
    let Some(token) = &state.config.metrics_token else {
        return false;
    };
    authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|presented| same_secret(presented.trim(), token))
}

/// Compares two secrets in time that says nothing about them: their SHA-256 digests (of
/// one length whatever the inputs') are compared whole, without stopping at the first
/// difference.
pub(crate) fn same_secret(presented: &str, expected: &str) -> bool {
    let (a, b) = (key_hash(presented), key_hash(expected));
    a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same_secret("secret-token-123", "secret-token-123"));
        assert!(!same_secret("secret-token-123", "secret-token-124"));
        assert!(!same_secret("secret", "secret-token-123"));
        assert!(!same_secret("", "secret-token-123"));
    }
}
