//! The whole /api/auth/ section over HTTP against the real server.

#[path = "../common/mod.rs"]
mod common;
mod invitations;
mod tokens;

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
