//! Certificates: the list (the API's filters, search, ordering, pages, export) and a
//! certificate's page with its document and its history of changes.

use certwatch_domain::registry::CertStatus;
use maud::{Markup, html};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::bulk::document_preview;
use super::call;
use super::export::{self, Column, Format};
use super::form::{Form, csrf_field, form};
use super::layout::{self, Section, notice};
use super::lists::{self, api_query, export_links, pager};
use super::reply::PageResult;
use super::session::Session;
use crate::crud;
use crate::extract::{Query, query};
use crate::route::any_of;
use crate::routes::certificate_types::CertificateTypeView;
use crate::routes::certificates::{CertificateView, Certificates};
use crate::routes::verifications::{self, CheckView, ManualCheckWrite};
use crate::routes::{certificate_history, certificate_types, certificates};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "certificates" => list, query()),
        page!(state, GET "certificates" / "export" => export, query()),
        page!(state, GET "certificates" / Uuid => detail, query()),
        page!(state, POST "certificates" / Uuid / "verify" => verify, form()),
        page!(state, POST "certificates" / Uuid / "verifications" => record, form()),
    ])
}

const COLUMNS: &[Column<CertificateView>] = &[
    ("Certificate number", |c| c.certificate_number.clone()),
    ("Type", |c| c.certificate_type.code.clone()),
    ("Supplier", |c| c.organization.name.clone()),
    ("Supplier external id", |c| {
        call::text(&c.organization.external_id).into()
    }),
    ("Issuing body", |c| c.issuing_body.clone()),
    ("Issue date", |c| call::day(c.issue_date)),
    ("Expiry date", |c| call::day(c.expiry_date)),
    ("Status", |c| c.status.clone()),
    ("Scope", |c| c.scope.clone()),
];

/// The certificates table, with or without the supplier column.
pub fn certificate_rows(certs: &[CertificateView], with_supplier: bool) -> Markup {
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
                            td { a href={ "/certificates/" (c.id) "/" } { (c.certificate_number) } }
                            td { (c.certificate_type.code) }
                            @if with_supplier {
                                td { a href={ "/suppliers/" (c.organization.id) "/" } { (c.organization.name) } }
                            }
                            td { (c.issuing_body) }
                            td { (call::day(c.expiry_date)) }
                            td class={ "status-" (c.status) } { (c.status) }
                        }
                    }
                }
            } }
        }
    }
}

fn filters(q: &Query, types: &[CertificateTypeView]) -> Markup {
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
                    @for s in CertStatus::ALL.map(CertStatus::as_str) {
                        option value=(s) selected[value("status") == s] { (s) }
                    }
                } }
            div.field { label for="type_code" { "Type" }
                select id="type_code" name="type_code" {
                    option value="" { "Any" }
                    @for t in types {
                        option value=(t.code) selected[value("type_code") == t.code] { (t.name) }
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
    let types = certificate_types::list_types(state.clone(), caller.clone(), types_query).await?;
    let answer =
        certificates::list_certificates(state.clone(), caller.clone(), api_query(&q)).await?;
    let body = html! {
        (filters(&q, &types.results))
        (export_links("/certificates/", &q))
        (certificate_rows(&answer.results, true))
        (pager("/certificates/", &q, answer.count))
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
    let cert = crud::get::<Certificates>(&state, caller, id).await?;
    let history_query = call::query(&Query::default(), &[("page_size", "100".into())]);
    let history =
        certificate_history::certificate_history(id, state.clone(), caller.clone(), history_query)
            .await?;
    // The document a person uploaded: the bulk-upload item that last filed this certificate.
    let item = history
        .results
        .iter()
        .find(|h| h.by.kind == "bulk_item")
        .and_then(|h| h.by.id);
    let all = call::query(&Query::default(), &[("page_size", "50".into())]);
    let checks = verifications::list_verifications(id, state.clone(), caller.clone(), all).await?;
    let org = &cert.organization;
    let link = |url: &Option<String>| {
        html! { @if let Some(url) = url { a href=(url) rel="noopener noreferrer" { (url) } } }
    };
    let body = html! {
        dl.facts {
            dt { "Supplier" } dd { a href={ "/suppliers/" (org.id) "/" } { (org.name) } }
            dt { "Type" } dd { (cert.certificate_type.name) }
            dt { "Status" } dd class={ "status-" (cert.status) } { (cert.status) }
            dt { "Issuing body" } dd { (cert.issuing_body) }
            dt { "Issued" } dd { (call::day(cert.issue_date)) }
            dt { "Expires" } dd { (call::day(cert.expiry_date)) }
            dt { "Scope" } dd { (cert.scope) }
            @if cert.source_url.is_some() { dt { "Found at" } dd { (link(&cert.source_url)) } }
            @if cert.document_url.is_some() { dt { "Document link" } dd { (link(&cert.document_url)) } }
        }
        (register_checks(&session, &cert, &checks.results))
        h2 { "Document" }
        @if let Some(item) = item {
            (document_preview(item, "the document"))
        } @else {
            p { "No uploaded document." }
        }
        h2 { "History" }
        div.table-wrap { table {
            thead { tr { th { "When" } th { "What" } th { "By" } th { "Changes" } } }
            tbody { @for h in &history.results { tr {
                td { (call::moment(Some(h.at))) }
                td { (h.action) }
                td { (h.by.kind) }
                td { ul { @for c in &h.changes {
                    li { (c.field) ": " (call::text(&c.from)) " → " (call::text(&c.to)) }
                } } }
            } } }
        } }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Certificates,
        &cert.certificate_number,
        notice(&q),
        body,
    ))
}

/// What the registers say of the certificate: the latest check, "verify now", each check
/// with its evidence, and a form to record what a register without an API says.
fn register_checks(session: &Session, cert: &CertificateView, checks: &[CheckView]) -> Markup {
    let id = cert.id;
    html! {
        h2 { "Register" }
        @if let Some(v) = &cert.verification {
            dl.facts {
                dt { "Register says" } dd class={ "status-" (v.status) } { (v.status) @if !v.raw_status.is_empty() { " (" (v.raw_status) ")" } }
                dt { "Asked" } dd { (v.provider) ", " (call::moment(Some(v.checked_at))) }
                dt { "Number there" } dd { (call::text(&v.register_number)) }
                @if !v.mismatch.is_empty() {
                    dt { "Differs from the file" } dd.status-failed { (v.mismatch.join(", ")) }
                }
            }
        } @else {
            p { "Not checked in a register yet." }
        }
        (button(session, &format!("/certificates/{id}/verify/"), "Verify now", false))
        @if !checks.is_empty() {
            h3 { "Checks" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Register" } th scope="col" { "Answer" } th scope="col" { "Evidence" } } }
                tbody { @for c in checks { tr {
                    td { (call::moment(Some(c.checked_at))) }
                    td { (c.provider) }
                    td class={ "status-" (c.status) } { (c.status) @if let Some(e) = &c.error { ": " (e) } }
                    td { @if !c.evidence.is_empty() { details { summary { "What the register sent" } pre { (c.evidence) } } } }
                } } }
            } }
        }
        details {
            summary { "Record what a register without an API says (IATF, PEFC)" }
            form method="post" action={ "/certificates/" (id) "/verifications/" } {
                (csrf_field(session))
                div.field {
                    label for="check-status" { "The register says" }
                    select id="check-status" name="status" {
                        @for s in ["active", "suspended", "withdrawn", "expired", "not_found"] { option value=(s) { (s) } }
                    }
                }
                div.field { label for="check-raw" { "In its words" } input id="check-raw" name="raw_status" type="text" maxlength="200"; }
                div.field { label for="check-evidence" { "What you saw (the page's address and text)" } textarea id="check-evidence" name="evidence" required maxlength="100000" {} }
                button type="submit" { "Record" }
            }
        }
    }
}

async fn verify(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let back = format!("/certificates/{id}/");
    act(state, session, &form, &back, "verifying", |s, c| {
        verifications::verify_certificate(id, s, c)
    })
    .await
}

async fn record(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let back = format!("/certificates/{id}/");
    let write = form.write::<ManualCheckWrite>(&["status", "raw_status", "evidence"], &[]);
    act(state, session, &form, &back, "recorded", |s, c| {
        verifications::record_verification(id, s, c, write)
    })
    .await
}
