//! Requirements: a certificate type required of every supplier, of the suppliers with a
//! tag, or of one supplier.

use certwatch_actors::{Reply, SuppliersMsg, TenantMsg};
use certwatch_domain::compliance::{self, AppliesTo, Requirement, RequirementPatch};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::crud::{Resource, collection};
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::input::{Input, Write};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::{any_of, route};
use crate::state::State;

/// Whom a requirement applies to: exactly one of the three.
#[derive(Serialize, ToSchema)]
pub struct AppliesToView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<Uuid>,
}

impl From<AppliesTo> for AppliesToView {
    fn from(a: AppliesTo) -> Self {
        let none = AppliesToView {
            all: None,
            tag: None,
            organization: None,
        };
        match a {
            AppliesTo::All => AppliesToView {
                all: Some(true),
                ..none
            },
            AppliesTo::Tag(tag) => AppliesToView {
                tag: Some(tag),
                ..none
            },
            AppliesTo::Organization(id) => AppliesToView {
                organization: Some(id),
                ..none
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RequirementView {
    pub id: Uuid,
    pub certificate_type: Uuid,
    pub applies_to: AppliesToView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Requirement> for RequirementView {
    fn from(r: Requirement) -> Self {
        RequirementView {
            id: r.id,
            certificate_type: r.certificate_type_id,
            applies_to: r.applies_to.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Request body of requirement writes (all fields optional on PATCH).
#[derive(ToSchema)]
pub struct RequirementWrite {
    #[schema(value_type = Uuid, required = true)]
    certificate_type: Option<Uuid>,
    /// `{"all": true}`, `{"tag": "castings"}` or `{"organization": <id>}`.
    #[schema(value_type = AppliesToWrite, inline, required = true)]
    applies_to: Option<AppliesTo>,
}

/// `applies_to` in the document: exactly one of its three forms, each an object of one
/// property (a derived schema cannot say "one of these objects").
struct AppliesToWrite;

impl PartialSchema for AppliesToWrite {
    fn schema() -> RefOr<Schema> {
        let only = |name: &str, value: ObjectBuilder| {
            ObjectBuilder::new()
                .property(name, value)
                .required(name)
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        };
        // A tag's rule (letters, digits, `-`, `_`, `.` and spaces, at most 40 once trimmed)
        // is the domain's; the schema says only what it cannot get wrong.
        let tag = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1));
        OneOfBuilder::new()
            .item(only(
                "all",
                ObjectBuilder::new()
                    .schema_type(Type::Boolean)
                    .enum_values(Some([true])),
            ))
            .item(only("tag", tag))
            .item(only(
                "organization",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
            ))
            .into()
    }
}

impl ToSchema for AppliesToWrite {}

const APPLIES_TO: &str =
    r#"Give one of {"all": true}, {"tag": "<tag>"} or {"organization": "<id>"}."#;

/// `applies_to` as written: exactly one of its three forms.
fn applies_to(fields: &Map<String, Value>) -> Result<AppliesTo, String> {
    let [(key, value)] = fields.iter().collect::<Vec<_>>()[..] else {
        return Err(APPLIES_TO.into());
    };
    match (key.as_str(), value) {
        ("all", Value::Bool(true)) => Ok(AppliesTo::All),
        ("tag", Value::String(t)) => compliance::tag(t)
            .map(AppliesTo::Tag)
            .ok_or_else(|| "Not a valid tag.".into()),
        ("organization", Value::String(id)) => id
            .parse()
            .map(AppliesTo::Organization)
            .map_err(|_| "organization must be a valid UUID.".into()),
        _ => Err(APPLIES_TO.into()),
    }
}

impl Write for RequirementWrite {
    fn read(input: &mut Input) -> Self {
        RequirementWrite {
            certificate_type: input.required_uuid("certificate_type"),
            applies_to: input.object("applies_to").and_then(|fields| {
                applies_to(&fields)
                    .map_err(|e| input.error("applies_to", e))
                    .ok()
            }),
        }
    }
}

impl From<RequirementWrite> for RequirementPatch {
    fn from(w: RequirementWrite) -> RequirementPatch {
        RequirementPatch {
            certificate_type_id: w.certificate_type,
            applies_to: w.applies_to,
        }
    }
}

/// Requirements as a resource of the collection routes.
pub struct Requirements;

impl Resource for Requirements {
    type Record = Requirement;
    type View = RequirementView;
    type Write = RequirementWrite;
    type Patch = RequirementPatch;
    const PATH: &'static str = "/api/requirements/";
    const TAG: &'static str = "requirements";
    const NOUN: &'static str = "Requirement";
    const CREATED: &'static str =
        "Created; the type and the organization must exist, and the same requirement must not";

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Requirement>, StoreError> {
        tables::requirements::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, r: Requirement) -> Result<RequirementView, ApiError> {
        Ok(r.into())
    }

    fn edit(
        _: &Caller,
        id: Option<Uuid>,
        patch: RequirementPatch,
        reply: Reply<Requirement>,
    ) -> TenantMsg {
        SuppliersMsg::EditRequirement { id, patch, reply }.into()
    }

    fn delete(_: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        SuppliersMsg::DeleteRequirement { id, reply }.into()
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_requirements, signed_in(state), query()),
        collection!(state, Requirements),
    ])
}

#[utoipa::path(get, path = "/api/requirements/", tag = "requirements",
    params(
        ("certificate_type" = Option<Uuid>, Query, description = "Only requirements of this type"),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "Requirements, oldest first", body = Page<RequirementView>)))]
pub async fn list_requirements(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<RequirementView>, ApiError> {
    let of_type = q.uuid("certificate_type")?;
    let views = tables::requirements::all(state.store(), caller.tenant_id)?
        .into_iter()
        .filter(|r| of_type.is_none_or(|t| r.certificate_type_id == t))
        .map(RequirementView::from)
        .collect();
    paginate_vec(views, &q, &state.public_url(), Requirements::PATH)
}
