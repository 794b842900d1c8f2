//! Sites of an organization (its plants and offices).

use certwatch_actors::RegistryMsg;
use certwatch_actors::{Reply, TenantMsg};
use certwatch_domain::registry::{Change, Site, SitePatch};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::crud::Resource;
use crate::crud::collection;
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::input::{Input, Write};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::{any_of, route};
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
    type Patch = SitePatch;
    const PATH: &'static str = "/api/organizations/sites/";
    const TAG: &'static str = "organizations";
    const NOUN: &'static str = "Site";

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Site>, StoreError> {
        tables::sites::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, site: Site) -> Result<SiteView, ApiError> {
        Ok(SiteView::from(site))
    }

    fn edit(
        _: &Caller,
        id: Option<Uuid>,
        patch: SitePatch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg {
        RegistryMsg::EditSite { id, patch, reply }.into()
    }

    fn delete(_: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        RegistryMsg::DeleteSite { id, reply }.into()
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_sites, signed_in(state), query()),
        collection!(state, Sites),
    ])
}

#[utoipa::path(get, path = "/api/organizations/sites/", tag = "organizations",
    params(
        ("organization" = Option<Uuid>, Query, description = "Only this organization's sites"),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "Sites, oldest first", body = Page<SiteView>)))]
pub async fn list_sites(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<SiteView>, ApiError> {
    let mut sites = match q.uuid("organization")? {
        Some(org) => tables::sites::of_org(state.store(), caller.tenant_id, org)?,
        None => tables::sites::all(state.store(), caller.tenant_id)?,
    };
    sites.sort_by_key(|s| (s.created_at, s.id));
    let views: Vec<SiteView> = sites.into_iter().map(SiteView::from).collect();
    paginate_vec(views, &q, &state.public_url(), Sites::PATH)
}
