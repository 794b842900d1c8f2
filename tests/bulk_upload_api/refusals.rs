//! Uploads that file nothing: a skipped review, files with nothing usable, past the storage quota.

use super::*;

#[tokio::test]
async fn a_skipped_review_and_uploads_that_carry_no_usable_file() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let huge = [b"%PDF-1.4\n".as_slice(), &vec![b' '; 20 << 20]].concat();
    let doc = certificate(&["CERTIFICATE", "ISO 9001:2015", "Certificate No.: Z-9"]);
    let r = upload(&s, &token, vec![("huge.pdf", huge), ("doc.pdf", doc)]).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["total_items"], 1);
    assert!(r.body["file_errors"][0].as_str().unwrap().contains("20 MB"));
    let batch = r.body["id"].as_str().unwrap().to_string();
    s.completed_batch(&token, &batch, Duration::from_secs(60))
        .await;
    let items = s
        .get(&format!("/api/bulk-upload/{batch}/items/"), Some(&token))
        .await
        .body;
    let item = &items["results"][0];
    assert_eq!(item["status"], "needs_review", "{item}");
    let id = item["id"].as_str().unwrap();
    let r = s
        .post(
            &format!("/api/bulk-upload/items/{id}/skip/"),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["status"].as_str()),
        (200, Some("skipped"))
    );

    let none = upload(&s, &token, vec![]).await;
    assert_eq!(none.status, 400);
    let list = s.get("/api/bulk-upload/", Some(&token)).await.body;
    assert_eq!(list["count"], 1);
}

#[tokio::test]
async fn uploads_past_the_tenants_storage_quota_are_refused_whole() {
    let s = Server::start(&[("CERTWATCH_STORAGE_QUOTA_MB", "1")]);
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let (other, _) = s.signup("q@other.example", "Other").await;
    // A real certificate padded to 600 KB (readers ignore what follows %%EOF).
    let padded = |n: &str| {
        let mut pdf = certificate(&[
            "CERTIFICATE",
            "ISO 9001:2015",
            &format!("Certificate No.: {n}"),
        ]);
        pdf.extend(std::iter::repeat_n(b' ', 600 << 10));
        pdf
    };
    let first = upload(&s, &token, vec![("a.pdf", padded("A-1"))]).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    let second = upload(&s, &token, vec![("b.pdf", padded("B-1"))]).await;
    assert_eq!(second.status, 413, "{:?}", second.body);
    let error = second.body["error"].as_str().unwrap();
    assert!(error.contains("quota of 1 MiB"), "{error}");
    // Nothing of the refused request was kept; another tenant has its own quota.
    assert_eq!(
        s.get("/api/bulk-upload/", Some(&token)).await.body["count"],
        1
    );
    let theirs = upload(&s, &other, vec![("b.pdf", padded("B-1"))]).await;
    assert_eq!(theirs.status, 201, "{:?}", theirs.body);
    let leftovers = std::fs::read_dir(s.data_dir.join("tmp"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".upload"))
        .count();
    assert_eq!(leftovers, 0, "temporary upload files are removed");
}
