//! The IMAP conversation on its own: log in, list what waits after the last UID handled,
//! fetch without marking seen, mark, delete; a wrong password said as such.

use certwatch_actors::mailbox::imap::{ImapError, Mailbox};
use certwatch_domain::mail::{AfterReading, MailAccount, MailAccountPatch, Security};
use lettre::message::Message;

use crate::common::imap::Dovecot;

const USER: &str = "certs@buyer.example";
const PASSWORD: &str = "imap secret 1";

fn mail(subject: &str) -> Vec<u8> {
    Message::builder()
        .from("qm@muster-metall.example".parse().unwrap())
        .to(USER.parse().unwrap())
        .subject(subject)
        .body(format!("about {subject}"))
        .unwrap()
        .formatted()
}

fn account(port: u16, password: &str) -> MailAccount {
    let patch = MailAccountPatch {
        name: Some("Certificates".into()),
        host: Some("127.0.0.1".into()),
        port: Some(port),
        security: Some(Security::None),
        username: Some(USER.into()),
        password: Some(password.into()),
        ..MailAccountPatch::default()
    };
    MailAccount::apply(None, uuid::Uuid::new_v4(), patch, true, chrono::Utc::now()).unwrap()
}

#[tokio::test]
async fn messages_after_the_last_handled_are_fetched_unseen_then_marked_or_deleted() {
    let dovecot = Dovecot::start(&[(USER, PASSWORD)]);
    for s in ["first", "second", "third"] {
        dovecot.deliver(USER, &mail(s));
    }
    // A big one, to be refused by size.
    let big = Message::builder()
        .from("qm@muster-metall.example".parse().unwrap())
        .to(USER.parse().unwrap())
        .subject("big")
        .body("x".repeat(200 * 1024))
        .unwrap()
        .formatted();
    dovecot.deliver(USER, &big);
    let mut mb = Mailbox::open(&account(dovecot.port, PASSWORD))
        .await
        .unwrap_or_else(|e| panic!("{e}: {}", dovecot.log()));
    assert!(mb.uid_validity > 0);
    let mut waiting = mb.waiting(None).await.unwrap();
    assert_eq!(waiting.len(), 4);
    // More than allowed is refused, not read into memory.
    let at = (0..4).max_by_key(|i| waiting[*i].size).unwrap();
    let big = waiting.remove(at);
    assert!(big.size > 200 * 1024);
    let refused = mb.message(big.uid, 64 * 1024).await;
    assert!(
        refused.is_err(),
        "read {:?} bytes",
        refused.map(|m| m.len())
    );
    mb.close().await;
    let mut mb = Mailbox::open(&account(dovecot.port, PASSWORD))
        .await
        .unwrap();
    let first = mb.message(waiting[0].uid, 1 << 20).await.unwrap();
    assert!(String::from_utf8_lossy(&first).contains("Subject: "));
    assert_eq!(first.len() as u32, waiting[0].size);
    // Only what comes after the last handled UID.
    let last = waiting.iter().chain([&big]).map(|w| w.uid).max().unwrap();
    let after_first = mb.waiting(Some(waiting[0].uid)).await.unwrap();
    assert!(after_first.iter().all(|w| w.uid > waiting[0].uid));
    let all: Vec<u32> = waiting.iter().chain([&big]).map(|w| w.uid).collect();
    assert_eq!(
        after_first.len(),
        all.iter().filter(|u| **u > waiting[0].uid).count()
    );
    assert_eq!(mb.waiting(Some(last)).await.unwrap(), []);
    mb.close().await;

    let mut mb = Mailbox::open(&account(dovecot.port, PASSWORD))
        .await
        .unwrap();
    mb.done_with(waiting[0].uid, AfterReading::MarkSeen, None)
        .await
        .unwrap();
    for gone in [waiting[2].uid, big.uid] {
        mb.done_with(gone, AfterReading::Delete, None)
            .await
            .unwrap();
    }
    let left = mb.waiting(None).await.unwrap();
    assert_eq!(
        left.iter().map(|w| w.uid).collect::<Vec<_>>(),
        [waiting[0].uid, waiting[1].uid]
    );
    mb.close().await;
    assert_eq!(dovecot.count(USER), 2);

    let refused = Mailbox::open(&account(dovecot.port, "wrong")).await;
    assert!(
        matches!(refused, Err(ImapError::Login(_))),
        "{:?}",
        refused.err()
    );
    let nobody = Mailbox::open(&account(1, PASSWORD)).await;
    assert!(matches!(nobody, Err(ImapError::Failed(_))));
}
