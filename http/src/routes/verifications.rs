//! A certificate's checks in the registers: `POST /api/certificates/{id}/verify/` (check
//! now), `GET /api/certificates/{id}/verifications/` (every check with its evidence,
//! newest first) and `POST` to the same path (a status a person read in a register without
//! an API, with what they saw).

use certwatch_actors::RegistersMsg;
use certwatch_domain::registers::{Provider, RegisterCheck, Verification};
use certwatch_domain::verification::RegisterStatus;
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

/// What a certificate shows of its latest check.
#[derive(Serialize, ToSchema, Clone)]
pub struct VerificationView {
    /// `iaf_certsearch`, `fsc` or `manual`.
    pub provider: String,
    /// `active`, `suspended`, `withdrawn`, `expired`, `not_found` or `unknown`.
    pub status: String,
    /// The register's own status words.
    pub raw_status: String,
    pub checked_at: DateTime<Utc>,
    /// The number the register holds the certificate under.
    pub register_number: Option<String>,
    /// Fields where the register differs from the file: `body`, `expiry_date`.
    pub mismatch: Vec<String>,
    /// The check, with its evidence, under `/verifications/`.
    pub verification_id: Uuid,
}

impl From<Verification> for VerificationView {
    fn from(v: Verification) -> VerificationView {
        VerificationView {
            provider: v.provider.as_str().into(),
            status: v.status.as_str().into(),
            raw_status: v.raw_status,
            checked_at: v.checked_at,
            register_number: v.register_number,
            mismatch: v.mismatch,
            verification_id: v.check_id,
        }
    }
}

/// One check with its evidence.
#[derive(Serialize, ToSchema)]
pub struct CheckView {
    pub id: Uuid,
    pub provider: String,
    pub status: String,
    pub raw_status: String,
    pub checked_at: DateTime<Utc>,
    pub register_number: Option<String>,
    pub mismatch: Vec<String>,
    /// The register's response as it sent it (the entity it holds), or what the person
    /// who recorded it saw.
    pub evidence: String,
    /// Why the register gave no answer; the status is then `unknown`.
    pub error: Option<String>,
    /// The person who recorded a manual check.
    pub recorded_by: Option<Uuid>,
}

impl From<RegisterCheck> for CheckView {
    fn from(c: RegisterCheck) -> CheckView {
        CheckView {
            id: c.id,
            provider: c.provider.as_str().into(),
            status: c.status.as_str().into(),
            raw_status: c.raw_status,
            checked_at: c.checked_at,
            register_number: c.register_number,
            mismatch: c.mismatch,
            evidence: c.evidence,
            error: c.error,
            recorded_by: c.recorded_by,
        }
    }
}

/// The answer to "verify now".
#[derive(Serialize, ToSchema)]
pub struct VerifyQueued {
    /// The register that is asked.
    pub provider: String,
    pub certificate_id: Uuid,
}

/// Request body of a manual check.
#[derive(ToSchema)]
pub struct ManualCheckWrite {
    /// What the register says: `active`, `suspended`, `withdrawn`, `expired`, `not_found`.
    #[schema(value_type = String, required = true)]
    status: Option<RegisterStatus>,
    /// The register's own words ("Suspended until 2027-02-01").
    #[schema(value_type = Option<String>, max_length = 200)]
    raw_status: Option<String>,
    #[schema(value_type = Option<String>, max_length = 200)]
    register_number: Option<Option<String>>,
    /// What the person saw: the register page's address and text, pasted.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100000)]
    evidence: Option<String>,
}

const MANUAL_STATUS: &str = "Must be one of active, suspended, withdrawn, expired, not_found.";

impl Write for ManualCheckWrite {
    fn read(input: &mut Input) -> Self {
        ManualCheckWrite {
            status: input.required_parsed(
                "status",
                |s| RegisterStatus::parse(s).filter(|s| *s != RegisterStatus::Unknown),
                MANUAL_STATUS,
            ),
            raw_status: input.text("raw_status", 200),
            register_number: input.optional_text("register_number", 200),
            evidence: input.required_text("evidence", 100_000),
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(verify_certificate(id), signed_in(state)),
        route!(list_verifications(id), signed_in(state), query()),
        route!(record_verification(id), signed_in(state), write(false)),
    ])
}

/// The certificate, or 404 when it is not this tenant's.
fn certificate_of(state: &State, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
    tables::certificates::get(state.store(), caller.tenant_id, id)?
        .map(|_| ())
        .ok_or(ApiError::NotFound)
}

#[utoipa::path(post, path = "/api/certificates/{id}/verify/", tag = "registers",
    params(("id" = Uuid, Path, description = "The certificate's id")),
    security(("token" = [])),
    responses(
        (status = 202, description = "The register is asked now; its answer lands on the certificate (`verification`) and under `/verifications/`", body = VerifyQueued),
        (status = 400, description = "No register can be asked: none covers the certificate's type and number, the organization has no key for it, or its checks are off or paused"),
        (status = 404, description = "Not in this tenant")))]
pub async fn verify_certificate(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<VerifyQueued, ApiError> {
    let provider = state
        .actors
        .tenant(caller.tenant_id, |reply| RegistersMsg::Verify {
            certificate: id,
            reply,
        })
        .await?;
    Ok(VerifyQueued {
        provider: provider.as_str().into(),
        certificate_id: id,
    })
}

#[utoipa::path(get, path = "/api/certificates/{id}/verifications/", tag = "registers",
    params(("id" = Uuid, Path, description = "The certificate's id"), PageParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "The certificate's register checks with their evidence, newest first (the last 50)", body = Page<CheckView>),
        (status = 404, description = "Not in this tenant")))]
pub async fn list_verifications(
    id: Uuid,
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<CheckView>, ApiError> {
    certificate_of(&state, &caller, id)?;
    let checks: Vec<CheckView> = tables::register_checks::of(state.store(), caller.tenant_id, id)?
        .into_iter()
        .map(CheckView::from)
        .collect();
    let path = format!("/api/certificates/{id}/verifications/");
    paginate_vec(checks, &q, &state.public_url(), &path)
}

#[utoipa::path(post, path = "/api/certificates/{id}/verifications/", tag = "registers",
    params(("id" = Uuid, Path, description = "The certificate's id")),
    request_body = ManualCheckWrite,
    security(("token" = [])),
    responses(
        (status = 201, description = "Recorded as a `manual` check; `suspended` suspends the certificate, `withdrawn` revokes it, `active` lifts a suspension", body = CheckView),
        (status = 400, description = "Field errors"),
        (status = 404, description = "Not in this tenant")))]
pub async fn record_verification(
    id: Uuid,
    state: State,
    caller: Caller,
    write: Parsed<ManualCheckWrite>,
) -> Result<CheckView, ApiError> {
    certificate_of(&state, &caller, id)?;
    let w = write?;
    let check = RegisterCheck {
        id: Uuid::new_v4(),
        tenant_id: caller.tenant_id,
        certificate_id: id,
        provider: Provider::Manual,
        status: w.status.unwrap_or(RegisterStatus::Unknown),
        raw_status: w.raw_status.unwrap_or_default(),
        checked_at: Utc::now(),
        register_number: w.register_number.flatten(),
        mismatch: Vec::new(),
        evidence: w.evidence.unwrap_or_default(),
        error: None,
        recorded_by: Some(caller.user_id),
    };
    let recorded = state
        .actors
        .tenant(caller.tenant_id, |reply| RegistersMsg::RecordManual {
            check,
            reply,
        })
        .await?;
    Ok(CheckView::from(recorded))
}
