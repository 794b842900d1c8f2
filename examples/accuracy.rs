//! `cargo run --release --example accuracy`: runs bulk-upload extraction and matching on the
//! labelled corpus in `tests/corpus/` (see `examples/corpus.rs`) and prints per-field
//! accuracy and the auto-match, wrong-match, review and failure rates.

use std::path::Path;

use certwatch_actors::bulk::check_file;
use certwatch_ingest::Limits;
use certwatch_ingest::document::{Ocr, read_document};
use certwatch_store::bulk::{Extracted, Field, ItemStatus, Read, decide, match_organization};
use certwatch_store::registry::Organization;
use chrono::Utc;
use serde_json::Value;
use uuid::Uuid;

const FIELDS: [&str; 4] = [
    "certificate_type_code",
    "certificate_number",
    "issue_date",
    "expiry_date",
];

fn value(ex: &Extracted, field: &str) -> Option<String> {
    let text = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
    let date = |f: &Option<Field<chrono::NaiveDate>>| f.as_ref().map(|f| f.value.to_string());
    match field {
        "certificate_type_code" => text(&ex.certificate_type_code),
        "certificate_number" => text(&ex.certificate_number),
        "issue_date" => date(&ex.issue_date),
        _ => date(&ex.expiry_date),
    }
}

#[derive(Default)]
struct Tally {
    docs: usize,
    right: [usize; 4],
    auto: usize,
    wrong: usize,
    review: usize,
    failed: usize,
}

impl Tally {
    fn row(&self, name: &str) {
        let pct = |n: usize| 100.0 * n as f64 / self.docs.max(1) as f64;
        println!(
            "| {name} | {} | {:.0}% | {:.0}% | {:.0}% | {:.0}% | {:.0}% | {} | {:.0}% | {:.0}% |",
            self.docs,
            pct(self.right[0]),
            pct(self.right[1]),
            pct(self.right[2]),
            pct(self.right[3]),
            pct(self.auto),
            self.wrong,
            pct(self.review),
            pct(self.failed),
        );
    }
}

#[tokio::main]
async fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("labels.json")).unwrap()).unwrap();
    let orgs: Vec<Organization> = labels["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let mut org = Organization::new(Uuid::nil(), Utc::now());
            org.name = o["name"].as_str().unwrap().into();
            org.vat = o["vat"].as_str().map(String::from);
            org.website = o["website"].as_str().map(String::from);
            org
        })
        .collect();
    let ocr = Ocr::probe("tesseract");
    let name_of = |id: Uuid| orgs.iter().find(|o| o.id == id).map(|o| o.name.clone());
    let (mut text_pdfs, mut scans) = (Tally::default(), Tally::default());
    for doc in labels["documents"].as_array().unwrap() {
        let file = doc["file"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let content_type = check_file(file, &bytes, bytes.len() as u64).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        // The reader in process: the accuracy of the reading, not its isolation, is measured.
        let read = read_document(
            &bytes,
            content_type,
            &scratch.path().join("work"),
            &ocr,
            &Limits::default(),
        );
        let tally = if file.ends_with(".pdf") {
            &mut text_pdfs
        } else {
            &mut scans
        };
        tally.docs += 1;
        let ex = match read {
            Read::Fields(ex) => *ex,
            Read::Review(why) | Read::Failed(why) => {
                println!("{file}: not read: {why}");
                tally.failed += 1;
                continue;
            }
        };
        let mut wrong_fields = Vec::new();
        for (i, field) in FIELDS.iter().enumerate() {
            let got = value(&ex, field);
            if got.as_deref() == doc[field].as_str() {
                tally.right[i] += 1;
            } else {
                wrong_fields.push(format!("{field}: {got:?}"));
            }
        }
        let matched = match_organization(&ex, &orgs);
        let (status, _) = decide(&ex, matched.as_ref().map(|m| m.0));
        let matched_name = matched.as_ref().and_then(|m| name_of(m.0));
        let expected = doc["organization"].as_str().map(String::from);
        match status {
            ItemStatus::Matched if matched_name == expected => tally.auto += 1,
            ItemStatus::Matched => {
                tally.wrong += 1;
                println!("{file}: WRONG MATCH {matched_name:?}, expected {expected:?}");
            }
            ItemStatus::Failed => tally.failed += 1,
            _ => tally.review += 1,
        }
        if !wrong_fields.is_empty() {
            println!("{file}: {}", wrong_fields.join(", "));
        }
    }
    println!();
    println!(
        "| Documents | n | type | number | issue date | expiry date | auto-matched | wrong matches | review | failed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    text_pdfs.row("PDF with text layer");
    scans.row("scans (PNG/JPEG, OCR)");
}
