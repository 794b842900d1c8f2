//! Bulk upload: batches of documents, one item per distinct file, and what becomes of
//! each — matched to a supplier and filed as certificates, sent to review, or failed.

use std::collections::BTreeMap;

use certwatch_domain::bulk::{
    Batch, BatchCounts, BatchStatus, CONFIRMED, Confirmation, Field, Item, ItemStatus, Origin,
    QualityMetrics, Read, corrected_fields, decide,
};
use certwatch_domain::certificates::changed_fields;
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::matching::{Evidence, Resolution};
use certwatch_domain::registry::CertPatch;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::ops::fan_out::Woke;
use crate::ops::supplier_uploads::{self, How, Link};
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
    let mut origin = Origin::Upload;
    if let Some(mut batch) = bulk_batches::get(store, tenant, item.batch_id)? {
        origin = batch.origin.clone();
        if batch.status == BatchStatus::Pending {
            batch.status = BatchStatus::Processing;
            batch.updated_at = now;
            bulk_batches::save(store, &batch)?;
        }
    }
    item.updated_at = now;
    let link = supplier_uploads::link_of(store, tenant, &origin)?;
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
        if let Some(link) = &link {
            item.organization_id = Some(link.request.organization_id);
            item.reason = supplier_uploads::named(link, item.reason.take());
        }
        bulk_items::save(store, &item)?;
        return Ok(Written::quiet(item));
    }
    let woke = match_and_file(
        store,
        tenant,
        &mut item,
        link.as_ref(),
        origin.sender(),
        now,
    )?;
    bulk_items::save(store, &item)?;
    Ok(Written::new(item, woke))
}

/// Finds a read item's supplier (the link's, for a supplier's upload; helped by the
/// supplier a mail's `sender` belongs to) and files it when nothing needs a person;
/// otherwise says why in the item.
fn match_and_file(
    store: &Store,
    tenant: Uuid,
    item: &mut Item,
    link: Option<&Link>,
    sender: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<Woke, RegistryError> {
    let ex = item.extracted.clone();
    let evidence = Evidence::of(&ex);
    let resolution = {
        let catalog = store.catalog(tenant)?;
        let catalog = catalog.read();
        match (link, sender) {
            (Some(l), _) => catalog.resolve_for_supplier(&evidence, l.request.organization_id),
            (None, Some(s)) => catalog.resolve_hinted(&evidence, s),
            (None, None) => catalog.resolve_supplier(&evidence),
        }
    };
    let (mut status, mut reason) = decide(&ex, &resolution);
    if let Resolution::Matched { id, by } = resolution {
        item.organization_id = Some(id);
        item.match_reason = Some(by);
    }
    if let Some(link) = link {
        // The supplier is the link's, also for the person who reviews it.
        item.organization_id = Some(link.request.organization_id);
        let codes: Vec<&str> = ex
            .certificate_type_code
            .iter()
            .map(|f| f.value.as_str())
            .chain(ex.other_standards.iter().map(String::as_str))
            .collect();
        if status == ItemStatus::Matched
            && let Some(why) = supplier_uploads::mismatch(link, &codes)
        {
            status = ItemStatus::NeedsReview;
            reason = Some(why);
        }
    }
    let mut woke = Woke::default();
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
        match file_document(store, tenant, item, link, &filing, now) {
            Ok(written) => {
                reason = written.value;
                woke.add(written.woke);
            }
            Err(RegistryError::Field { message, .. }) => {
                status = ItemStatus::NeedsReview;
                reason = Some(message);
            }
            Err(e) => return Err(e),
        }
    }
    item.status = status;
    item.reason = match link {
        Some(link) if status != ItemStatus::Matched => supplier_uploads::named(link, reason),
        _ => reason,
    };
    Ok(woke)
}

/// Files an item's document as `filing` says: the certificate of its standard and of the
/// other standards a combined certificate names; for a supplier's upload, the request is
/// fulfilled by the certificate of the requested type. The notes of what was filed.
fn file_document(
    store: &Store,
    tenant: Uuid,
    item: &mut Item,
    link: Option<&Link>,
    filing: &Confirmation,
    now: DateTime<Utc>,
) -> Result<Written<Option<String>>, RegistryError> {
    let how = supplier_uploads::how(store, link, item, &filing.certificate_type_code)?;
    let filed = file_certificate(store, tenant, &how, filing, now)?;
    item.certificate_id = Some(filed.id);
    let mut woke = filed.woke.clone();
    let standards = item.extracted.other_standards.clone();
    let how_others = supplier_uploads::How {
        renews: None,
        ..how
    };
    let others = file_others(store, tenant, &how_others, filing, &standards, now)?;
    let Others { ids, notes } = others.value;
    woke.add(others.woke);
    if let Some(link) = link {
        let requested = std::iter::once((filing.certificate_type_code.as_str(), filed.id))
            .chain(
                standards
                    .iter()
                    .filter(|c| **c != filing.certificate_type_code)
                    .map(String::as_str)
                    .zip(ids.iter().copied()),
            )
            .find(|(code, _)| *code == link.type_code);
        if let Some((_, cert)) = requested {
            woke.add(supplier_uploads::fulfil(store, link, cert, now)?);
        }
    }
    item.other_certificate_ids = ids;
    Ok(Written::new(
        joined(filed.note().into_iter().chain(notes)),
        woke,
    ))
}

/// Creates the certificate a document shows, or updates the one the tenant has with
/// its type and number (its identity) — or, failing that, the one `how` renews. A number
/// that belongs to another organization's certificate is never filed: a field error, so
/// a person decides.
fn file_certificate(
    store: &Store,
    tenant: Uuid,
    how: &How,
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
    let renewed = match (&holder, how.renews) {
        (None, Some(id)) => certificates::get(store, tenant, id)?,
        _ => None,
    };
    let previous = holder.clone().or(renewed);
    let existing = previous.as_ref().map(|p| p.id);
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
        document_hash: how.document.clone().map(Some),
        ..Default::default()
    };
    let written = crate::ops::certificates::edit(store, tenant, existing, patch, how.by, now)?;
    let cert = written.value;
    Ok(Filed {
        id: cert.id,
        changed: previous.map(|old| changed_fields(&old, &cert)),
        woke: written.woke,
    })
}

/// Files a combined certificate's other standards, each a certificate of its own with
/// the facts filed for the first (`filed`): their ids, and for each not filed, why (no
/// such type here, its number held by another organization's certificate).
fn file_others(
    store: &Store,
    tenant: Uuid,
    how: &How,
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
        match file_certificate(store, tenant, how, &other, now) {
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
    let origin =
        bulk_batches::get(store, tenant, item.batch_id)?.map_or(Origin::Upload, |b| b.origin);
    // Filed under another supplier than the link's, it answers no request.
    let link = supplier_uploads::link_of(store, tenant, &origin)?
        .filter(|l| l.request.organization_id == c.organization_id);
    let filed = file_document(store, tenant, &mut item, link.as_ref(), &c, now)?;
    item.corrections = corrected_fields(&item.extracted, &c);
    if item.organization_id != Some(c.organization_id) {
        item.corrections.insert(0, "organization".into());
    }
    item.organization_id = Some(c.organization_id);
    item.match_reason = Some(CONFIRMED.into());
    item.status = ItemStatus::Matched;
    item.reason = filed.value;
    item.updated_at = now;
    bulk_items::save(store, &item)?;
    Ok(Written::new(item, filed.woke))
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
mod tests;
