//! The review queue: a person confirms (with corrections) or skips an item, looking at its file.
use certwatch_actors::BulkMsg;

use certwatch_domain::bulk::Confirmation;
use certwatch_domain::rules;
use certwatch_store::engine::files::read_stored;
use certwatch_store::tables;
use chrono::NaiveDate;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::reply::Response;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Parsed;
use crate::input::{Input, Write};
use crate::state::State;

use super::views::*;

/// Request body of confirm.
#[derive(ToSchema)]
pub struct ConfirmWrite {
    #[schema(value_type = Uuid, required = true)]
    organization_id: Option<Uuid>,
    #[schema(value_type = String, required = true)]
    certificate_type_code: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    certificate_number: Option<String>,
    #[schema(value_type = Option<String>, max_length = 200)]
    issuing_body: Option<String>,
    #[schema(value_type = Option<String>, max_length = 2000)]
    scope: Option<String>,
    /// A calendar date in the years 1950 to 2200, not after `expiry_date`.
    #[schema(value_type = Option<NaiveDate>)]
    issue_date: Option<Option<NaiveDate>>,
    /// A calendar date in the years 1950 to 2200.
    #[schema(value_type = NaiveDate, required = true)]
    expiry_date: Option<NaiveDate>,
}

impl Write for ConfirmWrite {
    fn read(input: &mut Input) -> Self {
        let date_message = crate::routes::certificates::DATE_MESSAGE;
        ConfirmWrite {
            organization_id: input.required_uuid("organization_id"),
            certificate_type_code: input.required_parsed(
                "certificate_type_code",
                rules::type_code,
                "Use upper-case letters, digits and _ (like ISO_9001).",
            ),
            certificate_number: input.required_text("certificate_number", 100),
            issuing_body: input.text("issuing_body", 200),
            scope: input.text("scope", 2000),
            issue_date: input.optional_parsed("issue_date", rules::certificate_date, date_message),
            expiry_date: input.required_parsed(
                "expiry_date",
                rules::certificate_date,
                date_message,
            ),
        }
    }
}

#[utoipa::path(post, path = "/api/bulk-upload/items/{id}/confirm/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Item id")),
    request_body = ConfirmWrite,
    security(("token" = [])),
    responses(
        (status = 200, description = "The certificate is filed; the item is matched", body = ItemView),
        (status = 400, description = "Field errors, or the item does not need review"),
        (status = 404, description = "Not in this tenant"),
    ))]
pub async fn confirm_item(
    id: Uuid,
    state: State,
    caller: Caller,
    write: Parsed<ConfirmWrite>,
) -> Result<ItemView, ApiError> {
    tables::bulk_items::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let write = write?;
    let ConfirmWrite {
        issuing_body,
        scope,
        issue_date,
        ..
    } = write;
    let (Some(organization_id), Some(code), Some(number), Some(expiry_date)) = (
        write.organization_id,
        write.certificate_type_code,
        write.certificate_number,
        write.expiry_date,
    ) else {
        return Err(ApiError::BadRequest("Incomplete confirmation.".into()));
    };
    let confirmation = Confirmation {
        organization_id,
        certificate_type_code: code,
        certificate_number: number,
        issuing_body: issuing_body.unwrap_or_default(),
        scope: scope.unwrap_or_default(),
        issue_date: issue_date.flatten(),
        expiry_date,
    };
    let item = state
        .actors
        .tenant(caller.tenant_id, |reply| BulkMsg::ConfirmItem {
            item: id,
            confirmation,
            reply,
        })
        .await?;
    Ok(item_view(&state, item))
}

#[utoipa::path(post, path = "/api/bulk-upload/items/{id}/skip/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Item id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The item is skipped", body = ItemView),
        (status = 400, description = "The item does not need review"),
        (status = 404, description = "Not in this tenant"),
    ))]
pub async fn skip_item(id: Uuid, state: State, caller: Caller) -> Result<ItemView, ApiError> {
    let item = state
        .actors
        .tenant(caller.tenant_id, |reply| BulkMsg::SkipItem {
            item: id,
            reply,
        })
        .await?;
    Ok(item_view(&state, item))
}

#[utoipa::path(get, path = "/api/bulk-upload/files/{id}/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Item id")),
    security(("token" = [])),
    responses((status = 200, description = "The uploaded file with its Content-Type"), (status = 404, description = "Not in this tenant")))]
pub async fn serve_file(id: Uuid, state: State, caller: Caller) -> Result<Response, ApiError> {
    let item =
        tables::bulk_items::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let dir = state.store().data_dir().to_path_buf();
    let sha = item.sha256.clone();
    let bytes = file_io("reading", move || read_stored(&dir, &sha)).await?;
    let mut response = Response::new(bytes.into());
    let headers = response.headers_mut();
    let value = |v: &str| {
        warp::http::HeaderValue::from_str(v).map_err(|e| ApiError::Internal(e.to_string()))
    };
    headers.insert("content-type", value(&item.content_type)?);
    let disposition = format!(
        "inline; filename=\"{}\"",
        item.filename.replace(['"', '\r', '\n'], "")
    );
    if let Ok(v) = value(&disposition) {
        headers.insert("content-disposition", v);
    }
    Ok(response)
}
