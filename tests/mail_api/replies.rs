//! A supplier's reply to a certificate request: the request mail says where replies go
//! (the mailbox's plus-address with the request's reference) and carries the reference
//! in its subject; the reply's certificate is filed for the request's supplier and fulfils
//! the request, as an upload on the supplier page does. A sender's address is a hint only.

use serde_json::json;

use crate::common::imap::Dovecot;
use crate::common::{Server, eventually_within, read_mails};
use crate::intake::{POLLED_WITHIN, add_account, buyer, completed, first_item, mails, read_n};
use crate::{USER, account_body, certificate, mail, mail_to};

#[tokio::test]
async fn a_reply_to_a_request_fulfils_it_and_a_sender_is_only_a_hint() {
    let dovecot = Dovecot::start(&[(USER, "imap secret 1")]);
    let s = Server::start(&[("CERTWATCH_MAIL_ALLOW_PLAINTEXT", "true")]);
    let (key, org) = buyer(&s).await;
    let (id, _) = add_account(&s, &key, account_body(dovecot.port, "imap secret 1")).await;
    read_n(&s, &key, &id, 0).await;
    let contact = s
        .post(
            &format!("/api/organizations/{org}/contacts/"),
            Some(&key),
            json!({"name": "Anna Muster", "email": "anna@muster-metall.example", "language": "en"}),
        )
        .await;
    assert_eq!(contact.status, 201, "{:?}", contact.body);
    let iso = s.type_id(&key, "ISO_9001").await;
    let request = s
        .post(
            "/api/certificate-requests/",
            Some(&key),
            json!({"organization": org, "certificate_type": iso}),
        )
        .await;
    assert_eq!(request.status, 201, "{:?}", request.body);
    let request = request.body["id"].as_str().unwrap().to_string();
    let sent = eventually_within(POLLED_WITHIN, "the request mail", async || {
        read_mails(&s.outbox())
            .into_iter()
            .find(|m| m.contains("To: anna@muster-metall.example"))
    })
    .await;
    let parsed = mail_parser::MessageParser::default()
        .parse(sent.as_bytes())
        .unwrap();
    let reply_to = parsed
        .reply_to()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or_else(|| panic!("no Reply-To in {sent}"))
        .to_string();
    assert!(
        reply_to.starts_with("certs+") && reply_to.ends_with("@buyer.example"),
        "{reply_to}"
    );
    let subject = parsed.subject().unwrap().to_string();
    assert!(subject.contains("[ref:"), "{subject}");

    // The supplier replies from a private address with a certificate that names nobody.
    let names_nobody = certificate(&[
        "CERTIFICATE",
        "Quality management system according to ISO 9001:2015",
        "Certificate No.: Q-77-2026",
        "Issued by: DQS GmbH",
        "Valid until: 31.03.2029",
    ]);
    dovecot.deliver(
        USER,
        &mail_to(
            "Anna at home <anna.muster@gmail.example>",
            &reply_to,
            &format!("Re: {subject}"),
            &[("certificate.pdf", "application/pdf", &names_nobody)],
        ),
    );
    // Someone on the supplier's domain sends another company's certificate: not theirs.
    let other_company = certificate(&[
        "CERTIFICATE",
        "This is to certify that",
        "Nordic Timber AB",
        "has implemented an environmental management system according to ISO 14001:2015",
        "Certificate No.: E-5521",
        "Valid until: 30.06.2028",
    ]);
    let timber = s
        .post(
            "/api/organizations/",
            Some(&key),
            json!({"name": "Nordic Timber AB"}),
        )
        .await;
    assert_eq!(timber.status, 201);
    dovecot.deliver(
        USER,
        &mail(
            "sales@muster-metall.example",
            "Our partner's certificate",
            &[("partner.pdf", "application/pdf", &other_company)],
        ),
    );
    let poll = s
        .post(
            &format!("/api/mail-accounts/{id}/poll/"),
            Some(&key),
            json!({}),
        )
        .await;
    assert_eq!(poll.status, 202);
    read_n(&s, &key, &id, 2).await;
    let read = mails(&s, &key, &id).await;

    let reply = read
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("Re:"))
        .unwrap();
    let b = completed(&s, &key, reply["batch_id"].as_str().unwrap()).await;
    assert_eq!(b["mail"]["request"], request.as_str(), "{b:?}");
    assert_eq!(b["matched_count"], 1, "{b:?}");
    let r = s
        .get(&format!("/api/certificate-requests/{request}/"), Some(&key))
        .await
        .body;
    assert_eq!(r["status"], "fulfilled", "{r:?}");
    let cert = s
        .get(
            &format!("/api/certificates/{}/", r["fulfilled_by"].as_str().unwrap()),
            Some(&key),
        )
        .await
        .body;
    assert_eq!(cert["organization"]["id"], org.as_str(), "{cert:?}");
    assert_eq!(cert["certificate_number"], "Q-77-2026");

    let partner = read
        .iter()
        .find(|m| m["subject"] == "Our partner's certificate")
        .unwrap();
    let b = completed(&s, &key, partner["batch_id"].as_str().unwrap()).await;
    assert_eq!(b["mail"]["sender_organization"], org.as_str(), "{b:?}");
    assert_eq!(
        b["needs_review_count"], 1,
        "another company's document is reviewed: {b:?}"
    );
    let item = first_item(&s, &key, &b).await;
    let reason = item["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("Nordic Timber"), "{reason}");
}
