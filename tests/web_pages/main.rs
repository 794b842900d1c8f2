//! The web app in a real headless Chromium against the real binary: a new organization from
//! registering to a reviewed certificate on its dashboard, an invitee accepting from the
//! mail link, a member kept out of admin pages, another tenant's supplier answering 404.
//! Screenshots of the dashboard and the review queue are written to
//! `target/screenshots/` (the README's copies are in `docs/screenshots/`).

mod accounts;
mod admin;
#[path = "../common/mod.rs"]
mod common;

use std::path::Path;

use common::browser::{Browser, target_dir};
use common::{PASSWORD, Server, pdf, read_mails};
use serde_json::json;

/// A spreadsheet written by a real XLSX writer.
fn suppliers_xlsx(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let rows = [
        ["external_id", "name", "vat", "country"],
        ["S-1", "Muster Metall GmbH", "DE123456789", "DE"],
        ["S-2", "Nordic Timber AB", "", "SE"],
        ["S-3", "", "", "DE"],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    book.save(path).unwrap();
}

/// A link starting with `prefix` in a mail to `to`.
fn mailed_link(s: &Server, to: &str, prefix: &str) -> Option<String> {
    mailed_links(s, to, prefix).into_iter().next()
}

/// The links starting with `prefix` in the mails to `to`, one per mail.
fn mailed_links(s: &Server, to: &str, prefix: &str) -> Vec<String> {
    read_mails(&s.outbox())
        .iter()
        .filter(|m| m.contains(&format!("To: {to}")))
        .filter_map(|m| {
            let start = m.find(prefix)?;
            Some(
                m[start..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect(),
            )
        })
        .collect()
}

async fn sign_in(b: &Browser, s: &Server, email: &str) {
    b.goto(&format!("{}/signin/", s.base)).await;
    b.fill("#email", email).await;
    b.fill("#password", PASSWORD).await;
    b.click("form[action='/signin/'] button[type=submit]").await;
    b.heading("Dashboard").await;
}

#[tokio::test]
async fn a_new_organization_registers_imports_uploads_reviews_and_sees_it_on_its_dashboard() {
    let s = Server::start(&[]);
    let b = Browser::start(1280, 900).await;
    let files = tempfile::tempdir().unwrap();
    b.run("register_to_dashboard", async {
        let email = "quality@acme.example";
        b.goto(&format!("{}/register/", s.base)).await;
        b.fill("#organization_name", "Acme Buyer GmbH").await;
        b.fill("#email", email).await;
        b.fill("#password", PASSWORD).await;
        b.click("form[action='/register/'] button[type=submit]")
            .await;
        b.heading("Sign in").await;
        b.shows(".notice", "Check your mail").await;

        // The verification mail links to the page, which confirms and signs in.
        let link = common::eventually("the verification mail", async || {
            mailed_link(&s, email, &format!("{}/verify-email/", s.base))
        })
        .await;
        b.goto(&link).await;
        b.click("form[action='/verify-email/'] button").await;
        b.heading("Dashboard").await;

        // Sign out and in again through the form.
        b.click("form[action='/signout/'] button").await;
        b.heading("Sign in").await;
        sign_in(&b, &s, email).await;

        // Import suppliers from a spreadsheet.
        let sheet = files.path().join("suppliers.xlsx");
        suppliers_xlsx(&sheet);
        b.click("nav a[href='/import/']").await;
        b.heading("Import suppliers").await;
        b.find("#file")
            .await
            .send_keys(sheet.to_str().unwrap())
            .await
            .unwrap();
        b.click("form[data-upload] button[type=submit]").await;
        let outcome = b.text("p.notice").await;
        assert!(outcome.contains("2 suppliers created"), "{outcome}");
        // The row without a name is listed with its problem.
        let refused = b.text("table").await;
        assert!(
            refused.contains("name") && refused.contains('4'),
            "{refused}"
        );

        // Bulk-upload two certificates: one names its supplier's VAT number and is filed,
        // the other names a company nobody registered and waits for review.
        let by_vat = files.path().join("muster.pdf");
        std::fs::write(
            &by_vat,
            pdf::with_lines(&[
                "CERTIFICATE",
                "DEKRA Certification GmbH hereby certifies that",
                "Muster Metall GmbH",
                "Industriestrasse 1, 70565 Stuttgart",
                "VAT ID: DE123456789",
                "has implemented a quality management system according to ISO 9001:2015",
                "Certificate No.: Q-2024-0815",
                "Valid until: 14.01.2027",
            ]),
        )
        .unwrap();
        let unknown = files.path().join("timber.pdf");
        std::fs::write(
            &unknown,
            pdf::with_lines(&[
                "CERTIFICATE",
                "This is to certify that",
                "Nordtimber Holding Ltd",
                "operates a quality management system according to ISO 9001:2015",
                "Certificate No.: NT-2024-117",
                "Issued by: Bureau Veritas",
                "Valid until 2027-05-01",
            ]),
        )
        .unwrap();
        b.click("nav a[href='/bulk-upload/']").await;
        b.heading("Bulk upload").await;
        let both = format!("{}\n{}", by_vat.display(), unknown.display());
        b.find("#files").await.send_keys(&both).await.unwrap();
        b.click("form[data-upload] button[type=submit]").await;
        b.heading("Batch").await;
        // The page follows the batch live until it is read.
        b.find("section[data-done='true']").await;
        assert_eq!(b.text("[data-count='matched_count']").await, "1");
        assert_eq!(b.text("[data-count='needs_review_count']").await, "1");

        // Review: the document beside what was read; choose the supplier and confirm.
        b.click("nav a[href='/review/']").await;
        b.heading("Review").await;
        b.click("a.button").await;
        b.heading("Review a document").await;
        assert_eq!(
            b.find("#certificate_number")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("NT-2024-117")
        );
        // The first page is drawn as a picture (phones show no PDFs inline).
        b.find(".preview img[data-loaded='true']").await;
        let width = b
            .client
            .execute(
                "return document.querySelector('.preview img').naturalWidth",
                vec![],
            )
            .await
            .unwrap();
        assert!(width.as_u64().is_some_and(|w| w > 500), "{width:?}");
        b.screenshot(&target_dir().join("screenshots/review-queue.png"))
            .await;
        b.find("#organization_id")
            .await
            .select_by_label("Nordic Timber AB")
            .await
            .unwrap();
        // Keyboard alone: Alt+C confirms.
        b.find("#certificate_number")
            .await
            .send_keys("\u{E00A}c")
            .await
            .unwrap();
        b.heading("Review").await;
        b.shows(".notice", "Filed").await;
        b.shows("main", "Nothing to review").await;

        // The dashboard counts both certificates, the reviewed one included.
        b.click("nav a[href='/']").await;
        b.heading("Dashboard").await;
        let all = b.text("a.card[href='/certificates/'] .number").await;
        assert_eq!(all, "2");
        b.screenshot(&target_dir().join("screenshots/dashboard.png"))
            .await;
        b.click("a.card[href='/certificates/']").await;
        b.heading("Certificates").await;
        let list = b.text("table").await;
        assert!(
            list.contains("NT-2024-117") && list.contains("Nordic Timber AB"),
            "{list}"
        );
    })
    .await;
    b.close().await;
}

#[tokio::test]
async fn pages_refuse_forged_forms_and_send_their_security_headers() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("csrf@acme.example", "Acme").await;
    for name in ["=Formula Supplier", "Plain Supplier", "Other Company"] {
        let r = s
            .post("/api/organizations/", Some(&token), json!({"name": name}))
            .await;
        assert_eq!(r.status, 201);
    }
    let page = s
        .http
        .get(format!("{}/signin/", s.base))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let cookie = page.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let csrf = cookie.split(';').next().unwrap().to_string();
    // The form carries the cookie's MAC, not the cookie itself.
    let value = common::csrf_field(&page.text().await.unwrap());
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = |token: &str| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("csrf", token)
            .append_pair("email", "csrf@acme.example")
            .append_pair("password", PASSWORD)
            .finish()
    };
    // A post without the cookie's value (another site's form) is refused.
    let forged = no_redirects
        .post(format!("{}/signin/", s.base))
        .header("cookie", &csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let signed_in = no_redirects
        .post(format!("{}/signin/", s.base))
        .header("cookie", &csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&value))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        session.starts_with("cw_session=")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(
        !session.contains("Secure"),
        "plain http public URL: no Secure flag"
    );
    // The list exported as filtered, every cell text.
    let session_cookie = session.split(';').next().unwrap().to_string();
    let export = |format: &'static str| {
        no_redirects
            .get(format!(
                "{}/suppliers/export/?search=supplier&format={format}",
                s.base
            ))
            .header("cookie", &session_cookie)
            .send()
    };
    let csv = export("csv").await.unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[1].starts_with("'=Formula Supplier") && lines[2].starts_with("Plain Supplier"),
        "{csv}"
    );
    let xlsx = export("xlsx").await.unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut strings = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/sharedStrings.xml").unwrap(),
        &mut strings,
    )
    .unwrap();
    assert!(
        strings.contains("Plain Supplier") && !strings.contains("Other Company"),
        "{strings}"
    );
    // Without a session, a page sends the browser to sign in and back.
    let away = no_redirects
        .get(format!("{}/certificates/", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(away.status(), 303);
    assert_eq!(
        away.headers()["location"],
        "/signin/?next=%2Fcertificates%2F"
    );
}

#[tokio::test]
async fn a_pdf_bomb_is_drawn_within_limits_or_refused_once() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("q@acme.example", "Acme").await;
    let batch = s
        .upload(
            "/api/bulk-upload/",
            &token,
            "files",
            vec![("bomb.pdf", pdf::flate_bomb(256 << 20))],
        )
        .await;
    assert_eq!(batch.status, 201, "{:?}", batch.body);
    let batch_id = batch.body["id"].as_str().unwrap();
    let items = s
        .get(&format!("/api/bulk-upload/{batch_id}/items/"), Some(&token))
        .await
        .body;
    let item = items["results"][0]["id"].as_str().unwrap().to_string();
    let preview = || {
        s.http
            .get(format!("{}/bulk-upload/items/{item}/preview/", s.base))
            .header("cookie", format!("cw_session={token}"))
            .send()
    };
    // Drawn within the worker's limits, or refused with the reason; never more.
    let first = preview().await.unwrap();
    let status = first.status().as_u16();
    assert!([200, 422].contains(&status), "{status}");
    let first = first.bytes().await.unwrap();
    // The verdict is kept: the same answer, not drawn again.
    let again = preview().await.unwrap();
    assert_eq!(again.status().as_u16(), status);
    assert_eq!(again.bytes().await.unwrap(), first);
    assert_eq!(s.get("/api/health/", None).await.status, 200);
}
