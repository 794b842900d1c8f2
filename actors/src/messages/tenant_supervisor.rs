//! To the tenant supervisor, which starts one actor per tenant.

use ractor::ActorRef;
use uuid::Uuid;

use super::Reply;
use super::tenant::TenantMsg;

pub enum TenantSupervisorMsg {
    /// Starts the tenant's actor if the tenant exists and it is not running; replies with it.
    Ensure {
        tenant: Uuid,
        reply: Reply<Option<ActorRef<TenantMsg>>>,
    },
    Start(Uuid),
    CountRunning(Reply<usize>),
    /// The shards this node holds changed: start the tenants newly held, stop the others.
    Placed,
}
