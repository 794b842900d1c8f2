//! What an attacker with an account, a visitor without one, or another user of the server's
//! machine must not get — each finding of the hardening review as a test against the real
//! binary.

#[path = "../common/mod.rs"]
mod common;
mod cookies;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{METRICS_TOKEN, PASSWORD, Server};
use serde_json::json;

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = vec![dir.to_path_buf()];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(walk(&path));
        } else {
            all.push(path);
        }
    }
    all
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

fn contains(path: &Path, needle: &str) -> bool {
    std::fs::read(path)
        .unwrap_or_default()
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The CSRF form value and the cookies a page set (`name=value` pairs).
async fn form_page(http: &reqwest::Client, url: &str, cookie: &str) -> (String, String) {
    let r = http.get(url).header("cookie", cookie).send().await.unwrap();
    let mut cookies: Vec<String> = cookie
        .split("; ")
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    for set in r.headers().get_all("set-cookie") {
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
        cookies.push(pair);
    }
    let csrf = common::csrf_field(&r.text().await.unwrap());
    (csrf, cookies.join("; "))
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_server_writes_is_private_and_secrets_are_sealed_at_rest() {
    // On sled, whose store files and the service's own backup are read below for secrets;
    // on PostgreSQL the same sealed values are written through the same engine boundary.
    let mut s = Server::start_on_sled(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")], |_| {});
    let (token, _) = s.signup("admin@private.example", "Private Buyer").await;
    // A reset link sits in the outbox: the mail other users must not read.
    let r = s
        .post(
            "/api/auth/password-reset/",
            None,
            json!({"email": "admin@private.example"}),
        )
        .await;
    assert_eq!(r.status, 200);
    s.mailed_token("admin@private.example", "reset-password/?token=")
        .await;
    // An upload (the file store) and a subscriber with its secrets.
    let batch = s
        .upload(
            "/api/bulk-upload/",
            &token,
            "files",
            vec![(
                "cert.pdf",
                common::pdf::with_lines(&["Certificate ISO 9001", "Private Buyer"]),
            )],
        )
        .await;
    assert_eq!(batch.status, 201, "{:?}", batch.body);
    let rx = common::receiver::subscribed(&s, &token, json!(["certificate.created"])).await;
    let subscribers = s.get("/api/webhooks/subscribers/", Some(&token)).await.body;
    let sub = &subscribers["results"][0];
    let (api_key, secret) = (
        sub["api_key"].as_str().unwrap().to_string(),
        sub["signing_secret"].as_str().unwrap().to_string(),
    );
    // A backup through the running server, to a file of the operator's.
    let backup = s.data_dir.parent().unwrap().join("operator.backup");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .args(["backup", backup.to_str().unwrap()])
        .env("CERTWATCH_DATA_DIR", &s.data_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    for path in walk(&s.data_dir).into_iter().chain([backup.clone()]) {
        let m = mode(&path);
        assert_eq!(m & 0o077, 0, "{} is {m:o}", path.display());
    }
    assert_eq!(mode(&s.data_dir), 0o700);
    assert_eq!(mode(&s.data_dir.join("secret.key")), 0o600);
    // Neither the store nor the backup holds a usable secret.
    for path in walk(&s.data_dir.join("store")).into_iter().chain([backup]) {
        for secret in [&api_key, &secret] {
            assert!(
                !contains(&path, secret),
                "{} holds a secret",
                path.display()
            );
        }
    }

    // Sealed is not lost: after kill -9, deliveries are signed with the same secret and
    // carry the same key.
    s.restart();
    let org = s
        .post(
            "/api/organizations/",
            Some(&token),
            json!({"name": "Sealed Supplier"}),
        )
        .await;
    let iso = s.type_id(&token, "ISO_9001").await;
    let cert = s
        .post(
            "/api/certificates/",
            Some(&token),
            json!({
                "organization": org.body["id"],
                "certificate_type_id": iso,
                "certificate_number": "SEALED-1",
                "issue_date": "2026-01-01",
                "expiry_date": "2029-01-01",
            }),
        )
        .await;
    assert_eq!(cert.status, 201, "{:?}", cert.body);
    let got = rx.wait_for(1).await;
    assert!(got[0].signed_with(&secret));
    assert_eq!(got[0].authorization, format!("Bearer {api_key}"));
}

#[tokio::test]
async fn a_reset_link_ends_the_accounts_other_links() {
    let s = Server::start(&[]);
    s.signup("twice@reset.example", "Reset Buyer").await;
    let ask = async || {
        let r = s
            .post(
                "/api/auth/password-reset/",
                None,
                json!({"email": "twice@reset.example"}),
            )
            .await;
        assert_eq!(r.status, 200);
    };
    ask().await;
    let older = s
        .mailed_token("twice@reset.example", "reset-password/?token=")
        .await;
    for mail in common::read_mails(&s.outbox()) {
        assert!(!mail.is_empty());
    }
    ask().await;
    let newer = common::eventually("a second reset mail", async || {
        common::read_mails(&s.outbox())
            .iter()
            .filter_map(|m| m.split("reset-password/?token=").nth(1))
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
            })
            .find(|t| *t != older)
    })
    .await;
    let confirm = async |token: &str, password: &str| {
        s.post(
            "/api/auth/password-reset/confirm/",
            None,
            json!({"token": token, "password": password}),
        )
        .await
    };
    assert_eq!(confirm(&newer, "brandNewPassword1").await.status, 200);
    let late = confirm(&older, "attackerPassword1").await;
    assert_eq!(late.status, 400, "{:?}", late.body);
    s.login("twice@reset.example", "brandNewPassword1").await;
}

#[tokio::test]
async fn redirects_after_sign_in_stay_on_this_site() {
    let s = Server::start(&[]);
    s.signup("next@redirect.example", "Redirect Buyer").await;
    let http = no_redirects();
    for next in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "//evil.example",
        "/%5cevil.example",
        "https://evil.example/",
    ] {
        let (csrf, cookies) =
            form_page(&http, &format!("{}/signin/?next={next}", s.base), "").await;
        let r = post_form(
            &http,
            format!("{}/signin/", s.base),
            &cookies,
            &[
                ("csrf", csrf.as_str()),
                ("next", &percent_decoded(next)),
                ("email", "next@redirect.example"),
                ("password", PASSWORD),
            ],
        )
        .await;
        assert_eq!(r.status(), 303, "{next}");
        assert_eq!(r.headers()["location"], "/", "{next}");
    }
    // A path of the site is followed.
    let (csrf, cookies) = form_page(&http, &format!("{}/signin/", s.base), "").await;
    let r = post_form(
        &http,
        format!("{}/signin/", s.base),
        &cookies,
        &[
            ("csrf", csrf.as_str()),
            ("next", "/suppliers/?q=x"),
            ("email", "next@redirect.example"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.headers()["location"], "/suppliers/?q=x");
}

/// Posts a form, url-encoded as a browser sends it, with the browser's cookies.
async fn post_form(
    http: &reqwest::Client,
    url: String,
    cookie: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    http.post(url)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn percent_decoded(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn every_answer_says_nosniff_and_no_error_carries_debug_text() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("sniff@nosniff.example", "Sniff Buyer").await;
    let http = no_redirects();
    for (path, auth) in [
        ("/api/health/", false),
        ("/api/organizations/", true),
        ("/api/organizations/", false),
        ("/api/no/such/route/", false),
        ("/api/openapi.json", false),
        ("/static/app.css", false),
        ("/signin/", false),
        ("/", false),
        ("/suppliers/", true),
    ] {
        let mut req = http.get(format!("{}{path}", s.base));
        if auth {
            req = req
                .header("Authorization", format!("Token {token}"))
                .header("cookie", format!("cw_session={token}"));
        }
        let r = req.send().await.unwrap();
        assert_eq!(
            r.headers()
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path}: {}",
            r.status()
        );
    }
    // Requests warp refuses before any handler: each answer is a sentence, never a Rust
    // value's debug text.
    let refused = [
        http.post(format!("{}/api/bulk-upload/", s.base))
            .header("Authorization", format!("Token {token}"))
            .header("content-type", "multipart/form-data")
            .body("--x\r\nnot a part"),
        http.post(format!("{}/api/bulk-upload/", s.base))
            .header("Authorization", format!("Token {token}"))
            .header("content-type", "multipart/form-data; boundary=x")
            .body("--x\r\nContent-Disposition: form-data\r\n\r\ncut"),
        http.get(format!("{}/api/organizations/?page=%ZZ", s.base))
            .header("Authorization", format!("Token {token}")),
        http.post(format!("{}/api/organizations/", s.base))
            .header("Authorization", format!("Token {token}"))
            .header("content-type", "text/plain")
            .body("{}"),
        http.get(format!("{}/api/v1/certificate/X", s.base))
            .header("Authorization", "Basic !!"),
    ];
    for req in refused {
        let r = req.send().await.unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_client_error(), "{status}: {body}");
        for debug in ["Rejection", "Known(", "Some(", "{ ", "Err(", "::"] {
            assert!(!body.contains(debug), "{status}: {body}");
        }
        let error: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(error.get("error").is_some() || error.is_object(), "{body}");
    }
}

#[tokio::test]
async fn anonymous_health_says_up_or_down_and_details_need_the_metrics_token() {
    let s = Server::start(&[]);
    s.signup("a@health.example", "Health Buyer").await;
    let anonymous = s.get("/api/health/", None).await;
    assert_eq!(anonymous.status, 200);
    assert_eq!(anonymous.body, json!({"status": "ok"}));
    let wrong = s
        .http
        .get(format!("{}/api/health/", s.base))
        .header("Authorization", "Bearer not-the-metrics-token")
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong.json::<serde_json::Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    let operator = s.health().await;
    assert_eq!(operator.body["actors"]["tenants_running"], 1);
    assert!(operator.body["version"].is_string());
    assert!(operator.body["store"]["size_on_disk_bytes"].is_u64());
    let _ = METRICS_TOKEN;
}

#[tokio::test]
async fn a_verification_link_does_not_swap_a_signed_in_browser_without_asking() {
    let s = Server::start(&[]);
    let (mine, _) = s.signup("me@victim.example", "Victim Buyer").await;
    // Someone else's account, whose verification link reaches the signed-in victim.
    let r = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "attacker@other.example", "password": PASSWORD, "organization_name": "Attacker"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let link = s
        .mailed_token("attacker@other.example", "verify-email/?token=")
        .await;
    let http = no_redirects();
    let session = format!("cw_session={mine}");
    let page = http
        .get(format!("{}/verify-email/?token={link}", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("me@victim.example"), "{page}");
    assert!(page.contains("switch"));
    let (csrf, cookies) = form_page(
        &http,
        &format!("{}/verify-email/?token={link}", s.base),
        &session,
    )
    .await;
    let r = post_form(
        &http,
        format!("{}/verify-email/", s.base),
        &cookies,
        &[("csrf", csrf.as_str()), ("token", link.as_str())],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("cw_session=")),
        "the session was replaced"
    );
    // The address is confirmed all the same, and the browser is still the victim's.
    s.login("attacker@other.example", PASSWORD).await;
    let me = s.get("/api/organizations/", Some(&mine)).await;
    assert_eq!(me.status, 200, "{:?}", me.body);

    // Asked and answered: switching is what the person chose.
    let r = s
        .post(
            "/api/auth/register/",
            None,
            json!({"email": "second@other.example", "password": PASSWORD, "organization_name": "Second"}),
        )
        .await;
    assert_eq!(r.status, 201);
    let link = s
        .mailed_token("second@other.example", "verify-email/?token=")
        .await;
    let r = post_form(
        &http,
        format!("{}/verify-email/", s.base),
        &cookies,
        &[
            ("csrf", csrf.as_str()),
            ("token", link.as_str()),
            ("then", "switch"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert!(
        r.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("cw_session="))
    );
}
