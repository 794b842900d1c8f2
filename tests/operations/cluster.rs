//! Several nodes sharing one PostgreSQL store (`CERTWATCH_NODE_ID`): shards of tenants
//! spread over the nodes through leases, `certwatch cluster status` shows them, and the
//! shards of a node killed with `kill -9` move to the others within the lease's bound.

use std::time::Duration;

use certwatch_store::engine::leases::shard_of;
use serde_json::Value;

use crate::common::postgres::PrivatePostgres;
use crate::common::{Server, eventually_within};
use crate::{all, create_supplier};

/// A free loopback address for a node's internal listener.
fn internal_address() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

/// A node of the cluster on `url`, sharing `key` (the key file every node needs), and its
/// internal address.
fn node(url: &str, id: &str, key: Option<&std::path::Path>) -> (Server, String) {
    let internal = internal_address();
    let env = [
        ("CERTWATCH_STORE", url),
        ("CERTWATCH_NODE_ID", id),
        ("CERTWATCH_INTERNAL_LISTEN", internal.as_str()),
    ];
    let server = Server::start_prepared(&env, |dir| {
        if let Some(key) = key {
            std::fs::create_dir_all(dir).unwrap();
            std::fs::copy(key, dir.join("secret.key")).unwrap();
        }
    });
    (server, internal)
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
    let (a, _) = node(&pg.url, "node-a", None);
    // Alone, the first node holds every shard and runs every tenant.
    holds(&a, 64, "node-a holds all 64 shards").await;
    // A tenant of the upper half of the shards, which the next node will take.
    let mut n = 0;
    let token = loop {
        n += 1;
        let (token, tenant) = a
            .signup(&format!("ops{n}@cluster.example"), "Cluster Buyer")
            .await;
        if shard_of(tenant.parse().unwrap()) >= 32 {
            break token;
        }
    };
    assert!(
        create_supplier(&a, &token, "On the cluster")
            .await
            .is_some()
    );
    // Read here once, so this node keeps what it knew of the tenant while it held it.
    assert_eq!(all(&a, &token, "/api/organizations/").await.len(), 1);
    assert_eq!(a.health().await.body["node"]["id"], "node-a");

    let (mut b, b_internal) = node(&pg.url, "node-b", Some(&a.data_dir.join("secret.key")));
    // The second takes half: the first gives back its upper 32 at its next round.
    holds(&b, 32, "node-b takes half of the shards").await;
    holds(&a, 32, "node-a keeps the other half").await;

    // Any node answers for any tenant: one of the two sends the request on to the other.
    for (via, name) in [(&a, "Through a"), (&b, "Through b")] {
        assert!(create_supplier(via, &token, name).await.is_some(), "{name}");
    }
    let names = |list: Vec<Value>| {
        let mut names: Vec<String> = list
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let through_a = names(all(&a, &token, "/api/organizations/").await);
    assert_eq!(through_a, ["On the cluster", "Through a", "Through b"]);
    assert_eq!(
        names(all(&b, &token, "/api/organizations/").await),
        through_a
    );
    // The internal listener answers the nodes only.
    let direct = reqwest::Client::new()
        .get(format!("http://{b_internal}/api/organizations/"))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 403);
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
    // The tenants' actors run on the one node left, whichever shard they are in.
    assert_eq!(a.health().await.body["actors"]["tenants_running"], n);
    assert!(
        create_supplier(&a, &token, "After the kill")
            .await
            .is_some()
    );
    // What the other node wrote while it held the tenant is there: the node that took the
    // shard back read the tenant afresh, not from what it knew before.
    assert_eq!(
        names(all(&a, &token, "/api/organizations/").await),
        ["After the kill", "On the cluster", "Through a", "Through b"]
    );
}
