//! Invitations, roles and members, across tenants.

use super::*;

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
