//! Cookies: a planted CSRF cookie, __Host- cookies and HSTS behind https.

use super::*;

#[tokio::test]
async fn a_planted_csrf_cookie_does_not_make_a_valid_form() {
    let s = Server::start(&[]);
    s.signup("csrf@plant.example", "Planted Buyer").await;
    let http = no_redirects();
    let planted = "A".repeat(40);
    let r = post_form(
        &http,
        format!("{}/signin/", s.base),
        &format!("cw_csrf={planted}"),
        &[
            ("csrf", planted.as_str()),
            ("email", "csrf@plant.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap().starts_with("cw_session="))
    );
    // The form the server gave works.
    let (csrf, cookies) = form_page(&http, &format!("{}/signin/", s.base), "").await;
    assert_ne!(csrf, planted);
    let r = post_form(
        &http,
        format!("{}/signin/", s.base),
        &cookies,
        &[
            ("csrf", csrf.as_str()),
            ("email", "csrf@plant.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn behind_https_cookies_are_host_cookies_and_browsers_are_told_to_stay() {
    let s = Server::start(&[("CERTWATCH_PUBLIC_URL", "https://certwatch.example")]);
    let http = no_redirects();
    let r = http
        .get(format!("{}/signin/", s.base))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-cw_csrf="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/"));
    assert!(!cookie.contains("Domain"));
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let api = s.get("/api/health/", None).await;
    assert!(api.headers.contains_key("strict-transport-security"));
    // Over plain http, no HSTS (it would lock browsers out of a test install).
    let plain = Server::start(&[]);
    let r = plain.get("/api/health/", None).await;
    assert!(!r.headers.contains_key("strict-transport-security"));
}
