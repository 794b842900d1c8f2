//! The ractor supervision tree and the work each actor owns.
//!
//! ```text
//! root ─┬─ mailer               sends mail (file outbox or SMTP)
//!       ├─ accounts             global identity: registration, email verification
//!       ├─ delivery supervisor ── subscriber:<id> …   webhook deliveries, one queue each
//!       └─ tenant supervisor ──── tenant:<id> …       everything inside one tenant
//! ```
//!
//! Writes are messages to the owning actor, which validates, writes the store and replies
//! only once the write is durable (see [`reply_when_durable`]). Reads go to the store
//! directly. A store error inside an actor fails that actor; its supervisor starts it again
//! from the store, and no other actor notices.

mod accounts;
pub mod bulk;
mod call;
mod context;
mod delivery_supervisor;
mod directory;
mod discoveries;
pub mod import;
pub mod mail;
pub mod mailbox;
mod mailer;
mod messages;
pub mod metrics;
pub mod monitoring;
pub mod outbound;
pub mod placement;
pub mod preview;
pub mod registers;
pub mod request_mail;
mod root;
mod signing;
mod spawn;
mod subscriber;
mod tenant;
mod tenant_supervisor;
mod timer;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use certwatch_config::Config;
use certwatch_store::AccountError;
use certwatch_store::Store;
use ractor::{Actor, ActorRef, ActorStatus};
use uuid::Uuid;

pub use call::reply_when_durable;
use context::{ACCOUNTS, Context, DELIVERY_SUPERVISOR, TENANT_SUPERVISOR};
pub use messages::accounts::AccountsMsg;
use messages::delivery::DeliverySupervisorMsg;
pub use messages::tenant::{
    AccessMsg, BulkMsg, IssuedToken, MailMsg, MonitoringMsg, RegistersMsg, RegistryMsg,
    SuppliersMsg, TenantMsg, WebhooksMsg,
};
use messages::tenant_supervisor::TenantSupervisorMsg;
pub use messages::{ActorError, Reply};
pub use placement::{Joined, NodeState};

/// How long shutdown waits for actors to finish what they hold.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long start waits for the supervisors to start every stored tenant and subscriber:
/// generous, for a large store on a busy machine.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(600);

/// Handle to the running actor tree, shared by the HTTP layer.
#[derive(Clone)]
pub struct Actors {
    ctx: Arc<Context>,
    root: ActorRef<root::RootMsg>,
}

/// What `/api/health/` reports about the actor tree.
#[derive(Debug, Clone, PartialEq)]
pub struct ActorHealth {
    pub root: bool,
    pub mailer: bool,
    pub accounts: bool,
    pub delivery_supervisor: bool,
    pub tenant_supervisor: bool,
    pub tenants_running: usize,
    pub restarts: u64,
}

/// What `/api/monitoring/health/` reports about a tenant's actors.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitoringRuntime {
    pub endpoint_actors: usize,
    pub discoveries_running: usize,
}

impl ActorHealth {
    pub fn ok(&self) -> bool {
        self.root
            && self.mailer
            && self.accounts
            && self.delivery_supervisor
            && self.tenant_supervisor
    }
}

impl Actors {
    /// Starts the supervision tree: mailer, accounts, and one actor per stored tenant —
    /// on a node of several, of the shards it `joined` with (`None`: the only node, every
    /// tenant).
    pub async fn start(
        store: Store,
        config: Arc<Config>,
        joined: Option<Joined>,
    ) -> Result<Actors, ActorError> {
        let ctx = Context::new(store, config, joined);
        let (root, _) = Actor::spawn(Some(ctx.name("root")), root::Root, ctx.clone())
            .await
            .map_err(|e| ActorError::Unavailable(format!("actor tree did not start: {e}")))?;
        let actors = Actors { ctx, root };
        actors.until_running().await?;
        Ok(actors)
    }

    /// Waits until every role's actor is running. `spawn` returns once an actor's
    /// `pre_start` ran, but the supervisors start their tenants and subscribers in
    /// `post_start` and count as running only after it: without this wait, health asked
    /// right after start answered 503 on a store slow to list them (PostgreSQL).
    async fn until_running(&self) -> Result<(), ActorError> {
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        while !self.roles().ok() {
            if tokio::time::Instant::now() >= deadline {
                return Err(ActorError::Unavailable(format!(
                    "the actors were not running {STARTUP_TIMEOUT:?} after start"
                )));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Whether each role's actor runs (`tenants_running` and `restarts` left at 0).
    fn roles(&self) -> ActorHealth {
        let directory = &self.ctx.directory;
        ActorHealth {
            root: self.root.get_status() == ActorStatus::Running,
            mailer: directory.mailer().running(),
            accounts: directory.accounts().running(),
            delivery_supervisor: directory.delivery_supervisor().running(),
            tenant_supervisor: directory.tenant_supervisor().running(),
            tenants_running: 0,
            restarts: 0,
        }
    }

    pub fn store(&self) -> &Store {
        &self.ctx.store
    }

    pub fn config(&self) -> &Config {
        &self.ctx.config
    }

    /// The worker processes that read untrusted files and pages.
    pub fn parsing(&self) -> &certwatch_ingest::pool::Pool {
        &self.ctx.parsing
    }

    /// Actors restarted by their supervisors since start.
    pub fn restarts(&self) -> u64 {
        self.ctx.restarts.load(Ordering::SeqCst)
    }

    /// Whether bulk upload can read images (the `tesseract` program runs).
    pub fn ocr_available(&self) -> bool {
        self.ctx.ocr.available()
    }

    /// The actor published in `slot`, or an error naming its role.
    fn running<M: ractor::Message>(
        slot: &directory::Slot<M>,
        role: &str,
    ) -> Result<ActorRef<M>, ActorError> {
        slot.get()
            .ok_or_else(|| ActorError::Unavailable(format!("the {role} actor is not running")))
    }

    /// Asks the accounts actor.
    pub async fn accounts<T: Send + 'static>(
        &self,
        build: impl FnOnce(Reply<T>) -> AccountsMsg,
    ) -> Result<T, ActorError> {
        let accounts = Self::running(self.ctx.directory.accounts(), ACCOUNTS)?;
        call::ask(&accounts, |reply| build(reply).in_current_span()).await
    }

    /// Asks the actor of `tenant`, starting it if it is not running (after a failure, the
    /// moment before its supervisor has restarted it).
    pub async fn tenant<T: Send + 'static, M: Into<TenantMsg>>(
        &self,
        tenant: Uuid,
        build: impl FnOnce(Reply<T>) -> M,
    ) -> Result<T, ActorError> {
        if !self.ctx.placement.owns(tenant) {
            return Err(ActorError::Unavailable(
                "this tenant is served by another node of the cluster".into(),
            ));
        }
        let actor = match self.ctx.directory.tenant(tenant) {
            Some(actor) => actor,
            None => {
                let sup = Self::running(self.ctx.directory.tenant_supervisor(), TENANT_SUPERVISOR)?;
                let found =
                    call::ask(&sup, |reply| TenantSupervisorMsg::Ensure { tenant, reply }).await?;
                found.ok_or(ActorError::Account(AccountError::NotFound))?
            }
        };
        call::ask(&actor, |reply| build(reply).into().in_current_span()).await
    }

    /// Sends a tenant actor a message that needs no answer; dropped if the actor is not
    /// running (it is only ever used for notes whose loss is harmless).
    pub fn tell_tenant(&self, tenant: Uuid, msg: impl Into<TenantMsg>) {
        if let Some(actor) = self.ctx.directory.tenant(tenant) {
            let _ = actor.cast(msg.into());
        }
    }

    /// Puts a FAILED delivery back in its subscriber's queue.
    pub async fn retry_delivery(
        &self,
        tenant: Uuid,
        subscriber: Uuid,
        delivery: Uuid,
    ) -> Result<(), ActorError> {
        let sup = Self::running(
            self.ctx.directory.delivery_supervisor(),
            DELIVERY_SUPERVISOR,
        )?;
        call::ask(&sup, |reply| DeliverySupervisorMsg::Retry {
            tenant,
            subscriber,
            delivery,
            reply,
        })
        .await
    }

    /// Starts discovery for these organizations of `tenant` (those with a website); returns
    /// how many runs started.
    pub async fn discover(
        &self,
        tenant: Uuid,
        organizations: Vec<Uuid>,
    ) -> Result<usize, ActorError> {
        self.tenant(tenant, |reply| MonitoringMsg::Discover {
            organizations,
            reply,
        })
        .await
    }

    /// The live side of a tenant's monitoring: endpoint actors running and discovery runs
    /// under way.
    pub async fn monitoring(&self, tenant: Uuid) -> Result<MonitoringRuntime, ActorError> {
        let endpoint_actors = self
            .tenant(tenant, MonitoringMsg::CountEndpointActors)
            .await?;
        Ok(MonitoringRuntime {
            endpoint_actors,
            discoveries_running: self.ctx.discoveries.running(tenant),
        })
    }

    /// The shards this node holds from now on (a node of several): the supervisors start
    /// the actors of tenants newly held and stop those of tenants no longer held.
    pub fn place(&self, shards: BTreeSet<u16>) {
        let moved = self.ctx.placement.set(shards);
        if moved.is_empty() {
            return;
        }
        // What this node knew of a tenant of a shard that came or went is stale: another
        // node wrote it meanwhile, or will.
        self.ctx.store.forget_tenants(|tenant| {
            moved.contains(&certwatch_store::engine::leases::shard_of(tenant))
        });
        if let Some(sup) = self.ctx.directory.tenant_supervisor().get() {
            let _ = sup.cast(TenantSupervisorMsg::Placed);
        }
        delivery_supervisor::tell(&self.ctx, DeliverySupervisorMsg::Placed);
    }

    /// Whether this node runs `tenant` (its shard is this node's, or it is the only node).
    pub fn runs(&self, tenant: Uuid) -> bool {
        self.ctx.placement.owns(tenant)
    }

    /// How many shards this node holds; `None` for the only node.
    pub fn shards_held(&self) -> Option<usize> {
        self.ctx.placement.held()
    }

    /// This node, when it is one of several.
    pub fn node(&self) -> Option<&Arc<NodeState>> {
        self.ctx.node.as_ref()
    }

    pub async fn health(&self) -> ActorHealth {
        let directory = &self.ctx.directory;
        let tenants_running = match directory.tenant_supervisor().get() {
            Some(sup) => call::ask(&sup, TenantSupervisorMsg::CountRunning)
                .await
                .unwrap_or(0),
            None => 0,
        };
        ActorHealth {
            tenants_running,
            restarts: self.restarts(),
            ..self.roles()
        }
    }

    /// Stops the tree: tenants first (their in-flight writes finish), then the mailer
    /// drains its queue, then the root.
    pub async fn shutdown(&self) {
        self.ctx.stopping.store(true, Ordering::SeqCst);
        if let Some(sup) = self.ctx.directory.tenant_supervisor().get() {
            sup.get_cell()
                .drain_children_and_wait(Some(SHUTDOWN_TIMEOUT))
                .await;
        }
        self.root
            .get_cell()
            .drain_children_and_wait(Some(SHUTDOWN_TIMEOUT))
            .await;
        let _ = self.root.stop_and_wait(None, Some(SHUTDOWN_TIMEOUT)).await;
    }
}
