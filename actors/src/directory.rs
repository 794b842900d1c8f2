//! Where the running actors are. Each supervisor publishes the children it starts here and
//! withdraws them when they stop — the root its four roles, the tenant supervisor one actor
//! per tenant — so whoever holds the context sends to a typed reference its supervisor
//! keeps current across restarts, instead of looking a name up.

use std::collections::HashMap;
use std::sync::RwLock;

use ractor::{ActorRef, ActorStatus};
use uuid::Uuid;

use crate::messages::accounts::AccountsMsg;
use crate::messages::delivery::DeliverySupervisorMsg;
use crate::messages::mailer::MailerMsg;
use crate::messages::tenant::TenantMsg;
use crate::messages::tenant_supervisor::TenantSupervisorMsg;

#[derive(Default)]
pub(crate) struct Directory {
    mailer: Slot<MailerMsg>,
    accounts: Slot<AccountsMsg>,
    delivery_supervisor: Slot<DeliverySupervisorMsg>,
    tenant_supervisor: Slot<TenantSupervisorMsg>,
    tenants: RwLock<HashMap<Uuid, ActorRef<TenantMsg>>>,
}

/// One role's current actor.
pub(crate) struct Slot<M: ractor::Message>(RwLock<Option<ActorRef<M>>>);

impl<M: ractor::Message> Default for Slot<M> {
    fn default() -> Self {
        Slot(RwLock::new(None))
    }
}

impl<M: ractor::Message> Slot<M> {
    /// Publishes the role's (new) actor.
    pub fn set(&self, actor: ActorRef<M>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(actor);
    }

    /// The role's actor, if one was started.
    pub fn get(&self) -> Option<ActorRef<M>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether the role's actor is running.
    pub fn running(&self) -> bool {
        self.get()
            .is_some_and(|a| a.get_status() == ActorStatus::Running)
    }
}

impl Directory {
    pub fn mailer(&self) -> &Slot<MailerMsg> {
        &self.mailer
    }

    pub fn accounts(&self) -> &Slot<AccountsMsg> {
        &self.accounts
    }

    pub fn delivery_supervisor(&self) -> &Slot<DeliverySupervisorMsg> {
        &self.delivery_supervisor
    }

    pub fn tenant_supervisor(&self) -> &Slot<TenantSupervisorMsg> {
        &self.tenant_supervisor
    }

    /// The running actor of `tenant`.
    pub fn tenant(&self, tenant: Uuid) -> Option<ActorRef<TenantMsg>> {
        self.tenants
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tenant)
            .cloned()
    }

    /// Publishes (or, with `None`, withdraws) the actor of `tenant`.
    pub fn set_tenant(&self, tenant: Uuid, actor: Option<ActorRef<TenantMsg>>) {
        let mut tenants = self.tenants.write().unwrap_or_else(|e| e.into_inner());
        match actor {
            Some(actor) => tenants.insert(tenant, actor),
            None => tenants.remove(&tenant),
        };
    }
}
