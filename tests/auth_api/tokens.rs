//! API tokens: created, expired, refreshed, revoked.

use super::*;

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
