//! `POST /api/imports/upload/`: organizations and certificate types from a spreadsheet.

use certwatch_actors::import::{self, ImportError};
use certwatch_store::ops::import::RowError;
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use warp::filters::BoxedFilter;
use warp::filters::multipart::FormData;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::error::ApiError;
use crate::respond::json_reply;
use crate::route::route;
use crate::state::State;
use crate::upload;

/// One finished import as the pages list it: the counts its `import.completed` event carries.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ImportRun {
    #[serde(skip)]
    pub at: Option<DateTime<Utc>>,
    pub rows_imported: usize,
    pub rows_failed: usize,
    pub organizations_created: usize,
    pub organizations_updated: usize,
}

/// The tenant's last `n` imports, newest first.
pub fn latest_runs(state: &State, caller: &Caller, n: usize) -> Result<Vec<ImportRun>, ApiError> {
    let events = tables::import_runs::latest(state.store(), caller.tenant_id, n)?;
    Ok(events
        .into_iter()
        .map(|e| ImportRun {
            at: Some(e.created_at),
            ..serde_json::from_str(&e.data).unwrap_or_default()
        })
        .collect())
}

/// Largest spreadsheet accepted (a 100,000-row CSV is about 10 MB).
pub const MAX_IMPORT_BYTES: u64 = 64 << 20;

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub organizations_created: usize,
    pub organizations_updated: usize,
    pub certificate_types_created: usize,
    pub certificate_types_updated: usize,
    /// Contacts added from a contact-email column.
    pub contacts_created: usize,
    /// Certificate discovery runs started for new organizations with a website.
    pub discovery_triggered: usize,
    /// One entry per problem: `{row, column, error}`; rows are the file's row numbers.
    /// At most `CERTWATCH_MAX_IMPORT_ERRORS` are listed.
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<RowError>,
    /// Problems past those listed, counted only.
    pub errors_not_listed: usize,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let form = upload::form(
        MAX_IMPORT_BYTES,
        "Send the spreadsheet as multipart/form-data in a field named 'file'.",
    );
    route!(raw upload, signed_in(state), form)
}

#[utoipa::path(post, path = "/api/imports/upload/", tag = "imports",
    request_body(content_type = "multipart/form-data", description = "A field `file` with a .csv (UTF-8, comma or semicolon), .xlsx or .xls file; first row the header"),
    security(("token" = [])),
    responses(
        (status = 200, description = "Every row imported", body = ImportResult),
        (status = 207, description = "Some rows imported; `errors` lists the others", body = ImportResult),
        (status = 400, description = "Not a readable spreadsheet of that kind, or no row could be imported"),
        (status = 413, description = "File too large"),
    ))]
pub async fn upload(
    state: State,
    caller: Caller,
    form: Result<FormData, ApiError>,
) -> Result<Response, ApiError> {
    let imported = import(&state, &caller, form).await?;
    let result = imported.result;
    let status = match (imported.rows_imported, result.errors.is_empty()) {
        (0, _) => {
            let body = serde_json::json!({
                "error": NOTHING_IMPORTED,
                "errors": result.errors,
                "errors_not_listed": result.errors_not_listed,
            });
            return Ok(json_reply(StatusCode::BAD_REQUEST, &body));
        }
        (_, true) => StatusCode::OK,
        (_, false) => StatusCode::MULTI_STATUS,
    };
    Ok(json_reply(status, &result))
}

/// What an import refused when it imported no row at all.
pub const NOTHING_IMPORTED: &str = "No row could be imported.";

/// An import's counts and the rows it refused.
pub struct Imported {
    pub rows_imported: usize,
    pub result: ImportResult,
}

/// Imports the spreadsheet in the form's `file` field into the caller's tenant.
pub async fn import(
    state: &State,
    caller: &Caller,
    form: Result<FormData, ApiError>,
) -> Result<Imported, ApiError> {
    let upload = upload::files(
        form?,
        "file",
        MAX_IMPORT_BYTES,
        &state.store().data_dir().join("tmp"),
        upload::Budget {
            bytes: MAX_IMPORT_BYTES,
            exceeded: format!("The upload is larger than {} MiB.", MAX_IMPORT_BYTES >> 20),
        },
    )
    .await?
    .into_iter()
    .next()
    .ok_or_else(|| ApiError::field("file", "No file was uploaded in a field named 'file'."))?;
    let file = upload.file.ok_or_else(|| {
        ApiError::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The upload is larger than {} MiB.", MAX_IMPORT_BYTES >> 20),
        )
    })?;
    let kind =
        import::detect(&upload.filename, &file.head).map_err(|e| ApiError::field("file", e))?;
    // `file` stays alive (and on disk) until the worker has read it.
    let report = match import::run(&state.actors, caller.tenant_id, kind, file.path.clone()).await {
        Ok(report) => report,
        Err(ImportError::Unreadable(e)) => return Err(ApiError::field("file", e)),
        Err(ImportError::Actor(e)) => return Err(e.into()),
    };
    drop(file);
    let c = report.counts;
    Ok(Imported {
        rows_imported: report.rows_imported,
        result: ImportResult {
            organizations_created: c.organizations_created,
            organizations_updated: c.organizations_updated,
            certificate_types_created: c.certificate_types_created,
            certificate_types_updated: c.certificate_types_updated,
            contacts_created: c.contacts_created,
            discovery_triggered: c.discovery_triggered,
            errors: report.errors,
            errors_not_listed: report.more_errors,
        },
    })
}
