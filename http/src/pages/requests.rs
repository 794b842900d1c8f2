//! Certificate requests: the list (by status), a request with its mail history, resend and
//! cancel, and asking a supplier from its page.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use maud::{Markup, html};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::call;
use super::form::{Form, csrf_field, form};
use super::layout::{self, Section, notice};
use super::lists::{self, api_query, pager};
use super::reply::{PageResult, redirect};
use super::session::Session;
use crate::auth::Caller;
use crate::crud;
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::route::any_of;
use crate::routes::certificate_requests::{self, CertificateRequestView};
use crate::routes::certificate_types;
use crate::routes::organizations::Organizations;
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "requests" => list, query()),
        page!(state, POST "requests" => ask, form()),
        page!(state, GET "requests" / Uuid => detail, query()),
        page!(state, POST "requests" / Uuid / "resend" => resend, form()),
        page!(state, POST "requests" / Uuid / "cancel" => cancel, form()),
    ])
}

/// The tenant's certificate types by id: their names.
pub async fn type_names(state: &State, caller: &Caller) -> Result<HashMap<Uuid, String>, ApiError> {
    let all = call::query(&Query::default(), &[("page_size", "500".into())]);
    let types = certificate_types::list_types(state.clone(), caller.clone(), all).await?;
    Ok(types.results.into_iter().map(|t| (t.id, t.name)).collect())
}

/// Requests as a table: supplier, type, status, last mail.
pub async fn request_rows(
    state: &State,
    caller: &Caller,
    requests: &[CertificateRequestView],
) -> Result<Markup, ApiError> {
    let types = type_names(state, caller).await?;
    let mut suppliers = HashMap::new();
    for r in requests {
        if let Entry::Vacant(slot) = suppliers.entry(r.organization) {
            let name = crud::get::<Organizations>(state, caller, r.organization)
                .await
                .map_or_else(|_| "(deleted)".to_string(), |o| o.name);
            slot.insert(name);
        }
    }
    Ok(html! {
        @if requests.is_empty() { p { "None." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Supplier" } th scope="col" { "Certificate" } th scope="col" { "Status" }
                    th scope="col" { "Opened" } th scope="col" { "Last mail" } } }
                tbody { @for r in requests { tr {
                    td { a href={ "/suppliers/" (r.organization) "/" } { (suppliers.get(&r.organization).map_or("", String::as_str)) } }
                    td { a href={ "/requests/" (r.id) "/" } { (types.get(&r.certificate_type).map_or("", String::as_str)) } }
                    td class={ "status-" (r.status) } { (r.status) }
                    td { (call::moment(Some(r.created_at))) @if r.opened_by.is_none() { " (reminders)" } }
                    td { (call::moment(Some(r.last_mail_at))) }
                } } }
            } }
        }
    })
}

async fn list(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, &lists::link("/requests/", &q, &[]))?;
    let caller = &viewer.caller;
    let answer =
        certificate_requests::list_requests(state.clone(), caller.clone(), api_query(&q)).await?;
    let status = q.get("status").unwrap_or_default();
    let body = html! {
        p { "Requests ask a supplier's contacts for a certificate by mail, with a link to upload it without an account. "
            "The reminder pass opens them for what suppliers owe (" a href="/requirements/" { "requirements" } ") and reminds." }
        form.filters method="get" action="/requests/" {
            div.field { label for="status" { "Status" }
                select id="status" name="status" {
                    option value="" { "Any" }
                    @for s in ["open", "fulfilled", "cancelled", "expired"] {
                        option value=(s) selected[s == status] { (s) }
                    }
                } }
            button type="submit" { "Filter" }
        }
        (request_rows(&state, caller, &answer.results).await?)
        (pager("/requests/", &q, answer.count))
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Requests,
        "Requests",
        notice(&q),
        body,
    ))
}

async fn detail(id: Uuid, state: State, session: Session, q: Query) -> PageResult {
    let here = format!("/requests/{id}/");
    let viewer = session.viewer(&state, &here)?;
    let caller = &viewer.caller;
    let r = certificate_requests::get_request(id, state.clone(), caller.clone()).await?;
    let supplier = crud::get::<Organizations>(&state, caller, r.organization).await?;
    let types = type_names(&state, caller).await?;
    let type_name = types.get(&r.certificate_type).cloned().unwrap_or_default();
    let body = html! {
        dl.facts {
            dt { "Supplier" } dd { a href={ "/suppliers/" (r.organization) "/" } { (supplier.name) } }
            dt { "Certificate" } dd { (type_name) }
            dt { "Status" } dd class={ "status-" (r.status) } { (r.status) }
            dt { "Opened" } dd { (call::moment(Some(r.created_at))) @if r.opened_by.is_none() { " by the reminder pass" } }
            @if let Some(until) = r.link_expires_at { dt { "Link works until" } dd { (call::moment(Some(until))) } }
            @if let Some(cert) = r.fulfilled_by { dt { "Fulfilled by" } dd { a href={ "/certificates/" (cert) "/" } { "the certificate" } } }
            @if !r.message.is_empty() { dt { "Message" } dd { (r.message) } }
        }
        @if r.status == "open" {
            div.actions {
                (button(&session, &format!("/requests/{id}/resend/"), "Mail again", false))
                (button(&session, &format!("/requests/{id}/cancel/"), "Cancel the request", true))
            }
        }
        h2 { "Mails" }
        @let mails = r.mails.as_deref().unwrap_or_default();
        @if mails.is_empty() { p { "None." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "To" } th scope="col" { "Why" } } }
                tbody { @for m in mails { tr {
                    td { (call::moment(Some(m.at))) } td { (m.to) } td { (m.reason) }
                } } }
            } }
        }
    };
    let title = format!("Request: {type_name}");
    Ok(layout::page(
        &session,
        &viewer,
        Section::Requests,
        &title,
        notice(&q),
        body,
    ))
}

/// The form on a supplier's page that asks it for a certificate of `cert_type`.
pub fn ask_form(session: &Session, org: Uuid, cert_type: Uuid, label: &str) -> Markup {
    html! {
        form method="post" action="/requests/" {
            (csrf_field(session))
            input type="hidden" name="organization" value=(org);
            input type="hidden" name="certificate_type" value=(cert_type);
            button type="submit" { (label) }
        }
    }
}

async fn ask(state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, "/requests/")?;
    session.check_csrf(Some(form.get("csrf")))?;
    let write = form.request(&["organization", "certificate_type", "message"])?;
    let (view, _) = certificate_requests::open_request(&state, &viewer.caller, write).await?;
    Ok(redirect(&format!("/requests/{}/?notice=asked", view.id)))
}

async fn resend(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let back = format!("/requests/{id}/");
    act(state, session, &form, &back, "resent", |s, c| {
        certificate_requests::resend_request(id, s, c)
    })
    .await
}

async fn cancel(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let back = format!("/requests/{id}/");
    act(state, session, &form, &back, "cancelled", |s, c| {
        certificate_requests::cancel_request(id, s, c)
    })
    .await
}
