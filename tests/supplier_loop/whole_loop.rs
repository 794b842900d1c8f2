//! The whole loop in a real headless Chromium: a requirement, a supplier with a contact and
//! an expiring certificate → the reminder pass asks → the mail in the outbox → its link
//! opened on a phone-sized screen → a PDF uploaded there → the certificate renewed, the
//! request fulfilled, the supplier valid, both webhooks delivered.

use super::supplier_page::{asked, renewal};
use super::*;
use common::browser::Browser;
use common::receiver::subscribed;
use common::{eventually, read_mails};

/// The supplier link in the mail to `to`.
fn mailed_link(s: &Server, to: &str) -> Option<String> {
    read_mails(&s.outbox())
        .iter()
        .filter(|m| m.contains(&format!("To: {to}")))
        .find_map(|m| {
            let start = m.find("http")?;
            let link: String = m[start..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            link.contains("/supplier/").then_some(link)
        })
}

#[tokio::test]
async fn a_supplier_answers_a_reminder_from_its_phone_and_the_loop_closes() {
    let s = Server::start(&[
        ("CERTWATCH_REMINDER_INTERVAL", "1"),
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
    ]);
    let (b, org, cert, _) = asked(&s).await;
    let rx = subscribed(
        &s,
        &b.key,
        json!([
            "certificate_request.fulfilled",
            "organization.compliance_changed"
        ]),
    )
    .await;
    let link = eventually("the request mail with its link", async || {
        mailed_link(&s, "qm@nord.example")
    })
    .await;
    assert!(link.starts_with(&s.base), "{link}");
    assert_eq!(b.compliance(&org).await["state"], "expiring");

    let files = tempfile::tempdir().unwrap();
    let pdf = files.path().join("iso9001-2029.pdf");
    std::fs::write(&pdf, renewal("Q-2026-777", "31.12.2029")).unwrap();
    let phone = Browser::start(390, 844).await;
    phone
        .run("supplier-link", async {
            phone.goto(&link).await;
            phone.heading("Certificate request").await;
            phone.shows("main", "Q-100").await;
            phone
                .find("#files")
                .await
                .send_keys(&pdf.display().to_string())
                .await
                .unwrap();
            phone
                .click("form[enctype='multipart/form-data'] button[type=submit]")
                .await;
            phone.heading("Received").await;
            phone.shows("main", "1 file(s) received").await;
        })
        .await;
    phone.close().await;

    let renewed = eventually("the certificate renewed", async || {
        let c = b.get(&format!("/api/certificates/{cert}/")).await.body;
        (c["certificate_number"] == "Q-2026-777").then_some(c)
    })
    .await;
    assert_eq!(renewed["expiry_date"], "2029-12-31");
    let requests = b.get("/api/certificate-requests/").await.body;
    assert_eq!(requests["results"][0]["status"], "fulfilled");
    assert_eq!(b.compliance(&org).await["state"], "valid");
    let events = eventually("both webhooks delivered", async || {
        let got = rx.received();
        let has = |t: &str| got.iter().any(|e| e.body["type"] == t);
        (has("certificate_request.fulfilled")
            && got.iter().any(|e| e.body["data"]["new_state"] == "valid"))
        .then_some(got)
    })
    .await;
    let changed = events
        .iter()
        .find(|e| e.body["data"]["new_state"] == "valid")
        .unwrap();
    assert_eq!(changed.body["data"]["old_state"], "expiring");
    assert_eq!(changed.body["data"]["organization"], org.as_str());
}

#[tokio::test]
async fn the_buyer_sets_requirements_adds_a_contact_asks_and_cancels_in_the_pages() {
    let s = Server::start(&[]);
    let b = Buyer::signup(&s, "qa@buyer.example", "Nordic Buyer AB").await;
    let org = b.org("Gießerei Nord GmbH", &["castings"]).await;
    let browser = Browser::start(1280, 900).await;
    browser
        .run("buyer-pages", async {
            browser.goto(&format!("{}/signin/", s.base)).await;
            browser.fill("#email", "qa@buyer.example").await;
            browser.fill("#password", common::PASSWORD).await;
            browser
                .click("form[action='/signin/'] button[type=submit]")
                .await;
            browser.heading("Dashboard").await;
            browser.shows("main", "cannot be asked").await;

            // Reminders every 14 days after expiry; the first type (IATF 16949) of the
            // castings suppliers.
            browser.goto(&format!("{}/requirements/", s.base)).await;
            browser.heading("Requirements").await;
            browser.fill("#every_days_after_expiry", "14").await;
            browser
                .click("form[action='/settings/reminders/'] button")
                .await;
            browser.heading("Requirements").await;
            browser.fill("#tag", "castings").await;
            browser.click("form[action='/requirements/'] button").await;
            browser.heading("Requirements").await;
            assert!(
                browser
                    .text("main table")
                    .await
                    .contains("suppliers tagged castings")
            );

            browser.goto(&format!("{}/suppliers/{org}/", s.base)).await;
            browser.heading("Gießerei Nord GmbH").await;
            browser.shows("main", "cannot be asked").await;
            browser.fill("#contact-email", "qm@nord.example").await;
            browser
                .click(&format!("form[action='/suppliers/{org}/contacts/'] button"))
                .await;
            browser.heading("Gießerei Nord GmbH").await;
            browser.click("form[action='/requests/'] button").await;
            browser
                .heading("Request: IATF 16949:2016 Automotive quality management")
                .await;
            browser.shows("main table", "qm@nord.example").await;
            browser.click("form[action$='/cancel/'] button").await;
            browser
                .heading("Request: IATF 16949:2016 Automotive quality management")
                .await;
            browser.shows("main", "cancelled").await;
        })
        .await;
    browser.close().await;
    let settings = b.get("/api/settings/reminders/").await.body;
    assert_eq!(settings["every_days_after_expiry"], 14);
    let requests = b
        .get("/api/certificate-requests/?status=cancelled")
        .await
        .body;
    assert_eq!(requests["count"], 1);
    assert!(
        read_mails(&s.outbox())
            .iter()
            .any(|m| m.contains("To: qm@nord.example"))
    );
}
