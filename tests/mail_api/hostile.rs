//! Hostile mail and a hostile or absent server: bombs handled within bounds and recorded
//! with the reason, refused mails left on the server and never tried again, the mailbox
//! going on; a wrong password backing off, shown in the account and in `/metrics`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::common::imap::Dovecot;
use crate::common::{Server, eventually_within};
use crate::intake::{
    POLLED_WITHIN, add_account, buyer, completed, first_item, mails, poll, read_n,
};
use crate::{USER, account_body, certificate, mail, muster_iso_9001};

/// A mail whose body is nested `depth` multiparts deep, a PDF at the bottom.
fn nested(depth: usize, pdf: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let mut raw = String::from(
        "From: qm@muster-metall.example\r\nTo: certs@buyer.example\r\nSubject: nested\r\nMIME-Version: 1.0\r\n",
    );
    for level in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"
        ));
    }
    raw.push_str("Content-Type: application/pdf; name=\"deep.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    raw.push_str(&base64::engine::general_purpose::STANDARD.encode(pdf));
    raw.push_str("\r\n");
    for level in (0..depth).rev() {
        raw.push_str(&format!("--b{level}--\r\n"));
    }
    raw.into_bytes()
}

#[tokio::test]
async fn mail_bombs_are_read_within_bounds_and_refused_mails_stay_on_the_server() {
    let dovecot = Dovecot::start(&[(USER, "imap secret 1")]);
    let s = Server::start(&[
        ("CERTWATCH_MAIL_ALLOW_PLAINTEXT", "true"),
        ("CERTWATCH_MAIL_MAX_ATTACHMENT_MB", "1"),
    ]);
    let (key, org) = buyer(&s).await;
    let pdf = certificate(&[
        "CERTIFICATE",
        "Muster Metall GmbH",
        "VAT ID: DE123456789",
        "ISO 9001:2015",
        "Certificate No.: Q-1",
        "Valid until: 14.01.2027",
    ]);
    let from = "qm@muster-metall.example";
    // 1. Nested 100,000 multiparts deep.
    dovecot.deliver(USER, &nested(100_000, &pdf));
    // 2. A thousand attachments.
    let thousand: Vec<(String, &[u8])> = (0..1000)
        .map(|i| (format!("c{i}.pdf"), pdf.as_slice()))
        .collect();
    let files: Vec<(&str, &str, &[u8])> = thousand
        .iter()
        .map(|(n, b)| (n.as_str(), "application/pdf", *b))
        .collect();
    dovecot.deliver(USER, &mail(from, "a thousand", &files));
    // 3. A 50 MB attachment: the mail is over the 30 MB a mailbox fetches.
    let huge = vec![b'%'; 50 << 20];
    dovecot.deliver(
        USER,
        &mail(
            from,
            "fifty megabytes",
            &[("huge.pdf", "application/pdf", &huge)],
        ),
    );
    // 4. A 2 MB attachment, over this server's 1 MB per attachment.
    let mut big = pdf.clone();
    big.extend(std::iter::repeat_n(b' ', 2 << 20));
    dovecot.deliver(
        USER,
        &mail(
            from,
            "two megabytes",
            &[("big.pdf", "application/pdf", &big)],
        ),
    );
    // 5. Not a mail at all.
    dovecot.deliver(USER, b"\x00\x01\x02 garbage without a header\r\n");
    // 6. And then an ordinary one.
    let iso = muster_iso_9001();
    dovecot.deliver(
        USER,
        &mail(from, "ordinary", &[("iso.pdf", "application/pdf", &iso)]),
    );

    let (id, _) = add_account(&s, &key, account_body(dovecot.port, "imap secret 1")).await;
    let account = read_n(&s, &key, &id, 6).await;
    assert_eq!(account["last_error"], Value::Null, "{account:?}");
    let read = mails(&s, &key, &id).await;
    let by = |subject: &str| -> Value {
        read.iter()
            .find(|m| m["subject"] == subject)
            .cloned()
            .unwrap_or_else(|| panic!("no mail {subject} in {read:?}"))
    };

    let deep = by("nested");
    assert_eq!(deep["outcome"], "nothing_to_file", "{deep:?}");
    assert!(
        deep["notes"].to_string().contains("nested deeper"),
        "{deep:?}"
    );

    let many = by("a thousand");
    assert_eq!(many["outcome"], "filed", "{many:?}");
    assert_eq!(many["files"], 1, "the same file is one item: {many:?}");
    // 980 left out by the reader, 19 copies of the one taken: 50 lines and a count.
    let notes = many["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 51, "{notes:?}");
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .contains("more than 20 certificate files")
    );
    assert_eq!(notes[50], "… and 949 more left out");

    let fifty = by("fifty megabytes");
    assert_eq!(fifty["outcome"], "refused");
    assert_eq!(
        fifty["from"], "qm@muster-metall.example",
        "its header is read"
    );
    assert!(
        fifty["reason"]
            .as_str()
            .unwrap()
            .contains("larger than the 30 MB"),
        "{fifty:?}"
    );
    let two = by("two megabytes");
    assert_eq!(two["outcome"], "nothing_to_file", "{two:?}");
    assert!(
        two["notes"].to_string().contains("larger than 1 MB"),
        "{two:?}"
    );
    let garbage = read
        .iter()
        .find(|m| m["outcome"] == "refused" && m["subject"] == "")
        .unwrap();
    assert!(
        garbage["reason"].as_str().unwrap().contains("Not a mail"),
        "{garbage:?}"
    );

    let ordinary = by("ordinary");
    let b = completed(&s, &key, ordinary["batch_id"].as_str().unwrap()).await;
    assert_eq!(b["matched_count"], 1, "{b:?}");
    let item = first_item(&s, &key, &b).await;
    assert_eq!(item["organization"], org.as_str());

    // The refused two stay on the server, unseen; the others are seen.
    eventually_within(POLLED_WITHIN, "four marked seen", async || {
        (dovecot.seen(USER) == 4).then_some(())
    })
    .await;
    assert_eq!(dovecot.count(USER), 6);
    // And they are not tried again.
    poll(&s, &key, &id).await;
    eventually_within(POLLED_WITHIN, "the poll recorded", async || {
        let a = s
            .get(&format!("/api/mail-accounts/{id}/"), Some(&key))
            .await
            .body;
        (a["last_poll_at"] != account["last_poll_at"]).then_some(())
    })
    .await;
    assert_eq!(mails(&s, &key, &id).await.len(), 6);
    assert_eq!(s.health().await.body["status"], "ok");
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// A sample's value in `/metrics`.
async fn metric(s: &Server, sample: &str) -> f64 {
    s.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{sample} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_wrong_password_backs_off_and_shows_until_an_admin_fixes_it() {
    let dovecot = Dovecot::start(&[(USER, "imap secret 1")]);
    let strict = Server::start(&[]);
    let (key, _) = buyer(&strict).await;
    // Plain text is the operator's to allow; this server does not.
    let refused = strict
        .post(
            "/api/mail-accounts/",
            Some(&key),
            account_body(dovecot.port, "wrong"),
        )
        .await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert!(refused.body["security"].is_array(), "{:?}", refused.body);
    assert_eq!(
        strict.get("/api/mail-accounts/", Some(&key)).await.body["count"],
        0
    );

    let s = Server::start(&[("CERTWATCH_MAIL_ALLOW_PLAINTEXT", "true")]);
    let (key, _) = buyer(&s).await;
    let mut body = account_body(dovecot.port, "wrong");
    body["poll_minutes"] = json!(1);
    let (id, _) = add_account(&s, &key, body).await;
    let path = format!("/api/mail-accounts/{id}/");
    let failed = eventually_within(POLLED_WITHIN, "the login refused", async || {
        let a = s.get(&path, Some(&key)).await.body;
        (a["failures"] == 1).then_some(a)
    })
    .await;
    let error = failed["last_error"].as_str().unwrap();
    assert!(error.contains("refused the login"), "{error}");
    assert!(
        !error.contains("wrong"),
        "the password is never shown: {error}"
    );
    // One minute between polls, doubled after a failure.
    let wait = at(&failed["next_poll_at"]) - at(&failed["last_poll_at"]);
    assert_eq!(wait.num_minutes(), 2, "{failed:?}");
    assert_eq!(metric(&s, "certwatch_mailboxes_failing").await, 1.0);
    assert!(metric(&s, "certwatch_mail_polls_total{outcome=\"failed\"}").await >= 1.0);
    // Asked again, it fails again, and waits longer.
    poll(&s, &key, &id).await;
    let again = eventually_within(POLLED_WITHIN, "the second failure", async || {
        let a = s.get(&path, Some(&key)).await.body;
        (a["failures"] == 2).then_some(a)
    })
    .await;
    let wait = at(&again["next_poll_at"]) - at(&again["last_poll_at"]);
    assert_eq!(wait.num_minutes(), 4, "{again:?}");

    // The admin fixes the password: polled at once, the failures forgotten.
    let fixed = s
        .patch(&path, Some(&key), json!({"password": "imap secret 1"}))
        .await;
    assert_eq!(fixed.status, 200, "{:?}", fixed.body);
    assert_eq!(fixed.body["failures"], 0);
    eventually_within(POLLED_WITHIN, "a poll that worked", async || {
        let a = s.get(&path, Some(&key)).await.body;
        (a["last_error"].is_null() && a["last_poll_at"] != again["last_poll_at"]).then_some(())
    })
    .await;
    assert_eq!(metric(&s, "certwatch_mailboxes_failing").await, 0.0);
    // The password is in no answer and not in clear in the data directory.
    let listed = s.get("/api/mail-accounts/", Some(&key)).await;
    assert!(!listed.body.to_string().contains("imap secret 1"));
    assert!(
        !crate::common::files_under(&s.data_dir)
            .windows(13)
            .any(|w| w == b"imap secret 1")
    );
}
