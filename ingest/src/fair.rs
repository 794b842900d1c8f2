//! A fixed number of slots shared fairly between tenants: waiters queue per tenant and
//! freed slots go round-robin across the tenants waiting, so one tenant's 500 files wait
//! behind each other, not in front of another tenant's one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use uuid::Uuid;

pub struct FairSlots {
    state: Mutex<State>,
}

struct State {
    free: usize,
    waiting: HashMap<Uuid, VecDeque<oneshot::Sender<()>>>,
    /// Tenants with waiters, in the order their turn comes.
    turns: VecDeque<Uuid>,
}

/// A slot held; dropping it hands the slot to the next tenant in turn.
pub struct FairPermit {
    slots: Arc<FairSlots>,
}

impl Drop for FairPermit {
    fn drop(&mut self) {
        self.slots.release();
    }
}

/// A place in a queue; dropped before its slot arrives, it gives back a slot that came.
struct Waiter {
    rx: Option<oneshot::Receiver<()>>,
    slots: Arc<FairSlots>,
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(mut rx) = self.rx.take() {
            rx.close();
            if rx.try_recv().is_ok() {
                self.slots.release();
            }
        }
    }
}

impl FairSlots {
    pub fn new(slots: usize) -> Arc<FairSlots> {
        Arc::new(FairSlots {
            state: Mutex::new(State {
                free: slots.max(1),
                waiting: HashMap::new(),
                turns: VecDeque::new(),
            }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a slot for `tenant`.
    pub async fn acquire(self: &Arc<Self>, tenant: Uuid) -> FairPermit {
        let rx = {
            let mut st = self.lock();
            if st.free > 0 && st.turns.is_empty() {
                st.free -= 1;
                return FairPermit {
                    slots: self.clone(),
                };
            }
            let (tx, rx) = oneshot::channel();
            let queue = st.waiting.entry(tenant).or_default();
            queue.push_back(tx);
            if queue.len() == 1 {
                st.turns.push_back(tenant);
            }
            rx
        };
        let mut waiter = Waiter {
            rx: Some(rx),
            slots: self.clone(),
        };
        let rx = waiter.rx.as_mut().expect("set above");
        // The sender is only dropped after a send; a closed channel cannot happen.
        let _ = rx.await;
        waiter.rx = None;
        FairPermit {
            slots: self.clone(),
        }
    }

    /// Slots free right now (for health and tests).
    pub fn free(&self) -> usize {
        self.lock().free
    }

    fn release(&self) {
        let mut st = self.lock();
        while let Some(tenant) = st.turns.pop_front() {
            let Some(queue) = st.waiting.get_mut(&tenant) else {
                continue;
            };
            let next = queue.pop_front();
            if queue.is_empty() {
                st.waiting.remove(&tenant);
            } else {
                st.turns.push_back(tenant);
            }
            // A waiter that gave up has dropped its receiver: try the next one.
            if let Some(tx) = next
                && tx.send(()).is_ok()
            {
                return;
            }
        }
        st.free += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn freed_slots_go_round_robin_across_tenants() {
        let slots = FairSlots::new(1);
        let (busy, quiet) = (Uuid::new_v4(), Uuid::new_v4());
        let first = slots.acquire(busy).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        // The busy tenant queues five jobs, then the quiet one queues one.
        for (i, tenant) in [busy, busy, busy, busy, busy, quiet]
            .into_iter()
            .enumerate()
        {
            let (slots, order) = (slots.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = slots.acquire(tenant).await;
                order
                    .lock()
                    .unwrap()
                    .push(if tenant == quiet { 'q' } else { 'b' });
                let _ = i;
            }));
            tokio::task::yield_now().await;
        }
        drop(first);
        for t in tasks {
            t.await.unwrap();
        }
        let order: String = order.lock().unwrap().iter().collect();
        // The quiet tenant's one job runs second, not sixth.
        assert_eq!(order, "bqbbbb");
        assert_eq!(slots.free(), 1);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_does_not_lose_the_slot() {
        let slots = FairSlots::new(1);
        let t = Uuid::new_v4();
        let held = slots.acquire(t).await;
        let gave_up =
            tokio::time::timeout(std::time::Duration::from_millis(10), slots.acquire(t)).await;
        assert!(gave_up.is_err());
        drop(held);
        assert_eq!(slots.free(), 1);
        let _again = slots.acquire(t).await;
        assert_eq!(slots.free(), 0);
    }
}
