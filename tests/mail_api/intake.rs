//! Mail intake end to end: the real binary reads a real Dovecot on loopback — certificate
//! attachments filed and matched, the mail named on its batch, duplicates and mails
//! without files recorded, nothing read twice across a `kill -9`, and the mails marked
//! seen on the server only once recorded.

use std::time::Duration;

use serde_json::{Value, json};

use crate::common::imap::Dovecot;
use crate::common::{Server, eventually_within};
use crate::{USER, account_body, certificate, mail, muster_iso_9001};

/// An admin's tenant with the supplier Muster Metall (its contact writes from
/// `qm@muster-metall.example`).
pub async fn buyer(s: &Server) -> (String, String) {
    let (key, _) = s.signup("qa@buyer.example", "Buyer").await;
    let org = s
        .post(
            "/api/organizations/",
            Some(&key),
            json!({"name": "Muster Metall GmbH", "vat": "DE123456789", "website": "https://muster-metall.example"}),
        )
        .await;
    assert_eq!(org.status, 201, "{:?}", org.body);
    let org = org.body["id"].as_str().unwrap().to_string();
    (key, org)
}

/// Adds the mail account `body` says; its id and the answer.
pub async fn add_account(s: &Server, key: &str, body: Value) -> (String, Value) {
    let created = s.post("/api/mail-accounts/", Some(key), body).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    (id, created.body)
}

/// How long a poll may take on a busy machine: each mail is read in a worker process, a
/// hostile one up to its limits.
pub const POLLED_WITHIN: Duration = Duration::from_secs(90);

/// The account once it has read `n` mails.
pub async fn read_n(s: &Server, key: &str, id: &str, n: u64) -> Value {
    eventually_within(POLLED_WITHIN, &format!("{n} mails read"), async || {
        let a = s
            .get(&format!("/api/mail-accounts/{id}/"), Some(key))
            .await
            .body;
        (a["messages_read"] == n).then_some(a)
    })
    .await
}

pub async fn mails(s: &Server, key: &str, id: &str) -> Vec<Value> {
    let r = s
        .get(&format!("/api/mail-accounts/{id}/mails/"), Some(key))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["results"].as_array().unwrap().clone()
}

pub async fn poll(s: &Server, key: &str, id: &str) {
    let r = s
        .post(
            &format!("/api/mail-accounts/{id}/poll/"),
            Some(key),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
}

/// The first item of a batch.
pub async fn first_item(s: &Server, key: &str, batch: &Value) -> Value {
    let path = format!("/api/bulk-upload/{}/items/", batch["id"].as_str().unwrap());
    let items = s.get(&path, Some(key)).await;
    assert_eq!(items.status, 200, "{:?}", items.body);
    items.body["results"][0].clone()
}

/// The batch once it is completed.
pub async fn completed(s: &Server, key: &str, batch: &str) -> Value {
    eventually_within(POLLED_WITHIN, "the batch completed", async || {
        let b = s
            .get(&format!("/api/bulk-upload/{batch}/"), Some(key))
            .await
            .body;
        (b["status"] == "completed").then_some(b)
    })
    .await
}

#[tokio::test]
async fn attachments_are_filed_and_matched_and_nothing_is_read_twice_across_a_restart() {
    let dovecot = Dovecot::start(&[(USER, "imap secret 1")]);
    let mut s = Server::start(&[("CERTWATCH_MAIL_ALLOW_PLAINTEXT", "true")]);
    let (key, org) = buyer(&s).await;
    let iso = certificate(&[
        "CERTIFICATE",
        "DEKRA Certification GmbH hereby certifies that",
        "Muster Metall GmbH",
        "VAT ID: DE123456789",
        "has implemented a quality management system according to ISO 9001:2015",
        "Certificate No.: Q-2024-0815",
        "Valid until: 14.01.2027",
    ]);
    let from = "Anna Muster <qm@muster-metall.example>";
    dovecot.deliver(
        USER,
        &mail(
            from,
            "ISO 9001 certificate",
            &[("ISO 9001.pdf", "application/pdf", &iso)],
        ),
    );
    dovecot.deliver(USER, &mail(from, "Just saying hello", &[]));
    dovecot.deliver(
        USER,
        &mail(
            from,
            "The same again, and an invoice",
            &[
                ("copy.pdf", "application/pdf", &iso),
                (
                    "invoice.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    b"PK\x03\x04 not a certificate",
                ),
            ],
        ),
    );

    // Plain-text IMAP is the operator's to allow; this server does.
    let (id, created) = add_account(&s, &key, account_body(dovecot.port, "imap secret 1")).await;
    assert!(created.get("password").is_none(), "{created:?}");
    assert_eq!(created["folder"], "INBOX");
    let test = s
        .post(
            &format!("/api/mail-accounts/{id}/test/"),
            Some(&key),
            json!({}),
        )
        .await;
    assert_eq!(test.status, 200, "{:?}", test.body);
    assert_eq!(test.body["ok"], true, "{:?}", test.body);
    assert!(
        test.body["message"]
            .as_str()
            .unwrap()
            .contains("holds 3 mails"),
        "{:?}",
        test.body
    );

    // A new account is polled at once.
    let account = read_n(&s, &key, &id, 3).await;
    assert_eq!(account["last_error"], Value::Null, "{account:?}");
    let read = mails(&s, &key, &id).await;
    let outcomes: Vec<&str> = read
        .iter()
        .map(|m| m["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["nothing_to_file", "nothing_to_file", "filed"],
        "{read:?}"
    );
    let notes = read[0]["notes"].to_string();
    assert!(notes.contains("on file already"), "{notes}");
    assert!(notes.contains("invoice.docx"), "{read:?}");
    assert_eq!(read[2]["files"], 1);
    let batch = read[2]["batch_id"].as_str().unwrap();
    let b = completed(&s, &key, batch).await;
    assert_eq!(b["matched_count"], 1, "{b:?}");
    assert_eq!(b["mail"]["subject"], "ISO 9001 certificate");
    assert_eq!(b["mail"]["from"], "qm@muster-metall.example");
    assert_eq!(b["mail"]["account"], id.as_str());
    assert_eq!(
        b["mail"]["sender_organization"],
        org.as_str(),
        "the sender's website domain"
    );
    let item = first_item(&s, &key, &b).await;
    assert_eq!(item["organization"], org.as_str(), "{item:?}");
    assert_eq!(item["filename"], "ISO 9001.pdf");
    assert_eq!(
        item["extracted_data"]["certificate_number"]["value"],
        "Q-2024-0815"
    );
    // Seen on the server once recorded; nothing else changed there.
    eventually_within(POLLED_WITHIN, "all three marked seen", async || {
        (dovecot.seen(USER) == 3).then_some(())
    })
    .await;
    assert_eq!(dovecot.count(USER), 3);

    // Killed and started again: a new mail is read, the old ones are not.
    s.restart();
    let scan = certificate(&[
        "CERTIFICATE",
        "This is to certify that",
        "Muster Metall GmbH",
        "VAT ID: DE123456789",
        "operates an environmental management system that complies with ISO 14001:2015",
        "Certificate No.: E-2025-77",
        "Valid until: 30.06.2028",
    ]);
    dovecot.deliver(
        USER,
        &mail(
            from,
            "ISO 14001",
            &[("ISO 14001", "application/pdf", &scan)],
        ),
    );
    poll(&s, &key, &id).await;
    read_n(&s, &key, &id, 4).await;
    poll(&s, &key, &id).await;
    poll(&s, &key, &id).await;
    eventually_within(POLLED_WITHIN, "the polls done", async || {
        let a = s
            .get(&format!("/api/mail-accounts/{id}/"), Some(&key))
            .await
            .body;
        (a["messages_read"] == 4 && dovecot.seen(USER) == 4).then_some(())
    })
    .await;
    let read = mails(&s, &key, &id).await;
    let mut uids: Vec<u64> = read.iter().map(|m| m["uid"].as_u64().unwrap()).collect();
    uids.dedup();
    assert_eq!(uids.len(), 4, "each mail once: {read:?}");
    let newest = &read[0];
    assert_eq!(newest["outcome"], "filed", "{newest:?}");
    let b = completed(&s, &key, newest["batch_id"].as_str().unwrap()).await;
    assert_eq!(b["matched_count"], 1, "{b:?}");
    let batches = s.get("/api/bulk-upload/", Some(&key)).await.body;
    assert_eq!(batches["count"], 2, "{batches:?}");
    // A name without an extension is given its type's.
    let item = first_item(&s, &key, &b).await;
    assert_eq!(item["filename"], "ISO 14001.pdf");

    // Another tenant sees none of it.
    let (other, _) = s.signup("qa@other.example", "Other").await;
    for path in [
        format!("/api/mail-accounts/{id}/"),
        format!("/api/mail-accounts/{id}/mails/"),
    ] {
        assert_eq!(s.get(&path, Some(&other)).await.status, 404);
    }
    assert_eq!(
        s.post(
            &format!("/api/mail-accounts/{id}/poll/"),
            Some(&other),
            json!({})
        )
        .await
        .status,
        404
    );
    let listed = s.get("/api/mail-accounts/", Some(&other)).await.body;
    assert_eq!(listed["count"], 0);
}

#[tokio::test]
async fn a_mail_is_moved_once_recorded_and_a_moved_folder_files_nothing_twice() {
    let dovecot = Dovecot::start(&[(USER, "imap secret 1")]);
    dovecot.folder(USER, "Filed");
    let s = Server::start(&[("CERTWATCH_MAIL_ALLOW_PLAINTEXT", "true")]);
    let (key, _) = buyer(&s).await;
    let iso = muster_iso_9001();
    let from = "qm@muster-metall.example";
    dovecot.deliver(
        USER,
        &mail(from, "to be moved", &[("iso.pdf", "application/pdf", &iso)]),
    );
    let mut body = account_body(dovecot.port, "imap secret 1");
    body["after_reading"] = json!("move");
    body["move_to"] = json!("Filed");
    let (id, _) = add_account(&s, &key, body).await;
    read_n(&s, &key, &id, 1).await;
    eventually_within(POLLED_WITHIN, "moved", async || {
        (dovecot.count(USER) == 0 && dovecot.count_in(USER, "Filed") == 1).then_some(())
    })
    .await;
    // Reading the folder it went to is a new mailbox: the mail is read there, but its file
    // is on file already and is not filed again.
    let path = format!("/api/mail-accounts/{id}/");
    let changed = s
        .patch(
            &path,
            Some(&key),
            json!({"folder": "Filed", "after_reading": "mark_seen"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{:?}", changed.body);
    read_n(&s, &key, &id, 2).await;
    let read = mails(&s, &key, &id).await;
    assert_eq!(read[0]["folder"], "Filed");
    assert_eq!(read[0]["outcome"], "nothing_to_file", "{read:?}");
    assert!(read[0]["notes"].to_string().contains("on file already"));
    let batches = s.get("/api/bulk-upload/", Some(&key)).await.body;
    assert_eq!(batches["count"], 1, "{batches:?}");
}
