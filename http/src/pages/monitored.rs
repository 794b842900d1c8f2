//! Monitored pages: every supplier page being watched, its last check, a check now, and
//! pausing or resuming it.

use maud::html;
use serde_json::{Map, Value};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::call;
use super::form::{Form, csrf_field, form};
use super::layout::{self, Section, notice};
use super::lists::{api_query, pager};
use super::reply::PageResult;
use super::session::Session;
use crate::crud;
use crate::extract::{Query, query};
use crate::input::Write;
use crate::route::any_of;
use crate::routes::monitoring::endpoints::{self, EndpointWrite, Endpoints};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "monitoring" => monitored, query()),
        page!(state, POST "monitoring" / Uuid / "check" => check_now, form()),
        page!(state, POST "monitoring" / Uuid / "active" => set_active, form()),
    ])
}

async fn monitored(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/monitoring/")?;
    let list =
        endpoints::list_endpoints(state.clone(), viewer.caller.clone(), api_query(&q)).await?;
    let body = html! {
        form.filters method="get" action="/monitoring/" role="search" {
            div.field { label for="search" { "Search URL or supplier" } input id="search" name="search" type="search" value=(q.get("search").unwrap_or_default()); }
            div.field { label for="failing" { "Only failing" }
                select id="failing" name="failing" { option value="" { "No" } option value="true" selected[q.get("failing") == Some("true")] { "Yes" } } }
            button type="submit" { "Filter" }
        }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Page" } th scope="col" { "Supplier" } th scope="col" { "Last checked" } th scope="col" { "Failures in a row" } th scope="col" { "Last error" } th scope="col" { "Check now" } th scope="col" { "Watching" } } }
            tbody { @for e in &list.results { tr {
                td { (e.url) }
                td { a href={ "/suppliers/" (e.organization_id) "/" } { (e.organization_name) } }
                td { (call::moment(e.last_checked)) }
                td { (e.consecutive_failures) }
                td { (call::text(&e.last_error)) }
                td { (button(&session, &format!("/monitoring/{}/check/", e.id), "Check now", false)) }
                td {
                    @let active = e.is_active;
                    form method="post" action={ "/monitoring/" (e.id) "/active/" } {
                        (csrf_field(&session))
                        input type="hidden" name="is_active" value=(if active { "false" } else { "true" });
                        button.secondary type="submit" { (if active { "Pause" } else { "Resume" }) }
                    }
                }
            } } }
        } }
        (pager("/monitoring/", &q, list.count))
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
    let active = Value::Bool(form.get("is_active") == "true");
    let write = EndpointWrite::from_fields(Map::from_iter([("is_active".into(), active)]), true);
    act(
        state,
        session,
        &form,
        "/monitoring/",
        "saved",
        |s, c| async move { crud::edit::<Endpoints>(&s, &c, id, write).await },
    )
    .await
}

async fn check_now(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(
        state,
        session,
        &form,
        "/monitoring/",
        "triggered",
        |s, c| endpoints::trigger_scrape(id, s, c),
    )
    .await
}
