//! Discovery: crawling organizations' websites for their certificate pages.

use certwatch_store::tables;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct DiscoveryStarted {
    pub status: String,
    /// Organizations (with a website) whose crawl started.
    pub organizations: usize,
}

#[utoipa::path(post, path = "/api/monitoring/discover/", tag = "monitoring",
    security(("token" = [])),
    responses((status = 202, description = "Crawls started for every organization with a website", body = DiscoveryStarted)))]
pub async fn discover_all(state: State, caller: Caller) -> Result<DiscoveryStarted, ApiError> {
    let ids = state
        .store()
        .catalog(caller.tenant_id)?
        .read()
        .organizations_with_website();
    start(&state, caller.tenant_id, ids).await
}

#[utoipa::path(post, path = "/api/monitoring/discover/{organization_id}/", tag = "monitoring",
    params(("organization_id" = Uuid, Path, description = "Organization id")),
    security(("token" = [])),
    responses(
        (status = 202, description = "The crawl started", body = DiscoveryStarted),
        (status = 400, description = "The organization has no website"),
        (status = 404, description = "Not in this tenant"),
    ))]
pub async fn discover_one(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<DiscoveryStarted, ApiError> {
    let org = tables::organizations::get(state.store(), caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    if org.website.is_none() {
        return Err(ApiError::BadRequest(
            "The organization has no website to crawl.".into(),
        ));
    }
    start(&state, caller.tenant_id, vec![id]).await
}

async fn start(
    state: &State,
    tenant: Uuid,
    organizations: Vec<Uuid>,
) -> Result<DiscoveryStarted, ApiError> {
    let started = state.actors.discover(tenant, organizations).await?;
    Ok(DiscoveryStarted {
        status: "queued".into(),
        organizations: started,
    })
}
