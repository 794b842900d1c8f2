//! The engine: what any store under CertWatch must give — named trees of keyed records,
//! transactions over several trees, prefix scans, group-committed durability, content-
//! addressed blobs (`files`) — and what is built on those alone: record encoding and keys,
//! the schema and its migrations, snapshots and backups, sealing secrets. sled is the
//! engine today. Nothing here knows a table or an operation: a second engine replaces this
//! room and leaves `tables/`, `ops/` and `catalog/` as they are. No code outside this room
//! names sled: operations end a transaction with `tx::abort` and hold scanned records as
//! `tx::Bytes`.

pub mod backup;
pub(crate) mod codec;
pub(crate) mod durability;
pub(crate) mod error;
pub mod files;
pub(crate) mod handle;
pub mod keys;
pub(crate) mod migrations;
pub(crate) mod open;
pub mod private;
pub mod sealed_records;
pub mod sealing;
pub mod secrets;
pub(crate) mod snapshot;
pub mod trees;
pub mod tx;
