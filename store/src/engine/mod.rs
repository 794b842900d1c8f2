//! The engine: what any store under CertWatch must give — named trees of keyed records,
//! transactions over several trees, ordered scans, group-committed durability, content-
//! addressed blobs (`files`) — and what is built on those alone: record encoding and keys,
//! the schema and its migrations, snapshots and backups, sealing secrets. Nothing here knows
//! a table or an operation. The tables reach the engine only through `kv` (`Store::tree`'s
//! `TreeRef`, `tx::transact`'s `Tx`), which sled implements in `sled_kv` and PostgreSQL in
//! `pg_kv` (`Store::open_at` chooses). Migrations, backups, snapshots and group commit are
//! sled's alone and use it directly, here and nowhere else; `moving` copies a sled store
//! into PostgreSQL.

pub mod backup;
pub(crate) mod codec;
pub(crate) mod durability;
pub(crate) mod error;
pub mod files;
pub(crate) mod handle;
pub mod keys;
pub mod kv;
pub mod leases;
pub(crate) mod migrations;
pub mod moving;
pub(crate) mod open;
pub(crate) mod pg_fence;
pub mod pg_kv;
pub mod pg_leases;
pub mod pg_limits;
pub mod private;
pub mod sealed_records;
pub mod sealing;
pub mod secrets;
pub(crate) mod sled_kv;
pub(crate) mod snapshot;
pub mod trees;
pub mod tx;
