//! Certificate types: ISO_9001 and friends. Codes are unique per tenant.

use certwatch_actors::RegistryMsg;
use certwatch_domain::registry::CertificateType;
use certwatch_domain::registry::{Change, TypePatch};
use certwatch_domain::rules;
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

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<CertificateType>, StoreError> {
        tables::cert_types::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, ty: CertificateType) -> Result<CertificateTypeView, ApiError> {
        Ok(CertificateTypeView::from(ty))
    }

    async fn save(
        state: &State,
        caller: &Caller,
        id: Option<Uuid>,
        write: CertificateTypeWrite,
    ) -> Result<CertificateType, ApiError> {
        let patch = write.into();
        Ok(state
            .actors
            .tenant(caller.tenant_id, |reply| RegistryMsg::EditCertificateType {
                id,
                patch,
                reply,
            })
            .await?)
    }

    async fn remove(state: &State, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
        Ok(state
            .actors
            .tenant(caller.tenant_id, |reply| {
                RegistryMsg::DeleteCertificateType { id, reply }
            })
            .await?)
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    crud_routes!(
        warp::path!("api" / "certificates" / "types" / ..),
        state,
        list_types,
        create_type,
        get_type,
        put_type,
        patch_type,
        delete_type
    )
}

#[utoipa::path(get, path = "/api/certificates/types/", tag = "certificates",
    params(
        ("page" = Option<usize>, Query, description = "Page number, from 1"),
        ("page_size" = Option<usize>, Query, description = "Results per page (default 20, max 500)"),
    ),
    security(("token" = [])),
    responses((status = 200, description = "Types by code", body = Page<CertificateTypeView>)))]
pub async fn list_types(state: State, caller: Caller, q: Query) -> Result<Response, ApiError> {
    let types: Vec<CertificateTypeView> = tables::cert_types::all(state.store(), caller.tenant_id)?
        .into_iter()
        .map(CertificateTypeView::from)
        .collect();
    let page = paginate_vec(types, &q, &state.public_url(), "/api/certificates/types/")?;
    Ok(json_reply(StatusCode::OK, &page))
}

#[utoipa::path(post, path = "/api/certificates/types/", tag = "certificates",
    request_body = CertificateTypeWrite,
    security(("token" = [])),
    responses((status = 201, description = "Created", body = CertificateTypeView), (status = 400, description = "Field errors, e.g. code taken")))]
pub async fn create_type(state: State, caller: Caller, body: Body) -> Result<Response, ApiError> {
    crud::create::<CertificateTypes>(state, caller, body).await
}

#[utoipa::path(get, path = "/api/certificates/types/{id}/", tag = "certificates",
    params(("id" = Uuid, Path, description = "Type id")),
    security(("token" = [])),
    responses((status = 200, description = "The type", body = CertificateTypeView), (status = 404, description = "Not in this tenant")))]
pub async fn get_type(id: Uuid, state: State, caller: Caller) -> Result<Response, ApiError> {
    crud::get::<CertificateTypes>(id, state, caller).await
}

#[utoipa::path(put, path = "/api/certificates/types/{id}/", tag = "certificates",
    params(("id" = Uuid, Path, description = "Type id")),
    request_body = CertificateTypeWrite,
    security(("token" = [])),
    responses((status = 200, description = "Replaced", body = CertificateTypeView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn put_type(
    id: Uuid,
    state: State,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    crud::edit::<CertificateTypes>(id, state, caller, body, false).await
}

#[utoipa::path(patch, path = "/api/certificates/types/{id}/", tag = "certificates",
    params(("id" = Uuid, Path, description = "Type id")),
    request_body = CertificateTypeWrite,
    security(("token" = [])),
    responses((status = 200, description = "Updated", body = CertificateTypeView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn patch_type(
    id: Uuid,
    state: State,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    crud::edit::<CertificateTypes>(id, state, caller, body, true).await
}

#[utoipa::path(delete, path = "/api/certificates/types/{id}/", tag = "certificates",
    params(("id" = Uuid, Path, description = "Type id")),
    security(("token" = [])),
    responses((status = 204, description = "Deleted"), (status = 400, description = "Certificates still use it"), (status = 404, description = "Not in this tenant")))]
pub async fn delete_type(id: Uuid, state: State, caller: Caller) -> Result<Response, ApiError> {
    crud::delete::<CertificateTypes>(id, state, caller).await
}
