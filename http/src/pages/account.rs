//! Getting in and out: sign in, register, confirm the address, accept an invitation,
//! forgotten password, switch organization, sign out. Each write is the API's handler
//! (the same rules, rate limits and answers); the page adds the session cookie.

use std::net::SocketAddr;

use certwatch_actors::{AccessMsg, AccountsMsg};
use certwatch_store::engine::secrets::key_hash;
use certwatch_store::ops::invitations;
use certwatch_store::tables;
use chrono::Utc;
use maud::{Markup, html};
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use super::call;
use super::form::{Errors, Form, csrf_field, error_summary, field_errors, form, required};
use super::layout::{self, notice};
use super::reply::{PageError, PageResult, done, local_path, redirect};
use super::session::{Session, session};
use crate::error::ApiError;
use crate::extract::{Query, client_addr, query};
use crate::routes::{accounts, invitations as invitation_routes, password_reset, tokens};
use crate::state::{State, with_state};

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let get = |path: &'static str| {
        warp::path(path)
            .and(warp::path::end())
            .and(warp::get())
            .and(with_state(state))
            .and(session(state))
            .and(query())
    };
    let post = |path: &'static str| {
        warp::path(path)
            .and(warp::path::end())
            .and(warp::post())
            .and(with_state(state))
            .and(session(state))
            .and(client_addr())
            .and(form())
    };
    get("signin")
        .then(sign_in_page)
        .map(done)
        .or(post("signin").then(sign_in).map(done))
        .unify()
        .or(get("register").then(register_page).map(done))
        .unify()
        .or(post("register").then(register).map(done))
        .unify()
        .or(get("verify-email").then(verify_page).map(done))
        .unify()
        .or(post("verify-email").then(verify).map(done))
        .unify()
        .or(get("invite").then(invite_page).map(done))
        .unify()
        .or(post("invite").then(accept).map(done))
        .unify()
        .or(get("forgot-password").then(forgot_page).map(done))
        .unify()
        .or(post("forgot-password").then(forgot).map(done))
        .unify()
        .or(get("reset-password").then(reset_page).map(done))
        .unify()
        .or(post("reset-password").then(reset).map(done))
        .unify()
        .or(post("signout").then(sign_out).map(done))
        .unify()
        .or(post("switch-tenant").then(switch_tenant).map(done))
        .unify()
        .boxed()
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

async fn sign_in(
    state: State,
    session: Session,
    peer: Option<SocketAddr>,
    forwarded_for: Option<String>,
    form: Form,
) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let next = local_path(Some(form.get("next")));
    let body = form.json(&["email", "password"], &[]);
    match call::value(accounts::login(state, peer, forwarded_for, body).await).await {
        Ok(answer) => {
            let mut response = redirect(&next);
            session.start(&mut response, call::text(&answer, "token"));
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
    Ok(layout::public(
        &session,
        StatusCode::OK,
        "Register",
        None,
        body,
    ))
}

async fn register(
    state: State,
    session: Session,
    peer: Option<SocketAddr>,
    forwarded_for: Option<String>,
    form: Form,
) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let body = form.json(&["email", "password", "organization_name"], &[]);
    match accounts::register(state, peer, forwarded_for, body).await {
        Ok(_) => Ok(redirect("/signin/?notice=registered")),
        Err(e) => {
            let errors = field_errors(e)?;
            let body = register_form(&session, &form, &errors);
            Ok(layout::public(
                &session,
                StatusCode::BAD_REQUEST,
                "Register",
                None,
                body,
            ))
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
    Ok(layout::public(
        &session,
        StatusCode::OK,
        "Confirm your address",
        None,
        body,
    ))
}

async fn verify(
    state: State,
    session: Session,
    _: Option<SocketAddr>,
    _: Option<String>,
    form: Form,
) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let token = key_hash(form.get("token"));
    let verified = state
        .actors
        .accounts(|reply| AccountsMsg::VerifyEmail { token, reply })
        .await;
    let user = match verified {
        Ok(user) => user,
        Err(e) => {
            let message = match ApiError::from(e) {
                ApiError::BadRequest(m) => m,
                other => return Err(other.into()),
            };
            let body = html! {
                p.errors role="alert" { (message) }
                p { "The link works once, for 24 hours. " a href="/signin/" { "Sign in" } " if you already confirmed." }
            };
            return Ok(layout::public(
                &session,
                StatusCode::BAD_REQUEST,
                "Confirm your address",
                None,
                body,
            ));
        }
    };
    if let Some(email) = signed_in(&state, &session)
        && form.get("then") != "switch"
    {
        let body = html! {
            p role="status" { "The address " strong { (user.email) } " is confirmed." }
            p { "You are still signed in as " (email) ". " a href="/" { "Go on" } }
        };
        return Ok(layout::public(
            &session,
            StatusCode::OK,
            "Address confirmed",
            None,
            body,
        ));
    }
    let tenant = tables::memberships::of_user(state.store(), user.id)?
        .into_iter()
        .max_by_key(|m| m.created_at)
        .map(|m| m.tenant_id)
        .ok_or(ApiError::NotFound)?;
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
    let (key, _) = state
        .actors
        .tenant(tenant, |reply| AccessMsg::IssueLoginToken {
            user_id,
            reply,
        })
        .await
        .map_err(ApiError::from)?;
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
fn token_password_form(
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
    let Some(invitation) = invitations::pending(state.store(), &key_hash(&token), Utc::now())?
    else {
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
    let tenant = tables::tenants::get(state.store(), invitation.tenant_id)?
        .map(|t| t.name)
        .unwrap_or_default();
    let heading = html! {
        p { "You are invited to join " strong { (tenant) } " as " (invitation.role.as_str()) ", as " (invitation.email) "." }
    };
    let body = invite_form(&session, &token, heading, &Errors::new());
    Ok(layout::public(
        &session,
        StatusCode::OK,
        "Invitation",
        None,
        body,
    ))
}

async fn accept(
    state: State,
    session: Session,
    peer: Option<SocketAddr>,
    forwarded_for: Option<String>,
    form: Form,
) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let body = form.json(&["token", "password"], &[]);
    let answer = invitation_routes::accept_invitation(state, peer, forwarded_for, body).await;
    match call::value(answer).await {
        Ok(answer) => {
            let mut response = redirect("/");
            session.start(&mut response, call::text(&answer, "auth_token"));
            Ok(response)
        }
        Err(e) => {
            let errors = field_errors(e)?;
            let body = invite_form(&session, form.get("token"), html! {}, &errors);
            Ok(layout::public(
                &session,
                StatusCode::BAD_REQUEST,
                "Invitation",
                None,
                body,
            ))
        }
    }
}

fn forgot_form(session: &Session, email: &str, errors: &Errors) -> Markup {
    html! {
        p { "Enter your address: we mail you a link to choose a new password." }
        form method="post" action="/forgot-password/" {
            (csrf_field(session))
            (error_summary(errors, &["email"]))
            (required("Email", "email", "email", email, errors))
            button type="submit" { "Send the link" }
        }
    }
}

async fn forgot_page(_: State, session: Session, _: Query) -> PageResult {
    let body = forgot_form(&session, "", &Errors::new());
    Ok(layout::public(
        &session,
        StatusCode::OK,
        "Forgot your password?",
        None,
        body,
    ))
}

async fn forgot(
    state: State,
    session: Session,
    peer: Option<SocketAddr>,
    forwarded_for: Option<String>,
    form: Form,
) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let body = form.json(&["email"], &[]);
    match password_reset::request_reset(state, peer, forwarded_for, body).await {
        Ok(_) => Ok(redirect("/signin/?notice=reset-sent")),
        Err(e) => {
            let errors = field_errors(e)?;
            let body = forgot_form(&session, form.get("email"), &errors);
            Ok(layout::public(
                &session,
                StatusCode::BAD_REQUEST,
                "Forgot your password?",
                None,
                body,
            ))
        }
    }
}

fn reset_form(session: &Session, token: &str, errors: &Errors) -> Markup {
    let label = "New password (at least 8 characters)";
    token_password_form(
        session,
        "/reset-password/",
        token,
        label,
        "Set the new password",
        errors,
    )
}

async fn reset_page(_: State, session: Session, q: Query) -> PageResult {
    let body = reset_form(&session, q.get("token").unwrap_or_default(), &Errors::new());
    Ok(layout::public(
        &session,
        StatusCode::OK,
        "Choose a new password",
        None,
        body,
    ))
}

async fn reset(
    state: State,
    session: Session,
    peer: Option<SocketAddr>,
    forwarded_for: Option<String>,
    form: Form,
) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let body = form.json(&["token", "password"], &[]);
    match password_reset::confirm_reset(state, peer, forwarded_for, body).await {
        Ok(_) => {
            // The reset ended every session, this browser's too.
            let mut response = redirect("/signin/?notice=password-changed");
            session.end(&mut response);
            Ok(response)
        }
        Err(e) => {
            let errors = field_errors(e)?;
            let body = reset_form(&session, form.get("token"), &errors);
            Ok(layout::public(
                &session,
                StatusCode::BAD_REQUEST,
                "Choose a new password",
                None,
                body,
            ))
        }
    }
}

async fn sign_out(
    state: State,
    session: Session,
    _: Option<SocketAddr>,
    _: Option<String>,
    form: Form,
) -> PageResult {
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
async fn switch_tenant(
    state: State,
    session: Session,
    _: Option<SocketAddr>,
    _: Option<String>,
    form: Form,
) -> PageResult {
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
