//! Getting in and out: sign in, register, confirm the address, accept an invitation,
//! switch organization, sign out (a forgotten password is in `passwords`). Each write is
//! the API's operation (the same rules, rate limits and answers); the page adds the session
//! cookie.

use maud::{Markup, html};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use super::form::{Errors, Form, csrf_field, error_summary, field_errors, form, required};
use super::layout::{self, notice};
use super::reply::{PageError, PageResult, local_path, redirect};
use super::session::Session;
use crate::error::ApiError;
use crate::extract::Client;
use crate::extract::{Query, client_addr, query};
use crate::route::any_of;
use crate::routes::{accounts, invitations as invitation_routes, tokens};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "signin" => sign_in_page, query()),
        page!(state, POST "signin" => sign_in, client_addr(), form()),
        page!(state, GET "register" => register_page, query()),
        page!(state, POST "register" => register, client_addr(), form()),
        page!(state, GET "verify-email" => verify_page, query()),
        page!(state, POST "verify-email" => verify, client_addr(), form()),
        page!(state, GET "invite" => invite_page, query()),
        page!(state, POST "invite" => accept, client_addr(), form()),
        page!(state, POST "signout" => sign_out, client_addr(), form()),
        page!(state, POST "switch-tenant" => switch_tenant, client_addr(), form()),
    ])
}

fn sign_in_form(session: &Session, next: &str, email: &str, errors: &Errors) -> Markup {
    html! {
        form method="post" action="/signin/" {
            (csrf_field(session))
            input type="hidden" name="next" value=(next);
            (error_summary(errors, &["email", "password"]))
            (required("Email", "email", "email", email, errors))
            (required("Password", "password", "password", "", errors))
            button type="submit" { "Sign in" }
        }
        p { a href="/forgot-password/" { "Forgot your password?" } }
        p { "New here? " a href="/register/" { "Register your organization" } }
    }
}

async fn sign_in_page(_: State, session: Session, q: Query) -> PageResult {
    let next = local_path(q.get("next"));
    Ok(layout::public(
        &session,
        StatusCode::OK,
        "Sign in",
        notice(&q),
        sign_in_form(&session, &next, "", &Errors::new()),
    ))
}

async fn sign_in(state: State, session: Session, client: Client, form: Form) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let next = local_path(Some(form.get("next")));
    let body = form.request(&["email", "password"]);
    match accounts::login(state, client, body).await {
        Ok(answer) => {
            let mut response = redirect(&next);
            session.start(&mut response, &answer.token);
            Ok(response)
        }
        Err(ApiError::Forbidden(message)) => {
            let errors = Errors::from([("".to_string(), vec![message])]);
            Ok(sign_in_again(&session, &next, form.get("email"), &errors))
        }
        Err(e) => {
            let errors = field_errors(e)?;
            Ok(sign_in_again(&session, &next, form.get("email"), &errors))
        }
    }
}

fn sign_in_again(session: &Session, next: &str, email: &str, errors: &Errors) -> Response {
    layout::public(
        session,
        StatusCode::BAD_REQUEST,
        "Sign in",
        None,
        sign_in_form(session, next, email, errors),
    )
}

fn register_form(session: &Session, form: &Form, errors: &Errors) -> Markup {
    html! {
        p { "Register your organization. You become its first administrator." }
        form method="post" action="/register/" {
            (csrf_field(session))
            (error_summary(errors, &["organization_name", "email", "password"]))
            (required("Organization name", "organization_name", "text", form.get("organization_name"), errors))
            (required("Your email", "email", "email", form.get("email"), errors))
            (required("Password (at least 8 characters)", "password", "password", "", errors))
            button type="submit" { "Register" }
        }
        p { "Already registered? " a href="/signin/" { "Sign in" } }
    }
}

async fn register_page(_: State, session: Session, _: Query) -> PageResult {
    let body = register_form(&session, &Form::default(), &Errors::new());
    Ok(layout::public_page(&session, "Register", body))
}

async fn register(state: State, session: Session, client: Client, form: Form) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let body = form.request(&["email", "password", "organization_name"]);
    match accounts::register(state, client, body).await {
        Ok(_) => Ok(redirect("/signin/?notice=registered")),
        Err(e) => {
            let errors = field_errors(e)?;
            let body = register_form(&session, &form, &errors);
            Ok(layout::public_again(&session, "Register", body))
        }
    }
}

/// The link in the mail opens a page with one button: mail scanners that follow links
/// must not use up the token, so confirming is a POST.
/// Who is signed in on this browser, if anyone (a page open to everyone).
fn signed_in(state: &State, session: &Session) -> Option<String> {
    session.key()?;
    session.viewer(state, "/").ok().map(|v| v.email)
}

async fn verify_page(state: State, session: Session, q: Query) -> PageResult {
    let token = q.get("token").unwrap_or_default();
    // A link from a mail may be someone else's: it never swaps a signed-in browser into
    // another account unless the person says so here.
    let signed_in_as = signed_in(&state, &session);
    let body = html! {
        p { "Confirm your email address to start using CertWatch." }
        @if let Some(email) = &signed_in_as {
            p.notice role="status" {
                "This browser is signed in as " strong { (email) } ". Confirming the address keeps you signed in as "
                (email) ", unless you choose to switch to the confirmed account."
            }
        }
        form method="post" action="/verify-email/" {
            (csrf_field(&session))
            input type="hidden" name="token" value=(token);
            @if signed_in_as.is_some() {
                button type="submit" name="then" value="stay" { "Confirm and stay signed in" }
                " "
                button.secondary type="submit" name="then" value="switch" { "Confirm and switch to that account" }
            } @else {
                button type="submit" { "Confirm my address" }
            }
        }
    };
    Ok(layout::public_page(&session, "Confirm your address", body))
}

async fn verify(state: State, session: Session, _: Client, form: Form) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let user = match accounts::confirm_email(&state, form.get("token")).await {
        Ok(user) => user,
        Err(e) => {
            let message = match e {
                ApiError::BadRequest(m) => m,
                other => return Err(other.into()),
            };
            let body = html! {
                p.errors role="alert" { (message) }
                p { "The link works once, for 24 hours. " a href="/signin/" { "Sign in" } " if you already confirmed." }
            };
            return Ok(layout::public_again(&session, "Confirm your address", body));
        }
    };
    if let Some(email) = signed_in(&state, &session)
        && form.get("then") != "switch"
    {
        let body = html! {
            p role="status" { "The address " strong { (user.email) } " is confirmed." }
            p { "You are still signed in as " (email) ". " a href="/" { "Go on" } }
        };
        return Ok(layout::public_page(&session, "Address confirmed", body));
    }
    let tenant = accounts::latest_tenant(&state, user.id)?.ok_or(ApiError::NotFound)?;
    sign_in_to(&state, &session, tenant, user.id, "/").await
}

/// Issues a login token in `tenant` and signs the browser in with it.
async fn sign_in_to(
    state: &State,
    session: &Session,
    tenant: Uuid,
    user_id: Uuid,
    next: &str,
) -> PageResult {
    let key = accounts::issue_login_token(state, user_id, tenant).await?;
    let mut response = redirect(next);
    session.start(&mut response, &key);
    Ok(response)
}

fn invite_form(session: &Session, token: &str, heading: Markup, errors: &Errors) -> Markup {
    let label =
        "Password: choose one (at least 8 characters), or enter the one of your CertWatch account";
    html! {
        (heading)
        (token_password_form(session, "/invite/", token, label, "Accept the invitation", errors))
    }
}

/// A form that sends a mailed token with a password (accepting an invitation, choosing a
/// new password).
pub(super) fn token_password_form(
    session: &Session,
    action: &str,
    token: &str,
    label: &str,
    submit: &str,
    errors: &Errors,
) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf_field(session))
            input type="hidden" name="token" value=(token);
            (error_summary(errors, &["password"]))
            (required(label, "password", "password", "", errors))
            button type="submit" { (submit) }
        }
    }
}

async fn invite_page(state: State, session: Session, q: Query) -> PageResult {
    let token = q.get("token").unwrap_or_default().to_string();
    let Some((invitation, tenant)) = invitation_routes::open_invitation(&state, &token)? else {
        let body = html! {
            p.errors role="alert" { "This invitation is not valid any more: it was used, revoked or has expired. Ask for a new one." }
        };
        return Ok(layout::public(
            &session,
            StatusCode::NOT_FOUND,
            "Invitation",
            None,
            body,
        ));
    };
    let heading = html! {
        p { "You are invited to join " strong { (tenant) } " as " (invitation.role.as_str()) ", as " (invitation.email) "." }
    };
    let body = invite_form(&session, &token, heading, &Errors::new());
    Ok(layout::public_page(&session, "Invitation", body))
}

async fn accept(state: State, session: Session, client: Client, form: Form) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let body = form.request(&["token", "password"]);
    match invitation_routes::accept_invitation(state, client, body).await {
        Ok(answer) => {
            let mut response = redirect("/");
            session.start(&mut response, &answer.auth_token);
            Ok(response)
        }
        Err(e) => {
            let errors = field_errors(e)?;
            let body = invite_form(&session, form.get("token"), html! {}, &errors);
            Ok(layout::public_again(&session, "Invitation", body))
        }
    }
}

async fn sign_out(state: State, session: Session, _: Client, form: Form) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    if let (Ok(viewer), Some(key)) = (session.viewer(&state, "/"), session.key()) {
        tokens::revoke_token(key.to_string(), state.clone(), viewer.caller).await?;
    }
    let mut response = redirect("/signin/?notice=signed-out");
    session.end(&mut response);
    Ok(response)
}

/// Signs in to another of the person's organizations: a login token there, and the
/// current one revoked.
async fn switch_tenant(state: State, session: Session, _: Client, form: Form) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let viewer = session.viewer(&state, "/")?;
    let target: Uuid = form
        .get("tenant_id")
        .parse()
        .map_err(|_| PageError::Api(ApiError::NotFound))?;
    if !viewer.tenants.iter().any(|(id, _)| *id == target) {
        return Err(ApiError::NotFound.into());
    }
    let user_id = viewer.caller.user_id;
    let response = sign_in_to(&state, &session, target, user_id, "/").await?;
    if let Some(key) = session.key() {
        tokens::revoke_token(key.to_string(), state.clone(), viewer.caller).await?;
    }
    Ok(response)
}
