//! Webhook subscriptions: which events of the tenant (and of which organization) go to
//! which subscriber.

use certwatch_domain::events::EventKind;
use certwatch_domain::webhooks::{Subscription, SubscriptionPatch};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::tables::{organizations, subscribers, subscriptions};
use crate::{RegistryError, Store};

/// Creates (`id` None) or edits a subscription; its subscriber and organization must be
/// the tenant's, its event types known.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: SubscriptionPatch,
    now: DateTime<Utc>,
) -> Result<Subscription, RegistryError> {
    let mut s = match id {
        Some(id) => subscriptions::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?,
        None => Subscription {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            subscriber_id: Uuid::nil(),
            event_types: Vec::new(),
            organization_id: None,
            created_at: now,
            updated_at: now,
        },
    };
    if let Some(sub) = patch.subscriber_id {
        s.subscriber_id = sub;
    }
    if let Some(types) = patch.event_types {
        s.event_types = types;
    }
    if let Some(org) = patch.organization_id {
        s.organization_id = org;
    }
    if subscribers::get(store, tenant, s.subscriber_id)?.is_none() {
        return Err(RegistryError::field("subscriber", "No such subscriber."));
    }
    if s.event_types.is_empty() {
        return Err(RegistryError::field(
            "event_types",
            "Name at least one event type, or \"*\".",
        ));
    }
    if let Some(bad) = s
        .event_types
        .iter()
        .find(|t| *t != "*" && EventKind::parse(t).is_none())
    {
        return Err(RegistryError::field(
            "event_types",
            &format!("Unknown event type \"{bad}\"."),
        ));
    }
    if let Some(org) = s.organization_id
        && organizations::get(store, tenant, org)?.is_none()
    {
        return Err(RegistryError::field(
            "organization",
            "No such organization.",
        ));
    }
    s.updated_at = now;
    subscriptions::put(store, &s)?;
    Ok(s)
}

pub fn delete(store: &Store, tenant: Uuid, id: Uuid) -> Result<(), RegistryError> {
    match subscriptions::delete(store, tenant, id)? {
        true => Ok(()),
        false => Err(RegistryError::NotFound),
    }
}
