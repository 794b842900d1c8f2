//! The fence every transaction of a node of several passes, and the tables it reads.
//!
//! Two tables beside `kv`: `nodes` (each node's internal address and when it was last
//! seen) and `leases` (one row per shard: its owner, the owner's address, the epoch it was
//! taken at, when it expires). Every time is PostgreSQL's clock, so the nodes' clocks do
//! not matter. The rounds that write them are `pg_leases`.
//!
//! A node that renews leases holds a fence: the shards and epochs it holds. Each
//! transaction notes the shards of the tenant records it writes; before its COMMIT it
//! reads their lease rows `FOR SHARE` and commits only if this node still holds each of
//! them at the noted epoch, unexpired. A node that took a shard over updated its row, which
//! waits for that share lock: so a commit of the old owner either happened before the lease
//! moved or not at all. A node paused inside a transaction cannot hold the lock past the
//! lease: PostgreSQL ends a session idle in a transaction after `IDLE_IN_TRANSACTION`
//! (`pg_kv`), shorter than a lease.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use deadpool_postgres::Object;

use crate::engine::error::StoreError;
use crate::engine::leases::{Held, SHARDS, shard_of};
use crate::engine::trees::Tree;

/// The lease tables, made with the store's schema; a new database gets one unowned,
/// expired row per shard.
pub(crate) fn schema() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS nodes (
            node text PRIMARY KEY,
            address text NOT NULL,
            seen_at timestamptz NOT NULL
        );
        CREATE TABLE IF NOT EXISTS leases (
            shard int PRIMARY KEY,
            node text,
            address text,
            epoch bigint NOT NULL DEFAULT 0,
            expires_at timestamptz NOT NULL DEFAULT '-infinity'
        );
        INSERT INTO leases (shard) SELECT generate_series(0, {}) ON CONFLICT DO NOTHING;",
        SHARDS - 1
    )
}

/// The shards a node holds and their epochs: what its transactions are checked against.
#[derive(Debug, Clone)]
pub(crate) struct Fence {
    node: String,
    epochs: BTreeMap<u16, i64>,
}

/// The shard a record written to `tree` under `key` belongs to, when the tree is keyed by
/// tenant first (see `keys`); records of no tenant (users, sessions, the key indexes) are
/// written by whichever node serves the request.
pub(crate) fn shard_of_key(tree: Tree, key: &[u8]) -> Option<u16> {
    if !tree.keyed_by_tenant() {
        return None;
    }
    let id: [u8; 16] = key.get(..16)?.try_into().ok()?;
    Some(shard_of(uuid::Uuid::from_bytes(id)))
}

impl Fence {
    pub(crate) fn new(node: String, held: &[Held]) -> Fence {
        Fence {
            node,
            epochs: held.iter().map(|h| (h.shard, h.epoch)).collect(),
        }
    }

    /// The epochs of `shards` this node holds, or the first shard it does not hold.
    pub(crate) fn epochs_of(&self, shards: &BTreeSet<u16>) -> Result<Vec<(i32, i64)>, u16> {
        shards
            .iter()
            .map(|&s| self.epochs.get(&s).map(|&e| (i32::from(s), e)).ok_or(s))
            .collect()
    }

    pub(crate) fn node(&self) -> &str {
        &self.node
    }
}

/// Reads the lease rows of the shards a transaction wrote, holding them against a
/// takeover until the transaction ends: the rows this node still holds at these epochs.
const FENCE: &str = "SELECT l.shard FROM leases l
    JOIN unnest($2::int[], $3::bigint[]) AS held(shard, epoch)
      ON l.shard = held.shard AND l.epoch = held.epoch
    WHERE l.node = $1 AND l.expires_at > clock_timestamp()
    FOR SHARE OF l";

/// Checks, on the transaction's connection, that this node holds each of `shards`.
pub(crate) async fn check(
    client: Arc<Object>,
    fence: Fence,
    shards: BTreeSet<u16>,
) -> Result<Result<(), StoreError>, tokio_postgres::Error> {
    let held = match fence.epochs_of(&shards) {
        Ok(held) => held,
        Err(shard) => return Ok(Err(StoreError::NotOwner(shard))),
    };
    let (ids, epochs): (Vec<i32>, Vec<i64>) = held.into_iter().unzip();
    let rows = client.query(FENCE, &[&fence.node(), &ids, &epochs]).await?;
    if rows.len() == ids.len() {
        Ok(Ok(()))
    } else {
        let still: BTreeSet<i32> = rows.iter().map(|r| r.get(0)).collect();
        let lost = ids
            .iter()
            .find(|s| !still.contains(s))
            .copied()
            .unwrap_or(0);
        Ok(Err(StoreError::LeaseLost(lost as u16)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::keys;

    #[test]
    fn a_tenants_records_are_in_its_shard_and_records_of_no_tenant_in_none() {
        let tenant = uuid::Uuid::new_v4();
        let shard = shard_of(tenant);
        let key = keys::pair(tenant, uuid::Uuid::new_v4());
        assert_eq!(shard_of_key(Tree::Certificates, &key), Some(shard));
        assert_eq!(shard_of_key(Tree::Tenants, &keys::id(tenant)), Some(shard));
        assert_eq!(shard_of_key(Tree::Users, &key), None);
        assert_eq!(shard_of_key(Tree::Tokens, &key), None);
        assert_eq!(shard_of_key(Tree::Certificates, b"short"), None);
    }

    #[test]
    fn the_fence_names_the_first_shard_the_node_does_not_hold() {
        let fence = Fence::new(
            "a".into(),
            &[Held { shard: 1, epoch: 4 }, Held { shard: 7, epoch: 2 }],
        );
        assert_eq!(
            fence.epochs_of(&BTreeSet::from([1, 7])),
            Ok(vec![(1, 4), (7, 2)])
        );
        assert_eq!(fence.epochs_of(&BTreeSet::from([1, 3, 9])), Err(3));
    }
}
