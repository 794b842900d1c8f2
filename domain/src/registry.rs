//! The supplier registry's records: organizations, their sites, certificate types and
//! certificates, and the patches a person or a reading applies to them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub external_id: Option<String>,
    pub name: String,
    pub website: Option<String>,
    pub lei: Option<String>,
    pub vat: Option<String>,
    pub country: Option<String>,
    /// Short labels requirements can apply to (`compliance::tags`), schema 5.
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    /// A new, empty organization of `tenant`; the caller fills in its fields.
    pub fn new(tenant_id: Uuid, now: DateTime<Utc>) -> Organization {
        Organization {
            id: Uuid::new_v4(),
            tenant_id,
            external_id: None,
            name: String::new(),
            website: None,
            lei: None,
            vat: None,
            country: None,
            tags: Vec::new(),
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateType {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CertificateType {
    pub fn new(tenant_id: Uuid, code: String, name: String, now: DateTime<Utc>) -> CertificateType {
        CertificateType {
            id: Uuid::new_v4(),
            tenant_id,
            code,
            name,
            description: String::new(),
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CertStatus {
    Active,
    Expired,
    Revoked,
    Pending,
    /// Suspended by its certification body, as a register said (last, so that records
    /// written before it decode unchanged). It does not count as valid until the register
    /// says it is active again.
    Suspended,
}

impl CertStatus {
    pub const ALL: [CertStatus; 5] = [
        CertStatus::Active,
        CertStatus::Expired,
        CertStatus::Revoked,
        CertStatus::Pending,
        CertStatus::Suspended,
    ];

    pub fn parse(s: &str) -> Option<CertStatus> {
        match s {
            "ACTIVE" => Some(CertStatus::Active),
            "EXPIRED" => Some(CertStatus::Expired),
            "REVOKED" => Some(CertStatus::Revoked),
            "PENDING" => Some(CertStatus::Pending),
            "SUSPENDED" => Some(CertStatus::Suspended),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CertStatus::Active => "ACTIVE",
            CertStatus::Expired => "EXPIRED",
            CertStatus::Revoked => "REVOKED",
            CertStatus::Pending => "PENDING",
            CertStatus::Suspended => "SUSPENDED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organization_id: Uuid,
    pub certificate_type_id: Uuid,
    pub certificate_number: String,
    pub issuing_body: String,
    pub scope: String,
    pub issue_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub status: CertStatus,
    pub document_url: Option<String>,
    /// Set by monitoring when it found the certificate; null when entered by hand.
    pub source_url: Option<String>,
    pub document_hash: Option<String>,
    /// When monitoring last saw the certificate; never set for manual entries.
    pub last_checked: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Certificate {
    /// A new ACTIVE certificate with only its identity set; the other fields are empty.
    pub fn new(
        tenant_id: Uuid,
        organization_id: Uuid,
        certificate_type_id: Uuid,
        certificate_number: String,
        now: DateTime<Utc>,
    ) -> Certificate {
        Certificate {
            id: Uuid::new_v4(),
            tenant_id,
            organization_id,
            certificate_type_id,
            certificate_number,
            issuing_body: String::new(),
            scope: String::new(),
            issue_date: None,
            expiry_date: None,
            status: CertStatus::Active,
            document_url: None,
            source_url: None,
            document_hash: None,
            last_checked: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether the daily sweep should mark this certificate EXPIRED on `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status == CertStatus::Active && self.expiry_date.is_some_and(|d| d < today)
    }
}

/// The certificate types every new tenant starts with.
pub const DEFAULT_TYPES: &[(&str, &str)] = &[
    ("ISO_9001", "ISO 9001:2015 Quality management"),
    ("ISO_14001", "ISO 14001:2015 Environmental management"),
    ("ISO_45001", "ISO 45001:2018 Occupational health and safety"),
    ("ISO_27001", "ISO/IEC 27001:2022 Information security"),
    ("ISO_50001", "ISO 50001:2018 Energy management"),
    (
        "IATF_16949",
        "IATF 16949:2016 Automotive quality management",
    ),
    ("ISCC_EU", "ISCC EU"),
    ("ISCC_PLUS", "ISCC PLUS"),
];

pub fn default_types(tenant_id: Uuid, now: DateTime<Utc>) -> Vec<CertificateType> {
    DEFAULT_TYPES
        .iter()
        .map(|(code, name)| {
            CertificateType::new(tenant_id, code.to_string(), name.to_string(), now)
        })
        .collect()
}

/// A field that is absent from the patch, set to a value, or (for optional fields) cleared.
/// `None` = leave as is.
pub type Change<T> = Option<T>;

#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub external_id: Change<Option<String>>,
    pub name: Change<String>,
    pub website: Change<Option<String>>,
    pub lei: Change<Option<String>>,
    pub vat: Change<Option<String>>,
    pub country: Change<Option<String>>,
    pub tags: Change<Vec<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct SitePatch {
    pub organization_id: Change<Uuid>,
    pub name: Change<String>,
    pub address: Change<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TypePatch {
    pub code: Change<String>,
    pub name: Change<String>,
    pub description: Change<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CertPatch {
    pub organization_id: Change<Uuid>,
    pub certificate_type_id: Change<Uuid>,
    pub certificate_number: Change<String>,
    pub issuing_body: Change<String>,
    pub scope: Change<String>,
    pub issue_date: Change<Option<NaiveDate>>,
    pub expiry_date: Change<Option<NaiveDate>>,
    pub status: Change<CertStatus>,
    pub document_url: Change<Option<String>>,
    /// Set only by filings of an uploaded document (the supplier link): its SHA-256.
    pub document_hash: Change<Option<String>>,
}

/// Applies one field of a patch.
pub fn set<T>(target: &mut T, change: Change<T>) {
    if let Some(v) = change {
        *target = v;
    }
}
