//! The public certificate search: organizations of tenants that enabled public listing,
//! with their certificates' public facts. No login; rate-limited per client address.

use certwatch_store::tables;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::error::ApiError;
use crate::extract::Client;
use crate::extract::{Query, client_addr, query};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::route;
use crate::routes::certificates::{TypeRef, Views};
use crate::state::{State, with_state};

/// Organizations a public search returns at most.
const MAX_PUBLIC_MATCHES: usize = 200;

/// What the public search shows of a certificate.
#[derive(Serialize, ToSchema)]
pub struct PublicCertificate {
    pub certificate_number: String,
    pub certificate_type: TypeRef,
    pub issuing_body: String,
    pub status: String,
    pub issue_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct PublicOrganization {
    pub name: String,
    pub website: Option<String>,
    pub certificates: Vec<PublicCertificate>,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    route!(public_search, with_state(state), client_addr(), query())
}

#[utoipa::path(get, path = "/api/certificates/search/", tag = "certificates",
    params(
        ("q" = String, Query, description = "Part of an organization's name or website", min_length = 2),
        PageParams,
    ),
    responses(
        (status = 200, description = "Public: organizations of tenants that enabled public listing, with their certificates' public facts", body = Page<PublicOrganization>),
        (status = 400, description = "q missing or too short"),
        (status = 429, description = "Rate limited"),
    ))]
pub async fn public_search(
    state: State,
    client: Client,
    q: Query,
) -> Result<Page<PublicOrganization>, ApiError> {
    state.throttle_search(&client)?;
    let needle = q
        .get("q")
        .map(|s| s.trim().to_lowercase())
        .filter(|s| s.chars().count() >= 2)
        .ok_or_else(|| ApiError::field("q", "Search for at least 2 characters."))?;
    let store = state.store();
    let mut results = Vec::new();
    for tenant in tables::tenants::ids(store)? {
        if results.len() >= MAX_PUBLIC_MATCHES {
            break;
        }
        if !tables::tenants::get(store, tenant)?.is_some_and(|t| t.public_listing) {
            continue;
        }
        let orgs = store
            .catalog(tenant)?
            .read()
            .search_orgs_by_name_or_website(&needle, MAX_PUBLIC_MATCHES - results.len());
        let mut views = Views::new(&state, tenant);
        for id in orgs {
            let Some(org) = tables::organizations::get(store, tenant, id)? else {
                continue;
            };
            let mut certificates = Vec::new();
            for c in tables::certificates::of_org(store, tenant, id)? {
                certificates.push(PublicCertificate {
                    certificate_type: views.type_ref(c.certificate_type_id)?,
                    certificate_number: c.certificate_number,
                    issuing_body: c.issuing_body,
                    status: c.status.as_str().to_string(),
                    issue_date: c.issue_date,
                    expiry_date: c.expiry_date,
                });
            }
            certificates.sort_by(|a, b| a.certificate_number.cmp(&b.certificate_number));
            results.push(PublicOrganization {
                name: org.name,
                website: org.website,
                certificates,
            });
        }
    }
    let page = paginate_vec(
        results,
        &q,
        &state.public_url(),
        "/api/certificates/search/",
    )?;
    Ok(page)
}
