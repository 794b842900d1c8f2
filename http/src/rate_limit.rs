//! Throttling of the public endpoints (register, login, invite-accept, resend-verification,
//! certificate search, the supplier link): each endpoint has its own budget per client IP,
//! and a supplier link one per token too.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

use crate::error::ApiError;

/// A budget per key (a client's address and endpoint, a link's token) per minute.
#[derive(Clone)]
pub struct Limiter<K: Hash + Eq + Clone + Send + Sync + 'static> {
    limiter: Arc<DefaultKeyedRateLimiter<K>>,
    clock: DefaultClock,
}

/// Per client address and endpoint.
pub type IpLimiter = Limiter<(&'static str, IpAddr)>;

impl<K: Hash + Eq + Clone + Send + Sync + 'static> Limiter<K> {
    pub fn per_minute(n: u32) -> Limiter<K> {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        let limiter = Arc::new(RateLimiter::keyed(Quota::per_minute(n)));
        // Forget idle clients now and then, so the key map does not grow for ever.
        let weak = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(limiter) = weak.upgrade() else {
                    return;
                };
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        });
        Limiter {
            limiter,
            clock: DefaultClock::default(),
        }
    }

    /// Counts one request of `key`; 429 with the wait when over budget.
    pub fn check_key(&self, key: &K) -> Result<(), ApiError> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }
}

impl IpLimiter {
    /// Counts one request of `endpoint` from `ip`; 429 with the wait when over budget.
    pub fn check(&self, endpoint: &'static str, ip: IpAddr) -> Result<(), ApiError> {
        self.check_key(&(endpoint, client_key(ip)))
    }
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

/// The integration API's budget: requests per minute per tenant, with what is left.
#[derive(Clone)]
pub struct TenantLimiter {
    limiter: Arc<
        RateLimiter<Uuid, DefaultKeyedStateStore<Uuid>, DefaultClock, StateInformationMiddleware>,
    >,
    clock: DefaultClock,
    pub per_minute: u32,
}

/// What a tenant has left after a request, or how long to wait.
#[derive(Debug, PartialEq)]
pub enum Budget {
    Remaining(u32),
    Exhausted { retry_after_secs: u64 },
}

impl TenantLimiter {
    pub fn per_minute(n: u32) -> TenantLimiter {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        TenantLimiter {
            limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(n)).with_middleware()),
            clock: DefaultClock::default(),
            per_minute: n.get(),
        }
    }

    pub fn check(&self, tenant: Uuid) -> Budget {
        match self.limiter.check_key(&tenant) {
            Ok(snapshot) => Budget::Remaining(snapshot.remaining_burst_capacity()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Budget::Exhausted {
                    retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn budget_is_per_endpoint_and_ip() {
        let l = IpLimiter::per_minute(2);
        let a: IpAddr = "1.1.1.1".parse().unwrap();
        let b: IpAddr = "2.2.2.2".parse().unwrap();
        assert!(l.check("login", a).is_ok());
        assert!(l.check("login", a).is_ok());
        match l.check("login", a) {
            Err(ApiError::TooManyRequests { retry_after_secs }) => {
                assert!((1..=30).contains(&retry_after_secs))
            }
            other => panic!("{other:?}"),
        }
        assert!(l.check("login", b).is_ok());
        assert!(l.check("register", a).is_ok());
    }

    #[tokio::test]
    async fn ipv6_clients_share_their_64() {
        let l = IpLimiter::per_minute(1);
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::99".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(l.check("login", one).is_ok());
        assert!(l.check("login", same_64).is_err());
        assert!(l.check("login", other_64).is_ok());
        let mapped: IpAddr = "::ffff:1.2.3.4".parse().unwrap();
        assert_eq!(client_key(mapped), "1.2.3.4".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn tenant_budget_counts_down_per_tenant() {
        let l = TenantLimiter::per_minute(3);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(l.check(a), Budget::Remaining(2));
        assert_eq!(l.check(a), Budget::Remaining(1));
        assert_eq!(l.check(a), Budget::Remaining(0));
        assert!(matches!(
            l.check(a),
            Budget::Exhausted {
                retry_after_secs: 1..=20
            }
        ));
        assert_eq!(l.check(b), Budget::Remaining(2));
    }
}
