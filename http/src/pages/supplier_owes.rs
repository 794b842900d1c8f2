//! What a supplier owes, on its page: the state of each requirement with a button to ask
//! for it, its contacts (who requests are mailed to), and its requests.

use maud::{Markup, html};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::call;
use super::form::{Form, csrf_field, form};
use super::reply::PageResult;
use super::requests::{ask_form, request_rows, type_names};
use super::requirements::add_form;
use super::session::Session;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Query;
use crate::route::any_of;
use crate::routes::{certificate_requests, compliance, contacts};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, POST "suppliers" / Uuid / "contacts" => add_contact, form()),
        page!(state, POST "suppliers" / Uuid / "contacts" / Uuid / "delete" => delete_contact, form()),
    ])
}

/// The supplier's compliance, contacts and requests.
pub async fn sections(
    state: &State,
    session: &Session,
    caller: &Caller,
    org: Uuid,
) -> Result<Markup, ApiError> {
    let c = compliance::get_compliance(org, state.clone(), caller.clone()).await?;
    let all = call::query(&Query::default(), &[("page_size", "100".into())]);
    let people = contacts::list_contacts(org, state.clone(), caller.clone(), all).await?;
    let of_org = call::query(
        &Query::default(),
        &[
            ("organization", org.to_string()),
            ("page_size", "20".into()),
        ],
    );
    let requests =
        certificate_requests::list_requests(state.clone(), caller.clone(), of_org).await?;
    let mut types: Vec<(Uuid, String)> = type_names(state, caller).await?.into_iter().collect();
    types.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(html! {
        h2 { "Compliance: " span class={ "state-" (c.state) } { (c.state) } }
        @if !c.can_be_asked && c.state != "valid" {
            p.notice role="status" { "This supplier cannot be asked: no contact receives requests." }
        }
        @if c.requirements.is_empty() { p { "Nothing is required of this supplier." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Required" } th scope="col" { "State" } th scope="col" { "Expires" } th scope="col" { "Request" } } }
                tbody { @for r in &c.requirements { tr {
                    td { (r.certificate_type.name) }
                    td class={ "state-" (r.state) } { (r.state) }
                    td { (call::day(r.expiry_date)) }
                    td {
                        @if let Some(open) = r.open_request { a href={ "/requests/" (open) "/" } { "open" } }
                        @else if c.can_be_asked { (ask_form(session, org, r.certificate_type.id, "Ask for it")) }
                    }
                } } }
            } }
        }
        details {
            summary { "Require a certificate of this supplier" }
            (add_form(session, &types, Some(org)))
        }
        h2 { "Contacts" }
        @if people.results.is_empty() { p { "No contacts." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Language" } th scope="col" { "Gets requests" } th scope="col" { "Delete" } } }
                tbody { @for p in &people.results { tr {
                    td { (p.name) } td { (p.email) } td { (p.language) }
                    td { @if p.receives_requests { "yes" } @else { "no" } }
                    td { (button(session, &format!("/suppliers/{org}/contacts/{}/delete/", p.id), "Delete", true)) }
                } } }
            } }
        }
        form method="post" action={ "/suppliers/" (org) "/contacts/" } {
            (csrf_field(session))
            div.field { label for="contact-name" { "Name" } input id="contact-name" name="name" type="text" maxlength="200"; }
            div.field { label for="contact-email" { "Email" } input id="contact-email" name="email" type="email" required; }
            div.field { label for="contact-language" { "Language of the mails" }
                select id="contact-language" name="language" {
                    option value="en" { "English" } option value="de" { "Deutsch" } option value="fr" { "Français" }
                } }
            button type="submit" { "Add the contact" }
        }
        h2 { "Requests" }
        (request_rows(state, caller, &requests.results).await?)
    })
}

async fn add_contact(org: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let write = form.write(&["name", "email", "language"], &[]);
    let back = format!("/suppliers/{org}/");
    act(state, session, &form, &back, "saved", |s, c| {
        contacts::create_contact(org, s, c, write)
    })
    .await
}

async fn delete_contact(
    org: Uuid,
    id: Uuid,
    state: State,
    session: Session,
    form: Form,
) -> PageResult {
    let back = format!("/suppliers/{org}/");
    act(state, session, &form, &back, "deleted", |s, c| {
        contacts::delete_contact(org, id, s, c)
    })
    .await
}
