//! Webhook subscribers: the receivers, with the key and signing secret they trust.

use certwatch_actors::WebhooksMsg;
use certwatch_actors::{Reply, TenantMsg};
use certwatch_domain::webhooks::{Subscriber, SubscriberPatch};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::crud::Resource;
use crate::error::ApiError;
use crate::extract::Query;
use crate::input::{Input, Write};
use crate::pagination::{Page, PageParams, paginate_vec};
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

impl From<SubscriberWrite> for SubscriberPatch {
    fn from(w: SubscriberWrite) -> SubscriberPatch {
        SubscriberPatch {
            name: w.name,
            url: w.url,
            is_active: w.is_active,
        }
    }
}

/// Webhook subscribers as a resource of the six collection routes.
pub struct Subscribers;

impl Resource for Subscribers {
    type Record = Subscriber;
    type View = SubscriberView;
    type Write = SubscriberWrite;
    type Patch = SubscriberPatch;
    const PATH: &'static str = "/api/webhooks/subscribers/";
    const TAG: &'static str = "webhooks";
    const NOUN: &'static str = "Subscriber";
    const CREATED: &'static str = "Created with its api_key and signing_secret";
    const DELETED: &'static str =
        "Deleted with its subscriptions; its pending deliveries end FAILED";

    const ADMIN_ONLY: bool = true;

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Subscriber>, StoreError> {
        tables::subscribers::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, sub: Subscriber) -> Result<SubscriberView, ApiError> {
        Ok(SubscriberView::from(sub))
    }

    fn outbound_url(write: &Self::Write) -> Option<(&str, &'static str)> {
        Some((write.url.as_deref()?, "receive webhooks"))
    }

    fn edit(
        _: &Caller,
        id: Option<Uuid>,
        patch: SubscriberPatch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg {
        WebhooksMsg::EditSubscriber { id, patch, reply }.into()
    }

    fn delete(_: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        WebhooksMsg::DeleteSubscriber { id, reply }.into()
    }
}

#[utoipa::path(get, path = "/api/webhooks/subscribers/", tag = "webhooks",
    params(PageParams),
    security(("token" = [])),
    responses((status = 200, description = "Subscribers, oldest first", body = Page<SubscriberView>), (status = 403, description = "Not an admin")))]
pub async fn list_subscribers(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<SubscriberView>, ApiError> {
    caller.require_admin()?;
    let views: Vec<SubscriberView> =
        tables::subscribers::of_tenant(state.store(), caller.tenant_id)?
            .into_iter()
            .map(SubscriberView::from)
            .collect();
    paginate_vec(views, &q, &state.public_url(), "/api/webhooks/subscribers/")
}

#[utoipa::path(post, path = "/api/webhooks/subscribers/{id}/rotate-key/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "The new api_key; the old one is invalid at once", body = RotatedKey), (status = 404, description = "Not in this tenant")))]
pub async fn rotate_key(id: Uuid, state: State, caller: Caller) -> Result<RotatedKey, ApiError> {
    caller.require_admin()?;
    let sub = state
        .actors
        .tenant(caller.tenant_id, |reply| WebhooksMsg::RotateSubscriberKey {
            id,
            reply,
        })
        .await?;
    Ok(RotatedKey {
        api_key: sub.api_key,
    })
}

#[utoipa::path(post, path = "/api/webhooks/subscribers/{id}/rotate-signing-secret/", tag = "webhooks",
    params(("id" = Uuid, Path, description = "Subscriber id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "The new signing_secret; for 24 h deliveries carry a signature with the previous one too", body = RotatedSecret), (status = 404, description = "Not in this tenant")))]
pub async fn rotate_secret(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<RotatedSecret, ApiError> {
    caller.require_admin()?;
    let sub = state
        .actors
        .tenant(caller.tenant_id, |reply| {
            WebhooksMsg::RotateSubscriberSecret { id, reply }
        })
        .await?;
    Ok(RotatedSecret {
        signing_secret: sub.signing_secret,
    })
}
