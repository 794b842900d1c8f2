//! Throttling: the public endpoints (register, login, invite-accept, resend-verification,
//! certificate search, the supplier link) have a budget per endpoint and client IP, a
//! supplier link one per token too, and the integration API one per tenant.
//!
//! On sled this process is the only server and keeps the budgets in memory (`governor`).
//! On PostgreSQL they live in the database (`pg_limits`, the same rule), so every node of
//! a cluster counts against the same budget.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use certwatch_store::Store;
pub use certwatch_store::engine::pg_limits::Budget;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::ApiError;

type InMemory =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// A budget of requests per minute for each key of one kind (`name`).
#[derive(Clone)]
pub struct Limiter {
    name: &'static str,
    pub per_minute: u32,
    counter: Counter,
}

#[derive(Clone)]
enum Counter {
    Memory(Arc<InMemory>),
    Shared(Store),
}

/// How often budgets that are full again are forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(60);

impl Limiter {
    /// Budgets of `per_minute` for keys of kind `name`, in the store when it is PostgreSQL.
    pub fn per_minute(name: &'static str, per_minute: u32, store: &Store) -> Limiter {
        if store.postgres().is_none() {
            return Limiter::in_memory(name, per_minute);
        }
        Limiter {
            name,
            per_minute: per_minute.max(1),
            counter: Counter::Shared(store.clone()),
        }
    }

    fn in_memory(name: &'static str, per_minute: u32) -> Limiter {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let limiter = Arc::new(RateLimiter::keyed(Quota::per_minute(n)).with_middleware());
        forget_idle_clients(Arc::downgrade(&limiter));
        Limiter {
            name,
            per_minute: n.get(),
            counter: Counter::Memory(limiter),
        }
    }

    /// Counts one request of `key`: what is left, or how long to wait.
    pub fn check(&self, key: &str) -> Result<Budget, ApiError> {
        match &self.counter {
            Counter::Memory(limiter) => Ok(match limiter.check_key(&key.to_string()) {
                Ok(snapshot) => Budget::Remaining(snapshot.remaining_burst_capacity()),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(DefaultClock::default().now());
                    Budget::Exhausted {
                        retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                    }
                }
            }),
            Counter::Shared(store) => store
                .postgres()
                .ok_or_else(|| ApiError::Internal("the store is no longer PostgreSQL".into()))?
                .take_budget(&format!("{}:{key}", self.name), self.per_minute)
                .map_err(|e| {
                    tracing::warn!(error = %e, "a rate limit could not be checked");
                    ApiError::Unavailable("The service is busy; try again.".into())
                }),
        }
    }

    /// Counts one request of `key`; 429 with the wait when over budget.
    pub fn take(&self, key: &str) -> Result<(), ApiError> {
        match self.check(key)? {
            Budget::Remaining(_) => Ok(()),
            Budget::Exhausted { retry_after_secs } => {
                Err(ApiError::TooManyRequests { retry_after_secs })
            }
        }
    }

    /// Counts one request of `endpoint` from `ip`; 429 with the wait when over budget.
    pub fn take_for(&self, endpoint: &'static str, ip: IpAddr) -> Result<(), ApiError> {
        self.take(&format!("{endpoint} {}", client_key(ip)))
    }
}

/// Forgets idle clients now and then, so the key map does not grow for ever.
fn forget_idle_clients(limiter: std::sync::Weak<InMemory>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FORGET_EVERY);
        loop {
            tick.tick().await;
            let Some(limiter) = limiter.upgrade() else {
                return;
            };
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    });
}

/// On PostgreSQL: removes the rows of budgets that are full again, every minute, while
/// the store is open (every node does; the statement is idempotent).
pub fn forget_full_budgets(store: &Store) {
    if store.postgres().is_none() {
        return;
    }
    let store = store.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FORGET_EVERY);
        loop {
            tick.tick().await;
            let store = store.clone();
            let swept = tokio::task::spawn_blocking(move || {
                store.postgres().map(|pg| pg.forget_full_budgets())
            })
            .await;
            match swept {
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(certwatch_store::StoreError::Closed)) | None) => return,
                Ok(Some(Err(e))) => tracing::warn!(error = %e, "old rate limits not removed"),
                Err(_) => return,
            }
        }
    });
}

/// Whose budget a request counts against: an IPv4 address, or an IPv6 client's /64 —
/// one subscriber line gets a whole /64, so keying by full address would give a client
/// 2^64 budgets.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn budget_is_per_endpoint_and_ip() {
        let l = Limiter::in_memory("auth", 2);
        let a: IpAddr = "1.1.1.1".parse().unwrap();
        let b: IpAddr = "2.2.2.2".parse().unwrap();
        assert!(l.take_for("login", a).is_ok());
        assert!(l.take_for("login", a).is_ok());
        match l.take_for("login", a) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=30).contains(&retry_after_secs))
            }
            other => panic!("{other:?}"),
        }
        assert!(l.take_for("login", b).is_ok());
        assert!(l.take_for("register", a).is_ok());
    }

    #[tokio::test]
    async fn ipv6_clients_share_their_64() {
        let l = Limiter::in_memory("auth", 1);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::99".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(l.take_for("login", one).is_ok());
        assert!(l.take_for("login", same_64).is_err());
        assert!(l.take_for("login", other_64).is_ok());
        let mapped: IpAddr = "::ffff:1.2.3.4".parse().unwrap();
        assert_eq!(client_key(mapped), "1.2.3.4".parse::<IpAddr>().unwrap());
    }

    #[tokio::test]
    async fn a_budget_counts_down_per_key() {
        let l = Limiter::in_memory("api", 3);
        let (a, b) = ("tenant-a", "tenant-b");
        assert_eq!(l.check(a).unwrap(), Budget::Remaining(2));
        assert_eq!(l.check(a).unwrap(), Budget::Remaining(1));
        assert_eq!(l.check(a).unwrap(), Budget::Remaining(0));
        assert!(matches!(
            l.check(a).unwrap(),
            Budget::Exhausted {
                retry_after_secs: 1..=20
            }
        ));
        assert_eq!(l.check(b).unwrap(), Budget::Remaining(2));
    }
}
