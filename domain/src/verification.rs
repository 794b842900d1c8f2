//! What a register says about a certificate, in one vocabulary: IAF CertSearch's and FSC's
//! statuses normalised, what the register holds that the file does not (another number,
//! body or expiry), when a certificate is due to be asked about again, and what an answer
//! does to the certificate. Plain rules; the providers that ask live in `actors`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::names::fold;

/// A register's answer, normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterStatus {
    Active,
    Suspended,
    /// Withdrawn, cancelled or terminated: the certificate no longer stands.
    Withdrawn,
    Expired,
    /// The register holds no such certificate (or company).
    NotFound,
    /// The register answered with a status this service does not know.
    Unknown,
}

impl RegisterStatus {
    pub const ALL: [RegisterStatus; 6] = [
        RegisterStatus::Active,
        RegisterStatus::Suspended,
        RegisterStatus::Withdrawn,
        RegisterStatus::Expired,
        RegisterStatus::NotFound,
        RegisterStatus::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegisterStatus::Active => "active",
            RegisterStatus::Suspended => "suspended",
            RegisterStatus::Withdrawn => "withdrawn",
            RegisterStatus::Expired => "expired",
            RegisterStatus::NotFound => "not_found",
            RegisterStatus::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<RegisterStatus> {
        RegisterStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// One status word as registers print it, whatever its case ("Active", "ISSUED",
/// "Terminated").
fn status_word(raw: &str) -> RegisterStatus {
    match raw.trim().to_ascii_lowercase().as_str() {
        "active" | "valid" | "issued" => RegisterStatus::Active,
        "suspended" => RegisterStatus::Suspended,
        "withdrawn" | "cancelled" | "canceled" | "terminated" | "revoked" => {
            RegisterStatus::Withdrawn
        }
        "expired" => RegisterStatus::Expired,
        _ => RegisterStatus::Unknown,
    }
}

/// IAF CertSearch's `certification_status` (public values: Active, Suspended, Withdrawn,
/// Cancelled, Expired).
pub fn iaf_status(raw: &str) -> RegisterStatus {
    status_word(raw)
}

/// FSC's answer from its two statuses: `CertificateStatus` (the certificate: Issued,
/// Suspended, Terminated, Expired …) and `LicenseStatus` (the right to use the label:
/// Valid, Suspended, Terminated …). The worse of the two counts; both must be good for
/// the certificate to be active.
pub fn fsc_status(certificate: &str, license: &str) -> RegisterStatus {
    let (c, l) = (status_word(certificate), status_word(license));
    for worst in [
        RegisterStatus::Withdrawn,
        RegisterStatus::Suspended,
        RegisterStatus::Expired,
    ] {
        if c == worst || l == worst {
            return worst;
        }
    }
    if c == RegisterStatus::Active && l == RegisterStatus::Active {
        RegisterStatus::Active
    } else {
        RegisterStatus::Unknown
    }
}

/// A certificate as a register holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterEntry {
    pub number: String,
    pub body: Option<String>,
    pub expiry: Option<NaiveDate>,
    /// The register's own status words, as it printed them.
    pub raw_status: String,
    pub status: RegisterStatus,
}

/// Whether two certificate numbers are one: letters and digits alike, whatever the case,
/// spacing and punctuation ("12 100 48563 TMS" and "1210048563TMS").
pub fn same_number(a: &str, b: &str) -> bool {
    let key = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    let (a, b) = (key(a), key(b));
    !a.is_empty() && a == b
}

/// The register's entry among `entries` for the certificate numbered `number`.
pub fn entry_for<'a>(entries: &'a [RegisterEntry], number: &str) -> Option<&'a RegisterEntry> {
    entries.iter().find(|e| same_number(&e.number, number))
}

/// What the register holds that differs from the certificate on file: `"body"` and
/// `"expiry_date"` (the number found it, so it agrees). A field the register or the file
/// leaves empty is no mismatch.
pub fn mismatches(
    entry: &RegisterEntry,
    body_on_file: &str,
    expiry_on_file: Option<NaiveDate>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(body) = &entry.body {
        let (theirs, ours) = (fold(body), fold(body_on_file));
        // "TÜV SÜD Management Service GmbH" is the body on file as "TÜV SÜD".
        if !ours.is_empty()
            && !theirs.is_empty()
            && !theirs.contains(&ours)
            && !ours.contains(&theirs)
        {
            out.push("body".to_string());
        }
    }
    if let (Some(theirs), Some(ours)) = (entry.expiry, expiry_on_file)
        && theirs != ours
    {
        out.push("expiry_date".to_string());
    }
    out
}

/// How often certificates are asked about again, by their last answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recheck {
    /// After an active answer.
    pub active: Duration,
    /// After any other answer (suspended, unknown, not found …), and after a failed try.
    pub doubtful: Duration,
}

impl Default for Recheck {
    fn default() -> Recheck {
        Recheck {
            active: Duration::days(7),
            doubtful: Duration::days(1),
        }
    }
}

/// When a certificate last answered `last` at `checked_at` is due again; never checked
/// is due now. Withdrawn and expired certificates are not asked again: nothing brings
/// them back but a new certificate.
pub fn next_check(
    last: Option<(RegisterStatus, DateTime<Utc>)>,
    recheck: &Recheck,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match last {
        None => Some(now),
        Some((RegisterStatus::Withdrawn | RegisterStatus::Expired, _)) => None,
        Some((RegisterStatus::Active, at)) => Some(at + recheck.active),
        Some((_, at)) => Some(at + recheck.doubtful),
    }
}

/// What an answer does to a certificate's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consequence {
    /// Withdrawn: the certificate is revoked.
    Revoke,
    /// Suspended: it stops counting as valid until the register says otherwise.
    Suspend,
    /// Active again after a suspension.
    Restore,
    Nothing,
}

/// The consequence of `answer` for a certificate that `is_suspended` (by an earlier
/// answer) or `is_revoked`. A revoked certificate stays revoked: a register that lists it
/// again lists a new certificate, which is filed as one. Expired, not found and unknown
/// change nothing: the expiry on file says when it ends, and a register that cannot find
/// a certificate is no proof it was withdrawn.
pub fn consequence(is_suspended: bool, is_revoked: bool, answer: RegisterStatus) -> Consequence {
    match answer {
        _ if is_revoked => Consequence::Nothing,
        RegisterStatus::Withdrawn => Consequence::Revoke,
        RegisterStatus::Suspended if !is_suspended => Consequence::Suspend,
        RegisterStatus::Active if is_suspended => Consequence::Restore,
        _ => Consequence::Nothing,
    }
}

/// A tenant's spending on a register that charges per lookup: credits used in the current
/// calendar month (UTC) against the monthly budget the admin set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Budget {
    pub monthly: u32,
    /// The month spent in, as year * 12 + month - 1.
    pub month: i32,
    pub spent: u32,
}

impl Budget {
    fn month_of(now: DateTime<Utc>) -> i32 {
        use chrono::Datelike;
        now.year() * 12 + now.month0() as i32
    }

    /// Whether one more credit may be spent now.
    pub fn allows(&self, now: DateTime<Utc>) -> bool {
        self.spent_in(now) < self.monthly
    }

    /// Credits spent in the month of `now` (a new month starts at nothing).
    pub fn spent_in(&self, now: DateTime<Utc>) -> u32 {
        if self.month == Budget::month_of(now) {
            self.spent
        } else {
            0
        }
    }

    /// The budget after one credit spent at `now`.
    pub fn spend(self, now: DateTime<Utc>) -> Budget {
        Budget {
            spent: self.spent_in(now) + 1,
            month: Budget::month_of(now),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_statuses_in_one_vocabulary() {
        assert_eq!(iaf_status("Active"), RegisterStatus::Active);
        assert_eq!(iaf_status("Suspended"), RegisterStatus::Suspended);
        assert_eq!(iaf_status("Withdrawn"), RegisterStatus::Withdrawn);
        assert_eq!(iaf_status("Cancelled"), RegisterStatus::Withdrawn);
        assert_eq!(iaf_status("EXPIRED"), RegisterStatus::Expired);
        assert_eq!(iaf_status("Pending review"), RegisterStatus::Unknown);
        assert_eq!(fsc_status("Issued", "Valid"), RegisterStatus::Active);
        assert_eq!(fsc_status("Issued", "Suspended"), RegisterStatus::Suspended);
        assert_eq!(
            fsc_status("Terminated", "Suspended"),
            RegisterStatus::Withdrawn
        );
        assert_eq!(fsc_status("Expired", "Valid"), RegisterStatus::Expired);
        assert_eq!(fsc_status("Issued", ""), RegisterStatus::Unknown);
        for s in [
            "active",
            "suspended",
            "withdrawn",
            "expired",
            "not_found",
            "unknown",
        ] {
            assert_eq!(
                RegisterStatus::parse(s).map(RegisterStatus::as_str),
                Some(s)
            );
        }
        assert_eq!(RegisterStatus::parse("Active"), None);
    }

    #[test]
    fn numbers_agree_whatever_their_spacing_bodies_by_name_expiry_to_the_day() {
        assert!(same_number("12 100 48563 TMS", "1210048563tms"));
        assert!(same_number("FSC-C127951", "fsc c127951"));
        assert!(!same_number("C519167-IC1", "C519167"));
        assert!(!same_number("--", ""));
        let day = |s: &str| s.parse::<NaiveDate>().ok();
        let entry = RegisterEntry {
            number: "12 100 48563 TMS".into(),
            body: Some("TÜV SÜD Management Service GmbH".into()),
            expiry: day("2027-01-14"),
            raw_status: "Active".into(),
            status: RegisterStatus::Active,
        };
        assert!(mismatches(&entry, "TÜV SÜD", day("2027-01-14")).is_empty());
        assert!(mismatches(&entry, "", None).is_empty());
        assert_eq!(
            mismatches(&entry, "DEKRA", day("2027-01-15")),
            ["body", "expiry_date"]
        );
        let entries = vec![entry.clone()];
        assert!(entry_for(&entries, "1210048563TMS").is_some());
        assert!(entry_for(&entries, "12 100 48564 TMS").is_none());
    }

    #[test]
    fn active_certificates_are_asked_weekly_doubtful_ones_daily_ended_ones_never() {
        let now: DateTime<Utc> = "2026-12-05T10:00:00Z".parse().unwrap();
        let r = Recheck::default();
        assert_eq!(next_check(None, &r, now), Some(now));
        assert_eq!(
            next_check(Some((RegisterStatus::Active, now)), &r, now),
            Some(now + Duration::days(7))
        );
        for doubtful in [
            RegisterStatus::Suspended,
            RegisterStatus::Unknown,
            RegisterStatus::NotFound,
        ] {
            assert_eq!(
                next_check(Some((doubtful, now)), &r, now),
                Some(now + Duration::days(1))
            );
        }
        assert_eq!(
            next_check(Some((RegisterStatus::Withdrawn, now)), &r, now),
            None
        );
        assert_eq!(
            next_check(Some((RegisterStatus::Expired, now)), &r, now),
            None
        );
    }

    #[test]
    fn answers_suspend_restore_and_revoke_and_a_revocation_stays() {
        use Consequence::*;
        use RegisterStatus::*;
        assert_eq!(consequence(false, false, Suspended), Suspend);
        assert_eq!(consequence(true, false, Suspended), Nothing);
        assert_eq!(consequence(true, false, Active), Restore);
        assert_eq!(consequence(false, false, Active), Nothing);
        assert_eq!(consequence(false, false, Withdrawn), Revoke);
        assert_eq!(consequence(true, false, Withdrawn), Revoke);
        assert_eq!(consequence(false, true, Active), Nothing);
        for quiet in [Expired, NotFound, Unknown] {
            assert_eq!(consequence(true, false, quiet), Nothing);
            assert_eq!(consequence(false, false, quiet), Nothing);
        }
    }

    #[test]
    fn a_budget_is_spent_within_its_month_and_renews_with_the_next() {
        let nov: DateTime<Utc> = "2026-11-30T23:59:00Z".parse().unwrap();
        let dec: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let mut b = Budget {
            monthly: 2,
            ..Budget::default()
        };
        assert!(b.allows(nov));
        b = b.spend(nov).spend(nov);
        assert!(!b.allows(nov));
        assert_eq!(b.spent_in(nov), 2);
        assert!(b.allows(dec));
        assert_eq!(b.spend(dec).spent_in(dec), 1);
        let none = Budget::default();
        assert!(!none.allows(dec));
    }
}
