//! Bulk upload against the real server: real PDFs (lopdf) uploaded over HTTP, filed,
//! reviewed, confirmed, skipped, failed and refused.

#[path = "../common/mod.rs"]
mod common;
mod refusals;
mod scans;

use std::time::Duration;

use common::receiver;
use common::{Server, pdf};
use serde_json::{Value, json};

/// How long a batch with scans may take: each scan is read by OCR, a weak one twice (the
/// second time at up to 3,600 pixels), two at a time, on a machine that may be busy.
const OCR_WITHIN: Duration = Duration::from_secs(300);

async fn upload(s: &Server, token: &str, files: Vec<(&str, Vec<u8>)>) -> common::Answer {
    s.upload("/api/bulk-upload/", token, "files", files).await
}

fn certificate(lines: &[&str]) -> Vec<u8> {
    pdf::with_lines(lines)
}

async fn org(s: &Server, token: &str, body: Value) -> String {
    let r = s.post("/api/organizations/", Some(token), body).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn documents_are_filed_reviewed_or_failed_and_people_finish_the_rest() {
    let s = Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]);
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let rx = receiver::subscribed(&s, &token, json!(["bulk_upload.completed"])).await;
    let muster = org(
        &s,
        &token,
        json!({"name": "Muster Metall GmbH", "vat": "DE 123 456 789"}),
    )
    .await;
    let acme = org(
        &s,
        &token,
        json!({"name": "Acme Widgets Inc", "website": "https://www.acme-widgets.example"}),
    )
    .await;
    let nordic = org(&s, &token, json!({"name": "Nordic Timber AB"})).await;

    let by_vat = certificate(&[
        "CERTIFICATE",
        "DEKRA Certification GmbH hereby certifies that",
        "Muster Metall GmbH",
        "Industriestrasse 1, 70565 Stuttgart",
        "VAT ID: DE123456789",
        "has implemented a quality management system according to ISO 9001:2015",
        "Certificate No.: Q-2024-0815",
        "Valid until: 14.01.2027",
    ]);
    let by_domain = certificate(&[
        "Certificate of Registration",
        "This is to certify that",
        "Acme Widgets Incorporated",
        "500 Industrial Way, Springfield - www.acme-widgets.example",
        "operates an environmental management system that complies with ISO 14001:2015",
        "Certificate number: EMS 700123",
        "Issued by: BSI",
        "Date of issue: 2024-03-01   Expiry date: 2027-02-28",
    ]);
    let by_name = certificate(&[
        "ZERTIFIKAT",
        "Die Zertifizierungsstelle bescheinigt, dass",
        "Nordic Timber AB",
        "Skogsvagen 3, 11122 Stockholm",
        "ein Managementsystem nach ISO 45001:2018 anwendet.",
        "Zertifikat-Nr. OHS-5521-77",
        "Gueltig bis 30.06.2028",
    ]);
    let unknown = certificate(&[
        "CERTIFICATE",
        "This is to certify that",
        "Unknown Gadgets Ltd",
        "quality management system IATF 16949:2016 in conjunction with ISO 9001:2015",
        "Certificate No.: UG-2024-117",
        "Valid until 2027-05-01",
    ]);
    let corrupt = b"%PDF-1.4\n this is not really a PDF \n%%EOF".to_vec();
    let r = upload(
        &s,
        &token,
        vec![
            ("vat.pdf", by_vat.clone()),
            ("domain.PDF", by_domain),
            ("name.pdf", by_name),
            ("unknown.pdf", unknown),
            ("corrupt.pdf", corrupt),
            ("again.pdf", by_vat.clone()),
            ("scan.png", by_vat.clone()),
            ("notes.txt", b"hello".to_vec()),
        ],
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["total_items"], 5, "the same file twice is one item");
    assert_eq!(r.body["status"], "pending");
    let errors = r.body["file_errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].as_str().unwrap().contains("scan.png"));
    assert!(
        errors[1]
            .as_str()
            .unwrap()
            .contains("unsupported extension '.txt'")
    );
    let batch = r.body["id"].as_str().unwrap().to_string();
    // Every file refused: nothing is created, and each file's reason is given.
    let none = upload(
        &s,
        &token,
        vec![
            ("notes.txt", b"hello".to_vec()),
            ("scan.png", by_vat.clone()),
        ],
    )
    .await;
    assert_eq!(none.status, 400, "{:?}", none.body);
    assert_eq!(
        none.body["files"].as_array().map(Vec::len),
        Some(2),
        "{:?}",
        none.body
    );
    let batches = s.get("/api/bulk-upload/", Some(&token)).await.body;
    assert_eq!(batches["count"], 1, "the refused upload created no batch");

    let detail = s.completed_batch(&token, &batch, OCR_WITHIN).await;
    assert_eq!(
        [
            &detail["processed_count"],
            &detail["matched_count"],
            &detail["needs_review_count"],
            &detail["failed_count"],
            &detail["pending_count"],
        ],
        [&json!(5), &json!(3), &json!(1), &json!(1), &json!(0)],
        "{detail}"
    );
    assert_eq!(
        (
            detail["auto_match_rate"].as_f64(),
            detail["failure_rate"].as_f64()
        ),
        (Some(0.6), Some(0.2))
    );

    let items = s
        .get(&format!("/api/bulk-upload/{batch}/items/"), Some(&token))
        .await
        .body;
    let items = items["results"].as_array().unwrap().clone();
    let item = |name: &str| {
        items
            .iter()
            .find(|i| i["filename"] == name)
            .unwrap()
            .clone()
    };
    let (vat, domain, name, review, failed) = (
        item("vat.pdf"),
        item("domain.PDF"),
        item("name.pdf"),
        item("unknown.pdf"),
        item("corrupt.pdf"),
    );
    assert_eq!(
        (vat["status"].as_str(), vat["match_reason"].as_str()),
        (Some("matched"), Some("vat"))
    );
    assert_eq!(vat["organization"], muster.as_str());
    assert_eq!(domain["match_reason"], "domain");
    assert_eq!(domain["organization"], acme.as_str());
    assert_eq!(name["organization"], nordic.as_str());
    assert!(name["match_reason"].as_str().unwrap().starts_with("name"));
    assert_eq!(review["status"], "needs_review");
    assert!(review["reason"].as_str().unwrap().contains("organization"));
    assert_eq!(
        review["extracted_data"]["certificate_number"]["value"],
        "UG-2024-117"
    );
    assert_eq!(failed["status"], "failed");
    assert!(failed["reason"].is_string());

    // What was filed.
    let cert = s
        .get(
            &format!(
                "/api/certificates/{}/",
                vat["certificate"].as_str().unwrap()
            ),
            Some(&token),
        )
        .await
        .body;
    assert_eq!(
        (
            cert["certificate_number"].as_str(),
            cert["expiry_date"].as_str(),
            cert["issuing_body"].as_str()
        ),
        (Some("Q-2024-0815"), Some("2027-01-14"), Some("DEKRA"))
    );
    let cert = s
        .get(
            &format!(
                "/api/certificates/{}/",
                domain["certificate"].as_str().unwrap()
            ),
            Some(&token),
        )
        .await
        .body;
    assert_eq!(
        (
            cert["certificate_number"].as_str(),
            cert["issue_date"].as_str(),
            cert["expiry_date"].as_str()
        ),
        (Some("EMS 700123"), Some("2024-03-01"), Some("2027-02-28"))
    );

    // The file as uploaded, with its type.
    let id = vat["id"].as_str().unwrap();
    let file = s
        .http
        .get(format!("{}/api/bulk-upload/files/{id}/", s.base))
        .header("Authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.bytes().await.unwrap().to_vec(), by_vat);

    // Review: confirm and skip only what needs review.
    let review_id = review["id"].as_str().unwrap();
    let confirm = format!("/api/bulk-upload/items/{review_id}/confirm/");
    assert_eq!(
        review["extracted_data"]["other_certificate_types"],
        json!(["ISO_9001"])
    );
    let body = json!({
        "organization_id": acme, "certificate_type_code": "IATF_16949",
        "certificate_number": "UG-2024-117-A", "expiry_date": "2027-05-01",
    });
    let bad = s
        .post(
            &confirm,
            Some(&token),
            json!({"organization_id": acme, "certificate_type_code": "ISO_9001"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body["certificate_number"].is_array() && bad.body["expiry_date"].is_array());
    let r = s.post(&confirm, Some(&token), body.clone()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["status"], "matched");
    assert_eq!(
        r.body["corrections"],
        json!(["organization", "certificate_number"])
    );
    // The combined certificate's other standard is a certificate of its own.
    let others = r.body["other_certificates"].as_array().unwrap();
    assert_eq!(others.len(), 1, "{}", r.body);
    let other = s
        .get(
            &format!("/api/certificates/{}/", others[0].as_str().unwrap()),
            Some(&token),
        )
        .await
        .body;
    assert_eq!(
        (
            other["certificate_type"]["code"].as_str(),
            other["certificate_number"].as_str(),
            other["organization"]["id"].as_str()
        ),
        (Some("ISO_9001"), Some("UG-2024-117-A"), Some(acme.as_str()))
    );
    assert_eq!(
        s.post(&confirm, Some(&token), body).await.status,
        400,
        "only from needs_review"
    );
    let skip = |id: &str| format!("/api/bulk-upload/items/{id}/skip/");
    assert_eq!(s.post(&skip(id), Some(&token), json!({})).await.status, 400);
    let detail = s
        .get(&format!("/api/bulk-upload/{batch}/"), Some(&token))
        .await
        .body;
    assert_eq!(
        (
            detail["matched_count"].as_u64(),
            detail["needs_review_count"].as_u64()
        ),
        (Some(4), Some(0))
    );
    assert_eq!(
        detail["auto_match_rate"], 0.6,
        "a confirmed item was not matched automatically"
    );

    let metrics = s
        .get("/api/bulk-upload/quality-metrics/", Some(&token))
        .await
        .body;
    assert_eq!(metrics["total_items"], 5);
    assert_eq!(metrics["total_batches"], 1);
    assert_eq!(
        metrics["most_corrected_fields"],
        json!([{"field": "certificate_number", "count": 1}, {"field": "organization", "count": 1}])
    );

    let event = rx.wait_for(1).await;
    assert_eq!(event[0].body["type"], "bulk_upload.completed");
    assert_eq!(event[0].body["data"]["matched"], 3);

    // Another tenant sees none of it.
    let (other, _) = s.signup("x@other.example", "Other").await;
    for path in [
        format!("/api/bulk-upload/{batch}/"),
        format!("/api/bulk-upload/{batch}/items/"),
        format!("/api/bulk-upload/files/{id}/"),
    ] {
        assert_eq!(s.get(&path, Some(&other)).await.status, 404, "{path}");
    }
    assert_eq!(
        s.post(&skip(review_id), Some(&other), json!({}))
            .await
            .status,
        404
    );
    assert_eq!(
        s.get("/api/bulk-upload/", Some(&other)).await.body["count"],
        0
    );
}

/// A batch the process stopped in the middle of is finished after the restart.
#[tokio::test]
async fn an_unfinished_batch_resumes_after_a_restart() {
    let mut s = Server::start(&[]);
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let files: Vec<(String, Vec<u8>)> = (0..6)
        .map(|i| {
            let number = format!("Certificate No.: R-2024-{i:04}");
            let doc = certificate(&[
                "CERTIFICATE",
                "ISO 14001:2015",
                &number,
                "Valid until 2028-01-31",
            ]);
            (format!("scan{i}.png"), scan(&doc, "png"))
        })
        .collect();
    let r = upload(
        &s,
        &token,
        files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect(),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let batch = r.body["id"].as_str().unwrap().to_string();
    // Killed while the scans are being read (6 OCR runs, 2 at a time).
    s.restart();
    let within = OCR_WITHIN;
    let detail = common::eventually_within(
        within,
        "the batch to complete after the restart",
        async || {
            let d = s
                .get(&format!("/api/bulk-upload/{batch}/"), Some(&token))
                .await
                .body;
            (d["status"] == "completed").then_some(d)
        },
    )
    .await;
    assert_eq!(
        (
            detail["processed_count"].as_u64(),
            detail["pending_count"].as_u64()
        ),
        (Some(6), Some(0))
    );
    assert_eq!(
        detail["needs_review_count"], 6,
        "no organization to match: {detail}"
    );
    let items = s
        .get(&format!("/api/bulk-upload/{batch}/items/"), Some(&token))
        .await
        .body;
    let numbers: Vec<&str> = items["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i["extracted_data"]["certificate_number"]["value"]
                .as_str()
                .unwrap()
        })
        .collect();
    let want: Vec<String> = (0..6).map(|i| format!("R-2024-{i:04}")).collect();
    assert_eq!(numbers, want);
}

/// Renders page 1 of a PDF as an image with pdftoppm (`png` or `jpeg`): a scan.
fn scan(pdf: &[u8], format: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("doc.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = dir.path().join("page");
    let status = std::process::Command::new("pdftoppm")
        .args([&format!("-{format}"), "-r", "200", "-singlefile"])
        .arg(&input)
        .arg(&out)
        .status()
        .expect("pdftoppm is installed (.ci/run installs poppler-utils)");
    assert!(status.success());
    let ext = if format == "png" { "png" } else { "jpg" };
    std::fs::read(dir.path().join(format!("page.{ext}"))).unwrap()
}
