//! An admin at work in the pages: members, integration keys, webhooks.

use super::*;

#[tokio::test]
async fn an_admin_manages_members_keys_and_webhooks_in_the_pages() {
    let s = Server::start(&[]);
    let (admin, _) = s.signup("admin@acme.example", "Acme").await;
    s.invite_and_accept(&admin, "colleague@acme.example", "member")
        .await;
    let b = Browser::start(1280, 900).await;
    b.run("admin_pages", async {
        sign_in(&b, &s, "admin@acme.example").await;
        b.click("nav a[href='/admin/']").await;
        b.heading("Members and invitations").await;

        // Make the colleague an admin.
        let row = "//tr[td[text()='colleague@acme.example']]";
        let select = b
            .client
            .find(fantoccini::Locator::XPath(&format!("{row}//select")))
            .await
            .unwrap();
        select.select_by_label("admin").await.unwrap();
        b.client
            .find(fantoccini::Locator::XPath(&format!(
                "{row}//button[text()='Change']"
            )))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.heading("Members and invitations").await;
        let members = s.get("/api/auth/members/", Some(&admin)).await.body;
        let colleague = members["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == "colleague@acme.example")
            .unwrap()
            .clone();
        assert_eq!(colleague["role"], "admin", "{members}");

        // Invite, see it pending, revoke it.
        b.fill("#invite-email", "new@acme.example").await;
        b.click("form[action='/admin/invitations/'] button").await;
        b.heading("Members and invitations").await;
        b.shows(".notice", "invitation is sent").await;
        assert!(s.mails_to("new@acme.example") == 1);
        b.click("form[action$='/revoke/'] button").await;
        b.heading("Members and invitations").await;
        b.lacks("main", "new@acme.example").await;

        // An integration key is shown once and works on /api/v1/.
        b.goto(&format!("{}/admin/api-keys/", s.base)).await;
        b.heading("Integration keys").await;
        b.fill("#key-name", "ERP").await;
        b.click("form[action='/admin/api-keys/'] button").await;
        b.heading("Integration keys").await;
        let key = b.text(".secret").await;
        assert!(key.starts_with("cw_"), "{key}");
        let v1 = s
            .http
            .get(format!("{}/api/v1/certificate/NOPE-1", s.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            v1.status(),
            404,
            "the key authenticates; the certificate does not exist"
        );
        b.goto(&format!("{}/admin/api-keys/", s.base)).await;
        b.heading("Integration keys").await;
        assert!(
            b.client
                .find(fantoccini::Locator::Css(".secret"))
                .await
                .is_err(),
            "shown once"
        );
        b.shows("table", "ERP").await;

        // A webhook subscriber: its signing secret shown once, then a subscription.
        b.goto(&format!("{}/admin/webhooks/", s.base)).await;
        b.heading("Webhooks").await;
        b.fill("#sub-name", "ERP hook").await;
        b.fill("#sub-url", "https://hooks.example.com/certwatch")
            .await;
        b.click("form[action='/admin/webhooks/'] button").await;
        b.heading("Webhooks").await;
        assert!(b.text(".secret").await.starts_with("whsec_"));
        b.click("form[action$='/subscribe/'] button").await;
        b.heading("Webhooks").await;
        let subscriptions = s
            .get("/api/webhooks/subscriptions/", Some(&admin))
            .await
            .body;
        assert_eq!(subscriptions["count"], 1, "{subscriptions}");
        b.goto(&format!(
            "{}/admin/webhooks/deliveries/?status=FAILED",
            s.base
        ))
        .await;
        b.heading("Webhook deliveries").await;

        // The expiry digest: weekly, warned 14 and 3 days ahead; a typo is named.
        b.goto(&format!("{}/admin/", s.base)).await;
        b.heading("Members and invitations").await;
        b.find("#digest_frequency")
            .await
            .select_by_label("Weekly")
            .await
            .unwrap();
        b.fill("#expiry_windows", "3, 14").await;
        b.click("form[action='/admin/digest/'] button").await;
        b.heading("Members and invitations").await;
        let tenant = s.get("/api/auth/tenant/", Some(&admin)).await.body;
        assert_eq!(
            (&tenant["digest_frequency"], &tenant["expiry_windows"]),
            (&json!("weekly"), &json!([14, 3]))
        );
        b.fill("#expiry_windows", "14, two").await;
        b.click("form[action='/admin/digest/'] button").await;
        b.shows("main", "whole numbers").await;
    })
    .await;
    b.close().await;
}
