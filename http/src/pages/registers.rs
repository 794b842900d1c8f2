//! The registers, for admins: each provider's key (never shown again), whether it is
//! asked, the monthly credit budget, and why its checks stopped; the registers without an
//! API with their lookup pages. A certificate's own checks are on its page
//! (`certificates`).

use maud::{Markup, html};
use serde_json::{Map, Value};
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::call;
use super::form::{Form, csrf_field, form};
use super::layout::{self, Section, notice};
use super::reply::{PageResult, redirect};
use super::session::Session;
use crate::extract::{Query, query};
use crate::input::Write;
use crate::route::any_of;
use crate::routes::status_providers::{self, StatusProviderView, StatusProviderWrite};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "admin" / "registers" => registers, query()),
        page!(state, POST "admin" / "registers" / String => save, form()),
        page!(state, POST "admin" / "registers" / String / "remove" => remove, form()),
    ])
}

const BACK: &str = "/admin/registers/";

fn provider_form(session: &Session, p: &StatusProviderView) -> Markup {
    let id = &p.provider;
    html! {
        form method="post" action={ "/admin/registers/" (id) "/" } {
            (csrf_field(session))
            div.field {
                label for={ "key-" (id) } { "API key" }
                input id={ "key-" (id) } name="api_key" type="password" autocomplete="off"
                    placeholder=(p.api_key_hint.as_deref().map_or("", |_| "leave blank to keep the saved key"));
                @if let Some(hint) = &p.api_key_hint { p { "Saved key ends " code { (hint) } "." } }
            }
            div.field {
                label {
                    input type="checkbox" name="enabled" value="true" checked[p.enabled || !p.configured];
                    " Check certificates in " (p.name)
                }
            }
            @if let Some(budget) = p.monthly_credit_budget.or((id == "iaf_certsearch").then_some(0)) {
                div.field {
                    label for={ "budget-" (id) } { "Credits a month (one per supplier found by name; lookups by id are free)" }
                    input id={ "budget-" (id) } name="monthly_credit_budget" type="number" min="0" max="1000000" value=(budget);
                }
            }
            button type="submit" { "Save " (p.name) }
        }
    }
}

fn provider_section(session: &Session, p: &StatusProviderView) -> Markup {
    html! {
        section aria-labelledby={ "h-" (p.provider) } {
            h2 id={ "h-" (p.provider) } { (p.name) }
            @if p.lookup_pages.is_empty() {
                @if !p.available {
                    p.notice.bad { "This server has no API address for " (p.name) "; the operator sets it (see the README). Saved settings apply once it does." }
                }
                @if p.paused {
                    p.notice.bad role="status" { "Paused: " (p.paused_reason.as_deref().unwrap_or_default()) ". Save again (a new key, a larger budget) to resume." }
                } @else if let Some(e) = &p.last_error {
                    p.notice.bad { "Last problem: " (e) }
                }
                dl.facts {
                    dt { "Key" } dd { (call::text(&p.api_key_hint)) }
                    dt { "Checks" } dd { (if p.configured && p.enabled { "on" } else { "off" }) }
                    @if let Some(spent) = p.credits_spent_this_month {
                        dt { "Credits spent this month" } dd { (spent) " of " (p.monthly_credit_budget.unwrap_or(0)) }
                    }
                    @if p.retry_at.is_some() { dt { "Asked to wait until" } dd { (call::moment(p.retry_at)) } }
                }
                (provider_form(session, p))
                @if p.configured {
                    (button(session, &format!("/admin/registers/{}/remove/", p.provider), &format!("Remove the {} key", p.name), true))
                }
            } @else {
                p { "Registers without an API: look the certificate up there, then record what it says on the certificate's page." }
                ul { @for l in &p.lookup_pages { li { a href=(l.url) rel="noopener noreferrer" { (l.name) } } } }
            }
        }
    }
}

async fn registers(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, BACK)?;
    viewer.admin()?;
    let providers = status_providers::providers(&state, &viewer.caller)?;
    let body = html! {
        p { "CertWatch asks the registers whether certificates still stand, with this organization's own subscription. It sends the supplier's name, country and VAT number and the certificate number — nothing else. Active certificates are checked weekly, others daily." }
        @for p in &providers { (provider_section(&session, p)) }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Admin,
        "Registers",
        notice(&q),
        body,
    ))
}

/// The form as the API's body: a blank key keeps the saved one, an unticked box is
/// `enabled: false`, the budget a number when it is one (else the API names the field).
fn body(form: &Form) -> Map<String, Value> {
    let mut fields = Map::new();
    if let Some(key) = form.text("api_key") {
        fields.insert("api_key".into(), key.into());
    }
    fields.insert("enabled".into(), (form.get("enabled") == "true").into());
    if let Some(budget) = form.text("monthly_credit_budget") {
        let value = budget
            .parse::<i64>()
            .map_or_else(|_| Value::String(budget.clone()), Value::from);
        fields.insert("monthly_credit_budget".into(), value);
    }
    fields
}

async fn save(provider: String, state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, BACK)?;
    session.check_csrf(Some(form.get("csrf")))?;
    let write = StatusProviderWrite::from_fields(body(&form), false);
    status_providers::set_status_provider(provider, state, viewer.caller, write).await?;
    Ok(redirect(&format!("{BACK}?notice=saved")))
}

async fn remove(provider: String, state: State, session: Session, form: Form) -> PageResult {
    act(state, session, &form, BACK, "deleted", |s, c| {
        status_providers::delete_status_provider(provider, s, c)
    })
    .await
}
