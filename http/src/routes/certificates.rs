//! Certificates: CRUD with filters and orderings, `/expiring/`, and the public `/search/`.

use certwatch_actors::RegistryMsg;
use certwatch_actors::{Reply, TenantMsg};
use std::collections::HashMap;

use certwatch_domain::registry::{CertPatch, Change};
use certwatch_domain::registry::{CertStatus, Certificate};
use certwatch_domain::rules;
use certwatch_store::catalog::{CertOrder, CertQuery, IdPage};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Duration, NaiveDate, Utc};
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
use crate::routes::verifications::VerificationView;
use crate::state::State;
use certwatch_domain::registers::Verification;
use certwatch_domain::verification::RegisterStatus;

pub const MAX_EXPIRING_DAYS: i64 = 365;

#[derive(Serialize, ToSchema, Clone)]
pub struct TypeRef {
    pub code: String,
    pub name: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct OrganizationRef {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateView {
    pub id: Uuid,
    pub certificate_number: String,
    pub certificate_type: TypeRef,
    pub organization: OrganizationRef,
    pub issuing_body: String,
    pub scope: String,
    pub issue_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    /// ACTIVE, EXPIRED, REVOKED, PENDING or SUSPENDED (by its body, as a register said;
    /// it does not count as valid).
    pub status: String,
    pub document_url: Option<String>,
    /// Where monitoring found it; null when entered by hand or imported.
    pub source_url: Option<String>,
    /// SHA-256 of the certificate document monitoring fetched.
    pub document_hash: Option<String>,
    /// The latest check in a register (IAF CertSearch, FSC, or recorded by hand); null
    /// until one is made.
    pub verification: Option<VerificationView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Request body of certificate writes (all fields optional on PATCH). `document_hash` and
/// `source_url` are set by monitoring and ignored here.
#[derive(ToSchema)]
pub struct CertificateWrite {
    #[schema(value_type = Uuid, required = true)]
    organization: Change<Uuid>,
    #[schema(value_type = Uuid, required = true)]
    certificate_type_id: Change<Uuid>,
    /// Unique per type within the tenant, compared without case, spaces and dashes.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    certificate_number: Change<String>,
    #[schema(value_type = Option<String>, max_length = 300)]
    issuing_body: Change<String>,
    #[schema(value_type = Option<String>, max_length = 5000)]
    scope: Change<String>,
    /// A calendar date in the years 1950 to 2200, not after `expiry_date`.
    #[schema(value_type = Option<NaiveDate>)]
    issue_date: Change<Option<NaiveDate>>,
    /// A calendar date in the years 1950 to 2200.
    #[schema(value_type = Option<NaiveDate>)]
    expiry_date: Change<Option<NaiveDate>>,
    /// ACTIVE (default), EXPIRED, REVOKED, PENDING or SUSPENDED.
    #[schema(value_type = Option<String>)]
    status: Change<CertStatus>,
    #[schema(value_type = Option<String>, format = "uri", max_length = 2000)]
    document_url: Change<Option<String>>,
}

impl Write for CertificateWrite {
    fn read(input: &mut Input) -> Self {
        let date_message = DATE_MESSAGE;
        let write = CertificateWrite {
            organization: input.required_uuid("organization"),
            certificate_type_id: input.required_uuid("certificate_type_id"),
            certificate_number: input.required_text("certificate_number", 200),
            issuing_body: input.text("issuing_body", 300),
            scope: input.text("scope", 5000),
            issue_date: input.optional_parsed("issue_date", rules::certificate_date, date_message),
            expiry_date: input.optional_parsed(
                "expiry_date",
                rules::certificate_date,
                date_message,
            ),
            // Absent on create or PUT means ACTIVE.
            status: input
                .optional_parsed("status", CertStatus::parse, STATUS_MESSAGE)
                .map(|s| s.unwrap_or(CertStatus::Active)),
            document_url: input.optional_parsed(
                "document_url",
                rules::http_url,
                rules::URL_MESSAGE,
            ),
        };
        if let (Some(Some(issue)), Some(Some(expiry))) = (write.issue_date, write.expiry_date)
            && expiry < issue
        {
            input.error(
                "expiry_date",
                "The expiry date must not be before the issue date.",
            );
        }
        write
    }
}

impl From<CertificateWrite> for CertPatch {
    fn from(w: CertificateWrite) -> CertPatch {
        CertPatch {
            document_hash: None,
            organization_id: w.organization,
            certificate_type_id: w.certificate_type_id,
            certificate_number: w.certificate_number,
            issuing_body: w.issuing_body,
            scope: w.scope,
            issue_date: w.issue_date,
            expiry_date: w.expiry_date,
            status: w.status,
            document_url: w.document_url,
        }
    }
}

/// Certificates as a resource of the six collection routes.
pub struct Certificates;

impl Resource for Certificates {
    type Record = Certificate;
    type View = CertificateView;
    type Write = CertificateWrite;
    type Patch = CertPatch;
    const PATH: &'static str = "/api/certificates/";
    const TAG: &'static str = "certificates";
    const NOUN: &'static str = "Certificate";
    const CREATED: &'static str =
        "Created; an organization or type not in this tenant is a field error";

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Certificate>, StoreError> {
        tables::certificates::get(store, tenant, id)
    }

    fn view(state: &State, tenant: Uuid, cert: Certificate) -> Result<CertificateView, ApiError> {
        Views::new(state, tenant).view(cert)
    }

    fn edit(
        caller: &Caller,
        id: Option<Uuid>,
        patch: CertPatch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg {
        RegistryMsg::EditCertificate {
            id,
            patch,
            user: caller.user_id,
            reply,
        }
        .into()
    }

    fn delete(caller: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        RegistryMsg::DeleteCertificate {
            id,
            user: caller.user_id,
            reply,
        }
        .into()
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(expiring_certificates, signed_in(state), query()),
        route!(list_certificates, signed_in(state), query()),
        collection!(state, Certificates),
    ])
}

/// Builds certificate views, reading each type and organization once per request.
pub(crate) struct Views<'a> {
    state: &'a State,
    tenant: Uuid,
    types: HashMap<Uuid, TypeRef>,
    orgs: HashMap<Uuid, OrganizationRef>,
}

impl<'a> Views<'a> {
    pub(crate) fn new(state: &'a State, tenant: Uuid) -> Self {
        Views {
            state,
            tenant,
            types: HashMap::new(),
            orgs: HashMap::new(),
        }
    }

    pub(crate) fn type_ref(&mut self, id: Uuid) -> Result<TypeRef, ApiError> {
        if let Some(t) = self.types.get(&id) {
            return Ok(t.clone());
        }
        let ty = tables::cert_types::get(self.state.store(), self.tenant, id)?
            .ok_or_else(|| ApiError::Internal(format!("certificate type {id} is missing")))?;
        let r = TypeRef {
            code: ty.code,
            name: ty.name,
        };
        self.types.insert(id, r.clone());
        Ok(r)
    }

    /// Reads the organizations of `ids` not read yet, in one read.
    fn read_orgs(&mut self, ids: impl Iterator<Item = Uuid>) -> Result<(), ApiError> {
        let mut missing: Vec<Uuid> = ids.filter(|id| !self.orgs.contains_key(id)).collect();
        missing.sort_unstable();
        missing.dedup();
        for org in tables::organizations::get_many(self.state.store(), self.tenant, &missing)?
            .into_iter()
            .flatten()
        {
            let r = OrganizationRef {
                id: org.id,
                external_id: org.external_id,
                name: org.name,
            };
            self.orgs.insert(org.id, r);
        }
        Ok(())
    }

    fn view(&mut self, c: Certificate) -> Result<CertificateView, ApiError> {
        let verification = tables::cert_verifications::get(self.state.store(), self.tenant, c.id)?;
        self.read_orgs(std::iter::once(c.organization_id))?;
        self.view_with(c, verification)
    }

    /// The view of `c` with its latest verification, its organization read already.
    fn view_with(
        &mut self,
        c: Certificate,
        verification: Option<Verification>,
    ) -> Result<CertificateView, ApiError> {
        let certificate_type = self.type_ref(c.certificate_type_id)?;
        let organization = self.orgs.get(&c.organization_id).cloned().ok_or_else(|| {
            ApiError::Internal(format!("organization {} is missing", c.organization_id))
        })?;
        Ok(CertificateView {
            id: c.id,
            certificate_number: c.certificate_number,
            certificate_type,
            organization,
            issuing_body: c.issuing_body,
            scope: c.scope,
            issue_date: c.issue_date,
            expiry_date: c.expiry_date,
            status: c.status.as_str().to_string(),
            document_url: c.document_url,
            source_url: c.source_url,
            document_hash: c.document_hash,
            verification: verification.map(VerificationView::from),
            created_at: c.created_at,
            updated_at: c.updated_at,
        })
    }

    /// Views of the certificates `ids`, in that order: the certificates, their
    /// verifications and their organizations each in one read (a round trip apiece on
    /// PostgreSQL, however long the page).
    fn page(&mut self, ids: Vec<Uuid>) -> Result<Vec<CertificateView>, ApiError> {
        let store = self.state.store();
        let certs: Vec<Certificate> = tables::certificates::get_many(store, self.tenant, &ids)?
            .into_iter()
            .flatten()
            .collect();
        let found: Vec<Uuid> = certs.iter().map(|c| c.id).collect();
        let verifications = tables::cert_verifications::get_many(store, self.tenant, &found)?;
        self.read_orgs(certs.iter().map(|c| c.organization_id))?;
        certs
            .into_iter()
            .zip(verifications)
            .map(|(c, v)| self.view_with(c, v))
            .collect()
    }
}

/// What a certificate date that is not one says.
pub(crate) const DATE_MESSAGE: &str = "Use a real date from 1950 to 2200, like 2027-01-14.";

const STATUS_MESSAGE: &str = "Must be one of ACTIVE, EXPIRED, REVOKED, PENDING, SUSPENDED.";

const VERIFICATION_MESSAGE: &str =
    "Must be one of active, suspended, withdrawn, expired, not_found, unknown.";

#[utoipa::path(get, path = "/api/certificates/", tag = "certificates",
    params(
        ("organization" = Option<Uuid>, Query, description = "Organization id"),
        ("certificate_type" = Option<Uuid>, Query, description = "Certificate type id"),
        ("type_code" = Option<String>, Query, description = "Certificate type code, e.g. ISO_9001", min_length = 1),
        ("status" = Option<String>, Query, description = "ACTIVE, EXPIRED, REVOKED, PENDING or SUSPENDED", pattern = "^(ACTIVE|EXPIRED|REVOKED|PENDING|SUSPENDED)$"),
        ("verification_status" = Option<String>, Query, description = "The latest register check's answer", pattern = "^(active|suspended|withdrawn|expired|not_found|unknown)$"),
        ("expiry_date" = Option<NaiveDate>, Query, description = "Exact expiry date"),
        ("expiry_date_before" = Option<NaiveDate>, Query, description = "Expiring on or before"),
        ("expiry_date_after" = Option<NaiveDate>, Query, description = "Expiring on or after"),
        ("search" = Option<String>, Query, description = "Part of certificate_number, issuing_body or scope, any case"),
        ("ordering" = Option<String>, Query, description = "expiry_date, issue_date, status or created_at; '-' for descending (default -created_at)", pattern = "^-?(expiry_date|issue_date|status|created_at)$"),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "Certificates", body = Page<CertificateView>), (status = 400, description = "A malformed filter")))]
pub async fn list_certificates(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<CertificateView>, ApiError> {
    let page = PageRequest::from_query(&q)?;
    let mut query = CertQuery {
        organization: q.uuid("organization")?,
        cert_type: q.uuid("certificate_type")?,
        status: q.parsed("status", CertStatus::parse, STATUS_MESSAGE)?,
        expiry_date: q.date("expiry_date")?,
        expiry_before: q.date("expiry_date_before")?,
        expiry_after: q.date("expiry_date_after")?,
        search: q.get("search").map(|s| s.trim().to_lowercase()),
        verification_status: q.parsed(
            "verification_status",
            RegisterStatus::parse,
            VERIFICATION_MESSAGE,
        )?,
        order: q.ordering(&[
            ("expiry_date", CertOrder::ExpiryDate),
            ("issue_date", CertOrder::IssueDate),
            ("status", CertOrder::Status),
            ("created_at", CertOrder::CreatedAt),
        ])?,
    };
    if let Some(code) = q.strict("type_code")? {
        let ty = tables::cert_types::by_code(
            state.store(),
            caller.tenant_id,
            &code.trim().to_ascii_uppercase(),
        )?;
        match (ty, query.cert_type) {
            (Some(ty), None) => query.cert_type = Some(ty.id),
            (Some(ty), Some(id)) if ty.id == id => {}
            // An unknown code, or one that contradicts certificate_type, matches nothing.
            _ => {
                return Ok(envelope(
                    page,
                    0,
                    Vec::new(),
                    &state.public_url(),
                    "/api/certificates/",
                    &q,
                ));
            }
        }
    }
    let ids = state.store().catalog(caller.tenant_id)?.read().query_certs(
        &query,
        page.offset(),
        page.page_size,
    );
    certificates_page(
        &state,
        caller.tenant_id,
        (page, ids),
        "/api/certificates/",
        &q,
    )
}

#[utoipa::path(get, path = "/api/certificates/expiring/", tag = "certificates",
    params(
        ("days" = Option<i64>, Query, description = "Window in days from today (default 30)", minimum = 0, maximum = 365),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "ACTIVE certificates expiring within the window, soonest first", body = Page<CertificateView>), (status = 400, description = "days is not a whole number from 0 to 365")))]
pub async fn expiring_certificates(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<CertificateView>, ApiError> {
    let days = q
        .parsed(
            "days",
            |v| {
                v.parse::<i64>()
                    .ok()
                    .filter(|d| (0..=MAX_EXPIRING_DAYS).contains(d))
            },
            "A whole number of days from 0 to 365.",
        )?
        .unwrap_or(30);
    let page = PageRequest::from_query(&q)?;
    let today = Utc::now().date_naive();
    let ids = state.store().catalog(caller.tenant_id)?.read().expiring(
        today,
        today + Duration::days(days),
        page.offset(),
        page.page_size,
    );
    certificates_page(
        &state,
        caller.tenant_id,
        (page, ids),
        "/api/certificates/expiring/",
        &q,
    )
}

/// A page of certificates from the catalog's ids of it (a page past the last is a 404).
fn certificates_page(
    state: &State,
    tenant: Uuid,
    (page, ids): (PageRequest, IdPage),
    path: &str,
    q: &Query,
) -> Result<Page<CertificateView>, ApiError> {
    page.check(ids.count)?;
    let results = Views::new(state, tenant).page(ids.ids)?;
    Ok(envelope(
        page,
        ids.count,
        results,
        &state.public_url(),
        path,
        q,
    ))
}
