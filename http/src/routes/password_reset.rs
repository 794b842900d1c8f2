//! Forgotten passwords: ask for a one-time link by mail (valid an hour), then choose a new
//! password with its token. The answer to the request is the same whether or not the
//! address has an account.

use certwatch_actors::AccountsMsg;
use certwatch_store::engine::secrets::key_hash;
use certwatch_store::tables;
use serde::Deserialize;
use utoipa::ToSchema;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::accounts::{mail_link, new_password_field};
use crate::blocking::blocking;
use crate::error::{ApiError, FieldErrors};
use crate::extract::Client;
use crate::extract::client_addr;
use crate::extract::{Parsed, json};
use crate::passwords::hash_password;
use crate::respond::Detail;
use crate::route::{any_of, route};
use crate::state::{State, with_state};

#[derive(Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    #[schema(value_type = String, required = true, format = Email)]
    pub email: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordResetConfirm {
    /// The token from the reset mail.
    #[schema(value_type = String, required = true, min_length = 1)]
    pub token: Option<String>,
    /// At least 8 characters, not all digits (see the password policy).
    #[schema(value_type = String, required = true, min_length = 8, pattern = "[^0-9]")]
    pub password: Option<String>,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(request_reset, with_state(state), client_addr(), json()),
        route!(confirm_reset, with_state(state), client_addr(), json()),
    ])
}

#[utoipa::path(post, path = "/api/auth/password-reset/", tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 200, description = "A reset link was mailed if the address has an account (the same answer either way)", body = Detail),
        (status = 400, description = "Field errors"),
        (status = 429, description = "More than the allowed requests per minute from this IP"),
    ))]
pub async fn request_reset(
    state: State,
    client: Client,
    req: Parsed<PasswordResetRequest>,
) -> Result<Detail, ApiError> {
    let email = req.map(|r| r.email);
    mail_link(&state, "password-reset", &client, email, |email, reply| {
        AccountsMsg::RequestPasswordReset { email, reply }
    })
    .await?;
    Ok(Detail::new(
        "If the address has an account, a reset link is on its way.",
    ))
}

#[utoipa::path(post, path = "/api/auth/password-reset/confirm/", tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 200, description = "The new password is set; the account's sign-in sessions are ended", body = Detail),
        (status = 400, description = "Invalid, used or expired token, or field errors"),
        (status = 429, description = "More than the allowed requests per minute from this IP"),
    ))]
pub async fn confirm_reset(
    state: State,
    client: Client,
    req: Parsed<PasswordResetConfirm>,
) -> Result<Detail, ApiError> {
    state.throttle("password-reset-confirm", &client)?;
    let req = req?;
    let mut errors = FieldErrors::default();
    let token = key_hash(&errors.required("token", req.token));
    // The policy's "not like your email" rule needs the address the link is for.
    let email = match tables::password_resets::get(state.store(), &token)? {
        Some(reset) => tables::users::get(state.store(), reset.user_id)?.map(|u| u.email),
        None => None,
    };
    let password = new_password_field(&mut errors, req.password, &email.unwrap_or_default());
    errors.finish()?;
    let password_hash = blocking(move || hash_password(&password)).await?;
    state
        .actors
        .accounts(|reply| AccountsMsg::ResetPassword {
            token,
            password_hash,
            reply,
        })
        .await?;
    Ok(Detail::new(
        "Your password is changed. Sign in with the new one.",
    ))
}
