//! Importing suppliers from a spreadsheet: the upload, and the outcome with the rows
//! that could not be imported as a table.

use maud::{Markup, html};
use serde_json::Value;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::filters::multipart::FormData;
use warp::http::StatusCode;
use warp::reply::Response;

use super::call::{self, text};
use super::layout::{self, Section, notice};
use super::reply::{PageResult, done};
use super::session::{Session, session};
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::routes::imports::{self, MAX_IMPORT_BYTES};
use crate::state::{State, with_state};
use crate::upload;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let page = warp::path!("import")
        .and(warp::get())
        .and(with_state(state))
        .and(session(state))
        .and(query())
        .then(page)
        .map(done);
    let send = warp::path!("import")
        .and(warp::post())
        .and(with_state(state))
        .and(session(state))
        .and(query())
        .and(upload::form(MAX_IMPORT_BYTES, "Choose a spreadsheet file."))
        .then(send)
        .map(done);
    page.or(send).unify().boxed()
}

/// Forms that send files carry the CSRF value in their action's query string: the body
/// is streamed to the API handler and never read by the page.
pub fn upload_action(path: &str, session: &Session) -> String {
    format!("{path}?csrf={}", session.csrf)
}

fn upload_form(session: &Session) -> Markup {
    html! {
        p { "A .csv (UTF-8, comma or semicolon), .xlsx or .xls file whose first row names the columns: "
            code { "external_id, name, website, lei, vat, country" } ", and optionally certificate types." }
        form method="post" action=(upload_action("/import/", session)) enctype="multipart/form-data" data-upload {
            div.field {
                label for="file" { "Spreadsheet" }
                input id="file" name="file" type="file" required accept=".csv,.xlsx,.xls";
            }
            progress hidden max="1" value="0" aria-label="Upload progress" {}
            button type="submit" { "Import" }
        }
    }
}

async fn page(state: State, session: Session, q: Query) -> PageResult {
    let viewer = session.viewer(&state, "/import/")?;
    let body = upload_form(&session);
    Ok(layout::page(
        &session,
        &viewer,
        Section::Import,
        "Import suppliers",
        notice(&q),
        body,
    ))
}

async fn send(
    state: State,
    session: Session,
    q: Query,
    form: Result<FormData, ApiError>,
) -> PageResult {
    let viewer = session.viewer(&state, "/import/")?;
    session.check_csrf(q.get("csrf"))?;
    let (status, outcome) =
        match call::json(imports::upload(state.clone(), viewer.caller.clone(), form).await).await {
            Ok(answer) => answer,
            Err(ApiError::Fields(fields)) => {
                let messages: Vec<String> = fields.into_values().flatten().collect();
                (
                    StatusCode::BAD_REQUEST,
                    serde_json::json!({ "error": messages.join(" ") }),
                )
            }
            Err(ApiError::Status(status, message)) => {
                (status, serde_json::json!({ "error": message }))
            }
            Err(e) => return Err(e.into()),
        };
    let errors = outcome
        .get("errors")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let body = html! {
        @if !text(&outcome, "error").is_empty() {
            div.errors role="alert" { p { (text(&outcome, "error")) } }
        } @else {
            p.notice role="status" {
                (call::count(&outcome, "organizations_created")) " suppliers created, "
                (call::count(&outcome, "organizations_updated")) " updated, "
                (call::count(&outcome, "certificate_types_created")) " certificate types created."
            }
        }
        @if !errors.is_empty() {
            h2 { "Rows not imported" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Row" } th scope="col" { "Column" } th scope="col" { "Problem" } } }
                tbody { @for e in errors { tr {
                    td { (e.get("row").map(|r| r.to_string()).unwrap_or_default()) }
                    td { (text(e, "column")) }
                    td { (text(e, "error")) }
                } } }
            } }
            @if call::count(&outcome, "errors_not_listed") > 0 {
                p { (call::count(&outcome, "errors_not_listed")) " more problems are not listed." }
            }
        }
        h2 { "Import another file" }
        (upload_form(&session))
    };
    let mut response = layout::page(
        &session,
        &viewer,
        Section::Import,
        "Import suppliers",
        None,
        body,
    );
    // A partial import (207 in the API) is a page like any other.
    if status.is_client_error() {
        *response.status_mut() = status;
    }
    Ok(response)
}
