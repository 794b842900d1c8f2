//! Bringing an older store up to this release's schema, one step at a time, when it is
//! opened. A step that changes a record's layout reads the old records by their format
//! byte (see `codec`), so a step cut short by a crash is finished at the next open without
//! reading a record twice.

use serde::{Deserialize, Serialize};

use crate::engine::codec::{
    LEGACY_FORMAT, RECORD_FORMAT, decode, decode_legacy, encode, format_of,
};
use crate::engine::error::StoreError;
use crate::engine::kv::{Kv, TreeRef};
use crate::engine::trees::Tree;
use crate::tables::certificates::number_key;
use certwatch_domain::bulk::{Extracted, Field, Item, ItemStatus};

/// Version of the store layout this release reads and writes.
/// 1: the first layout. 2: `certs_by_number` keyed by the number's identity (case, spaces
/// and dashes folded) instead of its lower case. 3: bulk items list the other standards of
/// a combined certificate and the certificates filed for them (see `migrations`).
/// 4: tenants carry their expiry-digest settings, memberships the member's digest choice.
/// 5: organizations carry tags, tenants their reminder settings, bulk batches their origin.
pub const SCHEMA_VERSION: u32 = 5;
pub(crate) const SCHEMA_KEY: &[u8] = b"schema_version";

pub(crate) fn read_schema(meta: TreeRef) -> Result<Option<u32>, StoreError> {
    match meta.get(SCHEMA_KEY)? {
        Some(v) => {
            let bytes: [u8; 4] = v
                .as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("schema_version is not 4 bytes".into()))?;
            Ok(Some(u32::from_be_bytes(bytes)))
        }
        None => Ok(None),
    }
}

/// One migration step: brings every record of the schema it starts from to the next.
type Step = fn(&dyn Kv) -> Result<(), StoreError>;

/// Brings an older store up to [`SCHEMA_VERSION`], one step at a time, on either engine;
/// a new store is stamped. Each step is safe to run again and the version is written after
/// each step's writes are made durable (`flush`), so a crash in the middle repeats the step
/// at the next open. On PostgreSQL the caller holds the migration lock, so nodes starting
/// together migrate once (`PgKv::migrating`).
pub(crate) fn migrate(
    kv: &dyn Kv,
    flush: &dyn Fn() -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let meta = TreeRef::new(kv, Tree::Meta);
    let mut version = match read_schema(meta)? {
        Some(found) if found > SCHEMA_VERSION => {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(found) => found,
        None if TreeRef::new(kv, Tree::Tenants).is_empty()? => SCHEMA_VERSION,
        // Data without a stamp predates stamping: the first layout.
        None => 1,
    };
    let steps: [(u32, Step); 4] = [
        (1, rebuild_number_index),
        (2, list_other_standards),
        (3, add_digest_settings),
        (4, add_tags_and_reminders),
    ];
    for (from, step) in steps {
        if version == from {
            step(kv)?;
            flush()?;
            version = from + 1;
            meta.insert(SCHEMA_KEY, version.to_be_bytes())?;
        }
    }
    if read_schema(meta)? != Some(version) {
        meta.insert(SCHEMA_KEY, version.to_be_bytes())?;
    }
    flush()
}

/// Schema 2: the certificate number index, keyed by each number's identity.
fn rebuild_number_index(kv: &dyn Kv) -> Result<(), StoreError> {
    let index = TreeRef::new(kv, Tree::CertsByNumber);
    for key in index.iter().keys() {
        index.remove(key?)?;
    }
    for entry in TreeRef::new(kv, Tree::Certificates).iter() {
        let (_, value) = entry?;
        let cert: certwatch_domain::registry::Certificate = decode(&value)?;
        index.insert(
            number_key(cert.tenant_id, &cert.certificate_number, cert.id),
            [],
        )?;
    }
    Ok(())
}

/// Records as schema 2 wrote them, for the steps after it to read.
mod schema2 {
    use chrono::{DateTime, NaiveDate, Utc};
    use uuid::Uuid;

    use super::*;

    #[derive(Serialize, Deserialize)]
    pub struct Extracted {
        pub certificate_type_code: Option<Field<String>>,
        pub certificate_number: Option<Field<String>>,
        pub issuing_body: Option<Field<String>>,
        pub scope: Option<Field<String>>,
        pub issue_date: Option<Field<NaiveDate>>,
        pub expiry_date: Option<Field<NaiveDate>>,
        pub company_name: Option<Field<String>>,
        pub address: Option<Field<String>>,
        pub vat: Option<Field<String>>,
        pub lei: Option<Field<String>>,
        pub domains: Vec<String>,
        pub method: String,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Item {
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub batch_id: Uuid,
        pub filename: String,
        pub content_type: String,
        pub sha256: String,
        pub size: u64,
        pub status: ItemStatus,
        pub extracted: Extracted,
        pub organization_id: Option<Uuid>,
        pub match_reason: Option<String>,
        pub certificate_id: Option<Uuid>,
        pub reason: Option<String>,
        pub corrections: Vec<String>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }
}

/// Schema 3: a bulk item's extraction lists the other standards a combined certificate
/// names, and the item the certificates filed for them. Items read before knew of none.
fn list_other_standards(kv: &dyn Kv) -> Result<(), StoreError> {
    let items = TreeRef::new(kv, Tree::BulkItems);
    for entry in items.iter() {
        let (key, value) = entry?;
        if format_of(&value) != Some(LEGACY_FORMAT) {
            continue;
        }
        let old: schema2::Item = decode_legacy(&value)?;
        let e = old.extracted;
        let item = Item {
            id: old.id,
            tenant_id: old.tenant_id,
            batch_id: old.batch_id,
            filename: old.filename,
            content_type: old.content_type,
            sha256: old.sha256,
            size: old.size,
            status: old.status,
            extracted: Extracted {
                certificate_type_code: e.certificate_type_code,
                other_standards: Vec::new(),
                certificate_number: e.certificate_number,
                issuing_body: e.issuing_body,
                scope: e.scope,
                issue_date: e.issue_date,
                expiry_date: e.expiry_date,
                company_name: e.company_name,
                address: e.address,
                vat: e.vat,
                lei: e.lei,
                domains: e.domains,
                method: e.method,
            },
            organization_id: old.organization_id,
            match_reason: old.match_reason,
            certificate_id: old.certificate_id,
            other_certificate_ids: Vec::new(),
            reason: old.reason,
            corrections: old.corrections,
            created_at: old.created_at,
            updated_at: old.updated_at,
        };
        items.insert(key, encode(&item))?;
    }
    Ok(())
}

/// Tenants and memberships as schema 3 wrote them.
mod schema3 {
    use certwatch_domain::accounts::Role;
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::*;

    #[derive(Serialize, Deserialize)]
    pub struct Tenant {
        pub id: Uuid,
        pub name: String,
        pub created_at: DateTime<Utc>,
        pub public_listing: bool,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Membership {
        pub tenant_id: Uuid,
        pub user_id: Uuid,
        pub role: Role,
        pub created_at: DateTime<Utc>,
    }
}

/// Schema 4: every tenant gets the default digest (daily, 30/7/1 days), and no member has
/// asked for it yet (admins get it regardless).
fn add_digest_settings(kv: &dyn Kv) -> Result<(), StoreError> {
    use certwatch_domain::accounts::{Membership, Tenant};
    use certwatch_domain::digest::{DEFAULT_WINDOWS, Frequency};
    use certwatch_domain::requests::ReminderSettings;

    // Written straight in the current layout, which step 5 then leaves alone.
    rewrite(TreeRef::new(kv, Tree::Tenants), |old: schema3::Tenant| {
        Tenant {
            id: old.id,
            name: old.name,
            created_at: old.created_at,
            public_listing: old.public_listing,
            digest_frequency: Frequency::Daily,
            expiry_windows: DEFAULT_WINDOWS.to_vec(),
            reminders: ReminderSettings::default(),
        }
    })?;
    rewrite(
        TreeRef::new(kv, Tree::Memberships),
        |old: schema3::Membership| Membership {
            tenant_id: old.tenant_id,
            user_id: old.user_id,
            role: old.role,
            created_at: old.created_at,
            digest: false,
        },
    )
}

/// Tenants, organizations and bulk batches as schema 4 wrote them.
mod schema4 {
    use certwatch_domain::digest::Frequency;
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::*;

    #[derive(Serialize, Deserialize)]
    pub struct Tenant {
        pub id: Uuid,
        pub name: String,
        pub created_at: DateTime<Utc>,
        pub public_listing: bool,
        pub digest_frequency: Frequency,
        pub expiry_windows: Vec<u32>,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Batch {
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub status: certwatch_domain::bulk::BatchStatus,
        pub file_errors: Vec<String>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }

    #[derive(Serialize, Deserialize)]
    pub struct Organization {
        pub id: Uuid,
        pub tenant_id: Uuid,
        pub external_id: Option<String>,
        pub name: String,
        pub website: Option<String>,
        pub lei: Option<String>,
        pub vat: Option<String>,
        pub country: Option<String>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
    }
}

/// Schema 5: organizations have no tags yet, every tenant gets the default reminders (on;
/// 90, 60 and 30 days before expiry; weekly after it), and every batch so far was a
/// person's upload.
fn add_tags_and_reminders(kv: &dyn Kv) -> Result<(), StoreError> {
    use certwatch_domain::accounts::Tenant;
    use certwatch_domain::registry::Organization;
    use certwatch_domain::requests::ReminderSettings;

    rewrite(TreeRef::new(kv, Tree::Tenants), |old: schema4::Tenant| {
        Tenant {
            id: old.id,
            name: old.name,
            created_at: old.created_at,
            public_listing: old.public_listing,
            digest_frequency: old.digest_frequency,
            expiry_windows: old.expiry_windows,
            reminders: ReminderSettings::default(),
        }
    })?;
    rewrite(
        TreeRef::new(kv, Tree::Organizations),
        |old: schema4::Organization| Organization {
            id: old.id,
            tenant_id: old.tenant_id,
            external_id: old.external_id,
            name: old.name,
            website: old.website,
            lei: old.lei,
            vat: old.vat,
            country: old.country,
            tags: Vec::new(),
            created_at: old.created_at,
            updated_at: old.updated_at,
        },
    )?;
    rewrite(
        TreeRef::new(kv, Tree::BulkBatches),
        |old: schema4::Batch| certwatch_domain::bulk::Batch {
            id: old.id,
            tenant_id: old.tenant_id,
            status: old.status,
            file_errors: old.file_errors,
            origin: certwatch_domain::bulk::Origin::Upload,
            created_at: old.created_at,
            updated_at: old.updated_at,
        },
    )
}

/// Rewrites every record of `tree` an older release wrote, from its old layout `Old` to
/// the current one. Records already current are left alone, so a step cut short by a
/// crash resumes where it stopped.
fn rewrite<Old: serde::de::DeserializeOwned, New: Serialize>(
    tree: TreeRef,
    upgrade: impl Fn(Old) -> New,
) -> Result<(), StoreError> {
    for entry in tree.iter() {
        let (key, value) = entry?;
        if format_of(&value) == Some(RECORD_FORMAT) {
            continue;
        }
        tree.insert(key, encode(&upgrade(decode_legacy(&value)?)))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
