//! Hostile spreadsheets: bombs, absurd sizes, broken parts.

use super::*;

fn xlsx_with(parts: &[(&str, &[u8])], big_part: Option<(&str, u64)>) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        for (name, body) in parts {
            zip.start_file(*name, opts).unwrap();
            zip.write_all(body).unwrap();
        }
        if let Some((name, size)) = big_part {
            zip.start_file(name, opts).unwrap();
            let row = b"<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>";
            let mut written = 0u64;
            while written < size {
                zip.write_all(row).unwrap();
                written += row.len() as u64;
            }
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

#[tokio::test]
async fn hostile_spreadsheets_are_refused_with_their_reason() {
    let s = server(&[]);
    let (token, _) = s.signup("q@attacker.example", "Attacker").await;
    let (other, _) = s.signup("q@bystander.example", "Bystander").await;
    let refused = async |name: &str, bytes: Vec<u8>, says: &str| {
        let r = import(&s, &token, name, bytes).await;
        assert_eq!(r.status, 400, "{name}: {:?}", r.body);
        let text = r.body.to_string();
        assert!(text.contains(says), "{name}: {text}");
    };

    // A 2 KB workbook whose shared strings declare four billion entries.
    let lying_count = xlsx_with(
        &[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", RELS),
            (
                "xl/sharedStrings.xml",
                br#"<?xml version="1.0"?><sst count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>"#,
            ),
            ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData/></worksheet>"),
        ],
        None,
    );
    assert!(lying_count.len() < 4096);
    refused("count.xlsx", lying_count, "more shared strings").await;

    // A sheet that unpacks past the part limit (16 MiB here).
    let big = xlsx_with(
        &[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", RELS),
        ],
        Some(("xl/worksheets/sheet1.xml", 40 << 20)),
    );
    assert!(big.len() < 2 << 20);
    refused("bomb.xlsx", big, "more than the 16 MiB read here").await;

    let mut truncated = xlsx_with(
        &[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("xl/workbook.xml", WORKBOOK),
        ],
        None,
    );
    truncated.truncate(truncated.len() / 2);
    refused("truncated.xlsx", truncated, "Not a readable .xlsx file").await;
    refused(
        "label.xls",
        b"external_id,name\n1,A\n".to_vec(),
        "does not contain",
    )
    .await;
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend(std::iter::repeat_n(0xFFu8, 4096));
    refused("corrupt.xls", ole, "Not a readable .xls file").await;

    // More rows than the limit (2,000 here): refused, not read on and on.
    let mut flood = b"external_id,name\n".to_vec();
    for i in 0..2500 {
        flood.extend_from_slice(format!("S-{i},Supplier {i}\n").as_bytes());
    }
    refused("flood.csv", flood, "more than 2000 rows").await;

    // A flood of bad rows: the first 50 errors listed, the rest counted.
    let mut bad = b"external_id,name,country\n".to_vec();
    for i in 0..500 {
        bad.extend_from_slice(format!("S-{i},Supplier {i},NOWHERE\n").as_bytes());
    }
    let r = import(&s, &token, "bad.csv", bad).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 50);
    assert_eq!(r.body["errors_not_listed"], 450);

    // Nothing was half-imported by any of them.
    let orgs = s.get("/api/organizations/", Some(&token)).await;
    assert_eq!(orgs.body["count"], 0, "{:?}", orgs.body);
    still_fine(&s, &other).await;
    quiet(s.pid(), LONG).await;
}
