//! Webhooks: subscribers (receivers), subscriptions (which events go where), and the
//! delivery audit log. Admin only: subscribers carry the secrets receivers trust.

use certwatch_actors::WebhooksMsg;
use certwatch_actors::outbound;
use certwatch_domain::events::EventKind;
use certwatch_store::webhooks::{
    Attempt, Delivery, DeliveryStatus, Subscriber, SubscriberPatch, Subscription, SubscriptionPatch,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::extract::{Body, Query, authorization, query};
use crate::input::Input;
use crate::pagination::{Page, paginate_vec};
use crate::{ApiError, State, done, json_reply, no_content, with_state};

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
#[allow(dead_code)] // documents the body; handlers read it field by field with `Input`
pub struct SubscriberWrite {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// An http(s) URL.
    #[schema(format = "uri", min_length = 1, max_length = 2000)]
    url: String,
    is_active: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub subscriber: Uuid,
    pub event_types: Vec<String>,
    pub organization: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        SubscriptionView {
            id: s.id,
            subscriber: s.subscriber_id,
            event_types: s.event_types,
            organization: s.organization_id,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Request body of subscription writes (all fields optional on PATCH).
#[derive(ToSchema)]
#[allow(dead_code)] // documents the body; handlers read it field by field with `Input`
pub struct SubscriptionWrite {
    subscriber: Uuid,
    /// Event types, or `["*"]` for all.
    #[schema(min_items = 1)]
    event_types: Vec<String>,
    /// Only events about this organization.
    organization: Option<Uuid>,
}

#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    /// The first KiB of the receiver's answer.
    pub response_body: String,
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        AttemptView {
            at: a.at,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
            response_body: a.response_body,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub subscriber: Uuid,
    pub event_id: Uuid,
    /// The `webhook-id` header of every attempt.
    pub webhook_id: String,
    pub event_type: String,
    /// PENDING, SUCCESS or FAILED.
    pub status: String,
    pub attempt_count: usize,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The body sent: `{"type", "timestamp", "data"}`.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub attempts: Vec<AttemptView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            webhook_id: d.message_id(),
            id: d.id,
            subscriber: d.subscriber_id,
            event_id: d.event_id,
            event_type: d.event_type,
            status: d.status.as_str().to_string(),
            attempt_count: d.attempts.len(),
            next_attempt_at: d.next_attempt_at,
            payload: serde_json::from_str(&d.payload).unwrap_or(Value::Null),
            attempts: d.attempts.into_iter().map(AttemptView::from).collect(),
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RetryQueued {
    pub status: String,
    pub delivery_id: Uuid,
}

#[derive(Serialize, ToSchema)]
pub struct RotatedKey {
    pub api_key: String,
}

#[derive(Serialize, ToSchema)]
pub struct RotatedSecret {
    pub signing_secret: String,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let subscribers = warp::path!("api" / "webhooks" / "subscribers" / ..);
    let deliveries = warp::path!("api" / "webhooks" / "deliveries" / ..);
    let auth = || with_state(state).and(authorization());
    // `POST …/{id}/<name>/`
    let action = |name: &'static str| {
        warp::path::param::<Uuid>()
            .and(warp::path(name))
            .and(warp::path::end())
            .and(warp::post())
            .and(auth())
    };
    let rotate_key = subscribers
        .and(action("rotate-key"))
        .then(rotate_key)
        .map(done);
    let rotate_secret = subscribers
        .and(action("rotate-signing-secret"))
        .then(rotate_secret)
        .map(done);
    let list_deliveries = deliveries
        .and(warp::path::end())
        .and(warp::get())
        .and(auth())
        .and(query())
        .then(list_deliveries)
        .map(done);
    let get_delivery = deliveries
        .and(warp::path::param::<Uuid>())
        .and(warp::path::end())
        .and(warp::get())
        .and(auth())
        .then(get_delivery)
        .map(done);
    let retry = deliveries
        .and(action("retry"))
        .then(retry_delivery)
        .map(done);
    rotate_key
        .or(rotate_secret)
        .unify()
        .or(list_deliveries)
        .unify()
        .or(get_delivery)
        .unify()
        .or(retry)
        .unify()
        .or(crud_routes!(
            subscribers,
            state,
            list_subscribers,
            create_subscriber,
            get_subscriber,
            put_subscriber,
            patch_subscriber,
            delete_subscriber
        ))
        .unify()
        .or(crud_routes!(
            warp::path!("api" / "webhooks" / "subscriptions" / ..),
            state,
            list_subscriptions,
            create_subscription,
            get_subscription,
            put_subscription,
            patch_subscription,
            delete_subscription
        ))
        .unify()
        .boxed()
}

/// Reads a subscriber body; the URL must pass the outbound address check.
async fn subscriber_patch(
    state: &State,
    body: Body,
    partial: bool,
) -> Result<SubscriberPatch, ApiError> {
    let mut input = Input::parse(body, partial)?;
    let name = input.required_text("name", 200);
    let url = input.required_text("url", 2000);
    let is_active = input.optional_bool("is_active");
    input.finish()?;
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

#[utoipa::path(get, path = "/api/webhooks/subscribers/", tag = "webhooks",
    params(("page" = Option<usize>, Query, description = "Page number, from 1"), ("page_size" = Option<usize>, Query, description = "Results per page (default 20, max 500)")),
    security(("token" = [])),
    responses((status = 200, description = "Subscribers, oldest first", body = Page<SubscriberView>), (status = 403, description = "Not an admin")))]
pub async fn list_subscribers(
    state: State,
    authorization: Option<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let views: Vec<SubscriberView> = state
        .store()
        .subscribers(caller.tenant_id)?
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
    responses((status = 201, description = "Created with its api_key and signing_secret", body = SubscriberView), (status = 400, description = "Field errors, or a URL that may not receive webhooks")))]
pub async fn create_subscriber(
    state: State,
    authorization: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let patch = subscriber_patch(&state, body, false).await?;
    let sub = state
        .actors
        .tenant(caller.tenant_id, |reply| WebhooksMsg::EditSubscriber {
            id: None,
            patch,
            reply,
        })
        .await?;
    Ok(json_reply(StatusCode::CREATED, &SubscriberView::from(sub)))
}

#[utoipa::path(get, path = "/api/webhooks/subscribers/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 200, description = "The subscriber", body = SubscriberView), (status = 404, description = "Not in this tenant")))]
pub async fn get_subscriber(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let sub = state
        .store()
        .subscriber(caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    Ok(json_reply(StatusCode::OK, &SubscriberView::from(sub)))
}

async fn edit_subscriber(
    id: Uuid,
    state: State,
    authorization: Option<String>,
    body: Body,
    partial: bool,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    state
        .store()
        .subscriber(caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    let patch = subscriber_patch(&state, body, partial).await?;
    let sub = state
        .actors
        .tenant(caller.tenant_id, |reply| WebhooksMsg::EditSubscriber {
            id: Some(id),
            patch,
            reply,
        })
        .await?;
    Ok(json_reply(StatusCode::OK, &SubscriberView::from(sub)))
}

#[utoipa::path(put, path = "/api/webhooks/subscribers/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    request_body = SubscriberWrite,
    security(("token" = [])),
    responses((status = 200, description = "Replaced", body = SubscriberView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn put_subscriber(
    id: Uuid,
    state: State,
    authorization: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    edit_subscriber(id, state, authorization, body, false).await
}

#[utoipa::path(patch, path = "/api/webhooks/subscribers/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    request_body = SubscriberWrite,
    security(("token" = [])),
    responses((status = 200, description = "Updated", body = SubscriberView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn patch_subscriber(
    id: Uuid,
    state: State,
    authorization: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    edit_subscriber(id, state, authorization, body, true).await
}

#[utoipa::path(delete, path = "/api/webhooks/subscribers/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 204, description = "Deleted with its subscriptions; its pending deliveries end FAILED"), (status = 404, description = "Not in this tenant")))]
pub async fn delete_subscriber(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    state
        .actors
        .tenant(caller.tenant_id, |reply| WebhooksMsg::DeleteSubscriber {
            id,
            reply,
        })
        .await?;
    Ok(no_content())
}

#[utoipa::path(post, path = "/api/webhooks/subscribers/{id}/rotate-key/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 200, description = "The new api_key; the old one is invalid at once", body = RotatedKey), (status = 404, description = "Not in this tenant")))]
pub async fn rotate_key(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
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
    responses((status = 200, description = "The new signing_secret; for 24 h deliveries carry a signature with the previous one too", body = RotatedSecret), (status = 404, description = "Not in this tenant")))]
pub async fn rotate_secret(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
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

fn subscription_patch(body: Body, partial: bool) -> Result<SubscriptionPatch, ApiError> {
    let mut input = Input::parse(body, partial)?;
    let subscriber_id = input.required_uuid("subscriber");
    let event_types = input.string_list("event_types");
    let organization_id = input.optional_parsed(
        "organization",
        |s| s.parse::<Uuid>().ok(),
        "Must be a valid UUID.",
    );
    input.finish()?;
    Ok(SubscriptionPatch {
        subscriber_id,
        event_types,
        organization_id,
    })
}

#[utoipa::path(get, path = "/api/webhooks/subscriptions/", tag = "webhooks",
    params(("page" = Option<usize>, Query, description = "Page number, from 1"), ("page_size" = Option<usize>, Query, description = "Results per page (default 20, max 500)")),
    security(("token" = [])),
    responses((status = 200, description = "Subscriptions, oldest first", body = Page<SubscriptionView>)))]
pub async fn list_subscriptions(
    state: State,
    authorization: Option<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let views: Vec<SubscriptionView> = state
        .store()
        .subscriptions(caller.tenant_id)?
        .into_iter()
        .map(SubscriptionView::from)
        .collect();
    Ok(json_reply(
        StatusCode::OK,
        &paginate_vec(
            views,
            &q,
            &state.public_url(),
            "/api/webhooks/subscriptions/",
        )?,
    ))
}

#[utoipa::path(post, path = "/api/webhooks/subscriptions/", tag = "webhooks",
    request_body = SubscriptionWrite,
    security(("token" = [])),
    responses((status = 201, description = "Created", body = SubscriptionView), (status = 400, description = "Field errors: unknown event type, or a subscriber or organization not in this tenant")))]
pub async fn create_subscription(
    state: State,
    authorization: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let patch = subscription_patch(body, false)?;
    let s = state
        .actors
        .tenant(caller.tenant_id, |reply| WebhooksMsg::EditSubscription {
            id: None,
            patch,
            reply,
        })
        .await?;
    Ok(json_reply(StatusCode::CREATED, &SubscriptionView::from(s)))
}

#[utoipa::path(get, path = "/api/webhooks/subscriptions/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    security(("token" = [])),
    responses((status = 200, description = "The subscription", body = SubscriptionView), (status = 404, description = "Not in this tenant")))]
pub async fn get_subscription(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let s = state
        .store()
        .subscription(caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    Ok(json_reply(StatusCode::OK, &SubscriptionView::from(s)))
}

async fn edit_subscription(
    id: Uuid,
    state: State,
    authorization: Option<String>,
    body: Body,
    partial: bool,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    state
        .store()
        .subscription(caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    let patch = subscription_patch(body, partial)?;
    let s = state
        .actors
        .tenant(caller.tenant_id, |reply| WebhooksMsg::EditSubscription {
            id: Some(id),
            patch,
            reply,
        })
        .await?;
    Ok(json_reply(StatusCode::OK, &SubscriptionView::from(s)))
}

#[utoipa::path(put, path = "/api/webhooks/subscriptions/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    request_body = SubscriptionWrite,
    security(("token" = [])),
    responses((status = 200, description = "Replaced", body = SubscriptionView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn put_subscription(
    id: Uuid,
    state: State,
    authorization: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    edit_subscription(id, state, authorization, body, false).await
}

#[utoipa::path(patch, path = "/api/webhooks/subscriptions/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    request_body = SubscriptionWrite,
    security(("token" = [])),
    responses((status = 200, description = "Updated", body = SubscriptionView), (status = 400, description = "Field errors"), (status = 404, description = "Not in this tenant")))]
pub async fn patch_subscription(
    id: Uuid,
    state: State,
    authorization: Option<String>,
    body: Body,
) -> Result<Response, ApiError> {
    edit_subscription(id, state, authorization, body, true).await
}

#[utoipa::path(delete, path = "/api/webhooks/subscriptions/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscription id")),
    security(("token" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not in this tenant")))]
pub async fn delete_subscription(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    state
        .actors
        .tenant(caller.tenant_id, |reply| WebhooksMsg::DeleteSubscription {
            id,
            reply,
        })
        .await?;
    Ok(no_content())
}

#[utoipa::path(get, path = "/api/webhooks/deliveries/", tag = "webhooks",
    params(
        ("subscriber" = Option<Uuid>, Query, description = "Subscriber id"),
        ("status" = Option<String>, Query, description = "PENDING, SUCCESS or FAILED", pattern = "^(PENDING|SUCCESS|FAILED)$"),
        ("event_type" = Option<String>, Query, description = "e.g. certificate.created"),
        ("page" = Option<usize>, Query, description = "Page number, from 1"),
        ("page_size" = Option<usize>, Query, description = "Results per page (default 20, max 500)"),
    ),
    security(("token" = [])),
    responses((status = 200, description = "Deliveries, newest first, with every attempt", body = Page<DeliveryView>), (status = 400, description = "A malformed filter")))]
pub async fn list_deliveries(
    state: State,
    authorization: Option<String>,
    q: Query,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let subscriber = q.uuid("subscriber")?;
    let status = q.parsed(
        "status",
        |s| DeliveryStatus::parse(&s.to_ascii_uppercase()),
        "Must be one of PENDING, SUCCESS, FAILED.",
    )?;
    let event_type = q.parsed(
        "event_type",
        |s| EventKind::parse(s).map(|k| k.as_str().to_string()),
        "Unknown event type.",
    )?;
    let deliveries = state.store().deliveries(caller.tenant_id, |d| {
        subscriber.is_none_or(|s| d.subscriber_id == s)
            && status.is_none_or(|s| d.status == s)
            && event_type.as_deref().is_none_or(|t| d.event_type == t)
    })?;
    let views: Vec<DeliveryView> = deliveries.into_iter().map(DeliveryView::from).collect();
    Ok(json_reply(
        StatusCode::OK,
        &paginate_vec(views, &q, &state.public_url(), "/api/webhooks/deliveries/")?,
    ))
}

#[utoipa::path(get, path = "/api/webhooks/deliveries/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    security(("token" = [])),
    responses((status = 200, description = "The delivery with every attempt", body = DeliveryView), (status = 404, description = "Not in this tenant")))]
pub async fn get_delivery(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let d = state
        .store()
        .delivery(caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    Ok(json_reply(StatusCode::OK, &DeliveryView::from(d)))
}

#[utoipa::path(post, path = "/api/webhooks/deliveries/{id}/retry/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    security(("token" = [])),
    responses((status = 200, description = "Back to PENDING and delivered again", body = RetryQueued), (status = 400, description = "The delivery is not FAILED"), (status = 404, description = "Not in this tenant")))]
pub async fn retry_delivery(
    id: Uuid,
    state: State,
    authorization: Option<String>,
) -> Result<Response, ApiError> {
    let caller = state.admin(authorization)?;
    let d = state
        .store()
        .delivery(caller.tenant_id, id)?
        .ok_or(ApiError::NotFound)?;
    state
        .actors
        .retry_delivery(caller.tenant_id, d.subscriber_id, id)
        .await?;
    Ok(json_reply(
        StatusCode::OK,
        &RetryQueued {
            status: "retry_queued".into(),
            delivery_id: id,
        },
    ))
}
