//! Which tenants this node runs actors for. The only node runs every tenant; a node of
//! several sharing a PostgreSQL store runs the tenants of the shards it leases
//! (`certwatch_store::engine::leases`), and its supervisors start and stop tenant and
//! subscriber actors as shards come and go.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use certwatch_store::engine::leases::{LEASE_TTL, shard_of};
use uuid::Uuid;

/// A node of several, as its first lease round left it: what [`crate::Actors::start`]
/// starts with.
pub struct Joined {
    pub state: Arc<NodeState>,
    pub shards: BTreeSet<u16>,
}

/// What `/api/health/` says of this node: when its last lease round succeeded.
#[derive(Debug)]
pub struct NodeState {
    pub id: String,
    started: Instant,
    /// Milliseconds after `started` of the last lease round that succeeded; -1: none yet.
    renewed_ms: AtomicI64,
}

impl NodeState {
    pub fn new(id: &str) -> NodeState {
        NodeState {
            id: id.to_string(),
            started: Instant::now(),
            renewed_ms: AtomicI64::new(-1),
        }
    }

    /// A lease round succeeded just now.
    pub fn renewed(&self) {
        let ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.renewed_ms.store(ms, Ordering::SeqCst);
    }

    /// Since the last lease round that succeeded, if one did.
    pub fn since_renewed(&self) -> Option<Duration> {
        let ms = u64::try_from(self.renewed_ms.load(Ordering::SeqCst)).ok()?;
        Some(
            self.started
                .elapsed()
                .saturating_sub(Duration::from_millis(ms)),
        )
    }

    /// Ready while its leases are current: a node whose rounds fail for a lease's length
    /// has lost its shards to the others.
    pub fn ready(&self) -> bool {
        self.since_renewed().is_some_and(|d| d < LEASE_TTL)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Placement {
    /// `None`: the only node, owning every tenant.
    shards: RwLock<Option<BTreeSet<u16>>>,
}

impl Placement {
    pub(crate) fn new(shards: Option<BTreeSet<u16>>) -> Placement {
        Placement {
            shards: RwLock::new(shards),
        }
    }

    /// Whether this node runs the actors of `tenant`.
    pub(crate) fn owns(&self, tenant: Uuid) -> bool {
        match &*self.shards.read().unwrap_or_else(|e| e.into_inner()) {
            None => true,
            Some(shards) => shards.contains(&shard_of(tenant)),
        }
    }

    /// The shards held from now on; the shards that came or went (all of them, for the
    /// only node becoming one of several).
    pub(crate) fn set(&self, shards: BTreeSet<u16>) -> BTreeSet<u16> {
        let mut held = self.shards.write().unwrap_or_else(|e| e.into_inner());
        let moved = match held.as_ref() {
            Some(before) => before.symmetric_difference(&shards).copied().collect(),
            None => (0..certwatch_store::engine::leases::SHARDS).collect(),
        };
        *held = Some(shards);
        moved
    }

    /// An id for a new tenant this node runs: one of its shards, so the node that takes
    /// the registration can write it. A node holding no shard yet makes a random one, whose
    /// writes the fence then refuses (the registration is answered 503, to try again).
    pub(crate) fn new_tenant_id(&self) -> Uuid {
        let held = self.shards.read().unwrap_or_else(|e| e.into_inner());
        match held.as_ref() {
            Some(shards) if !shards.is_empty() => loop {
                // Each try lands in a held shard with probability held/64.
                let id = Uuid::new_v4();
                if shards.contains(&shard_of(id)) {
                    return id;
                }
            },
            _ => Uuid::new_v4(),
        }
    }

    /// How many shards this node holds; `None` for the only node.
    pub(crate) fn held(&self) -> Option<usize> {
        self.shards
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(BTreeSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_only_node_owns_every_tenant_and_a_node_of_several_its_shards() {
        let tenant = Uuid::new_v4();
        let alone = Placement::new(None);
        assert!(alone.owns(tenant));
        assert_eq!(alone.held(), None);
        let node = Placement::new(Some(BTreeSet::new()));
        assert!(!node.owns(tenant));
        let shard = shard_of(tenant);
        assert_eq!(node.set(BTreeSet::from([shard])), BTreeSet::from([shard]));
        assert!(node.owns(tenant));
        assert!(
            node.set(BTreeSet::from([shard])).is_empty(),
            "nothing moved"
        );
        let other = (shard + 1) % certwatch_store::engine::leases::SHARDS;
        assert_eq!(
            node.set(BTreeSet::from([other])),
            BTreeSet::from([shard, other])
        );
        assert!(!node.owns(tenant));
        assert_eq!(node.held(), Some(1));
        assert_eq!(
            shard_of(node.new_tenant_id()),
            other,
            "a new tenant is this node's"
        );
    }
}
