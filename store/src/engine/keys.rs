//! Key layouts. Tenant-owned keys start with the tenant id's 16 bytes, so "all X of tenant
//! T" is a prefix scan and no query can cross tenants by accident.
//!
//! | tree                 | key                         | value        |
//! |----------------------|-----------------------------|--------------|
//! | tenants              | tenant                      | Tenant       |
//! | users                | user                        | User         |
//! | users_by_email       | lower-case email            | user id      |
//! | memberships          | tenant ‖ user               | Membership   |
//! | memberships_by_user  | user ‖ tenant               | (empty)      |
//! | tokens               | sha256(key)                 | Token        |
//! | tokens_by_owner      | tenant ‖ user ‖ token id    | sha256(key)  |
//! | verifications        | sha256(token)               | Verification |
//! | invitations          | tenant ‖ invitation         | Invitation   |
//! | invitations_by_token | sha256(token)               | tenant ‖ invitation |
//! | organizations        | tenant ‖ organization       | Organization |
//! | org_by_external_id   | tenant ‖ lower(external_id) | organization id |
//! | sites                | tenant ‖ site               | Site         |
//! | sites_by_org         | tenant ‖ organization ‖ site | (empty)     |
//! | cert_types           | tenant ‖ type               | CertificateType |
//! | cert_type_by_code    | tenant ‖ code               | type id      |
//! | certificates         | tenant ‖ certificate        | Certificate  |
//! | certs_by_org         | tenant ‖ organization ‖ certificate | (empty) |
//! | certs_by_number      | tenant ‖ number_identity(number) ‖ 0 ‖ certificate | (empty) |
//! | events               | tenant ‖ sequence           | Event        |
//! | subscribers          | tenant ‖ subscriber         | Subscriber   |
//! | subscriptions        | tenant ‖ subscription       | Subscription |
//! | deliveries           | tenant ‖ delivery           | Delivery     |
//! | deliveries_by_time   | tenant ‖ micros ‖ delivery  | (empty)      |
//! | deliveries_due       | subscriber ‖ micros ‖ delivery | tenant    |
//! | expiry_notices       | tenant ‖ certificate        | days threshold last announced |
//! | api_keys             | sha256(cw_ key)             | ApiKey       |
//! | api_keys_by_tenant   | tenant ‖ key id             | sha256(cw_ key) |
//! | endpoints            | tenant ‖ endpoint           | Endpoint     |
//! | endpoints_by_org     | tenant ‖ organization ‖ endpoint | (empty) |
//! | endpoint_by_url      | tenant ‖ normalized url     | endpoint id  |
//! | scrape_logs          | tenant ‖ log                | ScrapeLog    |
//! | scrape_logs_by_time  | tenant ‖ micros ‖ log       | (empty)      |
//! | scrape_logs_by_endpoint | tenant ‖ endpoint ‖ micros ‖ log | (empty) |
//! | bulk_batches         | tenant ‖ batch              | Batch        |
//! | bulk_items           | tenant ‖ item               | Item         |
//! | bulk_items_by_batch  | tenant ‖ batch ‖ position ‖ item | (empty) |
//! | bulk_attempts        | tenant ‖ item               | starts (u32) |
//! | registration_claims  | sha256(verification token)  | RegistrationClaim |
//! | cert_history         | tenant ‖ certificate ‖ sequence | HistoryEntry |
//! | digest_notices       | tenant ‖ kind ‖ certificate or endpoint | what the digest said |
//! | digest_runs          | tenant                      | last digest's time |
//! | contacts             | tenant ‖ contact            | Contact      |
//! | contacts_by_org      | tenant ‖ organization ‖ contact | (empty)  |
//! | requirements         | tenant ‖ requirement        | Requirement  |
//! | cert_requests        | tenant ‖ request            | CertificateRequest |
//! | cert_requests_open   | tenant ‖ organization ‖ type | request id (while open) |
//! | cert_requests_by_token | sha256(link token)        | tenant ‖ request |
//! | compliance_states    | tenant ‖ organization       | overall state last announced |

use uuid::Uuid;

pub fn id(a: Uuid) -> [u8; 16] {
    *a.as_bytes()
}

/// tenant ‖ sequence number: records kept in the order they were written.
pub fn sequenced(tenant: Uuid, seq: u64) -> Vec<u8> {
    let mut k = id(tenant).to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

pub fn pair(a: Uuid, b: Uuid) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[..16].copy_from_slice(a.as_bytes());
    k[16..].copy_from_slice(b.as_bytes());
    k
}

pub fn triple(a: Uuid, b: Uuid, c: Uuid) -> Vec<u8> {
    let mut k = pair(a, b).to_vec();
    k.extend_from_slice(c.as_bytes());
    k
}

/// `tenant ‖ text` as an index key (text is lower-cased where lookups are case-insensitive).
pub fn text_key(tenant: Uuid, text: &str) -> Vec<u8> {
    let mut k = id(tenant).to_vec();
    k.extend_from_slice(text.as_bytes());
    k
}

/// `prefix ‖ micros ‖ id`: in time order, newest last, so listings scan in reverse.
pub fn time_key(prefix: &[u8], at: chrono::DateTime<chrono::Utc>, id: Uuid) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&at.timestamp_micros().max(0).to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

/// The uuid stored at `offset` of a composite key.
pub fn uuid_at(key: &[u8], offset: usize) -> Option<Uuid> {
    key.get(offset..offset + 16)
        .and_then(|b| Uuid::from_slice(b).ok())
}
