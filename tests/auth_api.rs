//! The whole /api/auth/ section over HTTP against the real server.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{PASSWORD, Server};
use serde_json::json;

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn close_to(at: DateTime<Utc>, expected: DateTime<Utc>) -> bool {
    (at - expected).num_seconds().abs() < 120
}

#[tokio::test]
async fn register_verify_and_login() {
    let s = Server::start(&[]);
    let r = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "Quality@Acme.example", "password": PASSWORD, "organization_name": "Acme GmbH"}),
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        r.body,
        json!({"detail": "Verification email sent.", "email": "quality@acme.example"})
    );

    // Not verified yet: the right password still does not log in.
    let early = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "quality@acme.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(early.status, 403, "{:?}", early.body);
    assert!(
        early.body["error"]
            .as_str()
            .unwrap()
            .contains("not verified")
    );

    let bad = s.get("/api/auth/verify-email/?token=nonsense", None).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["error"].is_string());
    let missing = s.get("/api/auth/verify-email/", None).await;
    assert_eq!(missing.status, 400);

    let token = s
        .mailed_token("quality@acme.example", "verify-email/?token=")
        .await;
    assert_eq!(token.len(), 40);
    let ok = s
        .get(&format!("/api/auth/verify-email/?token={token}"), None)
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, json!({"detail": "Email verified successfully."}));
    let reused = s
        .get(&format!("/api/auth/verify-email/?token={token}"), None)
        .await;
    assert_eq!(reused.status, 400);

    let login = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "QUALITY@acme.example", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status, 200, "{:?}", login.body);
    assert_eq!(login.body["email"], "quality@acme.example");
    assert_eq!(login.body["tenant_name"], "Acme GmbH");
    assert_eq!(login.body["role"], "admin");
    let key = login.body["token"].as_str().unwrap();
    assert_eq!(key.len(), 40);

    // The login token lasts 30 days and is listed without its key.
    let tokens = s.get("/api/auth/tokens/", Some(key)).await;
    assert_eq!(tokens.status, 200);
    assert_eq!(tokens.body["count"], 1);
    let listed = &tokens.body["results"][0];
    assert_eq!(listed["kind"], "login");
    assert_eq!(listed["prefix"], &key[..8]);
    assert!(listed.get("key").is_none());
    assert!(close_to(
        time(&listed["expires_at"]),
        Utc::now() + Duration::days(30)
    ));

    for (email, password) in [
        ("quality@acme.example", "wrongPassword99"),
        ("nobody@acme.example", PASSWORD),
    ] {
        let r = s
            .post(
                "/api/auth/login/",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(
            r.body["error"],
            "Unable to log in with provided credentials."
        );
    }
}

#[tokio::test]
async fn registration_validation_writes_nothing() {
    let s = Server::start(&[]);
    let empty = s.post("/api/auth/register/", None, json!({})).await;
    assert_eq!(empty.status, 400);
    for field in ["email", "password", "organization_name"] {
        assert_eq!(
            empty.body[field],
            json!(["This field is required."]),
            "{field}"
        );
    }

    let weak = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "not-an-email", "password": "password", "organization_name": "X"}),
        )
        .await;
    assert_eq!(weak.status, 400);
    assert_eq!(weak.body["email"], json!(["Enter a valid email address."]));
    assert_eq!(
        weak.body["password"],
        json!(["This password is too common."])
    );

    let short = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "a@b.example", "password": "x1!", "organization_name": "X"}),
        )
        .await;
    assert!(
        short.body["password"][0]
            .as_str()
            .unwrap()
            .contains("too short")
    );

    let wrong_type = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": 5, "password": PASSWORD, "organization_name": "X"}),
        )
        .await;
    assert_eq!(wrong_type.status, 400);
    assert!(
        wrong_type.body["error"]
            .as_str()
            .unwrap()
            .contains("Invalid JSON")
    );

    let malformed = s
        .post_raw("/api/auth/register/", None, b"{\"email\": ")
        .await;
    assert_eq!(malformed.status, 400);
    assert!(malformed.body["error"].is_string());

    // None of that created an account or sent mail.
    assert!(common::read_mails(&s.outbox()).is_empty());
    let r = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "a@b.example", "password": PASSWORD, "organization_name": "X"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    // Once the address is verified, it cannot be registered again.
    let token = s.mailed_token("a@b.example", "verify-email/?token=").await;
    let v = s
        .get(&format!("/api/auth/verify-email/?token={token}"), None)
        .await;
    assert_eq!(v.status, 200, "{:?}", v.body);
    let dup = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "A@b.example", "password": PASSWORD, "organization_name": "Y"}),
        )
        .await;
    assert_eq!(dup.status, 400);
    assert_eq!(
        dup.body,
        json!({"email": ["A user with this email already exists."]})
    );
}

#[tokio::test]
async fn resend_verification_does_not_reveal_addresses() {
    let s = Server::start(&[]);
    s.post(
        "/api/auth/register/",
        None,
        json!({"email": "u@x.example", "password": PASSWORD, "organization_name": "X"}),
    )
    .await;
    let first = s.mailed_token("u@x.example", "verify-email/?token=").await;

    let unknown = s
        .post(
            "/api/auth/resend-verification/",
            None,
            json!({"email": "ghost@x.example"}),
        )
        .await;
    let known = s
        .post(
            "/api/auth/resend-verification/",
            None,
            json!({"email": "u@x.example"}),
        )
        .await;
    assert_eq!(unknown.status, 200);
    assert_eq!(known.status, 200);
    assert_eq!(unknown.body, known.body);
    assert_eq!(known.body, json!({"detail": "Verification email sent."}));

    common::eventually("second verification mail never came", async || {
        (s.mails_to("u@x.example") >= 2).then_some(())
    })
    .await;
    assert_eq!(s.mails_to("ghost@x.example"), 0);
    // Both links work until one is used; the account is then active.
    let r = s
        .get(&format!("/api/auth/verify-email/?token={first}"), None)
        .await;
    assert_eq!(r.status, 200);
    s.login("u@x.example", PASSWORD).await;

    // An active account gets no further mail.
    s.post(
        "/api/auth/resend-verification/",
        None,
        json!({"email": "u@x.example"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(s.mails_to("u@x.example"), 2);
}

#[tokio::test]
async fn invitations_roles_and_members() {
    let s = Server::start(&[]);
    let (admin, tenant) = s.signup("boss@acme.example", "Acme").await;

    let inv = s
        .post(
            "/api/auth/invitations/",
            Some(&admin),
            json!({"email": "Worker@acme.example", "role": "member"}),
        )
        .await;
    assert_eq!(inv.status, 201, "{:?}", inv.body);
    assert_eq!(inv.body["email"], "worker@acme.example");
    assert_eq!(inv.body["role"], "member");
    assert_eq!(inv.body["status"], "pending");
    assert!(inv.body["invitation_id"].is_string());
    assert!(close_to(
        time(&inv.body["expires_at"]),
        Utc::now() + Duration::days(7)
    ));

    let bad_role = s
        .post(
            "/api/auth/invitations/",
            Some(&admin),
            json!({"email": "x@acme.example", "role": "owner"}),
        )
        .await;
    assert_eq!(bad_role.status, 400);
    assert!(bad_role.body["role"].is_array());

    let token = s
        .mailed_token("worker@acme.example", "Invitation token: ")
        .await;
    let weak = s
        .post(
            "/api/auth/invite/accept/",
            None,
            json!({"token": token, "password": "123"}),
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(weak.body["password"].is_array());
    let accepted = s
        .post(
            "/api/auth/invite/accept/",
            None,
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(accepted.status, 201, "{:?}", accepted.body);
    assert_eq!(accepted.body["tenant_id"], tenant.as_str());
    let member = accepted.body["auth_token"].as_str().unwrap().to_string();
    let member_id = accepted.body["user_id"].as_str().unwrap().to_string();
    let reused = s
        .post(
            "/api/auth/invite/accept/",
            None,
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(reused.status, 400);

    // The invitee's account is active: they can log in on their own.
    let (_, t) = s.login("worker@acme.example", PASSWORD).await;
    assert_eq!(t, tenant);

    // Members are not admins.
    for r in [
        s.post(
            "/api/auth/invitations/",
            Some(&member),
            json!({"email": "y@acme.example"}),
        )
        .await,
        s.get("/api/auth/members/", Some(&member)).await,
        s.patch(
            &format!("/api/auth/members/{member_id}/"),
            Some(&member),
            json!({"role": "admin"}),
        )
        .await,
    ] {
        assert_eq!(r.status, 403, "{:?}", r.body);
    }

    let already = s
        .post(
            "/api/auth/invitations/",
            Some(&admin),
            json!({"email": "worker@acme.example"}),
        )
        .await;
    assert_eq!(already.status, 400);
    assert!(
        already.body["email"][0]
            .as_str()
            .unwrap()
            .contains("already a member")
    );

    let list = s.get("/api/auth/members/", Some(&admin)).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["count"], 2);
    assert_eq!(list.body["results"][0]["email"], "boss@acme.example");
    assert_eq!(list.body["results"][1]["role"], "member");
    let boss_id = list.body["results"][0]["id"].as_str().unwrap().to_string();

    let detail = s
        .get(&format!("/api/auth/members/{member_id}/"), Some(&admin))
        .await;
    assert_eq!(detail.status, 200);
    assert_eq!(detail.body["email"], "worker@acme.example");
    let unknown = s
        .get(
            &format!("/api/auth/members/{}/", uuid::Uuid::new_v4()),
            Some(&admin),
        )
        .await;
    assert_eq!(unknown.status, 404);

    // The only admin can be neither demoted nor removed.
    let demote = s
        .patch(
            &format!("/api/auth/members/{boss_id}/"),
            Some(&admin),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(demote.status, 400);
    assert!(
        demote.body["error"]
            .as_str()
            .unwrap()
            .contains("last admin")
    );
    let remove = s
        .delete(&format!("/api/auth/members/{boss_id}/"), Some(&admin))
        .await;
    assert_eq!(remove.status, 400);
    let bad = s
        .patch(
            &format!("/api/auth/members/{member_id}/"),
            Some(&admin),
            json!({"role": "root"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["role"].is_array());

    // Promotion takes effect on the member's existing token at once.
    let promote = s
        .patch(
            &format!("/api/auth/members/{member_id}/"),
            Some(&admin),
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(promote.status, 200);
    assert_eq!(promote.body["role"], "admin");
    assert_eq!(s.get("/api/auth/members/", Some(&member)).await.status, 200);
    // With two admins, one may be demoted; then removed, and their tokens stop working.
    let demote = s
        .patch(
            &format!("/api/auth/members/{member_id}/"),
            Some(&admin),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(demote.status, 200);
    let removed = s
        .delete(&format!("/api/auth/members/{member_id}/"), Some(&admin))
        .await;
    assert_eq!(removed.status, 204);
    assert_eq!(s.get("/api/auth/tokens/", Some(&member)).await.status, 401);
    assert_eq!(
        s.get("/api/auth/members/", Some(&admin)).await.body["count"],
        1
    );
}

#[tokio::test]
async fn existing_user_joins_a_second_tenant() {
    let s = Server::start(&[]);
    let (admin_a, tenant_a) = s.signup("a@one.example", "One").await;
    let (_, tenant_b) = s.signup("b@two.example", "Two").await;

    s.post(
        "/api/auth/invitations/",
        Some(&admin_a),
        json!({"email": "b@two.example", "role": "member"}),
    )
    .await;
    let token = s.mailed_token("b@two.example", "Invitation token: ").await;
    let wrong = s
        .post(
            "/api/auth/invite/accept/",
            None,
            json!({"token": token, "password": "anotherPassword42"}),
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body["password"].is_array());
    let ok = s
        .post(
            "/api/auth/invite/accept/",
            None,
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(ok.status, 201, "{:?}", ok.body);

    // Without tenant_id: the most recent membership (One, joined just now).
    let (_, latest) = s.login("b@two.example", PASSWORD).await;
    assert_eq!(latest, tenant_a);
    let chosen = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "b@two.example", "password": PASSWORD, "tenant_id": tenant_b}),
        )
        .await;
    assert_eq!(chosen.body["tenant_id"], tenant_b.as_str());
    assert_eq!(chosen.body["role"], "admin");
    let foreign = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "a@one.example", "password": PASSWORD, "tenant_id": tenant_b}),
        )
        .await;
    assert_eq!(foreign.status, 400);
    assert!(foreign.body["tenant_id"].is_array());
    let malformed = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "a@one.example", "password": PASSWORD, "tenant_id": "x"}),
        )
        .await;
    assert_eq!(malformed.status, 400);
}

#[tokio::test]
async fn api_tokens_create_expire_refresh_revoke() {
    let s = Server::start(&[]);
    let (login, _) = s.signup("dev@acme.example", "Acme").await;

    assert_eq!(s.get("/api/auth/tokens/", None).await.status, 401);
    assert_eq!(
        s.get("/api/auth/tokens/", Some("not-a-real-key"))
            .await
            .status,
        401
    );
    let bearer = s
        .http
        .get(format!("{}/api/auth/tokens/", s.base))
        .header("Authorization", format!("Bearer {login}"))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), 401);

    let created = s
        .post(
            "/api/auth/tokens/",
            Some(&login),
            json!({"name": "CI Pipeline Token", "expires_at": null}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["name"], "CI Pipeline Token");
    assert!(created.body["expires_at"].is_null());
    let ci = created.body["key"].as_str().unwrap().to_string();
    let ci_id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(s.get("/api/auth/tokens/", Some(&ci)).await.body["count"], 2);

    for bad in [
        json!({"name": ""}),
        json!({"name": "x", "expires_at": "2001-01-01T00:00:00Z"}),
        json!({"name": "x", "expires_at": "tomorrow"}),
        json!({"name": "x".repeat(101)}),
    ] {
        let r = s.post("/api/auth/tokens/", Some(&login), bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}");
    }

    let soon = (Utc::now() + Duration::seconds(2)).to_rfc3339();
    let short = s
        .post(
            "/api/auth/tokens/",
            Some(&login),
            json!({"name": "short", "expires_at": soon}),
        )
        .await;
    assert_eq!(short.status, 201);
    let short = short.body["key"].as_str().unwrap().to_string();
    assert_eq!(s.get("/api/auth/tokens/", Some(&short)).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let expired = s.get("/api/auth/tokens/", Some(&short)).await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.body["error"], "Token has expired.");

    // Refresh replaces the token used for the call, keeping its name and its lifetime
    // class: an API token without expiry stays without one.
    let refresh = async |key: &str| {
        let r = s
            .call(
                reqwest::Method::POST,
                "/api/auth/tokens/refresh/",
                Some(key),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r
    };
    let refreshed = refresh(&ci).await;
    assert_eq!(refreshed.body["name"], "CI Pipeline Token");
    assert!(
        refreshed.body["expires_at"].is_null(),
        "{:?}",
        refreshed.body
    );
    let new_ci = refreshed.body["key"].as_str().unwrap().to_string();
    // An API token with an expiry keeps it, however often it is refreshed.
    let week = Utc::now() + Duration::days(7);
    let limited = s
        .post(
            "/api/auth/tokens/",
            Some(&login),
            json!({"name": "limited", "expires_at": week.to_rfc3339()}),
        )
        .await;
    let mut key = limited.body["key"].as_str().unwrap().to_string();
    for _ in 0..3 {
        let r = refresh(&key).await;
        assert!(close_to(time(&r.body["expires_at"]), week), "{:?}", r.body);
        key = r.body["key"].as_str().unwrap().to_string();
    }
    // A login token gets thirty fresh days.
    let (session, _) = s.login("dev@acme.example", PASSWORD).await;
    let r = refresh(&session).await;
    assert!(close_to(
        time(&r.body["expires_at"]),
        Utc::now() + Duration::days(30)
    ));
    assert_eq!(s.get("/api/auth/tokens/", Some(&ci)).await.status, 401);
    assert_eq!(s.get("/api/auth/tokens/", Some(&new_ci)).await.status, 200);

    // Revoke by key, and by id; unknown ones are 404.
    assert_eq!(
        s.delete(&format!("/api/auth/tokens/{new_ci}/"), Some(&login))
            .await
            .status,
        204
    );
    assert_eq!(s.get("/api/auth/tokens/", Some(&new_ci)).await.status, 401);
    assert_eq!(
        s.delete(&format!("/api/auth/tokens/{ci_id}/"), Some(&login))
            .await
            .status,
        404
    );
    let another = s
        .post("/api/auth/tokens/", Some(&login), json!({"name": "other"}))
        .await;
    let another_id = another.body["id"].as_str().unwrap();
    assert_eq!(
        s.delete(&format!("/api/auth/tokens/{another_id}/"), Some(&login))
            .await
            .status,
        204
    );
    assert_eq!(
        s.delete(&format!("/api/auth/tokens/{another_id}/"), Some(&login))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn another_tenants_objects_are_not_found() {
    let s = Server::start(&[]);
    let (a, _) = s.signup("a@one.example", "One").await;
    let (b, _) = s.signup("b@two.example", "Two").await;
    let (b_member_token, b_member) = s.invite_and_accept(&b, "m@two.example", "member").await;

    let path = format!("/api/auth/members/{b_member}/");
    assert_eq!(s.get(&path, Some(&a)).await.status, 404);
    assert_eq!(
        s.patch(&path, Some(&a), json!({"role": "admin"}))
            .await
            .status,
        404
    );
    assert_eq!(s.delete(&path, Some(&a)).await.status, 404);
    // B's member is untouched.
    assert_eq!(s.get(&path, Some(&b)).await.body["role"], "member");

    // A token of another tenant cannot be revoked by key or id, nor seen in the list.
    assert_eq!(
        s.delete(&format!("/api/auth/tokens/{b_member_token}/"), Some(&a))
            .await
            .status,
        404
    );
    let b_tokens = s.get("/api/auth/tokens/", Some(&b_member_token)).await;
    let b_token_id = b_tokens.body["results"][0]["id"].as_str().unwrap();
    assert_eq!(
        s.delete(&format!("/api/auth/tokens/{b_token_id}/"), Some(&a))
            .await
            .status,
        404
    );
    assert_eq!(
        s.get("/api/auth/tokens/", Some(&b_member_token))
            .await
            .status,
        200
    );
    let a_tokens = s.get("/api/auth/tokens/", Some(&a)).await;
    assert_eq!(a_tokens.body["count"], 1);
    assert_eq!(s.get("/api/auth/members/", Some(&a)).await.body["count"], 1);
}

#[tokio::test]
async fn member_list_paginates_with_public_url_links() {
    let s = Server::start(&[("CERTWATCH_PUBLIC_URL", "https://cw.example.com/")]);
    let (admin, _) = s.signup("a@one.example", "One").await;
    // The verification mail used the public URL.
    assert!(
        common::read_mails(&s.outbox())[0].contains("https://cw.example.com/verify-email/?token=")
    );
    for i in 0..3 {
        s.invite_and_accept(&admin, &format!("m{i}@one.example"), "member")
            .await;
    }
    let p2 = s
        .get("/api/auth/members/?page_size=1&page=2", Some(&admin))
        .await;
    assert_eq!(p2.status, 200);
    assert_eq!(p2.body["count"], 4);
    assert_eq!(p2.body["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        p2.body["next"],
        "https://cw.example.com/api/auth/members/?page_size=1&page=3"
    );
    assert_eq!(
        p2.body["previous"],
        "https://cw.example.com/api/auth/members/?page_size=1&page=1"
    );
    let last = s
        .get("/api/auth/members/?page_size=3&page=2", Some(&admin))
        .await;
    assert!(last.body["next"].is_null());
    assert_eq!(
        s.get("/api/auth/members/?page=9", Some(&admin))
            .await
            .status,
        404
    );
    assert_eq!(
        s.get("/api/auth/members/?page=0", Some(&admin))
            .await
            .status,
        400
    );
    assert_eq!(
        s.get("/api/auth/members/?page_size=abc", Some(&admin))
            .await
            .status,
        400
    );
    let all = s
        .get("/api/auth/members/?page_size=100000", Some(&admin))
        .await;
    assert_eq!(all.body["results"].as_array().unwrap().len(), 4);
}

/// Every verification token mailed to `to`, oldest first.
fn verification_tokens(s: &Server, to: &str) -> Vec<String> {
    let mut mails: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(s.outbox())
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let at = e.metadata().and_then(|m| m.modified()).unwrap();
                    (at, std::fs::read_to_string(e.path()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    mails.sort();
    mails
        .iter()
        .filter(|(_, m)| m.contains(&format!("To: {to}")))
        .filter_map(|(_, m)| {
            let rest = m.split("Verification token:").nth(1)?;
            Some(rest.split_whitespace().next()?.to_string())
        })
        .collect()
}

#[tokio::test]
async fn registering_someone_elses_address_cannot_lock_its_owner_out() {
    let s = Server::start(&[]);
    let register = async |password: &str, org: &str| {
        let r = s
            .post(
                "/api/auth/register/",
                None,
                json!({"email": "owner@victim.example", "password": password, "organization_name": org}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    };
    // Somebody registers the owner's address first; the owner then registers it too.
    register("squatHouse9981", "Squatter Ltd").await;
    let first = common::eventually("the first verification mail", async || {
        verification_tokens(&s, "owner@victim.example")
            .first()
            .cloned()
    })
    .await;
    register("quietLake4512", "Victim GmbH").await;
    let second = common::eventually("the second verification mail", async || {
        verification_tokens(&s, "owner@victim.example")
            .into_iter()
            .find(|t| *t != first)
    })
    .await;
    // The owner proves the mailbox with the link mailed for their registration.
    let v = s
        .get(&format!("/api/auth/verify-email/?token={second}"), None)
        .await;
    assert_eq!(v.status, 200, "{:?}", v.body);
    let bad = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "owner@victim.example", "password": "squatHouse9981"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let (token, _) = s.login("owner@victim.example", "quietLake4512").await;
    let me = s.get("/api/auth/tenant/", Some(&token)).await;
    assert_eq!(me.body["name"], "Victim GmbH", "{:?}", me.body);
    // Only the owner's own tenant is theirs: the squatter's registration is dropped.
    let other = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "owner@victim.example", "password": "quietLake4512", "tenant_id": "00000000-0000-0000-0000-000000000000"}),
        )
        .await;
    assert_eq!(other.status, 400);
    let members = s.get("/api/auth/members/", Some(&token)).await;
    assert_eq!(members.body["count"], 1);
    // The squatter's link no longer activates anything with its password.
    let late = s
        .get(&format!("/api/auth/verify-email/?token={first}"), None)
        .await;
    assert_eq!(
        late.status, 200,
        "a link to the owner's mailbox still verifies it"
    );
    s.login("owner@victim.example", "quietLake4512").await;
}

#[tokio::test]
async fn an_invitation_proves_the_mailbox_of_an_unverified_account() {
    let s = Server::start(&[]);
    let (admin, _) = s.signup("admin@corp.example", "Corp").await;
    let r = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "new@corp.example", "password": "squattersPass9", "organization_name": "Squat"}),
        )
        .await;
    assert_eq!(r.status, 201);
    // The invitee does not know the squatter's password and does not need it.
    let (token, _) = s
        .invite_and_accept(&admin, "new@corp.example", "member")
        .await;
    let me = s.get("/api/auth/tenant/", Some(&token)).await;
    assert_eq!(me.body["name"], "Corp", "{:?}", me.body);
    s.login("new@corp.example", PASSWORD).await;
    let bad = s
        .post(
            "/api/auth/login/",
            None,
            json!({"email": "new@corp.example", "password": "squattersPass9"}),
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn invitations_are_listed_revoked_and_die_with_their_inviters_rights() {
    let s = Server::start(&[]);
    let (admin, _) = s.signup("admin@corp.example", "Corp").await;
    let (stranger, _) = s.signup("admin@other.example", "Other").await;
    let invite = async |email: &str| {
        let r = s
            .post(
                "/api/auth/invitations/",
                Some(&admin),
                json!({"email": email, "role": "member"}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["invitation_id"].as_str().unwrap().to_string()
    };
    let revoked = invite("one@corp.example").await;
    let kept = invite("two@corp.example").await;
    let list = s.get("/api/auth/invitations/", Some(&admin)).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["count"], 2);
    assert_eq!(list.body["results"][0]["invitation_id"], kept.as_str());
    assert_eq!(list.body["results"][0]["status"], "pending");

    // Another tenant's admin neither sees nor revokes them.
    let theirs = s.get("/api/auth/invitations/", Some(&stranger)).await;
    assert_eq!(theirs.body["count"], 0);
    let r = s
        .delete(
            &format!("/api/auth/invitations/{revoked}/"),
            Some(&stranger),
        )
        .await;
    assert_eq!(r.status, 404);

    let r = s
        .delete(&format!("/api/auth/invitations/{revoked}/"), Some(&admin))
        .await;
    assert_eq!(r.status, 204);
    let token = s
        .mailed_token("one@corp.example", "Invitation token: ")
        .await;
    let accept = s
        .post(
            "/api/auth/invite/accept/",
            None,
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(accept.status, 400, "{:?}", accept.body);
    let r = s
        .delete(&format!("/api/auth/invitations/{revoked}/"), Some(&admin))
        .await;
    assert_eq!(r.status, 404, "revoked once");

    // A second admin invites, then loses the admin role: the invitation dies with it.
    let (second, second_id) = s
        .invite_and_accept(&admin, "second@corp.example", "admin")
        .await;
    let r = s
        .post(
            "/api/auth/invitations/",
            Some(&second),
            json!({"email": "three@corp.example"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let r = s
        .patch(
            &format!("/api/auth/members/{second_id}/"),
            Some(&admin),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let token = s
        .mailed_token("three@corp.example", "Invitation token: ")
        .await;
    let accept = s
        .post(
            "/api/auth/invite/accept/",
            None,
            json!({"token": token, "password": PASSWORD}),
        )
        .await;
    assert_eq!(accept.status, 400, "{:?}", accept.body);
    let list = s.get("/api/auth/invitations/", Some(&admin)).await;
    let emails: Vec<&str> = list.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["two@corp.example"]);
    // Members do not manage invitations.
    let member = s.get("/api/auth/invitations/", Some(&second)).await;
    assert_eq!(member.status, 403);
}
