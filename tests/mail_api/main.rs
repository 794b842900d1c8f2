//! Mail intake against a real Dovecot on loopback, started by the test with its own
//! configuration and Maildir, holding messages written by a real mail writer (lettre).

#[path = "../common/mod.rs"]
mod common;
mod crash;
mod hostile;
mod imap;
mod intake;
mod pages;
mod replies;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Message, MultiPart, SinglePart};
use serde_json::{Value, json};

/// The tenant's mailbox on the test's Dovecot.
pub const USER: &str = "certs@buyer.example";

/// A certificate PDF with a text layer.
pub fn certificate(lines: &[&str]) -> Vec<u8> {
    common::pdf::with_lines(lines)
}

/// Muster Metall's ISO 9001 certificate, as most mails here carry it.
pub fn muster_iso_9001() -> Vec<u8> {
    certificate(&[
        "CERTIFICATE",
        "Muster Metall GmbH",
        "VAT ID: DE123456789",
        "quality management system according to ISO 9001:2015",
        "Certificate No.: Q-2024-0815",
        "Valid until: 14.01.2027",
    ])
}

/// A mail from `from` to the mailbox with a text part and `files` attached.
pub fn mail(from: &str, subject: &str, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    mail_to(from, USER, subject, files)
}

pub fn mail_to(from: &str, to: &str, subject: &str, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = MultiPart::mixed().singlepart(SinglePart::plain(
        "Please find our certificate attached.".to_string(),
    ));
    for (name, ct, bytes) in files {
        body = body.singlepart(
            Attachment::new(name.to_string()).body(bytes.to_vec(), ContentType::parse(ct).unwrap()),
        );
    }
    Message::builder()
        .from(from.parse().unwrap())
        .to(to.parse().unwrap())
        .subject(subject)
        .date_now()
        .multipart(body)
        .unwrap()
        .formatted()
}

/// The body that creates the mail account on the test's Dovecot.
pub fn account_body(port: u16, password: &str) -> Value {
    json!({"name": "Certificates", "host": "127.0.0.1", "port": port, "security": "none",
           "username": USER, "password": password, "poll_minutes": 60})
}
