//! Webhook subscribers: created with their API key and signing secret, edited, rotated,
//! deleted with their subscriptions (their pending deliveries end FAILED).

use certwatch_domain::webhooks::{Attempt, DeliveryStatus, Subscriber, SubscriberPatch};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::secrets::{new_signing_secret, random_key};
use crate::engine::tx::transact;
use crate::tables::{deliveries, subscribers, subscriptions};
use crate::{RegistryError, Store};

/// Creates (`id` None) or edits a subscriber; a new one gets its API key and secret.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: SubscriberPatch,
    now: DateTime<Utc>,
) -> Result<Subscriber, RegistryError> {
    let mut sub = match id {
        Some(id) => subscribers::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?,
        None => Subscriber {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            name: String::new(),
            url: String::new(),
            api_key: random_key(48),
            signing_secret: new_signing_secret(),
            previous_secret: None,
            secret_rotated_at: None,
            is_active: true,
            created_at: now,
            updated_at: now,
        },
    };
    if let Some(name) = patch.name {
        sub.name = name;
    }
    if let Some(url) = patch.url {
        sub.url = url;
    }
    if let Some(active) = patch.is_active {
        sub.is_active = active;
    }
    for (field, value) in [("name", &sub.name), ("url", &sub.url)] {
        if value.trim().is_empty() {
            return Err(RegistryError::field(field, "This field is required."));
        }
    }
    sub.updated_at = now;
    subscribers::put(store, &sub)?;
    Ok(sub)
}

/// A new API key, replacing the old one at once.
pub fn rotate_api_key(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Subscriber, RegistryError> {
    change(store, tenant, id, now, |sub| sub.api_key = random_key(48))
}

/// A new signing secret; the old one keeps signing too for the grace period
/// (`SECRET_GRACE`).
pub fn rotate_signing_secret(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Subscriber, RegistryError> {
    change(store, tenant, id, now, |sub| {
        sub.previous_secret = Some(std::mem::replace(
            &mut sub.signing_secret,
            new_signing_secret(),
        ));
        sub.secret_rotated_at = Some(now);
    })
}

/// Applies `f` to the stored subscriber and stores it.
fn change(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
    f: impl FnOnce(&mut Subscriber),
) -> Result<Subscriber, RegistryError> {
    let mut sub = subscribers::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    f(&mut sub);
    sub.updated_at = now;
    subscribers::put(store, &sub)?;
    Ok(sub)
}

/// Deletes a subscriber with its subscriptions; its pending deliveries end FAILED.
pub fn delete(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), RegistryError> {
    subscribers::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    let its_subscriptions: Vec<Uuid> = subscriptions::of_tenant(store, tenant)?
        .into_iter()
        .filter(|s| s.subscriber_id == id)
        .map(|s| s.id)
        .collect();
    let pending = deliveries::pending(store, id)?;
    let tables = [subscribers::TREES, subscriptions::TREES, deliveries::TREES];
    transact::<_, RegistryError>(store, &tables, |tx| {
        subscribers::remove(tx, tenant, id)?;
        for s in &its_subscriptions {
            subscriptions::remove(tx, tenant, *s)?;
        }
        for (key, delivery) in &pending {
            let mut d = delivery.clone();
            d.status = DeliveryStatus::Failed;
            d.next_attempt_at = None;
            d.updated_at = now;
            d.attempts.push(Attempt {
                at: now,
                status_code: None,
                error: Some("subscriber deleted".into()),
                duration_ms: 0,
                response_body: String::new(),
            });
            deliveries::replace(tx, &d, Some(key))?;
        }
        Ok(())
    })
}
