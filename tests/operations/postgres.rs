//! The store on PostgreSQL (`CERTWATCH_STORE=postgres://…`), against a private server the
//! test starts: the engine's reads, scans and transactions as the tables use them, and the
//! real binary keeping every acknowledged write through `kill -9`.

use std::sync::Arc;

use certwatch_store::engine::trees::Tree;
use certwatch_store::engine::tx::{abort, transact};
use certwatch_store::{SCHEMA_VERSION, Store, StoreError};

use crate::common::postgres::PrivatePostgres;
use crate::{Server, all, certwatch, create_supplier};

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
