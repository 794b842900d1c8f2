//! One certificate, one record: a certificate is its certification body's number for its
//! type within a tenant. Over HTTP against the real binary — create, bulk upload and
//! monitoring — and `certwatch doctor` on a data directory written by the release before
//! the rule (`tests/fixtures/store-2026-11-23`), also when it is killed mid-merge.

#[path = "../common/mod.rs"]
mod common;
mod merges;

use std::path::Path;
use std::process::{Command, Stdio};

use certwatch_store::engine::trees::Tree;
use certwatch_store::{
    ops::accounts, ops::certificate_writes, ops::duplicates, ops::organizations, tables,
};
use chrono::{Duration, Utc};
use common::site::{Resource, Site};
use common::{Server, copy_dir, eventually, pdf};
use serde_json::{Value, json};

const FIXTURE_EMAIL: &str = "fixture@release.example";
const FIXTURE_PASSWORD: &str = "quietHarbour4921";

/// Runs `work` on the store of `data` in a runtime of its own, which is gone (and with it
/// the store's lock) when this returns.
fn with_store<T: Send>(data: &Path, work: impl FnOnce(&certwatch_store::Store) -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let _entered = rt.enter();
                let store = certwatch_store::Store::open(data).unwrap();
                let out = work(&store);
                store.flush().unwrap();
                out
            })
            .join()
            .unwrap()
    })
}

/// `certwatch doctor` run as `cmd` (on a server's store, or a data directory's).
fn doctor(mut cmd: Command, merge: bool) -> String {
    cmd.arg("doctor");
    if merge {
        cmd.arg("--merge");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

async fn certificates(s: &Server, token: &str) -> Vec<Value> {
    let r = s.get("/api/certificates/?page_size=500", Some(token)).await;
    r.body["results"].as_array().unwrap().clone()
}

#[test]
fn a_data_directory_of_a_newer_release_is_refused() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-2026-11-23");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, &dir.path().join("store"));
    let newer = certwatch_store::SCHEMA_VERSION + 1;
    with_store(dir.path(), |store| {
        store
            .tree(certwatch_store::engine::trees::Tree::Meta)
            .insert("schema_version", newer.to_be_bytes())
            .unwrap();
    });
    let out = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("serve")
        .env("CERTWATCH_DATA_DIR", dir.path())
        .env("CERTWATCH_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "written by a newer CertWatch (schema {newer}, this release reads up to {})",
            newer - 1
        )),
        "{stderr}"
    );
}

#[tokio::test]
async fn bulk_upload_and_monitoring_update_the_certificate_on_file_and_never_take_anothers() {
    let s = Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]);
    let site = Site::start().await;
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let org = async |body: Value| {
        let r = s.post("/api/organizations/", Some(&token), body).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    };
    let muster = org(json!({"name": "Muster Metall GmbH", "vat": "DE123456789"})).await;
    let other = org(json!({"name": "Nordic Timber AB", "vat": "SE556677889901"})).await;
    let iso = s.type_id(&token, "ISO_9001").await;
    let on_file = s
        .post(
            "/api/certificates/",
            Some(&token),
            json!({"organization": muster, "certificate_type_id": iso,
                   "certificate_number": "Q-2024-0815", "expiry_date": "2026-12-31"}),
        )
        .await;
    assert_eq!(on_file.status, 201);
    let on_file = on_file.body["id"].as_str().unwrap().to_string();
    // Changing another certificate's number (PATCH or PUT) to this identity is refused too.
    let second = s
        .post(
            "/api/certificates/",
            Some(&token),
            json!({"organization": other, "certificate_type_id": iso,
                   "certificate_number": "N-1", "expiry_date": "2027-01-01"}),
        )
        .await;
    let second_path = format!("/api/certificates/{}/", second.body["id"].as_str().unwrap());
    let clash = s
        .patch(
            &second_path,
            Some(&token),
            json!({"certificate_number": "q-2024 0815"}),
        )
        .await;
    assert_eq!(clash.status, 400, "{:?}", clash.body);
    assert!(
        clash.body["certificate_number"][0]
            .as_str()
            .unwrap()
            .contains(&on_file),
        "{:?}",
        clash.body
    );
    let put = s
        .call(
            reqwest::Method::PUT,
            &second_path,
            Some(&token),
            Some(json!({"organization": other, "certificate_type_id": iso,
                        "certificate_number": "Q2024-0815"})),
        )
        .await;
    assert_eq!(put.status, 400, "{:?}", put.body);
    s.delete(&second_path, Some(&token)).await;

    let doc = |company: &str, vat: &str, number: &str| {
        pdf::with_lines(&[
            "CERTIFICATE",
            "This is to certify that",
            company,
            &format!("VAT ID: {vat}"),
            "has implemented a quality management system according to ISO 9001:2015",
            &format!("Certificate No.: {number}"),
            "Valid until: 14.01.2028",
        ])
    };
    let batch = s
        .upload(
            "/api/bulk-upload/",
            &token,
            "files",
            vec![
                (
                    "renewal.pdf",
                    doc("Muster Metall GmbH", "DE123456789", "Q2024-0815"),
                ),
                (
                    "theirs.pdf",
                    doc("Nordic Timber AB", "SE556677889901", "Q-2024-0815"),
                ),
            ],
        )
        .await;
    assert_eq!(batch.status, 201, "{:?}", batch.body);
    let batch = batch.body["id"].as_str().unwrap().to_string();
    let items = eventually("the batch completes", async || {
        let b = s
            .get(&format!("/api/bulk-upload/{batch}/items/"), Some(&token))
            .await;
        let items = b.body["results"].as_array()?.clone();
        items
            .iter()
            .all(|i| i["status"] != "pending")
            .then_some(items)
    })
    .await;
    let item = |f: &str| items.iter().find(|i| i["filename"] == f).unwrap().clone();
    let renewal = item("renewal.pdf");
    assert_eq!(renewal["status"], "matched", "{renewal}");
    assert_eq!(renewal["certificate"], on_file.as_str());
    assert_eq!(
        renewal["reason"],
        "Updated the existing certificate: expiry_date."
    );
    let theirs = item("theirs.pdf");
    assert_eq!(theirs["status"], "needs_review", "{theirs}");
    assert!(
        theirs["reason"]
            .as_str()
            .unwrap()
            .contains("belongs to another organization"),
        "{theirs}"
    );
    let list = s.get("/api/certificates/", Some(&token)).await;
    assert_eq!(list.body["count"], 1, "one certificate, one record");

    // A page of the other supplier naming the number is skipped with the reason.
    site.serve(
        "/zertifikate",
        Resource::html(
            "<table><tr><th>Norm</th><th>Zertifikat-Nr.</th><th>Gültig bis</th></tr>\
             <tr><td>ISO 9001:2015</td><td>Q-2024-0815</td><td>14.01.2028</td></tr></table>",
        ),
    );
    let ep = s
        .post(
            "/api/monitoring/endpoints/",
            Some(&token),
            json!({"organization_id": other, "url": site.url("/zertifikate")}),
        )
        .await;
    assert_eq!(ep.status, 201, "{:?}", ep.body);
    let id = ep.body["id"].as_str().unwrap().to_string();
    let log = eventually("the page is scraped", async || {
        s.newest_scrape_log(&token, &id).await
    })
    .await;
    assert_eq!(log["status"], "SUCCESS", "{log}");
    assert!(
        log["skipped"]
            .to_string()
            .contains("belongs to another organization"),
        "{log}"
    );
    assert!(log["changes"].as_array().unwrap().is_empty(), "{log}");
    let list = s.get("/api/certificates/", Some(&token)).await;
    assert_eq!(list.body["count"], 1);
}

#[tokio::test]
async fn a_certificates_history_names_every_change_and_who_made_it() {
    let s = Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]);
    let site = Site::start().await;
    let (token, _) = s.signup("q@buyer.example", "Buyer").await;
    let (other, _) = s.signup("q@other.example", "Other").await;
    let muster = s
        .post(
            "/api/organizations/",
            Some(&token),
            json!({"name": "Muster Metall GmbH", "vat": "DE123456789"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let iso = s.type_id(&token, "ISO_9001").await;
    // A person creates and edits it.
    let created = s
        .post(
            "/api/certificates/",
            Some(&token),
            json!({"organization": muster, "certificate_type_id": iso,
                   "certificate_number": "Q-2024-5555", "expiry_date": "2026-12-31"}),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    let path = format!("/api/certificates/{id}/");
    s.patch(&path, Some(&token), json!({"scope": "Machining"}))
        .await;
    // Bulk upload renews it.
    let doc = pdf::with_lines(&[
        "CERTIFICATE",
        "This is to certify that",
        "Muster Metall GmbH",
        "VAT ID: DE123456789",
        "has implemented a quality management system according to ISO 9001:2015",
        "Certificate No.: Q-2024-5555",
        "Valid until: 14.01.2028",
    ]);
    let batch = s
        .upload("/api/bulk-upload/", &token, "files", vec![("q5.pdf", doc)])
        .await;
    let batch = batch.body["id"].as_str().unwrap().to_string();
    let item = eventually("the document is filed", async || {
        let b = s
            .get(&format!("/api/bulk-upload/{batch}/items/"), Some(&token))
            .await;
        let item = b.body["results"][0].clone();
        (item["status"] == "matched").then_some(item)
    })
    .await;
    // Monitoring reads a later expiry on the supplier's page.
    site.serve(
        "/zertifikate",
        Resource::html(
            "<table><tr><th>Norm</th><th>Zertifikat-Nr.</th><th>Gültig bis</th></tr>\
             <tr><td>ISO 9001:2015</td><td>Q-2024-5555</td><td>31.12.2029</td></tr></table>",
        ),
    );
    let ep = s
        .post(
            "/api/monitoring/endpoints/",
            Some(&token),
            json!({"organization_id": muster, "url": site.url("/zertifikate")}),
        )
        .await;
    let endpoint = ep.body["id"].as_str().unwrap().to_string();
    eventually("the page is scraped", async || {
        let r = s
            .get(
                &format!("/api/monitoring/logs/?endpoint={endpoint}"),
                Some(&token),
            )
            .await;
        (r.body["count"] == 1).then_some(())
    })
    .await;
    let history = s.get(&format!("{path}history/"), Some(&token)).await.body;
    assert_eq!(history["count"], 4, "{history}");
    let entries = history["results"].as_array().unwrap();
    let who: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["by"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            ("updated", "monitoring"),
            ("updated", "bulk_item"),
            ("updated", "user"),
            ("created", "user")
        ]
    );
    assert_eq!(entries[0]["by"]["id"], endpoint.as_str());
    assert_eq!(entries[1]["by"]["id"], item["id"]);
    let expiry = |e: &Value| {
        e["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == "expiry_date")
            .cloned()
    };
    assert_eq!(
        expiry(&entries[0]).unwrap(),
        json!({"field": "expiry_date", "from": "2028-01-14", "to": "2029-12-31"})
    );
    assert_eq!(
        expiry(&entries[1]).unwrap(),
        json!({"field": "expiry_date", "from": "2026-12-31", "to": "2028-01-14"})
    );
    assert_eq!(
        entries[2]["changes"],
        json!([{"field": "scope", "from": null, "to": "Machining"}])
    );
    // Another tenant does not see it.
    let theirs = s.get(&format!("{path}history/"), Some(&other)).await;
    assert_eq!(theirs.status, 404);

    // Deleting the organization deletes the certificate; its history says so, and who.
    let deleted = s
        .delete(&format!("/api/organizations/{muster}/"), Some(&token))
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(s.get(&path, Some(&token)).await.status, 404);
    let history = s.get(&format!("{path}history/"), Some(&token)).await.body;
    assert_eq!(history["count"], 5, "{history}");
    assert_eq!(history["results"][0]["action"], "deleted");
    assert_eq!(history["results"][0]["by"]["kind"], "user");
    assert_eq!(
        s.get(&format!("{path}history/"), Some(&other)).await.status,
        404
    );
}
