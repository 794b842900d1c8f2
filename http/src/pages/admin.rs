//! Organization admin: members and roles, invitations, public listing and the digest. The
//! API's role rules apply: a member gets 403 from every admin operation, so from every
//! admin page. Integration keys and personal tokens are in `keys`, monitored pages in
//! `monitored`.

use std::future::Future;

use maud::{Markup, html};
use serde_json::{Map, Value, json};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::call;
use super::form::{Form, csrf_field, form, yes_no_form};
use super::layout::{self, Section, notice};
use super::reply::{PageResult, redirect};
use super::session::Session;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::input::Write;
use crate::route::any_of;
use crate::routes::members::MemberUpdate;
use crate::routes::tenant::TenantSettings;
use crate::routes::{invitations, members, tenant};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "admin" => admin, query()),
        page!(state, POST "admin" / "members" / Uuid / "role" => set_role, form()),
        page!(state, POST "admin" / "members" / Uuid / "remove" => remove_member, form()),
        page!(state, POST "admin" / "invitations" => invite, form()),
        page!(state, POST "admin" / "invitations" / Uuid / "revoke" => revoke_invitation, form()),
        page!(state, POST "admin" / "settings" => set_listing, form()),
        page!(state, POST "admin" / "digest" => set_digest, form()),
    ])
}

/// A write from a button: the API handler `run`, then back to `back` with a notice.
pub async fn act<F, Fut, T>(
    state: State,
    session: Session,
    form: &Form,
    back: &str,
    notice: &str,
    run: F,
) -> PageResult
where
    F: FnOnce(State, Caller) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
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
    let people = members::list_members(state.clone(), caller.clone(), all.clone()).await?;
    let pending = invitations::list_invitations(state.clone(), caller.clone(), all).await?;
    let settings = tenant::get_tenant(state.clone(), caller.clone()).await?;
    let listed = settings.public_listing;
    let frequency = settings.digest_frequency.as_str();
    let windows: Vec<String> = settings
        .expiry_windows
        .iter()
        .map(ToString::to_string)
        .collect();
    let body = html! {
        nav.actions aria-label="Admin" {
            a href="/admin/" aria-current="page" { "Members" }
            a href="/admin/api-keys/" { "Integration keys" }
            a href="/admin/webhooks/" { "Webhooks" }
            a href="/admin/registers/" { "Registers" }
            a href="/admin/mail/" { "Mailboxes" }
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
            tbody { @for m in &people.results {
                @let id = m.id;
                tr {
                    td { (m.email) }
                    td {
                        form.actions method="post" action={ "/admin/members/" (id) "/role/" } {
                            (csrf_field(&session))
                            label for={ "role-" (id) } { "Role of " (m.email) }
                            select id={ "role-" (id) } name="role" { (role_options(&m.role)) }
                            button type="submit" { "Change" }
                        }
                    }
                    td { (call::moment(Some(m.joined_at))) }
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
        @if pending.results.is_empty() { p { "None." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Email" } th scope="col" { "Role" } th scope="col" { "Status" } th scope="col" { "Expires" } th scope="col" { "Revoke" } } }
                tbody { @for i in &pending.results { tr {
                    td { (i.email) } td { (i.role) } td { (i.status) } td { (call::moment(Some(i.expires_at))) }
                    td { @if i.status == "pending" {
                        (button(&session, &format!("/admin/invitations/{}/revoke/", i.invitation_id), "Revoke", true))
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
    let listed = Value::Bool(form.get("public_listing") == "true");
    let write =
        TenantSettings::from_fields(Map::from_iter([("public_listing".into(), listed)]), true);
    act(state, session, &form, "/admin/", "saved", |s, c| {
        tenant::patch_tenant(s, c, write)
    })
    .await
}

async fn set_digest(state: State, session: Session, form: Form) -> PageResult {
    let fields = Map::from_iter([
        (
            "digest_frequency".into(),
            json!(form.get("digest_frequency")),
        ),
        ("expiry_windows".into(), form.numbers("expiry_windows")),
    ]);
    let write = TenantSettings::from_fields(fields, true);
    act(state, session, &form, "/admin/", "saved", |s, c| {
        tenant::patch_tenant(s, c, write)
    })
    .await
}

async fn set_role(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let update = MemberUpdate {
        role: form.text("role"),
    };
    act(state, session, &form, "/admin/", "saved", |s, c| {
        members::update_member(id, s, c, Ok(update))
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
    let body = form.request(&["email", "role"]);
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
