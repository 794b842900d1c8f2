//! The embedded store: sled trees of bincode records, tenant-prefixed keys, secondary
//! indexes, a `meta` tree with the schema version, and group-committed durability.
//!
//! `tables/` holds one module per table (a record tree and its indexes): its keys, its
//! reads, and the writes it contributes to a transaction ([`tx`]). Tables never use each
//! other. The modules beside them are the operations the owning actors call: each checks
//! what a write needs against the stored data, changes the tables it names in one
//! transaction, and keeps the tenant's in-memory [`catalog`] in step. Writers then call
//! [`Store::commit`] before acknowledging.

pub mod accounts;
pub mod backup;
pub mod bulk;
pub mod catalog;
pub mod certificate_types;
pub mod certificate_writes;
pub mod certificates;
mod codec;
pub mod digests;
pub mod duplicates;
mod durability;
pub mod endpoints;
mod error;
pub mod events;
pub mod expiry;
pub mod fan_out;
pub mod files;
mod handle;
pub mod import;
pub mod invitations;
pub mod keys;
pub mod members;
mod migrations;
mod open;
pub mod organizations;
pub mod password_resets;
pub mod private;
pub mod retention;
pub mod scrapes;
pub mod sealing;
pub mod secrets;
pub mod sites;
mod snapshot;
pub mod subscribers;
pub mod subscriptions;
mod supplier_index;
pub mod tables;
pub mod tokens;
pub mod trees;
pub mod tx;

pub use codec::{decode, encode};
pub use error::{AccountError, RegistryError, StoreError};
pub use fan_out::{Woke, Written};
pub use handle::Store;
pub(crate) use handle::{digest_keys_where, record, records};
pub use migrations::SCHEMA_VERSION;
