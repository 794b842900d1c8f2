//! The delivery audit log: every event sent to a subscriber, its attempts, and retries.

use certwatch_domain::events::EventKind;
use certwatch_domain::webhooks::{Attempt, Delivery, DeliveryStatus};
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Query;
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::state::State;

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

#[utoipa::path(get, path = "/api/webhooks/deliveries/", tag = "webhooks",
    params(
        ("subscriber" = Option<Uuid>, Query, description = "Subscriber id"),
        ("status" = Option<String>, Query, description = "PENDING, SUCCESS or FAILED", pattern = "^(PENDING|SUCCESS|FAILED)$"),
        ("event_type" = Option<String>, Query, description = "e.g. certificate.created"),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "Deliveries, newest first, with every attempt", body = Page<DeliveryView>), (status = 400, description = "A malformed filter")))]
pub async fn list_deliveries(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<DeliveryView>, ApiError> {
    caller.require_admin()?;
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
    let deliveries = tables::deliveries::of_tenant(state.store(), caller.tenant_id, |d| {
        subscriber.is_none_or(|s| d.subscriber_id == s)
            && status.is_none_or(|s| d.status == s)
            && event_type.as_deref().is_none_or(|t| d.event_type == t)
    })?;
    let views: Vec<DeliveryView> = deliveries.into_iter().map(DeliveryView::from).collect();
    paginate_vec(views, &q, &state.public_url(), "/api/webhooks/deliveries/")
}

#[utoipa::path(get, path = "/api/webhooks/deliveries/{id}/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "The delivery with every attempt", body = DeliveryView), (status = 404, description = "Not in this tenant")))]
pub async fn get_delivery(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<DeliveryView, ApiError> {
    caller.require_admin()?;
    let d =
        tables::deliveries::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    Ok(DeliveryView::from(d))
}

#[utoipa::path(post, path = "/api/webhooks/deliveries/{id}/retry/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Delivery id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "Back to PENDING and delivered again", body = RetryQueued), (status = 400, description = "The delivery is not FAILED"), (status = 404, description = "Not in this tenant")))]
pub async fn retry_delivery(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<RetryQueued, ApiError> {
    caller.require_admin()?;
    let d =
        tables::deliveries::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    state
        .actors
        .retry_delivery(caller.tenant_id, d.subscriber_id, id)
        .await?;
    Ok(RetryQueued {
        status: "retry_queued".into(),
        delivery_id: id,
    })
}
