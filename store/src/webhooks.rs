//! Webhooks: the tables of subscribers, subscriptions and deliveries.
//!
//! Deliveries are created by [`Store::fan_out`] inside the same transaction as the change
//! that caused their event, so an acknowledged change always has its deliveries stored.
//! After creation a delivery belongs to its subscriber's actor, which records attempts.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::webhooks::{
    Attempt, Delivery, DeliveryStatus, Subscriber, SubscriberPatch, Subscription,
    SubscriptionPatch, payload,
};
use chrono::{DateTime, Utc};
use rand::RngExt;
use sled::Transactional;
use sled::transaction::TransactionalTree;
use uuid::Uuid;

use crate::registry::RegistryError;
use crate::{Store, StoreError, encode, finish, get, keys, scan};

pub fn new_signing_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", B64.encode(bytes))
}

pub fn new_api_key() -> String {
    crate::secrets::random_key(48)
}

/// `sub ‖ micros(next attempt) ‖ delivery` → tenant: what a subscriber actor has to do, in order.
fn due_key(sub: Uuid, at: DateTime<Utc>, delivery: Uuid) -> Vec<u8> {
    let mut k = keys::id(sub).to_vec();
    k.extend_from_slice(&at.timestamp_micros().max(0).to_be_bytes());
    k.extend_from_slice(delivery.as_bytes());
    k
}

fn by_time_key(d: &Delivery) -> Vec<u8> {
    let mut k = keys::id(d.tenant_id).to_vec();
    k.extend_from_slice(&d.created_at.timestamp_micros().max(0).to_be_bytes());
    k.extend_from_slice(d.id.as_bytes());
    k
}

/// Writes of a fan-out, computed before the transaction that applies them.
#[derive(Default)]
pub struct FanOut {
    tenant: Uuid,
    deliveries: Vec<Delivery>,
}

impl FanOut {
    pub(crate) fn apply(
        &self,
        deliveries: &TransactionalTree,
        by_time: &TransactionalTree,
        due: &TransactionalTree,
    ) -> Result<(), sled::transaction::UnabortableTransactionError> {
        for d in &self.deliveries {
            deliveries.insert(keys::pair(d.tenant_id, d.id).to_vec(), encode(d))?;
            by_time.insert(by_time_key(d), &[])?;
            let at = d.next_attempt_at.unwrap_or(d.created_at);
            due.insert(due_key(d.subscriber_id, at, d.id), &keys::id(d.tenant_id))?;
        }
        Ok(())
    }

    pub fn subscribers(&self) -> HashSet<Uuid> {
        self.deliveries.iter().map(|d| d.subscriber_id).collect()
    }
}

impl Store {
    /// The deliveries `events` cause: one per matching subscription of an active subscriber
    /// (one per subscriber even if several of its subscriptions match).
    pub fn fan_out(&self, tenant: Uuid, events: &[Event]) -> Result<FanOut, StoreError> {
        let mut out = FanOut::default();
        if events.is_empty() {
            return Ok(out);
        }
        let subscriptions: Vec<Subscription> = self.subscriptions(tenant)?;
        let active: HashSet<Uuid> = self
            .subscribers(tenant)?
            .into_iter()
            .filter(|s| s.is_active)
            .map(|s| s.id)
            .collect();
        for event in events {
            let targets: HashSet<Uuid> = subscriptions
                .iter()
                .filter(|s| active.contains(&s.subscriber_id) && s.matches(event))
                .map(|s| s.subscriber_id)
                .collect();
            for subscriber_id in targets {
                out.deliveries.push(Delivery {
                    id: Uuid::new_v4(),
                    tenant_id: tenant,
                    subscriber_id,
                    event_id: event.id,
                    event_type: event.kind.clone(),
                    payload: payload(event),
                    status: DeliveryStatus::Pending,
                    attempts: Vec::new(),
                    round_start: 0,
                    next_attempt_at: Some(event.created_at),
                    created_at: event.created_at,
                    updated_at: event.created_at,
                });
            }
        }
        out.tenant = tenant;
        Ok(out)
    }

    /// Notes the subscribers a committed write gave deliveries, for the tenant's actor to
    /// wake once the write is durable (`take_wakes`). Called only after the write's
    /// transaction succeeded: an aborted write woke no one.
    pub(crate) fn woke(&self, fan_out: &FanOut) {
        if !fan_out.deliveries.is_empty() {
            let mut wakes = self.inner_wakes();
            wakes
                .entry(fan_out.tenant)
                .or_default()
                .extend(fan_out.subscribers());
        }
    }

    /// Subscribers that got deliveries from `tenant`'s writes since the last call.
    pub fn take_wakes(&self, tenant: Uuid) -> HashSet<Uuid> {
        self.inner_wakes().remove(&tenant).unwrap_or_default()
    }

    pub fn subscriber(&self, tenant: Uuid, id: Uuid) -> Result<Option<Subscriber>, StoreError> {
        get(&self.trees().subscribers, &keys::pair(tenant, id))
    }

    pub fn subscribers(&self, tenant: Uuid) -> Result<Vec<Subscriber>, StoreError> {
        let mut subs: Vec<Subscriber> = scan(&self.trees().subscribers, &keys::id(tenant))?;
        subs.sort_by_key(|s| (s.created_at, s.id));
        Ok(subs)
    }

    /// Every subscriber of every tenant, for starting their actors at boot.
    pub fn all_subscribers(&self) -> Result<Vec<Subscriber>, StoreError> {
        scan(&self.trees().subscribers, &[])
    }

    pub fn save_subscriber(&self, sub: &Subscriber) -> Result<(), StoreError> {
        self.trees()
            .subscribers
            .insert(keys::pair(sub.tenant_id, sub.id), encode(sub))?;
        Ok(())
    }

    /// Deletes a subscriber with its subscriptions; its pending deliveries end FAILED.
    pub fn delete_subscriber(
        &self,
        tenant: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), RegistryError> {
        self.subscriber(tenant, id)?
            .ok_or(RegistryError::NotFound)?;
        let subscriptions: Vec<Subscription> = self
            .subscriptions(tenant)?
            .into_iter()
            .filter(|s| s.subscriber_id == id)
            .collect();
        let pending = self.due_entries(id)?;
        let t = self.trees();
        finish::<_, RegistryError>(
            (
                &t.subscribers,
                &t.subscriptions,
                &t.deliveries,
                &t.deliveries_due,
            )
                .transaction(|(subs, subscriptions_t, deliveries, due)| {
                    subs.remove(&keys::pair(tenant, id))?;
                    for s in &subscriptions {
                        subscriptions_t.remove(&keys::pair(tenant, s.id))?;
                    }
                    for (key, delivery) in &pending {
                        due.remove(key.as_slice())?;
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
                        deliveries.insert(keys::pair(tenant, d.id).to_vec(), encode(&d))?;
                    }
                    Ok(())
                }),
        )
    }

    pub fn subscription(&self, tenant: Uuid, id: Uuid) -> Result<Option<Subscription>, StoreError> {
        get(&self.trees().subscriptions, &keys::pair(tenant, id))
    }

    pub fn subscriptions(&self, tenant: Uuid) -> Result<Vec<Subscription>, StoreError> {
        let mut subs: Vec<Subscription> = scan(&self.trees().subscriptions, &keys::id(tenant))?;
        subs.sort_by_key(|s| (s.created_at, s.id));
        Ok(subs)
    }

    pub fn save_subscription(&self, s: &Subscription) -> Result<(), StoreError> {
        self.trees()
            .subscriptions
            .insert(keys::pair(s.tenant_id, s.id), encode(s))?;
        Ok(())
    }

    pub fn delete_subscription(&self, tenant: Uuid, id: Uuid) -> Result<(), RegistryError> {
        match self
            .trees()
            .subscriptions
            .remove(keys::pair(tenant, id))
            .map_err(StoreError::from)?
        {
            Some(_) => Ok(()),
            None => Err(RegistryError::NotFound),
        }
    }

    pub fn delivery(&self, tenant: Uuid, id: Uuid) -> Result<Option<Delivery>, StoreError> {
        get(&self.trees().deliveries, &keys::pair(tenant, id))
    }

    /// A tenant's deliveries, newest first, that pass `keep`.
    pub fn deliveries(
        &self,
        tenant: Uuid,
        keep: impl Fn(&Delivery) -> bool,
    ) -> Result<Vec<Delivery>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .trees()
            .deliveries_by_time
            .scan_prefix(keys::id(tenant))
            .keys()
            .rev()
        {
            let key = key?;
            let id = keys::uuid_at(&key, 24)
                .ok_or_else(|| StoreError::Corrupt("delivery index".into()))?;
            if let Some(d) = self.delivery(tenant, id)?
                && keep(&d)
            {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// A subscriber's pending deliveries in due order, with their due-index keys.
    fn due_entries(&self, sub: Uuid) -> Result<Vec<(Vec<u8>, Delivery)>, StoreError> {
        let mut out = Vec::new();
        for entry in self.trees().deliveries_due.scan_prefix(keys::id(sub)) {
            let (key, tenant) = entry?;
            let tenant =
                keys::uuid_at(&tenant, 0).ok_or_else(|| StoreError::Corrupt("due index".into()))?;
            let id =
                keys::uuid_at(&key, 24).ok_or_else(|| StoreError::Corrupt("due index".into()))?;
            if let Some(d) = self.delivery(tenant, id)? {
                out.push((key.to_vec(), d));
            }
        }
        Ok(out)
    }

    /// Up to `limit` of `sub`'s deliveries due by `now`, skipping `busy` ones, and when the
    /// next one after those falls due. Reads only due-index keys past the ones it returns.
    pub fn due_deliveries(
        &self,
        sub: Uuid,
        now: DateTime<Utc>,
        limit: usize,
        busy: &HashSet<Uuid>,
    ) -> Result<(Vec<Delivery>, Option<DateTime<Utc>>), StoreError> {
        let mut due = Vec::new();
        for entry in self.trees().deliveries_due.scan_prefix(keys::id(sub)) {
            let (key, tenant) = entry?;
            let micros = key
                .get(16..24)
                .and_then(|b| b.try_into().ok())
                .map(i64::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt("due index".into()))?;
            let at = DateTime::from_timestamp_micros(micros).unwrap_or(now);
            let id =
                keys::uuid_at(&key, 24).ok_or_else(|| StoreError::Corrupt("due index".into()))?;
            if busy.contains(&id) {
                continue;
            }
            if at > now || due.len() >= limit {
                return Ok((due, Some(at.max(now))));
            }
            let tenant =
                keys::uuid_at(&tenant, 0).ok_or_else(|| StoreError::Corrupt("due index".into()))?;
            if let Some(d) = self.delivery(tenant, id)? {
                due.push(d);
            }
        }
        Ok((due, None))
    }

    /// Creates (`id` None) or edits a subscriber; a new one gets its API key and secret.
    pub fn edit_subscriber(
        &self,
        tenant: Uuid,
        id: Option<Uuid>,
        patch: SubscriberPatch,
        now: DateTime<Utc>,
    ) -> Result<Subscriber, RegistryError> {
        let mut sub = match id {
            Some(id) => self
                .subscriber(tenant, id)?
                .ok_or(RegistryError::NotFound)?,
            None => Subscriber {
                id: Uuid::new_v4(),
                tenant_id: tenant,
                name: String::new(),
                url: String::new(),
                api_key: new_api_key(),
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
                return Err(RegistryError::Field {
                    field,
                    message: "This field is required.".into(),
                });
            }
        }
        sub.updated_at = now;
        self.save_subscriber(&sub)?;
        Ok(sub)
    }

    /// A new API key, replacing the old one at once.
    pub fn rotate_api_key(
        &self,
        tenant: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Subscriber, RegistryError> {
        let mut sub = self
            .subscriber(tenant, id)?
            .ok_or(RegistryError::NotFound)?;
        sub.api_key = new_api_key();
        sub.updated_at = now;
        self.save_subscriber(&sub)?;
        Ok(sub)
    }

    /// A new signing secret; the old one keeps signing too for [`SECRET_GRACE`].
    pub fn rotate_signing_secret(
        &self,
        tenant: Uuid,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Subscriber, RegistryError> {
        let mut sub = self
            .subscriber(tenant, id)?
            .ok_or(RegistryError::NotFound)?;
        sub.previous_secret = Some(std::mem::replace(
            &mut sub.signing_secret,
            new_signing_secret(),
        ));
        sub.secret_rotated_at = Some(now);
        sub.updated_at = now;
        self.save_subscriber(&sub)?;
        Ok(sub)
    }

    /// Creates (`id` None) or edits a subscription; its subscriber and organization must be
    /// the tenant's, its event types known.
    pub fn edit_subscription(
        &self,
        tenant: Uuid,
        id: Option<Uuid>,
        patch: SubscriptionPatch,
        now: DateTime<Utc>,
    ) -> Result<Subscription, RegistryError> {
        let mut s = match id {
            Some(id) => self
                .subscription(tenant, id)?
                .ok_or(RegistryError::NotFound)?,
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
        let field = |field: &'static str, message: &str| RegistryError::Field {
            field,
            message: message.into(),
        };
        if self.subscriber(tenant, s.subscriber_id)?.is_none() {
            return Err(field("subscriber", "No such subscriber."));
        }
        if s.event_types.is_empty() {
            return Err(field(
                "event_types",
                "Name at least one event type, or \"*\".",
            ));
        }
        if let Some(bad) = s
            .event_types
            .iter()
            .find(|t| *t != "*" && EventKind::parse(t).is_none())
        {
            return Err(field(
                "event_types",
                &format!("Unknown event type \"{bad}\"."),
            ));
        }
        if let Some(org) = s.organization_id
            && self.organization(tenant, org)?.is_none()
        {
            return Err(field("organization", "No such organization."));
        }
        s.updated_at = now;
        self.save_subscription(&s)?;
        Ok(s)
    }

    /// Stores a delivery after an attempt or a manual retry, keeping the due index in step:
    /// `previous_due` is when it was due before (if it was pending).
    pub fn update_delivery(
        &self,
        d: &Delivery,
        previous_due: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let t = self.trees();
        finish::<_, StoreError>((&t.deliveries, &t.deliveries_due).transaction(
            |(deliveries, due)| {
                if let Some(at) = previous_due {
                    due.remove(due_key(d.subscriber_id, at, d.id))?;
                }
                if let (DeliveryStatus::Pending, Some(at)) = (d.status, d.next_attempt_at) {
                    due.insert(due_key(d.subscriber_id, at, d.id), &keys::id(d.tenant_id))?;
                }
                deliveries.insert(keys::pair(d.tenant_id, d.id).to_vec(), encode(d))?;
                Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
            },
        ))
    }
}
