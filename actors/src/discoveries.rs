//! Discovery runs under way, counted per tenant for `/api/monitoring/health/`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

/// Per tenant, discovery runs not yet finished.
#[derive(Default, Clone)]
pub struct Discoveries(Arc<Mutex<HashMap<Uuid, usize>>>);

/// One discovery run under way; dropping it marks the run finished.
pub struct DiscoveryRunning {
    runs: Discoveries,
    tenant: Uuid,
}

impl Discoveries {
    /// Counts a discovery run of `tenant` until the returned value is dropped.
    pub fn start(&self, tenant: Uuid) -> DiscoveryRunning {
        *self.lock().entry(tenant).or_default() += 1;
        DiscoveryRunning {
            runs: self.clone(),
            tenant,
        }
    }

    pub fn running(&self, tenant: Uuid) -> usize {
        self.lock().get(&tenant).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, usize>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for DiscoveryRunning {
    fn drop(&mut self) {
        let mut runs = self.runs.lock();
        if let Some(n) = runs.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                runs.remove(&self.tenant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_count_until_dropped() {
        let runs = Discoveries::default();
        let tenant = Uuid::new_v4();
        let a = runs.start(tenant);
        let b = runs.start(tenant);
        assert_eq!(runs.running(tenant), 2);
        drop(a);
        assert_eq!(runs.running(tenant), 1);
        drop(b);
        assert_eq!(runs.running(tenant), 0);
        assert_eq!(runs.running(Uuid::new_v4()), 0);
    }
}
