//! Webhooks: subscribers, subscriptions, deliveries, and the Standard Webhooks rules of
//! payloads and retrying, as plain data and functions.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::Event;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_grace() {
        let now = Utc::now();
        let mut sub = Subscriber {
            id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            name: "n".into(),
            url: "https://x".into(),
            api_key: "k".into(),
            signing_secret: "whsec_new".into(),
            previous_secret: Some("whsec_old".into()),
            secret_rotated_at: Some(now),
            is_active: true,
            created_at: now,
            updated_at: now,
        };
        assert_eq!(sub.signing_secrets(now), ["whsec_new", "whsec_old"]);
        assert_eq!(sub.signing_secrets(now + SECRET_GRACE), ["whsec_new"]);
        sub.secret_rotated_at = None;
        assert_eq!(sub.signing_secrets(now), ["whsec_new"]);
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
