//! What each supplier owes: requirements (a certificate type required of every supplier,
//! of those with a tag, or of one), and the state of each requirement and of the supplier
//! as a whole, from the certificates on file.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::registry::CertStatus;

/// At most this many tags on one organization, each at most [`MAX_TAG_LEN`] characters.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_LEN: usize = 40;

/// Whom a requirement applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppliesTo {
    All,
    Tag(String),
    Organization(Uuid),
}

/// A certificate type required of some suppliers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub certificate_type_id: Uuid,
    pub applies_to: AppliesTo,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What compliance is judged against: the tenant's requirements, its warning window and
/// the day.
#[derive(Debug, Clone)]
pub struct Rules {
    pub requirements: Vec<Requirement>,
    pub warning_days: u32,
    pub today: NaiveDate,
}

#[derive(Debug, Clone, Default)]
pub struct RequirementPatch {
    pub certificate_type_id: Option<Uuid>,
    pub applies_to: Option<AppliesTo>,
}

impl Requirement {
    /// Whether the requirement applies to the organization `org` with `tags`.
    pub fn applies(&self, org: Uuid, tags: &[String]) -> bool {
        match &self.applies_to {
            AppliesTo::All => true,
            AppliesTo::Tag(tag) => tags.iter().any(|t| t == tag),
            AppliesTo::Organization(id) => *id == org,
        }
    }
}

/// A tag as stored: trimmed and lower-case, 1 to [`MAX_TAG_LEN`] characters of letters,
/// digits, `-`, `_`, `.` and spaces; `None` when it is not one.
pub fn tag(raw: &str) -> Option<String> {
    let tag = raw.trim().to_lowercase();
    let ok = !tag.is_empty()
        && tag.chars().count() <= MAX_TAG_LEN
        && tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    ok.then_some(tag)
}

/// An organization's tags as stored: each a [`tag`], each once, in the order given.
pub fn tags(raw: &[String]) -> Result<Vec<String>, String> {
    if raw.len() > MAX_TAGS {
        return Err(format!("At most {MAX_TAGS} tags."));
    }
    let mut out: Vec<String> = Vec::new();
    for t in raw {
        let t = tag(t).ok_or_else(|| {
            format!(
                "A tag is 1 to {MAX_TAG_LEN} letters, digits, spaces, '-', '_' or '.'; \
                 {t:?} is not."
            )
        })?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Where a requirement, or a supplier, stands, from best to worst (`State::ALL`'s order):
/// a supplier's state is the worst of its requirements'. A certificate known to be
/// expired, suspended or revoked is worse than none on file, because the supplier is known
/// to have lost it. (Stored records name a state by its place in the declaration, so a new
/// state is declared last and ranked by `rank`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum State {
    Valid,
    Expiring,
    Missing,
    Expired,
    Revoked,
    Suspended,
}

impl State {
    pub const ALL: [State; 6] = [
        State::Valid,
        State::Expiring,
        State::Missing,
        State::Expired,
        State::Suspended,
        State::Revoked,
    ];

    fn rank(self) -> usize {
        State::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Valid => "valid",
            State::Expiring => "expiring",
            State::Missing => "missing",
            State::Expired => "expired",
            State::Suspended => "suspended",
            State::Revoked => "revoked",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl PartialOrd for State {
    fn partial_cmp(&self, other: &State) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for State {
    fn cmp(&self, other: &State) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// A certificate on file, as compliance sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Holding {
    pub certificate: Uuid,
    pub status: CertStatus,
    pub expiry: Option<NaiveDate>,
}

/// The state one certificate gives its requirement on `today`. A pending certificate
/// (not yet confirmed) gives none: it counts as missing.
pub fn holding_state(h: &Holding, today: NaiveDate, warning_days: u32) -> State {
    match (h.status, h.expiry) {
        (CertStatus::Revoked, _) => State::Revoked,
        (CertStatus::Pending, _) => State::Missing,
        (CertStatus::Expired, _) => State::Expired,
        (CertStatus::Suspended, _) => State::Suspended,
        (_, Some(e)) if e < today => State::Expired,
        (_, Some(e)) if e <= today + Duration::days(i64::from(warning_days)) => State::Expiring,
        _ => State::Valid,
    }
}

/// A requirement's state and the certificate it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standing {
    pub state: State,
    pub certificate: Option<Uuid>,
    pub expiry: Option<NaiveDate>,
}

/// The standing of a requirement given the supplier's certificates of its type: the best
/// of them (the best state, then the latest expiry), or missing when there is none.
pub fn standing(holdings: &[Holding], today: NaiveDate, warning_days: u32) -> Standing {
    holdings
        .iter()
        .map(|h| (holding_state(h, today, warning_days), h))
        .min_by(|(sa, a), (sb, b)| {
            // No expiry date is the latest expiry.
            let later = |e: Option<NaiveDate>| std::cmp::Reverse(e.unwrap_or(NaiveDate::MAX));
            (sa, later(a.expiry)).cmp(&(sb, later(b.expiry)))
        })
        .map_or(
            Standing {
                state: State::Missing,
                certificate: None,
                expiry: None,
            },
            |(state, h)| Standing {
                state,
                certificate: Some(h.certificate),
                expiry: h.expiry,
            },
        )
}

/// A supplier's state: the worst of its requirements', valid when nothing is required.
pub fn overall(states: impl IntoIterator<Item = State>) -> State {
    states.into_iter().max().unwrap_or(State::Valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn holding(status: CertStatus, expiry: Option<&str>) -> Holding {
        Holding {
            certificate: Uuid::new_v4(),
            status,
            expiry: expiry.map(day),
        }
    }

    #[test]
    fn a_certificate_is_expiring_inside_the_window_and_expired_after_it() {
        let today = day("2026-12-01");
        let at = |e: &str| holding_state(&holding(CertStatus::Active, Some(e)), today, 90);
        assert_eq!(at("2027-06-01"), State::Valid);
        assert_eq!(at("2027-03-01"), State::Expiring);
        assert_eq!(at("2026-12-01"), State::Expiring);
        assert_eq!(at("2026-11-30"), State::Expired);
        let none = holding(CertStatus::Active, None);
        assert_eq!(holding_state(&none, today, 90), State::Valid);
        let revoked = holding(CertStatus::Revoked, Some("2030-01-01"));
        assert_eq!(holding_state(&revoked, today, 90), State::Revoked);
        let pending = holding(CertStatus::Pending, Some("2030-01-01"));
        assert_eq!(holding_state(&pending, today, 90), State::Missing);
        let marked = holding(CertStatus::Expired, Some("2030-01-01"));
        assert_eq!(holding_state(&marked, today, 90), State::Expired);
        let suspended = holding(CertStatus::Suspended, Some("2030-01-01"));
        assert_eq!(holding_state(&suspended, today, 90), State::Suspended);
        // A suspension is worse than an expiry (the body acted) and better than a
        // revocation (it may be lifted); a valid certificate of the type still counts.
        assert!(State::Expired < State::Suspended && State::Suspended < State::Revoked);
        let valid = holding(CertStatus::Active, Some("2030-01-01"));
        assert_eq!(standing(&[suspended, valid], today, 90).state, State::Valid);
    }

    #[test]
    fn the_best_certificate_of_a_type_decides() {
        let today = day("2026-12-01");
        let old = holding(CertStatus::Expired, Some("2026-01-01"));
        let renewed = holding(CertStatus::Active, Some("2029-01-01"));
        let s = standing(&[old, renewed], today, 90);
        assert_eq!(s.state, State::Valid);
        assert_eq!(s.certificate, Some(renewed.certificate));
        // Of two valid ones, the later expiry.
        let later = holding(CertStatus::Active, Some("2030-01-01"));
        assert_eq!(
            standing(&[renewed, later], today, 90).certificate,
            Some(later.certificate)
        );
        let nothing = standing(&[], today, 90);
        assert_eq!((nothing.state, nothing.certificate), (State::Missing, None));
    }

    #[test]
    fn a_supplier_is_as_bad_as_its_worst_requirement() {
        assert_eq!(overall([]), State::Valid);
        assert_eq!(overall([State::Valid, State::Expiring]), State::Expiring);
        assert_eq!(overall([State::Missing, State::Expiring]), State::Missing);
        assert_eq!(overall([State::Expired, State::Missing]), State::Expired);
        assert_eq!(overall([State::Revoked, State::Valid]), State::Revoked);
        for s in State::ALL {
            assert_eq!(State::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn requirements_apply_by_all_tag_or_organization() {
        let org = Uuid::new_v4();
        let req = |applies_to| Requirement {
            id: Uuid::new_v4(),
            tenant_id: Uuid::new_v4(),
            certificate_type_id: Uuid::new_v4(),
            applies_to,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let tags = vec!["castings".to_string()];
        assert!(req(AppliesTo::All).applies(org, &[]));
        assert!(req(AppliesTo::Tag("castings".into())).applies(org, &tags));
        assert!(!req(AppliesTo::Tag("paint".into())).applies(org, &tags));
        assert!(req(AppliesTo::Organization(org)).applies(org, &[]));
        assert!(!req(AppliesTo::Organization(Uuid::new_v4())).applies(org, &tags));
    }

    #[test]
    fn tags_are_folded_and_kept_once() {
        let raw = vec![
            " Castings ".to_string(),
            "castings".into(),
            "EU-North".into(),
        ];
        assert_eq!(tags(&raw).unwrap(), ["castings", "eu-north"]);
        assert!(tags(&["a;b".to_string()]).is_err());
        assert!(tags(&[String::new()]).is_err());
        assert!(tags(&vec!["x".to_string(); MAX_TAGS + 1]).is_err());
        assert!(tag(&"x".repeat(MAX_TAG_LEN + 1)).is_none());
    }
}
