//! What suppliers owe: the requirements (a certificate type of every supplier, of those
//! with a tag, or of one), and — for admins — when suppliers are asked and reminded.

use maud::{Markup, html};
use serde_json::{Map, Value, json};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::form::{Form, csrf_field, form};
use super::layout::{self, Section, notice};
use super::reply::{PageResult, redirect};
use super::requests::type_names;
use super::session::Session;
use crate::crud;
use crate::extract::{Query, query};
use crate::input::Write;
use crate::route::any_of;
use crate::routes::organizations::Organizations;
use crate::routes::reminders::{self, RemindersWrite};
use crate::routes::requirements::{self, AppliesToView, RequirementWrite, Requirements};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "requirements" => list, query()),
        page!(state, POST "requirements" => create, form()),
        page!(state, POST "requirements" / Uuid / "delete" => delete, form()),
        page!(state, POST "settings" / "reminders" => set_reminders, form()),
    ])
}

/// Whom a requirement applies to, in words.
pub fn applies_to(a: &AppliesToView, supplier: Option<&str>) -> String {
    match (&a.tag, a.organization) {
        (Some(tag), _) => format!("suppliers tagged {tag}"),
        (None, Some(_)) => supplier.unwrap_or("one supplier").to_string(),
        (None, None) => "every supplier".into(),
    }
}

/// The form that adds a requirement: of every supplier or those with a tag; or, with
/// `org`, of that supplier (from its page).
pub fn add_form(session: &Session, types: &[(Uuid, String)], org: Option<Uuid>) -> Markup {
    html! {
        form method="post" action="/requirements/" {
            (csrf_field(session))
            div.field { label for="certificate_type" { "Certificate type" }
                select id="certificate_type" name="certificate_type" required {
                    @for (id, name) in types { option value=(id) { (name) } }
                } }
            @if let Some(org) = org {
                input type="hidden" name="organization" value=(org);
            } @else {
                div.field { label for="tag" { "Of suppliers tagged (empty: of every supplier)" }
                    input id="tag" name="tag" type="text" maxlength="40"; }
            }
            button type="submit" { "Require it" }
        }
    }
}

fn reminders_form(session: &Session, r: &reminders::RemindersView) -> Markup {
    let days: Vec<String> = r.days_before.iter().map(u32::to_string).collect();
    html! {
        h2 { "Reminders" }
        form method="post" action="/settings/reminders/" {
            (csrf_field(session))
            div.field { label for="enabled" { "Ask and remind suppliers" }
                select id="enabled" name="enabled" {
                    option value="true" selected[r.enabled] { "Yes" }
                    option value="false" selected[!r.enabled] { "No" }
                } }
            div.field { label for="days_before" { "Days before expiry to ask, then remind (up to 5, comma-separated; the largest is the warning window)" }
                input id="days_before" name="days_before" type="text" required value=(days.join(", ")); }
            div.field { label for="every_days_after_expiry" { "Once expired or missing, remind every (days)" }
                input id="every_days_after_expiry" name="every_days_after_expiry" type="number" min="1" max="90" required value=(r.every_days_after_expiry); }
            button type="submit" { "Save" }
        }
    }
}

async fn list(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/requirements/")?;
    let caller = &viewer.caller;
    let all = super::call::query(&Query::default(), &[("page_size", "200".into())]);
    let list = requirements::list_requirements(state.clone(), caller.clone(), all).await?;
    let names = type_names(&state, caller).await?;
    let mut types: Vec<(Uuid, String)> = names.clone().into_iter().collect();
    types.sort_by(|a, b| a.1.cmp(&b.1));
    let mut rows = Vec::new();
    for r in &list.results {
        let supplier = match r.applies_to.organization {
            Some(org) => crud::get::<Organizations>(&state, caller, org)
                .await
                .ok()
                .map(|o| o.name),
            None => None,
        };
        rows.push((r, applies_to(&r.applies_to, supplier.as_deref())));
    }
    let settings = reminders::get_reminders(state.clone(), caller.clone()).await?;
    let body = html! {
        p { "Each supplier owes the certificates required of it. Its state — valid, expiring, missing, expired, suspended or revoked — is on its page and on the dashboard." }
        @if rows.is_empty() { p { "Nothing is required yet." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Certificate" } th scope="col" { "Of" } th scope="col" { "Delete" } } }
                tbody { @for (r, of) in &rows { tr {
                    td { (names.get(&r.certificate_type).map_or("", String::as_str)) }
                    td { (of) }
                    td { (button(&session, &format!("/requirements/{}/delete/", r.id), "Delete", true)) }
                } } }
            } }
        }
        h2 { "Add a requirement" }
        (add_form(&session, &types, None))
        @if viewer.is_admin() { (reminders_form(&session, &settings)) }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Requests,
        "Requirements",
        notice(&q),
        body,
    ))
}

async fn create(state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, "/requirements/")?;
    session.check_csrf(Some(form.get("csrf")))?;
    let (applies, back) = match (form.text("organization"), form.text("tag")) {
        (Some(org), _) => (json!({"organization": org}), format!("/suppliers/{org}/")),
        (None, Some(tag)) => (json!({"tag": tag}), "/requirements/".to_string()),
        (None, None) => (json!({"all": true}), "/requirements/".to_string()),
    };
    let fields = Map::from_iter([
        (
            "certificate_type".into(),
            json!(form.get("certificate_type")),
        ),
        ("applies_to".into(), applies),
    ]);
    let write = RequirementWrite::from_fields(fields, false)?;
    crud::create::<Requirements>(&state, &viewer.caller, write).await?;
    Ok(redirect(&format!("{back}?notice=saved")))
}

async fn delete(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(
        state,
        session,
        &form,
        "/requirements/",
        "deleted",
        |s, c| async move { crud::delete::<Requirements>(&s, &c, id).await },
    )
    .await
}

async fn set_reminders(state: State, session: Session, form: Form) -> PageResult {
    let every = form.get("every_days_after_expiry").trim().parse::<i64>();
    let fields = Map::from_iter([
        ("enabled".into(), Value::Bool(form.get("enabled") == "true")),
        ("days_before".into(), form.numbers("days_before")),
        (
            "every_days_after_expiry".into(),
            every.map_or_else(|_| json!(form.get("every_days_after_expiry")), Value::from),
        ),
    ]);
    let write = RemindersWrite::from_fields(fields, true);
    act(state, session, &form, "/requirements/", "saved", |s, c| {
        reminders::update_reminders(s, c, write)
    })
    .await
}
