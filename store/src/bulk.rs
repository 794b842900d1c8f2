//! Bulk upload's tables: batches, items, and filing an item's document as certificates.

use std::collections::BTreeMap;

use certwatch_domain::bulk::{
    Batch, BatchCounts, BatchStatus, CONFIRMED, Confirmation, Field, Item, ItemStatus,
    QualityMetrics, Read, corrected_fields, decide,
};
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::matching::{Evidence, Resolution};
use certwatch_domain::registry::Organization;
use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;
use uuid::Uuid;

use crate::registry::RegistryError;
use crate::{Store, StoreError, encode, finish, get, keys, scan};

fn batch_key(tenant: Uuid, batch: Uuid) -> [u8; 32] {
    keys::pair(tenant, batch)
}

/// What filing a document did: the certificate, and — when it was already on file — the
/// fields the document changed.
struct Filed {
    id: Uuid,
    changed: Option<Vec<&'static str>>,
}

/// Notes as one reason, or none.
fn joined(notes: impl Iterator<Item = String>) -> Option<String> {
    let notes: Vec<String> = notes.collect();
    (!notes.is_empty()).then(|| notes.join(" "))
}

impl Filed {
    /// The note a matched item carries when it updated a certificate already on file.
    fn note(&self) -> Option<String> {
        match self.changed.as_deref() {
            None => None,
            Some([]) => Some("Already on file: the existing certificate is unchanged.".into()),
            Some(fields) => Some(format!(
                "Updated the existing certificate: {}.",
                fields.join(", ")
            )),
        }
    }
}

impl Store {
    /// Stores a new batch with its items in one transaction.
    pub fn create_batch(&self, batch: &Batch, items: &[Item]) -> Result<(), StoreError> {
        let t = self.trees();
        let result = (&t.bulk_batches, &t.bulk_items, &t.bulk_items_by_batch).transaction(
            |(batches, items_t, by_batch)| {
                batches.insert(&batch_key(batch.tenant_id, batch.id), encode(batch))?;
                for (position, item) in items.iter().enumerate() {
                    items_t.insert(&keys::pair(item.tenant_id, item.id), encode(item))?;
                    let mut key = keys::pair(item.tenant_id, batch.id).to_vec();
                    key.extend_from_slice(&(position as u32).to_be_bytes());
                    key.extend_from_slice(item.id.as_bytes());
                    by_batch.insert(key, &[])?;
                }
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            },
        );
        finish(result)
    }

    pub fn batch(&self, tenant: Uuid, id: Uuid) -> Result<Option<Batch>, StoreError> {
        get(&self.trees().bulk_batches, &batch_key(tenant, id))
    }

    /// The tenant's batches, newest first.
    pub fn batches(&self, tenant: Uuid) -> Result<Vec<Batch>, StoreError> {
        let mut all: Vec<Batch> = scan(&self.trees().bulk_batches, &keys::id(tenant))?;
        all.sort_by_key(|b| std::cmp::Reverse((b.created_at, b.id)));
        Ok(all)
    }

    pub fn save_batch(&self, batch: &Batch) -> Result<(), StoreError> {
        self.trees()
            .bulk_batches
            .insert(batch_key(batch.tenant_id, batch.id), encode(batch))?;
        Ok(())
    }

    pub fn item(&self, tenant: Uuid, id: Uuid) -> Result<Option<Item>, StoreError> {
        get(&self.trees().bulk_items, &keys::pair(tenant, id))
    }

    /// A batch's items, in upload order (the index key holds each item's position).
    pub fn items_of(&self, tenant: Uuid, batch: Uuid) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .trees()
            .bulk_items_by_batch
            .scan_prefix(keys::pair(tenant, batch))
            .keys()
        {
            let id = keys::uuid_at(&key?, 36)
                .ok_or_else(|| StoreError::Corrupt("bulk item index".into()))?;
            out.extend(self.item(tenant, id)?);
        }
        Ok(out)
    }

    pub fn save_item(&self, item: &Item) -> Result<(), StoreError> {
        self.trees()
            .bulk_items
            .insert(keys::pair(item.tenant_id, item.id), encode(item))?;
        Ok(())
    }

    /// Records that reading an item starts now; the number of starts so far, this one
    /// included. Written before the worker gets the file, so a file whose reading never
    /// ends (the process dies with it) is known when the batch resumes.
    pub fn start_item_attempt(&self, tenant: Uuid, item: Uuid) -> Result<u32, StoreError> {
        let key = keys::pair(tenant, item);
        let next = self
            .trees()
            .bulk_attempts
            .update_and_fetch(key, |old| {
                let n = old
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_be_bytes)
                    .unwrap_or(0);
                Some((n + 1).to_be_bytes().to_vec())
            })?
            .and_then(|b| b.as_ref().try_into().ok())
            .map(u32::from_be_bytes)
            .unwrap_or(1);
        Ok(next)
    }

    /// Bytes of uploaded files the tenant keeps (each item's file counted once per item).
    pub fn stored_bytes(&self, tenant: Uuid) -> Result<u64, StoreError> {
        let items: Vec<Item> = scan(&self.trees().bulk_items, &keys::id(tenant))?;
        Ok(items.iter().map(|i| i.size).sum())
    }

    /// The tenant's batches that did not finish (to resume at start).
    pub fn unfinished_batches(&self, tenant: Uuid) -> Result<Vec<Batch>, StoreError> {
        Ok(self
            .batches(tenant)?
            .into_iter()
            .filter(|b| b.status != BatchStatus::Completed)
            .collect())
    }

    pub fn quality_metrics(&self, tenant: Uuid) -> Result<QualityMetrics, StoreError> {
        let items: Vec<Item> = scan(&self.trees().bulk_items, &keys::id(tenant))?;
        let mut corrections: BTreeMap<String, usize> = BTreeMap::new();
        for field in items.iter().flat_map(|i| &i.corrections) {
            *corrections.entry(field.clone()).or_default() += 1;
        }
        let mut corrections: Vec<(String, usize)> = corrections.into_iter().collect();
        corrections.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(QualityMetrics {
            batches: self.batches(tenant)?.len(),
            counts: BatchCounts::of(&items),
            corrections,
        })
    }

    /// Applies a processed document to its item: matches the organization, decides, and
    /// for a match files the certificate (the organization's one with that number is
    /// updated). The batch is processing from its first item on.
    pub fn apply_extraction(
        &self,
        tenant: Uuid,
        item: Uuid,
        read: Read,
        now: DateTime<Utc>,
    ) -> Result<Item, RegistryError> {
        let mut item = self.item(tenant, item)?.ok_or(RegistryError::NotFound)?;
        if item.status != ItemStatus::Pending {
            return Ok(item);
        }
        if let Some(mut batch) = self.batch(tenant, item.batch_id)?
            && batch.status == BatchStatus::Pending
        {
            batch.status = BatchStatus::Processing;
            batch.updated_at = now;
            self.save_batch(&batch)?;
        }
        item.updated_at = now;
        let (status, reason) = match read {
            Read::Fields(ex) => {
                item.extracted = *ex;
                (None, None)
            }
            Read::Review(reason) => (Some(ItemStatus::NeedsReview), Some(reason)),
            Read::Failed(reason) => (Some(ItemStatus::Failed), Some(reason)),
        };
        if let Some(status) = status {
            item.status = status;
            item.reason = reason;
            self.save_item(&item)?;
            return Ok(item);
        }
        let ex = item.extracted.clone();
        let resolution = self
            .catalog(tenant)?
            .read()
            .resolve_supplier(&Evidence::of(&ex));
        let (mut status, mut reason) = decide(&ex, &resolution);
        if let Resolution::Matched { id, by } = resolution {
            item.organization_id = Some(id);
            item.match_reason = Some(by);
        }
        if status == ItemStatus::Matched {
            let value = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
            let filing = Confirmation {
                organization_id: item.organization_id.unwrap_or_default(),
                certificate_type_code: value(&ex.certificate_type_code).unwrap_or_default(),
                certificate_number: value(&ex.certificate_number).unwrap_or_default(),
                issuing_body: value(&ex.issuing_body).unwrap_or_default(),
                scope: value(&ex.scope).unwrap_or_default(),
                issue_date: ex.issue_date.as_ref().map(|f| f.value),
                expiry_date: ex.expiry_date.as_ref().map(|f| f.value).unwrap_or_default(),
            };
            match self.file_certificate(tenant, item.id, &filing, now) {
                Ok(filed) => {
                    item.certificate_id = Some(filed.id);
                    let (others, notes) =
                        self.file_others(tenant, item.id, &filing, &ex.other_standards, now)?;
                    item.other_certificate_ids = others;
                    reason = joined(filed.note().into_iter().chain(notes));
                }
                Err(RegistryError::Field { message, .. }) => {
                    status = ItemStatus::NeedsReview;
                    reason = Some(message);
                }
                Err(e) => return Err(e),
            }
        }
        item.status = status;
        item.reason = reason;
        self.save_item(&item)?;
        Ok(item)
    }

    /// Creates the certificate a document shows, or updates the one the tenant has with
    /// its type and number (its identity). A number that belongs to another
    /// organization's certificate is never filed: a field error, so a person decides.
    fn file_certificate(
        &self,
        tenant: Uuid,
        item: Uuid,
        c: &Confirmation,
        now: DateTime<Utc>,
    ) -> Result<Filed, RegistryError> {
        let ty = self
            .certificate_type_by_code(tenant, &c.certificate_type_code)?
            .ok_or_else(|| RegistryError::Field {
                field: "certificate_type_code",
                message: format!("No certificate type with code {}.", c.certificate_type_code),
            })?;
        let holder = self
            .certificates_by_number(tenant, &c.certificate_number)?
            .into_iter()
            .find(|cert| cert.certificate_type_id == ty.id);
        if let Some(h) = &holder
            && h.organization_id != c.organization_id
        {
            let owner = self
                .organization(tenant, h.organization_id)?
                .map(|o| o.name)
                .unwrap_or_default();
            return Err(RegistryError::Field {
                field: "certificate_number",
                message: format!(
                    "Certificate {} of this type belongs to another organization ({owner}, certificate {}).",
                    c.certificate_number, h.id
                ),
            });
        }
        let existing = holder.as_ref().map(|h| h.id);
        let patch = certwatch_domain::registry::CertPatch {
            organization_id: Some(c.organization_id),
            certificate_type_id: Some(ty.id),
            // The same number written another way keeps the spelling on file.
            certificate_number: Some(
                holder
                    .as_ref()
                    .map_or(&c.certificate_number, |h| &h.certificate_number)
                    .clone(),
            ),
            issuing_body: Some(c.issuing_body.clone()),
            scope: Some(c.scope.clone()),
            issue_date: Some(c.issue_date),
            expiry_date: Some(Some(c.expiry_date)),
            ..Default::default()
        };
        let by = certwatch_domain::history::ChangedBy::BulkItem(item);
        let cert = self.edit_certificate(tenant, existing, patch, by, now)?;
        Ok(Filed {
            id: cert.id,
            changed: holder.map(|old| certwatch_domain::certificates::changed_fields(&old, &cert)),
        })
    }

    /// Files a combined certificate's other standards, each a certificate of its own with
    /// the facts filed for the first (`filed`): their ids, and for each not filed, why (no
    /// such type here, its number held by another organization's certificate).
    fn file_others(
        &self,
        tenant: Uuid,
        item: Uuid,
        filed: &Confirmation,
        others: &[String],
        now: DateTime<Utc>,
    ) -> Result<(Vec<Uuid>, Vec<String>), RegistryError> {
        let (mut ids, mut notes) = (Vec::new(), Vec::new());
        for code in others.iter().filter(|c| **c != filed.certificate_type_code) {
            let other = Confirmation {
                certificate_type_code: code.clone(),
                ..filed.clone()
            };
            match self.file_certificate(tenant, item, &other, now) {
                Ok(f) => ids.push(f.id),
                Err(RegistryError::Field { message, .. }) => {
                    notes.push(format!("{code} is not filed: {message}"))
                }
                Err(e) => return Err(e),
            }
        }
        Ok((ids, notes))
    }

    /// A person's values for a needs_review item: files the certificate and records which
    /// fields differ from the extraction.
    pub fn confirm_item(
        &self,
        tenant: Uuid,
        item: Uuid,
        c: Confirmation,
        now: DateTime<Utc>,
    ) -> Result<Item, RegistryError> {
        let mut item = self.item(tenant, item)?.ok_or(RegistryError::NotFound)?;
        if item.status != ItemStatus::NeedsReview {
            return Err(RegistryError::Refused(
                "Only items that need review can be confirmed.".into(),
            ));
        }
        if self.organization(tenant, c.organization_id)?.is_none() {
            return Err(RegistryError::Field {
                field: "organization_id",
                message: "No such organization.".into(),
            });
        }
        let filed = self.file_certificate(tenant, item.id, &c, now)?;
        item.certificate_id = Some(filed.id);
        let others = item.extracted.other_standards.clone();
        let (other_ids, notes) = self.file_others(tenant, item.id, &c, &others, now)?;
        item.other_certificate_ids = other_ids;
        item.corrections = corrected_fields(&item.extracted, &c);
        if item.organization_id != Some(c.organization_id) {
            item.corrections.insert(0, "organization".into());
        }
        item.organization_id = Some(c.organization_id);
        item.match_reason = Some(CONFIRMED.into());
        item.status = ItemStatus::Matched;
        item.reason = joined(filed.note().into_iter().chain(notes));
        item.updated_at = now;
        self.save_item(&item)?;
        Ok(item)
    }

    pub fn skip_item(
        &self,
        tenant: Uuid,
        item: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Item, RegistryError> {
        let mut item = self.item(tenant, item)?.ok_or(RegistryError::NotFound)?;
        if item.status != ItemStatus::NeedsReview {
            return Err(RegistryError::Refused(
                "Only items that need review can be skipped.".into(),
            ));
        }
        item.status = ItemStatus::Skipped;
        item.updated_at = now;
        self.save_item(&item)?;
        Ok(item)
    }

    /// Marks a batch completed and records `bulk_upload.completed` with its counts.
    pub fn finish_batch(
        &self,
        tenant: Uuid,
        batch: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Batch, RegistryError> {
        let mut b = self.batch(tenant, batch)?.ok_or(RegistryError::NotFound)?;
        if b.status == BatchStatus::Completed {
            return Ok(b);
        }
        let c = BatchCounts::of(&self.items_of(tenant, batch)?);
        b.status = BatchStatus::Completed;
        b.updated_at = now;
        self.save_batch(&b)?;
        let data = serde_json::json!({
            "batch_id": b.id,
            "total_items": c.total,
            "matched": c.matched,
            "needs_review": c.needs_review,
            "failed": c.failed,
            "auto_match_rate": c.auto_match_rate(),
            "failure_rate": c.failure_rate(),
        });
        let event = Event::new(tenant, None, EventKind::BulkUploadCompleted, data, now);
        self.record_events(tenant, &[event])?;
        Ok(b)
    }

    /// The tenant's organizations (for matching documents to them).
    pub fn organizations(&self, tenant: Uuid) -> Result<Vec<Organization>, RegistryError> {
        Ok(scan(&self.trees().organizations, &keys::id(tenant))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_domain::bulk::Extracted;

    fn org(name: &str, vat: Option<&str>, website: Option<&str>) -> Organization {
        let mut o = Organization::new(Uuid::nil(), Utc::now());
        o.name = name.into();
        o.vat = vat.map(String::from);
        o.website = website.map(String::from);
        o
    }

    fn field<T>(value: T) -> Option<Field<T>> {
        Some(Field {
            value,
            confidence: 0.9,
        })
    }

    #[tokio::test]
    async fn documents_are_matched_through_the_catalog_and_follow_its_edits() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tenant = Uuid::new_v4();
        let mut orgs = vec![
            org(
                "Muster Metall GmbH",
                Some("DE 123 456 789"),
                Some("https://www.muster-metall.example"),
            ),
            org("Muster Plastik GmbH", None, None),
            org("Acme Corporation", None, Some("https://acme.example")),
        ];
        for o in &mut orgs {
            o.tenant_id = tenant;
            o.id = Uuid::new_v4();
            store.save_organization(o).unwrap();
        }
        let resolve = |ex: &Extracted| {
            store
                .catalog(tenant)
                .unwrap()
                .read()
                .resolve_supplier(&Evidence::of(ex))
        };
        let matched = |o: &Organization, by: &str| Resolution::Matched {
            id: o.id,
            by: by.into(),
        };
        let mut ex = Extracted {
            vat: field("DE123456789".into()),
            ..Extracted::default()
        };
        assert_eq!(resolve(&ex), matched(&orgs[0], "vat"));
        ex.vat = None;
        ex.domains = vec!["acme.example".into()];
        assert_eq!(resolve(&ex), matched(&orgs[2], "domain"));
        ex.domains.clear();
        ex.company_name = field("ACME Corp.".into());
        assert_eq!(resolve(&ex), matched(&orgs[2], "name"));
        // A name short of a word of two suppliers' names is neither.
        ex.company_name = field("Muster GmbH".into());
        assert!(matches!(resolve(&ex), Resolution::Unmatched(_)));
        ex.company_name = field("Unknown Widgets Ltd".into());
        assert!(matches!(resolve(&ex), Resolution::Unmatched(_)));
        // Renamed, the supplier is found by its new name; deleted, not at all.
        ex.company_name = field("Muster Kunststoff GmbH".into());
        orgs[1].name = "Muster Kunststoff GmbH".into();
        store.save_organization(&orgs[1]).unwrap();
        assert_eq!(resolve(&ex), matched(&orgs[1], "name"));
        store
            .delete_organization(
                tenant,
                orgs[1].id,
                certwatch_domain::history::ChangedBy::User(Uuid::nil()),
                Utc::now(),
            )
            .unwrap();
        assert!(matches!(resolve(&ex), Resolution::Unmatched(_)));
    }
}
