//! Webhook subscriptions: which events go to which subscriber.

use certwatch_actors::WebhooksMsg;
use certwatch_actors::{Reply, TenantMsg};
use certwatch_domain::webhooks::{Subscription, SubscriptionPatch};
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
pub struct SubscriptionWrite {
    #[schema(value_type = Uuid, required = true)]
    subscriber: Option<Uuid>,
    /// Event types, or `["*"]` for all.
    #[schema(value_type = Vec<String>, required = true, min_items = 1)]
    event_types: Option<Vec<String>>,
    /// Only events about this organization.
    #[schema(value_type = Option<Uuid>)]
    organization: Option<Option<Uuid>>,
}

impl Write for SubscriptionWrite {
    fn read(input: &mut Input) -> Self {
        SubscriptionWrite {
            subscriber: input.required_uuid("subscriber"),
            event_types: input.string_list("event_types"),
            organization: input.optional_parsed(
                "organization",
                |s| s.parse::<Uuid>().ok(),
                "Must be a valid UUID.",
            ),
        }
    }
}

impl From<SubscriptionWrite> for SubscriptionPatch {
    fn from(w: SubscriptionWrite) -> SubscriptionPatch {
        SubscriptionPatch {
            subscriber_id: w.subscriber,
            event_types: w.event_types,
            organization_id: w.organization,
        }
    }
}

/// Webhook subscriptions as a resource of the six collection routes.
pub struct Subscriptions;

impl Resource for Subscriptions {
    type Record = Subscription;
    type View = SubscriptionView;
    type Write = SubscriptionWrite;
    type Patch = SubscriptionPatch;
    const PATH: &'static str = "/api/webhooks/subscriptions/";
    const TAG: &'static str = "webhooks";
    const NOUN: &'static str = "Subscription";

    const ADMIN_ONLY: bool = true;

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Subscription>, StoreError> {
        tables::subscriptions::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, s: Subscription) -> Result<SubscriptionView, ApiError> {
        Ok(SubscriptionView::from(s))
    }

    fn edit(
        _: &Caller,
        id: Option<Uuid>,
        patch: SubscriptionPatch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg {
        WebhooksMsg::EditSubscription { id, patch, reply }.into()
    }

    fn delete(_: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        WebhooksMsg::DeleteSubscription { id, reply }.into()
    }
}

#[utoipa::path(get, path = "/api/webhooks/subscriptions/", tag = "webhooks",
    params(PageParams),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), (status = 200, description = "Subscriptions, oldest first", body = Page<SubscriptionView>)))]
pub async fn list_subscriptions(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<SubscriptionView>, ApiError> {
    caller.require_admin()?;
    let views: Vec<SubscriptionView> =
        tables::subscriptions::of_tenant(state.store(), caller.tenant_id)?
            .into_iter()
            .map(SubscriptionView::from)
            .collect();
    paginate_vec(
        views,
        &q,
        &state.public_url(),
        "/api/webhooks/subscriptions/",
    )
}
