//! The embedded store, in four rooms:
//!
//! - [`engine`]: trees, transactions, prefix scans, durability, blobs, and what is built on
//!   them alone (encoding, keys, migrations, snapshots, backups, sealing) — the boundary a
//!   second engine plugs into;
//! - [`tables`]: one module per table (a record tree and its indexes): its keys, its reads,
//!   and the writes it contributes to a transaction. Tables never use each other;
//! - [`ops`]: the operations the owning actors call, over tables, in one transaction each;
//! - [`catalog`]: each tenant's in-memory index (lists, search, supplier matching), kept in
//!   step by the operations.
//!
//! Writers call [`Store::commit`] before acknowledging.

pub mod catalog;
pub mod engine;
pub mod ops;
pub mod tables;

pub use engine::codec::{decode, encode};
pub use engine::error::{AccountError, RegistryError, StoreError};
pub use engine::handle::Store;
pub(crate) use engine::handle::{digest_keys_where, record, records, records_at};
pub use engine::migrations::SCHEMA_VERSION;
pub use ops::fan_out::{Woke, Written};
