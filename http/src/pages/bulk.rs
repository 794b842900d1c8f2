//! Bulk upload: dropping many documents, following a batch live, and the review queue —
//! the document beside what was read from it, corrected in place, confirmed or skipped,
//! by keyboard alone if need be.

use certwatch_domain::bulk::ItemStatus;
use certwatch_domain::matching::Evidence;
use certwatch_store::tables;
use maud::{Markup, html};
use serde_json::Value;
use uuid::Uuid;
use warp::Filter;
use warp::Reply;
use warp::filters::BoxedFilter;
use warp::filters::multipart::FormData;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use super::call::{self, text};
use super::form::{
    Errors, Form, csrf_field, error_summary, field_errors, form, input, required, select,
};
use super::imports::upload_action;
use super::layout::{self, Section, notice};
use super::reply::{PageResult, done, redirect};
use super::session::{Session, Viewer, session};
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::routes::bulk_upload::{self, MAX_REQUEST_BYTES, views::item_view};
use crate::routes::{certificate_types, organizations};
use crate::state::{State, with_state};
use crate::upload;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let get = || warp::get().and(with_state(state)).and(session(state));
    let post = || warp::post().and(with_state(state)).and(session(state));
    let start = warp::path!("bulk-upload")
        .and(get())
        .and(query())
        .then(start)
        .map(done);
    let send = warp::path!("bulk-upload")
        .and(post())
        .and(query())
        .and(upload::form(
            MAX_REQUEST_BYTES,
            "Choose the documents to upload.",
        ))
        .then(send)
        .map(done);
    let batch = warp::path!("bulk-upload" / Uuid)
        .and(get())
        .and(query())
        .then(batch)
        .map(done);
    let progress = warp::path!("bulk-upload" / Uuid / "progress")
        .and(get())
        .then(progress)
        .map(done);
    let preview = warp::path!("bulk-upload" / "items" / Uuid / "preview")
        .and(get())
        .then(preview)
        .map(done);
    let file = warp::path!("bulk-upload" / "items" / Uuid / "file")
        .and(get())
        .then(file)
        .map(done);
    let queue = warp::path!("review")
        .and(get())
        .and(query())
        .then(queue)
        .map(done);
    let next = warp::path!("review" / "next")
        .and(get())
        .and(query())
        .then(next)
        .map(done);
    let item = warp::path!("review" / Uuid)
        .and(get())
        .and(query())
        .then(item)
        .map(done);
    let confirm = warp::path!("review" / Uuid / "confirm")
        .and(post())
        .and(form())
        .then(confirm)
        .map(done);
    let skip = warp::path!("review" / Uuid / "skip")
        .and(post())
        .and(form())
        .then(skip)
        .map(done);
    start
        .or(send)
        .unify()
        .or(progress)
        .unify()
        .or(file)
        .unify()
        .or(preview)
        .unify()
        .or(batch)
        .unify()
        .or(next)
        .unify()
        .or(confirm)
        .unify()
        .or(skip)
        .unify()
        .or(item)
        .unify()
        .or(queue)
        .unify()
        .boxed()
}

async fn start(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/bulk-upload/")?;
    let batches_query = call::query(&Query::default(), &[("page_size", "20".into())]);
    let batches = call::value(
        bulk_upload::list_batches(state.clone(), viewer.caller.clone(), batches_query).await,
    )
    .await?;
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
        (batch_table(call::items(&batches)))
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

fn batch_table(batches: &[Value]) -> Markup {
    html! {
        @if batches.is_empty() { p { "None yet." } } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Uploaded" } th scope="col" { "Status" } th scope="col" { "Files" }
                    th scope="col" { "Filed" } th scope="col" { "To review" } th scope="col" { "Failed" } } }
                tbody { @for b in batches { tr {
                    td { a href={ "/bulk-upload/" (text(b, "id")) "/" } { (call::moment(b, "created_at")) } }
                    td { (text(b, "status")) }
                    td { (call::count(b, "total_items")) }
                    td { (call::count(b, "matched_count")) }
                    td { (call::count(b, "needs_review_count")) }
                    td { (call::count(b, "failed_count")) }
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
    match call::value(bulk_upload::create_batch(state.clone(), viewer.caller.clone(), form).await)
        .await
    {
        Ok(batch) => Ok(redirect(&format!("/bulk-upload/{}/", text(&batch, "id")))),
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
    let batch =
        call::value(bulk_upload::get_batch(id, state.clone(), caller.clone()).await).await?;
    let items_query = call::query(&Query::default(), &[("page_size", "500".into())]);
    let items =
        call::value(bulk_upload::list_items(id, state.clone(), caller.clone(), items_query).await)
            .await?;
    let done = text(&batch, "status") == "completed";
    let counts = [
        ("total_items", "files"),
        ("processed_count", "read"),
        ("matched_count", "filed"),
        ("needs_review_count", "to review"),
        ("failed_count", "failed"),
    ];
    let body = html! {
        section data-progress={ "/bulk-upload/" (id) "/progress/" } data-done=[done.then_some("true")] aria-live="polite" {
            progress max=(call::count(&batch, "total_items").max(1)) value=(call::count(&batch, "processed_count")) aria-label="Files read" {}
            p { @for (field, label) in counts { span.count { strong data-count=(field) { (call::count(&batch, field)) } " " (label) " · " } } }
            p data-when-done hidden[!done] { "The batch is read. " a href="/review/" { "Review what needs a look" } }
        }
        @for e in batch.get("file_errors").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]) {
            p.errors { (e.as_str().unwrap_or_default()) }
        }
        h2 { "Files" }
        div.table-wrap { table {
            thead { tr { th scope="col" { "File" } th scope="col" { "Status" } th scope="col" { "Why" } } }
            tbody { @for i in call::items(&items) { tr {
                td { (text(i, "filename")) }
                td class={ "status-" (text(i, "status")) } {
                    @if text(i, "status") == "needs_review" {
                        a href={ "/review/" (text(i, "id")) "/" } { "needs review" }
                    } @else if !text(i, "certificate").is_empty() {
                        a href={ "/certificates/" (text(i, "certificate")) "/" } { (text(i, "status")) }
                    } @else { (text(i, "status")) }
                }
                td { (text(i, "reason")) }
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
    Ok(bulk_upload::get_batch(id, state, viewer.caller).await?)
}

/// An uploaded document, for the preview frame.
async fn file(id: Uuid, state: State, session: Session) -> PageResult {
    let viewer = session.viewer(&state, "/review/")?;
    Ok(bulk_upload::serve_file(id, state, viewer.caller).await?)
}

/// A picture of the document: a PDF's first page drawn (browsers without a PDF viewer,
/// phones among them, show it), or the image itself.
async fn preview(id: Uuid, state: State, session: Session) -> PageResult {
    let viewer = session.viewer(&state, "/review/")?;
    let tenant = viewer.caller.tenant_id;
    let item = tables::bulk_items::get(state.store(), tenant, id)?.ok_or(ApiError::NotFound)?;
    if item.content_type != "application/pdf" {
        return Ok(bulk_upload::serve_file(id, state, viewer.caller).await?);
    }
    let png = certwatch_actors::preview::first_page(&state.actors, tenant, &item.sha256)
        .await
        .map_err(|why| ApiError::Status(StatusCode::UNPROCESSABLE_ENTITY, why))?;
    let mut response = png.into_response();
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("image/png"));
    Ok(response)
}

/// The document of an item as the page shows it: a picture (of a PDF's first page), and
/// the file itself to open.
pub fn document_preview(item: &str, filename: &str) -> Markup {
    html! {
        div.preview {
            img src={ "/bulk-upload/items/" (item) "/preview/" } alt={ "First page of " (filename) };
            p { a href={ "/bulk-upload/items/" (item) "/file/" } target="_blank" rel="noopener" { "Open " (filename) } }
        }
    }
}

/// The items waiting for a person, oldest batch first, in upload order.
fn waiting(state: &State, viewer: &Viewer) -> Result<Vec<Value>, ApiError> {
    let tenant = viewer.caller.tenant_id;
    let mut batches = tables::bulk_batches::of_tenant(state.store(), tenant)?;
    batches.sort_by_key(|b| b.created_at);
    let mut out = Vec::new();
    for b in batches {
        for item in tables::bulk_items::of_batch(state.store(), tenant, b.id)? {
            if item.status == ItemStatus::NeedsReview {
                out.push(
                    serde_json::to_value(item_view(state, item))
                        .map_err(|e| ApiError::Internal(e.to_string()))?,
                );
            }
        }
    }
    Ok(out)
}

async fn queue(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/review/")?;
    let items = waiting(&state, &viewer)?;
    let body = html! {
        @if items.is_empty() {
            p { "Nothing to review." }
        } @else {
            p { (items.len()) " documents need a look. " a.button href={ "/review/" (text(&items[0], "id")) "/" } { "Start with the first" } }
            div.table-wrap { table {
                thead { tr { th scope="col" { "File" } th scope="col" { "Why" } } }
                tbody { @for i in &items { tr {
                    td { a href={ "/review/" (text(i, "id")) "/" } { (text(i, "filename")) } }
                    td { (text(i, "reason")) }
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
    Ok(match waiting(&state, &viewer)?.first() {
        Some(item) => redirect(&format!("/review/{}/?notice={notice}", text(item, "id"))),
        None => redirect(&format!("/review/?notice={notice}")),
    })
}

fn extracted<'a>(item: &'a Value, field: &str) -> Option<&'a Value> {
    item.get("extracted_data")?.get(field)
}

fn extracted_text(item: &Value, field: &str) -> String {
    extracted(item, field)
        .and_then(|f| f.get("value"))
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string())
        })
        .unwrap_or_default()
}

/// "read with 92 % confidence", low ones marked.
fn confidence(item: &Value, field: &str) -> Markup {
    let c = extracted(item, field)
        .and_then(|f| f.get("confidence"))
        .and_then(Value::as_f64);
    html! {
        @if let Some(c) = c {
            span.confidence.low[c < 0.6] { "Read with " (format!("{:.0}", c * 100.0)) " % confidence" }
        } @else {
            span.confidence.low { "Not read" }
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
    let tenant = caller.tenant_id;
    let item = tables::bulk_items::get(state.store(), tenant, id)?.ok_or(ApiError::NotFound)?;
    // The matched supplier, then those the matcher found but could not be sure of, come
    // first: the list below holds only the first 500 by name.
    let mut first: Vec<(Uuid, &str)> = item.organization_id.map(|o| (o, "")).into_iter().collect();
    let candidates = state
        .store()
        .catalog(tenant)?
        .read()
        .suggested_suppliers(&Evidence::of(&item.extracted), 5);
    first.extend(candidates.into_iter().map(|o| (o, " (suggested)")));
    let mut org_options: Vec<(String, String)> =
        vec![(String::new(), "Choose the supplier".into())];
    for (org, note) in first {
        if !org_options.iter().any(|(v, _)| *v == org.to_string())
            && let Some(o) = tables::organizations::get(state.store(), tenant, org)?
        {
            org_options.push((org.to_string(), format!("{}{note}", o.name)));
        }
    }
    let item = serde_json::to_value(item_view(state, item))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let orgs_query = call::query(&Query::default(), &[("page_size", "500".into())]);
    let orgs = call::value(
        organizations::list_organizations(state.clone(), caller.clone(), orgs_query).await,
    )
    .await?;
    let types_query = call::query(&Query::default(), &[("page_size", "500".into())]);
    let types = call::value(
        certificate_types::list_types(state.clone(), caller.clone(), types_query).await,
    )
    .await?;
    let value = |name: &str, extracted_name: &str| -> String {
        match form {
            Some(f) => f.get(name).to_string(),
            None => extracted_text(&item, extracted_name),
        }
    };
    let suggested = match form {
        Some(f) => f.get("organization_id").to_string(),
        None => text(&item, "organization").to_string(),
    };
    for o in call::items(&orgs) {
        if !org_options.iter().any(|(v, _)| v == text(o, "id")) {
            org_options.push((text(o, "id").to_string(), text(o, "name").to_string()));
        }
    }
    let type_options: Vec<(String, String)> = call::items(&types)
        .iter()
        .map(|t| (text(t, "code").to_string(), text(t, "name").to_string()))
        .collect();
    let waiting_for_review = text(&item, "status") == "needs_review";
    let body = html! {
        div.review data-review {
            (document_preview(&id.to_string(), text(&item, "filename")))
            div {
                p { strong { (text(&item, "filename")) } }
                @if !text(&item, "reason").is_empty() { p { "Why it needs a look: " (text(&item, "reason")) } }
                p { "Company named in the document: " strong { (extracted_text(&item, "company_name")) } " " (confidence(&item, "company_name")) }
                @if waiting_for_review {
                    form method="post" action={ "/review/" (id) "/confirm/" } {
                        (csrf_field(session))
                        (error_summary(errors, &["organization_id", "certificate_type_code", "certificate_number", "issuing_body", "scope", "issue_date", "expiry_date"]))
                        (select("Supplier", "organization_id", &org_options, &suggested, errors))
                        (select("Certificate type", "certificate_type_code", &type_options, &value("certificate_type_code", "certificate_type_code"), errors))
                        (confidence(&item, "certificate_type_code"))
                        (required("Certificate number", "certificate_number", "text", &value("certificate_number", "certificate_number"), errors))
                        (confidence(&item, "certificate_number"))
                        (input("Issuing body", "issuing_body", "text", &value("issuing_body", "issuing_body"), errors))
                        (confidence(&item, "issuing_body"))
                        (input("Scope", "scope", "text", &value("scope", "scope"), errors))
                        (input("Issue date", "issue_date", "date", &value("issue_date", "issue_date"), errors))
                        (confidence(&item, "issue_date"))
                        (required("Expiry date", "expiry_date", "date", &value("expiry_date", "expiry_date"), errors))
                        (confidence(&item, "expiry_date"))
                        div.actions {
                            button id="confirm" type="submit" { "Confirm and file " span.key aria-hidden="true" { "Alt+C" } }
                        }
                    }
                    form method="post" action={ "/review/" (id) "/skip/" } {
                        (csrf_field(session))
                        button.secondary id="skip" type="submit" { "Skip " span.key aria-hidden="true" { "Alt+S" } }
                    }
                } @else {
                    p { "This document is " (text(&item, "status")) "." }
                    @if !text(&item, "certificate").is_empty() {
                        p { a href={ "/certificates/" (text(&item, "certificate")) "/" } { "Its certificate" } }
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
    let fields = [
        "organization_id",
        "certificate_type_code",
        "certificate_number",
        "issuing_body",
        "scope",
        "issue_date",
        "expiry_date",
    ];
    let body = form.json(&fields, &[]);
    match bulk_upload::confirm_item(id, state.clone(), viewer.caller.clone(), body).await {
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
