//! `GET /api/openapi.json`: the OpenAPI 3 document, derived from the handlers' own
//! annotations and the request/response types, so it lists exactly the routes that exist.

use std::collections::BTreeMap;

use certwatch_domain::events::EventKind;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{
    ArrayBuilder, ArrayItems, KnownFormat, ObjectBuilder, SchemaFormat, Type,
};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Response as ApiResponse, Schema};
use utoipa::{Modify, OpenApi};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::{Reply, Response};

use crate::route::{DOCUMENTED, Template};

/// The document's title and description; its paths are the routes' own entries
/// ([`DOCUMENTED`]).
#[derive(OpenApi)]
#[openapi(info(
    title = "CertWatch API",
    description = "Supplier compliance certificates: registry, monitoring, webhooks."
))]
struct ApiDoc;

/// The document: every served route's entry (gathered at link time from the `route!` and
/// `collection!` that serve them), then what every operation of a kind declares.
fn document() -> utoipa::openapi::OpenApi {
    let mut api = ApiDoc::openapi();
    for entry in DOCUMENTED {
        entry(&mut api);
    }
    let modifiers: [&dyn Modify; 3] = [&TokenAuth, &PartialBodies, &DeclaredStatuses];
    for modifier in modifiers {
        modifier.modify(&mut api);
    }
    api
}

/// Declares the two schemes: `Authorization: Token <key>` ("token") for the REST API, and a
/// `cw_` key as bearer ("cw_key"; `X-API-Key: cw_…` works too) for `/api/v1/`.
struct TokenAuth;

impl Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "'Token <key>' with a key from login, invite-accept or /api/auth/tokens/",
            ))),
        );
        components.add_security_scheme(
            "cw_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A cw_ key from /api/auth/api-keys/; X-API-Key: cw_… works too",
                    ))
                    .build(),
            ),
        );
    }
}

/// A PATCH takes any non-empty subset of its resource's write body: each PATCH body points
/// to `<Write>Patch`, the same properties with none required and at least one present.
struct PartialBodies;

impl Modify for PartialBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut partial = BTreeMap::new();
        for item in openapi.paths.paths.values_mut() {
            let Some(RefOr::T(body)) = item.patch.as_mut().and_then(|op| op.request_body.as_mut())
            else {
                continue;
            };
            for content in body.content.values_mut() {
                let RefOr::T(content) = content else { continue };
                let Some(RefOr::Ref(schema)) = &content.schema else {
                    continue;
                };
                let Some(name) = schema.ref_location.strip_prefix(SCHEMAS) else {
                    continue;
                };
                let patch_name = format!("{name}Patch");
                partial.insert(name.to_string(), patch_name.clone());
                content.schema = Some(RefOr::Ref(Ref::from_schema_name(patch_name)));
            }
        }
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, patch_name) in partial {
            if let Some(RefOr::T(Schema::Object(write))) = components.schemas.get(&name) {
                let mut patch = write.clone();
                patch.required.clear();
                patch.min_properties = Some(1);
                components
                    .schemas
                    .insert(patch_name, RefOr::T(Schema::Object(patch)));
            }
        }
    }
}

/// The answers every operation of a kind can give, declared on each so the document says
/// every status the server sends: 401 where credentials are required, 404 where the path
/// names an object or a page may be past the last, 400 where a body or query is read, 413
/// where files are uploaded.
struct DeclaredStatuses;

impl Modify for DeclaredStatuses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                item.get.as_mut(),
                item.put.as_mut(),
                item.post.as_mut(),
                item.delete.as_mut(),
                item.patch.as_mut(),
            ];
            for op in operations.into_iter().flatten() {
                declare_statuses(path, op);
                describe_upload(path, op);
            }
        }
        // Event types are the domain's: the delivery filter and subscriptions name them.
        let kinds = || EventKind::ALL.iter().map(|k| k.as_str());
        for item in openapi.paths.paths.values_mut() {
            for op in [item.get.as_mut()].into_iter().flatten() {
                for p in op.parameters.iter_mut().flatten() {
                    if let RefOr::T(p) = p
                        && p.name == "event_type"
                        && let Some(RefOr::T(Schema::Object(schema))) = p.schema.as_mut()
                    {
                        schema.enum_values = Some(kinds().map(Into::into).collect());
                    }
                }
            }
        }
        if let Some(RefOr::T(Schema::Object(write))) = openapi
            .components
            .as_mut()
            .and_then(|c| c.schemas.get_mut("SubscriptionWrite"))
            && let Some(RefOr::T(Schema::Array(types))) = write.properties.get_mut("event_types")
        {
            let names = kinds().chain(["*"]).map(Into::into);
            types.items = ArrayItems::RefOrSchema(Box::new(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(names.collect::<Vec<serde_json::Value>>()))
                    .into(),
            ));
        }
    }
}

/// The form fields of the two uploads: documents (`files`, one or more) and a spreadsheet
/// (`file`), each a file part.
fn describe_upload(path: &str, op: &mut Operation) {
    let Some(RefOr::T(body)) = op.request_body.as_mut() else {
        return;
    };
    let Some(RefOr::T(content)) = body.content.get_mut("multipart/form-data") else {
        return;
    };
    let file = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
    };
    let form = match path {
        "/api/bulk-upload/" => ObjectBuilder::new()
            .property(
                "files",
                ArrayBuilder::new().items(file()).min_items(Some(1)),
            )
            .required("files"),
        "/api/imports/upload/" => ObjectBuilder::new()
            .property("file", file())
            .required("file"),
        _ => return,
    };
    content.schema = Some(form.into());
}

fn declare_statuses(path: &str, op: &mut Operation) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let paged = op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p, RefOr::T(p) if p.name == "page"));
    let multipart = op.request_body.as_ref().is_some_and(
        |b| matches!(b, RefOr::T(b) if b.content.keys().any(|k| k.starts_with("multipart/"))),
    );
    let queried = op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
    let mut declare = |status: &str, description: &str| {
        op.responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(ApiResponse::new(description)));
    };
    if secured {
        declare("401", "Missing, malformed, unknown or expired credentials");
    }
    if path.contains('{') {
        declare("404", "No such object in the caller's tenant");
    }
    if paged {
        declare("404", "A page past the last");
    }
    if queried || op.request_body.is_some() {
        declare("400", "A malformed query or body, or field errors");
    }
    if multipart {
        declare(
            "413",
            "The upload is larger than allowed, or past the tenant's quota",
        );
    }
    // Pages count from 1, and a page holds at least one result (a larger size than the
    // maximum is clamped, not refused).
    for p in op.parameters.iter_mut().flatten() {
        if let RefOr::T(p) = p
            && (p.name == "page" || p.name == "page_size")
            && let Some(RefOr::T(Schema::Object(schema))) = p.schema.as_mut()
        {
            schema.minimum = Some(1f64.into());
            schema.maximum = Some((crate::pagination::MAX_PAGE_NUMBER as f64).into());
        }
    }
}

/// The methods the document declares for a request path (its templates' `{…}` segments
/// match any one segment), for a 405's `Allow` header; `None` when no route has the path.
pub fn allowed_methods(path: &str) -> Option<String> {
    route_of(path).map(|r| r.allowed.clone())
}

/// The documented route a request path is of (`/api/organizations/{id}/`), if any.
pub fn template_of(path: &str) -> Option<&'static str> {
    route_of(path).map(|r| r.text.as_str())
}

/// A documented path: its template and the methods it takes.
struct DocumentedRoute {
    text: String,
    template: Template,
    allowed: String,
}

fn route_of(path: &str) -> Option<&'static DocumentedRoute> {
    static ROUTES: std::sync::LazyLock<Vec<DocumentedRoute>> = std::sync::LazyLock::new(|| {
        DOC.paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("PATCH", item.patch.is_some()),
                ];
                let allowed: Vec<&str> = methods
                    .into_iter()
                    .filter(|(_, declared)| *declared)
                    .map(|(m, _)| m)
                    .collect();
                DocumentedRoute {
                    text: template.clone(),
                    template: Template::parse(template),
                    allowed: allowed.join(", "),
                }
            })
            .collect()
    });
    ROUTES
        .iter()
        .filter(|route| route.template.params(path).is_some())
        .max_by_key(|route| route.template.literals())
}

const SCHEMAS: &str = "#/components/schemas/";

/// The document, built once: served as is, and read for each 405's `Allow`.
static DOC: std::sync::LazyLock<utoipa::openapi::OpenApi> = std::sync::LazyLock::new(document);

pub fn route() -> BoxedFilter<(Response,)> {
    warp::path!("api" / "openapi.json")
        .and(warp::get())
        .map(|| warp::reply::json(&*DOC).into_response())
        .boxed()
}
