//! `cargo bench --bench cluster`: durable creates (`POST /api/organizations/`, 32 clients)
//! and list latency (`GET /api/organizations/`, 8 clients) on one sled node and — with
//! `CERTWATCH_BENCH_POSTGRES=postgres://user@host:port/postgres`, a server the bench may
//! create databases on — one PostgreSQL node and three PostgreSQL nodes sharing one database,
//! side by side. With three nodes the clients spread over them: a request landing on a node
//! that does not run the tenant is sent on to the one that does, as a load balancer would
//! make happen. Every node, PostgreSQL and the clients share this machine's cores.

mod common;

use std::time::Duration;

use serde_json::json;

#[tokio::main]
async fn main() {
    println!(
        "CertWatch cluster benchmark ({} s per run, loopback)",
        common::RUN_FOR.as_secs()
    );
    run("one sled node", None, 1).await;
    match std::env::var("CERTWATCH_BENCH_POSTGRES") {
        Ok(admin) => {
            run(
                "one PostgreSQL node",
                Some(common::database(&admin, "bench_one")),
                1,
            )
            .await;
            run(
                "three PostgreSQL nodes",
                Some(common::database(&admin, "bench_three")),
                3,
            )
            .await;
        }
        Err(_) => println!("(set CERTWATCH_BENCH_POSTGRES for the PostgreSQL runs)"),
    }
}

async fn run(what: &str, store: Option<String>, nodes: usize) {
    let mut settings = vec![];
    if let Some(url) = &store {
        settings.push(("CERTWATCH_STORE", url.clone()));
    }
    let node_settings = |i: usize| {
        let mut s = settings.clone();
        if nodes > 1 {
            let internal = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            s.push(("CERTWATCH_NODE_ID", format!("node-{i}")));
            s.push(("CERTWATCH_INTERNAL_LISTEN", internal.to_string()));
        }
        s
    };
    let first = node_settings(0);
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let b = common::start_with(&first).await;
    let data = b.dir.path().to_str().unwrap().to_string();
    let mut others = Vec::new();
    for i in 1..nodes {
        let s = node_settings(i);
        let s: Vec<(&str, &str)> = s.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // The same data directory: the nodes share the key file and the uploaded files.
        others.push(common::start_server(&data, &s).await);
    }
    if nodes > 1 {
        // Until the shards have spread: 64 over three is 22, 22 and 20.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let mut held: Vec<usize> = std::iter::once(&b.server)
                .chain(&others)
                .map(|s| s.actors.shards_held().unwrap_or(0))
                .collect();
            held.sort();
            if held == [20, 22, 22] {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "shards never spread: {held:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let bases: Vec<String> = std::iter::once(b.base.clone())
        .chain(others.iter().map(|s| format!("http://{}", s.addr)))
        .collect();
    let auth = format!("Token {}", b.key);

    spread(
        &format!("{what}: POST /api/organizations/ (durable), 32 clients"),
        32,
        &bases,
        &auth,
        |http, url, i| {
            http.post(format!("{url}/api/organizations/"))
                .json(&json!({"name": format!("Bench supplier {i}"), "vat_number": null}))
        },
    )
    .await;
    spread(
        &format!("{what}: GET /api/organizations/ (list of 50), 8 clients"),
        8,
        &bases,
        &auth,
        |http, url, _| http.get(format!("{url}/api/organizations/?page_size=50")),
    )
    .await;
    for s in others {
        s.shutdown().await.unwrap();
    }
    b.server.shutdown().await.unwrap();
}

/// Runs `clients` loops of the request `build` makes, client `c` sending to node
/// `c % nodes` with the token, and prints the figures.
async fn spread(
    name: &str,
    clients: usize,
    bases: &[String],
    auth: &str,
    build: fn(&reqwest::Client, &str, usize) -> reqwest::RequestBuilder,
) {
    let (bases, auth) = (bases.to_vec(), auth.to_string());
    common::load(name, clients, move |http, i| {
        let request = build(&http, &bases[i / 1_000_000 % bases.len()], i)
            .header("Authorization", auth.clone());
        async move { request.send().await.unwrap().status() }
    })
    .await
    .print();
}
