//! What a supplier owes and where it stands: the state of each requirement that applies to
//! it, and the tenant's suppliers counted by state (the dashboard's numbers).

use certwatch_domain::compliance::Rules;
use certwatch_domain::compliance::State as ComplianceState;
use certwatch_store::ops::compliance;
use certwatch_store::tables;
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::error::ApiError;
use crate::route::{any_of, route};
use crate::routes::certificate_types::CertificateTypeView;
use crate::state::State;

pub(crate) const STATE_MESSAGE: &str =
    "One of valid, expiring, missing, expired, suspended, revoked.";

/// The tenant's requirements and warning window today.
pub(crate) fn rules(state: &State, tenant: Uuid) -> Result<Rules, ApiError> {
    Ok(compliance::rules(state.store(), tenant, Utc::now())?)
}

#[derive(Serialize, ToSchema)]
pub struct RequirementStanding {
    pub requirement: Uuid,
    pub certificate_type: CertificateTypeView,
    /// valid, expiring, missing, expired, suspended or revoked.
    pub state: &'static str,
    /// The certificate the state rests on (the best of the supplier's of this type).
    pub certificate: Option<Uuid>,
    pub expiry_date: Option<NaiveDate>,
    /// The open certificate request for this type, if one is open.
    pub open_request: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceView {
    pub organization: Uuid,
    /// The worst of the requirements' states; valid when nothing is required.
    pub state: &'static str,
    /// Whether the supplier has a contact who receives certificate requests.
    pub can_be_asked: bool,
    pub requirements: Vec<RequirementStanding>,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(get_compliance(id), signed_in(state)),
        route!(compliance_counts, signed_in(state)),
    ])
}

#[utoipa::path(get, path = "/api/organizations/{id}/compliance/", tag = "requirements",
    params(("id" = Uuid, Path, description = "The organization")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The supplier's compliance with each requirement that applies to it", body = ComplianceView),
        (status = 404, description = "No such organization in this tenant")))]
pub async fn get_compliance(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<ComplianceView, ApiError> {
    let (store, tenant) = (state.store(), caller.tenant_id);
    tables::organizations::get(store, tenant, id)?.ok_or(ApiError::NotFound)?;
    let rules = rules(&state, tenant)?;
    let standings: Vec<_> = store
        .catalog(tenant)?
        .read()
        .compliance(id, &rules)
        .unwrap_or_default()
        .into_iter()
        .map(|(req, s)| (req.id, req.certificate_type_id, s))
        .collect();
    let mut requirements = Vec::with_capacity(standings.len());
    for (requirement, cert_type, s) in &standings {
        let Some(ty) = tables::cert_types::get(store, tenant, *cert_type)? else {
            continue;
        };
        requirements.push(RequirementStanding {
            requirement: *requirement,
            certificate_type: ty.into(),
            state: s.state.as_str(),
            certificate: s.certificate,
            expiry_date: s.expiry,
            open_request: tables::cert_requests::open_for(store, tenant, id, *cert_type)?
                .map(|r| r.id),
        });
    }
    let state_now = certwatch_domain::compliance::overall(standings.iter().map(|t| t.2.state));
    Ok(ComplianceView {
        organization: id,
        state: state_now.as_str(),
        can_be_asked: tables::contacts::of_org(store, tenant, id)?
            .iter()
            .any(|c| c.receives_requests),
        requirements,
    })
}

/// The tenant's suppliers by compliance state, and those not valid that nobody can be
/// asked at (no contact receives requests).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ComplianceCounts {
    pub valid: usize,
    pub expiring: usize,
    pub missing: usize,
    pub expired: usize,
    pub suspended: usize,
    pub revoked: usize,
    pub cannot_be_asked: usize,
}

#[utoipa::path(get, path = "/api/organizations/compliance/", tag = "requirements",
    security(("token" = [])),
    responses((status = 200, description = "The tenant's suppliers counted by compliance state", body = ComplianceCounts)))]
pub async fn compliance_counts(state: State, caller: Caller) -> Result<ComplianceCounts, ApiError> {
    let tenant = caller.tenant_id;
    let rules = rules(&state, tenant)?;
    let states = state.store().catalog(tenant)?.read().org_states(&rules);
    let askable: std::collections::HashSet<Uuid> = tables::contacts::all(state.store(), tenant)?
        .into_iter()
        .filter(|c| c.receives_requests)
        .map(|c| c.organization_id)
        .collect();
    let mut counts = ComplianceCounts::default();
    for (org, s) in states {
        *match s {
            ComplianceState::Valid => &mut counts.valid,
            ComplianceState::Expiring => &mut counts.expiring,
            ComplianceState::Missing => &mut counts.missing,
            ComplianceState::Expired => &mut counts.expired,
            ComplianceState::Suspended => &mut counts.suspended,
            ComplianceState::Revoked => &mut counts.revoked,
        } += 1;
        if s != ComplianceState::Valid && !askable.contains(&org) {
            counts.cannot_be_asked += 1;
        }
    }
    Ok(counts)
}
