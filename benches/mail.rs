//! `cargo bench --bench mail`: mail intake — mails per second from a real Dovecot on
//! loopback into batches, one PDF attached to each: fetched over IMAP, read in a worker,
//! the file stored under its SHA-256, mail and batch recorded durably, the mail marked
//! seen. The reading of the PDFs themselves (the bulk-upload reader) runs on its own lane
//! alongside and is not what is timed: a mail counts once it is recorded.

mod common;

// The tests' own Dovecot and PDF writer; the bench uses a part of each.
#[allow(dead_code)]
#[path = "../tests/common/imap.rs"]
mod imap;
#[allow(dead_code)]
#[path = "../tests/common/pdf.rs"]
mod pdf;

use std::time::{Duration, Instant};

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Message, MultiPart, SinglePart};
use serde_json::{Value, json};

const USER: &str = "certs@bench.example";
const MAILS: usize = 400;

fn mail(i: usize) -> Vec<u8> {
    let pdf = pdf::with_lines(&[
        "CERTIFICATE",
        &format!("Supplier {i} GmbH"),
        "quality management system according to ISO 9001:2015",
        &format!("Certificate No.: Q-{i:05}"),
        "Valid until: 14.01.2028",
    ]);
    Message::builder()
        .from(format!("qm@supplier{i}.example").parse().unwrap())
        .to(USER.parse().unwrap())
        .subject(format!("Certificate {i}"))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("Attached.".to_string()))
                .singlepart(
                    Attachment::new(format!("q{i}.pdf"))
                        .body(pdf, ContentType::parse("application/pdf").unwrap()),
                ),
        )
        .unwrap()
        .formatted()
}

#[tokio::main]
async fn main() {
    let dovecot = imap::Dovecot::start(&[(USER, "bench secret")]);
    for i in 0..MAILS {
        dovecot.deliver(USER, &mail(i));
    }
    let b = common::start_with(&[("CERTWATCH_MAIL_ALLOW_PLAINTEXT", "true")]).await;
    let http = reqwest::Client::new();
    let auth = format!("Token {}", b.key);
    let started = Instant::now();
    let created: Value = http
        .post(format!("{}/api/mail-accounts/", b.base))
        .header("Authorization", &auth)
        .json(
            &json!({"name": "Bench", "host": "127.0.0.1", "port": dovecot.port,
                      "security": "none", "username": USER, "password": "bench secret",
                      "poll_minutes": 1440}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"]
        .as_str()
        .expect("the account is created")
        .to_string();
    let read = loop {
        let a: Value = http
            .get(format!("{}/api/mail-accounts/{id}/", b.base))
            .header("Authorization", &auth)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(a["last_error"].is_null(), "{a}");
        if a["messages_read"] == MAILS as u64 {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(600), "stalled: {a}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("CertWatch mail intake benchmark (Dovecot on loopback, one PDF a mail)");
    println!(
        "{:<60} {:>9.1} mails/s   ({MAILS} mails in {:.2} s)",
        "fetched, read, stored and recorded",
        MAILS as f64 / read.as_secs_f64(),
        read.as_secs_f64()
    );
    // The last mail is marked seen just after it is recorded.
    let deadline = Instant::now() + Duration::from_secs(30);
    while dovecot.seen(USER) < MAILS {
        assert!(Instant::now() < deadline, "not every mail marked seen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    b.server.shutdown().await.unwrap();
}
