//! Accounts and tenants: users (global: one email, one password, many tenants),
//! memberships, tokens, verifications, invitations.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const LOGIN_TOKEN_TTL_DAYS: i64 = 30;
pub const VERIFICATION_TTL_HOURS: i64 = 24;
pub const INVITATION_TTL_DAYS: i64 = 7;
/// A forgotten-password link works once, within an hour.
pub const PASSWORD_RESET_TTL_MINUTES: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Member,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Whether the public certificate search may list this tenant's suppliers.
    pub public_listing: bool,
    /// How often the expiry digest goes out (schema 4).
    pub digest_frequency: crate::digest::Frequency,
    /// Days ahead of expiry a certificate is announced in the digest, largest first.
    pub expiry_windows: Vec<u32>,
    /// When suppliers are asked and reminded for what they owe (schema 5).
    pub reminders: crate::requests::ReminderSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    /// False until the email address is verified (or an invitation to it is accepted).
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// A member who asked for the expiry digest (admins always get it; schema 4).
    pub digest: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Issued by login, invite-accept and refresh; expires after 30 days.
    Login,
    /// Created by the user under /api/auth/tokens/ with an optional expiry.
    Api,
}

/// A `Authorization: Token <key>` credential. Stored under the SHA-256 of its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub kind: TokenKind,
    /// The first characters of the key, so a person can tell tokens apart in a list.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Token {
    /// A 30-day session token for `user` in `tenant`, for the key `key`.
    pub fn login(tenant_id: Uuid, user_id: Uuid, key: &str, now: DateTime<Utc>) -> Token {
        Token {
            id: Uuid::new_v4(),
            tenant_id,
            user_id,
            name: "login".to_string(),
            kind: TokenKind::Login,
            prefix: key_prefix(key),
            created_at: now,
            expires_at: Some(now + Duration::days(LOGIN_TOKEN_TTL_DAYS)),
        }
    }

    /// A personal API token named `name`, for the key `key`, until `expires_at` (or for
    /// ever).
    pub fn api(
        tenant_id: Uuid,
        user_id: Uuid,
        name: String,
        key: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Token {
        Token {
            id: Uuid::new_v4(),
            tenant_id,
            user_id,
            name,
            kind: TokenKind::Api,
            prefix: key_prefix(key),
            created_at: now,
            expires_at,
        }
    }

    /// The token that replaces this one on refresh, for the key `key`: the same name, kind
    /// and owner, with [`Token::refreshed_expiry`].
    pub fn refreshed(&self, key: &str, now: DateTime<Utc>) -> Token {
        Token {
            id: Uuid::new_v4(),
            prefix: key_prefix(key),
            created_at: now,
            expires_at: self.refreshed_expiry(now),
            ..self.clone()
        }
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }

    /// When the key that replaces this one on refresh expires. A refresh keeps the
    /// token's lifetime class: a login token gets a fresh 30 days, an API token keeps the
    /// expiry it was created with (none stays none), so refreshing again and again never
    /// stretches a token its creator limited.
    pub fn refreshed_expiry(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.kind {
            TokenKind::Login => Some(now + Duration::days(LOGIN_TOKEN_TTL_DAYS)),
            TokenKind::Api => self.expires_at,
        }
    }
}

pub fn key_prefix(key: &str) -> String {
    key.chars().take(8).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

/// A mailed one-time link to choose a new password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasswordReset {
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    Pending,
    Accepted,
    /// Taken back by an admin before it was used.
    Revoked,
}

impl InvitationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Revoked => "revoked",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub email: String,
    pub role: Role,
    pub status: InvitationStatus,
    pub invited_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Invitation {
    /// A new invitation of `email` into `tenant` as `role`, valid for
    /// [`INVITATION_TTL_DAYS`].
    pub fn pending(
        tenant_id: Uuid,
        email: String,
        role: Role,
        invited_by: Uuid,
        now: DateTime<Utc>,
    ) -> Invitation {
        Invitation {
            id: Uuid::new_v4(),
            tenant_id,
            email,
            role,
            status: InvitationStatus::Pending,
            invited_by,
            created_at: now,
            expires_at: now + Duration::days(INVITATION_TTL_DAYS),
        }
    }
}

/// A registration of an address whose account was never verified. Following its
/// verification link proves the mailbox: the account takes this registration's password
/// and keeps only this registration's tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationClaim {
    pub tenant_id: Uuid,
    pub password_hash: String,
}

/// Lower-cases and trims an email address; `None` when it does not look like one.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then_some(email)
}

/// The prefix of the integration API's keys.
pub const API_KEY_PREFIX: &str = "cw_";

/// A `cw_` key of the integration API, created by a tenant admin, stored as SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// `cw_` and the first characters of the key, to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_keeps_a_tokens_lifetime_class() {
        let now = Utc::now();
        let login = Token::login(
            Uuid::new_v4(),
            Uuid::new_v4(),
            "k",
            now - Duration::days(20),
        );
        assert_eq!(
            login.refreshed_expiry(now),
            Some(now + Duration::days(LOGIN_TOKEN_TTL_DAYS))
        );
        let limited = Token {
            kind: TokenKind::Api,
            expires_at: Some(now + Duration::days(3)),
            ..login.clone()
        };
        assert_eq!(limited.refreshed_expiry(now), Some(now + Duration::days(3)));
        let forever = Token {
            kind: TokenKind::Api,
            expires_at: None,
            ..login
        };
        assert_eq!(forever.refreshed_expiry(now), None);
    }

    #[test]
    fn email_normalization() {
        assert_eq!(
            normalize_email(" User@Example.COM ").as_deref(),
            Some("user@example.com")
        );
        for bad in [
            "", "nobody", "a@b", "@x.de", "a b@x.de", "a@x.de.", "a@@x.de",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
