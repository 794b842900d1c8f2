//! The registers in the pages, in a real headless Chromium: an admin saves the IAF
//! CertSearch key, the certificate's page shows the register's answer, "Verify now" brings
//! a suspension, and the dashboard counts the suspended certificate.

use crate::common::browser::Browser;
use crate::common::{PASSWORD, Server};
use crate::{Iaf, tenant, verified};

#[tokio::test]
async fn an_admin_sets_the_key_and_sees_a_suspension_in_the_pages() {
    let iaf = Iaf::default();
    let register = iaf.start().await;
    let s = Server::start(&[("CERTWATCH_IAF_API_URL", &register.url("/iaf"))]);
    let t = tenant(&s, "admin@pages.example", "Muster Metall GmbH", "Q-9").await;
    iaf.set("page-key-5678", "ce_p", "Q-9", "Active");
    let b = Browser::start(1280, 900).await;
    b.run("registers_pages", async {
        b.goto(&format!("{}/signin/", s.base)).await;
        b.fill("#email", "admin@pages.example").await;
        b.fill("#password", PASSWORD).await;
        b.click("form[action='/signin/'] button[type=submit]").await;
        b.heading("Dashboard").await;

        b.goto(&format!("{}/admin/", s.base)).await;
        b.click("nav a[href='/admin/registers/']").await;
        b.heading("Registers").await;
        b.shows("main", "PEFC").await;
        // No key yet: the register refuses the form, and nothing is saved.
        b.click("form[action='/admin/registers/iaf_certsearch/'] button")
            .await;
        b.shows("main", "API key is required").await;
        assert_eq!(
            crate::provider(&s, &t.key, "iaf_certsearch").await["configured"],
            false,
            "a refused form changes nothing"
        );
        b.goto(&format!("{}/admin/registers/", s.base)).await;
        b.fill("#key-iaf_certsearch", "page-key-5678").await;
        b.fill("#budget-iaf_certsearch", "20").await;
        b.click("form[action='/admin/registers/iaf_certsearch/'] button")
            .await;
        b.heading("Registers").await;
        b.shows(".notice", "Saved").await;
        b.shows("#h-iaf_certsearch + *", "…5678").await;
        b.lacks("main", "page-key-5678").await;

        verified(&s, &t.key, &t.cert, "active", "ACTIVE").await;
        b.goto(&format!("{}/certificates/{}/", s.base, t.cert))
            .await;
        b.heading("Q-9").await;
        b.shows("main", "Register says").await;
        b.shows("main", "active").await;

        iaf.set("page-key-5678", "ce_p", "Q-9", "Suspended");
        b.click(&format!(
            "form[action='/certificates/{}/verify/'] button",
            t.cert
        ))
        .await;
        b.heading("Q-9").await;
        b.shows(".notice", "register is asked").await;
        verified(&s, &t.key, &t.cert, "suspended", "SUSPENDED").await;
        b.goto(&format!("{}/certificates/{}/", s.base, t.cert))
            .await;
        b.shows(".status-SUSPENDED", "SUSPENDED").await;
        b.shows("main", "What the register sent").await;

        b.goto(&format!("{}/", s.base)).await;
        b.heading("Dashboard").await;
        b.shows("a.card[href='/certificates/?status=SUSPENDED']", "1")
            .await;
        b.shows("a.card[href='/suppliers/?compliance=suspended']", "0")
            .await;
    })
    .await;
    b.close().await;
}
