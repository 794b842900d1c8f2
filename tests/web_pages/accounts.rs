//! Getting in by the pages: invitations from the mail, forgotten passwords, the shared rate limit.

use super::*;

#[tokio::test]
async fn an_invitee_accepts_from_the_mail_and_a_member_sees_no_admin_page_nor_another_tenant() {
    let s = Server::start(&[]);
    let (admin, _) = s.signup("admin@one.example", "One").await;
    let (other, _) = s.signup("admin@two.example", "Two").await;
    let foreign = s
        .post(
            "/api/organizations/",
            Some(&other),
            json!({"name": "Secret Supplier"}),
        )
        .await;
    assert_eq!(foreign.status, 201);
    let r = s
        .post(
            "/api/auth/invitations/",
            Some(&admin),
            json!({"email": "member@one.example", "role": "member"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);

    let b = Browser::start(360, 780).await;
    b.run("invitee_member", async {
        let link = common::eventually("the invitation mail", async || {
            mailed_link(&s, "member@one.example", &format!("{}/invite/", s.base))
        })
        .await;
        b.goto(&link).await;
        b.heading("Invitation").await;
        b.shows("main", "One").await;
        b.fill("#password", PASSWORD).await;
        b.click("form[action='/invite/'] button").await;
        b.heading("Dashboard").await;

        // No admin link, and the admin pages answer 403.
        assert!(
            b.client
                .find(fantoccini::Locator::Css("nav a[href='/admin/']"))
                .await
                .is_err()
        );
        for page in ["/admin/", "/admin/webhooks/", "/admin/api-keys/"] {
            b.goto(&format!("{}{page}", s.base)).await;
            b.heading("Not allowed").await;
        }
        // The member's pages work at 360 px.
        for (path, title) in [
            ("/suppliers/", "Suppliers"),
            ("/certificates/", "Certificates"),
            ("/review/", "Review"),
            ("/bulk-upload/", "Bulk upload"),
            ("/import/", "Import suppliers"),
            ("/tokens/", "API tokens"),
            ("/monitoring/", "Monitored pages"),
        ] {
            b.goto(&format!("{}{path}", s.base)).await;
            b.heading(title).await;
        }
        // A member asks for the expiry digest on their settings page.
        b.goto(&format!("{}/tokens/", s.base)).await;
        b.find("#expiry_digest")
            .await
            .select_by_label("Yes")
            .await
            .unwrap();
        b.click("form[action='/notifications/'] button").await;
        b.heading("API tokens").await;
        assert_eq!(
            b.find("#expiry_digest option[selected]")
                .await
                .text()
                .await
                .unwrap(),
            "Yes"
        );
        // Another tenant's supplier is not found.
        let id = foreign.body["id"].as_str().unwrap();
        b.goto(&format!("{}/suppliers/{id}/", s.base)).await;
        b.heading("Not found").await;
        // The invitation link works once.
        b.goto(&link).await;
        b.shows("main", "not valid any more").await;

        // Invited into a second organization, the member accepts with the password of the
        // account they have, and switches between the two.
        let r = s
            .post(
                "/api/auth/invitations/",
                Some(&other),
                json!({"email": "member@one.example", "role": "member"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let second = common::eventually("the second invitation", async || {
            mailed_links(&s, "member@one.example", &format!("{}/invite/", s.base))
                .into_iter()
                .find(|l| *l != link)
        })
        .await;
        b.goto(&second).await;
        b.shows("main", "Two").await;
        b.fill("#password", PASSWORD).await;
        b.click("form[action='/invite/'] button").await;
        b.heading("Dashboard").await;
        b.find("#tenant-switch")
            .await
            .select_by_label("One")
            .await
            .unwrap();
        b.click("form[action='/switch-tenant/'] button").await;
        b.heading("Dashboard").await;
        b.goto(&format!("{}/suppliers/", s.base)).await;
        b.heading("Suppliers").await;
        b.lacks("main", "Secret Supplier").await;
        b.find("#tenant-switch")
            .await
            .select_by_label("Two")
            .await
            .unwrap();
        b.click("form[action='/switch-tenant/'] button").await;
        b.heading("Dashboard").await;
        b.goto(&format!("{}/suppliers/", s.base)).await;
        b.heading("Suppliers").await;
        b.shows("main", "Secret Supplier").await;
    })
    .await;
    b.close().await;
}

#[tokio::test]
async fn forgotten_passwords_reset_once_by_mail_and_end_sessions() {
    let s = Server::start(&[]);
    let (session, _) = s.signup("reset@acme.example", "Acme").await;
    let r = s
        .post(
            "/api/auth/password-reset/",
            None,
            json!({"email": "reset@acme.example"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // An unknown address gets the same answer, and no mail.
    let unknown = s
        .post(
            "/api/auth/password-reset/",
            None,
            json!({"email": "nobody@acme.example"}),
        )
        .await;
    assert_eq!((unknown.status, &unknown.body), (r.status, &r.body));
    assert_eq!(s.mails_to("nobody@acme.example"), 0);
    let link = common::eventually("the reset mail", async || {
        mailed_link(
            &s,
            "reset@acme.example",
            &format!("{}/reset-password/", s.base),
        )
    })
    .await;
    let token = link.split("token=").nth(1).unwrap().to_string();
    let weak = s
        .post(
            "/api/auth/password-reset/confirm/",
            None,
            json!({"token": token, "password": "12345678"}),
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.body["password"].is_array(), "{:?}", weak.body);
    let new_password = "another Secret 42";
    let ok = s
        .post(
            "/api/auth/password-reset/confirm/",
            None,
            json!({"token": token, "password": new_password}),
        )
        .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    let again = s
        .post(
            "/api/auth/password-reset/confirm/",
            None,
            json!({"token": token, "password": new_password}),
        )
        .await;
    assert_eq!(again.status, 400, "a link works once");
    assert_eq!(
        s.get("/api/auth/tokens/", Some(&session)).await.status,
        401,
        "sessions end"
    );
    s.login("reset@acme.example", new_password).await;
}

#[tokio::test]
async fn sign_in_pages_share_the_api_rate_limit_and_other_tenants_objects_are_404() {
    let s = Server::start(&[("CERTWATCH_AUTH_RATE_PER_MINUTE", "2")]);
    s.signup("a@one.example", "One").await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The signup's login used one of the two; the next page sign-in the other.
    let page = no_redirects
        .get(format!("{}/signin/", s.base))
        .send()
        .await
        .unwrap();
    let csrf = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let value = common::csrf_field(&page.text().await.unwrap());
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &value)
        .append_pair("email", "a@one.example")
        .append_pair("password", "wrong password")
        .finish();
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let r = no_redirects
            .post(format!("{}/signin/", s.base))
            .header("cookie", &csrf)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        statuses.push((
            r.status().as_u16(),
            r.headers().get("retry-after").is_some(),
        ));
    }
    assert_eq!(statuses, [(400, false), (429, true)]);

    // Another tenant's certificate, document and batch are 404 through the pages too.
    let s = Server::start(&[]);
    let (one, _) = s.signup("a@one.example", "One").await;
    let (two, _) = s.signup("b@two.example", "Two").await;
    let org = s
        .post("/api/organizations/", Some(&two), json!({"name": "Theirs"}))
        .await;
    let ty = s.type_id(&two, "ISO_9001").await;
    let cert = s
        .post(
            "/api/certificates/",
            Some(&two),
            json!({"organization": org.body["id"], "certificate_type_id": ty, "certificate_number": "T-1"}),
        )
        .await;
    assert_eq!(cert.status, 201, "{:?}", cert.body);
    let batch = s
        .upload(
            "/api/bulk-upload/",
            &two,
            "files",
            vec![("c.pdf", pdf::with_lines(&["CERTIFICATE", "ISO 9001:2015"]))],
        )
        .await;
    assert_eq!(batch.status, 201, "{:?}", batch.body);
    let batch_id = batch.body["id"].as_str().unwrap();
    let items = s
        .get(&format!("/api/bulk-upload/{batch_id}/items/"), Some(&two))
        .await
        .body;
    let item = items["results"][0]["id"].as_str().unwrap();
    for path in [
        format!("/certificates/{}/", cert.body["id"].as_str().unwrap()),
        format!("/suppliers/{}/", org.body["id"].as_str().unwrap()),
        format!("/bulk-upload/{batch_id}/"),
        format!("/review/{item}/"),
        format!("/bulk-upload/items/{item}/file/"),
        format!("/bulk-upload/items/{item}/preview/"),
    ] {
        let r = no_redirects
            .get(format!("{}{path}", s.base))
            .header("cookie", format!("cw_session={one}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let mine = no_redirects
            .get(format!("{}{path}", s.base))
            .header("cookie", format!("cw_session={two}"))
            .send()
            .await
            .unwrap();
        assert_eq!(mine.status(), 200, "{path} of its own tenant");
    }
}
