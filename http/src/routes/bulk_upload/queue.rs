//! The review queue as the pages work it: what waits for a person, one item with what was
//! read from it and the suppliers it may be of, and the picture of its document.

use certwatch_domain::bulk::ItemStatus;
use certwatch_domain::matching::Evidence;
use certwatch_domain::reading::Extracted;
use certwatch_store::tables;
use uuid::Uuid;
use warp::Reply;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use super::review::serve_file;
use super::views::{ItemView, item_view};
use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::State;

/// The items waiting for a person, oldest batch first, in upload order.
pub fn waiting(state: &State, caller: &Caller) -> Result<Vec<ItemView>, ApiError> {
    let tenant = caller.tenant_id;
    let mut batches = tables::bulk_batches::of_tenant(state.store(), tenant)?;
    batches.sort_by_key(|b| b.created_at);
    let mut out = Vec::new();
    for b in batches {
        for item in tables::bulk_items::of_batch(state.store(), tenant, b.id)? {
            if item.status == ItemStatus::NeedsReview {
                out.push(item_view(state, item));
            }
        }
    }
    Ok(out)
}

/// One item under review.
pub struct Review {
    pub item: ItemView,
    /// What was read from its document, field by field with its confidence.
    pub extracted: Extracted,
    /// The supplier it was matched to, then those the matcher found but could not be sure
    /// of (marked "suggested"): id and name.
    pub suppliers: Vec<(Uuid, String)>,
}

pub fn review(state: &State, caller: &Caller, id: Uuid) -> Result<Review, ApiError> {
    let tenant = caller.tenant_id;
    let item = tables::bulk_items::get(state.store(), tenant, id)?.ok_or(ApiError::NotFound)?;
    let mut first: Vec<(Uuid, &str)> = item.organization_id.map(|o| (o, "")).into_iter().collect();
    let candidates = state
        .store()
        .catalog(tenant)?
        .read()
        .suggested_suppliers(&Evidence::of(&item.extracted), 5);
    first.extend(candidates.into_iter().map(|o| (o, " (suggested)")));
    let mut suppliers: Vec<(Uuid, String)> = Vec::new();
    for (org, note) in first {
        if !suppliers.iter().any(|(id, _)| *id == org)
            && let Some(o) = tables::organizations::get(state.store(), tenant, org)?
        {
            suppliers.push((org, format!("{}{note}", o.name)));
        }
    }
    let extracted = item.extracted.clone();
    Ok(Review {
        item: item_view(state, item),
        extracted,
        suppliers,
    })
}

/// A picture of the item's document: a PDF's first page drawn (browsers without a PDF
/// viewer, phones among them, show it), or the image itself.
pub async fn preview(state: &State, caller: &Caller, id: Uuid) -> Result<Response, ApiError> {
    let tenant = caller.tenant_id;
    let item = tables::bulk_items::get(state.store(), tenant, id)?.ok_or(ApiError::NotFound)?;
    if item.content_type != "application/pdf" {
        return serve_file(id, state.clone(), caller.clone()).await;
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
