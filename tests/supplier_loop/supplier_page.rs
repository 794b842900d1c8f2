//! The supplier page: the link a request mails, what it shows, uploads through it, and
//! links that do not work.

use super::*;
use common::{eventually, pdf};

/// The token of the supplier link in a request mail to `to`.
pub async fn mailed_code(s: &Server, to: &str) -> String {
    s.mailed_token(to, "/supplier/").await
}

pub async fn page(s: &Server, path: &str) -> (u16, String) {
    let r = s
        .http
        .get(format!("{}{path}", s.base))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

pub async fn send(s: &Server, token: &str, files: Vec<(&str, Vec<u8>)>) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    let r = s
        .http
        .post(format!("{}/supplier/{token}/documents/", s.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// A renewed ISO 9001 certificate of Gießerei Nord GmbH.
pub fn renewal(number: &str, until: &str) -> Vec<u8> {
    pdf::with_lines(&[
        "CERTIFICATE",
        "DEKRA Certification GmbH hereby certifies that",
        "Giesserei Nord GmbH",
        "Hafenstrasse 12, 20457 Hamburg",
        "VAT ID: DE123456789",
        "has implemented a quality management system according to ISO 9001:2015",
        &format!("Certificate No.: {number}"),
        &format!("Valid until: {until}"),
    ])
}

/// A buyer requiring ISO 9001 of everyone, a supplier whose certificate expires in 20
/// days and a German contact; the reminder pass runs every second.
pub async fn asked(s: &Server) -> (Buyer<'_>, String, String, String) {
    let b = Buyer::signup(s, "qa@buyer.example", "Nordic Buyer AB").await;
    let iso = b.type_id("ISO_9001").await;
    let org = b
        .created(
            "/api/organizations/",
            json!({"name": "Gießerei Nord GmbH", "vat": "DE123456789"}),
        )
        .await;
    let cert = b.cert(&org, &iso, "Q-100", &days(20)).await;
    b.contact(&org, "qm@nord.example", "de").await;
    b.require(&iso, json!({"all": true})).await;
    (b, org, cert, iso)
}

#[tokio::test]
async fn a_supplier_renews_through_the_link_and_the_link_closes() {
    let s = Server::start(&[("CERTWATCH_REMINDER_INTERVAL", "1")]);
    let (b, org, cert, _) = asked(&s).await;
    let token = mailed_code(&s, "qm@nord.example").await;
    let (status, html) = page(&s, &format!("/supplier/{token}/")).await;
    assert_eq!(status, 200, "{html}");
    for shown in ["Nordic Buyer AB", "Gießerei Nord GmbH", "ISO 9001", "Q-100"] {
        assert!(html.contains(shown), "{shown} not on the page: {html}");
    }
    assert!(html.contains("enctype=\"multipart/form-data\""));

    let (status, html) = send(&s, &token, vec![("notes.txt", b"hello".to_vec())]).await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("unsupported extension"), "{html}");

    let (status, html) = send(
        &s,
        &token,
        vec![("iso.pdf", renewal("Q-2026-777", "31.12.2029"))],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("1 file(s) received"), "{html}");
    let renewed = eventually("the certificate renewed", async || {
        let c = b.get(&format!("/api/certificates/{cert}/")).await.body;
        (c["certificate_number"] == "Q-2026-777").then_some(c)
    })
    .await;
    assert_eq!(renewed["expiry_date"], "2029-12-31");
    assert!(renewed["document_hash"].is_string(), "{renewed}");
    let requests = b
        .get(&format!("/api/certificate-requests/?organization={org}"))
        .await
        .body;
    assert_eq!(requests["results"][0]["status"], "fulfilled", "{requests}");
    assert_eq!(requests["results"][0]["fulfilled_by"], cert.as_str());
    assert_eq!(b.compliance(&org).await["state"], "valid");
    let history = b
        .get(&format!("/api/certificates/{cert}/history/"))
        .await
        .body;
    let by = &history["results"][0]["by"];
    assert_eq!(by["kind"], "supplier_upload", "{history}");
    assert!(
        by["note"]
            .as_str()
            .unwrap()
            .starts_with("uploaded by the supplier through request")
    );

    // Fulfilled: the link is closed, exactly as a link that never was.
    let (closed, closed_html) = page(&s, &format!("/supplier/{token}/")).await;
    let (wrong, wrong_html) = page(&s, "/supplier/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/").await;
    assert_eq!((closed, wrong), (404, 404));
    assert_eq!(closed_html, wrong_html);
    assert!(closed_html.contains("This link is closed"));
    let (status, _) = send(
        &s,
        &token,
        vec![("iso.pdf", renewal("Q-2026-778", "31.12.2030"))],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = page(&s, "/supplier/not%20a%20token/").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_document_of_another_company_waits_in_review_with_the_supplier_set() {
    let s = Server::start(&[("CERTWATCH_REMINDER_INTERVAL", "1")]);
    let (b, org, cert, _) = asked(&s).await;
    let token = mailed_code(&s, "qm@nord.example").await;
    let other = pdf::with_lines(&[
        "CERTIFICATE",
        "This is to certify that",
        "Unknown Gadgets Ltd",
        "quality management system ISO 9001:2015",
        "Certificate No.: UG-2024-117",
        "Valid until 2028-05-01",
    ]);
    let (status, html) = send(&s, &token, vec![("other.pdf", other)]).await;
    assert_eq!(status, 200, "{html}");
    let item = eventually("the document in review", async || {
        let batches = b.get("/api/bulk-upload/").await.body;
        let batch = batches["results"][0]["id"].as_str()?.to_string();
        let items = b
            .get(&format!("/api/bulk-upload/{batch}/items/"))
            .await
            .body;
        let item = items["results"][0].clone();
        (item["status"] == "needs_review").then_some(item)
    })
    .await;
    assert_eq!(item["organization"], org.as_str(), "{item}");
    assert!(
        item["reason"].as_str().unwrap().contains("through request"),
        "{item}"
    );
    // Still open while it waits; a person confirms it, and that fulfils the request.
    let open = b.get("/api/certificate-requests/?status=open").await.body;
    assert_eq!(open["count"], 1);
    let r = b
        .post(
            &format!(
                "/api/bulk-upload/items/{}/confirm/",
                item["id"].as_str().unwrap()
            ),
            json!({"organization_id": org, "certificate_type_code": "ISO_9001",
                   "certificate_number": "Q-2026-900", "expiry_date": "2028-05-01"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let fulfilled = b
        .get("/api/certificate-requests/?status=fulfilled")
        .await
        .body;
    assert_eq!(fulfilled["count"], 1, "{fulfilled}");
    assert_eq!(fulfilled["results"][0]["fulfilled_by"], cert.as_str());
    let c = b.get(&format!("/api/certificates/{cert}/")).await.body;
    assert_eq!(c["certificate_number"], "Q-2026-900");
}
