//! What a tenant's webhooks can tell: each kind of event, named once here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Something that happened to the registry, kept for the webhook system to announce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The organization the event is about, for subscriptions narrowed to one supplier.
    pub organization_id: Option<Uuid>,
    /// `certificate.created`, `certificate.status_changed`, …
    pub kind: String,
    /// The event's `data` object, as JSON text.
    pub data: String,
    pub created_at: DateTime<Utc>,
}

impl Event {
    pub fn new(
        tenant_id: Uuid,
        organization_id: Option<Uuid>,
        kind: EventKind,
        data: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Event {
        Event {
            id: Uuid::new_v4(),
            tenant_id,
            organization_id,
            kind: kind.as_str().to_string(),
            data: data.to_string(),
            created_at: now,
        }
    }
}

/// A kind of event, as subscribers see it in `type` and choose it in `event_types`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    CertificateCreated,
    CertificateUpdated,
    CertificateDeleted,
    CertificateStatusChanged,
    CertificateExpiring,
    CertificateExpired,
    CertificateDocumentChanged,
    EndpointScrapeFailed,
    ImportCompleted,
    BulkUploadCompleted,
    OrganizationComplianceChanged,
    CertificateRequestCreated,
    CertificateRequestFulfilled,
}

impl EventKind {
    /// Every kind, in the order the API documents them.
    pub const ALL: [EventKind; 13] = [
        EventKind::CertificateCreated,
        EventKind::CertificateUpdated,
        EventKind::CertificateDeleted,
        EventKind::CertificateStatusChanged,
        EventKind::CertificateExpiring,
        EventKind::CertificateExpired,
        EventKind::CertificateDocumentChanged,
        EventKind::EndpointScrapeFailed,
        EventKind::ImportCompleted,
        EventKind::BulkUploadCompleted,
        EventKind::OrganizationComplianceChanged,
        EventKind::CertificateRequestCreated,
        EventKind::CertificateRequestFulfilled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CertificateCreated => "certificate.created",
            EventKind::CertificateUpdated => "certificate.updated",
            EventKind::CertificateDeleted => "certificate.deleted",
            EventKind::CertificateStatusChanged => "certificate.status_changed",
            EventKind::CertificateExpiring => "certificate.expiring",
            EventKind::CertificateExpired => "certificate.expired",
            EventKind::CertificateDocumentChanged => "certificate.document_changed",
            EventKind::EndpointScrapeFailed => "endpoint.scrape_failed",
            EventKind::ImportCompleted => "import.completed",
            EventKind::BulkUploadCompleted => "bulk_upload.completed",
            EventKind::OrganizationComplianceChanged => "organization.compliance_changed",
            EventKind::CertificateRequestCreated => "certificate_request.created",
            EventKind::CertificateRequestFulfilled => "certificate_request.fulfilled",
        }
    }

    /// The kind a name stands for.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_parse_back() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
        assert_eq!(EventKind::parse("certificate.renamed"), None);
    }
}
