//! Invitations: an admin invites an address into the tenant; the invitee accepts with a
//! password (a new account) or with the password of the account they already have.

use std::net::SocketAddr;

use certwatch_actors::TenantMsg;
use certwatch_store::accounts::{Acceptor, Role};
use certwatch_store::secrets::{hash_password, key_hash, verify_password};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use super::accounts::{email_field, new_password_field};
use crate::error::FieldErrors;
use crate::extract::{Body, authorization, body, client_addr, parse_json};
use crate::{ApiError, State, blocking, done, json_reply, with_state};

#[derive(Deserialize, ToSchema)]
pub struct InvitationRequest {
    pub email: Option<String>,
    /// "admin" or "member" (default).
    pub role: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationResponse {
    pub invitation_id: Uuid,
    pub email: String,
    pub role: String,
    pub status: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptRequest {
    pub token: Option<String>,
    pub password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AcceptResponse {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub auth_token: String,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let create = warp::path!("api" / "auth" / "invitations")
        .and(warp::post())
        .and(with_state(state))
        .and(authorization())
        .and(body())
        .then(create_invitation)
        .map(done);
    let accept = warp::path!("api" / "auth" / "invite" / "accept")
        .and(warp::post())
        .and(with_state(state))
        .and(client_addr())
        .and(body())
        .then(accept_invitation)
        .map(done);
    create.or(accept).unify().boxed()
}

pub(crate) fn parse_role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw.trim()).ok_or_else(|| {
        ApiError::field(
            "role",
            format!("\"{raw}\" is not a valid choice: admin or member."),
        )
    })
}

#[utoipa::path(post, path = "/api/auth/invitations/", tag = "auth",
    request_body = InvitationRequest,
    security(("token" = [])),
    responses(
        (status = 201, description = "Invitation created and mailed (valid 7 days)", body = InvitationResponse),
        (status = 400, description = "Field errors, or already a member"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not an admin"),
    ))]
pub async fn create_invitation(
    state: State,
    authorization: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let req: InvitationRequest = parse_json(body)?;
    let mut errors = FieldErrors::default();
    let email = email_field(&mut errors, req.email);
    errors.finish()?;
    let role = match req.role {
        Some(raw) => parse_role(&raw)?,
        None => Role::Member,
    };
    let invited_by = caller.user_id;
    let inv = state
        .actors
        .tenant(caller.tenant_id, |reply| TenantMsg::CreateInvitation {
            invited_by,
            email,
            role,
            reply,
        })
        .await?;
    Ok(json_reply(
        StatusCode::CREATED,
        &InvitationResponse {
            invitation_id: inv.id,
            email: inv.email,
            role: inv.role.as_str().to_string(),
            status: inv.status.as_str().to_string(),
            expires_at: inv.expires_at,
        },
    ))
}

#[utoipa::path(post, path = "/api/auth/invite/accept/", tag = "auth",
    request_body = AcceptRequest,
    responses(
        (status = 201, description = "Membership created; a login token for the tenant", body = AcceptResponse),
        (status = 400, description = "Invalid, used or expired invitation, or field errors"),
        (status = 429, description = "Rate limited"),
    ))]
pub async fn accept_invitation(
    state: State,
    peer: Option<SocketAddr>,
    forwarded_for: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    state.throttle("invite-accept", peer, forwarded_for.as_deref())?;
    let req: AcceptRequest = parse_json(body)?;
    let mut errors = FieldErrors::default();
    let token = errors.required("token", req.token);
    let password = req.password.unwrap_or_default();
    if password.is_empty() {
        errors.add("password", "This field is required.");
    }
    errors.finish()?;

    let token = key_hash(&token);
    let invitation = state
        .store()
        .pending_invitation(&token, Utc::now())?
        .ok_or_else(|| ApiError::BadRequest("Invalid or expired invitation token.".into()))?;
    let acceptor = match state.store().user_by_email(&invitation.email)? {
        Some(user) => {
            let hash = user.password_hash.clone();
            if !blocking(move || verify_password(&password, &hash)).await? {
                return Err(ApiError::field(
                    "password",
                    "An account with this email exists: enter its password.",
                ));
            }
            Acceptor::Existing(user.id)
        }
        None => {
            let mut errors = FieldErrors::default();
            let password = new_password_field(&mut errors, Some(password), &invitation.email);
            errors.finish()?;
            let password_hash = blocking(move || hash_password(&password)).await?;
            Acceptor::New {
                user_id: Uuid::new_v4(),
                password_hash,
            }
        }
    };
    let (user, (key, _)) = state
        .actors
        .tenant(invitation.tenant_id, |reply| TenantMsg::AcceptInvitation {
            token,
            acceptor,
            reply,
        })
        .await?;
    Ok(json_reply(
        StatusCode::CREATED,
        &AcceptResponse {
            user_id: user.id,
            tenant_id: invitation.tenant_id,
            auth_token: key,
        },
    ))
}
