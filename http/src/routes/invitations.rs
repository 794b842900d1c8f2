//! Invitations: an admin invites an address into the tenant, lists the pending ones and
//! revokes them; the invitee accepts with a password (a new account, or an account that
//! was registered but never verified: the invitation proves the mailbox) or with the
//! password of the verified account they already have.

use certwatch_actors::AccessMsg;

use certwatch_domain::accounts::{Invitation, Role};
use certwatch_store::engine::secrets::key_hash;
use certwatch_store::ops::invitations::Acceptor;
use certwatch_store::{ops::invitations, tables};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::accounts::{email_field, new_password_field};
use crate::auth::Caller;
use crate::auth::signed_in;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::error::FieldErrors;
use crate::extract::Client;
use crate::extract::{Parsed, json};
use crate::extract::{Query, client_addr, query};
use crate::forward;
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::passwords::{hash_password, verify_password};
use crate::route::{any_of, route};
use crate::state::{State, with_state};

#[derive(Deserialize, ToSchema)]
pub struct InvitationRequest {
    #[schema(value_type = String, required = true, format = Email)]
    pub email: Option<String>,
    /// "member" when absent.
    #[schema(value_type = Option<String>, pattern = "^(admin|member)$")]
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

impl From<Invitation> for InvitationResponse {
    fn from(inv: Invitation) -> InvitationResponse {
        InvitationResponse {
            invitation_id: inv.id,
            email: inv.email,
            role: inv.role.as_str().to_string(),
            status: inv.status.as_str().to_string(),
            expires_at: inv.expires_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptRequest {
    #[schema(value_type = String, required = true, min_length = 1)]
    pub token: Option<String>,
    /// At least 8 characters, not all digits (see the password policy).
    #[schema(value_type = String, required = true, min_length = 8, pattern = "[^0-9]")]
    pub password: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct AcceptResponse {
    pub user_id: Uuid,
    pub tenant_id: Uuid,
    pub auth_token: String,
}

/// The invitation a mailed token opens while it is still pending, with its tenant's name.
pub fn open_invitation(
    state: &State,
    token: &str,
) -> Result<Option<(Invitation, String)>, ApiError> {
    let Some(invitation) = invitations::pending(state.store(), &key_hash(token), Utc::now())?
    else {
        return Ok(None);
    };
    let tenant = tables::tenants::get(state.store(), invitation.tenant_id)?
        .map(|t| t.name)
        .unwrap_or_default();
    Ok(Some((invitation, tenant)))
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(create_invitation, signed_in(state), json()),
        route!(accept_invitation, with_state(state), client_addr(), json()),
        route!(list_invitations, signed_in(state), query()),
        route!(revoke_invitation(id), signed_in(state)),
    ])
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
    caller: Caller,
    req: Parsed<InvitationRequest>,
) -> Result<InvitationResponse, ApiError> {
    caller.require_admin()?;
    let req = req?;
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
        .tenant(caller.tenant_id, |reply| AccessMsg::CreateInvitation {
            invited_by,
            email,
            role,
            reply,
        })
        .await?;
    Ok(InvitationResponse::from(inv))
}

#[utoipa::path(get, path = "/api/auth/invitations/", tag = "auth",
    params(PageParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "Invitations that can still be accepted (pending, unexpired, inviter still an admin), newest first", body = Page<InvitationResponse>),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not an admin"),
    ))]
pub async fn list_invitations(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<InvitationResponse>, ApiError> {
    caller.require_admin()?;
    let views: Vec<InvitationResponse> =
        invitations::live(state.store(), caller.tenant_id, Utc::now())?
            .into_iter()
            .map(InvitationResponse::from)
            .collect();
    paginate_vec(views, &q, &state.public_url(), "/api/auth/invitations/")
}

#[utoipa::path(delete, path = "/api/auth/invitations/{id}/", tag = "auth",
    params(("id" = Uuid, Path, description = "The invitation's id")),
    security(("token" = [])),
    responses(
        (status = 204, description = "Revoked: its link no longer works"),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No pending invitation with this id in the tenant"),
    ))]
pub async fn revoke_invitation(id: Uuid, state: State, caller: Caller) -> Result<(), ApiError> {
    caller.require_admin()?;
    state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::RevokeInvitation {
            id,
            reply,
        })
        .await?;
    Ok(())
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
    client: Client,
    req: Parsed<AcceptRequest>,
) -> Result<AcceptResponse, ApiError> {
    state.throttle("invite-accept", &client)?;
    let req = req?;
    let mut errors = FieldErrors::default();
    let token = errors.required("token", req.token);
    let password = req.password.unwrap_or_default();
    if password.is_empty() {
        errors.add("password", "This field is required.");
    }
    errors.finish()?;

    let presented = token;
    let token = key_hash(&presented);
    let invitation = invitations::pending(state.store(), &token, Utc::now())?
        .ok_or_else(|| ApiError::BadRequest("Invalid or expired invitation token.".into()))?;
    // Only the token says whose invitation it is: on a node of several, another node may
    // run that tenant, and the acceptance is made there.
    let on_owner = serde_json::json!({ "token": presented, "password": password });
    if let Some(accepted) = forward::on_owner(
        &state,
        invitation.tenant_id,
        "/api/auth/invite/accept/",
        &on_owner,
        &client,
    )
    .await?
    {
        return Ok(accepted);
    }
    let acceptor = match tables::users::by_email(state.store(), &invitation.email)? {
        // Registered but never verified: whoever registered it did not prove the mailbox;
        // the invitee just did, and chooses the password.
        Some(user) if !user.is_active => {
            let mut errors = FieldErrors::default();
            let password = new_password_field(&mut errors, Some(password), &invitation.email);
            errors.finish()?;
            let password_hash = blocking(move || hash_password(&password)).await?;
            Acceptor::Claim {
                user_id: user.id,
                password_hash,
            }
        }
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
        .tenant(invitation.tenant_id, |reply| AccessMsg::AcceptInvitation {
            token,
            acceptor,
            reply,
        })
        .await?;
    Ok(AcceptResponse {
        user_id: user.id,
        tenant_id: invitation.tenant_id,
        auth_token: key,
    })
}
