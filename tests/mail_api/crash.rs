//! In-process: a mailbox actor that fails (here: a record of its mailbox the store cannot
//! read) is restarted by its tenant's actor, alone, after noting the failure; once the
//! record is readable again the mailbox goes on where it was.

use serde_json::json;

use crate::common::eventually_within;
use crate::common::imap::Dovecot;
use crate::intake::{POLLED_WITHIN, add_account, buyer, poll, read_n};
use crate::{USER, account_body, mail};

#[tokio::test]
async fn a_failed_mailbox_actor_is_restarted_and_goes_on() {
    let dovecot = Dovecot::start(&[(USER, "imap secret 1")]);
    let dir = tempfile::tempdir().unwrap();
    let (server, s) =
        crate::common::in_process(dir.path(), &[("CERTWATCH_MAIL_ALLOW_PLAINTEXT", "true")]).await;
    let (key, _) = buyer(&s).await;
    dovecot.deliver(USER, &mail("qm@muster-metall.example", "first", &[]));
    let (id, _) = add_account(&s, &key, account_body(dovecot.port, "imap secret 1")).await;
    read_n(&s, &key, &id, 1).await;

    // The record of the last mail read becomes unreadable.
    let account: uuid::Uuid = id.parse().unwrap();
    let tree = server
        .actors
        .store()
        .tree(certwatch_store::engine::trees::Tree::MailMessages);
    let (record, original) = tree
        .scan_prefix(account.as_bytes())
        .next()
        .unwrap()
        .unwrap();
    tree.insert(record.clone(), vec![0xff, 0xff, 0x01]).unwrap();
    dovecot.deliver(USER, &mail("qm@muster-metall.example", "second", &[]));
    poll(&s, &key, &id).await;
    let failed = eventually_within(
        POLLED_WITHIN,
        "the failure noted and the actor restarted",
        async || {
            let a = s
                .get(&format!("/api/mail-accounts/{id}/"), Some(&key))
                .await
                .body;
            let restarts = s.health().await.body["actors"]["restarts"].clone();
            (a["failures"] == 1 && restarts == 1).then_some(a)
        },
    )
    .await;
    let error = failed["last_error"].as_str().unwrap();
    assert!(error.contains("store"), "{error}");
    assert_eq!(failed["messages_read"], 1);
    // The tenant's actor was not: its other work goes on.
    let h = s.health().await.body;
    assert_eq!(
        (h["status"].clone(), h["actors"]["tenants_running"].clone()),
        (json!("ok"), json!(1))
    );
    let org = s
        .post(
            "/api/organizations/",
            Some(&key),
            json!({"name": "Nordic Timber AB"}),
        )
        .await;
    assert_eq!(org.status, 201);

    // Readable again: the restarted mailbox reads the second mail, and only it.
    tree.insert(record, original).unwrap();
    poll(&s, &key, &id).await;
    let a = read_n(&s, &key, &id, 2).await;
    eventually_within(POLLED_WITHIN, "the poll noted", async || {
        let a = s
            .get(&format!("/api/mail-accounts/{id}/"), Some(&key))
            .await
            .body;
        (a["failures"] == 0).then_some(())
    })
    .await;
    assert_eq!(a["messages_read"], 2);
    assert_eq!(dovecot.seen(USER), 2);
    server.shutdown().await.unwrap();
}
