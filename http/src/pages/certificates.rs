//! Certificates: the list (the API's filters, search, ordering, pages, export) and a
//! certificate's page with its document and its history of changes.

use maud::{Markup, html};
use serde_json::Value;
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::bulk::document_preview;
use super::call::{self, text};
use super::export::{self, Column, Format};
use super::layout::{self, Section, notice};
use super::lists::{self, api_query, export_links, pager};
use super::reply::{PageResult, done};
use super::session::{Session, session};
use crate::extract::{Query, query};
use crate::routes::{certificate_history, certificate_types, certificates};
use crate::state::{State, with_state};

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let base = || warp::get().and(with_state(state)).and(session(state));
    let list = warp::path!("certificates")
        .and(base())
        .and(query())
        .then(list)
        .map(done);
    let export = warp::path!("certificates" / "export")
        .and(base())
        .and(query())
        .then(export)
        .map(done);
    let detail = warp::path!("certificates" / Uuid)
        .and(base())
        .and(query())
        .then(detail)
        .map(done);
    list.or(export).unify().or(detail).unify().boxed()
}

fn type_code(v: &Value) -> String {
    v.get("certificate_type")
        .map(|t| text(t, "code").to_string())
        .unwrap_or_default()
}

fn supplier(v: &Value) -> String {
    v.get("organization")
        .map(|o| text(o, "name").to_string())
        .unwrap_or_default()
}

const COLUMNS: &[Column] = &[
    ("Certificate number", |v| {
        text(v, "certificate_number").into()
    }),
    ("Type", type_code),
    ("Supplier", supplier),
    ("Supplier external id", |v| {
        v.get("organization")
            .map(|o| text(o, "external_id").to_string())
            .unwrap_or_default()
    }),
    ("Issuing body", |v| text(v, "issuing_body").into()),
    ("Issue date", |v| text(v, "issue_date").into()),
    ("Expiry date", |v| text(v, "expiry_date").into()),
    ("Status", |v| text(v, "status").into()),
    ("Scope", |v| text(v, "scope").into()),
];

/// The certificates table, with or without the supplier column.
pub fn certificate_rows(certs: &[Value], with_supplier: bool) -> Markup {
    html! {
        @if certs.is_empty() { p { "No certificates." } } @else {
            div.table-wrap { table {
                thead { tr {
                    th scope="col" { "Number" } th scope="col" { "Type" }
                    @if with_supplier { th scope="col" { "Supplier" } }
                    th scope="col" { "Issuing body" } th scope="col" { "Expires" } th scope="col" { "Status" }
                } }
                tbody {
                    @for c in certs {
                        tr {
                            td { a href={ "/certificates/" (text(c, "id")) "/" } { (text(c, "certificate_number")) } }
                            td { (type_code(c)) }
                            @if with_supplier {
                                td { a href={ "/suppliers/" (c.get("organization").map(|o| text(o, "id")).unwrap_or_default()) "/" } { (supplier(c)) } }
                            }
                            td { (text(c, "issuing_body")) }
                            td { (text(c, "expiry_date")) }
                            td class={ "status-" (text(c, "status")) } { (text(c, "status")) }
                        }
                    }
                }
            } }
        }
    }
}

fn filters(q: &Query, types: &[Value]) -> Markup {
    let value = |name: &str| q.get(name).unwrap_or_default().to_string();
    let order = value("ordering");
    let orders = [
        ("", "Newest first"),
        ("expiry_date", "Expiring first"),
        ("-expiry_date", "Expiring last"),
        ("issue_date", "Issued first"),
        ("status", "Status"),
    ];
    html! {
        form.filters method="get" action="/certificates/" role="search" {
            div.field { label for="search" { "Search number, body or scope" }
                input id="search" name="search" type="search" value=(value("search")); }
            div.field { label for="status" { "Status" }
                select id="status" name="status" {
                    option value="" { "Any" }
                    @for s in ["ACTIVE", "EXPIRED", "REVOKED", "PENDING"] {
                        option value=(s) selected[value("status") == s] { (s) }
                    }
                } }
            div.field { label for="type_code" { "Type" }
                select id="type_code" name="type_code" {
                    option value="" { "Any" }
                    @for t in types {
                        option value=(text(t, "code")) selected[value("type_code") == text(t, "code")] { (text(t, "name")) }
                    }
                } }
            div.field { label for="expiry_date_after" { "Expires on or after" }
                input id="expiry_date_after" name="expiry_date_after" type="date" value=(value("expiry_date_after")); }
            div.field { label for="expiry_date_before" { "Expires on or before" }
                input id="expiry_date_before" name="expiry_date_before" type="date" value=(value("expiry_date_before")); }
            div.field { label for="ordering" { "Order" }
                select id="ordering" name="ordering" {
                    @for (v, label) in orders { option value=(v) selected[order == v] { (label) } }
                } }
            @if let Some(org) = q.get("organization") { input type="hidden" name="organization" value=(org); }
            button type="submit" { "Filter" }
        }
    }
}

async fn list(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, &lists::link("/certificates/", &q, &[]))?;
    let caller = &viewer.caller;
    let types_query = call::query(&Query::default(), &[("page_size", "500".into())]);
    let types = call::value(
        certificate_types::list_types(state.clone(), caller.clone(), types_query).await,
    )
    .await?;
    let answer = call::value(
        certificates::list_certificates(state.clone(), caller.clone(), api_query(&q)).await,
    )
    .await?;
    let body = html! {
        (filters(&q, call::items(&types)))
        (export_links("/certificates/", &q))
        (certificate_rows(call::items(&answer), true))
        (pager("/certificates/", &q, &answer))
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Certificates,
        "Certificates",
        notice(&q),
        body,
    ))
}

async fn export(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/certificates/")?;
    let format = Format::of(&q)?;
    let (rows, truncated) = export::all_rows(&q, |query| {
        certificates::list_certificates(state.clone(), viewer.caller.clone(), query)
    })
    .await?;
    Ok(export::file(
        format,
        "certificates",
        COLUMNS,
        &rows,
        truncated,
    )?)
}

async fn detail(id: Uuid, state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, &format!("/certificates/{id}/"))?;
    let caller = &viewer.caller;
    let cert =
        call::value(certificates::get_certificate(id, state.clone(), caller.clone()).await).await?;
    let history_query = call::query(&Query::default(), &[("page_size", "100".into())]);
    let history = call::value(
        certificate_history::certificate_history(id, state.clone(), caller.clone(), history_query)
            .await,
    )
    .await?;
    // The document a person uploaded: the bulk-upload item that last filed this certificate.
    let item = call::items(&history).iter().find_map(|h| {
        let by = h.get("by")?;
        (text(by, "kind") == "bulk_item").then(|| text(by, "id").to_string())
    });
    let org = cert.get("organization").cloned().unwrap_or_default();
    let body = html! {
        dl.facts {
            dt { "Supplier" } dd { a href={ "/suppliers/" (text(&org, "id")) "/" } { (text(&org, "name")) } }
            dt { "Type" } dd { (cert.get("certificate_type").map(|t| text(t, "name")).unwrap_or_default()) }
            dt { "Status" } dd class={ "status-" (text(&cert, "status")) } { (text(&cert, "status")) }
            dt { "Issuing body" } dd { (text(&cert, "issuing_body")) }
            dt { "Issued" } dd { (text(&cert, "issue_date")) }
            dt { "Expires" } dd { (text(&cert, "expiry_date")) }
            dt { "Scope" } dd { (text(&cert, "scope")) }
            @if !text(&cert, "source_url").is_empty() {
                dt { "Found at" } dd { a href=(text(&cert, "source_url")) rel="noopener noreferrer" { (text(&cert, "source_url")) } }
            }
            @if !text(&cert, "document_url").is_empty() {
                dt { "Document link" } dd { a href=(text(&cert, "document_url")) rel="noopener noreferrer" { (text(&cert, "document_url")) } }
            }
        }
        h2 { "Document" }
        @if let Some(item) = &item {
            (document_preview(item, "the document"))
        } @else {
            p { "No uploaded document." }
        }
        h2 { "History" }
        div.table-wrap { table {
            thead { tr { th { "When" } th { "What" } th { "By" } th { "Changes" } } }
            tbody { @for h in call::items(&history) { tr {
                td { (text(h, "at")) }
                td { (text(h, "action")) }
                td { (h.get("by").map(|b| text(b, "kind")).unwrap_or_default()) }
                td { ul { @for c in h.get("changes").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]) {
                    li { (text(c, "field")) ": " (text(c, "from")) " → " (text(c, "to")) }
                } } }
            } } }
        } }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Certificates,
        text(&cert, "certificate_number"),
        notice(&q),
        body,
    ))
}
