//! Bulk upload: batches of documents, one item per distinct file, and what becomes of
//! each — matched to a supplier and filed as certificates, sent to review, or failed.

use std::collections::BTreeMap;

use certwatch_domain::bulk::{
    Batch, BatchCounts, BatchStatus, CONFIRMED, Confirmation, Field, Item, ItemStatus,
    QualityMetrics, Read, corrected_fields, decide,
};
use certwatch_domain::certificates::changed_fields;
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::history::ChangedBy;
use certwatch_domain::matching::{Evidence, Resolution};
use certwatch_domain::registry::CertPatch;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::ops::fan_out::Woke;
use crate::tables::{bulk_batches, bulk_items, cert_types, certificates, organizations};
use crate::{RegistryError, Store, StoreError, Written, ops::events};

/// Stores a new batch with its items in one transaction.
pub fn create_batch(store: &Store, batch: &Batch, items: &[Item]) -> Result<(), StoreError> {
    transact(store, &[bulk_batches::TREES, bulk_items::TREES], |tx| {
        bulk_batches::put(tx, batch)?;
        for (position, item) in (0u32..).zip(items) {
            bulk_items::insert(tx, item, position)?;
        }
        Ok(())
    })
}

/// Bytes of uploaded files the tenant keeps (each item's file counted once per item).
pub fn stored_bytes(store: &Store, tenant: Uuid) -> Result<u64, StoreError> {
    Ok(bulk_items::of_tenant(store, tenant)?
        .iter()
        .map(|i| i.size)
        .sum())
}

pub fn quality_metrics(store: &Store, tenant: Uuid) -> Result<QualityMetrics, StoreError> {
    let items = bulk_items::of_tenant(store, tenant)?;
    let mut corrections: BTreeMap<String, usize> = BTreeMap::new();
    for field in items.iter().flat_map(|i| &i.corrections) {
        *corrections.entry(field.clone()).or_default() += 1;
    }
    let mut corrections: Vec<(String, usize)> = corrections.into_iter().collect();
    corrections.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(QualityMetrics {
        batches: bulk_batches::of_tenant(store, tenant)?.len(),
        counts: BatchCounts::of(&items),
        corrections,
    })
}

/// What filing a document did: the certificate, and — when it was already on file — the
/// fields the document changed.
struct Filed {
    id: Uuid,
    changed: Option<Vec<&'static str>>,
    woke: Woke,
}

/// What filing a combined certificate's other standards did: the certificates filed, and
/// for each standard not filed, why.
struct Others {
    ids: Vec<Uuid>,
    notes: Vec<String>,
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

/// Applies a processed document to its item: matches the organization, decides, and
/// for a match files the certificate (the organization's one with that number is
/// updated). The batch is processing from its first item on.
pub fn apply_extraction(
    store: &Store,
    tenant: Uuid,
    item: Uuid,
    read: Read,
    now: DateTime<Utc>,
) -> Result<Written<Item>, RegistryError> {
    let mut item = bulk_items::get(store, tenant, item)?.ok_or(RegistryError::NotFound)?;
    if item.status != ItemStatus::Pending {
        return Ok(Written::quiet(item));
    }
    if let Some(mut batch) = bulk_batches::get(store, tenant, item.batch_id)?
        && batch.status == BatchStatus::Pending
    {
        batch.status = BatchStatus::Processing;
        batch.updated_at = now;
        bulk_batches::save(store, &batch)?;
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
        bulk_items::save(store, &item)?;
        return Ok(Written::quiet(item));
    }
    let ex = item.extracted.clone();
    let resolution = store
        .catalog(tenant)?
        .read()
        .resolve_supplier(&Evidence::of(&ex));
    let (mut status, mut reason) = decide(&ex, &resolution);
    let mut woke = Woke::default();
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
        match file_certificate(store, tenant, item.id, &filing, now) {
            Ok(filed) => {
                item.certificate_id = Some(filed.id);
                let reason_filed = filed.note();
                woke.add(filed.woke);
                let others =
                    file_others(store, tenant, item.id, &filing, &ex.other_standards, now)?;
                item.other_certificate_ids = others.value.ids;
                woke.add(others.woke);
                reason = joined(reason_filed.into_iter().chain(others.value.notes));
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
    bulk_items::save(store, &item)?;
    Ok(Written::new(item, woke))
}

/// Creates the certificate a document shows, or updates the one the tenant has with
/// its type and number (its identity). A number that belongs to another
/// organization's certificate is never filed: a field error, so a person decides.
fn file_certificate(
    store: &Store,
    tenant: Uuid,
    item: Uuid,
    c: &Confirmation,
    now: DateTime<Utc>,
) -> Result<Filed, RegistryError> {
    let ty = cert_types::by_code(store, tenant, &c.certificate_type_code)?.ok_or_else(|| {
        RegistryError::Field {
            field: "certificate_type_code",
            message: format!("No certificate type with code {}.", c.certificate_type_code),
        }
    })?;
    let holder = certificates::by_number(store, tenant, &c.certificate_number)?
        .into_iter()
        .find(|cert| cert.certificate_type_id == ty.id);
    if let Some(h) = &holder
        && h.organization_id != c.organization_id
    {
        let owner = organizations::get(store, tenant, h.organization_id)?
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
    let patch = CertPatch {
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
    let by = ChangedBy::BulkItem(item);
    let written = crate::ops::certificates::edit(store, tenant, existing, patch, by, now)?;
    let cert = written.value;
    Ok(Filed {
        id: cert.id,
        changed: holder.map(|old| changed_fields(&old, &cert)),
        woke: written.woke,
    })
}

/// Files a combined certificate's other standards, each a certificate of its own with
/// the facts filed for the first (`filed`): their ids, and for each not filed, why (no
/// such type here, its number held by another organization's certificate).
fn file_others(
    store: &Store,
    tenant: Uuid,
    item: Uuid,
    filed: &Confirmation,
    others: &[String],
    now: DateTime<Utc>,
) -> Result<Written<Others>, RegistryError> {
    let (mut ids, mut notes) = (Vec::new(), Vec::new());
    let mut woke = Woke::default();
    for code in others.iter().filter(|c| **c != filed.certificate_type_code) {
        let other = Confirmation {
            certificate_type_code: code.clone(),
            ..filed.clone()
        };
        match file_certificate(store, tenant, item, &other, now) {
            Ok(f) => {
                ids.push(f.id);
                woke.add(f.woke);
            }
            Err(RegistryError::Field { message, .. }) => {
                notes.push(format!("{code} is not filed: {message}"))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Written::new(Others { ids, notes }, woke))
}

/// A person's values for a needs_review item: files the certificate and records which
/// fields differ from the extraction.
pub fn confirm_item(
    store: &Store,
    tenant: Uuid,
    item: Uuid,
    c: Confirmation,
    now: DateTime<Utc>,
) -> Result<Written<Item>, RegistryError> {
    let mut item = bulk_items::get(store, tenant, item)?.ok_or(RegistryError::NotFound)?;
    if item.status != ItemStatus::NeedsReview {
        return Err(RegistryError::Refused(
            "Only items that need review can be confirmed.".into(),
        ));
    }
    if organizations::get(store, tenant, c.organization_id)?.is_none() {
        return Err(RegistryError::Field {
            field: "organization_id",
            message: "No such organization.".into(),
        });
    }
    let filed = file_certificate(store, tenant, item.id, &c, now)?;
    item.certificate_id = Some(filed.id);
    let standards = item.extracted.other_standards.clone();
    let others = file_others(store, tenant, item.id, &c, &standards, now)?;
    let Others { ids, notes } = others.value;
    item.other_certificate_ids = ids;
    let mut woke = filed.woke.clone();
    woke.add(others.woke);
    item.corrections = corrected_fields(&item.extracted, &c);
    if item.organization_id != Some(c.organization_id) {
        item.corrections.insert(0, "organization".into());
    }
    item.organization_id = Some(c.organization_id);
    item.match_reason = Some(CONFIRMED.into());
    item.status = ItemStatus::Matched;
    item.reason = joined(filed.note().into_iter().chain(notes));
    item.updated_at = now;
    bulk_items::save(store, &item)?;
    Ok(Written::new(item, woke))
}

pub fn skip_item(
    store: &Store,
    tenant: Uuid,
    item: Uuid,
    now: DateTime<Utc>,
) -> Result<Item, RegistryError> {
    let mut item = bulk_items::get(store, tenant, item)?.ok_or(RegistryError::NotFound)?;
    if item.status != ItemStatus::NeedsReview {
        return Err(RegistryError::Refused(
            "Only items that need review can be skipped.".into(),
        ));
    }
    item.status = ItemStatus::Skipped;
    item.updated_at = now;
    bulk_items::save(store, &item)?;
    Ok(item)
}

/// Marks a batch completed and records `bulk_upload.completed` with its counts.
pub fn finish_batch(
    store: &Store,
    tenant: Uuid,
    batch: Uuid,
    now: DateTime<Utc>,
) -> Result<Written<Batch>, RegistryError> {
    let mut b = bulk_batches::get(store, tenant, batch)?.ok_or(RegistryError::NotFound)?;
    if b.status == BatchStatus::Completed {
        return Ok(Written::quiet(b));
    }
    let c = BatchCounts::of(&bulk_items::of_batch(store, tenant, batch)?);
    b.status = BatchStatus::Completed;
    b.updated_at = now;
    bulk_batches::save(store, &b)?;
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
    let woke = events::record(store, tenant, &[event])?;
    Ok(Written::new(b, woke))
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_domain::bulk::Extracted;
    use certwatch_domain::registry::Organization;

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
            crate::ops::organizations::save(&store, o).unwrap();
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
        crate::ops::organizations::save(&store, &orgs[1]).unwrap();
        assert_eq!(resolve(&ex), matched(&orgs[1], "name"));
        crate::ops::organizations::delete(
            &store,
            tenant,
            orgs[1].id,
            certwatch_domain::history::ChangedBy::User(Uuid::nil()),
            Utc::now(),
        )
        .unwrap();
        assert!(matches!(resolve(&ex), Resolution::Unmatched(_)));
    }
}
