//! Bulk upload: batches of certificate documents, one item per distinct file, and the rules
//! that decide what becomes of each — whether it can be filed by itself, and what people
//! corrected.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::matching::Resolution;

/// The match reason of an item a person confirmed.
pub const CONFIRMED: &str = "confirmed";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchStatus {
    Pending,
    Processing,
    Completed,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::Pending => "pending",
            BatchStatus::Processing => "processing",
            BatchStatus::Completed => "completed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemStatus {
    Pending,
    Matched,
    NeedsReview,
    Failed,
    Skipped,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Matched => "matched",
            ItemStatus::NeedsReview => "needs_review",
            ItemStatus::Failed => "failed",
            ItemStatus::Skipped => "skipped",
        }
    }
}

pub use crate::reading::{Extracted, Field, Read};

/// Where a batch's documents came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// A person of the tenant uploaded them.
    Upload,
    /// A supplier uploaded them through the link of a certificate request: they are the
    /// request's supplier's, or go to review.
    SupplierLink { request: Uuid, organization: Uuid },
    /// They were attached to a mail a mailbox read.
    Mail(Box<MailSource>),
}

impl Origin {
    /// The certificate request the documents answer, and its supplier.
    pub fn request(&self) -> Option<Uuid> {
        match self {
            Origin::SupplierLink { request, .. } => Some(*request),
            Origin::Mail(m) => m.request,
            Origin::Upload => None,
        }
    }

    /// The supplier the sender's address belongs to: a hint for matching, not a match.
    pub fn sender(&self) -> Option<Uuid> {
        match self {
            Origin::Mail(m) => m.sender,
            _ => None,
        }
    }
}

/// The mail a batch's documents were attached to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSource {
    /// The mail account that read it.
    pub account: Uuid,
    pub from: Option<String>,
    pub subject: String,
    /// As the sender's client dated it.
    pub date: Option<DateTime<Utc>>,
    /// The certificate request it replies to (its reference in the address or subject).
    pub request: Option<Uuid>,
    /// The supplier whose contact's address or website's domain it came from.
    pub sender: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub status: BatchStatus,
    pub file_errors: Vec<String>,
    /// Schema 5.
    pub origin: Origin,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A new batch and its items, as they are written together.
pub type NewBatch = (Batch, Vec<Item>);

/// A file a batch accepted: checked, and stored under its SHA-256.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size: u64,
}

impl Batch {
    /// A new batch of the `accepted` files (the same file twice is one item) with the
    /// reasons other files were refused; `None` when no file was accepted — there is no
    /// batch of nothing.
    pub fn pending(
        tenant: Uuid,
        accepted: Vec<Accepted>,
        file_errors: Vec<String>,
        now: DateTime<Utc>,
    ) -> Option<NewBatch> {
        let batch = Batch {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            status: BatchStatus::Pending,
            file_errors,
            origin: Origin::Upload,
            created_at: now,
            updated_at: now,
        };
        let mut seen = std::collections::HashSet::new();
        let items: Vec<Item> = accepted
            .into_iter()
            .filter(|file| seen.insert(file.sha256.clone()))
            .map(|file| Item {
                id: Uuid::new_v4(),
                tenant_id: tenant,
                batch_id: batch.id,
                filename: file.filename,
                content_type: file.content_type,
                sha256: file.sha256,
                size: file.size,
                status: ItemStatus::Pending,
                extracted: Extracted::default(),
                organization_id: None,
                match_reason: None,
                certificate_id: None,
                other_certificate_ids: Vec::new(),
                reason: None,
                corrections: Vec::new(),
                created_at: now,
                updated_at: now,
            })
            .collect();
        (!items.is_empty()).then_some((batch, items))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub batch_id: Uuid,
    pub filename: String,
    pub content_type: String,
    /// SHA-256 of the file: its name in the content-addressed file store.
    pub sha256: String,
    pub size: u64,
    pub status: ItemStatus,
    pub extracted: Extracted,
    pub organization_id: Option<Uuid>,
    /// Why the organization was matched (`vat`, `lei`, `domain`, `name 0.93`).
    pub match_reason: Option<String>,
    /// The certificate filed for the document's (first) standard.
    pub certificate_id: Option<Uuid>,
    /// The certificates filed for the other standards a combined certificate names.
    pub other_certificate_ids: Vec<Uuid>,
    /// Why the item needs review or failed.
    pub reason: Option<String>,
    /// Fields a person changed against the extraction when confirming.
    pub corrections: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A batch's live counts, as the API shows them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchCounts {
    pub total: usize,
    pub processed: usize,
    pub matched: usize,
    /// Matched without a person (not by a confirm).
    pub auto_matched: usize,
    pub needs_review: usize,
    pub failed: usize,
    pub skipped: usize,
    pub pending: usize,
}

impl BatchCounts {
    pub fn of(items: &[Item]) -> BatchCounts {
        let mut c = BatchCounts {
            total: items.len(),
            ..BatchCounts::default()
        };
        for item in items {
            match item.status {
                ItemStatus::Pending => c.pending += 1,
                ItemStatus::Matched => {
                    c.matched += 1;
                    if item.match_reason.as_deref() != Some(CONFIRMED) {
                        c.auto_matched += 1;
                    }
                }
                ItemStatus::NeedsReview => c.needs_review += 1,
                ItemStatus::Failed => c.failed += 1,
                ItemStatus::Skipped => c.skipped += 1,
            }
        }
        c.processed = c.total - c.pending;
        c
    }

    /// Items matched without a person, per processed item (0 when nothing is processed).
    pub fn auto_match_rate(&self) -> f64 {
        ratio(self.auto_matched, self.processed)
    }

    pub fn failure_rate(&self) -> f64 {
        ratio(self.failed, self.processed)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        ((part as f64 / whole as f64) * 1000.0).round() / 1000.0
    }
}

/// Extraction fields a person can correct on confirm, by name.
pub fn corrected_fields(ex: &Extracted, confirmed: &Confirmation) -> Vec<String> {
    let text = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
    let date = |f: &Option<Field<NaiveDate>>| f.as_ref().map(|f| f.value);
    let mut out = Vec::new();
    let mut check = |name: &str, changed: bool| {
        if changed {
            out.push(name.to_string());
        }
    };
    check(
        "certificate_type_code",
        text(&ex.certificate_type_code).as_deref() != Some(&confirmed.certificate_type_code),
    );
    check(
        "certificate_number",
        text(&ex.certificate_number).as_deref() != Some(&confirmed.certificate_number),
    );
    check(
        "issuing_body",
        text(&ex.issuing_body).unwrap_or_default() != confirmed.issuing_body,
    );
    check(
        "scope",
        text(&ex.scope).unwrap_or_default() != confirmed.scope,
    );
    check("issue_date", date(&ex.issue_date) != confirmed.issue_date);
    check(
        "expiry_date",
        date(&ex.expiry_date) != Some(confirmed.expiry_date),
    );
    out
}

/// What a person confirms for a needs_review item.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    pub organization_id: Uuid,
    pub certificate_type_code: String,
    pub certificate_number: String,
    pub issuing_body: String,
    pub scope: String,
    pub issue_date: Option<NaiveDate>,
    pub expiry_date: NaiveDate,
}

/// Totals across a tenant's batches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QualityMetrics {
    pub batches: usize,
    pub counts: BatchCounts,
    /// Fields people corrected on confirm, most corrected first.
    pub corrections: Vec<(String, usize)>,
}

/// What becomes of a processed document: matched when an organization matched confidently
/// and the type, number and expiry were read; failed when nothing of a certificate was
/// read; otherwise a person reviews it, told what is missing.
pub fn decide(ex: &Extracted, organization: &Resolution<Uuid>) -> (ItemStatus, Option<String>) {
    let usable = ex.certificate_type_code.is_some()
        || ex.certificate_number.is_some()
        || ex.expiry_date.is_some()
        || ex.company_name.is_some();
    if !usable {
        return (
            ItemStatus::Failed,
            Some("No certificate information was found in the document.".into()),
        );
    }
    let mut missing = Vec::new();
    if let Resolution::Unmatched(why) = organization {
        missing.push(format!("no automatic organization match: {why}"));
    }
    if ex.certificate_type_code.is_none() {
        missing.push("no certificate type".into());
    }
    if ex.certificate_number.is_none() {
        missing.push("no certificate number".into());
    }
    if ex.expiry_date.is_none() {
        missing.push("no expiry date".into());
    }
    let doubtful = ex.doubtful_fields();
    if !doubtful.is_empty() {
        missing.push(format!("not read with confidence: {}", doubtful.join(", ")));
    }
    if missing.is_empty() {
        (ItemStatus::Matched, None)
    } else {
        (ItemStatus::NeedsReview, Some(missing.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_has_one_pending_item_per_distinct_file_and_none_without_files() {
        let now = Utc::now();
        let file = |name: &str, sha: &str| Accepted {
            filename: name.into(),
            content_type: "application/pdf".into(),
            sha256: sha.into(),
            size: 10,
        };
        let tenant = Uuid::new_v4();
        let accepted = vec![
            file("a.pdf", "aa"),
            file("copy.pdf", "aa"),
            file("b.pdf", "bb"),
        ];
        let (batch, items) =
            Batch::pending(tenant, accepted, vec!["x.exe refused".into()], now).unwrap();
        assert_eq!(items.len(), 2);
        assert!(
            items
                .iter()
                .all(|i| i.batch_id == batch.id && i.status == ItemStatus::Pending)
        );
        assert_eq!(items[0].filename, "a.pdf");
        assert_eq!(batch.file_errors, ["x.exe refused"]);
        assert!(Batch::pending(tenant, Vec::new(), vec!["refused".into()], now).is_none());
    }

    fn field<T>(value: T) -> Option<Field<T>> {
        Some(Field {
            value,
            confidence: 0.99,
        })
    }

    #[test]
    fn decisions() {
        let mut ex = Extracted::default();
        let unmatched = Resolution::Unmatched("no registered supplier has this name".into());
        let matched = Resolution::Matched {
            id: Uuid::nil(),
            by: "name".into(),
        };
        assert_eq!(decide(&ex, &unmatched).0, ItemStatus::Failed);
        ex.certificate_number = field("Q-1".into());
        let (status, reason) = decide(&ex, &matched);
        assert_eq!(status, ItemStatus::NeedsReview);
        assert_eq!(
            reason.as_deref(),
            Some("no certificate type; no expiry date")
        );
        ex.certificate_type_code = field("ISO_9001".into());
        ex.expiry_date = field("2027-01-14".parse().unwrap());
        assert_eq!(decide(&ex, &matched), (ItemStatus::Matched, None));
        assert_eq!(
            decide(&ex, &unmatched),
            (
                ItemStatus::NeedsReview,
                Some(
                    "no automatic organization match: no registered supplier has this name".into()
                )
            )
        );
    }

    #[test]
    fn corrections_name_the_fields_a_person_changed() {
        let ex = Extracted {
            certificate_type_code: field("ISO_9001".into()),
            certificate_number: field("Q-1".into()),
            expiry_date: field("2027-01-14".parse().unwrap()),
            ..Extracted::default()
        };
        let c = Confirmation {
            organization_id: Uuid::nil(),
            certificate_type_code: "ISO_9001".into(),
            certificate_number: "Q-1-A".into(),
            issuing_body: "DEKRA".into(),
            scope: String::new(),
            issue_date: None,
            expiry_date: "2027-01-14".parse().unwrap(),
        };
        assert_eq!(
            corrected_fields(&ex, &c),
            ["certificate_number", "issuing_body"]
        );
    }

    #[test]
    fn counts_and_rates() {
        let mk = |status| Item {
            id: Uuid::new_v4(),
            tenant_id: Uuid::nil(),
            batch_id: Uuid::nil(),
            filename: String::new(),
            content_type: String::new(),
            sha256: String::new(),
            size: 0,
            status,
            extracted: Extracted::default(),
            organization_id: None,
            match_reason: None,
            certificate_id: None,
            other_certificate_ids: Vec::new(),
            reason: None,
            corrections: Vec::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        use ItemStatus::*;
        let items: Vec<Item> = [Matched, Matched, NeedsReview, Failed, Pending]
            .into_iter()
            .map(mk)
            .collect();
        let c = BatchCounts::of(&items);
        assert_eq!((c.total, c.processed, c.pending), (5, 4, 1));
        assert_eq!((c.auto_match_rate(), c.failure_rate()), (0.5, 0.25));
        assert_eq!(BatchCounts::default().auto_match_rate(), 0.0);
    }
}
