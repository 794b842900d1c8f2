//! The dashboard: what needs attention, each number a link to its filtered list.

use certwatch_store::catalog::EXPIRY_WINDOWS;
use certwatch_store::tables;
use chrono::{Duration, Utc};
use maud::html;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::call;
use super::layout::{self, Section, notice};
use super::reply::{PageResult, done};
use super::session::{Session, session};
use crate::extract::{Query, query};
use crate::routes::{bulk_upload, monitoring, webhooks};
use crate::state::{State, with_state};

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    warp::path::end()
        .and(warp::get())
        .and(with_state(state))
        .and(session(state))
        .and(query())
        .then(dashboard)
        .map(done)
        .boxed()
}

async fn dashboard(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/")?;
    let caller = &viewer.caller;
    let today = Utc::now().date_naive();
    let overview = state
        .store()
        .catalog(caller.tenant_id)?
        .read()
        .overview(today);
    let health =
        call::value(monitoring::health::health(state.clone(), caller.clone()).await).await?;
    let failed_deliveries = if viewer.is_admin() {
        let q = call::query(
            &Query::default(),
            &[("status", "FAILED".into()), ("page_size", "1".into())],
        );
        let answer = webhooks::deliveries::list_deliveries(state.clone(), caller.clone(), q).await;
        Some(call::count(&call::value(answer).await?, "count"))
    } else {
        None
    };
    let batches_query = call::query(&Query::default(), &[("page_size", "5".into())]);
    let batches =
        call::value(bulk_upload::list_batches(state.clone(), caller.clone(), batches_query).await)
            .await?;
    let imports: Vec<(String, serde_json::Value)> =
        tables::import_runs::latest(state.store(), caller.tenant_id, 5)?
            .into_iter()
            .map(|e| {
                (
                    e.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    serde_json::from_str(&e.data).unwrap_or_default(),
                )
            })
            .collect();
    let expiring_link = |days: i64| {
        format!(
            "/certificates/?status=ACTIVE&expiry_date_after={today}&expiry_date_before={}&ordering=expiry_date",
            today + Duration::days(days)
        )
    };
    let body = html! {
        h2 { "Certificates" }
        div.cards {
            @for (count, days) in overview.expiring.iter().zip(EXPIRY_WINDOWS) {
                a.card.warn[days <= 7 && *count > 0] href=(expiring_link(days)) {
                    span.number { (count) }
                    "expiring within " (days) " days"
                }
            }
            a.card.bad[overview.expired > 0] href="/certificates/?status=EXPIRED" {
                span.number { (overview.expired) } "expired"
            }
            a.card href="/certificates/" { span.number { (overview.certificates) } "in all" }
        }
        h2 { "Suppliers" }
        div.cards {
            a.card.bad[overview.suppliers_without_valid > 0] href="/suppliers/?without_valid_certificate=true" {
                span.number { (overview.suppliers_without_valid) } "without a valid certificate"
            }
            a.card href="/suppliers/" { span.number { (overview.suppliers) } "in all" }
            a.card.bad[call::count(&health, "failing") > 0] href="/monitoring/?failing=true" {
                span.number { (call::count(&health, "failing")) } "monitored pages failing"
            }
            @if let Some(failed) = failed_deliveries {
                a.card.bad[failed > 0] href="/admin/webhooks/deliveries/?status=FAILED" {
                    span.number { (failed) } "webhook deliveries failed"
                }
            }
        }
        h2 { "Last bulk uploads" }
        @if call::items(&batches).is_empty() {
            p { "None yet. " a href="/bulk-upload/" { "Upload certificates" } }
        } @else {
            div.table-wrap { table {
                thead { tr { th { "Uploaded" } th { "Status" } th { "Files" } th { "Filed" } th { "To review" } th { "Failed" } } }
                tbody {
                    @for b in call::items(&batches) {
                        tr {
                            td { a href={ "/bulk-upload/" (call::text(b, "id")) "/" } { (call::moment(b, "created_at")) } }
                            td { (call::text(b, "status")) }
                            td { (call::count(b, "total_items")) }
                            td { (call::count(b, "matched_count")) }
                            td { a href="/review/" { (call::count(b, "needs_review_count")) } }
                            td { (call::count(b, "failed_count")) }
                        }
                    }
                }
            } }
        }
        h2 { "Last imports" }
        @if imports.is_empty() {
            p { "None yet. " a href="/import/" { "Import suppliers from a spreadsheet" } }
        } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Imported" } th scope="col" { "Rows imported" } th scope="col" { "Rows refused" } th scope="col" { "Suppliers created" } th scope="col" { "Suppliers updated" } } }
                tbody { @for (at, data) in &imports { tr {
                    td { (at) }
                    td { (call::count(data, "rows_imported")) }
                    td { (call::count(data, "rows_failed")) }
                    td { (call::count(data, "organizations_created")) }
                    td { (call::count(data, "organizations_updated")) }
                } } }
            } }
            p { a href="/import/" { "Import another spreadsheet" } }
        }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Dashboard,
        "Dashboard",
        notice(&q),
        body,
    ))
}
