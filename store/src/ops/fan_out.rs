//! Fan-out: the webhook deliveries a write's events cause, stored in the same transaction
//! as the write, so an acknowledged change always has its deliveries. A write returns the
//! subscribers it gave deliveries ([`Woke`]); the actor that made it wakes them once the
//! write is durable, and an aborted write woke no one.

use std::collections::HashSet;

use certwatch_domain::events::Event;
use certwatch_domain::webhooks::{Delivery, DeliveryStatus, payload};
use uuid::Uuid;

use crate::engine::tx::{Tx, TxResult};
use crate::tables::{deliveries, subscribers, subscriptions};
use crate::{Store, StoreError};

/// Subscribers that got new deliveries from a write.
#[derive(Debug, Clone, Default, PartialEq)]
#[must_use = "the subscribers a write woke must be told once it is durable"]
pub struct Woke(HashSet<Uuid>);

impl Woke {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn subscribers(self) -> Vec<Uuid> {
        self.0.into_iter().collect()
    }

    pub fn add(&mut self, other: Woke) {
        self.0.extend(other.0);
    }
}

/// A write's result with the subscribers it woke.
#[derive(Debug)]
pub struct Written<T> {
    pub value: T,
    pub woke: Woke,
}

impl<T> Written<T> {
    pub fn new(value: T, woke: Woke) -> Written<T> {
        Written { value, woke }
    }

    /// A write that woke no one.
    pub fn quiet(value: T) -> Written<T> {
        Written::new(value, Woke::default())
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Written<U> {
        Written::new(f(self.value), self.woke)
    }
}

/// The deliveries of some events, made before the transaction that stores them.
pub struct FanOut(Vec<Delivery>);

/// One delivery per matching subscription of an active subscriber (one per subscriber
/// even if several of its subscriptions match).
pub fn plan(store: &Store, tenant: Uuid, events: &[Event]) -> Result<FanOut, StoreError> {
    let mut out = Vec::new();
    if events.is_empty() {
        return Ok(FanOut(out));
    }
    let subscriptions = subscriptions::of_tenant(store, tenant)?;
    let active: HashSet<Uuid> = subscribers::of_tenant(store, tenant)?
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
            out.push(Delivery {
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
    Ok(FanOut(out))
}

impl FanOut {
    pub fn put<E>(&self, tx: &Tx) -> TxResult<(), E> {
        for d in &self.0 {
            deliveries::insert(tx, d)?;
        }
        Ok(())
    }

    /// Whom the deliveries are for, to wake once the transaction has committed.
    pub fn woke(&self) -> Woke {
        Woke(self.0.iter().map(|d| d.subscriber_id).collect())
    }
}
