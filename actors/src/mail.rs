//! The mails the service sends, composed from plain data.
//!
//! Long lines (links) are sent quoted-printable, which escapes and wraps them in the raw
//! message; every token therefore also stands alone on a short line, where it stays
//! verbatim and can be copied from an outbox file.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub fn verification(public_url: &str, to: &str, token: &str) -> Mail {
    Mail {
        to: to.to_string(),
        subject: "Verify your CertWatch email address".to_string(),
        body: format!(
            "Welcome to CertWatch.\n\n\
             Open this link to verify your email address (valid for 24 hours):\n\n\
             {public_url}/verify-email/?token={token}\n\n\
             Verification token: {token}\n\n\
             If you did not register, ignore this mail.\n"
        ),
    }
}

pub fn invitation(
    public_url: &str,
    to: &str,
    tenant_name: &str,
    role: &str,
    token: &str,
    expires_at: DateTime<Utc>,
) -> Mail {
    Mail {
        to: to.to_string(),
        subject: format!("You are invited to {tenant_name} on CertWatch"),
        body: format!(
            "You have been invited to join {tenant_name} on CertWatch as {role}.\n\n\
             Open this link to accept: choose a password, or sign in if you already\n\
             have a CertWatch account:\n\n\
             {public_url}/invite/?token={token}\n\n\
             Invitation token: {token}\n\n\
             The invitation expires at {}.\n",
            expires_at.to_rfc3339()
        ),
    }
}

pub fn password_reset(public_url: &str, to: &str, token: &str) -> Mail {
    Mail {
        to: to.to_string(),
        subject: "Choose a new CertWatch password".to_string(),
        body: format!(
            "Someone asked to reset the password of this CertWatch account.\n\n\
             Open this link to choose a new one (valid for one hour, once):\n\n\
             {}\n\n\
             Reset token: {token}\n\n\
             If it was not you, ignore this mail: your password stays as it is.\n",
            reset_link(public_url, token)
        ),
    }
}

/// The page where a password-reset token is used.
pub fn reset_link(public_url: &str, token: &str) -> String {
    format!("{public_url}/reset-password/?token={token}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_mail_links_to_the_page() {
        let m = verification("https://cw.example.com", "a@b.de", "TOKEN123");
        assert_eq!(m.to, "a@b.de");
        assert!(
            m.body
                .contains("https://cw.example.com/verify-email/?token=TOKEN123")
        );
    }

    #[test]
    fn reset_mail_links_to_the_page() {
        let m = password_reset("http://h", "a@b.de", "TOK");
        assert!(m.body.contains("http://h/reset-password/?token=TOK"));
    }

    #[test]
    fn invitation_mail_names_tenant_role_and_token() {
        let m = invitation("http://h", "x@y.de", "Acme", "member", "TOK", Utc::now());
        assert!(m.subject.contains("Acme"));
        assert!(m.body.contains("as member"));
        assert!(m.body.contains("http://h/invite/?token=TOK"));
    }
}
