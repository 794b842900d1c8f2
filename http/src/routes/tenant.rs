//! The caller's tenant and its settings (`public_listing` opts into the public search).

use certwatch_actors::AccessMsg;
use certwatch_domain::accounts::Tenant;
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::{Caller, caller};
use crate::error::ApiError;
use crate::extract::{Body, body};
use crate::input::{Input, Write};
use crate::respond::{done, json_reply};
use crate::state::{State, with_state};

#[derive(Serialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    pub name: String,
    /// Whether `GET /api/certificates/search/` may list this tenant's suppliers (default off).
    pub public_listing: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        TenantView {
            id: t.id,
            name: t.name,
            public_listing: t.public_listing,
            created_at: t.created_at,
        }
    }
}

/// Request body of the settings update.
#[derive(ToSchema)]
pub struct TenantSettings {
    #[schema(value_type = bool, required = true)]
    public_listing: Option<bool>,
}

impl Write for TenantSettings {
    fn read(input: &mut Input) -> Self {
        TenantSettings {
            public_listing: input.boolean("public_listing"),
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let get = warp::path!("api" / "auth" / "tenant")
        .and(warp::get())
        .and(with_state(state))
        .and(caller(state))
        .then(get_tenant)
        .map(done);
    let patch = warp::path!("api" / "auth" / "tenant")
        .and(warp::patch())
        .and(with_state(state))
        .and(caller(state))
        .and(body())
        .then(patch_tenant)
        .map(done);
    get.or(patch).unify().boxed()
}

#[utoipa::path(get, path = "/api/auth/tenant/", tag = "auth",
    security(("token" = [])),
    responses((status = 200, description = "The caller's tenant", body = TenantView)))]
pub async fn get_tenant(state: State, caller: Caller) -> Result<Response, ApiError> {
    let tenant =
        tables::tenants::get(state.store(), caller.tenant_id)?.ok_or(ApiError::NotFound)?;
    Ok(json_reply(StatusCode::OK, &TenantView::from(tenant)))
}

#[utoipa::path(patch, path = "/api/auth/tenant/", tag = "auth",
    request_body = TenantSettings,
    security(("token" = [])),
    responses(
        (status = 200, description = "Updated", body = TenantView),
        (status = 403, description = "Not an admin"),
    ))]
pub async fn patch_tenant(state: State, caller: Caller, body: Body) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let tenant = match TenantSettings::parse(body, true)?.public_listing {
        Some(on) => {
            state
                .actors
                .tenant(caller.tenant_id, |reply| AccessMsg::SetPublicListing {
                    on,
                    reply,
                })
                .await?
        }
        None => tables::tenants::get(state.store(), caller.tenant_id)?.ok_or(ApiError::NotFound)?,
    };
    Ok(json_reply(StatusCode::OK, &TenantView::from(tenant)))
}
