//! Shard leases in PostgreSQL: the round in which a node renews, takes and gives back
//! shards, and what `certwatch cluster status` shows (see `leases` for the rules and
//! `pg_fence` for the tables and the check every transaction passes).

use std::time::Duration;

use crate::engine::error::StoreError;
use crate::engine::leases::{Held, rebalance};
use crate::engine::pg_fence::Fence;
use crate::engine::pg_kv::{PgKv, storage};

/// A node and a shard as `certwatch cluster status` shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRow {
    pub node: String,
    pub address: String,
    /// Seconds since the node last renewed.
    pub seen_secs_ago: f64,
    pub shards: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LeaseRow {
    pub shard: u16,
    pub node: Option<String>,
    pub epoch: i64,
    /// Seconds until the lease expires (negative: expired, free to take).
    pub expires_in_secs: f64,
}

impl PgKv {
    /// One round of the lease protocol for `node`, reachable by the others at `address`:
    /// it says it is alive, renews the leases it holds, and takes free or expired shards up
    /// to its fair share among the nodes alive (or gives back what is past it), in one
    /// transaction. The leases held afterwards become the fence its transactions pass.
    pub fn lease_round(
        &self,
        node: &str,
        address: &str,
        ttl: Duration,
    ) -> Result<Vec<Held>, StoreError> {
        let (node, address, secs) = (node.to_string(), address.to_string(), ttl.as_secs_f64());
        let name = node.clone();
        let held = self.run(move |pool| async move {
            let mut client = pool.get().await.map_err(storage)?;
            let tx = client.transaction().await.map_err(storage)?;
            tx.execute(
                "INSERT INTO nodes (node, address, seen_at) VALUES ($1, $2, clock_timestamp())
                 ON CONFLICT (node) DO UPDATE SET address = EXCLUDED.address, seen_at = EXCLUDED.seen_at",
                &[&node, &address],
            )
            .await
            .map_err(storage)?;
            let renewed = tx
                .query(
                    "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $3),
                        address = $2
                     WHERE node = $1 AND expires_at > clock_timestamp()
                     RETURNING shard, epoch",
                    &[&node, &address, &secs],
                )
                .await
                .map_err(storage)?;
            let mut held: Vec<Held> = renewed.iter().map(held_of).collect();
            let live: i64 = tx
                .query_one(
                    "SELECT count(*) FROM nodes
                     WHERE seen_at > clock_timestamp() - make_interval(secs => $1)",
                    &[&secs],
                )
                .await
                .map_err(storage)?
                .get(0);
            let change = rebalance(held.len(), usize::try_from(live).unwrap_or(1));
            if change > 0 {
                // Free or expired shards no other node is taking at this moment.
                let taken = tx
                    .query(
                        "UPDATE leases SET node = $1, address = $2, epoch = epoch + 1,
                            expires_at = clock_timestamp() + make_interval(secs => $3)
                         WHERE shard IN (
                            SELECT shard FROM leases WHERE expires_at <= clock_timestamp()
                            ORDER BY shard LIMIT $4 FOR UPDATE SKIP LOCKED)
                         RETURNING shard, epoch",
                        &[&node, &address, &secs, &change],
                    )
                    .await
                    .map_err(storage)?;
                held.extend(taken.iter().map(held_of));
            } else if change < 0 {
                // The highest shards go back, free for the nodes under their share.
                held.sort();
                let back: Vec<i32> = held
                    .split_off(held.len() - change.unsigned_abs() as usize)
                    .iter()
                    .map(|h| i32::from(h.shard))
                    .collect();
                tx.execute(
                    "UPDATE leases SET expires_at = '-infinity' WHERE node = $1 AND shard = ANY($2)",
                    &[&node, &back],
                )
                .await
                .map_err(storage)?;
            }
            tx.commit().await.map_err(storage)?;
            held.sort();
            Ok(held)
        })?;
        self.set_fence(Fence::new(name, &held));
        Ok(held)
    }

    /// The node holding `shard`'s lease now and its internal address, if one does.
    pub fn owner(&self, shard: u16) -> Result<Option<(String, String)>, StoreError> {
        let shard = i32::from(shard);
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(storage)?;
            let row = client
                .query_opt(
                    "SELECT node, address FROM leases
                     WHERE shard = $1 AND expires_at > clock_timestamp() AND node IS NOT NULL",
                    &[&shard],
                )
                .await
                .map_err(storage)?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    /// The nodes that renewed within `ttl`, and every shard's lease.
    pub fn cluster(&self, ttl: Duration) -> Result<(Vec<NodeRow>, Vec<LeaseRow>), StoreError> {
        let secs = ttl.as_secs_f64();
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(storage)?;
            let nodes = client
                .query(
                    "SELECT n.node, n.address,
                        EXTRACT(EPOCH FROM clock_timestamp() - n.seen_at)::float8,
                        (SELECT count(*) FROM leases l
                         WHERE l.node = n.node AND l.expires_at > clock_timestamp())
                     FROM nodes n
                     WHERE n.seen_at > clock_timestamp() - make_interval(secs => $1)
                     ORDER BY n.node",
                    &[&secs],
                )
                .await
                .map_err(storage)?;
            let leases = client
                .query(
                    "SELECT shard, node, epoch,
                        CASE WHEN expires_at = '-infinity' THEN -1e9
                             ELSE EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8 END
                     FROM leases ORDER BY shard",
                    &[],
                )
                .await
                .map_err(storage)?;
            Ok((
                nodes
                    .iter()
                    .map(|r| NodeRow {
                        node: r.get(0),
                        address: r.get(1),
                        seen_secs_ago: r.get(2),
                        shards: usize::try_from(r.get::<_, i64>(3)).unwrap_or(0),
                    })
                    .collect(),
                leases
                    .iter()
                    .map(|r| LeaseRow {
                        shard: u16::try_from(r.get::<_, i32>(0)).unwrap_or(0),
                        node: r.get(1),
                        epoch: r.get(2),
                        expires_in_secs: r.get(3),
                    })
                    .collect(),
            ))
        })
    }
}

fn held_of(row: &tokio_postgres::Row) -> Held {
    Held {
        shard: u16::try_from(row.get::<_, i32>(0)).unwrap_or(0),
        epoch: row.get(1),
    }
}
