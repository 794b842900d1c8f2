//! Certificates that share an identity (tenant, type, number identity) — written before
//! the identity rule existed — and merging them, one group per transaction.

use std::collections::{BTreeMap, HashSet};

use sled::Transactional;
use uuid::Uuid;

use certwatch_domain::bulk::Item;
use certwatch_domain::history::{ChangedBy, FieldChange, HistoryEntry, field_changes};
use certwatch_domain::registry::Certificate;

use crate::history::history_key;
use crate::registry::number_key;
use crate::{Store, StoreError, encode, finish, keys, scan};

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

impl Store {
    /// Every group of certificates sharing an identity, in key order.
    pub fn duplicate_certificates(&self) -> Result<Vec<DuplicateGroup>, StoreError> {
        let mut groups = Vec::new();
        let mut current: (Vec<u8>, Vec<Uuid>) = (Vec::new(), Vec::new());
        let mut flush = |(prefix, ids): &mut (Vec<u8>, Vec<Uuid>)| -> Result<(), StoreError> {
            if ids.len() > 1 {
                let tenant = keys::uuid_at(prefix, 0)
                    .ok_or_else(|| StoreError::Corrupt("number index".into()))?;
                let mut by_type: BTreeMap<Uuid, Vec<Certificate>> = BTreeMap::new();
                for id in ids.iter() {
                    if let Some(c) = self.certificate(tenant, *id)? {
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
            ids.clear();
            Ok(())
        };
        for key in self.trees().certs_by_number.iter().keys() {
            let key = key?;
            // tenant ‖ identity ‖ 0 ‖ certificate
            let Some(split) = key.len().checked_sub(17) else {
                return Err(StoreError::Corrupt("number index".into()));
            };
            let id = keys::uuid_at(&key, split + 1)
                .ok_or_else(|| StoreError::Corrupt("number index".into()))?;
            if key[..split] != current.0[..] {
                flush(&mut current)?;
                current.0 = key[..split].to_vec();
            }
            current.1.push(id);
        }
        flush(&mut current)?;
        Ok(groups)
    }

    /// Merges one group into its newest certificate (see [`merged`]) in one transaction:
    /// the others go, and the bulk-upload items that filed them point at the one kept.
    /// A crash leaves the group whole or merged, never half.
    pub fn merge_duplicates(&self, group: &DuplicateGroup) -> Result<Certificate, StoreError> {
        let keep = merged(&group.certificates);
        let tenant = keep.tenant_id;
        let gone: Vec<&Certificate> = group
            .certificates
            .iter()
            .filter(|c| c.id != keep.id)
            .collect();
        let gone_ids: HashSet<Uuid> = gone.iter().map(|c| c.id).collect();
        let items: Vec<Item> = scan::<Item>(&self.trees().bulk_items, &keys::id(tenant))?
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
            .expect("the kept one is of the group");
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
        let history = (
            history_key(tenant, keep.id, self.next_id()?),
            encode(&entry),
        );
        let t = self.trees();
        finish::<_, StoreError>(
            (
                &t.certificates,
                &t.certs_by_org,
                &t.certs_by_number,
                &t.bulk_items,
                &t.expiry_notices,
                &t.cert_history,
            )
                .transaction(
                    |(certs, by_org, by_number, bulk_items, notices, hist)| {
                        hist.insert(history.0.as_slice(), history.1.as_slice())?;
                        for c in &gone {
                            certs.remove(&keys::pair(tenant, c.id)[..])?;
                            by_org.remove(&keys::triple(tenant, c.organization_id, c.id)[..])?;
                            by_number.remove(number_key(tenant, &c.certificate_number, c.id))?;
                            notices.remove(&keys::pair(tenant, c.id)[..])?;
                        }
                        certs.insert(&keys::pair(tenant, keep.id)[..], encode(&keep))?;
                        for item in &items {
                            bulk_items.insert(&keys::pair(tenant, item.id)[..], encode(item))?;
                        }
                        Ok(())
                    },
                ),
        )?;
        self.flush()?;
        Ok(keep)
    }
}
