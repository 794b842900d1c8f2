//! Mailboxes in the pages, in a real headless Chromium: an admin adds a mailbox (a wrong
//! field first, shown beside it), tests it, polls it, sees the mail read and its batch
//! naming the mail; a wrong password shows on the dashboard.

use crate::common::browser::Browser;
use crate::common::imap::Dovecot;
use crate::common::{PASSWORD, Server, eventually_within};
use crate::intake::{POLLED_WITHIN, buyer, read_n};
use crate::{USER, mail, muster_iso_9001};

#[tokio::test]
async fn an_admin_adds_a_mailbox_and_follows_a_mail_to_its_batch() {
    let dovecot = Dovecot::start(&[(USER, "imap secret 1")]);
    let s = Server::start(&[("CERTWATCH_MAIL_ALLOW_PLAINTEXT", "true")]);
    let (key, _) = buyer(&s).await;
    let iso = muster_iso_9001();
    dovecot.deliver(
        USER,
        &mail(
            "qm@muster-metall.example",
            "Our ISO certificate",
            &[("iso.pdf", "application/pdf", &iso)],
        ),
    );
    let b = Browser::start(1280, 900).await;
    b.run("mail_pages", async {
        b.goto(&format!("{}/signin/", s.base)).await;
        b.fill("#email", "qa@buyer.example").await;
        b.fill("#password", PASSWORD).await;
        b.click("form[action='/signin/'] button[type=submit]").await;
        b.heading("Dashboard").await;
        b.goto(&format!("{}/admin/", s.base)).await;
        b.click("nav a[href='/admin/mail/']").await;
        b.heading("Mailboxes").await;

        // Move without a folder to move to: refused beside the field, nothing saved.
        b.fill("#name", "Certificates").await;
        b.fill("#host", "127.0.0.1").await;
        b.fill("#port", &dovecot.port.to_string()).await;
        b.find("#security option[value='none']")
            .await
            .click()
            .await
            .unwrap();
        b.fill("#username", USER).await;
        b.fill("#password", "imap secret 1").await;
        b.find("#after_reading option[value='move']")
            .await
            .click()
            .await
            .unwrap();
        b.fill("#poll_minutes", "60").await;
        b.click("form[action='/admin/mail/'] button[type=submit]")
            .await;
        b.shows("#move_to-error", "Name the folder").await;
        assert_eq!(
            s.get("/api/mail-accounts/", Some(&key)).await.body["count"],
            0
        );

        b.find("#after_reading option[value='mark_seen']")
            .await
            .click()
            .await
            .unwrap();
        b.fill("#password", "imap secret 1").await;
        b.click("form[action='/admin/mail/'] button[type=submit]")
            .await;
        b.heading("Certificates").await;
        b.shows(".notice", "Saved").await;
        let path = b.path().await;
        let id = path
            .split('?')
            .next()
            .unwrap()
            .trim_matches('/')
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        read_n(&s, &key, &id, 1).await;

        b.click(&format!("form[action='/admin/mail/{id}/test/'] button"))
            .await;
        b.shows(".notice", "Logged in").await;
        b.click(&format!("form[action='/admin/mail/{id}/poll/'] button"))
            .await;
        b.shows(".notice", "read now").await;
        b.goto(&format!("{}/admin/mail/{id}/", s.base)).await;
        b.shows("main table", "Our ISO certificate").await;
        b.lacks("main", "imap secret 1").await;
        b.click("main table a").await;
        b.heading("Batch").await;
        b.shows("main", "Attached to the mail").await;
        b.shows("main", "qm@muster-metall.example").await;

        // A wrong password: the next poll fails, and the dashboard says so.
        b.goto(&format!("{}/admin/mail/{id}/", s.base)).await;
        b.fill("#password", "wrong").await;
        b.click(&format!(
            "form[action='/admin/mail/{id}/'] button[type=submit]"
        ))
        .await;
        b.shows(".notice", "Saved").await;
        b.click(&format!("form[action='/admin/mail/{id}/poll/'] button"))
            .await;
        eventually_within(POLLED_WITHIN, "the failed poll", async || {
            let a = s
                .get(&format!("/api/mail-accounts/{id}/"), Some(&key))
                .await
                .body;
            (a["failures"] == 1).then_some(())
        })
        .await;
        b.goto(&format!("{}/", s.base)).await;
        b.heading("Dashboard").await;
        b.shows(".notice", "cannot be read").await;
    })
    .await;
    b.close().await;
}
