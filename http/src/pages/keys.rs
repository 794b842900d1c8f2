//! Keys: the organization's integration `cw_` keys (admins), and everyone's personal API
//! tokens with their expiry-digest choice. A new key or token is shown once.

use maud::{Markup, html};
use serde_json::{Map, Value};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::call;
use super::form::{Form, csrf_field, form, yes_no_form};
use super::layout::{self, Section, notice};
use super::lists::{api_query, pager};
use super::reply::PageResult;
use super::session::Session;
use crate::extract::{Query, query};
use crate::input::Write;
use crate::route::any_of;
use crate::routes::api_keys::{self, ApiKeyCreated};
use crate::routes::notifications::{self, NotificationsWrite};
use crate::routes::tokens::{self, TokenCreated};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "admin" / "api-keys" => keys, query()),
        page!(state, POST "admin" / "api-keys" => create_key, form()),
        page!(state, POST "admin" / "api-keys" / Uuid / "delete" => delete_key, form()),
        page!(state, GET "tokens" => token_list, query()),
        page!(state, POST "tokens" => create_token, form()),
        page!(state, POST "tokens" / Uuid / "revoke" => revoke_token, form()),
        page!(state, POST "notifications" => set_notifications, form()),
    ])
}

/// The form that makes a key or a token: its name.
fn name_form(session: &Session, action: &str, id: &str, submit: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf_field(session))
            div.field { label for=(id) { "Name" } input id=(id) name="name" type="text" required maxlength="100"; }
            button type="submit" { (submit) }
        }
    }
}

/// A key shown once, right after it was made.
fn shown_once(what: &str, key: &str) -> Markup {
    html! {
        div.notice role="status" {
            p { "Your new " (what) ". Copy it now: it is not shown again." }
            p.secret { (key) }
        }
    }
}

async fn keys_page(
    state: &State,
    session: &Session,
    q: &Query,
    created: Option<&ApiKeyCreated>,
) -> PageResult {
    let viewer = session.viewer(state, "/admin/api-keys/")?;
    viewer.admin()?;
    let list = api_keys::list_api_keys(state.clone(), viewer.caller.clone(), api_query(q)).await?;
    let body = html! {
        @if let Some(created) = created { (shown_once("integration key", &created.key)) }
        p { "Integration keys (" code { "cw_…" } ") read certificates through " code { "/api/v1/" } "." }
        (name_form(session, "/admin/api-keys/", "key-name", "Create a key"))
        div.table-wrap { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Key starts" } th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "Delete" } } }
            tbody { @for k in &list.results { tr {
                td { (k.name) } td { code { (k.prefix) } } td { (call::moment(Some(k.created_at))) } td { (call::moment(k.last_used_at)) }
                td { (button(session, &format!("/admin/api-keys/{}/delete/", k.id), "Delete", true)) }
            } } }
        } }
        (pager("/admin/api-keys/", q, list.count))
    };
    Ok(layout::page(
        session,
        &viewer,
        Section::Admin,
        "Integration keys",
        notice(q),
        body,
    ))
}

async fn keys(state: State, session: Session, q: Query) -> PageResult {
    keys_page(&state, &session, &q, None).await
}

async fn create_key(state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, "/admin/api-keys/")?;
    session.check_csrf(Some(form.get("csrf")))?;
    let write = form.write(&["name"], &[]);
    let created = api_keys::create_api_key(state.clone(), viewer.caller, write).await?;
    keys_page(&state, &session, &Query::default(), Some(&created)).await
}

async fn delete_key(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(
        state,
        session,
        &form,
        "/admin/api-keys/",
        "deleted",
        |s, c| api_keys::delete_api_key(id, s, c),
    )
    .await
}

async fn tokens_page(
    state: &State,
    session: &Session,
    q: &Query,
    created: Option<&TokenCreated>,
) -> PageResult {
    let viewer = session.viewer(state, "/tokens/")?;
    let list = tokens::list_tokens(state.clone(), viewer.caller.clone(), api_query(q)).await?;
    let mine = notifications::get_notifications(state.clone(), viewer.caller.clone()).await?;
    let asked = mine.expiry_digest;
    let body = html! {
        @if let Some(created) = created { (shown_once("API token", &created.key)) }
        h2 { "Expiry digest" }
        @if viewer.is_admin() {
            p { "As an admin you get the expiry digest; its settings are on the Admin page." }
        } @else {
            (yes_no_form(session, "/notifications/", "expiry_digest", "Mail me the expiry digest", asked))
        }
        h2 { "Personal tokens" }
        p { "Personal tokens call the API as you: " code { "Authorization: Token <key>" } ". Sign-in sessions are listed too." }
        (name_form(session, "/tokens/", "token-name", "Create a token"))
        div.table-wrap { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Starts" } th scope="col" { "Expires" } th scope="col" { "Revoke" } } }
            tbody { @for t in &list.results { tr {
                td { (t.name) } td { (t.kind) } td { code { (t.prefix) } } td { (call::moment(t.expires_at)) }
                td { (button(session, &format!("/tokens/{}/revoke/", t.id), "Revoke", true)) }
            } } }
        } }
        (pager("/tokens/", q, list.count))
    };
    let section = if viewer.is_admin() {
        Section::Admin
    } else {
        Section::Dashboard
    };
    Ok(layout::page(
        session,
        &viewer,
        section,
        "API tokens",
        notice(q),
        body,
    ))
}

async fn set_notifications(state: State, session: Session, form: Form) -> PageResult {
    let asked = Value::Bool(form.get("expiry_digest") == "true");
    let write =
        NotificationsWrite::from_fields(Map::from_iter([("expiry_digest".into(), asked)]), false);
    act(state, session, &form, "/tokens/", "saved", |s, c| {
        notifications::put_notifications(s, c, write)
    })
    .await
}

async fn token_list(state: State, session: Session, q: Query) -> PageResult {
    tokens_page(&state, &session, &q, None).await
}

async fn create_token(state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, "/tokens/")?;
    session.check_csrf(Some(form.get("csrf")))?;
    let request = form.request(&["name"]);
    let created = tokens::create_token(state.clone(), viewer.caller, request).await?;
    tokens_page(&state, &session, &Query::default(), Some(&created)).await
}

async fn revoke_token(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(state, session, &form, "/tokens/", "revoked", |s, c| {
        tokens::revoke_token(id.to_string(), s, c)
    })
    .await
}
