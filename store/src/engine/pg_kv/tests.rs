use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;
use crate::engine::kv::TreeRef;

/// A PostgreSQL of the test's own: initdb in a temporary directory, started on a free
/// loopback port, stopped when dropped. The distribution's binaries run as the `postgres`
/// user when the test runs as root (PostgreSQL refuses to run as root).
pub(crate) struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub url: String,
}

fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .map(|v| v.join("bin"))
        .expect("PostgreSQL is installed (.ci/run installs postgresql)")
}

fn as_postgres(bin: &Path, program: &str) -> Command {
    let root = rustix::process::geteuid().is_root();
    let mut c = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    };
    c.stdout(std::process::Stdio::null());
    c
}

impl PrivatePostgres {
    pub(crate) fn start() -> PrivatePostgres {
        let dir = tempfile::tempdir().unwrap();
        if rustix::process::geteuid().is_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(owned.success());
        }
        let bin = bin_dir();
        let data = dir.path().join("data");
        let made = as_postgres(&bin, "initdb")
            .args(["-A", "trust", "-U", "certwatch", "--no-sync", "-D"])
            .arg(&data)
            .status()
            .unwrap();
        assert!(made.success(), "initdb");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.path().display()
        );
        let started = as_postgres(&bin, "pg_ctl")
            .args(["-w", "-t", "120", "-o", &options, "-l"])
            .arg(dir.path().join("log"))
            .arg("-D")
            .arg(&data)
            .arg("start")
            .status()
            .unwrap();
        assert!(started.success(), "pg_ctl start");
        PrivatePostgres {
            url: format!("postgres://certwatch@127.0.0.1:{port}/postgres"),
            dir,
            bin,
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin, "pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .status();
    }
}

fn keys(scan: impl Iterator<Item = Entry>) -> Vec<String> {
    scan.map(|e| String::from_utf8(e.unwrap().0).unwrap())
        .collect()
}

#[test]
fn records_scans_and_transactions_on_postgresql() {
    let pg = PrivatePostgres::start();
    let kv = PgKv::connect(&pg.url).unwrap();
    let events = TreeRef::new(&kv, Tree::Events);
    let other = TreeRef::new(&kv, Tree::Tenants);
    // More records than a page, in an order that is not the key order.
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

    // An aborted transaction writes nothing; a committed one all of it.
    let aborted = kv.transact(&[Tree::Events, Tree::Tenants], &|tx| {
        tx.insert(Tree::Events, b"c", b"1").map_err(TxEnd::Fault)?;
        Err(TxEnd::Aborted)
    });
    assert!(matches!(aborted, Err(TxEnd::Aborted)));
    assert_eq!(events.get("c").unwrap(), None);
    kv.transact(&[Tree::Events, Tree::Tenants], &|tx| {
        tx.insert(Tree::Events, b"c", b"1").map_err(TxEnd::Fault)?;
        tx.remove(Tree::Tenants, b"a0001").map_err(TxEnd::Fault)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(events.get("c").unwrap().as_deref(), Some(&b"1"[..]));
    assert_eq!(other.get("a0001").unwrap(), None);
    // A tree the transaction did not name is refused.
    let refused = kv.transact(&[Tree::Events], &|tx| {
        tx.get(Tree::Tenants, b"x").map_err(TxEnd::Fault)?;
        Ok(())
    });
    assert!(matches!(refused, Err(TxEnd::Fault(TxFault::Storage(_)))));
}

#[test]
fn concurrent_transactions_are_serialized_and_none_is_lost() {
    let pg = PrivatePostgres::start();
    let kv = Arc::new(PgKv::connect(&pg.url).unwrap());
    const THREADS: u32 = 4;
    const EACH: u32 = 25;
    let increment = |kv: &PgKv| {
        kv.transact(&[Tree::Meta], &|tx| {
            let n = tx
                .get(Tree::Meta, b"counter")
                .map_err(TxEnd::Fault)?
                .map_or(0, |v| u32::from_be_bytes(v.try_into().unwrap()));
            tx.insert(Tree::Meta, b"counter", &(n + 1).to_be_bytes())
                .map_err(TxEnd::Fault)
        })
        .unwrap()
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let kv = kv.clone();
            std::thread::spawn(move || {
                for _ in 0..EACH {
                    increment(&kv);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let counter = TreeRef::new(kv.as_ref(), Tree::Meta)
        .get("counter")
        .unwrap();
    assert_eq!(counter, Some((THREADS * EACH).to_be_bytes().to_vec()));
}

/// The engine answers from inside a tokio runtime too (the actors call the store there).
#[tokio::test]
async fn answers_inside_a_runtime() {
    let pg = PrivatePostgres::start();
    let kv = PgKv::connect(&pg.url).unwrap();
    TreeRef::new(&kv, Tree::Meta).insert("k", "v").unwrap();
    assert_eq!(
        TreeRef::new(&kv, Tree::Meta).get("k").unwrap().as_deref(),
        Some(&b"v"[..])
    );
    drop(kv);
}
