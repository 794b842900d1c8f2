//! Several nodes sharing one PostgreSQL store (`CERTWATCH_NODE_ID`): shards of tenants
//! spread over the nodes through leases, `certwatch cluster status` and each node's
//! `/metrics` show them, the shards of a node killed with `kill -9` move to the others within
//! the lease's bound, and under writes through three nodes a node killed or paused loses
//! nothing acknowledged, commits nothing after its lease moved, and its tenant's webhooks and
//! checks go on on the new owner.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use certwatch_store::engine::leases::shard_of;
use serde_json::{Value, json};

use crate::common::postgres::PrivatePostgres;
use crate::common::{self, Server, eventually_within};
use crate::metrics::{sample, scraped};
use crate::{
    all, certificate_expiring_in, create_supplier, digests_to, monitored_page, watched_page,
};

/// A free loopback address for a node's internal listener.
fn internal_address() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

/// The directory the nodes share for uploaded files, as `files/` of each data directory.
/// On another file system than the nodes' own `tmp/` where it can be (tmpfs), as a
/// network file system would be: a file is then copied into it, not renamed.
fn shared_files() -> tempfile::TempDir {
    tempfile::tempdir_in("/dev/shm").unwrap_or_else(|_| tempfile::tempdir().unwrap())
}

/// A node of the cluster on `url`, with `files` as its file store and sharing `key` (the
/// key file every node needs), and its internal address.
fn node(
    url: &str,
    files: &std::path::Path,
    id: &str,
    key: Option<&std::path::Path>,
) -> (Server, String) {
    let internal = internal_address();
    let env = [
        ("CERTWATCH_STORE", url),
        ("CERTWATCH_NODE_ID", id),
        ("CERTWATCH_INTERNAL_LISTEN", internal.as_str()),
        // The webhook receiver is on loopback.
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
        // Small, so one client's budget over the nodes can be spent (see `one_budget`).
        ("CERTWATCH_PUBLIC_SEARCH_RATE_PER_MINUTE", "6"),
    ];
    let server = Server::start_prepared(&env, |dir| {
        std::fs::create_dir_all(dir).unwrap();
        std::os::unix::fs::symlink(files, dir.join("files")).unwrap();
        if let Some(key) = key {
            std::fs::copy(key, dir.join("secret.key")).unwrap();
        }
    });
    (server, internal)
}

async fn node_health(s: &Server) -> Value {
    let health = s.health().await;
    health.body["node"].clone()
}

/// How many scrape logs the endpoint `id` shows.
async fn scrape_logs(s: &Server, token: &str, id: &str) -> usize {
    let e = s
        .get(&format!("/api/monitoring/endpoints/{id}/"), Some(token))
        .await;
    e.body["recent_scrape_logs"].as_array().map_or(0, Vec::len)
}

/// The node holding the lease on `tenant`'s shard, as `certwatch cluster status` says.
fn owner_of(s: &Server, tenant: uuid::Uuid) -> String {
    let status = s.command().args(["cluster", "status"]).output().unwrap();
    assert!(status.status.success(), "{status:?}");
    let status = String::from_utf8_lossy(&status.stdout);
    let line = format!("shard {:>2}: ", shard_of(tenant));
    status
        .lines()
        .find_map(|l| l.strip_prefix(&line))
        .and_then(|rest| rest.split_once(" (epoch"))
        .map(|(node, _)| node.to_string())
        .unwrap_or_else(|| panic!("no owner of {tenant} in {status}"))
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
    let files = shared_files();
    let (a, _) = node(&pg.url, files.path(), "node-a", None);
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

    let (mut b, b_internal) = node(
        &pg.url,
        files.path(),
        "node-b",
        Some(&a.data_dir.join("secret.key")),
    );
    // The second takes half: the first gives back its upper 32 at its next round.
    holds(&b, 32, "node-b takes half of the shards").await;
    holds(&a, 32, "node-a keeps the other half").await;
    // Each node's /metrics is its own: its shards, and the tenants it runs (together, all).
    let (on_a, on_b) = (scraped(&a).await, scraped(&b).await);
    for on in [&on_a, &on_b] {
        assert_eq!(sample(on, "certwatch_node_shards", &[]), Some(32.0));
        assert_eq!(sample(on, "certwatch_node_ready", &[]), Some(1.0));
    }
    let tenants = |on| sample(on, "certwatch_tenants", &[]).unwrap();
    assert!(tenants(&on_b) >= 1.0, "b runs the tenant of the upper half");
    assert_eq!(tenants(&on_a) + tenants(&on_b), n as f64);

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
    let (document, batch) = requests_named_by_a_token_reach_the_owner(&a, &b, &token).await;
    one_budget_over_the_nodes(&a, &b).await;

    // The tenant's supplier page, watched by its endpoint actor on b.
    let site = common::site::Site::start().await;
    site.serve("/certs", common::site::Resource::html("<p>ISO 9001</p>"));
    let org = all(&a, &token, "/api/organizations/").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ep = watched_page(&a, &token, &org, &site.url("/certs")).await;
    // A second page whose first check b begins but does not finish: it is due, and still
    // due, while b is down.
    let due = begun_check(&a, &token, &org, &site).await;

    // A certificate expiring within the digest's window: the digest falls due on b, which
    // looks for it only every 15 minutes (it looked when it took the tenant, before this).
    let admin = format!("ops{n}@cluster.example");
    certificate_expiring_in(&a, &token, &org, "CL-DIGEST-5", 5).await;
    // A requirement every supplier now misses: the reminder pass that asks for it runs on
    // b at start and then hourly, so the request falls due there and is not yet asked.
    let ems = a.type_id(&token, "ISO_14001").await;
    let required = a
        .post(
            "/api/requirements/",
            Some(&token),
            json!({"certificate_type": ems, "applies_to": {"all": true}}),
        )
        .await;
    assert_eq!(required.status, 201, "{:?}", required.body);

    // Killed, the second node stops renewing: once its leases expire the first takes
    // its shards back (a lease lasts 10 s; the first looks every 3.3 s).
    let checked_by_b = site.hits("/certs");
    let killed = std::time::Instant::now();
    b.kill9();
    holds(&a, 64, "node-a takes back node-b's shards").await;
    eprintln!(
        "shards moved {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    // The digest due while b was down is sent by a, whose tenant actor looks at its start:
    // once, and not by b before it died.
    let digest = eventually_within(Duration::from_secs(60), "a mails the digest", async || {
        digests_to(&a, &admin).pop()
    })
    .await;
    assert!(digest.contains("CL-DIGEST-5"), "{digest}");
    assert!(digests_to(&b, &admin).is_empty());
    // The reminder pass due while b was down runs on a at the tenant's start: the supplier
    // is asked for the missing certificate, once.
    let asked_for_ems = |s: &Server| {
        common::read_mails(&s.outbox())
            .into_iter()
            .filter(|m| m.contains("To: qm@supplier.example") && m.contains("14001"))
            .count()
    };
    eventually_within(
        Duration::from_secs(60),
        "a asks for the missing certificate",
        async || (asked_for_ems(&a) == 1).then_some(()),
    )
    .await;
    assert_eq!(asked_for_ems(&b), 0);
    // The check that fell due while its node was down runs on the new owner, once: one
    // log (b's was cut off before it wrote one), one more fetch, the next a whole cycle on.
    due_check_made_once(&a, &token, &due, &site).await;
    let after = a
        .get(&format!("/api/monitoring/endpoints/{due}/"), Some(&token))
        .await;
    let next: chrono::DateTime<chrono::Utc> = after.body["next_check_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        next - chrono::Utc::now() > chrono::Duration::hours(1),
        "{:?}",
        after.body
    );
    let monitoring = a.get("/api/monitoring/health/", Some(&token)).await;
    assert_eq!(monitoring.body["due"], 0, "{:?}", monitoring.body);
    assert_eq!(digests_to(&a, &admin).len(), 1, "the digest is sent once");
    assert_eq!(asked_for_ems(&a), 1, "the supplier is asked once");
    // The endpoint's actor runs on the node left: a check asked of it is made there, once.
    assert_eq!(
        site.hits("/certs"),
        checked_by_b,
        "not checked again on taking over"
    );
    checked_on_request(&a, &token, &ep, &site).await;
    // The document the supplier uploaded through b is in the file store the nodes share:
    // a serves it.
    a.completed_batch(&token, &batch, Duration::from_secs(120))
        .await;
    let items = all(&a, &token, &format!("/api/bulk-upload/{batch}/items/")).await;
    let item = items[0]["id"].as_str().unwrap();
    assert_eq!(crate::download(&a, &token, item).await, document);
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

/// A page (`/due`, answered slowly) whose first check the tenant's node begins but has
/// not finished when this returns: the check stays due if that node dies now.
async fn begun_check(via: &Server, token: &str, org: &str, site: &common::site::Site) -> String {
    site.serve(
        "/due",
        common::site::Resource::html("<p>ISO 14001</p>").slow(Duration::from_secs(10)),
    );
    let due = monitored_page(via, token, org, &site.url("/due")).await;
    eventually_within(
        Duration::from_secs(60),
        "the owner begins the due check",
        async || (site.hits("/due") == 1).then_some(()),
    )
    .await;
    due
}

/// The check [`begun_check`] began, cut off by its node's death, is made by the new owner
/// once: one log, one more fetch.
async fn due_check_made_once(via: &Server, token: &str, due: &str, site: &common::site::Site) {
    eventually_within(
        Duration::from_secs(90),
        "the new owner makes the due check",
        async || (scrape_logs(via, token, due).await == 1).then_some(()),
    )
    .await;
    assert_eq!(
        site.hits("/due"),
        2,
        "fetched by the old owner, then once by the new"
    );
}

/// A check of `ep` (watching `/certs`, checked once so far) asked through `via` is made by
/// the node that runs the tenant now, once: one more fetch, a second log.
async fn checked_on_request(via: &Server, token: &str, ep: &str, site: &common::site::Site) {
    let before = site.hits("/certs");
    let trigger = via
        .post(
            &format!("/api/monitoring/endpoints/{ep}/trigger_scrape/"),
            Some(token),
            json!({}),
        )
        .await;
    assert!(trigger.status.is_success(), "{:?}", trigger.body);
    eventually_within(Duration::from_secs(60), "the page checked", async || {
        (scrape_logs(via, token, ep).await == 2).then_some(())
    })
    .await;
    assert_eq!(site.hits("/certs"), before + 1, "checked once more");
}

/// A client spreading its requests over the nodes has one budget, kept in PostgreSQL: six
/// public searches a minute, three through each node, and the seventh is refused on
/// either (on one node's count it would have been that node's fourth).
async fn one_budget_over_the_nodes(a: &Server, b: &Server) {
    for (i, node) in [a, b, a, b, a, b].into_iter().enumerate() {
        let search = node.get("/api/certificates/search/?q=acme", None).await;
        assert_eq!(search.status, 200, "search {i}: {:?}", search.body);
    }
    for node in [a, b] {
        let refused = node.get("/api/certificates/search/?q=acme", None).await;
        assert_eq!(refused.status, 429, "{:?}", refused.body);
        assert!(refused.body["error"].is_string(), "{:?}", refused.body);
    }
}

/// Requests sent to `via` that name their tenant (run by `owner`) only by a token in the
/// path or the body reach the owner too: a supplier's link and upload, and an invitation's
/// acceptance with its refusal. The owner mails the tokens, from its own outbox. The
/// document the supplier uploaded, and its batch.
async fn requests_named_by_a_token_reach_the_owner(
    via: &Server,
    owner: &Server,
    token: &str,
) -> (Vec<u8>, String) {
    let orgs = all(via, token, "/api/organizations/").await;
    let org = orgs.iter().find(|o| o["name"] == "On the cluster").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let contact = via
        .post(
            &format!("/api/organizations/{org}/contacts/"),
            Some(token),
            json!({"name": "Quality Desk", "email": "qm@supplier.example", "language": "en"}),
        )
        .await;
    assert_eq!(contact.status, 201, "{:?}", contact.body);
    let iso = via.type_id(token, "ISO_9001").await;
    let asked = via
        .post(
            "/api/certificate-requests/",
            Some(token),
            json!({"organization": org, "certificate_type": iso}),
        )
        .await;
    assert_eq!(asked.status, 201, "{:?}", asked.body);
    let link = owner
        .mailed_token("qm@supplier.example", "/supplier/")
        .await;
    let page = via
        .http
        .get(format!("{}/supplier/{link}/", via.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("On the cluster"));
    // The upload's body goes on to the owner as it arrives, with its length.
    let document = common::pdf::with_lines(&[
        "CERTIFICATE",
        "On the cluster",
        "ISO 9001:2015",
        "Certificate No.: CL-2026-1",
        "Valid until: 31.12.2029",
    ]);
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(document.clone()).file_name("iso.pdf"),
    );
    let sent = via
        .http
        .post(format!("{}/supplier/{link}/documents/", via.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert!(sent.text().await.unwrap().contains("1 file(s) received"));
    let batches = all(via, token, "/api/bulk-upload/").await;
    assert_eq!(batches.len(), 1);
    let batch = batches[0]["id"].as_str().unwrap().to_string();

    let invited = via
        .post(
            "/api/auth/invitations/",
            Some(token),
            json!({"email": "member@cluster.example", "role": "member"}),
        )
        .await;
    assert_eq!(invited.status, 201, "{:?}", invited.body);
    let invitation = owner
        .mailed_token("member@cluster.example", "Invitation token: ")
        .await;
    let accept = json!({"token": invitation, "password": common::PASSWORD});
    let accepted = via
        .post("/api/auth/invite/accept/", None, accept.clone())
        .await;
    assert_eq!(accepted.status, 201, "{:?}", accepted.body);
    let member = accepted.body["auth_token"].as_str().unwrap();
    assert_eq!(all(via, member, "/api/organizations/").await.len(), 3);
    // Used: the owner's refusal comes back as its own.
    let again = via.post("/api/auth/invite/accept/", None, accept).await;
    assert_eq!(again.status, 400, "{:?}", again.body);
    assert!(again.body["error"].is_string(), "{:?}", again.body);
    (document, batch)
}

/// `field` of every record `path` lists, page after page (a page holds 500 at most),
/// sorted.
async fn every(s: &Server, token: &str, path: &str, field: &str) -> Vec<String> {
    let mut values = Vec::new();
    for page in 1.. {
        let r = s
            .get(&format!("{path}?page_size=500&page={page}"), Some(token))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        values.extend(
            r.body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o[field].as_str().unwrap().to_string()),
        );
        if r.body["next"].is_null() {
            break;
        }
    }
    values.sort();
    values
}

/// Writers filing certificates of one supplier through every node in `via` until told to
/// stop: the numbers the nodes acknowledged (201).
struct Writers {
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Writers {
    fn start(via: &[&Server], token: &str, org: &str, iso: &str) -> Writers {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let tasks = via
            .iter()
            .enumerate()
            .map(|(w, s)| {
                let (base, token) = (s.base.clone(), token.to_string());
                let (org, iso) = (org.to_string(), iso.to_string());
                let (stop, acked) = (stop.clone(), acked.clone());
                tokio::spawn(async move {
                    let http = reqwest::Client::builder()
                        .timeout(Duration::from_secs(60))
                        .build()
                        .unwrap();
                    let mut i = 0;
                    while !stop.load(Ordering::SeqCst) {
                        i += 1;
                        let name = format!("W{w}-{i}");
                        let sent = http
                            .post(format!("{base}/api/certificates/"))
                            .header("Authorization", format!("Token {token}"))
                            .json(&serde_json::json!({"organization": org,
                                "certificate_type_id": iso, "certificate_number": name,
                                "expiry_date": "2030-01-01"}))
                            .send()
                            .await;
                        match sent {
                            Ok(r) if r.status() == 201 => acked.lock().unwrap().push(name),
                            _ => {
                                // A node that is gone or moving: not too fast.
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                })
            })
            .collect();
        Writers { stop, acked, tasks }
    }

    fn acked(&self) -> usize {
        self.acked.lock().unwrap().len()
    }

    async fn wait_for(&self, more: usize, what: &str) {
        let target = self.acked() + more;
        eventually_within(Duration::from_secs(120), what, async || {
            (self.acked() >= target).then_some(())
        })
        .await;
    }

    /// Stops the writers: every name acknowledged.
    async fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            task.await.unwrap();
        }
        self.acked.lock().unwrap().clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_under_writes_lose_nothing_acknowledged_when_one_is_killed_or_paused() {
    let pg = PrivatePostgres::start();
    let files = shared_files();
    let (a, _) = node(&pg.url, files.path(), "node-a", None);
    holds(&a, 64, "node-a holds all 64 shards").await;
    let key = a.data_dir.join("secret.key");
    let (b, _) = node(&pg.url, files.path(), "node-b", Some(&key));
    let (mut c, _) = node(&pg.url, files.path(), "node-c", Some(&key));
    // 64 shards over three nodes: 22, 22 and 20, whoever came first.
    eventually_within(Duration::from_secs(90), "the shards spread", async || {
        let mut held = Vec::new();
        for s in [&a, &b, &c] {
            held.push(node_health(s).await["shards"].as_u64().unwrap_or(0));
        }
        held.sort();
        (held == [20, 22, 22]).then_some(())
    })
    .await;
    // Registered on c, the tenant is c's: the node killed below.
    let (token, tenant) = c.signup("ops@three.example", "Three Nodes").await;
    let tenant: uuid::Uuid = tenant.parse().unwrap();
    assert_eq!(owner_of(&a, tenant), "node-c");
    let org = create_supplier(&a, &token, "Filed through three nodes")
        .await
        .unwrap();
    let iso = b.type_id(&token, "ISO_9001").await;
    let rx = common::receiver::subscribed(&b, &token, json!(["certificate.created"])).await;
    // The supplier's page, checked by the tenant's endpoint actor on c.
    let site = common::site::Site::start().await;
    site.serve("/certs", common::site::Resource::html("<p>ISO 9001</p>"));
    let ep = watched_page(&a, &token, &org, &site.url("/certs")).await;

    let writers = Writers::start(&[&a, &b, &c], &token, &org, &iso);
    writers
        .wait_for(30, "30 writes through the three nodes")
        .await;
    // kill -9 of the tenant's node while the writes go on, in the middle of a check.
    let due = begun_check(&b, &token, &org, &site).await;
    let killed = std::time::Instant::now();
    c.kill9();
    eventually_within(
        Duration::from_secs(90),
        "a and b take c's shards",
        async || {
            let (x, y) = (node_health(&a).await, node_health(&b).await);
            (x["shards"].as_u64().unwrap_or(0) + y["shards"].as_u64().unwrap_or(0) == 64)
                .then_some(())
        },
    )
    .await;
    eprintln!(
        "c's shards moved {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    writers
        .wait_for(30, "30 more certificates after the kill")
        .await;
    // The endpoint's checks go on on the tenant's new node: the one cut off by the kill is
    // made once, and a check asked for is made.
    due_check_made_once(&a, &token, &due, &site).await;
    checked_on_request(&b, &token, &ep, &site).await;

    // SIGSTOP of the tenant's new node past its lease: the other takes every shard; the
    // paused node, let go again, commits nothing for the shards it lost — the write it was
    // sent while stopped is refused, or it was sent on and acknowledged: never
    // acknowledged and missing, never written and refused.
    let (paused, other) = match owner_of(&a, tenant).as_str() {
        "node-a" => (&a, &b),
        "node-b" => (&b, &a),
        owner => panic!("the tenant moved to {owner}"),
    };
    let paused_pid = rustix::process::Pid::from_raw(paused.pid() as i32).unwrap();
    rustix::process::kill_process(paused_pid, rustix::process::Signal::STOP).unwrap();
    let paused_write = {
        let (base, token) = (paused.base.clone(), token.clone());
        let (paused_org, paused_iso) = (org.clone(), iso.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/certificates/"))
                .header("Authorization", format!("Token {token}"))
                .json(&serde_json::json!({"organization": paused_org, "certificate_type_id": paused_iso,
                    "certificate_number": "PAUSED-1", "expiry_date": "2030-01-01"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        })
    };
    holds(other, 64, "the other node takes every shard").await;
    rustix::process::kill_process(paused_pid, rustix::process::Signal::CONT).unwrap();
    let paused_status = paused_write.await.unwrap().unwrap_or(0);
    // The paused node comes back: it renews nothing (its leases moved at new epochs) and
    // takes a share again.
    holds(paused, 32, "the paused node takes a share again").await;
    writers
        .wait_for(10, "10 more certificates after the paused node came back")
        .await;
    let acked = writers.stop().await;

    let path = "/api/certificates/";
    let listed = every(&a, &token, path, "certificate_number").await;
    for name in &acked {
        assert!(
            listed.contains(name),
            "{name} was acknowledged and is missing"
        );
    }
    let written = listed.iter().any(|n| n == "PAUSED-1");
    assert_eq!(
        written,
        paused_status == 201,
        "the paused node's write: answered {paused_status}, written {written}"
    );
    // Through b as through a.
    assert_eq!(every(&b, &token, path, "certificate_number").await, listed);
    // Every certificate acknowledged was announced at least once, with one webhook-id
    // however often it was sent (a delivery cut off by the kill is sent again).
    let announced = |received: &[common::receiver::Received]| {
        let mut ids: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
            Default::default();
        for r in received {
            let number = r.body["data"]["certificate_number"].as_str().unwrap_or("");
            ids.entry(number.to_string())
                .or_default()
                .insert(r.id.clone());
        }
        ids
    };
    let ids = eventually_within(
        Duration::from_secs(180),
        "every certificate announced",
        async || {
            let ids = announced(&rx.received());
            acked.iter().all(|n| ids.contains_key(n)).then_some(ids)
        },
    )
    .await;
    for (number, sent_as) in &ids {
        assert_eq!(sent_as.len(), 1, "{number} was announced as {sent_as:?}");
    }
    // No actor failed on the node that took the tenants over. (On the paused node one may
    // have: PostgreSQL ends the session a paused node held in a transaction, and that
    // actor's next call fails — the failure the pause made.)
    let restarts = sample(&scraped(other).await, "certwatch_actor_restarts_total", &[]);
    assert_eq!(restarts, Some(0.0));
    eprintln!(
        "{} certificates acknowledged, {} webhooks received; the paused node's write answered {paused_status}",
        acked.len(),
        rx.received().len()
    );
}
