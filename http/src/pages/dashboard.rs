//! The dashboard: what needs attention, each number a link to its filtered list.

use certwatch_store::catalog::EXPIRY_WINDOWS;
use certwatch_store::catalog::Overview;
use chrono::{Duration, NaiveDate, Utc};
use maud::{Markup, html};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::call;
use super::layout::{self, Section, notice};
use super::reply::{PageResult, done};
use super::requests::request_rows;
use super::session::{Session, session};
use crate::extract::{Query, query};
use crate::routes::bulk_upload::views::BatchView;
use crate::routes::compliance::{self, ComplianceCounts};
use crate::routes::imports::ImportRun;
use crate::routes::mail_accounts::{self, MailAccountView};
use crate::routes::status_providers::{self, StatusProviderView};
use crate::routes::{
    bulk_upload, certificate_requests, imports, monitoring, organizations, webhooks,
};
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
    let overview = organizations::overview(&state, caller)?;
    let health = monitoring::health::health(state.clone(), caller.clone()).await?;
    let failed_deliveries = if viewer.is_admin() {
        let q = call::query(
            &Query::default(),
            &[("status", "FAILED".into()), ("page_size", "1".into())],
        );
        let answer =
            webhooks::deliveries::list_deliveries(state.clone(), caller.clone(), q).await?;
        Some(answer.count)
    } else {
        None
    };
    let batches_query = call::query(&Query::default(), &[("page_size", "5".into())]);
    let batches = bulk_upload::list_batches(state.clone(), caller.clone(), batches_query)
        .await?
        .results;
    let imports = imports::latest_runs(&state, caller, 5)?;
    let counts = compliance::compliance_counts(state.clone(), caller.clone()).await?;
    let fulfilled_query = call::query(
        &Query::default(),
        &[("status", "fulfilled".into()), ("page_size", "5".into())],
    );
    let fulfilled =
        certificate_requests::list_requests(state.clone(), caller.clone(), fulfilled_query).await?;
    let paused: Vec<StatusProviderView> = if viewer.is_admin() {
        status_providers::providers(&state, caller)?
            .into_iter()
            .filter(|p| p.paused || p.last_error.is_some())
            .collect()
    } else {
        Vec::new()
    };
    let failing_mail: Vec<MailAccountView> = if viewer.is_admin() {
        let all = call::query(&Query::default(), &[("page_size", "500".into())]);
        mail_accounts::list_mail_accounts(state.clone(), caller.clone(), all)
            .await?
            .results
            .into_iter()
            .filter(|a| a.enabled && a.last_error.is_some())
            .collect()
    } else {
        Vec::new()
    };
    let body = html! {
        @for a in &failing_mail {
            p.notice.bad role="status" {
                "The mailbox " (a.name) " cannot be read: " (a.last_error.as_deref().unwrap_or_default())
                ". It is tried again " (call::moment(a.next_poll_at)) ". "
                a href={ "/admin/mail/" (a.id) "/" } { "Mailbox settings" }
            }
        }
        @for p in &paused {
            p.notice.bad role="status" {
                (p.name) " checks "
                @if p.paused { "are paused: " (p.paused_reason.as_deref().unwrap_or_default()) ". " }
                @else { "last failed: " (p.last_error.as_deref().unwrap_or_default()) " " }
                a href="/admin/registers/" { "Register settings" }
            }
        }
        (cards(&overview, health.failing, failed_deliveries, today))
        (compliance_cards(&counts))
        h2 { "Certificates received from suppliers" }
        (request_rows(&state, caller, &fulfilled.results).await?)
        (recent(&batches, &imports))
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

/// The numbers that need attention, each a link to its filtered list.
fn cards(
    overview: &Overview,
    failing: usize,
    failed_deliveries: Option<usize>,
    today: NaiveDate,
) -> Markup {
    let expiring_link = |days: i64| {
        format!(
            "/certificates/?status=ACTIVE&expiry_date_after={today}&expiry_date_before={}&ordering=expiry_date",
            today + Duration::days(days)
        )
    };
    html! {

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
            a.card.bad[overview.suspended > 0] href="/certificates/?status=SUSPENDED" {
                span.number { (overview.suspended) } "suspended (register)"
            }
            a.card.bad[overview.revoked > 0] href="/certificates/?status=REVOKED" {
                span.number { (overview.revoked) } "revoked or withdrawn"
            }
            a.card href="/certificates/" { span.number { (overview.certificates) } "in all" }
        }
        h2 { "Suppliers" }
        div.cards {
            a.card.bad[overview.suppliers_without_valid > 0] href="/suppliers/?without_valid_certificate=true" {
                span.number { (overview.suppliers_without_valid) } "without a valid certificate"
            }
            a.card href="/suppliers/" { span.number { (overview.suppliers) } "in all" }
            a.card.bad[failing > 0] href="/monitoring/?failing=true" {
                span.number { (failing) } "monitored pages failing"
            }
            @if let Some(failed) = failed_deliveries {
                a.card.bad[failed > 0] href="/admin/webhooks/deliveries/?status=FAILED" {
                    span.number { (failed) } "webhook deliveries failed"
                }
            }
        }
    }
}

/// Suppliers by what they owe, each a link to the list of them.
fn compliance_cards(c: &ComplianceCounts) -> Markup {
    let states = [
        ("valid", c.valid, false),
        ("expiring", c.expiring, c.expiring > 0),
        ("missing", c.missing, c.missing > 0),
        ("expired", c.expired, c.expired > 0),
        ("suspended", c.suspended, c.suspended > 0),
        ("revoked", c.revoked, c.revoked > 0),
    ];
    html! {
        h2 { "Compliance" }
        div.cards {
            @for (state, count, bad) in states {
                a.card.bad[bad] href={ "/suppliers/?compliance=" (state) } {
                    span.number { (count) } (state)
                }
            }
            a.card.bad[c.cannot_be_asked > 0] href="/requirements/" {
                span.number { (c.cannot_be_asked) } "cannot be asked (no contact)"
            }
            a.card href="/requests/?status=open" { "Open requests" }
        }
    }
}

/// The last bulk uploads and imports.
fn recent(batches: &[BatchView], imports: &[ImportRun]) -> Markup {
    html! {
        h2 { "Last bulk uploads" }
        @if batches.is_empty() {
            p { "None yet. " a href="/bulk-upload/" { "Upload certificates" } }
        } @else {
            div.table-wrap { table {
                thead { tr { th { "Uploaded" } th { "Status" } th { "Files" } th { "Filed" } th { "To review" } th { "Failed" } } }
                tbody {
                    @for b in batches {
                        tr {
                            td { a href={ "/bulk-upload/" (b.id) "/" } { (call::moment(Some(b.created_at))) } }
                            td { (b.status) }
                            td { (b.total_items) }
                            td { (b.matched_count) }
                            td { a href="/review/" { (b.needs_review_count) } }
                            td { (b.failed_count) }
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
                tbody { @for run in imports { tr {
                    td { (call::moment(run.at)) }
                    td { (run.rows_imported) }
                    td { (run.rows_failed) }
                    td { (run.organizations_created) }
                    td { (run.organizations_updated) }
                } } }
            } }
            p { a href="/import/" { "Import another spreadsheet" } }
        }
    }
}
