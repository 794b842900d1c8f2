//! Which node owns which tenants, when several nodes share one PostgreSQL store: tenants
//! hash into a fixed number of shards, and a node owns a shard through a lease row (owner,
//! epoch, expiry) it renews well before expiry. The rules here are plain functions; the
//! rows and the fencing are PostgreSQL's (`pg_leases`).

use std::time::Duration;

use uuid::Uuid;

/// Shards tenants hash into. Fixed: a tenant's shard never changes, so adding nodes moves
/// whole shards, never single tenants. 64 spreads evenly over up to a few dozen nodes.
pub const SHARDS: u16 = 64;

/// How long a lease lasts unless renewed. A node renews every third of it, so two missed
/// rounds in a row (a pause, a lost connection) are survived; a node that stopped loses
/// its shards to the others within this time plus one of their rounds.
pub const LEASE_TTL: Duration = Duration::from_secs(10);

/// How often a node renews its leases and takes or gives back shards.
pub const RENEW_EVERY: Duration = Duration::from_millis(LEASE_TTL.as_millis() as u64 / 3);

/// The shard of a tenant: from its id's first two bytes. Tenant ids are random (v4), so
/// tenants spread evenly over the shards.
pub fn shard_of(tenant: Uuid) -> u16 {
    let b = tenant.as_bytes();
    u16::from_be_bytes([b[0], b[1]]) % SHARDS
}

/// How many shards one of `live` nodes holds at most: the shards spread evenly, rounded
/// up so that every shard has room on some node.
pub fn fair_share(live: usize) -> usize {
    let live = live.max(1);
    (SHARDS as usize).div_ceil(live)
}

/// A lease a node holds: the shard, and the epoch it was taken at. Each taking raises the
/// epoch, so a node that lost a shard and still believes it holds it names an old epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Held {
    pub shard: u16,
    pub epoch: i64,
}

/// What a round of the lease protocol does for a node holding `held` shards among `live`
/// nodes: take up to this many free or expired shards (positive), or give back this many
/// (negative), so the shards spread evenly.
pub fn rebalance(held: usize, live: usize) -> i64 {
    fair_share(live) as i64 - held as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_spread_evenly_over_the_shards() {
        let mut counts = vec![0u32; SHARDS as usize];
        for _ in 0..64_000 {
            counts[shard_of(Uuid::new_v4()) as usize] += 1;
        }
        // 1,000 expected in each; a random spread stays well within a third of that.
        assert!(
            counts.iter().all(|&c| (700..1300).contains(&c)),
            "{counts:?}"
        );
        let tenant = Uuid::new_v4();
        assert_eq!(
            shard_of(tenant),
            shard_of(tenant),
            "a tenant's shard never moves"
        );
    }

    #[test]
    fn shares_cover_every_shard_and_differ_by_the_rounding_at_most() {
        for live in 1..=40usize {
            let share = fair_share(live);
            assert!(
                share * live >= SHARDS as usize,
                "{live} nodes leave shards out"
            );
            assert!(
                (share - 1) * live < SHARDS as usize,
                "{live} nodes: share too large"
            );
        }
        assert_eq!(fair_share(0), SHARDS as usize, "a node alone counts itself");
        assert_eq!(fair_share(3), 22);
    }

    #[test]
    fn a_node_takes_up_to_its_share_and_gives_back_what_is_past_it() {
        // Alone, a node takes every shard.
        assert_eq!(rebalance(0, 1), 64);
        // A second node joins: the first gives back half, the second takes it.
        assert_eq!(rebalance(64, 2), -32);
        assert_eq!(rebalance(0, 2), 32);
        // A third: 22 each at most; the last one finds 20 free and takes them.
        assert_eq!(rebalance(32, 3), -10);
        assert_eq!(rebalance(0, 3), 22);
        // One of three dies: the two left take its shards.
        assert_eq!(rebalance(22, 2), 10);
        assert_eq!(rebalance(22, 3), 0);
    }
}
