//! Webhooks for admins: subscribers (the signing secret shown once), their subscriptions,
//! and deliveries with a retry.

use maud::html;
use serde_json::{Value, json};
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::call::{self, text};
use super::form::{Form, csrf_field, form, json_body};
use super::layout::{self, Section, notice};
use super::lists::{api_query, pager};
use super::reply::{PageResult, done};
use super::session::{Session, session};
use crate::extract::{Query, query};
use crate::routes::webhooks::{deliveries, subscribers, subscriptions};
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
    warp::path!("admin" / "webhooks")
        .and(get())
        .then(overview)
        .map(done)
        .or(warp::path!("admin" / "webhooks")
            .and(post())
            .then(create_subscriber)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "webhooks" / Uuid / "delete")
            .and(post())
            .then(delete_subscriber)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "webhooks" / Uuid / "subscribe")
            .and(post())
            .then(subscribe)
            .map(done))
        .unify()
        .or(warp::path!("admin" / "webhooks" / "deliveries")
            .and(get())
            .then(delivery_list)
            .map(done))
        .unify()
        .or(
            warp::path!("admin" / "webhooks" / "deliveries" / Uuid / "retry")
                .and(post())
                .then(retry)
                .map(done),
        )
        .unify()
        .boxed()
}

async fn page(state: &State, session: &Session, q: &Query, created: Option<&Value>) -> PageResult {
    let viewer = session.viewer(state, "/admin/webhooks/")?;
    viewer.admin()?;
    let caller = &viewer.caller;
    let all = call::query(&Query::default(), &[("page_size", "500".into())]);
    let subs = call::value(
        subscribers::list_subscribers(state.clone(), caller.clone(), all.clone()).await,
    )
    .await?;
    let subscriptions =
        call::value(subscriptions::list_subscriptions(state.clone(), caller.clone(), all).await)
            .await?;
    let body = html! {
        @if let Some(created) = created {
            div.notice role="status" {
                p { "Subscriber added. Its signing secret verifies the " code { "webhook-signature" } " header; copy it now." }
                p.secret { (text(created, "signing_secret")) }
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
        @for s in call::items(&subs) {
            @let id = text(s, "id");
            section.card {
                h3 { (text(s, "name")) }
                p { (text(s, "url")) @if s.get("is_active") == Some(&Value::Bool(false)) { " (paused)" } }
                p { "Events: "
                    @for sub in call::items(&subscriptions).iter().filter(|x| text(x, "subscriber") == id) {
                        code { (sub.get("event_types").map(|e| e.to_string()).unwrap_or_default()) } " "
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
    let created = call::value(
        subscribers::create_subscriber(
            state.clone(),
            viewer.caller,
            form.json(&["name", "url"], &[]),
        )
        .await,
    )
    .await?;
    page(&state, &session, &Query::default(), Some(&created)).await
}

async fn delete_subscriber(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(
        state,
        session,
        &form,
        "/admin/webhooks/",
        "deleted",
        |s, c| subscribers::delete_subscriber(id, s, c),
    )
    .await
}

async fn subscribe(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let events: Vec<&str> = form
        .get("event_types")
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let body = json_body(json!({ "subscriber": id, "event_types": events }));
    act(
        state,
        session,
        &form,
        "/admin/webhooks/",
        "saved",
        |s, c| subscriptions::create_subscription(s, c, body),
    )
    .await
}

async fn delivery_list(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/admin/webhooks/deliveries/")?;
    let list = call::value(
        deliveries::list_deliveries(state.clone(), viewer.caller.clone(), api_query(&q)).await,
    )
    .await?;
    let body = html! {
        form.filters method="get" action="/admin/webhooks/deliveries/" {
            div.field { label for="status" { "Status" }
                select id="status" name="status" { option value="" { "Any" }
                    @for s in ["PENDING", "SUCCESS", "FAILED"] { option value=(s) selected[q.get("status") == Some(s)] { (s) } } } }
            button type="submit" { "Filter" }
        }
        div.table-wrap { table {
            thead { tr { th scope="col" { "Event" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { "Next attempt" } th scope="col" { "Retry" } } }
            tbody { @for d in call::items(&list) { tr {
                td { (text(d, "event_type")) }
                td class={ "status-" (text(d, "status")) } { (text(d, "status")) }
                td { (call::count(d, "attempt_count")) }
                td { (call::moment(d, "next_attempt_at")) }
                td { @if text(d, "status") == "FAILED" { (button(&session, &format!("/admin/webhooks/deliveries/{}/retry/", text(d, "id")), "Retry", false)) } }
            } } }
        } }
        (pager("/admin/webhooks/deliveries/", &q, &list))
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
