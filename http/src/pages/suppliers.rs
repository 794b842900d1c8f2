//! Suppliers: the list (the API's filters, search, ordering, pages, export) and a
//! supplier's page with what it owes (`supplier_owes`), its sites, certificates and
//! monitored pages with their last checks.

use maud::{Markup, html};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::call;
use super::certificates::certificate_rows;
use super::export::{self, Column, Format};
use super::layout::{self, Section, notice};
use super::lists::{self, api_query, export_links, pager};
use super::reply::PageResult;
use super::session::Session;
use super::supplier_owes;
use crate::crud;
use crate::extract::{Query, query};
use crate::route::any_of;
use crate::routes::monitoring::endpoints::Endpoints;
use crate::routes::organizations::{OrganizationView, Organizations};
use crate::routes::{certificates, monitoring, organizations};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    // `/suppliers` and `/suppliers/` both: warp's path! ignores one trailing slash.
    any_of(vec![
        page!(state, GET "suppliers" => list, query()),
        page!(state, GET "suppliers" / "export" => export, query()),
        page!(state, GET "suppliers" / Uuid => detail, query()),
    ])
}

const COLUMNS: &[Column<OrganizationView>] = &[
    ("Name", |o| o.name.clone()),
    ("External id", |o| call::text(&o.external_id).into()),
    ("Country", |o| call::text(&o.country).into()),
    ("Website", |o| call::text(&o.website).into()),
    ("VAT", |o| call::text(&o.vat).into()),
    ("LEI", |o| call::text(&o.lei).into()),
    ("Tags", |o| o.tags.join(", ")),
    ("Compliance", |o| o.compliance.to_string()),
    ("Active certificates", |o| o.active_certificates.to_string()),
    ("Expiring within 30 days", |o| {
        o.expiring_certificates.to_string()
    }),
    ("Expired certificates", |o| {
        o.expired_certificates.to_string()
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
    div.field { label for="tag" { "Tag" }
                   input id="tag" name="tag" type="text" size="12" value=(q.get("tag").unwrap_or_default()); }
               div.field { label for="compliance" { "Compliance" }
                   select id="compliance" name="compliance" {
                       option value="" { "Any" }
                       @for s in ["valid", "expiring", "missing", "expired", "revoked"] {
                           option value=(s) selected[q.get("compliance") == Some(s)] { (s) }
                       }
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
            .await?;
    let body = html! {
        (filters(&q))
        (export_links("/suppliers/", &q))
        div.table-wrap { table {
            caption.visually-hidden { "Suppliers" }
            thead { tr { th scope="col" { "Name" } th scope="col" { "External id" } th scope="col" { "Country" }
                th scope="col" { "Compliance" } th scope="col" { "Active" } th scope="col" { "Expiring (30 days)" } th scope="col" { "Expired" } } }
            tbody {
                @for o in &answer.results {
                    tr {
                        td { a href={ "/suppliers/" (o.id) "/" } { (o.name) } }
                        td { (call::text(&o.external_id)) }
                        td { (call::text(&o.country)) }
                        td class={ "state-" (o.compliance) } { (o.compliance) }
                        td { (o.active_certificates) }
                        td { (o.expiring_certificates) }
                        td { (o.expired_certificates) }
                    }
                }
            }
        } }
        (pager("/suppliers/", &q, answer.count))
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
    let org = crud::get::<Organizations>(&state, caller, id).await?;
    let certs_query = call::query(
        &Query::default(),
        &[
            ("organization", id.to_string()),
            ("page_size", "500".into()),
            ("ordering", "expiry_date".into()),
        ],
    );
    let certs = certificates::list_certificates(state.clone(), caller.clone(), certs_query).await?;
    let endpoints_query = call::query(
        &Query::default(),
        &[
            ("organization", id.to_string()),
            ("page_size", "100".into()),
        ],
    );
    let endpoints =
        monitoring::endpoints::list_endpoints(state.clone(), caller.clone(), endpoints_query)
            .await?;
    let mut checks = Vec::new();
    for ep in endpoints.results {
        checks.push(crud::get::<Endpoints>(&state, caller, ep.id).await?);
    }
    let owes = supplier_owes::sections(&state, &session, caller, id).await?;
    let body = html! {
        dl.facts {
            dt { "External id" } dd { (call::text(&org.external_id)) }
            dt { "Country" } dd { (call::text(&org.country)) }
            dt { "Website" } dd { @if let Some(site) = &org.website { a href=(site) rel="noopener noreferrer" { (site) } } }
            dt { "VAT" } dd { (call::text(&org.vat)) }
            dt { "LEI" } dd { (call::text(&org.lei)) }
            dt { "Tags" } dd { (org.tags.join(", ")) }
        }
        (owes)
        h2 { "Sites" }
        @let sites = org.sites.as_deref().unwrap_or_default();
        @if sites.is_empty() { p { "No sites." } } @else {
            ul { @for s in sites { li { (s.name) " " (s.address) } } }
        }
        h2 { "Certificates" }
        (certificate_rows(&certs.results, false))
        h2 { "Monitored pages" }
        @if checks.is_empty() { p { "None." } }
        @for ep in &checks {
            h3 { (ep.url) }
            p { "Checked " (call::moment(ep.last_checked)) "; every " (ep.check_frequency) "; "
                (ep.consecutive_failures) " failures in a row. " (call::text(&ep.last_error)) }
            @let logs = ep.recent_scrape_logs.as_deref().unwrap_or_default();
            @if !logs.is_empty() {
                div.table-wrap { table {
                    thead { tr { th { "Started" } th { "Status" } th { "HTTP" } th { "Certificates found" } } }
                    tbody { @for l in logs { tr {
                        td { (call::moment(Some(l.started_at))) }
                        td class={ "status-" (l.status) } { (l.status) }
                        td { (l.http_status.map(|s| s.to_string()).unwrap_or_default()) }
                        td { (l.certificates_found) }
                    } } }
                } }
            }
        }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Suppliers,
        &org.name,
        notice(&q),
        body,
    ))
}
