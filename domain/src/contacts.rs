//! The people of a supplier whom certificate requests are mailed to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The languages request mails are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    En,
    De,
    Fr,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::En, Language::De, Language::Fr];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
            Language::Fr => "fr",
        }
    }

    pub fn parse(s: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// Normalized (`accounts::normalize_email`).
    pub email: String,
    pub language: Language,
    /// Whether certificate requests and their reminders are mailed to this contact.
    pub receives_requests: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub language: Option<Language>,
    pub receives_requests: Option<bool>,
}

impl Contact {
    /// A new contact of `organization_id` who receives requests, in English; the caller
    /// fills in the rest.
    pub fn new(tenant_id: Uuid, organization_id: Uuid, now: DateTime<Utc>) -> Contact {
        Contact {
            id: Uuid::new_v4(),
            tenant_id,
            organization_id,
            name: String::new(),
            email: String::new(),
            language: Language::En,
            receives_requests: true,
            created_at: now,
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_parse_back() {
        for l in Language::ALL {
            assert_eq!(Language::parse(l.as_str()), Some(l));
        }
        assert_eq!(Language::parse("EN"), None);
    }
}
