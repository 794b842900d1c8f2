//! Webhooks for admins: subscribers (the signing secret shown once), their subscriptions,
//! and deliveries with a retry.

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
use crate::routes::webhooks::subscribers::{SubscriberView, SubscriberWrite, Subscribers};
use crate::routes::webhooks::subscriptions::{SubscriptionWrite, Subscriptions};
use crate::routes::webhooks::{deliveries, subscribers, subscriptions};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "admin" / "webhooks" => overview, query()),
        page!(state, POST "admin" / "webhooks" => create_subscriber, form()),
        page!(state, POST "admin" / "webhooks" / Uuid / "delete" => delete_subscriber, form()),
        page!(state, POST "admin" / "webhooks" / Uuid / "subscribe" => subscribe, form()),
        page!(state, GET "admin" / "webhooks" / "deliveries" => delivery_list, query()),
        page!(state, POST "admin" / "webhooks" / "deliveries" / Uuid / "retry" => retry, form()),
    ])
}

async fn page(
    state: &State,
    session: &Session,
    q: &Query,
    created: Option<&SubscriberView>,
) -> PageResult {
    let viewer = session.viewer(state, "/admin/webhooks/")?;
    viewer.admin()?;
    let caller = &viewer.caller;
    let all = call::query(&Query::default(), &[("page_size", "500".into())]);
    let subs = subscribers::list_subscribers(state.clone(), caller.clone(), all.clone()).await?;
    let subscriptions =
        subscriptions::list_subscriptions(state.clone(), caller.clone(), all).await?;
    let body = html! {
        @if let Some(created) = created {
            div.notice role="status" {
                p { "Subscriber added. Its signing secret verifies the " code { "webhook-signature" } " header; copy it now." }
                p.secret { (created.signing_secret) }
            }
        }
        p { a href="/admin/webhooks/deliveries/" { "Deliveries" } " · " a href="/admin/webhooks/deliveries/?status=FAILED" { "Failed deliveries" } }
        h2 { "Add a subscriber" }
        form method="post" action="/admin/webhooks/" {
            (csrf_field(session))
            div.field { label for="sub-name" { "Name" } input id="sub-name" name="name" type="text" required maxlength="200"; }
            div.field { label for="sub-url" { "URL (https)" } input id="sub-url" name="url" type="url" required; }
            button type="submit" { "Add" }
        }
        h2 { "Subscribers" }
        @for s in &subs.results {
            @let id = s.id;
            section.card {
                h3 { (s.name) }
                p { (s.url) @if !s.is_active { " (paused)" } }
                p { "Events: "
                    @for sub in subscriptions.results.iter().filter(|x| x.subscriber == id) {
                        code { (sub.event_types.join(", ")) } " "
                    }
                }
                form.actions method="post" action={ "/admin/webhooks/" (id) "/subscribe/" } {
                    (csrf_field(session))
                    label for={ "events-" (id) } { "Subscribe to (comma-separated, * for all)" }
                    input id={ "events-" (id) } name="event_types" type="text" value="*";
                    button type="submit" { "Subscribe" }
                }
                (button(session, &format!("/admin/webhooks/{id}/delete/"), "Delete subscriber", true))
            }
        }
    };
    Ok(layout::page(
        session,
        &viewer,
        Section::Admin,
        "Webhooks",
        notice(q),
        body,
    ))
}

async fn overview(state: State, session: Session, q: Query) -> PageResult {
    page(&state, &session, &q, None).await
}

async fn create_subscriber(state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, "/admin/webhooks/")?;
    session.check_csrf(Some(form.get("csrf")))?;
    let write = form.write::<SubscriberWrite>(&["name", "url"], &[])?;
    let created = crud::create::<Subscribers>(&state, &viewer.caller, write).await?;
    page(&state, &session, &Query::default(), Some(&created)).await
}

async fn delete_subscriber(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(
        state,
        session,
        &form,
        "/admin/webhooks/",
        "deleted",
        |s, c| async move { crud::delete::<Subscribers>(&s, &c, id).await },
    )
    .await
}

async fn subscribe(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let events: Vec<Value> = form
        .get("event_types")
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|e| Value::String(e.to_string()))
        .collect();
    let fields = Map::from_iter([
        ("subscriber".to_string(), Value::String(id.to_string())),
        ("event_types".to_string(), Value::Array(events)),
    ]);
    let write = SubscriptionWrite::from_fields(fields, false);
    act(
        state,
        session,
        &form,
        "/admin/webhooks/",
        "saved",
        |s, c| async move { crud::create::<Subscriptions>(&s, &c, write?).await },
    )
    .await
}

async fn delivery_list(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/admin/webhooks/deliveries/")?;
    let list =
        deliveries::list_deliveries(state.clone(), viewer.caller.clone(), api_query(&q)).await?;
    let body = html! {
        form.filters method="get" action="/admin/webhooks/deliveries/" {
            div.field { label for="status" { "Status" }
                select id="status" name="status" { option value="" { "Any" }
                    @for s in ["PENDING", "SUCCESS", "FAILED"] { option value=(s) selected[q.get("status") == Some(s)] { (s) } } } }
            button type="submit" { "Filter" }
        }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Event" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Next attempt" } th scope="col" { "Retry" } } }
            tbody { @for d in &list.results { tr {
                td { (d.event_type) }
                td class={ "status-" (d.status) } { (d.status) }
                td { (d.attempt_count) }
                td { (call::moment(d.next_attempt_at)) }
                td { @if d.status == "FAILED" { (button(&session, &format!("/admin/webhooks/deliveries/{}/retry/", d.id), "Retry", false)) } }
            } } }
        } }
        (pager("/admin/webhooks/deliveries/", &q, list.count))
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Admin,
        "Webhook deliveries",
        notice(&q),
        body,
    ))
}

async fn retry(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(
        state,
        session,
        &form,
        "/admin/webhooks/deliveries/",
        "retried",
        |s, c| deliveries::retry_delivery(id, s, c),
    )
    .await
}
