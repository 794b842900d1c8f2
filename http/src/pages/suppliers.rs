//! Suppliers: the list (the API's filters, search, ordering, pages, export) and a
//! supplier's page with its sites, certificates and monitored pages with their last checks.

use maud::{Markup, html};
use serde_json::Value;
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::call::{self, text};
use super::certificates::certificate_rows;
use super::export::{self, Column, Format};
use super::layout::{self, Section, notice};
use super::lists::{self, api_query, export_links, pager};
use super::reply::{PageResult, done};
use super::session::{Session, session};
use crate::extract::{Query, query};
use crate::routes::{certificates, monitoring, organizations};
use crate::state::{State, with_state};

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let base = || warp::get().and(with_state(state)).and(session(state));
    let list = warp::path!("suppliers")
        .and(base())
        .and(query())
        .then(list)
        .map(done);
    let export = warp::path!("suppliers" / "export")
        .and(base())
        .and(query())
        .then(export)
        .map(done);
    let detail = warp::path!("suppliers" / Uuid)
        .and(base())
        .and(query())
        .then(detail)
        .map(done);
    // `/suppliers` and `/suppliers/` both: warp's path! ignores one trailing slash.
    list.or(export).unify().or(detail).unify().boxed()
}

const COLUMNS: &[Column] = &[
    ("Name", |v| text(v, "name").into()),
    ("External id", |v| text(v, "external_id").into()),
    ("Country", |v| text(v, "country").into()),
    ("Website", |v| text(v, "website").into()),
    ("VAT", |v| text(v, "vat").into()),
    ("LEI", |v| text(v, "lei").into()),
    ("Active certificates", |v| {
        call::count(v, "active_certificates").to_string()
    }),
    ("Expiring within 30 days", |v| {
        call::count(v, "expiring_certificates").to_string()
    }),
    ("Expired certificates", |v| {
        call::count(v, "expired_certificates").to_string()
    }),
];

fn filters(q: &Query) -> Markup {
    let order = q.get("ordering").unwrap_or("name");
    let orders = [
        ("name", "Name"),
        ("-name", "Name, Z to A"),
        ("country", "Country"),
        ("external_id", "External id"),
        ("-created_at", "Newest first"),
    ];
    html! {
        form.filters method="get" action="/suppliers/" role="search" {
            div.field { label for="search" { "Search name or external id" }
                input id="search" name="search" type="search" value=(q.get("search").unwrap_or_default()); }
            div.field { label for="country" { "Country (ISO code)" }
                input id="country" name="country" type="text" size="4" value=(q.get("country").unwrap_or_default()); }
            div.field { label for="ordering" { "Order" }
                select id="ordering" name="ordering" {
                    @for (value, label) in orders { option value=(value) selected[value == order] { (label) } }
                } }
            div.field { label for="without_valid_certificate" { "Only without a valid certificate" }
                select id="without_valid_certificate" name="without_valid_certificate" {
                    option value="" { "No" }
                    option value="true" selected[q.get("without_valid_certificate") == Some("true")] { "Yes" }
                } }
            button type="submit" { "Filter" }
        }
    }
}

async fn list(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, &lists::link("/suppliers/", &q, &[]))?;
    let answer =
        organizations::list_organizations(state.clone(), viewer.caller.clone(), api_query(&q))
            .await;
    let answer = call::value(answer).await?;
    let body = html! {
        (filters(&q))
        (export_links("/suppliers/", &q))
        div.table-wrap { table {
            caption.visually-hidden { "Suppliers" }
            thead { tr { th scope="col" { "Name" } th scope="col" { "External id" } th scope="col" { "Country" }
                th scope="col" { "Active" } th scope="col" { "Expiring (30 days)" } th scope="col" { "Expired" } } }
            tbody {
                @for o in call::items(&answer) {
                    tr {
                        td { a href={ "/suppliers/" (text(o, "id")) "/" } { (text(o, "name")) } }
                        td { (text(o, "external_id")) }
                        td { (text(o, "country")) }
                        td { (call::count(o, "active_certificates")) }
                        td { (call::count(o, "expiring_certificates")) }
                        td { (call::count(o, "expired_certificates")) }
                    }
                }
            }
        } }
        (pager("/suppliers/", &q, &answer))
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Suppliers,
        "Suppliers",
        notice(&q),
        body,
    ))
}

async fn export(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/suppliers/")?;
    let format = Format::of(&q)?;
    let (rows, truncated) = export::all_rows(&q, |query| {
        organizations::list_organizations(state.clone(), viewer.caller.clone(), query)
    })
    .await?;
    Ok(export::file(
        format,
        "suppliers",
        COLUMNS,
        &rows,
        truncated,
    )?)
}

async fn detail(id: Uuid, state: State, session: Session, q: Query) -> PageResult {
    let here = format!("/suppliers/{id}/");
    let viewer = session.viewer(&state, &here)?;
    let caller = &viewer.caller;
    let org = call::value(organizations::get_organization(id, state.clone(), caller.clone()).await)
        .await?;
    let certs_query = call::query(
        &Query::default(),
        &[
            ("organization", id.to_string()),
            ("page_size", "500".into()),
            ("ordering", "expiry_date".into()),
        ],
    );
    let certs = call::value(
        certificates::list_certificates(state.clone(), caller.clone(), certs_query).await,
    )
    .await?;
    let endpoints_query = call::query(
        &Query::default(),
        &[
            ("organization", id.to_string()),
            ("page_size", "100".into()),
        ],
    );
    let endpoints = call::value(
        monitoring::endpoints::list_endpoints(state.clone(), caller.clone(), endpoints_query).await,
    )
    .await?;
    let mut checks = Vec::new();
    for ep in call::items(&endpoints) {
        let Ok(ep_id) = text(ep, "id").parse::<Uuid>() else {
            continue;
        };
        let detail = call::value(
            monitoring::endpoints::get_endpoint(ep_id, state.clone(), caller.clone()).await,
        )
        .await?;
        checks.push(detail);
    }
    let body = html! {
        dl.facts {
            dt { "External id" } dd { (text(&org, "external_id")) }
            dt { "Country" } dd { (text(&org, "country")) }
            dt { "Website" } dd { @if !text(&org, "website").is_empty() { a href=(text(&org, "website")) rel="noopener noreferrer" { (text(&org, "website")) } } }
            dt { "VAT" } dd { (text(&org, "vat")) }
            dt { "LEI" } dd { (text(&org, "lei")) }
        }
        h2 { "Sites" }
        @let sites = org.get("sites").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        @if sites.is_empty() { p { "No sites." } } @else {
            ul { @for s in sites { li { (text(s, "name")) " " (text(s, "address")) " " (text(s, "country")) } } }
        }
        h2 { "Certificates" }
        (certificate_rows(call::items(&certs), false))
        h2 { "Monitored pages" }
        @if checks.is_empty() { p { "None." } }
        @for ep in &checks {
            h3 { (text(ep, "url")) }
            p { "Checked " (call::moment(ep, "last_checked")) "; every " (text(ep, "check_frequency")) "; "
                (call::count(ep, "consecutive_failures")) " failures in a row. " (text(ep, "last_error")) }
            @let logs = ep.get("recent_scrape_logs").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
            @if !logs.is_empty() {
                div.table-wrap { table {
                    thead { tr { th { "Started" } th { "Status" } th { "HTTP" } th { "Certificates found" } } }
                    tbody { @for l in logs { tr {
                        td { (call::moment(l, "started_at")) }
                        td class={ "status-" (text(l, "status")) } { (text(l, "status")) }
                        td { (l.get("http_status").map(|s| s.to_string()).unwrap_or_default()) }
                        td { (call::count(l, "certificates_found")) }
                    } } }
                } }
            }
        }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Suppliers,
        text(&org, "name"),
        notice(&q),
        body,
    ))
}
