//! Organization admin: members and roles, invitations, integration `cw_` keys; and, for
//! everyone, personal API tokens and the monitored pages. The API's role rules apply: a
//! member gets 403 from every admin handler, so from every admin page.

use std::future::Future;

use maud::{Markup, html};
use serde_json::{Value, json};
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::call::{self, text};
use super::form::{Form, csrf_field, form, json_body, yes_no_form};
use super::layout::{self, Section, notice};
use super::lists::{api_query, pager};
use super::reply::{PageResult, done, redirect};
use super::session::{Session, session};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::routes::{api_keys, invitations, members, monitoring, notifications, tenant, tokens};
use crate::state::{State, with_state};

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let get = || {
        warp::get()
            .and(with_state(state))
            .and(session(state))
            .and(query())
    };
    let post = || {
        warp::post()
            .and(with_state(state))
            .and(session(state))
            .and(form())
    };
    warp::path!("admin")
        .and(get())
        .then(admin)
        .map(done)
        .or(warp::path!("admin" / "members" / Uuid / "role")
            .and(post())
            .then(set_role)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "members" / Uuid / "remove")
            .and(post())
            .then(remove_member)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "invitations")
            .and(post())
            .then(invite)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "invitations" / Uuid / "revoke")
            .and(post())
            .then(revoke_invitation)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "api-keys")
            .and(get())
            .then(keys)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "api-keys")
            .and(post())
            .then(create_key)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "api-keys" / Uuid / "delete")
            .and(post())
            .then(delete_key)
            .map(done))
        .unify()
        .or(warp::path!("tokens").and(get()).then(token_list).map(done))
        .unify()
        .or(warp::path!("tokens")
            .and(post())
            .then(create_token)
            .map(done))
        .unify()
        .or(warp::path!("tokens" / Uuid / "revoke")
            .and(post())
            .then(revoke_token)
            .map(done))
        .unify()
        .or(warp::path!("monitoring")
            .and(get())
            .then(monitored)
            .map(done))
        .unify()
        .or(warp::path!("monitoring" / Uuid / "check")
            .and(post())
            .then(check_now)
            .map(done))
        .unify()
        .or(warp::path!("monitoring" / Uuid / "active")
            .and(post())
            .then(set_active)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "settings")
            .and(post())
            .then(set_listing)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "digest")
            .and(post())
            .then(set_digest)
            .map(done))
        .unify()
        .or(warp::path!("notifications")
            .and(post())
            .then(set_notifications)
            .map(done))
        .unify()
        .boxed()
}

/// A write from a button: the API handler `run`, then back to `back` with a notice.
pub async fn act<F, Fut>(
    state: State,
    session: Session,
    form: &Form,
    back: &str,
    notice: &str,
    run: F,
) -> PageResult
where
    F: FnOnce(State, Caller) -> Fut,
    Fut: Future<Output = Result<Response, ApiError>>,
{
    let viewer = session.viewer(&state, back)?;
    session.check_csrf(Some(form.get("csrf")))?;
    run(state, viewer.caller).await?;
    Ok(redirect(&format!("{back}?notice={notice}")))
}

/// A small form with one button.
pub fn button(session: &Session, action: &str, label: &str, danger: bool) -> Markup {
    html! {
        form method="post" action=(action) {
            (csrf_field(session))
            button.danger[danger] type="submit" { (label) }
        }
    }
}

fn role_options(current: &str) -> Markup {
    html! { @for r in ["member", "admin"] { option value=(r) selected[r == current] { (r) } } }
}

async fn admin(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/admin/")?;
    viewer.admin()?;
    let caller = &viewer.caller;
    let all = call::query(&Query::default(), &[("page_size", "500".into())]);
    let people =
        call::value(members::list_members(state.clone(), caller.clone(), all.clone()).await)
            .await?;
    let pending =
        call::value(invitations::list_invitations(state.clone(), caller.clone(), all).await)
            .await?;
    let settings = call::value(tenant::get_tenant(state.clone(), caller.clone()).await).await?;
    let listed = settings.get("public_listing") == Some(&Value::Bool(true));
    let frequency = text(&settings, "digest_frequency");
    let windows: Vec<String> = settings["expiry_windows"]
        .as_array()
        .map(|w| w.iter().map(Value::to_string).collect())
        .unwrap_or_default();
    let body = html! {
        nav.actions aria-label="Admin" {
            a href="/admin/" aria-current="page" { "Members" }
            a href="/admin/api-keys/" { "Integration keys" }
            a href="/admin/webhooks/" { "Webhooks" }
            a href="/monitoring/" { "Monitoring" }
        }
        h2 { "Public certificate search" }
        (yes_no_form(&session, "/admin/settings/", "public_listing", "Anyone may look up this organization's certificates by number", listed))
        h2 { "Expiry digest" }
        p { "A mail to admins, and to members who ask for it, of certificates entering an expiry window, newly expired ones, monitoring that keeps failing and failed webhook deliveries. Each certificate is announced once per window." }
        form method="post" action="/admin/digest/" {
            (csrf_field(&session))
            div.field {
                label for="digest_frequency" { "How often" }
                select id="digest_frequency" name="digest_frequency" {
                    @for (value, label) in [("daily", "Daily"), ("weekly", "Weekly"), ("off", "Never")] {
                        option value=(value) selected[frequency == value] { (label) }
                    }
                }
            }
            div.field {
                label for="expiry_windows" { "Windows, in days before expiry (up to 5, comma-separated)" }
                input id="expiry_windows" name="expiry_windows" type="text" required value=(windows.join(", "));
            }
            button type="submit" { "Save" }
        }
        h2 { "Members" }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Joined" } th scope="col" { "Remove" } } }
            tbody { @for m in call::items(&people) {
                @let id = text(m, "id");
                tr {
                    td { (text(m, "email")) }
                    td {
                        form.actions method="post" action={ "/admin/members/" (id) "/role/" } {
                            (csrf_field(&session))
                            label for={ "role-" (id) } { "Role of " (text(m, "email")) }
                            select id={ "role-" (id) } name="role" { (role_options(text(m, "role"))) }
                            button type="submit" { "Change" }
                        }
                    }
                    td { (call::moment(m, "joined_at")) }
                    td { (button(&session, &format!("/admin/members/{id}/remove/"), "Remove", true)) }
                }
            } }
        } }
        h2 { "Invite someone" }
        form method="post" action="/admin/invitations/" {
            (csrf_field(&session))
            div.field { label for="invite-email" { "Email" } input id="invite-email" name="email" type="email" required; }
            div.field { label for="invite-role" { "Role" } select id="invite-role" name="role" { (role_options("member")) } }
            button type="submit" { "Send the invitation" }
        }
        h2 { "Invitations" }
        @if call::items(&pending).is_empty() { p { "None." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" { "Expires" } th scope="col" { "Revoke" } } }
                tbody { @for i in call::items(&pending) { tr {
                    td { (text(i, "email")) } td { (text(i, "role")) } td { (text(i, "status")) } td { (call::moment(i, "expires_at")) }
                    td { @if text(i, "status") == "pending" {
                        (button(&session, &format!("/admin/invitations/{}/revoke/", text(i, "invitation_id")), "Revoke", true))
                    } }
                } } }
            } }
        }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Admin,
        "Members and invitations",
        notice(&q),
        body,
    ))
}

async fn set_listing(state: State, session: Session, form: Form) -> PageResult {
    let body = json_body(json!({ "public_listing": form.get("public_listing") == "true" }));
    act(state, session, &form, "/admin/", "saved", |s, c| {
        tenant::patch_tenant(s, c, body)
    })
    .await
}

async fn set_digest(state: State, session: Session, form: Form) -> PageResult {
    // Numbers go as numbers; anything else goes as typed, for the API to name the field.
    let windows: Vec<Value> = form
        .get("expiry_windows")
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| w.parse::<i64>().map_or_else(|_| json!(w), |n| json!(n)))
        .collect();
    let body = json_body(json!({
        "digest_frequency": form.get("digest_frequency"),
        "expiry_windows": windows,
    }));
    act(state, session, &form, "/admin/", "saved", |s, c| {
        tenant::patch_tenant(s, c, body)
    })
    .await
}

async fn set_role(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let body = json_body(json!({ "role": form.get("role") }));
    act(state, session, &form, "/admin/", "saved", |s, c| {
        members::update_member(id, s, c, body)
    })
    .await
}

async fn remove_member(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(state, session, &form, "/admin/", "deleted", |s, c| {
        members::delete_member(id, s, c)
    })
    .await
}

async fn invite(state: State, session: Session, form: Form) -> PageResult {
    let body = form.json(&["email", "role"], &[]);
    act(state, session, &form, "/admin/", "invited", |s, c| {
        invitations::create_invitation(s, c, body)
    })
    .await
}

async fn revoke_invitation(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(state, session, &form, "/admin/", "revoked", |s, c| {
        invitations::revoke_invitation(id, s, c)
    })
    .await
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
    created: Option<&Value>,
) -> PageResult {
    let viewer = session.viewer(state, "/admin/api-keys/")?;
    viewer.admin()?;
    let list = call::value(
        api_keys::list_api_keys(state.clone(), viewer.caller.clone(), api_query(q)).await,
    )
    .await?;
    let body = html! {
        @if let Some(created) = created { (shown_once("integration key", text(created, "key"))) }
        p { "Integration keys (" code { "cw_…" } ") read certificates through " code { "/api/v1/" } "." }
        form method="post" action="/admin/api-keys/" {
            (csrf_field(session))
            div.field { label for="key-name" { "Name" } input id="key-name" name="name" type="text" required maxlength="100"; }
            button type="submit" { "Create a key" }
        }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Key starts" } th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "Delete" } } }
            tbody { @for k in call::items(&list) { tr {
                td { (text(k, "name")) } td { code { (text(k, "prefix")) } } td { (call::moment(k, "created_at")) } td { (call::moment(k, "last_used_at")) }
                td { (button(session, &format!("/admin/api-keys/{}/delete/", text(k, "id")), "Delete", true)) }
            } } }
        } }
        (pager("/admin/api-keys/", q, &list))
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
    let created = call::value(
        api_keys::create_api_key(state.clone(), viewer.caller, form.json(&["name"], &[])).await,
    )
    .await?;
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
    created: Option<&Value>,
) -> PageResult {
    let viewer = session.viewer(state, "/tokens/")?;
    let list =
        call::value(tokens::list_tokens(state.clone(), viewer.caller.clone(), api_query(q)).await)
            .await?;
    let mine =
        call::value(notifications::get_notifications(state.clone(), viewer.caller.clone()).await)
            .await?;
    let asked = mine["expiry_digest"] == Value::Bool(true);
    let body = html! {
        @if let Some(created) = created { (shown_once("API token", text(created, "key"))) }
        h2 { "Expiry digest" }
        @if viewer.is_admin() {
            p { "As an admin you get the expiry digest; its settings are on the Admin page." }
        } @else {
            (yes_no_form(session, "/notifications/", "expiry_digest", "Mail me the expiry digest", asked))
        }
        h2 { "Personal tokens" }
        p { "Personal tokens call the API as you: " code { "Authorization: Token <key>" } ". Sign-in sessions are listed too." }
        form method="post" action="/tokens/" {
            (csrf_field(session))
            div.field { label for="token-name" { "Name" } input id="token-name" name="name" type="text" required maxlength="100"; }
            button type="submit" { "Create a token" }
        }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Name" } th scope="col" { "Kind" } th scope="col" { "Starts" } th scope="col" { "Expires" } th scope="col" { "Revoke" } } }
            tbody { @for t in call::items(&list) { tr {
                td { (text(t, "name")) } td { (text(t, "kind")) } td { code { (text(t, "prefix")) } } td { (call::moment(t, "expires_at")) }
                td { (button(session, &format!("/tokens/{}/revoke/", text(t, "id")), "Revoke", true)) }
            } } }
        } }
        (pager("/tokens/", q, &list))
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
    let body = json_body(json!({ "expiry_digest": form.get("expiry_digest") == "true" }));
    act(state, session, &form, "/tokens/", "saved", |s, c| {
        notifications::put_notifications(s, c, body)
    })
    .await
}

async fn token_list(state: State, session: Session, q: Query) -> PageResult {
    tokens_page(&state, &session, &q, None).await
}

async fn create_token(state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, "/tokens/")?;
    session.check_csrf(Some(form.get("csrf")))?;
    let created = call::value(
        tokens::create_token(state.clone(), viewer.caller, form.json(&["name"], &[])).await,
    )
    .await?;
    tokens_page(&state, &session, &Query::default(), Some(&created)).await
}

async fn revoke_token(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(state, session, &form, "/tokens/", "revoked", |s, c| {
        tokens::revoke_token(id.to_string(), s, c)
    })
    .await
}

async fn monitored(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/monitoring/")?;
    let list = call::value(
        monitoring::endpoints::list_endpoints(state.clone(), viewer.caller.clone(), api_query(&q))
            .await,
    )
    .await?;
    let body = html! {
        form.filters method="get" action="/monitoring/" role="search" {
            div.field { label for="search" { "Search URL or supplier" } input id="search" name="search" type="search" value=(q.get("search").unwrap_or_default()); }
            div.field { label for="failing" { "Only failing" }
                select id="failing" name="failing" { option value="" { "No" } option value="true" selected[q.get("failing") == Some("true")] { "Yes" } } }
            button type="submit" { "Filter" }
        }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Page" } th scope="col" { "Supplier" } th scope="col" { "Last checked" } th scope="col" { "Failures in a row" } th scope="col" { "Last error" } th scope="col" { "Check now" } th scope="col" { "Watching" } } }
            tbody { @for e in call::items(&list) { tr {
                td { (text(e, "url")) }
                td { a href={ "/suppliers/" (text(e, "organization_id")) "/" } { (text(e, "organization_name")) } }
                td { (call::moment(e, "last_checked")) }
                td { (call::count(e, "consecutive_failures")) }
                td { (text(e, "last_error")) }
                td { (button(&session, &format!("/monitoring/{}/check/", text(e, "id")), "Check now", false)) }
                td {
                    @let active = e.get("is_active") == Some(&Value::Bool(true));
                    form method="post" action={ "/monitoring/" (text(e, "id")) "/active/" } {
                        (csrf_field(&session))
                        input type="hidden" name="is_active" value=(if active { "false" } else { "true" });
                        button.secondary type="submit" { (if active { "Pause" } else { "Resume" }) }
                    }
                }
            } } }
        } }
        (pager("/monitoring/", &q, &list))
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Suppliers,
        "Monitored pages",
        notice(&q),
        body,
    ))
}

async fn set_active(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let body = json_body(json!({ "is_active": form.get("is_active") == "true" }));
    act(state, session, &form, "/monitoring/", "saved", |s, c| {
        monitoring::endpoints::patch_endpoint(id, s, c, body)
    })
    .await
}

async fn check_now(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(
        state,
        session,
        &form,
        "/monitoring/",
        "triggered",
        |s, c| monitoring::endpoints::trigger_scrape(id, s, c),
    )
    .await
}
