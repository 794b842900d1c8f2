//! A node of several sharing one PostgreSQL store (`CERTWATCH_NODE_ID`): the lease rounds
//! that decide which shards of tenants it runs (`certwatch_store::engine::leases`), and
//! `certwatch cluster status`.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context as _;
use certwatch_actors::{Actors, Joined, NodeState};
use certwatch_config::{Config, Node};
use certwatch_store::Store;
use certwatch_store::engine::leases::{LEASE_TTL, RENEW_EVERY};
use certwatch_store::engine::pg_kv::PgKv;

/// The configuration the internal listener serves with: every peer is a trusted proxy,
/// as only another node's signed request gets past it (`certwatch_http::internal_routes`),
/// so its `X-Forwarded-For` names the client as the first node saw it.
pub fn internal_config(config: &Config) -> Config {
    let everyone = ["0.0.0.0/0", "::/0"].map(|net| net.parse().expect("a network"));
    Config {
        trusted_proxies: everyone.to_vec(),
        ..config.clone()
    }
}

/// One lease round: the shards held afterwards.
async fn round(store: &Store, node: &Node) -> anyhow::Result<BTreeSet<u16>> {
    let (store, id, address) = (
        store.clone(),
        node.id.clone(),
        node.internal_listen.to_string(),
    );
    // The engine's calls wait on a channel: off the async threads.
    let held = tokio::task::spawn_blocking(move || {
        let pg = store
            .postgres()
            .context("several nodes need the store on PostgreSQL")?;
        anyhow::Ok(pg.lease_round(&id, &address, LEASE_TTL)?)
    })
    .await??;
    Ok(held.iter().map(|h| h.shard).collect())
}

/// The first lease round, before any actor starts: the shards this node starts with.
pub async fn join(store: &Store, node: &Node) -> anyhow::Result<Joined> {
    let state = Arc::new(NodeState::new(&node.id));
    let shards = round(store, node)
        .await
        .context("the first lease round failed")?;
    state.renewed();
    tracing::info!(node = %node.id, shards = shards.len(), "joined the cluster");
    Ok(Joined { state, shards })
}

/// Renews this node's leases every [`RENEW_EVERY`] and places the actors of the shards
/// it holds. A node that cannot renew for a lease's length stops every tenant: the other
/// nodes take its shards then, and its writes are refused by the fence anyway.
pub async fn renew(actors: Actors, node: Node) {
    let Some(state) = actors.node().cloned() else {
        return;
    };
    let mut ticks = tokio::time::interval(RENEW_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match round(actors.store(), &node).await {
            Ok(shards) => {
                state.renewed();
                let held = shards.len();
                if actors.shards_held() != Some(held) {
                    tracing::info!(node = %node.id, shards = held, "shards moved");
                }
                actors.place(shards);
            }
            Err(e) => {
                tracing::warn!(node = %node.id, error = %format!("{e:#}"), "lease round failed");
                if !state.ready() {
                    actors.place(BTreeSet::new());
                }
            }
        }
    }
}

/// `certwatch cluster status`: the nodes alive, the shards each holds, and every lease.
pub fn status(config: &Config, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let url = config
        .store
        .as_deref()
        .context("the store is sled: one node, no cluster (set CERTWATCH_STORE)")?;
    let pg = PgKv::connect(url).context("cannot reach the store in PostgreSQL")?;
    let (nodes, leases) = pg.cluster(LEASE_TTL)?;
    writeln!(out, "{} node(s) alive", nodes.len())?;
    for n in &nodes {
        writeln!(
            out,
            "node {} at {}: {} shard(s), renewed {:.1} s ago",
            n.node, n.address, n.shards, n.seen_secs_ago
        )?;
    }
    let free = leases.iter().filter(|l| l.expires_in_secs <= 0.0).count();
    writeln!(out, "{} shard(s), {free} free", leases.len())?;
    for l in &leases {
        match (&l.node, l.expires_in_secs > 0.0) {
            (Some(node), true) => writeln!(
                out,
                "shard {:>2}: {node} (epoch {}), expires in {:.1} s",
                l.shard, l.epoch, l.expires_in_secs
            )?,
            _ => writeln!(out, "shard {:>2}: free (epoch {})", l.shard, l.epoch)?,
        }
    }
    Ok(())
}
