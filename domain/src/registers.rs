//! The records of register checks: the providers a certificate's status is asked of, a
//! tenant's account with one (its key, budget and pause), and each check with its
//! evidence. The rules they follow are in `verification`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::{Event, EventKind};
use crate::registry::{CertStatus, Certificate};
use crate::rules::FieldError;
use crate::verification::{Budget, Consequence, RegisterStatus, consequence};

/// Where a status comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Provider {
    /// IAF CertSearch's Verification Users API (accredited management-system certificates).
    IafCertsearch,
    /// FSC's certificate status API (chain-of-custody licences).
    Fsc,
    /// A person, from a register without an API (IATF, PEFC), with the evidence they saw.
    Manual,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::IafCertsearch, Provider::Fsc, Provider::Manual];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::IafCertsearch => "iaf_certsearch",
            Provider::Fsc => "fsc",
            Provider::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The register's name as people know it.
    pub fn title(self) -> &'static str {
        match self {
            Provider::IafCertsearch => "IAF CertSearch",
            Provider::Fsc => "FSC",
            Provider::Manual => "Recorded by hand",
        }
    }

    /// Whether the register is asked over an API, with a tenant's key.
    pub fn has_api(self) -> bool {
        self != Provider::Manual
    }

    /// Whether the register charges its subscribers per lookup (IAF: a credit for each
    /// company it matches).
    pub fn charges_credits(self) -> bool {
        self == Provider::IafCertsearch
    }
}

/// Registers without an API, checked by a person on their public lookup pages.
pub const MANUAL_LOOKUPS: [(&str, &str); 3] = [
    (
        "IATF 16949",
        "https://www.iatfglobaloversight.org/certificate-search/",
    ),
    ("PEFC", "https://www.pefc.org/find-certified"),
    (
        "IAF CertSearch (without API)",
        "https://www.iafcertsearch.org/",
    ),
];

/// The longest API key accepted: registers' keys are far shorter.
pub const MAX_KEY_CHARS: usize = 512;
/// The largest monthly credit budget an admin can set.
pub const MAX_MONTHLY_BUDGET: u32 = 1_000_000;

/// A tenant's account with a register that has an API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderAccount {
    pub tenant_id: Uuid,
    pub provider: Provider,
    /// The tenant's key; sealed at rest, never shown again but for its last characters.
    pub api_key: String,
    pub enabled: bool,
    pub budget: Budget,
    /// Why the register stopped answering for this tenant until an admin acts (a refused
    /// key, credits spent); no request is sent while it is set.
    pub paused: Option<String>,
    /// Not asked before this time: the register asked to wait (429 with `Retry-After`).
    pub retry_at: Option<DateTime<Utc>>,
    /// What went wrong the last time it was asked, cleared by the next answer.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An admin's change to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountPatch {
    pub api_key: Option<String>,
    pub enabled: Option<bool>,
    pub monthly_credit_budget: Option<u32>,
}

impl ProviderAccount {
    /// The account `patch` makes of `old` (or a new one), checked: a new account needs a
    /// key. Saving clears a pause, a wait and the last error: the admin acted.
    pub fn apply(
        old: Option<&ProviderAccount>,
        tenant: Uuid,
        provider: Provider,
        patch: AccountPatch,
        now: DateTime<Utc>,
    ) -> Result<ProviderAccount, Vec<FieldError>> {
        let mut errors = Vec::new();
        if !provider.has_api() {
            errors.push(FieldError::new(
                "provider",
                "Statuses from registers without an API are recorded on the certificate.",
            ));
        }
        let key = match (&patch.api_key, old) {
            (Some(k), _) => match check_key(k) {
                Ok(k) => k,
                Err(e) => {
                    errors.push(e);
                    String::new()
                }
            },
            (None, Some(old)) => old.api_key.clone(),
            (None, None) => {
                errors.push(FieldError::new("api_key", "An API key is required."));
                String::new()
            }
        };
        if patch
            .monthly_credit_budget
            .is_some_and(|b| b > MAX_MONTHLY_BUDGET)
        {
            errors.push(FieldError::new(
                "monthly_credit_budget",
                &format!("At most {MAX_MONTHLY_BUDGET} credits a month."),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let budget = Budget {
            monthly: patch
                .monthly_credit_budget
                .or(old.map(|o| o.budget.monthly))
                .unwrap_or(0),
            ..old.map(|o| o.budget).unwrap_or_default()
        };
        Ok(ProviderAccount {
            tenant_id: tenant,
            provider,
            api_key: key,
            enabled: patch.enabled.or(old.map(|o| o.enabled)).unwrap_or(true),
            budget,
            paused: None,
            retry_at: None,
            last_error: None,
            created_at: old.map_or(now, |o| o.created_at),
            updated_at: now,
        })
    }

    /// The key as it may be shown: its last four characters.
    pub fn key_hint(&self) -> String {
        let n = self.api_key.chars().count();
        let tail: String = self.api_key.chars().skip(n.saturating_sub(4)).collect();
        format!("…{tail}")
    }

    /// Whether the register may be asked for this tenant now.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.enabled && self.paused.is_none() && self.retry_at.is_none_or(|t| t <= now)
    }

    /// Credits that may still be spent this month (unlimited for a free register).
    pub fn credits_left(&self, now: DateTime<Utc>) -> u32 {
        if self.provider.charges_credits() {
            self.budget
                .monthly
                .saturating_sub(self.budget.spent_in(now))
        } else {
            u32::MAX
        }
    }
}

/// A key as typed: trimmed, not empty, printable, not absurdly long.
fn check_key(raw: &str) -> Result<String, FieldError> {
    let key = raw.trim();
    if key.is_empty() {
        return Err(FieldError::new("api_key", "The API key must not be empty."));
    }
    if key.chars().count() > MAX_KEY_CHARS || key.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(
            "api_key",
            &format!("An API key is at most {MAX_KEY_CHARS} printable characters."),
        ));
    }
    Ok(key.to_string())
}

/// The most of a register's response kept as a check's evidence.
pub const MAX_EVIDENCE: usize = 512 * 1024;
/// The checks kept per certificate, newest first; older ones are dropped as new ones come.
pub const CHECKS_KEPT: usize = 50;

/// One answer about one certificate, with what the register sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterCheck {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub certificate_id: Uuid,
    pub provider: Provider,
    pub status: RegisterStatus,
    /// The register's own status words.
    pub raw_status: String,
    pub checked_at: DateTime<Utc>,
    /// The number the register holds the certificate under.
    pub register_number: Option<String>,
    /// Fields where the register differs from the file (`body`, `expiry_date`).
    pub mismatch: Vec<String>,
    /// The register's response as it sent it, or what the person pasted.
    pub evidence: String,
    /// Why the register gave no answer; the status is then `unknown`.
    pub error: Option<String>,
    /// The person who recorded a manual check.
    pub recorded_by: Option<Uuid>,
}

/// What a certificate shows of its latest check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub check_id: Uuid,
    pub provider: Provider,
    pub status: RegisterStatus,
    pub raw_status: String,
    pub checked_at: DateTime<Utc>,
    pub register_number: Option<String>,
    pub mismatch: Vec<String>,
}

impl From<&RegisterCheck> for Verification {
    fn from(c: &RegisterCheck) -> Verification {
        Verification {
            check_id: c.id,
            provider: c.provider,
            status: c.status,
            raw_status: c.raw_status.clone(),
            checked_at: c.checked_at,
            register_number: c.register_number.clone(),
            mismatch: c.mismatch.clone(),
        }
    }
}

/// The certificate after `check`, or `None` when the answer leaves its status alone.
/// A suspension is lifted only by a register's answer, never by a file.
pub fn after_check(cert: &Certificate, check: &RegisterCheck) -> Option<Certificate> {
    let status = match consequence(
        cert.status == CertStatus::Suspended,
        cert.status == CertStatus::Revoked,
        check.status,
    ) {
        Consequence::Revoke => CertStatus::Revoked,
        Consequence::Suspend => CertStatus::Suspended,
        Consequence::Restore => CertStatus::Active,
        Consequence::Nothing => return None,
    };
    let mut new = cert.clone();
    new.status = status;
    new.updated_at = check.checked_at;
    Some(new)
}

/// `events` of a change a check made, each `certificate.status_changed` naming the
/// register (`provider`) and the check (`verification_id`, its evidence under
/// `/verifications/`).
pub fn events_of_check(mut events: Vec<Event>, check: &RegisterCheck) -> Vec<Event> {
    for e in &mut events {
        if e.kind != EventKind::CertificateStatusChanged.as_str() {
            continue;
        }
        if let Ok(serde_json::Value::Object(mut data)) = serde_json::from_str(&e.data) {
            data.insert("provider".into(), check.provider.as_str().into());
            data.insert("verification_id".into(), check.id.to_string().into());
            data.insert("register_status".into(), check.status.as_str().into());
            e.data = serde_json::Value::Object(data).to_string();
        }
    }
    events
}

/// Whether a certificate in `status` is asked about on the schedule: those that stand
/// (active) or may stand again (suspended).
pub fn checked_on_schedule(status: CertStatus) -> bool {
    matches!(status, CertStatus::Active | CertStatus::Suspended)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-05T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn an_account_needs_a_key_keeps_it_and_saving_lifts_a_pause() {
        let tenant = Uuid::new_v4();
        let none = ProviderAccount::apply(
            None,
            tenant,
            Provider::IafCertsearch,
            AccountPatch::default(),
            now(),
        );
        assert_eq!(none.unwrap_err()[0].field, "api_key");
        let blank = AccountPatch {
            api_key: Some("  ".into()),
            ..AccountPatch::default()
        };
        assert!(ProviderAccount::apply(None, tenant, Provider::Fsc, blank, now()).is_err());
        let manual = AccountPatch {
            api_key: Some("k".into()),
            ..AccountPatch::default()
        };
        assert!(ProviderAccount::apply(None, tenant, Provider::Manual, manual, now()).is_err());
        let mut acc = ProviderAccount::apply(
            None,
            tenant,
            Provider::IafCertsearch,
            AccountPatch {
                api_key: Some(" secret-key-1234 ".into()),
                monthly_credit_budget: Some(3),
                ..AccountPatch::default()
            },
            now(),
        )
        .unwrap();
        assert_eq!(acc.api_key, "secret-key-1234");
        assert_eq!(acc.key_hint(), "…1234");
        assert!(acc.enabled && acc.usable(now()));
        assert_eq!(acc.credits_left(now()), 3);
        acc.budget = acc.budget.spend(now());
        acc.paused = Some("the register refused the API key".into());
        assert!(!acc.usable(now()));
        let again = ProviderAccount::apply(
            Some(&acc),
            tenant,
            Provider::IafCertsearch,
            AccountPatch {
                enabled: Some(true),
                ..AccountPatch::default()
            },
            now(),
        )
        .unwrap();
        assert_eq!(again.api_key, "secret-key-1234");
        assert!(again.paused.is_none() && again.usable(now()));
        assert_eq!(again.credits_left(now()), 2, "the month's spending stays");
        let waiting = ProviderAccount {
            retry_at: Some(now() + chrono::Duration::seconds(7)),
            ..again
        };
        assert!(!waiting.usable(now()));
        assert!(waiting.usable(now() + chrono::Duration::seconds(7)));
    }

    #[test]
    fn a_check_suspends_restores_and_revokes_the_certificate() {
        let mut cert = Certificate::new(
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            "12 100 48563 TMS".into(),
            now(),
        );
        cert.status = CertStatus::Active;
        let check = |status| RegisterCheck {
            id: Uuid::new_v4(),
            tenant_id: cert.tenant_id,
            certificate_id: cert.id,
            provider: Provider::IafCertsearch,
            status,
            raw_status: String::new(),
            checked_at: now(),
            register_number: None,
            mismatch: Vec::new(),
            evidence: String::new(),
            error: None,
            recorded_by: None,
        };
        let suspended = after_check(&cert, &check(RegisterStatus::Suspended)).unwrap();
        assert_eq!(suspended.status, CertStatus::Suspended);
        assert!(after_check(&suspended, &check(RegisterStatus::Suspended)).is_none());
        let back = after_check(&suspended, &check(RegisterStatus::Active)).unwrap();
        assert_eq!(back.status, CertStatus::Active);
        assert!(after_check(&back, &check(RegisterStatus::NotFound)).is_none());
        let gone = after_check(&back, &check(RegisterStatus::Withdrawn)).unwrap();
        assert_eq!(gone.status, CertStatus::Revoked);
        assert!(after_check(&gone, &check(RegisterStatus::Active)).is_none());
        let events = crate::certificates::certificate_events(Some(&back), &gone, now());
        let c = check(RegisterStatus::Withdrawn);
        let events = events_of_check(events, &c);
        let changed = events
            .iter()
            .find(|e| e.kind == "certificate.status_changed")
            .unwrap();
        let data: serde_json::Value = serde_json::from_str(&changed.data).unwrap();
        assert_eq!(data["provider"], "iaf_certsearch");
        assert_eq!(data["verification_id"], c.id.to_string());
        assert_eq!(data["previous_status"], "ACTIVE");
        assert_eq!(data["status"], "REVOKED");
        assert!(checked_on_schedule(CertStatus::Suspended));
        assert!(!checked_on_schedule(CertStatus::Revoked));
    }
}
