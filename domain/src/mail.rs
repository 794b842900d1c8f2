//! Mail intake's records and rules: a tenant's mailbox (`MailAccount`, its password sealed
//! at rest by the store), an admin's change to it, which attachments are certificates, and
//! what a mail's sender and subject say about whom it is from. Plain rules; the IMAP client
//! lives in `actors`, the MIME reader in `ingest`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::rules::FieldError;

/// How the connection to the IMAP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Security {
    /// TLS from the first byte (port 993).
    Tls,
    /// Plain, then STARTTLS before logging in (port 143).
    Starttls,
    /// No TLS: only when the operator allows it (`CERTWATCH_MAIL_ALLOW_PLAINTEXT`), for
    /// tests and relays on the same host.
    None,
}

impl Security {
    pub const ALL: [Security; 3] = [Security::Tls, Security::Starttls, Security::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::Starttls => "starttls",
            Security::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Security> {
        Security::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The port a server of this kind listens on unless told otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 993,
            Security::Starttls | Security::None => 143,
        }
    }
}

/// What is done on the server with a mail once its handling is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AfterReading {
    MarkSeen,
    /// Moved to `move_to`.
    Move,
    Delete,
}

impl AfterReading {
    pub const ALL: [AfterReading; 3] = [
        AfterReading::MarkSeen,
        AfterReading::Move,
        AfterReading::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AfterReading::MarkSeen => "mark_seen",
            AfterReading::Move => "move",
            AfterReading::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<AfterReading> {
        AfterReading::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// The longest host name (RFC 1035), user name, password and folder name accepted.
pub const MAX_HOST: usize = 253;
pub const MAX_FIELD: usize = 320;
/// Minutes between polls: at least one, at most a day.
pub const POLL_MINUTES: (u32, u32) = (1, 1440);

/// A tenant's mailbox that certificates arrive in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailAccount {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// Sealed at rest; never returned or logged.
    pub password: String,
    pub folder: String,
    pub after_reading: AfterReading,
    pub move_to: Option<String>,
    pub poll_minutes: u32,
    pub enabled: bool,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Polls that failed in a row: the wait before the next one doubles with each.
    pub failures: u32,
    pub messages_read: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An admin's change to a mail account; `None` leaves a field as it is (on create: its
/// default, or a field error when it has none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MailAccountPatch {
    pub name: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub security: Option<Security>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub folder: Option<String>,
    pub after_reading: Option<AfterReading>,
    /// `Some(None)` clears it.
    pub move_to: Option<Option<String>>,
    pub poll_minutes: Option<u32>,
    pub enabled: Option<bool>,
}

impl MailAccount {
    /// The account `patch` makes of `old` (or a new one), checked as a whole: a new account
    /// needs a name, a host, a user name and a password; `move` needs a folder to move to;
    /// `none` security only where the operator allows plain text.
    pub fn apply(
        old: Option<&MailAccount>,
        tenant: Uuid,
        patch: MailAccountPatch,
        allow_plaintext: bool,
        now: DateTime<Utc>,
    ) -> Result<MailAccount, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut required =
            |value: Option<String>, kept: Option<&String>, field: &'static str| match value
                .or_else(|| kept.cloned())
            {
                Some(v) if !v.trim().is_empty() => v.trim().to_string(),
                _ => {
                    errors.push(FieldError::new(field, "This field is required."));
                    String::new()
                }
            };
        let name = required(patch.name, old.map(|o| &o.name), "name");
        let host = required(patch.host, old.map(|o| &o.host), "host");
        let username = required(patch.username, old.map(|o| &o.username), "username");
        // A password is kept as typed: spaces may be part of it.
        let password = match patch.password.or_else(|| old.map(|o| o.password.clone())) {
            Some(p) if !p.is_empty() => p,
            _ => {
                errors.push(FieldError::new("password", "This field is required."));
                String::new()
            }
        };
        if !host.is_empty() && !is_host(&host) {
            errors.push(FieldError::new(
                "host",
                "A host name or IP address, like imap.example.com.",
            ));
        }
        let security = patch
            .security
            .or(old.map(|o| o.security))
            .unwrap_or(Security::Tls);
        if security == Security::None && !allow_plaintext {
            errors.push(FieldError::new(
                "security",
                "Plain-text IMAP is off on this server; use tls or starttls.",
            ));
        }
        let port = patch
            .port
            .or(old.map(|o| o.port))
            .unwrap_or(security.default_port());
        if port == 0 {
            errors.push(FieldError::new("port", "A port from 1 to 65535."));
        }
        let folder = patch
            .folder
            .or_else(|| old.map(|o| o.folder.clone()))
            .map(|f| f.trim().to_string())
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "INBOX".to_string());
        let after_reading = patch
            .after_reading
            .or(old.map(|o| o.after_reading))
            .unwrap_or(AfterReading::MarkSeen);
        let move_to = match patch.move_to {
            Some(m) => m.map(|f| f.trim().to_string()).filter(|f| !f.is_empty()),
            None => old.and_then(|o| o.move_to.clone()),
        };
        if after_reading == AfterReading::Move && move_to.is_none() {
            errors.push(FieldError::new(
                "move_to",
                "Name the folder mails are moved to.",
            ));
        }
        if move_to.as_deref() == Some(folder.as_str()) && after_reading == AfterReading::Move {
            errors.push(FieldError::new(
                "move_to",
                "Mails cannot be moved to the folder they are read from.",
            ));
        }
        let poll_minutes = patch
            .poll_minutes
            .or(old.map(|o| o.poll_minutes))
            .unwrap_or(5);
        if !(POLL_MINUTES.0..=POLL_MINUTES.1).contains(&poll_minutes) {
            errors.push(FieldError::new(
                "poll_minutes",
                &format!("From {} to {} minutes.", POLL_MINUTES.0, POLL_MINUTES.1),
            ));
        }
        for (field, value) in [
            ("name", &name),
            ("username", &username),
            ("password", &password),
            ("folder", &folder),
        ] {
            if value.chars().count() > MAX_FIELD || value.chars().any(char::is_control) {
                errors.push(FieldError::new(
                    field,
                    &format!("At most {MAX_FIELD} printable characters."),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // A new server, user or folder is a new mailbox: what was read of the old one says
        // nothing about it (the store keeps what was read per folder and UIDVALIDITY).
        let changed_mailbox = old.is_some_and(|o| o.host != host || o.username != username);
        Ok(MailAccount {
            id: old.map_or_else(Uuid::new_v4, |o| o.id),
            tenant_id: tenant,
            name,
            host,
            port,
            security,
            username,
            password,
            folder,
            after_reading,
            move_to,
            poll_minutes,
            enabled: patch.enabled.or(old.map(|o| o.enabled)).unwrap_or(true),
            last_poll_at: old.and_then(|o| o.last_poll_at),
            // Saving is an admin acting: the last error is theirs to see again on the next
            // poll, not a stale one.
            last_error: None,
            failures: 0,
            messages_read: if changed_mailbox {
                0
            } else {
                old.map_or(0, |o| o.messages_read)
            },
            created_at: old.map_or(now, |o| o.created_at),
            updated_at: now,
        })
    }
}

/// The longest wait between polls of a failing mailbox.
pub const MAX_BACK_OFF_MINUTES: u32 = 6 * 60;

impl MailAccount {
    /// Minutes until the next poll: `poll_minutes`, doubled for each failure in a row (a
    /// wrong password or a server that is down is not asked every minute), at most six
    /// hours — or the poll interval, when that is longer.
    pub fn wait_minutes(&self) -> u32 {
        let doubled = self
            .poll_minutes
            .saturating_mul(1u32.checked_shl(self.failures.min(16)).unwrap_or(u32::MAX));
        doubled.min(MAX_BACK_OFF_MINUTES.max(self.poll_minutes))
    }

    /// When the mailbox is next polled: the wait after the last poll, or now.
    pub fn next_poll_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.last_poll_at.map_or(now, |at| {
            at + chrono::Duration::minutes(i64::from(self.wait_minutes()))
        })
    }
}

/// What became of one message of a mailbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MailOutcome {
    /// Its certificate files went into this bulk-upload batch.
    Filed { batch: Uuid, files: u32 },
    /// No certificate file in it (or all of them already on file).
    NothingToFile,
    /// It could not be read; the reason, and it is not tried again.
    Refused(String),
}

/// A message of a mailbox, recorded as handled before it is marked, moved or deleted on
/// the server: a restart never reads it twice. Messages are known by their folder's
/// UIDVALIDITY and their UID, as IMAP names them for good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandledMail {
    pub account_id: Uuid,
    pub folder: String,
    pub uid_validity: u32,
    pub uid: u32,
    pub message_id: Option<String>,
    pub from: Option<String>,
    pub subject: String,
    pub outcome: MailOutcome,
    /// What was left out of it and why (not a certificate file, on file already, past a
    /// limit).
    pub notes: Vec<String>,
    pub handled_at: DateTime<Utc>,
}

/// A DNS host name or an IP address, as IMAP servers are named.
fn is_host(host: &str) -> bool {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    host.len() <= MAX_HOST
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether an attachment is a document intake reads (PDF, PNG, JPEG, TIFF), by its type or,
/// when the sender's client called it `application/octet-stream`, by its name.
pub fn is_certificate_file(content_type: &str, filename: &str) -> bool {
    let ct = content_type.trim().to_ascii_lowercase();
    let by_type = matches!(
        ct.as_str(),
        "application/pdf" | "image/png" | "image/jpeg" | "image/jpg" | "image/tiff"
    );
    let generic = ct.is_empty() || ct == "application/octet-stream";
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    by_type
        || (generic
            && matches!(
                ext.as_str(),
                "pdf" | "png" | "jpg" | "jpeg" | "tif" | "tiff"
            ))
}

/// The address part of a `From:` value, lower-case ("Anna <Anna@Supplier.EXAMPLE>" →
/// "anna@supplier.example").
pub fn address_of(from: &str) -> Option<String> {
    let inner = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &from[a + 1..b],
        _ => from,
    };
    let address = inner.trim().to_ascii_lowercase();
    let (local, domain) = address.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !address.contains(char::is_whitespace))
        .then_some(address)
}

/// The domain of an address.
pub fn domain_of(address: &str) -> Option<&str> {
    address.rsplit_once('@').map(|(_, d)| d)
}

/// The name an attachment is filed under: its own, with the extension of its type added
/// when the name has none intake knows (`Zertifikat` sent as `application/pdf` →
/// `Zertifikat.pdf`), since intake checks a file by its name and its first bytes.
pub fn intake_name(filename: &str, content_type: &str) -> String {
    const EXTENSIONS: [&str; 6] = ["pdf", "png", "jpg", "jpeg", "tif", "tiff"];
    let known = filename
        .rsplit_once('.')
        .is_some_and(|(_, e)| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    let by_type = match content_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpg",
        "image/tiff" => "tiff",
        _ => return filename.to_string(),
    };
    if known {
        filename.to_string()
    } else {
        format!("{filename}.{by_type}")
    }
}

/// Notes kept of what was left out of one mail; the rest are counted in one more line.
pub const MAX_NOTES: usize = 50;

/// At most [`MAX_NOTES`] notes, and a last one counting those left out: a mail of a
/// thousand attachments is not a thousand lines in its record.
pub fn bounded_notes(mut notes: Vec<String>) -> Vec<String> {
    if notes.len() > MAX_NOTES {
        let rest = notes.len() - MAX_NOTES;
        notes.truncate(MAX_NOTES);
        notes.push(format!("… and {rest} more left out"));
    }
    notes
}

/// A certificate request's reference in a mail: its link token, which the request mail
/// puts in the subject (`[ref:TOKEN]`) and, when the tenant reads a mailbox, in the
/// `Reply-To` plus-address (`certs+TOKEN@buyer.example`).
pub const REFERENCE_TAG: &str = "[ref:";

/// The subject of a request mail with its reference.
pub fn referenced_subject(subject: &str, token: &str) -> String {
    format!("{subject} {REFERENCE_TAG}{token}]")
}

/// The address a supplier's reply to a request goes to: the mailbox's address with the
/// request's token after a `+`. `None` when the mailbox's user name is not an address.
pub fn reply_address(mailbox: &str, token: &str) -> Option<String> {
    let (local, domain) = mailbox.trim().split_once('@')?;
    let local = local.split_once('+').map_or(local, |(l, _)| l);
    (!local.is_empty() && domain.contains('.')).then(|| format!("{local}+{token}@{domain}"))
}

/// The request references a received mail carries: the plus-parts of the addresses it was
/// sent to, then those in its subject. Only tokens of the link's shape (8 to 64 letters
/// and digits) are taken; which request (if any) a token opens is the store's to say.
pub fn references(to: &[String], subject: &str) -> Vec<String> {
    let shaped =
        |t: &str| (8..=64).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric());
    let mut found: Vec<String> = to
        .iter()
        .filter_map(|a| a.split_once('@')?.0.split_once('+').map(|(_, t)| t))
        .filter(|t| shaped(t))
        .map(str::to_string)
        .collect();
    let mut rest = subject;
    while let Some(at) = rest.find(REFERENCE_TAG) {
        rest = &rest[at + REFERENCE_TAG.len()..];
        if let Some(end) = rest.find(']')
            && shaped(&rest[..end])
        {
            found.push(rest[..end].to_string());
        }
    }
    found.dedup();
    found.truncate(4);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-05T10:00:00Z".parse().unwrap()
    }

    fn full() -> MailAccountPatch {
        MailAccountPatch {
            name: Some("Certificates".into()),
            host: Some("imap.buyer.example".into()),
            username: Some("certs@buyer.example".into()),
            password: Some(" pass word ".into()),
            ..MailAccountPatch::default()
        }
    }

    #[test]
    fn an_account_has_defaults_and_needs_its_server_and_credentials() {
        let t = Uuid::new_v4();
        let a = MailAccount::apply(None, t, full(), false, now()).unwrap();
        assert_eq!(
            (a.security, a.port, a.folder.as_str()),
            (Security::Tls, 993, "INBOX")
        );
        assert_eq!(
            (a.after_reading, a.poll_minutes, a.enabled),
            (AfterReading::MarkSeen, 5, true)
        );
        assert_eq!(a.password, " pass word ", "a password is kept as typed");
        let errors =
            MailAccount::apply(None, t, MailAccountPatch::default(), false, now()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "host", "username", "password"]);
        let bad = |patch: MailAccountPatch| {
            MailAccount::apply(None, t, patch, false, now())
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            bad(MailAccountPatch {
                security: Some(Security::None),
                ..full()
            }),
            ["security"]
        );
        assert_eq!(
            bad(MailAccountPatch {
                host: Some("imap example".into()),
                ..full()
            }),
            ["host"]
        );
        assert_eq!(
            bad(MailAccountPatch {
                after_reading: Some(AfterReading::Move),
                ..full()
            }),
            ["move_to"]
        );
        assert_eq!(
            bad(MailAccountPatch {
                after_reading: Some(AfterReading::Move),
                move_to: Some(Some("INBOX".into())),
                ..full()
            }),
            ["move_to"]
        );
        assert_eq!(
            bad(MailAccountPatch {
                poll_minutes: Some(0),
                ..full()
            }),
            ["poll_minutes"]
        );
        assert_eq!(
            bad(MailAccountPatch {
                port: Some(0),
                ..full()
            }),
            ["port"]
        );
        let plain = MailAccountPatch {
            security: Some(Security::None),
            ..full()
        };
        let a = MailAccount::apply(None, t, plain, true, now()).unwrap();
        assert_eq!(a.port, 143);
    }

    #[test]
    fn a_change_keeps_the_password_and_a_new_mailbox_starts_counting_again() {
        let t = Uuid::new_v4();
        let mut a = MailAccount::apply(None, t, full(), false, now()).unwrap();
        a.messages_read = 7;
        a.last_error = Some("LOGIN failed".into());
        let renamed = MailAccountPatch {
            name: Some("Supplier mail".into()),
            ..MailAccountPatch::default()
        };
        let b = MailAccount::apply(Some(&a), t, renamed, false, now()).unwrap();
        assert_eq!(
            (b.id, b.password.as_str(), b.messages_read),
            (a.id, " pass word ", 7)
        );
        assert!(b.last_error.is_none());
        let moved = MailAccountPatch {
            host: Some("imap.other.example".into()),
            ..MailAccountPatch::default()
        };
        assert_eq!(
            MailAccount::apply(Some(&a), t, moved, false, now())
                .unwrap()
                .messages_read,
            0
        );
    }

    #[test]
    fn failing_polls_wait_longer_up_to_six_hours() {
        let t = Uuid::new_v4();
        let mut a = MailAccount::apply(None, t, full(), false, now()).unwrap();
        assert_eq!(a.next_poll_at(now()), now(), "never polled: now");
        a.last_poll_at = Some(now());
        let waits: Vec<u32> = [0, 1, 2, 3, 10, 40]
            .into_iter()
            .map(|f| {
                a.failures = f;
                a.wait_minutes()
            })
            .collect();
        assert_eq!(waits, [5, 10, 20, 40, 360, 360]);
        a.failures = 1;
        assert_eq!(a.next_poll_at(now()), now() + chrono::Duration::minutes(10));
        a.poll_minutes = 1440;
        a.failures = 3;
        assert_eq!(a.wait_minutes(), 1440, "a daily mailbox never waits less");
    }

    #[test]
    fn certificate_files_by_type_or_by_name_when_the_type_says_nothing() {
        assert!(is_certificate_file("application/pdf", "x.bin"));
        assert!(is_certificate_file("IMAGE/JPEG", ""));
        assert!(is_certificate_file(
            "application/octet-stream",
            "ISO 9001.PDF"
        ));
        assert!(is_certificate_file("", "scan.tiff"));
        assert!(!is_certificate_file("text/html", "certificate.pdf"));
        assert!(!is_certificate_file("application/zip", "certs.zip"));
        assert!(!is_certificate_file(
            "application/octet-stream",
            "invoice.docx"
        ));
    }

    #[test]
    fn attachments_are_named_for_their_type_when_their_name_says_nothing() {
        assert_eq!(
            intake_name("Zertifikat", "application/pdf"),
            "Zertifikat.pdf"
        );
        assert_eq!(intake_name("scan.TIF", "image/tiff"), "scan.TIF");
        assert_eq!(intake_name("cert.bin", "image/jpeg"), "cert.bin.jpg");
        assert_eq!(
            intake_name("ISO.pdf", "application/octet-stream"),
            "ISO.pdf"
        );
    }

    #[test]
    fn a_thousand_notes_are_fifty_and_a_count() {
        let notes: Vec<String> = (0..1000).map(|i| format!("f{i}.pdf: too many")).collect();
        let kept = bounded_notes(notes);
        assert_eq!(kept.len(), MAX_NOTES + 1);
        assert_eq!(kept[0], "f0.pdf: too many");
        assert_eq!(kept[MAX_NOTES], "… and 950 more left out");
        assert_eq!(bounded_notes(vec!["one".into()]), ["one"]);
    }

    #[test]
    fn a_request_is_found_again_in_a_reply_address_or_subject() {
        let token = "AbC123xyz789QWERTY";
        let to = reply_address("certs@buyer.example", token).unwrap();
        assert_eq!(to, format!("certs+{token}@buyer.example"));
        assert_eq!(reply_address("certs", token), None);
        assert_eq!(
            reply_address("certs+old@buyer.example", token).unwrap(),
            to,
            "a plus-part of the mailbox is replaced"
        );
        assert_eq!(
            references(std::slice::from_ref(&to), "Re: anything"),
            [token]
        );
        let subject = format!(
            "AW: {}",
            referenced_subject("Certificate request: ISO 9001", token)
        );
        assert_eq!(references(&[], &subject), [token]);
        assert_eq!(references(&[to], &subject), [token], "the same token once");
        assert!(references(&["a+x@b.example".into()], "[ref:short] [ref:").is_empty());
        assert!(references(&[], "[ref:has space inside]").is_empty());
    }

    #[test]
    fn senders_by_address_and_domain() {
        assert_eq!(
            address_of("Anna Muster <Anna@Supplier.EXAMPLE>").as_deref(),
            Some("anna@supplier.example")
        );
        assert_eq!(address_of("qm@muster.de").as_deref(), Some("qm@muster.de"));
        assert_eq!(address_of("undisclosed-recipients:;"), None);
        assert_eq!(address_of("<@x>"), None);
        assert_eq!(domain_of("qm@muster.de"), Some("muster.de"));
    }
}
