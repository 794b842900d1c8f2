//! The document's entries for the five item operations of a collection resource, built from
//! its declaration ([`Resource`]) as the routes are.

use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Content, ContentBuilder, OpenApi, Ref, Required, Response, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

use super::{Resource, item_path};

/// Adds the resource's five operations and the schemas of its bodies to the document.
pub(crate) fn document<R: Resource>(openapi: &mut OpenApi) {
    for (path, method, operation) in operations::<R>() {
        openapi
            .paths
            .add_path_operation(path, vec![method], operation);
    }
    let components = openapi.components.get_or_insert_with(Default::default);
    let mut schemas = vec![
        (R::Write::name().into_owned(), R::Write::schema()),
        (R::View::name().into_owned(), R::View::schema()),
    ];
    R::Write::schemas(&mut schemas);
    R::View::schemas(&mut schemas);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
}

/// Create on the collection; get, replace, update and delete on an item.
fn operations<R: Resource>() -> Vec<(String, HttpMethod, Operation)> {
    let item = item_path::<R>();
    let mut delete = operation::<R>("delete")
        .parameter(id::<R>())
        .response("204", said(R::DELETED))
        .response("404", said(NOT_HERE));
    if let Some(refused) = R::DELETE_REFUSED {
        delete = delete.response("400", said(refused));
    }
    let edit = |verb: &str, done: &str| {
        operation::<R>(verb)
            .parameter(id::<R>())
            .request_body(Some(write::<R>()))
            .response("200", view::<R>(done))
            .response("400", said("Field errors"))
            .response("404", said(NOT_HERE))
            .build()
    };
    vec![
        (
            R::PATH.to_string(),
            HttpMethod::Post,
            operation::<R>("create")
                .request_body(Some(write::<R>()))
                .response("201", view::<R>(R::CREATED))
                .response("400", said("Field errors"))
                .build(),
        ),
        (
            item.clone(),
            HttpMethod::Get,
            operation::<R>("get")
                .parameter(id::<R>())
                .response("200", view::<R>(&format!("The {}", R::NOUN.to_lowercase())))
                .response("404", said(NOT_HERE))
                .build(),
        ),
        (
            item.clone(),
            HttpMethod::Put,
            edit("replace", "Replaced; absent optional fields are cleared"),
        ),
        (item.clone(), HttpMethod::Patch, edit("update", "Updated")),
        (item, HttpMethod::Delete, delete.build()),
    ]
}

const NOT_HERE: &str = "Not in this tenant";

/// An operation of the resource: its tag, its id (`get_site`), the token it needs, and the
/// 403 of an admin-only resource.
fn operation<R: Resource>(verb: &str) -> OperationBuilder {
    let name = R::NOUN.to_lowercase().replace(' ', "_");
    let op = OperationBuilder::new()
        .tag(R::TAG)
        .operation_id(Some(format!("{verb}_{name}")))
        .security(SecurityRequirement::new("token", Vec::<String>::new()));
    if R::ADMIN_ONLY {
        op.response("403", said("Not an admin"))
    } else {
        op
    }
}

fn id<R: Resource>() -> Parameter {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(format!("{} id", R::NOUN)))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))),
        ))
        .build()
}

fn json(schema: String) -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(schema)))
        .build()
}

fn write<R: Resource>() -> RequestBody {
    RequestBodyBuilder::new()
        .content("application/json", json(R::Write::name().into_owned()))
        .required(Some(Required::True))
        .build()
}

fn view<R: Resource>(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", json(R::View::name().into_owned()))
        .build()
}

fn said(description: &str) -> Response {
    ResponseBuilder::new().description(description).build()
}
