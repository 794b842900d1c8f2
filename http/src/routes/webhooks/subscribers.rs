//! Webhook subscribers: the receivers, with the key and signing secret they trust.

use certwatch_actors::WebhooksMsg;
use certwatch_actors::outbound;
use certwatch_domain::webhooks::{Subscriber, SubscriberPatch};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
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
pub struct SubscriberView {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    pub is_active: bool,
    /// Sent to the receiver as `Authorization: Bearer <api_key>`.
    pub api_key: String,
    /// `whsec_…`: verify `webhook-signature` with it (Standard Webhooks).
    pub signing_secret: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Subscriber> for SubscriberView {
    fn from(s: Subscriber) -> Self {
        SubscriberView {
            id: s.id,
            name: s.name,
            url: s.url,
            is_active: s.is_active,
            api_key: s.api_key,
            signing_secret: s.signing_secret,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Request body of subscriber writes (all fields optional on PATCH).
#[derive(ToSchema)]
pub struct SubscriberWrite {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    name: Option<String>,
    /// An http(s) URL.
    #[schema(value_type = String, required = true, format = "uri", min_length = 1, max_length = 2000)]
    url: Option<String>,
    #[schema(value_type = Option<bool>)]
    is_active: Option<bool>,
}

impl Write for SubscriberWrite {
    fn read(input: &mut Input) -> Self {
        SubscriberWrite {
            name: input.required_text("name", 200),
            url: input.required_text("url", 2000),
            is_active: input.optional_bool("is_active"),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RotatedKey {
    pub api_key: String,
}

#[derive(Serialize, ToSchema)]
pub struct RotatedSecret {
    pub signing_secret: String,
}

/// Reads a subscriber body; the URL must pass the outbound address check.
/// A subscriber write as the patch the actor applies, once its URL is known to be one that
/// may receive webhooks.
async fn subscriber_patch(
    state: &State,
    write: SubscriberWrite,
) -> Result<SubscriberPatch, ApiError> {
    let SubscriberWrite {
        name,
        url,
        is_active,
    } = write;
    if let Some(url) = &url {
        outbound::check_url_resolved(url, state.config.allow_private_targets)
            .await
            .map_err(|e| {
                ApiError::field("url", format!("This URL cannot receive webhooks: {e}."))
            })?;
    }
    Ok(SubscriberPatch {
        name,
        url,
        is_active,
    })
}

/// Webhook subscribers as a resource of the six collection routes.
pub struct Subscribers;

impl Resource for Subscribers {
    type Record = Subscriber;
    type View = SubscriberView;
    type Write = SubscriberWrite;

    const ADMIN_ONLY: bool = true;

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Subscriber>, StoreError> {
        tables::subscribers::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, sub: Subscriber) -> Result<SubscriberView, ApiError> {
        Ok(SubscriberView::from(sub))
    }

    async fn save(
        state: &State,
        caller: &Caller,
        id: Option<Uuid>,
        write: SubscriberWrite,
    ) -> Result<Subscriber, ApiError> {
        let patch = subscriber_patch(state, write).await?;
        Ok(state
            .actors
            .tenant(caller.tenant_id, |reply| WebhooksMsg::EditSubscriber {
                id,
                patch,
                reply,
            })
            .await?)
    }

    async fn remove(state: &State, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
        Ok(state
            .actors
            .tenant(caller.tenant_id, |reply| WebhooksMsg::DeleteSubscriber {
                id,
                reply,
            })
            .await?)
    }
}

#[utoipa::path(get, path = "/api/webhooks/subscribers/", tag = "webhooks",
    params(("page" = Option<usize>, Query, description = "Page number, from 1"), ("page_size" = Option<usize>, Query, description = "Results per page (default 20, max 500)")),
    security(("token" = [])),
    responses((status = 200, description = "Subscribers, oldest first", body = Page<SubscriberView>), (status = 403, description = "Not an admin")))]
pub async fn list_subscribers(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let views: Vec<SubscriberView> =
        tables::subscribers::of_tenant(state.store(), caller.tenant_id)?
            .into_iter()
            .map(SubscriberView::from)
            .collect();
    Ok(json_reply(
        StatusCode::OK,
        &paginate_vec(views, &q, &state.public_url(), "/api/webhooks/subscribers/")?,
    ))
}

#[utoipa::path(post, path = "/api/webhooks/subscribers/", tag = "webhooks",
    request_body = SubscriberWrite,
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 201, description = "Created with its api_key and signing_secret", body = SubscriberView), (status = 400, description = "Field errors, or a URL that may not receive webhooks")))]
pub async fn create_subscriber(
    state: State,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    crud::create::<Subscribers>(state, caller, body).await
}

#[utoipa::path(get, path = "/api/webhooks/subscribers/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "The subscriber", body = SubscriberView), (status = 404, description = "Not in this tenant")))]
pub async fn get_subscriber(id: Uuid, state: State, caller: Caller) -> Result<Response, ApiError> {
    crud::get::<Subscribers>(id, state, caller).await
}

#[utoipa::path(put, path = "/api/webhooks/subscribers/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    request_body = SubscriberWrite,
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "Replaced", body = SubscriberView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn put_subscriber(
    id: Uuid,
    state: State,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    crud::edit::<Subscribers>(id, state, caller, body, false).await
}

#[utoipa::path(patch, path = "/api/webhooks/subscribers/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    request_body = SubscriberWrite,
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "Updated", body = SubscriberView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn patch_subscriber(
    id: Uuid,
    state: State,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    crud::edit::<Subscribers>(id, state, caller, body, true).await
}

#[utoipa::path(delete, path = "/api/webhooks/subscribers/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 204, description = "Deleted with its subscriptions; its pending deliveries end FAILED"), (status = 404, description = "Not in this tenant")))]
pub async fn delete_subscriber(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<Response, ApiError> {
    crud::delete::<Subscribers>(id, state, caller).await
}

#[utoipa::path(post, path = "/api/webhooks/subscribers/{id}/rotate-key/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "The new api_key; the old one is invalid at once", body = RotatedKey), (status = 404, description = "Not in this tenant")))]
pub async fn rotate_key(id: Uuid, state: State, caller: Caller) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let sub = state
        .actors
        .tenant(caller.tenant_id, |reply| WebhooksMsg::RotateSubscriberKey {
            id,
            reply,
        })
        .await?;
    Ok(json_reply(
        StatusCode::OK,
        &RotatedKey {
            api_key: sub.api_key,
        },
    ))
}

#[utoipa::path(post, path = "/api/webhooks/subscribers/{id}/rotate-signing-secret/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "The new signing_secret; for 24 h deliveries carry a signature with the previous one too", body = RotatedSecret), (status = 404, description = "Not in this tenant")))]
pub async fn rotate_secret(id: Uuid, state: State, caller: Caller) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let sub = state
        .actors
        .tenant(caller.tenant_id, |reply| {
            WebhooksMsg::RotateSubscriberSecret { id, reply }
        })
        .await?;
    Ok(json_reply(
        StatusCode::OK,
        &RotatedSecret {
            signing_secret: sub.signing_secret,
        },
    ))
}
