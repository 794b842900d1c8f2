//! Sites of an organization (its plants and offices).

use certwatch_actors::RegistryMsg;
use certwatch_domain::registry::{Change, Site, SitePatch};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::Caller;
use crate::crud::{self, Resource};
use crate::error::ApiError;
use crate::extract::{Body, Query};
use crate::input::{Input, Write};
use crate::pagination::{Page, paginate_vec};
use crate::respond::json_reply;
use crate::state::State;

const MAX_NAME: usize = 300;
const MAX_ADDRESS: usize = 2000;

#[derive(Serialize, ToSchema)]
pub struct SiteView {
    pub id: Uuid,
    pub organization: Uuid,
    pub name: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Site> for SiteView {
    fn from(s: Site) -> Self {
        SiteView {
            id: s.id,
            organization: s.organization_id,
            name: s.name,
            address: s.address,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Request body of site writes (all fields optional on PATCH).
#[derive(ToSchema)]
pub struct SiteWrite {
    #[schema(value_type = Uuid, required = true)]
    organization: Change<Uuid>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 300)]
    name: Change<String>,
    #[schema(value_type = Option<String>, max_length = 2000)]
    address: Change<String>,
}

impl Write for SiteWrite {
    fn read(input: &mut Input) -> Self {
        SiteWrite {
            organization: input.required_uuid("organization"),
            name: input.required_text("name", MAX_NAME),
            address: input.text("address", MAX_ADDRESS),
        }
    }
}

impl From<SiteWrite> for SitePatch {
    fn from(w: SiteWrite) -> SitePatch {
        SitePatch {
            organization_id: w.organization,
            name: w.name,
            address: w.address,
        }
    }
}

/// Sites as a resource of the six collection routes.
pub struct Sites;

impl Resource for Sites {
    type Record = Site;
    type View = SiteView;
    type Write = SiteWrite;

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Site>, StoreError> {
        tables::sites::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, site: Site) -> Result<SiteView, ApiError> {
        Ok(SiteView::from(site))
    }

    async fn save(
        state: &State,
        caller: &Caller,
        id: Option<Uuid>,
        write: SiteWrite,
    ) -> Result<Site, ApiError> {
        let patch = write.into();
        Ok(state
            .actors
            .tenant(caller.tenant_id, |reply| RegistryMsg::EditSite {
                id,
                patch,
                reply,
            })
            .await?)
    }

    async fn remove(state: &State, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
        Ok(state
            .actors
            .tenant(caller.tenant_id, |reply| RegistryMsg::DeleteSite {
                id,
                reply,
            })
            .await?)
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    crud_routes!(
        warp::path!("api" / "organizations" / "sites" / ..),
        state,
        list_sites,
        create_site,
        get_site,
        put_site,
        patch_site,
        delete_site
    )
}

#[utoipa::path(get, path = "/api/organizations/sites/", tag = "organizations",
    params(
        ("organization" = Option<Uuid>, Query, description = "Only this organization's sites"),
        ("page" = Option<usize>, Query, description = "Page number, from 1"),
        ("page_size" = Option<usize>, Query, description = "Results per page (default 20, max 500)"),
    ),
    security(("token" = [])),
    responses((status = 200, description = "Sites, oldest first", body = Page<SiteView>)))]
pub async fn list_sites(state: State, caller: Caller, q: Query) -> Result<Response, ApiError> {
    let mut sites = match q.uuid("organization")? {
        Some(org) => tables::sites::of_org(state.store(), caller.tenant_id, org)?,
        None => tables::sites::all(state.store(), caller.tenant_id)?,
    };
    sites.sort_by_key(|s| (s.created_at, s.id));
    let views: Vec<SiteView> = sites.into_iter().map(SiteView::from).collect();
    let page = paginate_vec(views, &q, &state.public_url(), "/api/organizations/sites/")?;
    Ok(json_reply(StatusCode::OK, &page))
}

#[utoipa::path(post, path = "/api/organizations/sites/", tag = "organizations",
    request_body = SiteWrite,
    security(("token" = [])),
    responses(
        (status = 201, description = "Created", body = SiteView),
        (status = 400, description = "Field errors, or an organization not in this tenant"),
    ))]
pub async fn create_site(state: State, caller: Caller, body: Body) -> Result<Response, ApiError> {
    crud::create::<Sites>(state, caller, body).await
}

#[utoipa::path(get, path = "/api/organizations/sites/{id}/", tag = "organizations",
    params(("id" = Uuid, Path, description = "Site id")),
    security(("token" = [])),
    responses((status = 200, description = "The site", body = SiteView), (status = 404, description = "Not in this tenant")))]
pub async fn get_site(id: Uuid, state: State, caller: Caller) -> Result<Response, ApiError> {
    crud::get::<Sites>(id, state, caller).await
}

#[utoipa::path(put, path = "/api/organizations/sites/{id}/", tag = "organizations",
    params(("id" = Uuid, Path, description = "Site id")),
    request_body = SiteWrite,
    security(("token" = [])),
    responses((status = 200, description = "Replaced", body = SiteView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn put_site(
    id: Uuid,
    state: State,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    crud::edit::<Sites>(id, state, caller, body, false).await
}

#[utoipa::path(patch, path = "/api/organizations/sites/{id}/", tag = "organizations",
    params(("id" = Uuid, Path, description = "Site id")),
    request_body = SiteWrite,
    security(("token" = [])),
    responses((status = 200, description = "Updated", body = SiteView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn patch_site(
    id: Uuid,
    state: State,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    crud::edit::<Sites>(id, state, caller, body, true).await
}

#[utoipa::path(delete, path = "/api/organizations/sites/{id}/", tag = "organizations",
    params(("id" = Uuid, Path, description = "Site id")),
    security(("token" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not in this tenant")))]
pub async fn delete_site(id: Uuid, state: State, caller: Caller) -> Result<Response, ApiError> {
    crud::delete::<Sites>(id, state, caller).await
}
