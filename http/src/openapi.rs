//! `GET /api/openapi.json`: the OpenAPI 3 document, derived from the handlers' own
//! annotations and the request/response types, so it lists exactly the routes that exist.

use std::collections::BTreeMap;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Schema};
use utoipa::{Modify, OpenApi};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::{Reply, Response};

use crate::routes::{
    accounts, api_keys, bulk_upload, certificate_history, certificate_types, certificates, health,
    imports, invitations, members, monitoring, organizations, tenant, tokens, v1, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "CertWatch API", description = "Supplier compliance certificates: registry, monitoring, webhooks."),
    paths(
        health::health,
        accounts::register,
        accounts::login,
        accounts::verify_email,
        accounts::resend_verification,
        invitations::create_invitation,
        invitations::accept_invitation,
        invitations::list_invitations,
        invitations::revoke_invitation,
        members::list_members,
        members::get_member,
        members::update_member,
        members::delete_member,
        tokens::list_tokens,
        tokens::create_token,
        tokens::refresh_token,
        tokens::revoke_token,
        tenant::get_tenant,
        tenant::patch_tenant,
        organizations::list_organizations,
        organizations::create_organization,
        organizations::get_organization,
        organizations::put_organization,
        organizations::patch_organization,
        organizations::delete_organization,
        organizations::list_sites,
        organizations::create_site,
        organizations::get_site,
        organizations::put_site,
        organizations::patch_site,
        organizations::delete_site,
        certificate_types::list_types,
        certificate_types::create_type,
        certificate_types::get_type,
        certificate_types::put_type,
        certificate_types::patch_type,
        certificate_types::delete_type,
        certificates::list_certificates,
        certificates::create_certificate,
        certificates::get_certificate,
        certificates::put_certificate,
        certificates::patch_certificate,
        certificates::delete_certificate,
        certificates::expiring_certificates,
        certificates::public_search,
        certificate_history::certificate_history,
        webhooks::list_subscribers,
        webhooks::create_subscriber,
        webhooks::get_subscriber,
        webhooks::put_subscriber,
        webhooks::patch_subscriber,
        webhooks::delete_subscriber,
        webhooks::rotate_key,
        webhooks::rotate_secret,
        webhooks::list_subscriptions,
        webhooks::create_subscription,
        webhooks::get_subscription,
        webhooks::put_subscription,
        webhooks::patch_subscription,
        webhooks::delete_subscription,
        webhooks::list_deliveries,
        webhooks::get_delivery,
        webhooks::retry_delivery,
        api_keys::list_api_keys,
        api_keys::create_api_key,
        api_keys::delete_api_key,
        v1::certificate,
        imports::upload,
        monitoring::list_endpoints,
        monitoring::create_endpoint,
        monitoring::get_endpoint,
        monitoring::put_endpoint,
        monitoring::patch_endpoint,
        monitoring::delete_endpoint,
        monitoring::trigger_scrape,
        monitoring::list_logs,
        monitoring::get_log,
        monitoring::discover_all,
        monitoring::discover_one,
        monitoring::health,
        bulk_upload::create_batch,
        bulk_upload::list_batches,
        bulk_upload::get_batch,
        bulk_upload::list_items,
        bulk_upload::confirm_item,
        bulk_upload::skip_item,
        bulk_upload::serve_file,
        bulk_upload::quality_metrics,
    ),
    modifiers(&TokenAuth, &PartialBodies),
)]
pub struct ApiDoc;

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

const SCHEMAS: &str = "#/components/schemas/";

pub fn route() -> BoxedFilter<(Response,)> {
    let doc = ApiDoc::openapi();
    warp::path!("api" / "openapi.json")
        .and(warp::get())
        .map(move || warp::reply::json(&doc).into_response())
        .boxed()
}
