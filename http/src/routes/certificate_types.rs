//! Certificate types: ISO_9001 and friends. Codes are unique per tenant.

use certwatch_actors::RegistryMsg;
use certwatch_actors::{Reply, TenantMsg};
use certwatch_domain::registry::CertificateType;
use certwatch_domain::registry::{Change, TypePatch};
use certwatch_domain::rules;
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

#[derive(Serialize, ToSchema)]
pub struct CertificateTypeView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CertificateType> for CertificateTypeView {
    fn from(t: CertificateType) -> Self {
        CertificateTypeView {
            id: t.id,
            code: t.code,
            name: t.name,
            description: t.description,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// Request body of type writes (all fields optional on PATCH).
#[derive(ToSchema)]
pub struct CertificateTypeWrite {
    /// Upper-case letters, digits and `_`, e.g. ISO_9001.
    #[schema(value_type = String, required = true, min_length = 2, max_length = 50)]
    code: Change<String>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    name: Change<String>,
    #[schema(value_type = Option<String>, max_length = 2000)]
    description: Change<String>,
}

impl Write for CertificateTypeWrite {
    fn read(input: &mut Input) -> Self {
        CertificateTypeWrite {
            code: input.required_parsed(
                "code",
                rules::type_code,
                "Use 2 to 50 upper-case letters, digits or underscores, like ISO_9001.",
            ),
            name: input.required_text("name", 200),
            description: input.text("description", 2000),
        }
    }
}

impl From<CertificateTypeWrite> for TypePatch {
    fn from(w: CertificateTypeWrite) -> TypePatch {
        TypePatch {
            code: w.code,
            name: w.name,
            description: w.description,
        }
    }
}

/// Certificate types as a resource of the six collection routes.
pub struct CertificateTypes;

impl Resource for CertificateTypes {
    type Record = CertificateType;
    type View = CertificateTypeView;
    type Write = CertificateTypeWrite;
    type Patch = TypePatch;
    const PATH: &'static str = "/api/certificates/types/";
    const TAG: &'static str = "certificates";
    const NOUN: &'static str = "Certificate type";
    const CREATED: &'static str = "Created; a code must be unique in the tenant";
    const DELETE_REFUSED: Option<&'static str> = Some("Certificates still use it");

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<CertificateType>, StoreError> {
        tables::cert_types::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, ty: CertificateType) -> Result<CertificateTypeView, ApiError> {
        Ok(CertificateTypeView::from(ty))
    }

    fn edit(
        _: &Caller,
        id: Option<Uuid>,
        patch: TypePatch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg {
        RegistryMsg::EditCertificateType { id, patch, reply }.into()
    }

    fn delete(_: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        RegistryMsg::DeleteCertificateType { id, reply }.into()
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_types, signed_in(state), query()),
        collection!(state, CertificateTypes),
    ])
}

#[utoipa::path(get, path = "/api/certificates/types/", tag = "certificates",
    params(
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "Types by code", body = Page<CertificateTypeView>)))]
pub async fn list_types(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<CertificateTypeView>, ApiError> {
    let types: Vec<CertificateTypeView> = tables::cert_types::all(state.store(), caller.tenant_id)?
        .into_iter()
        .map(CertificateTypeView::from)
        .collect();
    paginate_vec(types, &q, &state.public_url(), CertificateTypes::PATH)
}
