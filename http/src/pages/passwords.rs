//! A forgotten password: asking for a link by mail, and choosing a new password with it.
//! Both are the API's operations (the same rules, rate limits and answers).

use maud::{Markup, html};
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::account::token_password_form;
use super::form::{Errors, Form, csrf_field, error_summary, field_errors, form, required};
use super::layout;
use super::reply::{PageResult, redirect};
use super::session::Session;
use crate::extract::Client;
use crate::extract::{Query, client_addr, query};
use crate::route::any_of;
use crate::routes::password_reset;
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "forgot-password" => forgot_page, query()),
        page!(state, POST "forgot-password" => forgot, client_addr(), form()),
        page!(state, GET "reset-password" => reset_page, query()),
        page!(state, POST "reset-password" => reset, client_addr(), form()),
    ])
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
    Ok(layout::public_page(&session, "Forgot your password?", body))
}

async fn forgot(state: State, session: Session, client: Client, form: Form) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let body = form.request(&["email"]);
    match password_reset::request_reset(state, client, body).await {
        Ok(_) => Ok(redirect("/signin/?notice=reset-sent")),
        Err(e) => {
            let errors = field_errors(e)?;
            let body = forgot_form(&session, form.get("email"), &errors);
            Ok(layout::public_again(
                &session,
                "Forgot your password?",
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
    Ok(layout::public_page(&session, "Choose a new password", body))
}

async fn reset(state: State, session: Session, client: Client, form: Form) -> PageResult {
    session.check_csrf(Some(form.get("csrf")))?;
    let body = form.request(&["token", "password"]);
    match password_reset::confirm_reset(state, client, body).await {
        Ok(_) => {
            // The reset ended every session, this browser's too.
            let mut response = redirect("/signin/?notice=password-changed");
            session.end(&mut response);
            Ok(response)
        }
        Err(e) => {
            let errors = field_errors(e)?;
            let body = reset_form(&session, form.get("token"), &errors);
            Ok(layout::public_again(
                &session,
                "Choose a new password",
                body,
            ))
        }
    }
}
