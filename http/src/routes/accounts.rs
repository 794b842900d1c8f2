//! Public account endpoints: register, verify-email, resend-verification, login.

use certwatch_actors::AccessMsg;
use std::sync::OnceLock;

use certwatch_actors::{AccountsMsg, Reply};
use certwatch_domain::accounts::{User, normalize_email};
use certwatch_domain::passwords::password_errors;
use certwatch_store::engine::secrets::key_hash;
use certwatch_store::tables;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::Caller;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::error::FieldErrors;
use crate::extract::Client;
use crate::extract::{Parsed, json};
use crate::extract::{Query, client_addr, query};
use crate::passwords::{hash_password, verify_password};
use crate::respond::Detail;
use crate::route::{any_of, route};
use crate::state::{State, with_state};

const MAX_ORGANIZATION_NAME: usize = 200;

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(value_type = String, required = true, format = Email)]
    pub email: Option<String>,
    /// At least 8 characters, not all digits (see the password policy).
    #[schema(value_type = String, required = true, min_length = 8, pattern = "[^0-9]")]
    pub password: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub organization_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RegisterResponse {
    pub detail: String,
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(value_type = String, required = true, format = Email)]
    pub email: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    pub password: Option<String>,
    /// Which tenant to log in to; omitted: the most recently joined one.
    pub tenant_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub email: String,
    pub tenant_id: Uuid,
    pub tenant_name: String,
    pub role: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ResendRequest {
    #[schema(value_type = String, required = true, format = Email)]
    pub email: Option<String>,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(register, with_state(state), client_addr(), json()),
        route!(login, with_state(state), client_addr(), json()),
        route!(verify_email, with_state(state), query()),
        route!(
            resend_verification,
            with_state(state),
            client_addr(),
            json()
        ),
    ])
}

/// Checks an email field: required, and shaped like an address. Returns it normalized.
pub(crate) fn email_field(errors: &mut FieldErrors, raw: Option<String>) -> String {
    let raw = errors.required("email", raw);
    if raw.is_empty() {
        return raw;
    }
    normalize_email(&raw).unwrap_or_else(|| {
        errors.add("email", "Enter a valid email address.");
        String::new()
    })
}

/// Checks a new password against the policy. Returns it untrimmed: spaces may be part of it.
pub(crate) fn new_password_field(
    errors: &mut FieldErrors,
    raw: Option<String>,
    email: &str,
) -> String {
    match raw {
        Some(p) if !p.is_empty() => {
            for e in password_errors(&p, email) {
                errors.add("password", e);
            }
            p
        }
        _ => {
            errors.add("password", "This field is required.");
            String::new()
        }
    }
}

#[utoipa::path(post, path = "/api/auth/register/", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Tenant and inactive user created; verification mail sent", body = RegisterResponse),
        (status = 400, description = "Field errors"),
        (status = 429, description = "More than the allowed requests per minute from this IP"),
    ))]
pub async fn register(
    state: State,
    client: Client,
    req: Parsed<RegisterRequest>,
) -> Result<RegisterResponse, ApiError> {
    state.throttle("register", &client)?;
    let req = req?;
    let mut errors = FieldErrors::default();
    let email = email_field(&mut errors, req.email);
    let password = new_password_field(&mut errors, req.password, &email);
    let organization_name = errors.required("organization_name", req.organization_name);
    if organization_name.chars().count() > MAX_ORGANIZATION_NAME {
        errors.add(
            "organization_name",
            format!("Ensure this field has no more than {MAX_ORGANIZATION_NAME} characters."),
        );
    }
    // An address whose account was never verified may be registered again: the mailbox's
    // owner proves it with the new verification link (see `Store::register`).
    if !email.is_empty()
        && tables::users::by_email(state.store(), &email)?.is_some_and(|u| u.is_active)
    {
        errors.add("email", "A user with this email already exists.");
    }
    errors.finish()?;

    let password_hash = blocking(move || hash_password(&password)).await?;
    let (_, user) = state
        .actors
        .accounts(|reply| AccountsMsg::Register {
            email,
            password_hash,
            organization_name,
            reply,
        })
        .await?;
    Ok(RegisterResponse {
        detail: "Verification email sent.".into(),
        email: user.email,
    })
}

#[utoipa::path(get, path = "/api/auth/verify-email/", tag = "auth",
    params(("token" = String, Query, description = "The token from the verification mail", min_length = 1)),
    responses(
        (status = 200, description = "The account is active", body = Detail),
        (status = 400, description = "Invalid or expired token"),
    ))]
pub async fn verify_email(state: State, q: Query) -> Result<Detail, ApiError> {
    let token = q
        .get("token")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::field("token", "This field is required."))?;
    confirm_email(&state, token).await?;
    Ok(Detail::new("Email verified successfully."))
}

/// Who a caller is: their address and the organizations they belong to, by name.
pub struct Identity {
    pub email: String,
    pub tenants: Vec<(Uuid, String)>,
}

/// The caller's identity (None for an account that is gone).
pub fn identity(state: &State, caller: &Caller) -> Result<Option<Identity>, ApiError> {
    let store = state.store();
    let Some(user) = tables::users::get(store, caller.user_id)? else {
        return Ok(None);
    };
    let mut tenants = Vec::new();
    for m in tables::memberships::of_user(store, caller.user_id)? {
        if let Some(t) = tables::tenants::get(store, m.tenant_id)? {
            tenants.push((t.id, t.name));
        }
    }
    tenants.sort_by_key(|t| t.1.to_lowercase());
    Ok(Some(Identity {
        email: user.email,
        tenants,
    }))
}

/// Confirms the address a mailed verification token was sent to; its account.
pub async fn confirm_email(state: &State, token: &str) -> Result<User, ApiError> {
    let token = key_hash(token);
    Ok(state
        .actors
        .accounts(|reply| AccountsMsg::VerifyEmail { token, reply })
        .await?)
}

/// The tenant a person joined last (where a sign-in without a choice goes).
pub fn latest_tenant(state: &State, user_id: Uuid) -> Result<Option<Uuid>, ApiError> {
    Ok(tables::memberships::of_user(state.store(), user_id)?
        .into_iter()
        .max_by_key(|m| m.created_at)
        .map(|m| m.tenant_id))
}

/// A new login token of the user in the tenant.
pub async fn issue_login_token(
    state: &State,
    user_id: Uuid,
    tenant: Uuid,
) -> Result<String, ApiError> {
    let (key, _) = state
        .actors
        .tenant(tenant, |reply| AccessMsg::IssueLoginToken {
            user_id,
            reply,
        })
        .await?;
    Ok(key)
}

#[utoipa::path(post, path = "/api/auth/resend-verification/", tag = "auth",
    request_body = ResendRequest,
    responses(
        (status = 200, description = "The same answer whether or not the address exists", body = Detail),
        (status = 400, description = "Field errors"),
        (status = 429, description = "Rate limited"),
    ))]
pub async fn resend_verification(
    state: State,
    client: Client,
    req: Parsed<ResendRequest>,
) -> Result<Detail, ApiError> {
    let email = req.map(|r| r.email);
    mail_link(
        &state,
        "resend-verification",
        &client,
        email,
        |email, reply| AccountsMsg::ResendVerification { email, reply },
    )
    .await?;
    Ok(Detail::new("Verification email sent."))
}

/// A request that mails a link to an address (a new verification, a password reset):
/// throttled per client under `limit`, the address checked, and the same answer whether
/// or not it has an account.
pub(crate) async fn mail_link(
    state: &State,
    limit: &'static str,
    client: &Client,
    email: Parsed<Option<String>>,
    message: impl FnOnce(String, Reply<()>) -> AccountsMsg,
) -> Result<(), ApiError> {
    state.throttle(limit, client)?;
    let mut errors = FieldErrors::default();
    let email = email_field(&mut errors, email?);
    errors.finish()?;
    Ok(state.actors.accounts(|reply| message(email, reply)).await?)
}

/// A hash to verify against when the email is unknown, so that a login for an unknown
/// address costs as much time as one with a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password nobody has"))
}

#[utoipa::path(post, path = "/api/auth/login/", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A 30-day token for the chosen tenant", body = LoginResponse),
        (status = 400, description = "Wrong credentials or field errors"),
        (status = 403, description = "Email address not verified yet"),
        (status = 429, description = "Rate limited"),
    ))]
pub async fn login(
    state: State,
    client: Client,
    req: Parsed<LoginRequest>,
) -> Result<LoginResponse, ApiError> {
    state.throttle("login", &client)?;
    let req = req?;
    let mut errors = FieldErrors::default();
    let email = errors.required("email", req.email).to_lowercase();
    let password = req.password.unwrap_or_default();
    if password.is_empty() {
        errors.add("password", "This field is required.");
    }
    let tenant_id = match req.tenant_id.filter(|t| !t.is_empty()) {
        Some(raw) => match raw.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("tenant_id", "Must be a valid UUID.");
                None
            }
        },
        None => None,
    };
    errors.finish()?;

    let user = tables::users::by_email(state.store(), &email)?;
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_string());
    let password_ok = blocking(move || verify_password(&password, &hash)).await?;
    let user = match user {
        Some(user) if password_ok => user,
        _ => {
            return Err(ApiError::BadRequest(
                "Unable to log in with provided credentials.".into(),
            ));
        }
    };
    if !user.is_active {
        return Err(ApiError::Forbidden(
            "Email address is not verified yet. Use the link in the verification mail.".into(),
        ));
    }
    let memberships = tables::memberships::of_user(state.store(), user.id)?;
    let membership = match tenant_id {
        Some(id) => memberships
            .into_iter()
            .find(|m| m.tenant_id == id)
            .ok_or_else(|| ApiError::field("tenant_id", "You are not a member of this tenant."))?,
        None => memberships
            .into_iter()
            .max_by_key(|m| m.created_at)
            .ok_or_else(|| ApiError::BadRequest("This account belongs to no tenant.".into()))?,
    };
    let key = issue_login_token(&state, user.id, membership.tenant_id).await?;
    let tenant =
        tables::tenants::get(state.store(), membership.tenant_id)?.ok_or(ApiError::NotFound)?;
    Ok(LoginResponse {
        token: key,
        email: user.email,
        tenant_id: tenant.id,
        tenant_name: tenant.name,
        role: membership.role.as_str().to_string(),
    })
}
