//! POST /api/imports/upload/ with real CSV, XLSX (rust_xlsxwriter) and XLS (Python xlwt)
//! files, against the real server.

mod common;

use common::Server;
use common::receiver;
use serde_json::{Value, json};

async fn upload(s: &Server, token: &str, filename: &str, bytes: Vec<u8>) -> common::Answer {
    s.upload(
        "/api/imports/upload/",
        token,
        "file",
        vec![(filename, bytes)],
    )
    .await
}

fn counts(body: &Value) -> [u64; 4] {
    [
        "organizations_created",
        "organizations_updated",
        "certificate_types_created",
        "certificate_types_updated",
    ]
    .map(|k| body[k].as_u64().unwrap_or_else(|| panic!("{k} in {body}")))
}

const CSV: &str = "external_id,name,website,lei,vat,country,certificate_type_code,certificate_type_name
ORG-001,Acme Corp,https://acme.example,5493001KJTIIGC8Y1R12,DE123456789,DE,ISO_9001,ISO 9001:2015 Quality management
ORG-002,Bolt AG,,,,AT,FSSC_22000,FSSC 22000
ORG-003,Cobalt Ltd,https://cobalt.example,,,GB,,
ORG-004,Delta,,,,XX,,
ORG-005,,,,,DE,,
";

#[tokio::test]
async fn csv_rows_are_upserted_with_row_errors_and_reimport_changes_nothing() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("a@one.example", "One").await;
    let r = upload(&s, &token, "suppliers.csv", CSV.as_bytes().to_vec()).await;
    assert_eq!(r.status, 207, "{:?}", r.body);
    assert_eq!(
        counts(&r.body),
        [3, 0, 1, 0],
        "ISO_9001 exists with that name; FSSC_22000 is new"
    );
    assert_eq!(
        r.body["discovery_triggered"], 2,
        "the two new organizations with a website"
    );
    assert_eq!(
        r.body["errors"],
        json!([
            {"row": 5, "column": "country", "error": "Enter an ISO 3166-1 alpha-2 country code like DE."},
            {"row": 6, "column": "name", "error": "This field is required."},
        ])
    );
    let orgs = s
        .get("/api/organizations/?ordering=external_id", Some(&token))
        .await
        .body;
    assert_eq!(orgs["count"], 3);
    assert_eq!(orgs["results"][0]["lei"], "5493001KJTIIGC8Y1R12");
    assert_eq!(orgs["results"][1]["country"], "AT");
    let types = s
        .get("/api/certificates/types/?page_size=100", Some(&token))
        .await
        .body;
    assert!(
        types["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "FSSC_22000" && t["name"] == "FSSC 22000")
    );

    // The same file again: nothing changes, nothing is counted.
    let again = upload(&s, &token, "suppliers.csv", CSV.as_bytes().to_vec()).await;
    assert_eq!(counts(&again.body), [0, 0, 0, 0]);
    assert_eq!(again.body["discovery_triggered"], 0);
    assert_eq!(
        s.get("/api/organizations/", Some(&token)).await.body["count"],
        3
    );
    // One changed cell: one update.
    let changed = CSV
        .replace("Bolt AG", "Bolt AG & Co. KG")
        .replace("FSSC 22000\n", "FSSC 22000 v6\n");
    let r = upload(&s, &token, "suppliers.csv", changed.into_bytes()).await;
    assert_eq!(counts(&r.body), [0, 1, 0, 1]);
}

/// Discovery started by an import really crawls the new supplier's website.
#[tokio::test]
async fn imported_websites_are_crawled_for_certificate_pages() {
    use common::site::{Resource, Site};
    let site = Site::start().await;
    site.serve(
        "/",
        Resource::html(r#"<a href="/zertifikate">Zertifikate</a>"#),
    );
    site.serve(
        "/zertifikate",
        Resource::html("<h1>Zertifikate</h1><p>ISO 9001:2015 Zertifikat-Nr. Q-1, gültig bis 01.02.2099</p><p>IATF 16949 Zertifikat-Nr. A-2</p>"),
    );
    let s = Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]);
    let (token, _) = s.signup("a@one.example", "One").await;
    let csv = format!(
        "external_id,name,website\nS-1,Supplier,{}/\nS-2,No Site,\n",
        site.base
    );
    let r = upload(&s, &token, "s.csv", csv.into_bytes()).await;
    assert_eq!(
        (r.status.as_u16(), &r.body["discovery_triggered"]),
        (200, &json!(1))
    );
    let found = common::eventually("the discovered endpoint", async || {
        let list = s.get("/api/monitoring/endpoints/", Some(&token)).await.body;
        (list["count"] == 1).then_some(list)
    })
    .await;
    assert_eq!(found["results"][0]["url"], site.url("/zertifikate"));
    assert_eq!(found["results"][0]["organization_name"], "Supplier");
}

#[tokio::test]
async fn european_csv_with_bom_semicolons_and_german_headers() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("a@one.example", "One").await;
    let csv = "\u{feff}Lieferantennummer;Firma;Land;Webseite\r\nL-1;\"Müller; Söhne GmbH\";DE;https://mueller.example\r\nL-2;Über AG;CH;\r\n";
    let r = upload(&s, &token, "lieferanten.CSV", csv.as_bytes().to_vec()).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(counts(&r.body), [2, 0, 0, 0]);
    assert_eq!(r.body["errors"], json!([]));
    let hit = s
        .get("/api/organizations/?search=m%C3%BCller", Some(&token))
        .await
        .body;
    assert_eq!(hit["results"][0]["name"], "Müller; Söhne GmbH");
    assert_eq!(hit["results"][0]["external_id"], "L-1");
}

#[tokio::test]
async fn xlsx_written_by_rust_xlsxwriter() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("a@one.example", "One").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["Supplier ID", "Company", "Country", "LEI"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_number(1, 0, 1001.0).unwrap();
    sheet.write_string(1, 1, "Numeric Id GmbH").unwrap();
    sheet.write_string(1, 2, "de").unwrap();
    sheet.write_string(2, 0, "S-2").unwrap();
    sheet.write_string(2, 1, "Bad Lei SA").unwrap();
    sheet.write_string(2, 3, "123").unwrap();
    let bytes = book.save_to_buffer().unwrap();

    let r = upload(&s, &token, "suppliers.xlsx", bytes.clone()).await;
    assert_eq!(r.status, 207, "{:?}", r.body);
    assert_eq!(counts(&r.body), [1, 0, 0, 0]);
    assert_eq!(r.body["errors"][0]["row"], 3);
    assert_eq!(r.body["errors"][0]["column"], "lei");
    let org = &s.get("/api/organizations/", Some(&token)).await.body["results"][0];
    assert_eq!(
        (org["external_id"].as_str(), org["country"].as_str()),
        (Some("1001"), Some("DE")),
        "a number cell is its digits"
    );

    // An xlsx that is really a CSV, or a CSV that is really an xlsx: refused, nothing written.
    let fake = upload(&s, &token, "fake.xlsx", CSV.as_bytes().to_vec()).await;
    assert_eq!(fake.status, 400);
    assert!(fake.body["file"][0].as_str().unwrap().contains(".xlsx"));
    assert_eq!(upload(&s, &token, "fake.csv", bytes).await.status, 400);
    assert_eq!(
        s.get("/api/organizations/", Some(&token)).await.body["count"],
        1
    );
}

#[tokio::test]
async fn xls_written_by_python_xlwt() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("a@one.example", "One").await;
    let path = s.data_dir.with_file_name("suppliers.xls");
    let script = format!(
        "import xlwt\nb = xlwt.Workbook()\nw = b.add_sheet('Suppliers')\n\
         rows = [['external_id', 'name', 'country', 'certificate_type_code'], ['X-1', 'Legacy Works', 'FR', 'ISO_14001'], ['X-2', 'Old Mill', 'IT', 'BRC_FOOD']]\n\
         [w.write(r, c, v) for r, row in enumerate(rows) for c, v in enumerate(row)]\nb.save({:?})\n",
        path.to_str().unwrap()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "xlwt (pip install xlwt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&path).unwrap();
    let r = upload(&s, &token, "suppliers.xls", bytes).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // ISO_14001 exists and no name column says otherwise: it keeps its name. BRC_FOOD is new.
    assert_eq!(counts(&r.body), [2, 0, 1, 0]);
    assert_eq!(
        s.get("/api/organizations/?country=FR", Some(&token))
            .await
            .body["results"][0]["name"],
        "Legacy Works"
    );
    let types = s
        .get("/api/certificates/types/?page_size=100", Some(&token))
        .await
        .body;
    assert!(
        types["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == "BRC_FOOD" && t["name"] == "BRC FOOD")
    );
}

#[tokio::test]
async fn unusable_uploads_are_refused() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("a@one.example", "One").await;
    // A row of empty cells is a blank line; the others all fail.
    let none = upload(
        &s,
        &token,
        "all-bad.csv",
        b"external_id,name\n,\n,Acme\nE-2,\n".to_vec(),
    )
    .await;
    assert_eq!(none.status, 400);
    assert_eq!(
        none.body["errors"],
        json!([
            {"row": 3, "column": "external_id", "error": "This field is required."},
            {"row": 4, "column": "name", "error": "This field is required."},
        ])
    );
    let header = upload(&s, &token, "h.csv", b"id,street\n1,Main St\n".to_vec()).await;
    assert_eq!(header.status, 400);
    assert!(header.body["file"][0].as_str().unwrap().contains("name"));
    assert_eq!(
        upload(&s, &token, "doc.pdf", b"%PDF-1.4".to_vec())
            .await
            .status,
        400
    );
    assert_eq!(
        upload(&s, &token, "empty.csv", Vec::new()).await.status,
        400
    );
    let wrong_field = reqwest::multipart::Form::new().part(
        "upload",
        reqwest::multipart::Part::bytes(CSV.as_bytes().to_vec()).file_name("x.csv"),
    );
    let r = s
        .http
        .post(format!("{}/api/imports/upload/", s.base))
        .header("Authorization", format!("Token {token}"))
        .multipart(wrong_field)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let json_body = s
        .post("/api/imports/upload/", Some(&token), json!({"file": "x"}))
        .await;
    assert_eq!(json_body.status, 400);
    assert!(
        json_body.body["error"]
            .as_str()
            .unwrap()
            .contains("multipart")
    );
    let anonymous = s
        .http
        .post(format!("{}/api/imports/upload/", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status(),
        401,
        "who is asking comes before what was sent"
    );
    assert_eq!(
        s.get("/api/organizations/", Some(&token)).await.body["count"],
        0
    );
}

#[tokio::test]
async fn an_import_announces_itself_by_webhook() {
    let s = Server::start(&[("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true")]);
    let (token, _) = s.signup("a@one.example", "One").await;
    let rx = receiver::subscribed(&s, &token, json!(["import.completed"])).await;
    upload(&s, &token, "suppliers.csv", CSV.as_bytes().to_vec()).await;
    let got = rx.wait_for(1).await;
    assert_eq!(got[0].body["type"], "import.completed");
    let data = &got[0].body["data"];
    assert_eq!(
        (
            data["organizations_created"].as_u64(),
            data["rows_imported"].as_u64(),
            data["rows_failed"].as_u64()
        ),
        (Some(3), Some(3), Some(2))
    );
}
