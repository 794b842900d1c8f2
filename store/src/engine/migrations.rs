//! Bringing an older store up to this release's schema, one step at a time, when it is
//! opened. A step that changes a record's layout reads the old records by their format
//! byte (see `codec`), so a step cut short by a crash is finished at the next open without
//! reading a record twice.

use serde::{Deserialize, Serialize};

use crate::engine::codec::{
    LEGACY_FORMAT, RECORD_FORMAT, decode, decode_legacy, encode, format_of,
};
use crate::engine::error::StoreError;
use crate::engine::trees::{Tree, Trees};
use crate::tables::certificates::number_key;
use certwatch_domain::bulk::{Extracted, Field, Item, ItemStatus};

/// Version of the store layout this release reads and writes.
/// 1: the first layout. 2: `certs_by_number` keyed by the number's identity (case, spaces
/// and dashes folded) instead of its lower case. 3: bulk items list the other standards of
/// a combined certificate and the certificates filed for them (see `migrations`).
/// 4: tenants carry their expiry-digest settings, memberships the member's digest choice.
pub const SCHEMA_VERSION: u32 = 4;
pub(crate) const SCHEMA_KEY: &[u8] = b"schema_version";

pub(crate) fn read_schema(meta: &sled::Tree) -> Result<Option<u32>, StoreError> {
    match meta.get(SCHEMA_KEY)? {
        Some(v) => {
            let bytes: [u8; 4] = v
                .as_ref()
                .try_into()
                .map_err(|_| StoreError::Corrupt("schema_version is not 4 bytes".into()))?;
            Ok(Some(u32::from_be_bytes(bytes)))
        }
        None => Ok(None),
    }
}

/// Brings an older store up to [`SCHEMA_VERSION`], one step at a time; a new store is
/// stamped. Each step is safe to run again: the version is written only after the step's
/// writes are flushed, so a crash in the middle repeats the step at the next open.
pub(crate) fn migrate(trees: &Trees) -> Result<(), StoreError> {
    let meta = trees.get(Tree::Meta);
    let mut version = match read_schema(meta)? {
        Some(found) if found > SCHEMA_VERSION => {
            return Err(StoreError::NewerSchema {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Some(found) => found,
        None if trees.get(Tree::Tenants).is_empty() => SCHEMA_VERSION,
        // Data without a stamp predates stamping: the first layout.
        None => 1,
    };
    if version == 1 {
        rebuild_number_index(trees)?;
        version = 2;
    }
    if version == 2 {
        list_other_standards(trees.get(Tree::BulkItems))?;
        version = 3;
    }
    if version == 3 {
        add_digest_settings(trees)?;
        version = 4;
    }
    meta.insert(SCHEMA_KEY, &version.to_be_bytes())?;
    meta.flush()?;
    Ok(())
}

/// Schema 2: the certificate number index, keyed by each number's identity.
fn rebuild_number_index(trees: &Trees) -> Result<(), StoreError> {
    trees.get(Tree::CertsByNumber).clear()?;
    let mut batch = sled::Batch::default();
    for entry in trees.get(Tree::Certificates).iter() {
        let (_, value) = entry?;
        let cert: certwatch_domain::registry::Certificate = decode(&value)?;
        batch.insert(
            number_key(cert.tenant_id, &cert.certificate_number, cert.id),
            &[],
        );
    }
    trees.get(Tree::CertsByNumber).apply_batch(batch)?;
    trees.get(Tree::CertsByNumber).flush()?;
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
fn list_other_standards(items: &sled::Tree) -> Result<(), StoreError> {
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
    items.flush()?;
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
fn add_digest_settings(trees: &Trees) -> Result<(), StoreError> {
    use certwatch_domain::accounts::{Membership, Tenant};
    use certwatch_domain::digest::{DEFAULT_WINDOWS, Frequency};

    rewrite(trees.get(Tree::Tenants), |old: schema3::Tenant| Tenant {
        id: old.id,
        name: old.name,
        created_at: old.created_at,
        public_listing: old.public_listing,
        digest_frequency: Frequency::Daily,
        expiry_windows: DEFAULT_WINDOWS.to_vec(),
    })?;
    rewrite(trees.get(Tree::Memberships), |old: schema3::Membership| {
        Membership {
            tenant_id: old.tenant_id,
            user_id: old.user_id,
            role: old.role,
            created_at: old.created_at,
            digest: false,
        }
    })
}

/// Rewrites every record of `tree` an older release wrote, from its old layout `Old` to
/// the current one. Records already current are left alone, so a step cut short by a
/// crash resumes where it stopped.
fn rewrite<Old: serde::de::DeserializeOwned, New: Serialize>(
    tree: &sled::Tree,
    upgrade: impl Fn(Old) -> New,
) -> Result<(), StoreError> {
    for entry in tree.iter() {
        let (key, value) = entry?;
        if format_of(&value) == Some(RECORD_FORMAT) {
            continue;
        }
        tree.insert(key, encode(&upgrade(decode_legacy(&value)?)))?;
    }
    tree.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::engine::codec::encode_as;
    use chrono::Utc;
    use uuid::Uuid;

    #[tokio::test(flavor = "multi_thread")]
    async fn a_schema_2_store_gets_its_bulk_items_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let old = schema2::Item {
            id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            batch_id: Uuid::new_v4(),
            filename: "iso9001.pdf".into(),
            content_type: "application/pdf".into(),
            sha256: "ab".repeat(32),
            size: 1234,
            status: ItemStatus::Matched,
            extracted: schema2::Extracted {
                certificate_type_code: Some(Field {
                    value: "ISO_9001".into(),
                    confidence: 0.9,
                }),
                certificate_number: Some(Field {
                    value: "Q-1".into(),
                    confidence: 0.8,
                }),
                issuing_body: None,
                scope: None,
                issue_date: None,
                expiry_date: None,
                company_name: None,
                address: None,
                vat: None,
                lei: None,
                domains: vec!["acme.example".into()],
                method: "pdf-text".into(),
            },
            organization_id: Some(Uuid::new_v4()),
            match_reason: Some("vat".into()),
            certificate_id: Some(Uuid::new_v4()),
            reason: None,
            corrections: vec!["scope".into()],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let key = crate::engine::keys::pair(old.tenant_id, old.id);
        {
            let store = Store::open(dir.path()).unwrap();
            let trees = store.trees();
            let tenant = schema3::Tenant {
                id: old.tenant_id,
                name: "Buyer".into(),
                created_at: Utc::now(),
                public_listing: false,
            };
            trees
                .get(Tree::Tenants)
                .insert(
                    crate::engine::keys::id(tenant.id),
                    encode_as(&tenant, LEGACY_FORMAT),
                )
                .unwrap();
            trees
                .get(Tree::Meta)
                .insert(SCHEMA_KEY, &2u32.to_be_bytes())
                .unwrap();
            trees
                .get(Tree::BulkItems)
                .insert(key, encode_as(&old, LEGACY_FORMAT))
                .unwrap();
            store.flush().unwrap();
        }
        let store = crate::engine::handle::tests::open_when_free(dir.path())
            .await
            .unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let item: Item = crate::record(store.tree(Tree::BulkItems), &key)
            .unwrap()
            .unwrap();
        assert_eq!(item.filename, "iso9001.pdf");
        assert_eq!(item.certificate_id, old.certificate_id);
        assert_eq!(item.corrections, ["scope"]);
        assert_eq!(
            item.extracted
                .certificate_number
                .map(|f| f.value)
                .as_deref(),
            Some("Q-1")
        );
        assert_eq!(item.extracted.domains, ["acme.example"]);
        assert!(item.extracted.other_standards.is_empty() && item.other_certificate_ids.is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_schema_3_store_keeps_every_record_and_gets_digest_settings() {
        use certwatch_domain::accounts::{Membership, Role, Tenant};
        use certwatch_domain::digest::{DEFAULT_WINDOWS, Frequency};

        let dir = tempfile::tempdir().unwrap();
        let tenant = schema3::Tenant {
            id: Uuid::new_v4(),
            name: "Nordic Buyer".into(),
            created_at: Utc::now(),
            public_listing: true,
        };
        let member = schema3::Membership {
            tenant_id: tenant.id,
            user_id: Uuid::new_v4(),
            role: Role::Member,
            created_at: Utc::now(),
        };
        let before: Vec<(Tree, usize)>;
        {
            let store = Store::open(dir.path()).unwrap();
            let trees = store.trees();
            // Schema 3 wrote format 2 records.
            trees
                .get(Tree::Tenants)
                .insert(crate::engine::keys::id(tenant.id), encode_as(&tenant, 2))
                .unwrap();
            trees
                .get(Tree::Memberships)
                .insert(
                    crate::engine::keys::pair(tenant.id, member.user_id),
                    encode_as(&member, 2),
                )
                .unwrap();
            // Records of other kinds read the same in every format and stay as they are.
            for i in 0u8..50 {
                trees
                    .get(Tree::Events)
                    .insert([i], encode_as(&format!("event {i}"), 2))
                    .unwrap();
            }
            trees
                .get(Tree::Meta)
                .insert(SCHEMA_KEY, &3u32.to_be_bytes())
                .unwrap();
            before = Tree::ALL
                .iter()
                .map(|t| (*t, trees.get(*t).len()))
                .collect();
            store.flush().unwrap();
        }
        let store = crate::engine::handle::tests::open_when_free(dir.path())
            .await
            .unwrap();
        assert_eq!(store.schema_version().unwrap(), 4);
        let after: Vec<(Tree, usize)> = Tree::ALL
            .iter()
            .map(|t| (*t, store.tree(*t).len()))
            .collect();
        assert_eq!(after, before, "every record kept");
        let t: Tenant = crate::record(
            store.tree(Tree::Tenants),
            &crate::engine::keys::id(tenant.id),
        )
        .unwrap()
        .unwrap();
        assert_eq!((t.name.as_str(), t.public_listing), ("Nordic Buyer", true));
        assert_eq!(t.digest_frequency, Frequency::Daily);
        assert_eq!(t.expiry_windows, DEFAULT_WINDOWS);
        let m: Membership = crate::record(
            store.tree(Tree::Memberships),
            &crate::engine::keys::pair(tenant.id, member.user_id),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (m.role, m.digest, m.created_at),
            (Role::Member, false, member.created_at)
        );
        let e: String = crate::record(store.tree(Tree::Events), &[7])
            .unwrap()
            .unwrap();
        assert_eq!(e, "event 7");
    }
}
