//! Organizations: the suppliers, with their certificate counts and (on the detail) sites.

use certwatch_actors::RegistryMsg;
use certwatch_actors::{Reply, TenantMsg};
use certwatch_domain::compliance::{self, Rules, State as ComplianceState};
use certwatch_domain::registry::{Change, OrgPatch, Organization};
use certwatch_domain::rules;
use certwatch_store::catalog::{OrgOrder, OrgQuery, Overview};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::Caller;
use crate::auth::signed_in;
use crate::crud::Resource;
use crate::crud::collection;
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::input::{Input, Write};
use crate::pagination::{Page, PageParams, PageRequest, envelope};
use crate::route::{any_of, route};
use crate::routes::compliance::{STATE_MESSAGE, rules};
use crate::routes::sites::SiteView;
use crate::state::State;

const MAX_NAME: usize = 300;
const MAX_SHORT: usize = 100;

#[derive(Serialize, ToSchema)]
pub struct OrganizationView {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub name: String,
    pub website: Option<String>,
    pub lei: Option<String>,
    pub vat: Option<String>,
    pub country: Option<String>,
    pub tags: Vec<String>,
    /// The supplier's compliance with its requirements: valid, expiring, missing, expired,
    /// suspended or revoked (the worst of its requirements'; valid when nothing is required).
    pub compliance: &'static str,
    /// ACTIVE certificates.
    pub active_certificates: usize,
    /// ACTIVE certificates expiring within 30 days.
    pub expiring_certificates: usize,
    pub expired_certificates: usize,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// On the detail only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sites: Option<Vec<SiteView>>,
}

/// Request body of organization writes (all fields optional on PATCH).
#[derive(ToSchema)]
pub struct OrganizationWrite {
    #[schema(value_type = Option<String>, max_length = 100)]
    external_id: Change<Option<String>>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 300)]
    name: Change<String>,
    /// An http(s) URL; empty or null clears it.
    #[schema(value_type = Option<String>, pattern = "^\\s*([Hh][Tt][Tt][Pp][Ss]?://.+)?\\s*$", max_length = 2000)]
    website: Change<Option<String>>,
    /// 20 characters with ISO 17442 check digits.
    #[schema(value_type = Option<String>)]
    lei: Change<Option<String>>,
    #[schema(value_type = Option<String>, max_length = 100)]
    vat: Change<Option<String>>,
    /// ISO 3166-1 alpha-2.
    #[schema(value_type = Option<String>)]
    country: Change<Option<String>>,
    /// Short labels requirements can apply to (lower-cased, each once); absent on a create
    /// or replace: none.
    #[schema(value_type = Option<Vec<String>>, max_items = 20)]
    tags: Change<Vec<String>>,
}

impl Write for OrganizationWrite {
    fn read(input: &mut Input) -> Self {
        OrganizationWrite {
            external_id: input.optional_text("external_id", MAX_SHORT),
            name: input.required_text("name", MAX_NAME),
            website: input.optional_parsed("website", rules::http_url, rules::URL_MESSAGE),
            lei: input.optional_parsed(
                "lei",
                rules::lei,
                "Enter a valid LEI: 20 characters with ISO 17442 check digits.",
            ),
            vat: input.optional_text("vat", MAX_SHORT),
            country: input.optional_parsed(
                "country",
                rules::country,
                "Enter an ISO 3166-1 alpha-2 country code like DE.",
            ),
            tags: input.optional_list("tags").and_then(|raw| {
                compliance::tags(&raw)
                    .map_err(|e| input.error("tags", e))
                    .ok()
            }),
        }
    }
}

impl From<OrganizationWrite> for OrgPatch {
    fn from(w: OrganizationWrite) -> OrgPatch {
        OrgPatch {
            external_id: w.external_id,
            name: w.name,
            website: w.website,
            lei: w.lei,
            vat: w.vat,
            country: w.country,
            tags: w.tags,
        }
    }
}

/// Organizations as a resource of the six collection routes.
pub struct Organizations;

impl Resource for Organizations {
    type Record = Organization;
    type View = OrganizationView;
    type Write = OrganizationWrite;
    type Patch = OrgPatch;
    const PATH: &'static str = "/api/organizations/";
    const TAG: &'static str = "organizations";
    const NOUN: &'static str = "Organization";
    const CREATED: &'static str = "Created; external_id must be unique in the tenant";
    const DELETED: &'static str = "Deleted with its sites and certificates";

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Organization>, StoreError> {
        tables::organizations::get(store, tenant, id)
    }

    fn view(state: &State, _: Uuid, org: Organization) -> Result<OrganizationView, ApiError> {
        let rules = rules(state, org.tenant_id)?;
        organization_view(state, org, true, &rules)
    }

    fn edit(
        _: &Caller,
        id: Option<Uuid>,
        patch: OrgPatch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg {
        RegistryMsg::EditOrganization { id, patch, reply }.into()
    }

    fn delete(caller: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        RegistryMsg::DeleteOrganization {
            id,
            user: caller.user_id,
            reply,
        }
        .into()
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_organizations, signed_in(state), query()),
        collection!(state, Organizations),
    ])
}

/// The tenant's numbers today: certificates by expiry window, suppliers without a valid one.
pub fn overview(state: &State, caller: &Caller) -> Result<Overview, ApiError> {
    let today = Utc::now().date_naive();
    Ok(state
        .store()
        .catalog(caller.tenant_id)?
        .read()
        .overview(today))
}

/// The view of `org` under the tenant's `rules` (read once for a whole page).
pub(crate) fn organization_view(
    state: &State,
    org: Organization,
    with_sites: bool,
    rules: &Rules,
) -> Result<OrganizationView, ApiError> {
    let (counts, compliance) = {
        let catalog = state.store().catalog(org.tenant_id)?;
        let catalog = catalog.read();
        (
            catalog.org_counts(org.id, rules.today),
            catalog.org_state(org.id, rules),
        )
    };
    let sites = if with_sites {
        let sites = tables::sites::of_org(state.store(), org.tenant_id, org.id)?;
        Some(sites.into_iter().map(SiteView::from).collect())
    } else {
        None
    };
    Ok(OrganizationView {
        id: org.id,
        external_id: org.external_id,
        name: org.name,
        website: org.website,
        lei: org.lei,
        vat: org.vat,
        country: org.country,
        tags: org.tags,
        compliance: compliance.as_str(),
        active_certificates: counts.active,
        expiring_certificates: counts.expiring,
        expired_certificates: counts.expired,
        created_at: org.created_at,
        updated_at: org.updated_at,
        sites,
    })
}

#[utoipa::path(get, path = "/api/organizations/", tag = "organizations",
    params(
        ("country" = Option<String>, Query, description = "ISO country code"),
        ("search" = Option<String>, Query, description = "Part of the name or external_id, any case"),
        ("without_valid_certificate" = Option<bool>, Query, description = "true: only organizations none of whose certificates is ACTIVE and unexpired today"),
        ("tag" = Option<String>, Query, description = "Only organizations with this tag"),
        ("compliance" = Option<String>, Query, description = "Only organizations in this compliance state", pattern = "^(valid|expiring|missing|expired|suspended|revoked)$"),
        ("ordering" = Option<String>, Query, description = "name, external_id, country or created_at; '-' for descending", pattern = "^-?(name|external_id|country|created_at)$"),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "Organizations with certificate counts", body = Page<OrganizationView>)))]
pub async fn list_organizations(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<OrganizationView>, ApiError> {
    let page = PageRequest::from_query(&q)?;
    let query = OrgQuery {
        country: q.get("country").map(|c| c.trim().to_ascii_uppercase()),
        without_valid_on: q
            .parsed(
                "without_valid_certificate",
                |v| match v {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                },
                "Must be true or false.",
            )?
            .filter(|on| *on)
            .map(|_| Utc::now().date_naive()),
        tag: q.get("tag").map(|t| t.trim().to_lowercase()),
        compliance: match q.parsed("compliance", ComplianceState::parse, STATE_MESSAGE)? {
            Some(wanted) => Some((wanted, rules(&state, caller.tenant_id)?)),
            None => None,
        },
        search: q.get("search").map(|s| s.trim().to_lowercase()),
        order: q.ordering(&[
            ("name", OrgOrder::Name),
            ("external_id", OrgOrder::ExternalId),
            ("country", OrgOrder::Country),
            ("created_at", OrgOrder::CreatedAt),
        ])?,
    };
    let ids = state.store().catalog(caller.tenant_id)?.read().query_orgs(
        &query,
        page.offset(),
        page.page_size,
    );
    page.check(ids.count)?;
    let rules = rules(&state, caller.tenant_id)?;
    let rows = tables::organizations::get_many(state.store(), caller.tenant_id, &ids.ids)?
        .into_iter()
        .flatten()
        .map(|org| organization_view(&state, org, false, &rules))
        .collect::<Result<Vec<_>, _>>()?;
    let body = envelope(
        page,
        ids.count,
        rows,
        &state.public_url(),
        "/api/organizations/",
        &q,
    );
    Ok(body)
}
