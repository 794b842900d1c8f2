//! Certificate requests: asking a supplier for a certificate, reminding, and when a request
//! is done. The reminder pass is planned here as plain decisions over plain data
//! ([`plan`], [`recipients`]); the store carries them out.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::compliance::{Standing, State};
use crate::contacts::Contact;

/// A request's mail history keeps this many mails, the latest.
pub const MAX_MAILS: usize = 200;
/// The longest message a person may add to a request.
pub const MAX_MESSAGE: usize = 4000;
/// Reminders after expiry come every 1 to this many days.
pub const MAX_EVERY_DAYS: u32 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestStatus {
    Open,
    Fulfilled,
    Cancelled,
    /// Its link lapsed: no mail went out for the link's lifetime.
    Expired,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 4] = [
        RequestStatus::Open,
        RequestStatus::Fulfilled,
        RequestStatus::Cancelled,
        RequestStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::Fulfilled => "fulfilled",
            RequestStatus::Cancelled => "cancelled",
            RequestStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<RequestStatus> {
        RequestStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Why a mail of a request went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailReason {
    Created,
    Reminder,
    Resend,
}

impl MailReason {
    pub fn as_str(self) -> &'static str {
        match self {
            MailReason::Created => "created",
            MailReason::Reminder => "reminder",
            MailReason::Resend => "resend",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentMail {
    pub at: DateTime<Utc>,
    pub contact: Uuid,
    pub to: String,
    pub reason: MailReason,
}

/// Who opened a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Opener {
    User(Uuid),
    Reminders,
}

/// How urgent a requirement is for the reminder pass: inside one of the tenant's
/// `days_before` windows (the smallest that holds the expiry), or due now (expired,
/// revoked, missing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    Window(u32),
    Due,
}

/// What a request was last mailed about: the certificate it renews (if any) and that
/// certificate's expiry, at which stage. The pass opens no new request for the same basis
/// as the last closed one, so a cancelled request is not opened again at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basis {
    pub certificate: Option<Uuid>,
    pub expiry: Option<NaiveDate>,
    pub stage: Stage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateRequest {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organization_id: Uuid,
    pub certificate_type_id: Uuid,
    pub message: String,
    pub status: RequestStatus,
    pub opened_by: Opener,
    pub basis: Basis,
    /// Mails sent, oldest first (at most [`MAX_MAILS`], the latest).
    pub mails: Vec<SentMail>,
    /// The certificate the supplier's upload filed or renewed.
    pub fulfilled_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl CertificateRequest {
    /// When its last mail went out (its creation when none did).
    pub fn last_mail_at(&self) -> DateTime<Utc> {
        self.mails.last().map_or(self.created_at, |m| m.at)
    }

    /// Whether its supplier link still works at `now`: the request is open and its last
    /// mail is at most `link_days` old.
    pub fn link_open(&self, now: DateTime<Utc>, link_days: u32) -> bool {
        self.status == RequestStatus::Open
            && now <= self.last_mail_at() + Duration::days(i64::from(link_days))
    }

    /// Records mails sent now, keeping the latest [`MAX_MAILS`].
    pub fn record_mails(&mut self, sent: impl IntoIterator<Item = SentMail>) {
        self.mails.extend(sent);
        let over = self.mails.len().saturating_sub(MAX_MAILS);
        self.mails.drain(..over);
    }

    pub fn close(&mut self, status: RequestStatus, now: DateTime<Utc>) {
        self.status = status;
        self.closed_at = Some(now);
        self.updated_at = now;
    }
}

/// A tenant's reminder settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderSettings {
    pub enabled: bool,
    /// Days before expiry a request is opened or reminded, largest first.
    pub days_before: Vec<u32>,
    pub every_days_after_expiry: u32,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            enabled: true,
            days_before: vec![90, 60, 30],
            every_days_after_expiry: 7,
        }
    }
}

impl ReminderSettings {
    /// Days before expiry a certificate counts as expiring: the largest reminder window.
    pub fn warning_days(&self) -> u32 {
        self.days_before.iter().copied().max().unwrap_or(0)
    }
}

/// A change of some reminder settings.
#[derive(Debug, Clone, Default)]
pub struct ReminderPatch {
    pub enabled: Option<bool>,
    pub days_before: Option<Vec<u32>>,
    pub every_days_after_expiry: Option<u32>,
}

impl ReminderSettings {
    pub fn apply(&mut self, patch: ReminderPatch) {
        crate::registry::set(&mut self.enabled, patch.enabled);
        crate::registry::set(&mut self.days_before, patch.days_before);
        crate::registry::set(
            &mut self.every_days_after_expiry,
            patch.every_days_after_expiry,
        );
    }
}

/// Reminders after expiry come every 1 to [`MAX_EVERY_DAYS`] days.
pub fn every_days(raw: i64) -> Result<u32, String> {
    u32::try_from(raw)
        .ok()
        .filter(|d| (1..=MAX_EVERY_DAYS).contains(d))
        .ok_or_else(|| format!("A number of days from 1 to {MAX_EVERY_DAYS}."))
}

/// The stage of a requirement's standing, `None` while it is valid.
pub fn stage(standing: &Standing, today: NaiveDate, days_before: &[u32]) -> Option<Stage> {
    match standing.state {
        State::Valid => None,
        State::Expiring => {
            let left = standing.expiry.map_or(0, |e| (e - today).num_days());
            days_before
                .iter()
                .copied()
                .filter(|&w| left <= i64::from(w))
                .min()
                .map(Stage::Window)
        }
        State::Missing | State::Expired | State::Suspended | State::Revoked => Some(Stage::Due),
    }
}

/// What the reminder pass does for one requirement of one supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Nothing,
    /// Open a request on this basis and mail it.
    Open(Basis),
    /// Mail the open request again, now on this basis.
    Remind(Basis),
    /// The requirement is met by a certificate filed since the request was opened.
    Fulfil,
    /// The request's link lapsed with nothing more to send.
    Expire,
}

/// What the pass knows of one requirement of one supplier.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    pub standing: Standing,
    /// The open request for the supplier and type.
    pub open: Option<&'a CertificateRequest>,
    /// The latest closed request for the supplier and type.
    pub last_closed: Option<&'a CertificateRequest>,
    /// Whether the certificate the standing rests on changed after `open` was opened.
    pub renewed_since_opened: bool,
}

/// The pass's decision for one requirement of one supplier.
pub fn plan(
    s: &Situation,
    settings: &ReminderSettings,
    now: DateTime<Utc>,
    link_days: u32,
) -> Action {
    let today = now.date_naive();
    let stage = stage(&s.standing, today, &settings.days_before);
    let basis = stage.map(|stage| Basis {
        certificate: s.standing.certificate,
        expiry: s.standing.expiry,
        stage,
    });
    match (s.open, basis) {
        (Some(_), None) if s.renewed_since_opened => Action::Fulfil,
        (Some(req), basis) => {
            if settings.enabled
                && let Some(basis) = basis
                && reminder_due(req, basis.stage, settings, now)
            {
                return Action::Remind(basis);
            }
            if req.link_open(now, link_days) {
                Action::Nothing
            } else {
                Action::Expire
            }
        }
        (None, Some(basis)) if settings.enabled => {
            if s.last_closed.is_some_and(|r| r.basis == basis) {
                Action::Nothing
            } else {
                Action::Open(basis)
            }
        }
        (None, _) => Action::Nothing,
    }
}

/// Whether an open request is reminded now: before expiry when its certificate entered a
/// smaller window than the one last mailed about; once due, every
/// `every_days_after_expiry` days after its last mail.
fn reminder_due(
    req: &CertificateRequest,
    now_stage: Stage,
    settings: &ReminderSettings,
    now: DateTime<Utc>,
) -> bool {
    match (now_stage, req.basis.stage) {
        (Stage::Window(w), Stage::Window(was)) => w < was,
        (Stage::Window(_), Stage::Due) => false,
        (Stage::Due, Stage::Window(_)) => true,
        (Stage::Due, Stage::Due) => {
            let every = Duration::days(i64::from(settings.every_days_after_expiry));
            // A few hours of slack keep the cadence at the same time of day: the pass runs
            // every hour, so "exactly a week later" falls between two passes.
            now - req.last_mail_at() >= every - Duration::hours(2)
        }
    }
}

/// The contacts a mail of `req` goes to now: those who receive requests and were not
/// mailed about it today (never two mails of one request to one contact on one day).
pub fn recipients<'a>(
    req: &CertificateRequest,
    contacts: &'a [Contact],
    today: NaiveDate,
) -> Vec<&'a Contact> {
    contacts
        .iter()
        .filter(|c| c.receives_requests)
        .filter(|c| {
            !req.mails
                .iter()
                .any(|m| m.to == c.email && m.at.date_naive() == today)
        })
        .collect()
}

#[cfg(test)]
mod tests;
