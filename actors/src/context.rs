//! What every actor of one running instance shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};

use certwatch_config::Config;
use certwatch_store::Store;
use ractor::ActorRef;
use uuid::Uuid;

use crate::mail::Mail;
use crate::mailer::MailerMsg;

pub(crate) const MAILER: &str = "mailer";
pub(crate) const ACCOUNTS: &str = "accounts";
pub(crate) const TENANT_SUPERVISOR: &str = "tenant-supervisor";
pub(crate) const DELIVERY_SUPERVISOR: &str = "delivery-supervisor";

/// How long one webhook attempt may take.
const WEBHOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

pub(crate) struct Context {
    pub store: Store,
    pub config: Arc<Config>,
    /// ractor names are process-global; the prefix keeps two instances (tests) apart.
    pub instance: Uuid,
    /// Set at shutdown so supervisors stop restarting the children they are told to stop.
    pub stopping: AtomicBool,
    /// Children restarted by a supervisor since start.
    pub restarts: AtomicU64,
    /// Sends webhooks: guarded against internal addresses, no redirects, 15 s per attempt.
    pub webhook_client: reqwest::Client,
}

impl Context {
    pub fn new(store: Store, config: Arc<Config>) -> Arc<Context> {
        let webhook_client =
            crate::outbound::client(config.allow_private_targets, WEBHOOK_TIMEOUT, 0);
        Arc::new(Context {
            webhook_client,
            store,
            config,
            instance: Uuid::new_v4(),
            stopping: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
        })
    }

    pub fn name(&self, role: &str) -> String {
        format!("{}:{role}", self.instance)
    }

    pub fn tenant_name(&self, tenant: Uuid) -> String {
        self.name(&format!("tenant:{tenant}"))
    }

    /// Hands a mail to the mailer; mail is best effort, so a missing mailer is only logged.
    pub fn send_mail(&self, mail: Mail) {
        match ractor::registry::where_is(self.name(MAILER)) {
            Some(cell) => {
                let mailer: ActorRef<MailerMsg> = cell.into();
                if let Err(e) = mailer.cast(MailerMsg::Send { mail, attempt: 0 }) {
                    tracing::error!(error = %e, "mailer refused a mail");
                }
            }
            None => tracing::error!(to = %mail.to, "no mailer running; mail dropped"),
        }
    }

    /// The tenant id in a tenant actor's name, if `name` is one.
    pub fn tenant_of_name(&self, name: &str) -> Option<Uuid> {
        name.strip_prefix(&self.name("tenant:"))?.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tenant_names_round_trip_and_stay_per_instance() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let config = Arc::new(certwatch_config::Config::load_with(None, |_| None).unwrap());
        let a = Context::new(store.clone(), config.clone());
        let b = Context::new(store, config);
        let tenant = Uuid::new_v4();
        assert_eq!(a.tenant_of_name(&a.tenant_name(tenant)), Some(tenant));
        assert_eq!(b.tenant_of_name(&a.tenant_name(tenant)), None);
        assert_eq!(a.tenant_of_name(&a.name(MAILER)), None);
    }
}
