//! What every actor of one running instance shares.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use certwatch_config::Config;
use certwatch_store::Store;
use uuid::Uuid;

use certwatch_domain::schedule::catch_up_slot;
use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use certwatch_ingest::document::Ocr;
use certwatch_ingest::pool::{Pool, PoolConfig};

use crate::directory::Directory;
use crate::discoveries::Discoveries;
use crate::mail::Mail;
use crate::messages::mailer::MailerMsg;
use crate::monitoring::fetch::Fetcher;
use crate::placement::{Joined, NodeState, Placement};
use crate::registers::Registers;
use crate::spawn::Ending;

pub(crate) const MAILER: &str = "mailer";
pub(crate) const ACCOUNTS: &str = "accounts";
pub(crate) const TENANT_SUPERVISOR: &str = "tenant-supervisor";
pub(crate) const DELIVERY_SUPERVISOR: &str = "delivery-supervisor";

/// Crawls that may run at once in the whole process.
const DISCOVERY_SLOTS: usize = 2;

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
    /// The running actors, as their supervisors publish them.
    pub directory: Directory,
    /// Sends webhooks: guarded against internal addresses, no redirects, 15 s per attempt.
    pub webhook_client: reqwest::Client,
    /// Fetches supplier pages and documents for monitoring and discovery.
    pub fetcher: Fetcher,
    pub discovery_slots: Semaphore,
    /// Discovery runs under way, per tenant.
    pub discoveries: Discoveries,
    /// The OCR programs for bulk upload, as probed at start.
    pub ocr: Ocr,
    /// The worker processes every untrusted file and page is read in.
    pub parsing: Pool,
    /// The registers certificates are checked in, as the operator configured them.
    pub registers: Arc<Registers>,
    /// The slot of the last overdue check scheduled, to spread catch-up checks.
    catch_up: Mutex<Option<DateTime<Utc>>>,
    /// Which tenants this node runs.
    pub placement: Placement,
    /// This node, when it is one of several.
    pub node: Option<Arc<NodeState>>,
}

/// The worker pool as configured; the worker program defaults to this very binary.
fn pool_config(config: &Config) -> PoolConfig {
    let p = &config.parsing;
    PoolConfig {
        program: p
            .worker_program
            .clone()
            .unwrap_or_else(|| std::env::current_exe().unwrap_or_else(|_| "certwatch".into())),
        memory_bytes: p.memory_bytes,
        timeout: p.timeout,
        document_jobs: p.jobs,
        page_jobs: p.page_jobs,
        limits: certwatch_ingest::Limits {
            max_text_chars: p.max_text_chars,
            max_pdf_pages: p.max_pdf_pages,
            max_image_pixels: p.max_image_pixels,
            max_import_rows: p.max_import_rows,
            max_import_errors: p.max_import_errors,
            max_xlsx_part_bytes: p.max_xlsx_part_bytes,
            cpu_seconds: p.cpu_seconds,
        },
    }
}

impl Context {
    pub fn new(store: Store, config: Arc<Config>, joined: Option<Joined>) -> Arc<Context> {
        let (node, shards) = match joined {
            Some(Joined { state, shards }) => (Some(state), Some(shards)),
            None => (None, None),
        };
        let webhook_client =
            crate::outbound::client(config.allow_private_targets, WEBHOOK_TIMEOUT, 0);
        Arc::new(Context {
            webhook_client,
            fetcher: Fetcher::new(config.allow_private_targets, config.fetch_timeout),
            discovery_slots: Semaphore::new(DISCOVERY_SLOTS),
            discoveries: Discoveries::default(),
            catch_up: Mutex::new(None),
            ocr: Ocr::probe(&config.tesseract),
            parsing: Pool::new(pool_config(&config)),
            registers: Arc::new(Registers::new(&config.registers)),
            store,
            config,
            instance: Uuid::new_v4(),
            stopping: AtomicBool::new(false),
            restarts: AtomicU64::new(0),
            directory: Directory::default(),
            placement: Placement::new(shards),
            node,
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
        match self.directory.mailer().get() {
            Some(mailer) => {
                let span = tracing::Span::current();
                if let Err(e) = mailer.cast(MailerMsg::Send {
                    mail,
                    attempt: 0,
                    span,
                }) {
                    tracing::error!(error = %e, "mailer refused a mail");
                }
            }
            None => tracing::error!(to = %mail.to, "no mailer running; mail dropped"),
        }
    }

    /// When the next overdue check may start (see [`catch_up_slot`]).
    pub fn next_catch_up_slot(&self, per_second: u32) -> DateTime<Utc> {
        let mut last = self.catch_up.lock().unwrap_or_else(|e| e.into_inner());
        let slot = catch_up_slot(*last, Utc::now(), per_second);
        *last = Some(slot);
        slot
    }

    /// Whether `child`, an actor of `tenant` that ended so, is started again here, from the
    /// store. Not while the node stops, nor for a tenant another node runs now. A failure is
    /// logged as an error and counted; a write the fence refused is not a failure: the
    /// node lost the tenant's shard, or its lease lapsed and the next round renews it (then
    /// the child goes on here; else that round stops it).
    pub fn restart_after(&self, tenant: Uuid, ending: Ending, child: &str) -> bool {
        let here = !self.stopping.load(Ordering::SeqCst) && self.placement.owns(tenant);
        match ending {
            Ending::Clean => false,
            Ending::NotOwner => {
                tracing::info!(child, "stopped: its tenant's shard moved to another node");
                false
            }
            Ending::LeaseLost => {
                tracing::info!(child, "stopped: this node's lease of its shard lapsed");
                here
            }
            Ending::Failed(error) if here => {
                tracing::error!(child, error, "failed; restarting it from the store");
                self.restarts.fetch_add(1, Ordering::SeqCst);
                true
            }
            Ending::Failed(error) => {
                tracing::info!(
                    child,
                    error,
                    "failed; not restarted: its tenant is not run here"
                );
                false
            }
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
        let a = Context::new(store.clone(), config.clone(), None);
        let b = Context::new(store, config, None);
        let tenant = Uuid::new_v4();
        assert_eq!(a.tenant_of_name(&a.tenant_name(tenant)), Some(tenant));
        assert_eq!(b.tenant_of_name(&a.tenant_name(tenant)), None);
        assert_eq!(a.tenant_of_name(&a.name(MAILER)), None);
    }

    #[tokio::test]
    async fn failed_actors_restart_only_for_tenants_run_here_and_not_while_stopping() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let config = Arc::new(certwatch_config::Config::load_with(None, |_| None).unwrap());
        let tenant = Uuid::new_v4();
        let alone = Context::new(store.clone(), config.clone(), None);
        let failed = || Ending::Failed("a panic".into());
        assert!(alone.restart_after(tenant, failed(), "a"));
        alone.stopping.store(true, Ordering::SeqCst);
        assert!(
            !alone.restart_after(tenant, failed(), "a"),
            "not while the node stops"
        );
        let shard = certwatch_store::engine::leases::shard_of(tenant);
        let joined = crate::placement::Joined {
            state: Arc::new(crate::placement::NodeState::new("node-a")),
            shards: [shard].into(),
        };
        let node = Context::new(store, config, Some(joined));
        assert!(node.restart_after(tenant, failed(), "a"));
        assert!(
            node.restart_after(tenant, Ending::LeaseLost, "a"),
            "the round decides"
        );
        assert!(!node.restart_after(tenant, Ending::NotOwner, "a"));
        assert!(!node.restart_after(tenant, Ending::Clean, "a"));
        assert_eq!(node.restarts.load(Ordering::SeqCst), 1, "failures only");
        node.placement.set(Default::default());
        for ending in [failed(), Ending::LeaseLost] {
            assert!(
                !node.restart_after(tenant, ending, "a"),
                "not once its shard moved away"
            );
        }
    }
}
