//! Importing suppliers from a spreadsheet: the upload, and the outcome with the rows
//! that could not be imported as a table.

use maud::{Markup, html};
use warp::filters::BoxedFilter;
use warp::filters::multipart::FormData;
use warp::http::StatusCode;
use warp::reply::Response;

use super::layout::{self, Section, notice};
use super::reply::PageResult;
use super::session::Session;
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::route::any_of;
use crate::routes::imports::{self, MAX_IMPORT_BYTES};
use crate::state::State;
use crate::upload;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let spreadsheet = upload::form(MAX_IMPORT_BYTES, "Choose a spreadsheet file.");
    any_of(vec![
        page!(state, GET "import" => page, query()),
        page!(state, POST "import" => send, query(), spreadsheet),
    ])
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
    let refused = |message: String| (StatusCode::BAD_REQUEST, Some(message));
    let ((status, failure), result) = match imports::import(&state, &viewer.caller, form).await {
        Ok(imported) if imported.rows_imported == 0 => (
            refused(imports::NOTHING_IMPORTED.to_string()),
            Some(imported.result),
        ),
        Ok(imported) => ((StatusCode::OK, None), Some(imported.result)),
        Err(ApiError::Fields(fields)) => {
            let messages: Vec<String> = fields.into_values().flatten().collect();
            (refused(messages.join(" ")), None)
        }
        Err(ApiError::Status(status, message)) => ((status, Some(message)), None),
        Err(e) => return Err(e.into()),
    };
    let body = html! {
        @if let Some(failure) = &failure {
            div.errors role="alert" { p { (failure) } }
        } @else if let Some(r) = &result {
            p.notice role="status" {
                (r.organizations_created) " suppliers created, "
                (r.organizations_updated) " updated, "
                (r.certificate_types_created) " certificate types created."
            }
        }
        @if let Some(r) = result.as_ref().filter(|r| !r.errors.is_empty()) {
            h2 { "Rows not imported" }
            div.table-wrap { table {
                thead { tr { th scope="col" { "Row" } th scope="col" { "Column" } th scope="col" { "Problem" } } }
                tbody { @for e in &r.errors { tr {
                    td { (e.row) }
                    td { (e.column) }
                    td { (e.error) }
                } } }
            } }
            @if r.errors_not_listed > 0 {
                p { (r.errors_not_listed) " more problems are not listed." }
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
