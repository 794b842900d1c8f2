//! Webhooks: subscribers, subscriptions, deliveries, and the rules of Standard Webhooks
//! signing and retrying.
//!
//! Deliveries are created by [`Store::fan_out`] inside the same transaction as the change
//! that caused their event, so an acknowledged change always has its deliveries stored.
//! After creation a delivery belongs to its subscriber's actor, which records attempts.

use certwatch_domain::events::EventKind;
use std::collections::HashSet;
use std::time::Duration as StdDuration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sled::Transactional;
use sled::transaction::TransactionalTree;
use uuid::Uuid;

use crate::registry::{Event, RegistryError};
use crate::{Store, StoreError, encode, finish, get, keys, scan};

/// How long deliveries stay signed with the previous secret after a rotation.
pub const SECRET_GRACE: Duration = Duration::hours(24);
/// Largest response body kept with an attempt.
pub const MAX_RESPONSE_BODY: usize = 1024;
/// Longest wait a receiver's `Retry-After` can ask for.
pub const MAX_RETRY_AFTER: StdDuration = StdDuration::from_secs(3600);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscriber {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub url: String,
    /// Sent as `Authorization: Bearer <api_key>`; kept in clear because it is sent.
    pub api_key: String,
    /// `whsec_<base64>`; kept in clear because every delivery is signed with it.
    pub signing_secret: String,
    pub previous_secret: Option<String>,
    pub secret_rotated_at: Option<DateTime<Utc>>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Subscriber {
    /// The secrets deliveries are signed with at `now`: the current one, and the previous
    /// one during the grace period after a rotation.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.signing_secret.as_str()];
        if let (Some(prev), Some(at)) = (&self.previous_secret, self.secret_rotated_at)
            && now < at + SECRET_GRACE
        {
            secrets.push(prev);
        }
        secrets
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub subscriber_id: Uuid,
    /// Event types, or `*` for all.
    pub event_types: Vec<String>,
    /// Only events about this organization, when set.
    pub organization_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Subscription {
    pub fn matches(&self, event: &Event) -> bool {
        self.event_types
            .iter()
            .any(|t| t == "*" || *t == event.kind)
            && self
                .organization_id
                .is_none_or(|o| event.organization_id == Some(o))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryStatus {
    Pending,
    Success,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Success => "SUCCESS",
            DeliveryStatus::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        match s {
            "PENDING" => Some(DeliveryStatus::Pending),
            "SUCCESS" => Some(DeliveryStatus::Success),
            "FAILED" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    pub response_body: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub subscriber_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// The request body, fixed for every attempt.
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
    /// Attempts made before the last manual retry; the retry schedule counts from here.
    pub round_start: usize,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Delivery {
    /// The `webhook-id` header: the event's id, the same for every attempt and subscriber.
    pub fn message_id(&self) -> String {
        format!("msg_{}", self.event_id.simple())
    }
}

pub fn new_signing_secret() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    format!("whsec_{}", B64.encode(bytes))
}

pub fn new_api_key() -> String {
    crate::secrets::random_key(48)
}

/// `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` with the secret's key bytes.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = B64
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .ok()?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The `webhook-signature` header: one signature per secret, space-separated.
pub fn signature_header(secrets: &[&str], msg_id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|s| sign(s, msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The request body of an event.
pub fn payload(event: &Event) -> String {
    let data: serde_json::Value =
        serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "type": event.kind,
        "timestamp": event.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// When to try again after failed attempt number `attempts` (1-based), or `None` when the
/// schedule is used up. `schedule[0]` is the delay of the first attempt; a receiver's
/// `Retry-After` may ask for longer, up to [`MAX_RETRY_AFTER`]; 10% jitter spreads retries.
pub fn next_retry(
    schedule: &[StdDuration],
    attempts: usize,
    retry_after: Option<StdDuration>,
    jitter: f64,
) -> Option<StdDuration> {
    let base = *schedule.get(attempts)?;
    let asked = retry_after
        .map(|r| r.min(MAX_RETRY_AFTER))
        .unwrap_or_default();
    let delay = base.max(asked);
    Some(delay.mul_f64(1.0 + jitter.clamp(-0.1, 0.1)))
}

/// What one attempt came to, as the delivering actor saw it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub attempt: Attempt,
    pub retry_after: Option<StdDuration>,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.attempt
            .status_code
            .is_some_and(|c| (200..300).contains(&c))
    }

    /// 410 Gone: the receiver asks never to be called again.
    pub fn gone(&self) -> bool {
        self.attempt.status_code == Some(410)
    }
}

/// Applies an attempt to a delivery: SUCCESS on 2xx; otherwise the next retry from the
/// schedule, or FAILED when the schedule is used up or the receiver is gone.
pub fn record_attempt(d: &mut Delivery, outcome: Outcome, schedule: &[StdDuration], jitter: f64) {
    let now = outcome.attempt.at;
    let succeeded = outcome.succeeded();
    let gone = outcome.gone();
    d.attempts.push(outcome.attempt);
    d.updated_at = now;
    let retry = if succeeded || gone {
        None
    } else {
        next_retry(
            schedule,
            d.attempts.len() - d.round_start,
            outcome.retry_after,
            jitter,
        )
    };
    (d.status, d.next_attempt_at) = match (succeeded, retry) {
        (true, _) => (DeliveryStatus::Success, None),
        (false, Some(delay)) => (
            DeliveryStatus::Pending,
            Some(now + Duration::from_std(delay).unwrap_or(Duration::hours(1))),
        ),
        (false, None) => (DeliveryStatus::Failed, None),
    };
}

/// Fields of a subscriber write; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SubscriberPatch {
    pub name: Option<String>,
    pub url: Option<String>,
    pub is_active: Option<bool>,
}

/// Fields of a subscription write; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub subscriber_id: Option<Uuid>,
    pub event_types: Option<Vec<String>>,
    pub organization_id: Option<Option<Uuid>>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_webhooks_test_vector() {
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn secrets_and_rotation_grace() {
        let secret = new_signing_secret();
        assert!(secret.starts_with("whsec_"));
        assert!(B64.decode(&secret[6..]).unwrap().len() >= 24);
        let now = Utc::now();
        let mut sub = Subscriber {
            id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            name: "n".into(),
            url: "https://x".into(),
            api_key: new_api_key(),
            signing_secret: new_signing_secret(),
            previous_secret: Some(secret.clone()),
            secret_rotated_at: Some(now),
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        assert_eq!(sub.signing_secrets(now).len(), 2);
        assert_eq!(sub.signing_secrets(now + SECRET_GRACE).len(), 1);
        sub.secret_rotated_at = None;
        let header = signature_header(&[&sub.signing_secret, &secret], "msg_1", 5, "{}");
        assert_eq!(header.split(' ').count(), 2);
        assert!(header.split(' ').all(|s| s.starts_with("v1,")));
    }

    #[test]
    fn attempts_move_a_delivery_through_its_states() {
        let schedule: Vec<StdDuration> = [0, 5].map(StdDuration::from_secs).to_vec();
        let now = Utc::now();
        let mut d = Delivery {
            id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            subscriber_id: Uuid::new_v4(),
            event_id: Uuid::new_v4(),
            event_type: "certificate.created".into(),
            payload: "{}".into(),
            status: DeliveryStatus::Pending,
            attempts: vec![],
            round_start: 0,
            next_attempt_at: Some(now),
            created_at: now,
            updated_at: now,
        };
        let outcome = |code: Option<u16>| Outcome {
            attempt: Attempt {
                at: now,
                status_code: code,
                error: None,
                duration_ms: 1,
                response_body: String::new(),
            },
            retry_after: None,
        };
        record_attempt(&mut d, outcome(Some(500)), &schedule, 0.0);
        assert_eq!(
            (d.status, d.next_attempt_at),
            (DeliveryStatus::Pending, Some(now + Duration::seconds(5)))
        );
        record_attempt(&mut d, outcome(None), &schedule, 0.0);
        assert_eq!(
            (d.status, d.next_attempt_at),
            (DeliveryStatus::Failed, None)
        );
        assert_eq!(d.attempts.len(), 2);

        let mut ok = d.clone();
        ok.attempts.clear();
        record_attempt(&mut ok, outcome(Some(204)), &schedule, 0.0);
        assert_eq!(ok.status, DeliveryStatus::Success);
        let mut gone = d.clone();
        gone.attempts.clear();
        record_attempt(&mut gone, outcome(Some(410)), &schedule, 0.0);
        assert_eq!(gone.status, DeliveryStatus::Failed, "410 is not retried");
    }

    #[test]
    fn retry_schedule_with_retry_after_and_jitter() {
        let schedule: Vec<StdDuration> = [0, 5, 300].map(StdDuration::from_secs).to_vec();
        assert_eq!(
            next_retry(&schedule, 1, None, 0.0),
            Some(StdDuration::from_secs(5))
        );
        assert_eq!(
            next_retry(&schedule, 2, None, 0.1),
            Some(StdDuration::from_secs(330))
        );
        assert_eq!(
            next_retry(&schedule, 3, None, 0.0),
            None,
            "schedule used up"
        );
        // Retry-After may lengthen a wait, never shorten it, and is capped.
        assert_eq!(
            next_retry(&schedule, 1, Some(StdDuration::from_secs(60)), 0.0),
            Some(StdDuration::from_secs(60))
        );
        assert_eq!(
            next_retry(&schedule, 2, Some(StdDuration::from_secs(1)), 0.0),
            Some(StdDuration::from_secs(300))
        );
        assert_eq!(
            next_retry(&schedule, 1, Some(StdDuration::from_secs(999_999)), 0.0),
            Some(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn subscriptions_match_type_and_organization() {
        let org = Uuid::new_v4();
        let event = Event {
            id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            organization_id: Some(org),
            kind: "certificate.created".into(),
            data: "{}".into(),
            created_at: Utc::now(),
        };
        let mut s = Subscription {
            id: Uuid::new_v4(),
            tenant_id: event.tenant_id,
            subscriber_id: Uuid::new_v4(),
            event_types: vec!["certificate.updated".into()],
            organization_id: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        assert!(!s.matches(&event));
        s.event_types.push("certificate.created".into());
        assert!(s.matches(&event));
        s.organization_id = Some(Uuid::new_v4());
        assert!(!s.matches(&event));
        s.organization_id = Some(org);
        s.event_types = vec!["*".into()];
        assert!(s.matches(&event));
        let body: serde_json::Value = serde_json::from_str(&payload(&event)).unwrap();
        assert_eq!(body["type"], "certificate.created");
        assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
