//! The operations the owning actors call, one file per area: each checks what a write needs
//! against the stored data, changes the tables it names in one transaction
//! (`engine::tx::transact`), records the events it causes with their deliveries
//! (`fan_out`), and keeps the tenant's in-memory catalog in step. Operations use tables and
//! the engine, never another operation's internals.

pub mod accounts;
pub mod bulk;
pub mod certificate_types;
pub mod certificate_writes;
pub mod certificates;
pub mod compliance;
pub mod contacts;
pub mod digests;
pub mod duplicates;
pub mod endpoints;
pub mod events;
pub mod expiry;
pub mod fan_out;
pub mod import;
pub mod invitations;
pub mod mail;
pub mod members;
pub mod organizations;
pub mod password_resets;
pub mod registers;
pub mod reminders;
pub mod requests;
pub mod requirements;
pub mod retention;
pub mod scrapes;
pub mod sites;
pub mod subscribers;
pub mod subscriptions;
pub mod supplier_uploads;
pub mod tokens;
