//! The mails the service sends, composed from plain data.
//!
//! Long lines (links) are sent quoted-printable, which escapes and wraps them in the raw
//! message; every token therefore also stands alone on a short line, where it stays
//! verbatim and can be copied from an outbox file.

use certwatch_domain::digest::{Digest, ExpiryLine, RegisterLine};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    /// The plain-text body.
    pub body: String,
    /// An HTML alternative of the same text, for mail clients that show it.
    pub html: Option<String>,
    /// Where replies go, when not to the sender.
    pub reply_to: Option<String>,
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
        html: None,
        reply_to: None,
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
        html: None,
        reply_to: None,
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
        html: None,
        reply_to: None,
    }
}

/// The expiry digest, as plain text and HTML with the same content.
pub fn digest(public_url: &str, to: &str, d: &Digest) -> Mail {
    let mut subject = format!("CertWatch digest for {}", d.tenant_name);
    let counts = [
        (d.expiring.len(), "expiring"),
        (d.expired.len(), "expired"),
        (d.failing.len(), "monitoring failing"),
        (d.failed_deliveries.len(), "deliveries failed"),
        (d.register_changes.len(), "changed by a register"),
    ];
    let summary: Vec<String> = counts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    subject.push_str(&format!(": {}", summary.join(", ")));

    Mail {
        to: to.to_string(),
        body: digest_text(public_url, d),
        html: Some(digest_html(public_url, d, &subject)),
        reply_to: None,
        subject,
    }
}

/// One register change, in words.
fn register_line(l: &RegisterLine) -> String {
    format!(
        "{}: {} {} → {} ({}, {})",
        l.supplier,
        l.number,
        l.from,
        l.to,
        l.register,
        l.at.format("%Y-%m-%d %H:%M UTC")
    )
}

/// The digest as plain text.
fn digest_text(public_url: &str, d: &Digest) -> String {
    let mut text = format!("What changed in {} since the last digest.\n", d.tenant_name);
    let expiry_line = |l: &ExpiryLine| {
        format!(
            "- {}: {} {} expires {} ({})\n",
            l.supplier,
            l.certificate_type,
            l.number,
            l.expiry,
            days_left(l.days_left)
        )
    };
    for (title, lines) in expiry_sections(d) {
        text.push_str(&format!("\n{title}:\n"));
        lines.iter().for_each(|l| text.push_str(&expiry_line(l)));
    }
    if !d.failing.is_empty() {
        text.push_str("\nSupplier pages whose monitoring keeps failing:\n");
        for l in &d.failing {
            text.push_str(&format!(
                "- {}: {} ({} failed checks{})\n",
                l.supplier,
                l.url,
                l.failures,
                l.last_error
                    .as_deref()
                    .map(|e| format!(", last: {e}"))
                    .unwrap_or_default()
            ));
        }
    }
    if !d.failed_deliveries.is_empty() {
        text.push_str("\nWebhook deliveries that failed:\n");
        for l in &d.failed_deliveries {
            text.push_str(&format!(
                "- {} to {} at {}\n",
                l.event_type,
                l.subscriber,
                l.at.format("%Y-%m-%d %H:%M UTC")
            ));
        }
    }
    if !d.register_changes.is_empty() {
        text.push_str("\nCertificates whose status a register changed:\n");
        for l in &d.register_changes {
            text.push_str(&format!("- {}\n", register_line(l)));
        }
    }
    text.push_str(&format!(
        "\nOpen CertWatch: {public_url}/\nDigest settings: {public_url}/admin/\n"
    ));

    text
}

/// The digest as a page, for mail readers that show HTML.
fn digest_html(public_url: &str, d: &Digest, subject: &str) -> String {
    let expiry_rows = |lines: &[ExpiryLine]| {
        maud::html! {
            table {
                tr { th { "Supplier" } th { "Certificate" } th { "Number" } th { "Expires" } }
                @for l in lines {
                    tr {
                        td { (l.supplier) } td { (l.certificate_type) } td { (l.number) }
                        td { (l.expiry) " (" (days_left(l.days_left)) ")" }
                    }
                }
            }
        }
    };
    maud::html! {
        (maud::DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (subject) } }
            body {
                h1 { "CertWatch digest for " (d.tenant_name) }
                @for (title, lines) in expiry_sections(d) {
                    h2 { (title) }
                    (expiry_rows(lines))
                }
                @if !d.failing.is_empty() {
                    h2 { "Supplier pages whose monitoring keeps failing" }
                    ul {
                        @for l in &d.failing {
                            li { (l.supplier) ": " (l.url) " (" (l.failures) " failed checks"
                                @if let Some(e) = &l.last_error { ", last: " (e) } ")" }
                        }
                    }
                }
                @if !d.failed_deliveries.is_empty() {
                    h2 { "Webhook deliveries that failed" }
                    ul {
                        @for l in &d.failed_deliveries {
                            li { (l.event_type) " to " (l.subscriber) " at "
                                (l.at.format("%Y-%m-%d %H:%M UTC")) }
                        }
                    }
                }
                @if !d.register_changes.is_empty() {
                    h2 { "Certificates whose status a register changed" }
                    ul { @for l in &d.register_changes { li { (register_line(l)) } } }
                }
                p { a href={ (public_url) "/" } { "Open CertWatch" } " · "
                    a href={ (public_url) "/admin/" } { "Digest settings" } }
            }
        }
    }
    .into_string()
}

/// The digest's certificate sections that have lines, with their titles.
fn expiry_sections(d: &Digest) -> impl Iterator<Item = (&'static str, &[ExpiryLine])> {
    [
        ("Certificates expiring soon", d.expiring.as_slice()),
        ("Certificates that expired", d.expired.as_slice()),
    ]
    .into_iter()
    .filter(|(_, lines)| !lines.is_empty())
}

fn days_left(days: i64) -> String {
    match days {
        ..0 => format!("{} days ago", -days),
        0 => "today".into(),
        1 => "tomorrow".into(),
        n => format!("in {n} days"),
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
