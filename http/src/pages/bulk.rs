//! Bulk upload: dropping many documents, following a batch live, and the review queue —
//! the document beside what was read from it, corrected in place, confirmed or skipped,
//! by keyboard alone if need be.

use certwatch_domain::reading::{Extracted, Field};
use maud::{Markup, html};
use uuid::Uuid;
use warp::Reply;
use warp::filters::BoxedFilter;
use warp::filters::multipart::FormData;
use warp::reply::Response;

use super::call;
use super::form::{
    Errors, Form, csrf_field, error_summary, field_errors, form, input, required, select,
};
use super::imports::upload_action;
use super::layout::{self, Section, notice};
use super::reply::{PageResult, redirect};
use super::session::{Session, Viewer};
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::route::any_of;
use crate::routes::bulk_upload::views::BatchView;
use crate::routes::bulk_upload::{self, MAX_REQUEST_BYTES, queue};
use crate::routes::{certificate_types, organizations};
use crate::state::State;
use crate::upload;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let documents = upload::form(MAX_REQUEST_BYTES, "Choose the documents to upload.");
    any_of(vec![
        page!(state, GET "bulk-upload" => start, query()),
        page!(state, POST "bulk-upload" => send, query(), documents),
        page!(state, GET "bulk-upload" / Uuid / "progress" => progress),
        page!(state, GET "bulk-upload" / "items" / Uuid / "file" => file),
        page!(state, GET "bulk-upload" / "items" / Uuid / "preview" => preview),
        page!(state, GET "bulk-upload" / Uuid => batch, query()),
        page!(state, GET "review" / "next" => next, query()),
        page!(state, POST "review" / Uuid / "confirm" => confirm, form()),
        page!(state, POST "review" / Uuid / "skip" => skip, form()),
        page!(state, GET "review" / Uuid => item, query()),
        page!(state, GET "review" => queue, query()),
    ])
}

async fn start(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/bulk-upload/")?;
    let batches_query = call::query(&Query::default(), &[("page_size", "20".into())]);
    let batches =
        bulk_upload::list_batches(state.clone(), viewer.caller.clone(), batches_query).await?;
    let body = html! {
        p { "Certificates as PDF, PNG, JPEG, TIFF or WebP, up to 20 MB each. Each is read, matched to its supplier and filed; what is not certain goes to " a href="/review/" { "review" } "." }
        form method="post" action=(upload_action("/bulk-upload/", &session)) enctype="multipart/form-data" data-upload {
            div.field {
                label for="files" { "Documents" }
                input id="files" name="files" type="file" multiple required accept=".pdf,.png,.jpg,.jpeg,.tif,.tiff,.webp";
            }
            progress hidden max="1" value="0" aria-label="Upload progress" {}
            button type="submit" { "Upload" }
        }
        h2 { "Batches" }
        (batch_table(&batches.results))
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::BulkUpload,
        "Bulk upload",
        notice(&q),
        body,
    ))
}

fn batch_table(batches: &[BatchView]) -> Markup {
    html! {
        @if batches.is_empty() { p { "None yet." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Uploaded" } th scope="col" { "Status" } th scope="col" { "Files" }
                    th scope="col" { "Filed" } th scope="col" { "To review" } th scope="col" { "Failed" } } }
                tbody { @for b in batches { tr {
                    td { a href={ "/bulk-upload/" (b.id) "/" } { (call::moment(Some(b.created_at))) } }
                    td { (b.status) }
                    td { (b.total_items) }
                    td { (b.matched_count) }
                    td { (b.needs_review_count) }
                    td { (b.failed_count) }
                } } }
            } }
        }
    }
}

async fn send(
    state: State,
    session: Session,
    q: Query,
    form: Result<FormData, ApiError>,
) -> PageResult {
    let viewer = session.viewer(&state, "/bulk-upload/")?;
    session.check_csrf(q.get("csrf"))?;
    match bulk_upload::create_batch(state.clone(), viewer.caller.clone(), form).await {
        Ok(batch) => Ok(redirect(&format!("/bulk-upload/{}/", batch.id))),
        Err(e) => {
            let errors = field_errors(e)?;
            let body = html! {
                (error_summary(&errors, &[]))
                p { a href="/bulk-upload/" { "Try again" } }
            };
            let mut response = layout::page(
                &session,
                &viewer,
                Section::BulkUpload,
                "Bulk upload",
                None,
                body,
            );
            *response.status_mut() = warp::http::StatusCode::BAD_REQUEST;
            Ok(response)
        }
    }
}

async fn batch(id: Uuid, state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, &format!("/bulk-upload/{id}/"))?;
    let caller = &viewer.caller;
    let batch = bulk_upload::get_batch(id, state.clone(), caller.clone()).await?;
    let items_query = call::query(&Query::default(), &[("page_size", "500".into())]);
    let items = bulk_upload::list_items(id, state.clone(), caller.clone(), items_query).await?;
    let done = batch.status == "completed";
    // The names are the view's fields: the page's script updates each from the JSON.
    let counts = [
        ("total_items", batch.total_items, "files"),
        ("processed_count", batch.processed_count, "read"),
        ("matched_count", batch.matched_count, "filed"),
        ("needs_review_count", batch.needs_review_count, "to review"),
        ("failed_count", batch.failed_count, "failed"),
    ];
    let body = html! {
        section data-progress={ "/bulk-upload/" (id) "/progress/" } data-done=[done.then_some("true")] aria-live="polite" {
            progress max=(batch.total_items.max(1)) value=(batch.processed_count) aria-label="Files read" {}
            p { @for (field, count, label) in counts { span.count { strong data-count=(field) { (count) } " " (label) " · " } } }
            p data-when-done hidden[!done] { "The batch is read. " a href="/review/" { "Review what needs a look" } }
        }
        @if let Some(mail) = &batch.mail {
            p {
                "Attached to the mail " q { (mail.subject) }
                @if let Some(from) = &mail.from { " from " (from) }
                @if mail.date.is_some() { " of " (call::moment(mail.date)) }
                @if mail.request.is_some() { ", a reply to a certificate request" }
                ". " a href={ "/admin/mail/" (mail.account) "/" } { "The mailbox" }
            }
        }
        @for e in &batch.file_errors {
            p.errors { (e) }
        }
        h2 { "Files" }
        div.table-wrap { table {
            thead { tr { th scope="col" { "File" } th scope="col" { "Status" } th scope="col" { "Why" } } }
            tbody { @for i in &items.results { tr {
                td { (i.filename) }
                td class={ "status-" (i.status) } {
                    @if i.status == "needs_review" {
                        a href={ "/review/" (i.id) "/" } { "needs review" }
                    } @else if let Some(certificate) = i.certificate {
                        a href={ "/certificates/" (certificate) "/" } { (i.status) }
                    } @else { (i.status) }
                }
                td { (call::text(&i.reason)) }
            } } }
        } }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::BulkUpload,
        "Batch",
        notice(&q),
        body,
    ))
}

/// The batch's counts as the API answers them, for the page's script.
async fn progress(id: Uuid, state: State, session: Session) -> PageResult {
    let viewer = session.viewer(&state, &format!("/bulk-upload/{id}/"))?;
    let batch = bulk_upload::get_batch(id, state, viewer.caller).await?;
    Ok(warp::reply::json(&batch).into_response())
}

/// An uploaded document, for the preview frame.
async fn file(id: Uuid, state: State, session: Session) -> PageResult {
    let viewer = session.viewer(&state, "/review/")?;
    Ok(bulk_upload::serve_file(id, state, viewer.caller).await?)
}

/// A picture of the document, for the review page.
async fn preview(id: Uuid, state: State, session: Session) -> PageResult {
    let viewer = session.viewer(&state, "/review/")?;
    Ok(queue::preview(&state, &viewer.caller, id).await?)
}

/// The document of an item as the page shows it: a picture (of a PDF's first page), and
/// the file itself to open.
pub fn document_preview(item: Uuid, filename: &str) -> Markup {
    html! {
        div.preview {
            img src={ "/bulk-upload/items/" (item) "/preview/" } alt={ "First page of " (filename) };
            p { a href={ "/bulk-upload/items/" (item) "/file/" } target="_blank" rel="noopener" { "Open " (filename) } }
        }
    }
}

async fn queue(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/review/")?;
    let items = queue::waiting(&state, &viewer.caller)?;
    let body = html! {
        @if items.is_empty() {
            p { "Nothing to review." }
        } @else {
            p { (items.len()) " documents need a look. " a.button href={ "/review/" (items[0].id) "/" } { "Start with the first" } }
            div.table-wrap { table {
                thead { tr { th scope="col" { "File" } th scope="col" { "Why" } } }
                tbody { @for i in &items { tr {
                    td { a href={ "/review/" (i.id) "/" } { (i.filename) } }
                    td { (call::text(&i.reason)) }
                } } }
            } }
        }
    };
    Ok(layout::page(
        &session,
        &viewer,
        Section::Review,
        "Review",
        notice(&q),
        body,
    ))
}

/// The next item waiting, after a confirm or a skip.
async fn next(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/review/")?;
    let notice = q.get("notice").unwrap_or_default();
    Ok(match queue::waiting(&state, &viewer.caller)?.first() {
        Some(item) => redirect(&format!("/review/{}/?notice={notice}", item.id)),
        None => redirect(&format!("/review/?notice={notice}")),
    })
}

/// What was read for a field, as the form shows it ("" when nothing was).
fn read<T: ToString>(field: &Option<Field<T>>) -> String {
    field
        .as_ref()
        .map(|f| f.value.to_string())
        .unwrap_or_default()
}

/// "read with 92 % confidence", low ones marked.
fn confidence<T>(field: &Option<Field<T>>) -> Markup {
    html! {
        @if let Some(f) = field {
            span.confidence.low[f.confidence < 0.6] { "Read with " (format!("{:.0}", f.confidence * 100.0)) " % confidence" }
        } @else {
            span.confidence.low { "Not read" }
        }
    }
}

/// An option of a list: its value and its label.
type Choice = (String, String);

/// The fields a person confirms, in the form's order.
const CONFIRMED: [&str; 7] = [
    "organization_id",
    "certificate_type_code",
    "certificate_number",
    "issuing_body",
    "scope",
    "issue_date",
    "expiry_date",
];

/// The form that files the document: each field as read (or as last sent), with how sure
/// the reading was.
fn confirm_form(
    session: &Session,
    id: Uuid,
    e: &Extracted,
    options: (&[Choice], &[Choice]),
    value: impl Fn(&str, String) -> String,
    suggested: &str,
    errors: &Errors,
) -> Markup {
    let (suppliers, types) = options;
    html! {
        form method="post" action={ "/review/" (id) "/confirm/" } {
            (csrf_field(session))
            (error_summary(errors, &CONFIRMED))
            (select("Supplier", "organization_id", suppliers, suggested, errors))
            (select("Certificate type", "certificate_type_code", types, &value("certificate_type_code", read(&e.certificate_type_code)), errors))
            (confidence(&e.certificate_type_code))
            (required("Certificate number", "certificate_number", "text", &value("certificate_number", read(&e.certificate_number)), errors))
            (confidence(&e.certificate_number))
            (input("Issuing body", "issuing_body", "text", &value("issuing_body", read(&e.issuing_body)), errors))
            (confidence(&e.issuing_body))
            (input("Scope", "scope", "text", &value("scope", read(&e.scope)), errors))
            (input("Issue date", "issue_date", "date", &value("issue_date", read(&e.issue_date)), errors))
            (confidence(&e.issue_date))
            (required("Expiry date", "expiry_date", "date", &value("expiry_date", read(&e.expiry_date)), errors))
            (confidence(&e.expiry_date))
            div.actions {
                button id="confirm" type="submit" { "Confirm and file " span.key aria-hidden="true" { "Alt+C" } }
            }
        }
        form method="post" action={ "/review/" (id) "/skip/" } {
            (csrf_field(session))
            button.secondary id="skip" type="submit" { "Skip " span.key aria-hidden="true" { "Alt+S" } }
        }
    }
}

async fn review_page(
    state: &State,
    session: &Session,
    viewer: &Viewer,
    id: Uuid,
    form: Option<&Form>,
    errors: &Errors,
    notice: Option<&str>,
) -> PageResult {
    let caller = &viewer.caller;
    let queue::Review {
        item,
        extracted,
        suppliers,
    } = queue::review(state, caller, id)?;
    let all = call::query(&Query::default(), &[("page_size", "500".into())]);
    let orgs =
        organizations::list_organizations(state.clone(), caller.clone(), all.clone()).await?;
    let types = certificate_types::list_types(state.clone(), caller.clone(), all).await?;
    // The matched and suggested suppliers first: the list holds only the first 500 by name.
    let mut supplier_options: Vec<(String, String)> =
        vec![(String::new(), "Choose the supplier".into())];
    let named = suppliers
        .into_iter()
        .chain(orgs.results.into_iter().map(|o| (o.id, o.name)));
    for (org, name) in named {
        if !supplier_options.iter().any(|(v, _)| *v == org.to_string()) {
            supplier_options.push((org.to_string(), name));
        }
    }
    let type_options: Vec<(String, String)> = types
        .results
        .into_iter()
        .map(|t| (t.code, t.name))
        .collect();
    let value = |name: &str, read: String| match form {
        Some(f) => f.get(name).to_string(),
        None => read,
    };
    let suggested = match form {
        Some(f) => f.get("organization_id").to_string(),
        None => item.organization.map(|o| o.to_string()).unwrap_or_default(),
    };
    let body = html! {
        div.review data-review {
            (document_preview(id, &item.filename))
            div {
                p { strong { (item.filename) } }
                @if let Some(reason) = &item.reason { p { "Why it needs a look: " (reason) } }
                p { "Company named in the document: " strong { (read(&extracted.company_name)) } " " (confidence(&extracted.company_name)) }
                @if item.status == "needs_review" {
                    (confirm_form(session, id, &extracted, (&supplier_options, &type_options), value, &suggested, errors))
                } @else {
                    p { "This document is " (item.status) "." }
                    @if let Some(certificate) = item.certificate {
                        p { a href={ "/certificates/" (certificate) "/" } { "Its certificate" } }
                    }
                }
                p { a href="/review/" { "All documents to review" } }
            }
        }
    };
    let mut response = layout::page(
        session,
        viewer,
        Section::Review,
        "Review a document",
        notice,
        body,
    );
    if !errors.is_empty() {
        *response.status_mut() = warp::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

async fn item(id: Uuid, state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, &format!("/review/{id}/"))?;
    review_page(
        &state,
        &session,
        &viewer,
        id,
        None,
        &Errors::new(),
        layout::notice(&q),
    )
    .await
}

async fn confirm(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, &format!("/review/{id}/"))?;
    session.check_csrf(Some(form.get("csrf")))?;
    let write = form.write(&CONFIRMED, &[]);
    match bulk_upload::confirm_item(id, state.clone(), viewer.caller.clone(), write).await {
        Ok(_) => Ok(redirect("/review/next/?notice=confirmed")),
        Err(e) => {
            let errors = field_errors(e)?;
            review_page(&state, &session, &viewer, id, Some(&form), &errors, None).await
        }
    }
}

async fn skip(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, &format!("/review/{id}/"))?;
    session.check_csrf(Some(form.get("csrf")))?;
    bulk_upload::skip_item(id, state, viewer.caller).await?;
    Ok(redirect("/review/next/?notice=skipped"))
}
