//! A certificate's history: every change, when, by whom (a user, a bulk-upload item, a
//! monitoring scrape, the expiry sweep, a merge), and which fields went from what to what.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::registry::Certificate;

/// Who or what changed a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangedBy {
    /// A person, through the API (login or personal API token).
    User(Uuid),
    /// Bulk upload: the item whose document was filed (automatically or confirmed).
    BulkItem(Uuid),
    /// Monitoring: the endpoint whose scrape read it.
    Scrape(Uuid),
    /// The daily sweep that marks certificates past their expiry EXPIRED.
    ExpirySweep,
    /// `certwatch doctor --merge`, folding duplicates.
    Merge,
    /// The supplier, uploading through the link of this certificate request.
    SupplierUpload(Uuid),
    /// A register's answer: the check (`/verifications/`) that changed its status.
    Register(Uuid),
}

impl ChangedBy {
    /// `(kind, id)` as the API shows it.
    pub fn parts(&self) -> (&'static str, Option<Uuid>) {
        match self {
            ChangedBy::User(id) => ("user", Some(*id)),
            ChangedBy::BulkItem(id) => ("bulk_item", Some(*id)),
            ChangedBy::Scrape(id) => ("monitoring", Some(*id)),
            ChangedBy::ExpirySweep => ("expiry_sweep", None),
            ChangedBy::Merge => ("merge", None),
            ChangedBy::SupplierUpload(request) => ("supplier_upload", Some(*request)),
            ChangedBy::Register(check) => ("register", Some(*check)),
        }
    }

    /// What a person reads of it in a certificate's history.
    pub fn describe(&self) -> String {
        match self {
            ChangedBy::User(_) => "changed by a user".into(),
            ChangedBy::BulkItem(_) => "filed from a bulk upload".into(),
            ChangedBy::Scrape(_) => "found by monitoring".into(),
            ChangedBy::ExpirySweep => "marked expired by the daily sweep".into(),
            ChangedBy::Merge => "merged with a duplicate".into(),
            ChangedBy::SupplierUpload(request) => {
                format!("uploaded by the supplier through request {request}")
            }
            ChangedBy::Register(check) => format!("set by a register's answer (check {check})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub certificate_id: Uuid,
    pub at: DateTime<Utc>,
    pub by: ChangedBy,
    /// `created`, `updated`, `deleted` or `merged`.
    pub action: String,
    pub changes: Vec<FieldChange>,
}

/// A certificate's fields as history shows them (empty text is no value).
fn values(c: &Certificate) -> [(&'static str, Option<String>); 10] {
    let text = |s: &str| (!s.is_empty()).then(|| s.to_string());
    [
        ("organization", Some(c.organization_id.to_string())),
        ("certificate_type", Some(c.certificate_type_id.to_string())),
        ("certificate_number", text(&c.certificate_number)),
        ("issuing_body", text(&c.issuing_body)),
        ("scope", text(&c.scope)),
        ("issue_date", c.issue_date.map(|d| d.to_string())),
        ("expiry_date", c.expiry_date.map(|d| d.to_string())),
        ("status", Some(c.status.as_str().to_string())),
        ("document_url", c.document_url.clone()),
        ("document_hash", c.document_hash.clone()),
    ]
}

/// The fields that differ between two versions (either may be absent: created, deleted).
pub fn field_changes(old: Option<&Certificate>, new: Option<&Certificate>) -> Vec<FieldChange> {
    let none = || std::array::from_fn::<_, 10, _>(|_| ("", None));
    let before = old.map_or_else(none, values);
    let after = new.map_or_else(none, values);
    before
        .into_iter()
        .zip(after)
        .filter(|((_, from), (_, to))| from != to)
        .map(|((a, from), (b, to))| FieldChange {
            field: if a.is_empty() { b } else { a }.to_string(),
            from,
            to,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_each_field_with_before_and_after() {
        let now = Utc::now();
        let mut a = Certificate::new(Uuid::nil(), Uuid::nil(), Uuid::nil(), "Q-1".into(), now);
        a.expiry_date = Some("2027-01-14".parse().unwrap());
        let mut b = a.clone();
        b.expiry_date = Some("2030-01-14".parse().unwrap());
        b.issuing_body = "TÜV".into();
        b.last_checked = Some(now);
        let changes = field_changes(Some(&a), Some(&b));
        assert_eq!(
            changes,
            [
                FieldChange {
                    field: "issuing_body".into(),
                    from: None,
                    to: Some("TÜV".into())
                },
                FieldChange {
                    field: "expiry_date".into(),
                    from: Some("2027-01-14".into()),
                    to: Some("2030-01-14".into())
                },
            ]
        );
        assert!(field_changes(Some(&a), Some(&a)).is_empty());
        let created = field_changes(None, Some(&a));
        assert!(created.iter().all(|c| c.from.is_none()));
        assert!(created.iter().any(|c| c.field == "certificate_number"));
        let deleted = field_changes(Some(&a), None);
        assert!(deleted.iter().all(|c| c.to.is_none()));
    }
}
