//! `cw_` keys for the integration API, managed by tenant admins.

use certwatch_actors::AccessMsg;
use certwatch_domain::accounts::ApiKey;
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
use crate::extract::Parsed;
use crate::extract::{Query, query};
use crate::input::write;
use crate::input::{Input, Write};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::{any_of, route};
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// `cw_` and the key's first characters.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        ApiKeyView {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
        }
    }
}

/// A new key; `key` is shown this once.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyCreated {
    pub id: Uuid,
    pub name: String,
    pub key: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
}

/// Request body of key creation.
#[derive(ToSchema)]
pub struct ApiKeyWrite {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    name: Option<String>,
}

impl Write for ApiKeyWrite {
    fn read(input: &mut Input) -> Self {
        ApiKeyWrite {
            name: input.required_text("name", 100),
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_api_keys, signed_in(state), query()),
        route!(create_api_key, signed_in(state), write(false)),
        route!(delete_api_key(id), signed_in(state)),
    ])
}

#[utoipa::path(get, path = "/api/auth/api-keys/", tag = "integration",
    params(PageParams),
    security(("token" = [])),
    responses((status = 200, description = "The tenant's keys, never the keys themselves", body = Page<ApiKeyView>), (status = 403, description = "Not an admin")))]
pub async fn list_api_keys(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<ApiKeyView>, ApiError> {
    caller.require_admin()?;
    let views: Vec<ApiKeyView> = tables::api_keys::of_tenant(state.store(), caller.tenant_id)?
        .into_iter()
        .map(ApiKeyView::from)
        .collect();
    paginate_vec(views, &q, &state.public_url(), "/api/auth/api-keys/")
}

#[utoipa::path(post, path = "/api/auth/api-keys/", tag = "integration",
    request_body = ApiKeyWrite,
    security(("token" = [])),
    responses((status = 201, description = "The new key, shown only now", body = ApiKeyCreated), (status = 400, description = "Field errors"), (status = 403, description = "Not an admin")))]
pub async fn create_api_key(
    state: State,
    caller: Caller,
    write: Parsed<ApiKeyWrite>,
) -> Result<ApiKeyCreated, ApiError> {
    caller.require_admin()?;
    let name = write?.name.unwrap_or_default();
    let (key, record) = state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::CreateApiKey {
            name,
            reply,
        })
        .await?;
    let created = ApiKeyCreated {
        id: record.id,
        name: record.name,
        key,
        prefix: record.prefix,
        created_at: record.created_at,
    };
    Ok(created)
}

#[utoipa::path(delete, path = "/api/auth/api-keys/{id}/", tag = "integration",
    params(("id" = Uuid, Path, description = "Key id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 204, description = "Revoked: the key stops working at once"), (status = 404, description = "Not in this tenant")))]
pub async fn delete_api_key(id: Uuid, state: State, caller: Caller) -> Result<(), ApiError> {
    caller.require_admin()?;
    state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::DeleteApiKey {
            id,
            reply,
        })
        .await?;
    Ok(())
}
