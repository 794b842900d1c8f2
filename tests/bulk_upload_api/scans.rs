//! Scanned documents: read with OCR, or sent to review without it.

use super::*;

/// Scans are read with Tesseract (the health endpoint says it is there) and filed like
/// text PDFs.
#[tokio::test]
async fn scans_are_read_with_ocr() {
    let s = Server::start(&[]);
    let health = s.health().await.body;
    assert_eq!(
        health["ocr"]["available"], true,
        "tesseract is installed (.ci/run)"
    );
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let muster = org(&s, &token, json!({"name": "Muster Metall GmbH"})).await;
    let doc = certificate(&[
        "CERTIFICATE",
        "This is to certify that",
        "Muster Metall GmbH",
        "Industriestrasse 1, 70565 Stuttgart",
        "has implemented a quality management system according to ISO 9001:2015",
        "Certificate No.: Q-2024-0815",
        "Valid until: 14.01.2027",
    ]);
    let r = upload(
        &s,
        &token,
        vec![
            ("scan.png", scan(&doc, "png")),
            ("scan.jpg", scan(&doc, "jpeg")),
            ("scanned.pdf", pdf::image_only(&scan(&doc, "jpeg"), 200)),
        ],
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let batch = r.body["id"].as_str().unwrap().to_string();
    let within = OCR_WITHIN;
    common::eventually_within(within, "the scans to be read", async || {
        let d = s
            .get(&format!("/api/bulk-upload/{batch}/"), Some(&token))
            .await
            .body;
        (d["status"] == "completed").then_some(())
    })
    .await;
    let items = s
        .get(&format!("/api/bulk-upload/{batch}/items/"), Some(&token))
        .await
        .body;
    let items = items["results"].as_array().unwrap();
    assert_eq!(
        items.len(),
        3,
        "a PNG, a JPEG and a PDF without a text layer"
    );
    for item in items {
        let ex = &item["extracted_data"];
        assert_eq!(ex["method"], "ocr", "{item}");
        assert_eq!(ex["certificate_number"]["value"], "Q-2024-0815", "{item}");
        assert_eq!(ex["expiry_date"]["value"], "2027-01-14", "{item}");
        assert_eq!(item["organization"], muster.as_str(), "{item}");
    }
    // The scans show one certificate: the first files it, the others update it.
    assert!(items.iter().all(|i| i["status"] == "matched"));
    assert!(
        items
            .iter()
            .all(|i| i["certificate"] == items[0]["certificate"])
    );
}

/// Without a Tesseract that runs, scans wait for a person and health says so; text PDFs
/// are still filed.
#[tokio::test]
async fn without_ocr_scans_need_review() {
    let s = Server::start(&[("CERTWATCH_TESSERACT", "/nonexistent/tesseract")]);
    let health = s.health().await;
    assert_eq!(
        health.status, 200,
        "missing OCR does not degrade the service"
    );
    assert_eq!(health.body["ocr"]["available"], false);
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let doc = certificate(&["CERTIFICATE", "ISO 9001:2015", "Certificate No.: Z-2024-9"]);
    let r = upload(
        &s,
        &token,
        vec![
            ("scan.png", scan(&doc, "png")),
            ("scanned.pdf", pdf::image_only(&scan(&doc, "jpeg"), 200)),
            ("text.pdf", doc),
        ],
    )
    .await;
    let batch = r.body["id"].as_str().unwrap().to_string();
    s.completed_batch(&token, &batch, Duration::from_secs(60))
        .await;
    let items = s
        .get(&format!("/api/bulk-upload/{batch}/items/"), Some(&token))
        .await
        .body;
    let items = items["results"].as_array().unwrap();
    for scan in &items[..2] {
        assert_eq!(scan["status"], "needs_review", "{scan}");
        assert!(scan["reason"].as_str().unwrap().contains("not"), "{scan}");
    }
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap()
            .contains("OCR is not available")
    );
    let text = &items[2];
    assert_eq!(text["extracted_data"]["method"], "pdf-text", "{text}");
    assert_eq!(
        text["extracted_data"]["certificate_number"]["value"],
        "Z-2024-9"
    );
}
