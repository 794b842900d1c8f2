//! One module per table: a record tree and its indexes. Each names its trees (`TREES`),
//! builds its keys, reads its records, and contributes its writes to a transaction. A
//! table never uses another; operations that span tables are the store's other modules.

pub mod api_keys;
pub mod bulk_batches;
pub mod bulk_items;
pub mod cert_history;
pub mod cert_requests;
pub mod cert_types;
pub mod cert_verifications;
pub mod certificates;
pub mod compliance_states;
pub mod contacts;
pub mod deliveries;
pub mod digests;
pub mod endpoints;
pub mod events;
pub mod expiry_notices;
pub mod import_runs;
pub mod invitations;
pub mod mail_accounts;
pub mod mail_messages;
pub mod memberships;
pub mod organizations;
pub mod password_resets;
pub mod register_accounts;
pub mod register_checks;
pub mod register_entities;
pub mod registration_claims;
pub mod requirements;
pub mod scrape_logs;
pub mod sites;
pub mod subscribers;
pub mod subscriptions;
pub mod tenants;
pub mod tokens;
pub mod users;
pub mod verifications;
