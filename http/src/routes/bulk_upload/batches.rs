//! Batches: uploading documents, and following a batch and its items.
use certwatch_actors::BulkMsg;

use certwatch_domain::bulk::{Accepted, Batch, Item, Origin};
use certwatch_ingest::uploads::{MAX_FILE_BYTES, check_file};
use certwatch_store::engine::files::store_file;
use certwatch_store::tables;
use chrono::Utc;
use uuid::Uuid;
use warp::filters::multipart::FormData;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Query;
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::state::State;
use crate::upload;

use super::views::*;

#[utoipa::path(post, path = "/api/bulk-upload/", tag = "bulk-upload",
    request_body(content_type = "multipart/form-data", description = "Fields `files`: .pdf, .png, .jpg, .jpeg, .tiff or .webp, at most 20 MB each"),
    security(("token" = [])),
    responses(
        (status = 201, description = "The batch; processing starts in the background. Refused files are in `file_errors`", body = BatchView),
        (status = 400, description = "No file, or every file refused (the reasons under `files`)"),
        (status = 400, description = "No files sent"),
        (status = 413, description = "The request is larger than 512 MiB, or the files would exceed the tenant's storage quota"),
    ))]
pub async fn create_batch(
    state: State,
    caller: Caller,
    form: Result<FormData, ApiError>,
) -> Result<BatchView, ApiError> {
    let (batch, items) = intake(&state, caller.tenant_id, form?, Origin::Upload).await?;
    Ok(batch_view(batch, &items))
}

/// Reads the `files` of an upload into a new batch of `origin` within the tenant's storage
/// quota, and has the tenant's actor process it: the batch and its items. Every upload of
/// documents comes through here (the API, the pages, a supplier's link).
pub(crate) async fn intake(
    state: &State,
    tenant: Uuid,
    form: FormData,
    origin: Origin,
) -> Result<(Batch, Vec<Item>), ApiError> {
    let quota = state.config.storage_quota_bytes;
    let store = state.store().clone();
    let used =
        crate::blocking::blocking(move || certwatch_store::ops::bulk::stored_bytes(&store, tenant))
            .await??;
    let files = upload::files(
        form,
        "files",
        MAX_FILE_BYTES as u64,
        &state.store().data_dir().join("tmp"),
        upload::Budget {
            bytes: quota.saturating_sub(used),
            exceeded: format!(
                "These files would take the organization's stored documents past its quota of {} MiB ({} MiB used).",
                quota >> 20,
                used >> 20
            ),
        },
    )
    .await?;
    if files.is_empty() {
        return Err(ApiError::field(
            "files",
            "Send at least one file in a field named 'files'.",
        ));
    }
    let (accepted, file_errors) = store_accepted(state, files).await?;
    // Every file refused: no batch of nothing, the request is refused with the reasons.
    let Some((mut batch, items)) =
        Batch::pending(tenant, accepted, file_errors.clone(), Utc::now())
    else {
        return Err(ApiError::Fields(
            [("files".to_string(), file_errors)].into_iter().collect(),
        ));
    };
    batch.origin = origin;
    let view_items = items.clone();
    let batch = state
        .actors
        .tenant(tenant, |reply| BulkMsg::CreateBatch {
            batch,
            items,
            reply,
        })
        .await?;
    Ok((batch, view_items))
}

/// Checks each uploaded file's kind and stores the accepted ones in the content-addressed
/// file store (immutable blobs, so the request's task writes them and the tenant actor only
/// records them); the reasons for the refused ones come back beside.
async fn store_accepted(
    state: &State,
    files: Vec<upload::Upload>,
) -> Result<(Vec<Accepted>, Vec<String>), ApiError> {
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut refused = Vec::new();
    for upload::Upload { filename, file } in files {
        let Some(file) = file else {
            refused.push(format!("File '{filename}' is larger than 20 MB."));
            continue;
        };
        let content_type = match check_file(&filename, &file.head, file.size) {
            Ok(ct) => ct,
            Err(e) => {
                refused.push(e);
                continue;
            }
        };
        // The same file twice is stored once (and is one item).
        if !accepted.iter().any(|a| a.sha256 == file.sha256) {
            let dir = state.store().data_dir().to_path_buf();
            let (sha, path) = (file.sha256.clone(), file.path.clone());
            file_io("storing", move || store_file(&dir, &sha, &path)).await?;
        }
        accepted.push(Accepted {
            filename,
            content_type: content_type.to_string(),
            sha256: file.sha256.clone(),
            size: file.size,
        });
    }
    Ok((accepted, refused))
}

#[utoipa::path(get, path = "/api/bulk-upload/", tag = "bulk-upload",
    params(PageParams),
    security(("token" = [])),
    responses((status = 200, description = "Batches, newest first", body = Page<BatchView>)))]
pub async fn list_batches(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<BatchView>, ApiError> {
    let tenant = caller.tenant_id;
    let mut views = Vec::new();
    for batch in tables::bulk_batches::of_tenant(state.store(), tenant)? {
        let items = tables::bulk_items::of_batch(state.store(), tenant, batch.id)?;
        views.push(batch_view(batch, &items));
    }
    paginate_vec(views, &q, &state.public_url(), "/api/bulk-upload/")
}

#[utoipa::path(get, path = "/api/bulk-upload/{id}/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Batch id")),
    security(("token" = [])),
    responses((status = 200, description = "The batch with live counts", body = BatchView), (status = 404, description = "Not in this tenant")))]
pub async fn get_batch(id: Uuid, state: State, caller: Caller) -> Result<BatchView, ApiError> {
    let batch = tables::bulk_batches::get(state.store(), caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    let items = tables::bulk_items::of_batch(state.store(), caller.tenant_id, id)?;
    Ok(batch_view(batch, &items))
}

#[utoipa::path(get, path = "/api/bulk-upload/{id}/items/", tag = "bulk-upload",
    params(("id" = Uuid, Path, description = "Batch id"), PageParams),
    security(("token" = [])),
    responses((status = 200, description = "The batch's items in upload order", body = Page<ItemView>), (status = 404, description = "Not in this tenant")))]
pub async fn list_items(
    id: Uuid,
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<ItemView>, ApiError> {
    tables::bulk_batches::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let views: Vec<ItemView> = tables::bulk_items::of_batch(state.store(), caller.tenant_id, id)?
        .into_iter()
        .map(|i| item_view(&state, i))
        .collect();
    let path = format!("/api/bulk-upload/{id}/items/");
    paginate_vec(views, &q, &state.public_url(), &path)
}
