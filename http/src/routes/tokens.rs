//! API tokens of the caller in the caller's tenant: list, create, refresh, revoke.

use certwatch_actors::AccessMsg;
use certwatch_actors::IssuedToken;
use certwatch_domain::accounts::{Token, TokenKind};
use certwatch_domain::rules;
use certwatch_store::tables;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::Caller;
use crate::auth::signed_in;
use crate::error::ApiError;
use crate::error::FieldErrors;
use crate::extract::{Parsed, json};
use crate::extract::{Query, query};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::{any_of, route};
use crate::state::State;

const MAX_TOKEN_NAME: usize = 100;

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// RFC 3339 time in the future, before the year 2200; null or absent: never expires.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

/// A new token; `key` is shown this once.
#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<IssuedToken> for TokenCreated {
    fn from((key, t): IssuedToken) -> Self {
        TokenCreated {
            id: t.id,
            key,
            name: t.name,
            created_at: t.created_at,
            expires_at: t.expires_at,
        }
    }
}

/// A token as listed: never the key, only its first characters.
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    /// "login" (from login, invite-accept, refresh) or "api" (created here).
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<Token> for TokenView {
    fn from(t: Token) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            kind: match t.kind {
                TokenKind::Login => "login",
                TokenKind::Api => "api",
            }
            .to_string(),
            created_at: t.created_at,
            expires_at: t.expires_at,
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_tokens, signed_in(state), query()),
        route!(create_token, signed_in(state), json()),
        route!(refresh_token, signed_in(state)),
        route!(revoke_token(key), signed_in(state)),
    ])
}

#[utoipa::path(get, path = "/api/auth/tokens/", tag = "auth",
    params(
        PageParams,
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The caller's tokens in this tenant, oldest first", body = Page<TokenView>),
        (status = 401, description = "No or bad token"),
    ))]
pub async fn list_tokens(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<TokenView>, ApiError> {
    let tokens: Vec<TokenView> =
        tables::tokens::of(state.store(), caller.tenant_id, caller.user_id)?
            .into_iter()
            .map(TokenView::from)
            .collect();
    let page = paginate_vec(tokens, &q, &state.public_url(), "/api/auth/tokens/")?;
    Ok(page)
}

#[utoipa::path(post, path = "/api/auth/tokens/", tag = "auth",
    request_body = TokenRequest,
    security(("token" = [])),
    responses(
        (status = 201, description = "The new token; its key is shown only now", body = TokenCreated),
        (status = 400, description = "Field errors"),
        (status = 401, description = "No or bad token"),
    ))]
pub async fn create_token(
    state: State,
    caller: Caller,
    req: Parsed<TokenRequest>,
) -> Result<TokenCreated, ApiError> {
    let req = req?;
    let mut errors = FieldErrors::default();
    let name = errors.required("name", req.name);
    if name.chars().count() > MAX_TOKEN_NAME {
        errors.add(
            "name",
            format!("Ensure this field has no more than {MAX_TOKEN_NAME} characters."),
        );
    }
    let expires_at = match req.expires_at.filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match DateTime::parse_from_rfc3339(&raw) {
            Ok(at) if at.with_timezone(&Utc) <= Utc::now() => {
                errors.add("expires_at", "Must be in the future.");
                None
            }
            Ok(at) if !rules::SANE_YEARS.contains(&at.year()) => {
                errors.add("expires_at", "Must be no later than the year 2200.");
                None
            }
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => {
                errors.add(
                    "expires_at",
                    "Use an RFC 3339 time like 2026-01-01T00:00:00Z.",
                );
                None
            }
        },
    };
    errors.finish()?;
    let user_id = caller.user_id;
    let issued = state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::CreateApiToken {
            user_id,
            name,
            expires_at,
            reply,
        })
        .await?;
    Ok(TokenCreated::from(issued))
}

#[utoipa::path(post, path = "/api/auth/tokens/refresh/", tag = "auth",
    security(("token" = [])),
    responses(
        (status = 200, description = "A new key replacing the one used for this request; the old key no longer works. A login token gets 30 fresh days, an API token keeps its expiry", body = TokenCreated),
        (status = 401, description = "No or bad token"),
    ))]
pub async fn refresh_token(state: State, caller: Caller) -> Result<TokenCreated, ApiError> {
    let current = caller.token_hash;
    let issued = state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::RefreshToken {
            current,
            reply,
        })
        .await?;
    Ok(TokenCreated::from(issued))
}

#[utoipa::path(delete, path = "/api/auth/tokens/{key}/", tag = "auth",
    params(("key" = String, Path, description = "The token's key, or its id as listed")),
    security(("token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or bad token"),
        (status = 404, description = "No such token of the caller"),
    ))]
pub async fn revoke_token(key_or_id: String, state: State, caller: Caller) -> Result<(), ApiError> {
    let user_id = caller.user_id;
    state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::RevokeToken {
            user_id,
            key_or_id,
            reply,
        })
        .await?;
    Ok(())
}
