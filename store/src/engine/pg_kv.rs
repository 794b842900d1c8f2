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

use std::cell::RefCell;
use std::collections::VecDeque;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::ops::Bound;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;

use crate::engine::error::StoreError;
use crate::engine::kv::{Bytes, Entry, Kv, Scan, TxBody, TxEnd, TxFault, TxView};
use crate::engine::pg_fence::{self, Fence, shard_of_key};
use crate::engine::trees::Tree;

/// The schema: one table for every tree, the sequence ordered keys are drawn from, and the
/// rate limits' budgets (`pg_limits`; UNLOGGED: a budget need not survive the database's
/// crash); the lease tables follow (`pg_fence`). Made under an advisory lock, so nodes
/// starting together do not race to make it.
const SCHEMA: &str = "SELECT pg_advisory_xact_lock(20261206);
CREATE TABLE IF NOT EXISTS kv (
    tree text NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (tree, key)
);
CREATE SEQUENCE IF NOT EXISTS ids;
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limits (
    key text PRIMARY KEY,
    tat timestamptz NOT NULL
);";

/// The advisory lock a node holds while it migrates the schema (`PgKv::migrating`).
const MIGRATION_LOCK: i64 = 20_261_207;

/// How long PostgreSQL lets a session sit inside a transaction without a statement before
/// ending it: well under a lease (`leases::LEASE_TTL`), so a node paused mid-transaction
/// cannot hold a lease row's lock, or commit, past its lease.
const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(5);

/// A record's value.
const GET: &str = "SELECT value FROM kv WHERE tree = $1 AND key = $2";

/// The records at several keys (`$2`, an array), in no particular order.
const GET_MANY: &str = "SELECT key, value FROM kv WHERE tree = $1 AND key = ANY($2::bytea[])";

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

/// Writes a batch of records: trees, keys and values as three arrays.
const LOAD: &str = "INSERT INTO kv (tree, key, value)
    SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[])";

/// Records written per round trip of [`PgKv::load`].
pub const LOAD_BATCH: usize = 1_000;

/// `$1` (a tree's name) and the byte arguments after it, as the driver takes them.
fn params<'a>(name: &'a &'static str, args: &'a [Bytes]) -> Vec<&'a (dyn ToSql + Sync)> {
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![name];
    params.extend(args.iter().map(|a| a as &(dyn ToSql + Sync)));
    params
}

/// One argument of a query, owned, as the driver takes it.
type Arg = Box<dyn ToSql + Sync + Send>;

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
    /// The leases this node holds, once it takes part in leasing (`pg_fence`): every
    /// write of a tenant's record is then checked against them.
    fence: RwLock<Option<Fence>>,
}

/// A failure of the driver or the pool, as the store reports it.
pub(crate) fn storage(e: impl std::fmt::Display) -> StoreError {
    StoreError::Engine(e.to_string())
}

/// A failure inside a transaction no conflict retry is tried for, as the store reports it.
fn from_fault(fault: TxFault) -> StoreError {
    match fault {
        TxFault::Conflict => StoreError::Conflict,
        TxFault::Storage(e) => e,
    }
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
        let mut config: tokio_postgres::Config = url.parse().map_err(storage)?;
        config.options(format!(
            "-c idle_in_transaction_session_timeout={}",
            IDLE_IN_TRANSACTION.as_millis()
        ));
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
            fence: RwLock::new(None),
        };
        let schema = format!("BEGIN; {SCHEMA} {} COMMIT;", pg_fence::schema());
        kv.run(|pool| async move {
            let client = pool.get().await.map_err(storage)?;
            client.batch_execute(&schema).await.map_err(storage)
        })?;
        Ok(kv)
    }

    /// Runs `work` on the engine's runtime and waits for its answer.
    pub(crate) fn run<T, F, W>(&self, work: W) -> Result<T, StoreError>
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
        let tx = PgTx {
            kv: self,
            client,
            trees,
            shards: RefCell::new(BTreeSet::new()),
        };
        body(&tx)?;
        let shards = tx.shards.into_inner();
        if let Some(fence) = self.fence().filter(|_| !shards.is_empty()) {
            self.on_client(client, |c| pg_fence::check(c, fence, shards))
                .map_err(TxEnd::Fault)?
                .map_err(|e| TxEnd::Fault(TxFault::Storage(e)))?;
        }
        self.on_client(client, |c| async move { c.batch_execute("COMMIT").await })
            .map_err(TxEnd::Fault)
    }

    /// The leases this node holds, when it takes part in leasing.
    fn fence(&self) -> Option<Fence> {
        self.fence.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn set_fence(&self, fence: Fence) {
        *self.fence.write().unwrap_or_else(|e| e.into_inner()) = Some(fence);
    }

    /// Whether a single write of `tree`'s `key` must be a transaction, to pass the fence.
    fn fenced(&self, tree: Tree, key: &[u8]) -> bool {
        shard_of_key(tree, key).is_some() && self.fence().is_some()
    }

    /// A single write run as a transaction, so it passes the fence: the value it replaced.
    fn fenced_write(
        &self,
        tree: Tree,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<Option<Bytes>, StoreError> {
        let old = std::sync::Mutex::new(None);
        let ran = self.transact(&[tree], &|tx| {
            let before = tx.get(tree, key).map_err(TxEnd::Fault)?;
            match value {
                Some(v) => tx.insert(tree, key, v),
                None => tx.remove(tree, key).map(|_| ()),
            }
            .map_err(TxEnd::Fault)?;
            *old.lock().unwrap_or_else(|e| e.into_inner()) = before;
            Ok(())
        });
        match ran {
            Ok(()) => Ok(old.into_inner().unwrap_or_else(|e| e.into_inner())),
            Err(TxEnd::Fault(TxFault::Storage(e))) => Err(e),
            Err(_) => Err(StoreError::Conflict),
        }
    }

    /// Runs `work` (the schema's migration) holding the database's migration lock, so of
    /// several nodes starting together one migrates and the others, once it is done, find
    /// the store current. The lock is a session's: it ends with the connection if this
    /// process dies.
    pub(crate) fn migrating<T>(
        &self,
        work: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let client = Arc::new(self.run(|pool| async move { pool.get().await.map_err(storage) })?);
        self.on_client(&client, |c| async move {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .await
        })
        .map_err(from_fault)?;
        let done = work();
        self.on_client(&client, |c| async move {
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                .await
        })
        .map_err(from_fault)?;
        done
    }

    /// The next number of the database's sequence: monotonic for every node using it.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        self.number("SELECT nextval('ids')")
    }

    /// Writes `records` (tree, key, value) into a database that holds no records of a
    /// tenant yet, in one transaction, with the sequence raised so its next id is above
    /// `ids_above`: all of them or, on any failure, none. The records come in batches of
    /// [`LOAD_BATCH`], a round trip each.
    pub fn load(
        &self,
        records: impl Iterator<Item = Result<(Tree, Bytes, Bytes), StoreError>>,
        ids_above: u64,
    ) -> Result<u64, StoreError> {
        let client = Arc::new(self.run(|pool| async move { pool.get().await.map_err(storage) })?);
        let loaded = self.load_on(&client, records, ids_above);
        if loaded.is_err() {
            let _ = self.on_client(
                &client,
                |c| async move { c.batch_execute("ROLLBACK").await },
            );
        }
        loaded
    }

    fn load_on(
        &self,
        client: &Arc<Object>,
        records: impl Iterator<Item = Result<(Tree, Bytes, Bytes), StoreError>>,
        ids_above: u64,
    ) -> Result<u64, StoreError> {
        let statement = |sql: &'static str| {
            self.on_client(client, move |c| async move { c.batch_execute(sql).await })
                .map_err(from_fault)
        };
        statement("BEGIN ISOLATION LEVEL SERIALIZABLE")?;
        let held = self
            .on_client(client, |c| async move {
                c.query_one("SELECT count(*) FROM kv WHERE tree <> 'meta'", &[])
                    .await
            })
            .map_err(from_fault)?
            .get::<_, i64>(0);
        if held > 0 {
            return Err(StoreError::Engine(format!(
                "the database holds {held} records already; move into a new database"
            )));
        }
        // A new database was stamped with this release's schema when it was opened; the
        // moved store's own stamp replaces it.
        statement("DELETE FROM kv WHERE tree = 'meta'")?;
        let mut loaded = 0;
        let mut batch: Vec<(Tree, Bytes, Bytes)> = Vec::with_capacity(LOAD_BATCH);
        let mut records = records.peekable();
        while records.peek().is_some() {
            batch.clear();
            for record in records.by_ref().take(LOAD_BATCH) {
                batch.push(record?);
            }
            let names: Vec<&'static str> = batch.iter().map(|(t, _, _)| t.name()).collect();
            let keys: Vec<Bytes> = batch.iter().map(|(_, k, _)| k.clone()).collect();
            let values: Vec<Bytes> = batch.iter().map(|(_, _, v)| v.clone()).collect();
            loaded += self
                .on_client(client, move |c| async move {
                    c.execute(LOAD, &[&names, &keys, &values]).await
                })
                .map_err(from_fault)?;
        }
        let next = i64::try_from(ids_above.max(1)).map_err(|_| {
            StoreError::Corrupt(format!("id {ids_above} is past PostgreSQL's sequence"))
        })?;
        self.on_client(client, move |c| async move {
            c.execute("SELECT setval('ids', $1)", &[&next]).await
        })
        .map_err(from_fault)?;
        statement("COMMIT")?;
        Ok(loaded)
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
        let mut args: Vec<Arg> = vec![Box::new(tree.name())];
        args.extend(keys.into_iter().map(|k| Box::new(k) as Arg));
        self.key_values(sql, args)
    }

    /// The (key, value) rows one query answers, with its arguments in order.
    fn key_values(&self, sql: String, args: Vec<Arg>) -> Result<Vec<(Bytes, Bytes)>, StoreError> {
        self.run(move |pool| async move {
            let client = pool.get().await.map_err(storage)?;
            let statement = client.prepare_cached(&sql).await.map_err(storage)?;
            let params: Vec<&(dyn ToSql + Sync)> = args
                .iter()
                .map(|a| a.as_ref() as &(dyn ToSql + Sync))
                .collect();
            let rows = client.query(&statement, &params).await.map_err(storage)?;
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

    fn get_many(&self, tree: Tree, keys: &[Bytes]) -> Result<Vec<Option<Bytes>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let found: HashMap<Bytes, Bytes> = self
            .key_values(
                GET_MANY.to_string(),
                vec![Box::new(tree.name()), Box::new(keys.to_vec())],
            )?
            .into_iter()
            .collect();
        // A key asked for twice gets its record twice.
        Ok(keys.iter().map(|key| found.get(key).cloned()).collect())
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
        if self.fenced(tree, key) {
            return self.fenced_write(tree, key, Some(value));
        }
        self.value_of(REPLACE, tree, vec![key.to_vec(), value.to_vec()])
    }

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, StoreError> {
        if self.fenced(tree, key) {
            return self.fenced_write(tree, key, None);
        }
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
    /// The shards of the tenant records it writes, checked against the fence at commit.
    shards: RefCell<BTreeSet<u16>>,
}

impl PgTx<'_> {
    /// Notes the shard a write of `tree`'s `key` belongs to.
    fn writes(&self, tree: Tree, key: &[u8]) {
        if let Some(shard) = shard_of_key(tree, key) {
            self.shards.borrow_mut().insert(shard);
        }
    }

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
        self.writes(tree, key);
        self.kv.on_client(self.client, |c| async move {
            c.execute(PUT, &params(&name, &args)).await.map(|_| ())
        })
    }

    fn remove(&self, tree: Tree, key: &[u8]) -> Result<Option<Bytes>, TxFault> {
        self.writes(tree, key);
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
