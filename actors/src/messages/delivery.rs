//! To the delivery supervisor and each subscriber's delivering actor.

use certwatch_domain::webhooks::{Delivery, Outcome};
use uuid::Uuid;

use super::Reply;

pub enum DeliverySupervisorMsg {
    /// These subscribers of a tenant have new deliveries.
    Wake {
        tenant: Uuid,
        subscribers: Vec<Uuid>,
    },
    /// A subscriber was created or changed (or deleted: its actor stops itself).
    Reload { tenant: Uuid, subscriber: Uuid },
    /// The API's manual retry of a FAILED delivery, for the subscriber's actor.
    Retry {
        tenant: Uuid,
        subscriber: Uuid,
        delivery: Uuid,
        reply: Reply<()>,
    },
    /// The shards this node holds changed: start the subscribers of tenants newly held
    /// (their pending deliveries resume), stop the others.
    Placed,
}

pub enum SubscriberMsg {
    /// New deliveries may be due, or a timer ran out: start what is due.
    Wake,
    /// The subscriber record changed (URL, secrets, active): read it again.
    Reload,
    /// An attempt finished.
    Done {
        delivery: Box<Delivery>,
        outcome: Outcome,
    },
    /// Puts a FAILED delivery back in the queue (the API's manual retry).
    Retry { delivery: Uuid, reply: Reply<()> },
}
