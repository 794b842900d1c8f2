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
        let trees = store.trees().unwrap();
        let tenant = schema3::Tenant {
            id: old.tenant_id,
            name: "Buyer".into(),
            created_at: Utc::now(),
            public_listing: false,
        };
        trees
            .sled_tree(Tree::Tenants)
            .insert(
                crate::engine::keys::id(tenant.id),
                encode_as(&tenant, LEGACY_FORMAT),
            )
            .unwrap();
        trees
            .sled_tree(Tree::Meta)
            .insert(SCHEMA_KEY, &2u32.to_be_bytes())
            .unwrap();
        trees
            .sled_tree(Tree::BulkItems)
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
        let trees = store.trees().unwrap();
        // Schema 3 wrote format 2 records.
        trees
            .sled_tree(Tree::Tenants)
            .insert(crate::engine::keys::id(tenant.id), encode_as(&tenant, 2))
            .unwrap();
        trees
            .sled_tree(Tree::Memberships)
            .insert(
                crate::engine::keys::pair(tenant.id, member.user_id),
                encode_as(&member, 2),
            )
            .unwrap();
        // Records of other kinds read the same in every format and stay as they are.
        for i in 0u8..50 {
            trees
                .sled_tree(Tree::Events)
                .insert([i], encode_as(&format!("event {i}"), 2))
                .unwrap();
        }
        trees
            .sled_tree(Tree::Meta)
            .insert(SCHEMA_KEY, &3u32.to_be_bytes())
            .unwrap();
        before = Tree::ALL
            .iter()
            .map(|t| (*t, trees.sled_tree(*t).len()))
            .collect();
        store.flush().unwrap();
    }
    let store = crate::engine::handle::tests::open_when_free(dir.path())
        .await
        .unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let after: Vec<(Tree, usize)> = Tree::ALL
        .iter()
        .map(|t| (*t, store.tree(*t).len().unwrap()))
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

#[tokio::test(flavor = "multi_thread")]
async fn a_schema_4_store_gets_tags_and_reminders() {
    use certwatch_domain::accounts::Tenant;
    use certwatch_domain::digest::Frequency;
    use certwatch_domain::registry::Organization;
    use certwatch_domain::requests::ReminderSettings;

    let dir = tempfile::tempdir().unwrap();
    let tenant = schema4::Tenant {
        id: Uuid::new_v4(),
        name: "Buyer".into(),
        created_at: Utc::now(),
        public_listing: false,
        digest_frequency: Frequency::Weekly,
        expiry_windows: vec![14],
    };
    let org = schema4::Organization {
        id: Uuid::new_v4(),
        tenant_id: tenant.id,
        external_id: Some("S-1".into()),
        name: "Gießerei Nord GmbH".into(),
        website: None,
        lei: None,
        vat: Some("DE123456789".into()),
        country: Some("DE".into()),
        created_at: Utc::now(),
        updated_at: Utc::now(),
    };
    let org_key = crate::engine::keys::pair(tenant.id, org.id);
    {
        let store = Store::open(dir.path()).unwrap();
        let trees = store.trees().unwrap();
        // Schema 4 wrote format 3 records.
        trees
            .sled_tree(Tree::Tenants)
            .insert(crate::engine::keys::id(tenant.id), encode_as(&tenant, 3))
            .unwrap();
        trees
            .sled_tree(Tree::Organizations)
            .insert(org_key, encode_as(&org, 3))
            .unwrap();
        trees
            .sled_tree(Tree::Meta)
            .insert(SCHEMA_KEY, &4u32.to_be_bytes())
            .unwrap();
        store.flush().unwrap();
    }
    let store = crate::engine::handle::tests::open_when_free(dir.path())
        .await
        .unwrap();
    assert_eq!(store.schema_version().unwrap(), 5);
    let t: Tenant = crate::record(
        store.tree(Tree::Tenants),
        &crate::engine::keys::id(tenant.id),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (t.digest_frequency, t.expiry_windows.as_slice()),
        (Frequency::Weekly, &[14][..])
    );
    assert_eq!(t.reminders, ReminderSettings::default());
    let o: Organization = crate::record(store.tree(Tree::Organizations), &org_key)
        .unwrap()
        .unwrap();
    assert_eq!(
        (o.name.as_str(), o.vat.as_deref()),
        ("Gießerei Nord GmbH", Some("DE123456789"))
    );
    assert!(o.tags.is_empty());
}
