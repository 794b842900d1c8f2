//! Group commit: many writers share one `flush()`.
//!
//! A writer takes a ticket (the number of writes requested so far), wakes the flusher and
//! waits until the flushed count reaches its ticket. The flusher reads the requested count
//! *before* flushing, so every write inserted before the ticket was taken is on disk when
//! that count is published. `flush()` runs on a blocking thread: sled's `flush_async` is
//! known to deadlock under concurrency (spacejam/sled#1308).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::StoreError;

struct Shared {
    requested: AtomicU64,
    wake: Notify,
    closed: AtomicBool,
}

pub(crate) struct GroupCommit {
    shared: Arc<Shared>,
    flushed: watch::Receiver<u64>,
}

impl GroupCommit {
    /// Starts the flusher task on the current tokio runtime. It ends when this value drops,
    /// releasing its handle on the database.
    pub(crate) fn start(db: sled::Db) -> GroupCommit {
        let (tx, rx) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            requested: AtomicU64::new(0),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
        });
        let flusher = shared.clone();
        tokio::spawn(async move {
            loop {
                flusher.wake.notified().await;
                if flusher.closed.load(Ordering::SeqCst) {
                    return;
                }
                let target = flusher.requested.load(Ordering::SeqCst);
                let db = db.clone();
                match tokio::task::spawn_blocking(move || db.flush()).await {
                    Ok(Ok(_)) => {
                        let _ = tx.send(target);
                    }
                    failure => {
                        // Nobody is acknowledged until a flush succeeds; try again shortly.
                        tracing::error!(?failure, "store flush failed; retrying");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        flusher.wake.notify_one();
                    }
                }
            }
        });
        GroupCommit {
            shared,
            flushed: rx,
        }
    }

    /// Waits until every write made before this call is on disk.
    pub(crate) async fn commit(&self) -> Result<(), StoreError> {
        let ticket = self.shared.requested.fetch_add(1, Ordering::SeqCst) + 1;
        self.shared.wake.notify_one();
        let mut rx = self.flushed.clone();
        rx.wait_for(|&flushed| flushed >= ticket)
            .await
            .map(|_| ())
            .map_err(|_| StoreError::Closed)
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }
}
