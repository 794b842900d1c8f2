//! `CERTWATCH_BENCH_POSTGRES=postgres://user@host:port/postgres cargo bench --bench failover`:
//! how long a tenant goes unserved when its node dies. Three nodes of the real binary share
//! a new database on that server (and, as an installation would, the key file and `files/`).
//! Each round registers a tenant on one node (a new tenant is given one of that node's
//! shards), files a supplier for it through another node every 50 ms, and kills the tenant's
//! node with `kill -9`. It prints how long until the nodes left hold every shard, and until
//! the first write for the tenant sent after the kill is acknowledged; then it starts the
//! node again and waits for the shards to spread. The bound is one lease (10 s) plus one
//! renewal round (3.3 s).

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certwatch_store::engine::leases::RENEW_EVERY;
use tokio::task::JoinHandle;

use serde_json::{Value, json};

const NODES: usize = 3;
const ROUNDS: usize = 9;
const METRICS_TOKEN: &str = "failover-bench-metrics";
/// How often the writer files a supplier.
const WRITE_EVERY: Duration = Duration::from_millis(50);

struct Node {
    id: String,
    dir: tempfile::TempDir,
    internal: String,
    process: Option<(std::process::Child, String)>,
}

impl Node {
    fn base(&self) -> &str {
        &self.process.as_ref().expect("the node runs").1
    }

    async fn start(&mut self, url: &str) {
        let dir = self.dir.path().to_str().unwrap().to_string();
        let settings = [
            ("CERTWATCH_STORE", url),
            ("CERTWATCH_DATA_DIR", dir.as_str()),
            ("CERTWATCH_NODE_ID", self.id.as_str()),
            ("CERTWATCH_INTERNAL_LISTEN", self.internal.as_str()),
            ("CERTWATCH_METRICS_TOKEN", METRICS_TOKEN),
            ("CERTWATCH_AUTH_RATE_PER_MINUTE", "1000000"),
            ("CERTWATCH_API_RATE_PER_MINUTE", "1000000"),
        ];
        self.process = Some(common::spawn_binary(&settings).await);
    }

    fn kill9(&mut self) {
        let (mut child, _) = self.process.take().expect("the node runs");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

/// How many shards the node at `base` holds, and whether it is ready; `None` when it does
/// not answer.
async fn shards(http: &reqwest::Client, base: &str) -> Option<(u64, bool)> {
    let health: Value = http
        .get(format!("{base}/api/health/"))
        .header("Authorization", format!("Bearer {METRICS_TOKEN}"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let node = &health["node"];
    Some((node["shards"].as_u64()?, node["ready"] == true))
}

/// Waits until the running nodes hold every shard between them, each of them ready, and
/// (with `spread`) evenly: how long that took.
async fn settled(nodes: &[Node], spread: bool) -> Duration {
    let started = Instant::now();
    let http = reqwest::Client::new();
    let running: Vec<&Node> = nodes.iter().filter(|n| n.process.is_some()).collect();
    let fair = 64_u64.div_ceil(running.len() as u64);
    loop {
        let mut held = Vec::new();
        for n in &running {
            held.push(shards(&http, n.base()).await);
        }
        let held: Option<Vec<(u64, bool)>> = held.into_iter().collect();
        if let Some(held) = held
            && held.iter().map(|(s, _)| s).sum::<u64>() == 64
            && held
                .iter()
                .all(|(s, ready)| *ready && (!spread || *s + 2 >= fair))
        {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the shards never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// When each write was sent, and when it was answered 201 (if it was).
type Sent = Arc<Mutex<Vec<(Instant, Option<Instant>)>>>;

/// Files a supplier for the tenant through `base` every [`WRITE_EVERY`] until `stop`,
/// noting each request in `sent`.
fn writer(base: String, token: String, stop: Arc<AtomicBool>, sent: Sent) -> JoinHandle<()> {
    tokio::spawn(async move {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let mut i = 0;
        while !stop.load(Ordering::SeqCst) {
            i += 1;
            let at = Instant::now();
            let answer = http
                .post(format!("{base}/api/organizations/"))
                .header("Authorization", format!("Token {token}"))
                .json(&json!({"name": format!("Written through failover {i}")}))
                .send()
                .await;
            let acked = matches!(answer, Ok(r) if r.status() == 201).then(Instant::now);
            sent.lock().unwrap().push((at, acked));
            tokio::time::sleep(WRITE_EVERY.saturating_sub(at.elapsed())).await;
        }
    })
}

/// Waits until a write sent after `killed` is acknowledged: how long after the kill that
/// was.
async fn first_ack_after(sent: &Sent, killed: Instant) -> Duration {
    loop {
        let first = sent
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, _)| *at >= killed)
            .find_map(|(_, acked)| *acked);
        if let Some(acked) = first {
            return acked - killed;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(120),
            "no write acknowledged after the kill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() {
    let Ok(admin) = std::env::var("CERTWATCH_BENCH_POSTGRES") else {
        println!(
            "set CERTWATCH_BENCH_POSTGRES (a PostgreSQL server the bench may create a database on)"
        );
        return;
    };
    let url = common::database(&admin, "bench_failover");
    let files = tempfile::tempdir().unwrap();
    let mut nodes: Vec<Node> = (0..NODES)
        .map(|i| {
            let dir = tempfile::tempdir().unwrap();
            std::os::unix::fs::symlink(files.path(), dir.path().join("files")).unwrap();
            Node {
                id: format!("node-{i}"),
                dir,
                internal: std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .to_string(),
                process: None,
            }
        })
        .collect();
    nodes[0].start(&url).await;
    let key: PathBuf = nodes[0].dir.path().join("secret.key");
    for node in &mut nodes[1..] {
        std::fs::copy(&key, node.dir.path().join("secret.key")).unwrap();
        node.start(&url).await;
    }
    settled(&nodes, true).await;
    println!("CertWatch failover benchmark: {NODES} nodes on PostgreSQL, {ROUNDS} kills");

    let mut moved = Vec::new();
    let mut unserved = Vec::new();
    for round in 0..ROUNDS {
        let victim = round % NODES;
        let via = (victim + 1) % NODES;
        let email = format!("failover{round}@bench.example");
        let (_, login) =
            common::sign_up(nodes[victim].base(), nodes[victim].dir.path(), &email).await;
        let token = login["token"].as_str().unwrap().to_string();
        let (stop, sent) = (Arc::new(AtomicBool::new(false)), Sent::default());
        let writes = writer(
            nodes[via].base().to_string(),
            token,
            stop.clone(),
            sent.clone(),
        );
        // The kill falls at another moment of the nodes' renewal rounds each time: what
        // it waits for is the victim's leases expiring and a survivor's next round.
        let phase = RENEW_EVERY.mul_f64(round as f64 / ROUNDS as f64);
        tokio::time::sleep(Duration::from_secs(1) + phase).await;
        let killed = Instant::now();
        nodes[victim].kill9();
        let shards_moved = settled(&nodes, false).await;
        let served_again = first_ack_after(&sent, killed).await;
        stop.store(true, Ordering::SeqCst);
        writes.await.unwrap();
        println!(
            "kill {}: shards held by the others after {:.1} s; the tenant's first write acknowledged {:.1} s after the kill",
            nodes[victim].id,
            shards_moved.as_secs_f64(),
            served_again.as_secs_f64()
        );
        moved.push(shards_moved);
        unserved.push(served_again);
        nodes[victim].start(&url).await;
        settled(&nodes, true).await;
    }
    summary("shards moved", &mut moved);
    summary("tenant unserved", &mut unserved);
    for node in &mut nodes {
        node.kill9();
    }
}

/// The median, least and greatest of `figures`, as docs/benchmarks.md quotes them.
fn summary(what: &str, figures: &mut [Duration]) {
    figures.sort();
    println!(
        "{what}: median {:.1} s, min {:.1} s, max {:.1} s over {} kills",
        figures[figures.len() / 2].as_secs_f64(),
        figures[0].as_secs_f64(),
        figures[figures.len() - 1].as_secs_f64(),
        figures.len()
    );
}
