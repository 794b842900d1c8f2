//! PostgreSQL behind the engine boundary (`kv`): every tree in one table,
//! `kv(tree, key, value)`, keys compared byte by byte as sled compares them; transactions
//! are SERIALIZABLE and run again when PostgreSQL refuses one for a conflict, as sled runs
//! a conflicting one again.
//!
//! The store's operations are synchronous (sled answers from memory); the driver is async.
//! The engine owns a small runtime of its own and every call waits for its future there,
//! on a channel — which works from a blocking thread and from inside another runtime alike
//! (a `block_on` would panic there). Tested against a private server in
//! `tests/operations/postgres.rs`.

use std::collections::VecDeque;
use std::future::Future;
use std::ops::Bound;
use std::sync::Arc;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use crate::engine::error::StoreError;
use crate::engine::kv::{Bytes, Entry, Kv, Scan, TxBody, TxEnd, TxFault, TxView};
use crate::engine::trees::Tree;

/// The schema: one table for every tree, and the sequence ordered keys are drawn from.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS kv (
    tree text NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (tree, key)
);
CREATE SEQUENCE IF NOT EXISTS ids";

/// A record's value.
const GET: &str = "SELECT value FROM kv WHERE tree = $1 AND key = $2";

/// Writes a record.
const PUT: &str = "INSERT INTO kv (tree, key, value) VALUES ($1, $2, $3)
    ON CONFLICT (tree, key) DO UPDATE SET value = EXCLUDED.value";

/// Writes a record and answers the value it replaced, read in the same statement.
const REPLACE: &str = "WITH old AS (SELECT value FROM kv WHERE tree = $1 AND key = $2 FOR UPDATE),
    new AS (INSERT INTO kv (tree, key, value) VALUES ($1, $2, $3)
            ON CONFLICT (tree, key) DO UPDATE SET value = EXCLUDED.value)
    SELECT value FROM old";

/// Removes a record and answers its value.
const DELETE: &str = "DELETE FROM kv WHERE tree = $1 AND key = $2 RETURNING value";

/// `$1` (a tree's name) and the byte arguments after it, as the driver takes them.
fn params<'a>(name: &'a &'static str, args: &'a [Bytes]) -> Vec<&'a (dyn ToSql + Sync)> {
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![name];
    params.extend(args.iter().map(|a| a as &(dyn ToSql + Sync)));
    params
}

/// Records fetched per round trip of a scan.
const PAGE: i64 = 256;

/// How often a transaction PostgreSQL refused for a conflict is run again.
const ATTEMPTS: usize = 64;

/// Connections the engine keeps open.
const CONNECTIONS: usize = 16;

pub struct PgKv {
    pool: Pool,
    /// `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
}

/// A failure of the driver or the pool, as the store reports it.
fn storage(e: impl std::fmt::Display) -> StoreError {
    StoreError::Engine(e.to_string())
}

/// A driver error inside a transaction: a conflict PostgreSQL asks to retry, or a failure.
fn fault(e: tokio_postgres::Error) -> TxFault {
    match e.code() {
        Some(c)
            if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED =>
        {
            TxFault::Conflict
        }
        _ => TxFault::Storage(storage(e)),
    }
}

impl PgKv {
    /// Connects to `url` (`postgres://…`) and makes the schema.
    pub fn connect(url: &str) -> Result<PgKv, StoreError> {
        let config: tokio_postgres::Config = url.parse().map_err(storage)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("certwatch-postgres")
            .enable_all()
            .build()
            .map_err(storage)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(CONNECTIONS)
            .build()
            .map_err(storage)?;
        let kv = PgKv {
            pool,
            runtime: Some(runtime),
        };
        kv.run(|pool| async move {
            let client = pool.get().await.map_err(storage)?;
            client.batch_execute(SCHEMA).await.map_err(storage)
        })?;
        Ok(kv)
    }

    /// Runs `work` on the engine's runtime and waits for its answer.
    fn run<T, F, W>(&self, work: W) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StoreError>> + Send + 'static,
        W: FnOnce(Pool) -> F,
    {
        let runtime = self.runtime.as_ref().ok_or(StoreError::Closed)?;
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        let future = work(self.pool.clone());
        runtime.spawn(async move {
            let _ = answer.send(future.await);
        });
        answered.recv().map_err(|_| StoreError::Closed)?
    }

    /// One statement on `client` inside a transaction.
    fn on_client<T, F, W>(&self, client: &Arc<Object>, work: W) -> Result<T, TxFault>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, tokio_postgres::Error>> + Send + 'static,
        W: FnOnce(Arc<Object>) -> F,
    {
        let future = work(client.clone());
        match self.run(|_| async move { Ok(future.await) }) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(fault(e)),
            Err(e) => Err(TxFault::Storage(e)),
        }
    }

    /// One run of a transaction's body on `client`, committed if it ends well.
    fn attempt(&self, client: &Arc<Object>, trees: &[Tree], body: &TxBody) -> Result<(), TxEnd> {
        self.on_client(client, |c| async move {
            c.batch_execute("BEGIN ISOLATION LEVEL SERIALIZABLE").await
        })
        .map_err(TxEnd::Fault)?;
        body(&PgTx {
            kv: self,
            client,
            trees,
        })?;
        self.on_client(client, |c| async move { c.batch_execute("COMMIT").await })
            .map_err(TxEnd::Fault)
    }

    /// The next number of the database's sequence: monotonic for every node using it.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        self.number("SELECT nextval('ids')")
    }

    /// The bytes the records take, indexes included.
    pub fn size(&self) -> Result<u64, StoreError> {
        self.number("SELECT pg_total_relation_size('kv')")
    }

    /// The value one statement on `tree` answers, if any (`$1` is the tree, `args` follow).
    fn value_of(
        &self,
        sql: &'static str,
        tree: Tree,
        args: Vec<Bytes>,
    ) -> Result<Option<Bytes>, StoreError> {
        let name = tree.name();
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(storage)?;
            let statement = client.prepare_cached(sql).await.map_err(storage)?;
            let row = client
                .query_opt(&statement, &params(&name, &args))
                .await
                .map_err(storage)?;
            Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
        })
    }

    /// The one number `sql` answers.
    fn number(&self, sql: &'static str) -> Result<u64, StoreError> {
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(storage)?;
            let row = client.query_one(sql, &[]).await.map_err(storage)?;
            Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
        })
    }

    /// One page of `tree` between the bounds, ascending or (`back`) descending.
    fn page(
        &self,
        tree: Tree,
        from: &Bound<Bytes>,
        to: &Bound<Bytes>,
        back: bool,
    ) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
        let mut sql = String::from("SELECT key, value FROM kv WHERE tree = $1");
        let mut keys: Vec<Bytes> = Vec::new();
        for (bound, included, excluded) in [(from, ">=", ">"), (to, "<=", "<")] {
            let op = match bound {
                Bound::Included(k) => {
                    keys.push(k.clone());
                    included
                }
                Bound::Excluded(k) => {
                    keys.push(k.clone());
                    excluded
                }
                Bound::Unbounded => continue,
            };
            sql.push_str(&format!(" AND key {op} ${}", keys.len() + 1));
        }
        let order = if back { "DESC" } else { "ASC" };
        sql.push_str(&format!(" ORDER BY key {order} LIMIT {PAGE}"));
        let name = tree.name();
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(storage)?;
            let statement = client.prepare_cached(&sql).await.map_err(storage)?;
            let rows = client
                .query(&statement, &params(&name, &keys))
                .await
                .map_err(storage)?;
            Ok(rows
                .into_iter()
                .map(|r| (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1)))
                .collect())
        })
    }
}

impl Drop for PgKv {
    fn drop(&mut self) {
        // Dropping a runtime waits for its tasks, which a runtime's own thread may not do.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Kv for PgKv {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, StoreError> {
        self.value_of(GET, tree, vec![key.to_vec()])
    }

    fn scan(&self, tree: Tree, from: Bound<Bytes>, to: Bound<Bytes>) -> Scan<'_> {
        Scan::new(PgScan {
            kv: self,
            tree,
            from,
            to,
            front: VecDeque::new(),
            back: VecDeque::new(),
            failed: false,
        })
    }

    fn len(&self, tree: Tree) -> Result<usize, StoreError> {
        let name = tree.name();
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(storage)?;
            let row = client
                .query_one("SELECT count(*) FROM kv WHERE tree = $1", &[&name])
                .await
                .map_err(storage)?;
            Ok(usize::try_from(row.get::<_, i64>(0)).unwrap_or(0))
        })
    }

    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<Option<Bytes>, StoreError> {
        self.value_of(REPLACE, tree, vec![key.to_vec(), value.to_vec()])
    }

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, StoreError> {
        self.value_of(DELETE, tree, vec![key.to_vec()])
    }

    fn transact(&self, trees: &[Tree], body: &TxBody) -> Result<(), TxEnd> {
        for _ in 0..ATTEMPTS {
            let client = self
                .run(|pool| async move { pool.get().await.map_err(storage) })
                .map_err(|e| TxEnd::Fault(TxFault::Storage(e)))?;
            let client = Arc::new(client);
            let ended = self.attempt(&client, trees, body);
            if ended.is_err() {
                // Whatever was left open ends here, before the connection is reused.
                let _ = self.on_client(
                    &client,
                    |c| async move { c.batch_execute("ROLLBACK").await },
                );
            }
            match ended {
                Err(TxEnd::Fault(TxFault::Conflict)) => continue,
                other => return other,
            }
        }
        Err(TxEnd::Fault(TxFault::Conflict))
    }
}

/// The trees of one PostgreSQL transaction: statements on its one connection.
struct PgTx<'a> {
    kv: &'a PgKv,
    client: &'a Arc<Object>,
    trees: &'a [Tree],
}

impl PgTx<'_> {
    fn name(&self, tree: Tree) -> Result<&'static str, TxFault> {
        if self.trees.contains(&tree) {
            Ok(tree.name())
        } else {
            Err(TxFault::Storage(StoreError::Engine(format!(
                "{} is not part of this transaction",
                tree.name()
            ))))
        }
    }
}

impl PgTx<'_> {
    /// What one statement on `tree` answers in this transaction (`$1` is the tree).
    fn value_of(
        &self,
        sql: &'static str,
        tree: Tree,
        args: Vec<Bytes>,
    ) -> Result<Option<Bytes>, TxFault> {
        let name = self.name(tree)?;
        self.kv.on_client(self.client, |c| async move {
            let row = c.query_opt(sql, &params(&name, &args)).await?;
            Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
        })
    }
}

impl TxView for PgTx<'_> {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, TxFault> {
        self.value_of(GET, tree, vec![key.to_vec()])
    }

    fn insert(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), TxFault> {
        let (name, args) = (self.name(tree)?, vec![key.to_vec(), value.to_vec()]);
        self.kv.on_client(self.client, |c| async move {
            c.execute(PUT, &params(&name, &args)).await.map(|_| ())
        })
    }

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, TxFault> {
        self.value_of(DELETE, tree, vec![key.to_vec()])
    }
}

/// A scan read a page at a time from either end. What one end has fetched and not handed
/// out is where the other end's reads stop, so the two never hand out a record twice.
struct PgScan<'a> {
    kv: &'a PgKv,
    tree: Tree,
    /// The keys not yet fetched lie between these.
    from: Bound<Bytes>,
    to: Bound<Bytes>,
    /// Fetched, ascending: the front hands out from `front`'s start, then `back`'s.
    front: VecDeque<(Bytes, Bytes)>,
    back: VecDeque<(Bytes, Bytes)>,
    failed: bool,
}

impl PgScan<'_> {
    /// Fetches the next page from the front (or the back); false when nothing is left
    /// between the bounds.
    fn fetch(&mut self, back: bool) -> Result<bool, StoreError> {
        let page = self.kv.page(self.tree, &self.from, &self.to, back)?;
        let Some(last) = page.last() else {
            return Ok(false);
        };
        if back {
            self.to = Bound::Excluded(last.0.clone());
            for entry in page {
                self.back.push_front(entry);
            }
        } else {
            self.from = Bound::Excluded(last.0.clone());
            self.front.extend(page);
        }
        Ok(true)
    }

    fn take(&mut self, back: bool) -> Option<Entry> {
        if self.failed {
            return None;
        }
        loop {
            let ready = if back {
                self.back.pop_back()
            } else {
                self.front.pop_front()
            };
            if let Some(entry) = ready {
                return Some(Ok(entry));
            }
            match self.fetch(back) {
                Ok(true) => continue,
                // Nothing left between the bounds: what the other end fetched is next.
                Ok(false) => {
                    return if back {
                        self.front.pop_back().map(Ok)
                    } else {
                        self.back.pop_front().map(Ok)
                    };
                }
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl Iterator for PgScan<'_> {
    type Item = Entry;

    fn next(&mut self) -> Option<Entry> {
        self.take(false)
    }
}

impl DoubleEndedIterator for PgScan<'_> {
    fn next_back(&mut self) -> Option<Entry> {
        self.take(true)
    }
}
