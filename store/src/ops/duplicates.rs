//! Certificates that share an identity (tenant, type, number identity) — written before
//! the identity rule existed — and merging them, one group per transaction.

use std::collections::{BTreeMap, HashSet};

use certwatch_domain::bulk::Item;
use certwatch_domain::history::{ChangedBy, FieldChange, HistoryEntry, field_changes};
use certwatch_domain::registry::Certificate;
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{
    bulk_items, cert_history, cert_verifications, certificates, expiry_notices, register_checks,
};
use crate::{Store, StoreError};

/// One identity held by several certificates, newest (last updated) first.
#[derive(Debug, Clone)]
pub struct DuplicateGroup {
    pub certificates: Vec<Certificate>,
}

/// What a merge keeps: the newest certificate, with every value it lacks taken from the
/// next newest that has one (so no issuing body, scope, date or document is lost).
pub fn merged(group: &[Certificate]) -> Certificate {
    let mut newest_first: Vec<&Certificate> = group.iter().collect();
    newest_first.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
    let mut keep = newest_first[0].clone();
    for other in &newest_first[1..] {
        if keep.issuing_body.is_empty() {
            keep.issuing_body = other.issuing_body.clone();
        }
        if keep.scope.is_empty() {
            keep.scope = other.scope.clone();
        }
        keep.issue_date = keep.issue_date.or(other.issue_date);
        keep.expiry_date = keep.expiry_date.or(other.expiry_date);
        keep.document_url = keep.document_url.take().or(other.document_url.clone());
        keep.document_hash = keep.document_hash.take().or(other.document_hash.clone());
        keep.source_url = keep.source_url.take().or(other.source_url.clone());
        keep.last_checked = keep.last_checked.max(other.last_checked);
        keep.created_at = keep.created_at.min(other.created_at);
    }
    keep
}

/// Every group of certificates sharing an identity, in key order.
pub fn find(store: &Store) -> Result<Vec<DuplicateGroup>, StoreError> {
    let mut groups = Vec::new();
    for (tenant, ids) in certificates::shared_numbers(store)? {
        let mut by_type: BTreeMap<Uuid, Vec<Certificate>> = BTreeMap::new();
        for id in ids {
            if let Some(c) = certificates::get(store, tenant, id)? {
                by_type.entry(c.certificate_type_id).or_default().push(c);
            }
        }
        for (_, mut certificates) in by_type {
            if certificates.len() > 1 {
                certificates.sort_by_key(|c| std::cmp::Reverse(c.updated_at));
                groups.push(DuplicateGroup { certificates });
            }
        }
    }
    Ok(groups)
}

/// Merges one group into its newest certificate (see [`merged`]) in one transaction:
/// the others go, and the bulk-upload items that filed them point at the one kept.
/// A crash leaves the group whole or merged, never half.
pub fn merge(store: &Store, group: &DuplicateGroup) -> Result<Certificate, StoreError> {
    let keep = merged(&group.certificates);
    let tenant = keep.tenant_id;
    let gone: Vec<&Certificate> = group
        .certificates
        .iter()
        .filter(|c| c.id != keep.id)
        .collect();
    let gone_ids: HashSet<Uuid> = gone.iter().map(|c| c.id).collect();
    let items: Vec<Item> = bulk_items::of_tenant(store, tenant)?
        .into_iter()
        .filter(|i| i.certificate_id.is_some_and(|c| gone_ids.contains(&c)))
        .map(|mut i| {
            i.certificate_id = Some(keep.id);
            i
        })
        .collect();
    // The kept certificate's history says what it took over and from which ones.
    let newest = group
        .certificates
        .iter()
        .find(|c| c.id == keep.id)
        .unwrap_or(&keep);
    let mut changes = field_changes(Some(newest), Some(&keep));
    changes.push(FieldChange {
        field: "merged_from".into(),
        from: None,
        to: Some(
            gone.iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
    });
    let entry = HistoryEntry {
        certificate_id: keep.id,
        at: chrono::Utc::now(),
        by: ChangedBy::Merge,
        action: "merged".into(),
        changes,
    };
    let history = cert_history::keyed(store, tenant, entry)?;
    let tables = [
        certificates::TREES,
        bulk_items::TREES,
        expiry_notices::TREES,
        cert_history::TREES,
        register_checks::TREES,
        cert_verifications::TREES,
    ];
    // The duplicates' register checks go with them; the kept certificate keeps its own.
    let mut checks = Vec::new();
    for c in &gone {
        checks.extend(register_checks::keys_of(store, tenant, c.id)?);
    }
    transact::<_, StoreError>(store, &tables, |tx| {
        cert_history::put(tx, &history)?;
        for c in &gone {
            certificates::remove(tx, c)?;
            expiry_notices::remove(tx, tenant, c.id)?;
            cert_verifications::remove(tx, tenant, c.id)?;
        }
        register_checks::remove(tx, &checks)?;
        certificates::put(tx, &keep, Some(newest))?;
        for item in &items {
            bulk_items::put(tx, item)?;
        }
        Ok(())
    })?;
    store.flush()?;
    Ok(keep)
}
