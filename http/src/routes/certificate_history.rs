//! `GET /api/certificates/{id}/history/`: every change to a certificate — when, by whom,
//! which fields from what to what — newest first.

use certwatch_domain::history::{FieldChange, HistoryEntry};
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::Caller;
use crate::auth::signed_in;
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::route;
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct ChangedByView {
    /// `user`, `bulk_item`, `monitoring` (the endpoint), `expiry_sweep`, `merge` or
    /// `supplier_upload` (the certificate request).
    pub kind: String,
    pub id: Option<Uuid>,
    /// The same in words: "uploaded by the supplier through request …".
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct FieldChangeView {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryView {
    pub at: DateTime<Utc>,
    /// `created`, `updated`, `deleted` or `merged`.
    pub action: String,
    pub by: ChangedByView,
    pub changes: Vec<FieldChangeView>,
}

impl From<HistoryEntry> for HistoryView {
    fn from(e: HistoryEntry) -> HistoryView {
        let (kind, id) = e.by.parts();
        HistoryView {
            at: e.at,
            action: e.action,
            by: ChangedByView {
                kind: kind.to_string(),
                id,
                note: e.by.describe(),
            },
            changes: e
                .changes
                .into_iter()
                .map(|FieldChange { field, from, to }| FieldChangeView { field, from, to })
                .collect(),
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    route!(certificate_history(id), signed_in(state), query())
}

#[utoipa::path(get, path = "/api/certificates/{id}/history/", tag = "certificates",
    params(
        ("id" = Uuid, Path, description = "The certificate's id"),
        PageParams,
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The certificate's changes, newest first; kept after it is deleted", body = Page<HistoryView>),
        (status = 401, description = "No or bad token"),
        (status = 404, description = "No certificate with this id was ever in this tenant"),
    ))]
pub async fn certificate_history(
    id: Uuid,
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<HistoryView>, ApiError> {
    // A deleted certificate's history stays readable: an audit asks after deletions too.
    // Only this tenant's entries are under its key, so another tenant's id is 404.
    let views: Vec<HistoryView> = tables::cert_history::of(state.store(), caller.tenant_id, id)?
        .into_iter()
        .map(HistoryView::from)
        .collect();
    if views.is_empty() {
        return Err(ApiError::NotFound);
    }
    let path = format!("/api/certificates/{id}/history/");
    paginate_vec(views, &q, &state.public_url(), &path)
}
