//! Several nodes sharing one PostgreSQL store (`CERTWATCH_NODE_ID`): shards of tenants
//! spread over the nodes through leases, `certwatch cluster status` shows them, and the
//! shards of a node killed with `kill -9` move to the others within the lease's bound.

use std::time::Duration;

use serde_json::Value;

use crate::common::postgres::PrivatePostgres;
use crate::common::{Server, eventually_within};
use crate::create_supplier;

/// A free loopback address for a node's internal listener.
fn internal_address() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

/// A node of the cluster on `url`, sharing `key` (the key file every node needs).
fn node(url: &str, id: &str, key: Option<&std::path::Path>) -> Server {
    let internal = internal_address();
    let env = [
        ("CERTWATCH_STORE", url),
        ("CERTWATCH_NODE_ID", id),
        ("CERTWATCH_INTERNAL_LISTEN", internal.as_str()),
    ];
    Server::start_prepared(&env, |dir| {
        if let Some(key) = key {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::copy(key, dir.join("secret.key")).unwrap();
        }
    })
}

async fn node_health(s: &Server) -> Value {
    let health = s.health().await;
    health.body["node"].clone()
}

/// Waits until `s` holds `shards` shards.
async fn holds(s: &Server, shards: u64, what: &str) {
    eventually_within(Duration::from_secs(90), what, async || {
        let node = node_health(s).await;
        (node["shards"] == shards && node["ready"] == true).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn shards_spread_over_the_nodes_and_move_when_one_is_killed() {
    let pg = PrivatePostgres::start();
    let a = node(&pg.url, "node-a", None);
    // Alone, the first node holds every shard and runs every tenant.
    holds(&a, 64, "node-a holds all 64 shards").await;
    let (token, _) = a.signup("ops@cluster.example", "Cluster Buyer").await;
    assert!(
        create_supplier(&a, &token, "On the cluster")
            .await
            .is_some()
    );
    assert_eq!(a.health().await.body["node"]["id"], "node-a");

    let mut b = node(&pg.url, "node-b", Some(&a.data_dir.join("secret.key")));
    // The second takes half: the first gives back its upper 32 at its next round.
    holds(&b, 32, "node-b takes half of the shards").await;
    holds(&a, 32, "node-a keeps the other half").await;
    let status = a.command().args(["cluster", "status"]).output().unwrap();
    assert!(status.status.success(), "{status:?}");
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.starts_with("2 node(s) alive"), "{status}");
    assert!(
        status.contains("node node-a at") && status.contains(": 32 shard(s)"),
        "{status}"
    );
    assert!(status.contains("64 shard(s), 0 free"), "{status}");

    // Killed, the second node stops renewing: once its leases expire the first takes
    // its shards back (a lease lasts 10 s; the first looks every 3.3 s).
    let killed = std::time::Instant::now();
    b.kill9();
    holds(&a, 64, "node-a takes back node-b's shards").await;
    eprintln!(
        "shards moved {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    // The tenant's actor runs on the one node left, whichever shard it is in.
    assert_eq!(a.health().await.body["actors"]["tenants_running"], 1);
    assert!(
        create_supplier(&a, &token, "After the kill")
            .await
            .is_some()
    );
}
