//! The store on PostgreSQL (`CERTWATCH_STORE=postgres://…`), against a private server the
//! test starts: the engine's reads, scans and transactions as the tables use them, the
//! real binary keeping every acknowledged write through `kill -9`, and a sled data
//! directory moved into PostgreSQL (`certwatch migrate-store`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use certwatch_store::engine::keys;
use certwatch_store::engine::leases::{Held, SHARDS, shard_of};
use certwatch_store::engine::pg_kv::PgKv;
use certwatch_store::engine::trees::Tree;
use certwatch_store::engine::tx::{abort, transact};
use certwatch_store::{SCHEMA_VERSION, Store, StoreError};

use serde_json::json;

use crate::common::postgres::{PrivatePostgres, client, create_database};
use crate::common::{PASSWORD, copy_dir};
use crate::{
    Server, all, certificate_expiring_in, certwatch, checksum, create_supplier, download,
    revoked_history_comes_after, upload_document,
};

fn keys(scan: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>>) -> Vec<String> {
    scan.map(|e| String::from_utf8(e.unwrap().0).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn records_scans_and_transactions_on_postgresql() {
    let pg = PrivatePostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_postgres(&pg.url, &dir.path().join("data"), None).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let events = store.tree(Tree::Events);
    let other = store.tree(Tree::Tenants);
    // More records than a page, written out of key order.
    for i in (0..600).rev() {
        assert_eq!(events.insert(format!("a{i:04}"), [i as u8]).unwrap(), None);
    }
    events.insert("b", "x").unwrap();
    other.insert("a0001", "another tree").unwrap();
    assert_eq!(events.insert("b", "y").unwrap().as_deref(), Some(&b"x"[..]));
    assert_eq!(events.get("b").unwrap().as_deref(), Some(&b"y"[..]));
    assert_eq!(events.len().unwrap(), 601);

    // Several records in one read: in the order asked, a missing key as None, a key asked
    // twice answered twice, and nothing of another tree with the same key.
    let asked: Vec<Vec<u8>> = ["a0599", "zz", "a0001", "b", "a0599"]
        .map(|k| k.as_bytes().to_vec())
        .into();
    assert_eq!(
        events.get_many(&asked).unwrap(),
        [
            Some(vec![87]),
            None,
            Some(vec![1]),
            Some(b"y".to_vec()),
            Some(vec![87])
        ]
    );
    assert_eq!(events.get_many(&[]).unwrap(), Vec::<Option<Vec<u8>>>::new());

    let forward = keys(events.scan_prefix("a"));
    assert_eq!(forward.len(), 600);
    assert!(forward.windows(2).all(|w| w[0] < w[1]));
    let mut backward = keys(events.scan_prefix("a").rev());
    backward.reverse();
    assert_eq!(backward, forward);
    assert_eq!(
        keys(events.range(b"a0100".to_vec()..b"a0103".to_vec())),
        ["a0100", "a0101", "a0102"]
    );
    // Taken from both ends at once, every record comes out once.
    let mut both = events.scan_prefix("a");
    let mut seen = Vec::new();
    for step in 0.. {
        let next = if step % 3 == 0 {
            both.next_back()
        } else {
            both.next()
        };
        match next {
            Some(e) => seen.push(String::from_utf8(e.unwrap().0).unwrap()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, forward);
    assert_eq!(events.remove("b").unwrap().as_deref(), Some(&b"y"[..]));
    assert_eq!(events.remove("b").unwrap(), None);

    // An aborted transaction writes nothing, and its error is the caller's.
    let aborted = transact(&store, &[&[Tree::Events, Tree::Tenants]], |tx| {
        tx.insert(Tree::Events, b"c", b"1")?;
        abort::<(), _>(StoreError::Corrupt("refused".into()))
    });
    assert!(matches!(aborted, Err(StoreError::Corrupt(why)) if why == "refused"));
    assert_eq!(events.get("c").unwrap(), None);
    transact(&store, &[&[Tree::Events, Tree::Tenants]], |tx| {
        tx.insert::<StoreError>(Tree::Events, b"c", b"1")?;
        tx.remove(Tree::Tenants, b"a0001")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(events.get("c").unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(other.get("a0001").unwrap(), None);
    // A tree the transaction did not name is refused.
    let refused = transact(&store, &[&[Tree::Events]], |tx| {
        tx.get_raw::<StoreError>(Tree::Tenants, b"x")
    });
    assert!(matches!(refused, Err(StoreError::Engine(_))), "{refused:?}");
    // Ids keep rising across handles: they come from the database.
    let first = store.next_id().unwrap();
    drop(both);
    drop(store);
    let store = Store::open_postgres(&pg.url, &dir.path().join("data"), None).unwrap();
    assert!(store.next_id().unwrap() > first);
    assert_eq!(
        store.tree(Tree::Events).len().unwrap(),
        601,
        "a0000…a0599 and c"
    );
}

/// Every record of `tree`, in key order.
fn records_of(store: &Store, tree: Tree) -> Vec<(Vec<u8>, Vec<u8>)> {
    store.tree(tree).iter().map(Result::unwrap).collect()
}

/// A database an older release wrote is brought to this release's schema when a node opens
/// it, by the same steps as a sled store and to the same records. The older database is
/// the records of a schema-3 sled store (the fixture a release of 2026-11-23 wrote), loaded
/// as they are; two nodes opening it at once migrate it once, under the migration lock.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_an_older_release_wrote_is_migrated_on_postgresql_as_on_sled() {
    let pg = PrivatePostgres::start();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-2026-11-23");
    let dir = tempfile::tempdir().unwrap();
    let sled_dir = dir.path().join("sled");
    copy_dir(&fixture, &sled_dir.join("store"));
    let older: Vec<(Tree, Vec<u8>, Vec<u8>)> = {
        let db = sled::open(sled_dir.join("store")).unwrap();
        Tree::ALL
            .iter()
            .flat_map(|&tree| {
                let records: Vec<_> = db.open_tree(tree.name()).unwrap().iter().collect();
                records.into_iter().map(move |e| {
                    let (key, value) = e.unwrap();
                    (tree, key.to_vec(), value.to_vec())
                })
            })
            .collect()
    };
    assert!(older.iter().any(|(tree, _, _)| *tree == Tree::Tenants));
    PgKv::connect(&pg.url)
        .unwrap()
        .load(older.into_iter().map(Ok), 1_000_000)
        .unwrap();

    let on_sled = Store::open(&sled_dir).unwrap();
    assert_eq!(on_sled.schema_version().unwrap(), SCHEMA_VERSION);
    let key_file = sled_dir.join("secret.key");
    let nodes: Vec<_> = (0..2)
        .map(|i| {
            let (url, data, key_file) = (
                pg.url.clone(),
                dir.path().join(format!("node-{i}")),
                key_file.clone(),
            );
            tokio::task::spawn_blocking(move || Store::open_postgres(&url, &data, Some(&key_file)))
        })
        .collect();
    let mut opened = Vec::new();
    for node in nodes {
        opened.push(node.await.unwrap().unwrap());
    }
    for on_pg in &opened {
        assert_eq!(on_pg.schema_version().unwrap(), SCHEMA_VERSION);
    }
    for &tree in Tree::ALL.iter().filter(|t| **t != Tree::Meta) {
        assert_eq!(
            records_of(&opened[0], tree),
            records_of(&on_sled, tree),
            "{} after migrating",
            tree.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_transactions_on_postgresql_lose_nothing() {
    let pg = PrivatePostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_postgres(&pg.url, &dir.path().join("data"), None).unwrap());
    const THREADS: u32 = 4;
    const EACH: u32 = 25;
    // Every increment reads the counter and writes it back: SERIALIZABLE refuses the
    // losers of each race, and the engine runs them again.
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..EACH {
                    transact(&store, &[&[Tree::Meta]], |tx| {
                        let n = tx
                            .get_raw::<StoreError>(Tree::Meta, b"counter")?
                            .map_or(0, |v| u32::from_be_bytes(v.try_into().unwrap()));
                        tx.insert(Tree::Meta, b"counter", (n + 1).to_be_bytes())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(
        store.tree(Tree::Meta).get("counter").unwrap(),
        Some((THREADS * EACH).to_be_bytes().to_vec())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_on_postgresql_keeps_every_acknowledged_write_through_kill_9() {
    let pg = PrivatePostgres::start();
    let mut s = Server::start(&[("CERTWATCH_STORE", &pg.url)]);
    let (token, _) = s.signup("ops@postgres.example", "Postgres Buyer").await;
    let mut created = Vec::new();
    for i in 0..20 {
        created.push(
            create_supplier(&s, &token, &format!("Supplier {i}"))
                .await
                .unwrap(),
        );
    }
    s.kill9();
    s.start_again();
    // The session, the tenant and every supplier acknowledged are there.
    let listed: Vec<String> = all(&s, &token, "/api/organizations/")
        .await
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    for id in &created {
        assert!(listed.contains(id), "{id} lost");
    }
    // The records are in PostgreSQL: no sled store was made in the data directory.
    assert!(!s.data_dir.join("store").exists());
    // Its backups are PostgreSQL's: the service says so and writes no file.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pg.cwbackup");
    let backup = certwatch(&s.data_dir, &["backup", file.to_str().unwrap()]);
    assert!(!backup.status.success());
    assert!(
        String::from_utf8_lossy(&backup.stderr).contains("pg_dump"),
        "{backup:?}"
    );
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sled_data_directory_moves_into_postgresql_and_serves_the_same() {
    let pg = PrivatePostgres::start();
    let mut s = Server::start_on_sled(&[], |_| {});
    let (token, _) = s.signup("ops@moving.example", "Moving Buyer").await;
    // sled's id generator moves ahead at each start: the move must carry that past.
    for _ in 0..2 {
        s.restart();
    }
    let mut suppliers = Vec::new();
    for i in 0..5 {
        let org = create_supplier(&s, &token, &format!("Moved {i}"))
            .await
            .unwrap();
        certificate_expiring_in(&s, &token, &org, &format!("MV-{i}"), 400).await;
        suppliers.push(org);
    }
    let (document, item) = upload_document(
        &s,
        &token,
        "moved.pdf",
        &["ISO 9001 certificate", "Certificate No. MOVE-1"],
    )
    .await;
    let key = s
        .post("/api/auth/api-keys/", Some(&token), json!({"name": "ERP"}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    let certificates = all(&s, &token, "/api/certificates/").await;
    assert!(s.terminate().success());

    // The record checksum of the sled store, as its backup states it.
    let dir = tempfile::tempdir().unwrap();
    let backup = certwatch(
        &s.data_dir,
        &["backup", dir.path().join("b").to_str().unwrap()],
    );
    assert!(backup.status.success(), "{backup:?}");
    let move_into = |url: &str| {
        s.command()
            .arg("migrate-store")
            .arg(format!("--from=sled:{}", s.data_dir.display()))
            .arg(format!("--to={url}"))
            .output()
            .unwrap()
    };
    let moved = move_into(&pg.url);
    assert!(moved.status.success(), "{moved:?}");
    assert_eq!(checksum(&moved), checksum(&backup), "every record moved");
    // A database holding a tenant's records is not written into.
    let again = move_into(&pg.url);
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("records already"),
        "{again:?}"
    );

    // The same data directory (its files and key) served from PostgreSQL.
    let moved_dir = s.data_dir.clone();
    let r = Server::start_prepared(&[("CERTWATCH_STORE", &pg.url)], |dir| {
        std::fs::rename(&moved_dir, dir).unwrap();
    });
    assert_eq!(
        r.health().await.body["store"]["schema_version"],
        SCHEMA_VERSION
    );
    r.login("ops@moving.example", PASSWORD).await;
    assert_eq!(all(&r, &token, "/api/certificates/").await, certificates);
    for org in &suppliers {
        let got = r
            .get(&format!("/api/organizations/{org}/"), Some(&token))
            .await;
        assert_eq!(got.status, 200, "{:?}", got.body);
    }
    assert_eq!(download(&r, &token, &item).await, document);
    let v1 = r
        .http
        .get(format!("{}/api/v1/certificate/MV-3", r.base))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(v1.status(), 200, "the sealed API key opens on PostgreSQL");
    // What PostgreSQL numbers in sequence (a certificate's history) comes after what the
    // sled store had numbered.
    let cert = certificates[0]["id"].as_str().unwrap();
    revoked_history_comes_after(&r, &token, cert).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pg_dump_taken_under_a_running_server_restores_to_one_that_answers_the_same() {
    let pg = PrivatePostgres::start();
    let source = create_database(&pg.url, "source");
    let s = Server::start(&[("CERTWATCH_STORE", &source)]);
    let (token, _) = s.signup("ops@dump.example", "Dump Buyer").await;
    let org = create_supplier(&s, &token, "Dumped").await.unwrap();
    certificate_expiring_in(&s, &token, &org, "PG-1", 300).await;
    let (document, item) = upload_document(
        &s,
        &token,
        "dumped.pdf",
        &["ISO 9001 certificate", "Certificate No. DUMP-1"],
    )
    .await;
    let certificates = all(&s, &token, "/api/certificates/").await;

    // As docs/operations.md says: pg_dump of the database while the server runs, and the
    // data directory's files and key copied beside it.
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("certwatch.dump");
    let dumped = client("pg_dump")
        .args(["-Fc", "-f"])
        .arg(&dump)
        .arg(&source)
        .status()
        .unwrap();
    assert!(dumped.success());
    let copy = dir.path().join("data");
    std::fs::create_dir(&copy).unwrap();
    for kept in ["files", "secret.key"] {
        let copied = std::process::Command::new("cp")
            .arg("-a")
            .arg(s.data_dir.join(kept))
            .arg(&copy)
            .status()
            .unwrap();
        assert!(copied.success());
    }
    let restored = create_database(&pg.url, "restored");
    let loaded = client("pg_restore")
        .args(["--no-owner", "-d", &restored])
        .arg(&dump)
        .status()
        .unwrap();
    assert!(loaded.success());

    let r = Server::start_prepared(&[("CERTWATCH_STORE", &restored)], |dir| {
        std::fs::rename(&copy, dir).unwrap();
    });
    r.login("ops@dump.example", PASSWORD).await;
    assert_eq!(all(&r, &token, "/api/certificates/").await, certificates);
    assert_eq!(download(&r, &token, &item).await, document);
    // The sequence came with the dump: what the restored server numbers comes after.
    let cert = certificates[0]["id"].as_str().unwrap();
    revoked_history_comes_after(&r, &token, cert).await;
}

/// A tenant id whose records belong to `shard`.
fn tenant_in(shard: u16) -> uuid::Uuid {
    loop {
        let tenant = uuid::Uuid::new_v4();
        if shard_of(tenant) == shard {
            return tenant;
        }
    }
}

fn shards(held: &[Held]) -> Vec<u16> {
    held.iter().map(|h| h.shard).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn shards_spread_over_nodes_and_a_node_that_lost_its_lease_commits_nothing() {
    let pg = PrivatePostgres::start();
    let dir = tempfile::tempdir().unwrap();
    let open = |name: &str| Store::open_postgres(&pg.url, &dir.path().join(name), None).unwrap();
    let (a, b) = (open("a"), open("b"));
    let ttl = Duration::from_secs(2);
    let round = |store: &Store, node: &str| {
        store
            .postgres()
            .unwrap()
            .lease_round(node, &format!("{node}.internal:9000"), ttl)
            .unwrap()
    };
    let write = |store: &Store, tenant: uuid::Uuid, value: &[u8]| {
        store
            .tree(Tree::Organizations)
            .insert(keys::pair(tenant, tenant), value)
    };
    let read = |tenant: uuid::Uuid| {
        b.tree(Tree::Organizations)
            .get(keys::pair(tenant, tenant))
            .unwrap()
    };

    // Alone, a node takes every shard and writes any tenant's records.
    assert_eq!(shards(&round(&a, "a")), (0..SHARDS).collect::<Vec<_>>());
    let low = tenant_in(3);
    write(&a, low, b"first").unwrap();
    // A second node joins: the first gives back the upper half, the second takes it.
    assert!(round(&b, "b").is_empty(), "nothing is free yet");
    assert_eq!(shards(&round(&a, "a")), (0..32).collect::<Vec<_>>());
    let taken = round(&b, "b");
    assert_eq!(shards(&taken), (32..64).collect::<Vec<_>>());
    assert!(
        taken.iter().all(|h| h.epoch == 2),
        "taken a second time: {taken:?}"
    );
    let (nodes, leases) = a.postgres().unwrap().cluster(ttl).unwrap();
    assert_eq!(
        nodes
            .iter()
            .map(|n| (n.node.as_str(), n.shards))
            .collect::<Vec<_>>(),
        [("a", 32), ("b", 32)]
    );
    assert_eq!(leases[40].node.as_deref(), Some("b"));

    // A node writes only what its shards hold: the other node's tenant is refused whole.
    let high = tenant_in(40);
    let refused = transact(&a, &[&[Tree::Organizations, Tree::Events]], |tx| {
        tx.insert(Tree::Events, keys::pair(low, high), b"x")?;
        tx.insert(Tree::Organizations, keys::pair(high, high), b"x")
    });
    assert!(
        matches!(refused, Err(StoreError::NotOwner(40))),
        "{refused:?}"
    );
    assert_eq!(
        b.tree(Tree::Events).get(keys::pair(low, high)).unwrap(),
        None
    );
    write(&b, high, b"b's").unwrap();

    // The first node stops renewing (paused): once its leases expire the other takes
    // its shards, and what the first then writes for them is refused; nothing lands.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while round(&b, "b").len() < SHARDS as usize {
        assert!(
            std::time::Instant::now() < deadline,
            "b never took a's shards"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let late = write(&a, low, b"after the lease moved");
    assert!(matches!(late, Err(StoreError::LeaseLost(3))), "{late:?}");
    assert_eq!(read(low), Some(b"first".to_vec()));
    // Back, it takes a share again at a new epoch and writes as before.
    let again = round(&a, "a");
    assert!(
        again.is_empty(),
        "every shard is held by b until it gives some back"
    );
    let given = round(&b, "b");
    assert_eq!(given.len(), 32);
    let back = round(&a, "a");
    assert_eq!(shards(&back), (32..64).collect::<Vec<_>>());
    assert!(back.iter().all(|h| h.epoch == 3), "{back:?}");
    write(&a, high, b"a's again").unwrap();
    assert_eq!(read(high), Some(b"a's again".to_vec()));
}
