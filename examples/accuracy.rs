//! `cargo run --release --example accuracy [-- --details]`: bulk upload's reading and
//! matching, measured on the labelled corpus (`certwatch-corpus`, written from its seed):
//! each document read as the worker reads it, matched against the corpus' suppliers
//! through the store's index, and decided as the server decides. Prints, for the tuning
//! half and the held-out half, the totals and tables by language, layout, scan or text,
//! supplier or stranger, and how the name was printed. `--details` lists what went wrong
//! on the tuning half only, with what each reading of a scan made of its values: the
//! held-out half is for measuring, not for reading. `--seed N` measures a corpus written
//! from another seed, a development set, and `--details` lists both its halves.
//!
//! The readings (before calibration) are kept in `target/accuracy-readings-SEED.json`;
//! `--reuse` decides from them instead of reading again, so a calibration or a decision
//! rule can be measured in seconds. A change to the reader needs a run without it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use certwatch_corpus::{Doc, Half, SEED, SIZE};
use certwatch_domain::bulk::{Extracted, ItemStatus, Read, decide};
use certwatch_domain::matching::{Evidence, Resolution};
use certwatch_domain::names::fold;
use certwatch_domain::registry::Organization;
use certwatch_ingest::Limits;
use certwatch_ingest::calibration;
use certwatch_ingest::document::{Ocr, readings as read};
use certwatch_ingest::second_reading::{Readings, confidences};
use certwatch_ingest::uploads::check_file;
use certwatch_store::Store;
use certwatch_store::catalog::SharedCatalog;
use certwatch_store::ops::organizations;
use chrono::Utc;
use uuid::Uuid;

/// What became of one document.
struct Outcome {
    doc: Doc,
    status: ItemStatus,
    /// The supplier it was filed under (automatic matches only).
    filed_under: Option<String>,
    /// Fields read right, of the six, on an automatic match.
    fields_right: usize,
    /// Each calibrated field read: its score, its confidence (calibrated), and whether it
    /// was right.
    fields: Vec<(&'static str, f32, f32, bool)>,
    /// Whether anything but a field's confidence kept it from being filed (no supplier
    /// matched, its type, number or expiry not read).
    held_otherwise: bool,
    /// The supplier matching resolved it to, filed or not.
    matched_to: Option<String>,
    notes: Vec<String>,
}

#[derive(Default)]
struct Tally {
    docs: usize,
    strangers: usize,
    wrong: usize,
    supplier_text: usize,
    supplier_text_auto: usize,
    supplier_scans: usize,
    supplier_scans_auto: usize,
    auto_right: usize,
    fields: usize,
    fields_right: usize,
}

impl Tally {
    fn add(&mut self, o: &Outcome) {
        self.docs += 1;
        let auto = o.status == ItemStatus::Matched;
        let right = auto && o.filed_under.as_deref() == o.doc.label.organization;
        if auto && !right {
            self.wrong += 1;
        }
        if o.doc.class.stranger {
            self.strangers += 1;
        } else if o.doc.class.scan {
            self.supplier_scans += 1;
            self.supplier_scans_auto += right as usize;
        } else {
            self.supplier_text += 1;
            self.supplier_text_auto += right as usize;
        }
        if right {
            self.auto_right += 1;
            self.fields += 6;
            self.fields_right += o.fields_right;
        }
    }

    fn row(&self, name: &str) -> String {
        let pct = |n: usize, d: usize| {
            if d == 0 {
                "–".to_string()
            } else {
                format!("{:.0} %", 100.0 * n as f64 / d as f64)
            }
        };
        format!(
            "| {name} | {} | {} | {} | {} ({}) | {} ({}) | {} ({} of {}) |",
            self.docs,
            self.strangers,
            self.wrong,
            pct(self.supplier_text_auto, self.supplier_text),
            self.supplier_text,
            pct(self.supplier_scans_auto, self.supplier_scans),
            self.supplier_scans,
            pct(self.fields_right, self.fields),
            self.fields_right,
            self.fields,
        )
    }
}

const HEADER: &str = "| class | documents | strangers | wrong automatic matches | text PDFs of suppliers filed automatically (n) | scans of suppliers filed automatically (n) | fields right on automatic matches (right of filed) |\n|---|---|---|---|---|---|---|";

/// Reads one document as the worker does, before calibration.
fn reading(doc: &Doc, ocr: &Ocr) -> Result<Readings, Read> {
    let content_type = check_file(&doc.file, &doc.bytes, doc.bytes.len() as u64)
        .expect("a corpus file is accepted");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    // The reader in process: the accuracy of the reading is measured here,
    // its isolation by the tests.
    read(
        &doc.bytes,
        content_type,
        &scratch.path().join("work"),
        ocr,
        &Limits::default(),
    )
}

/// Matches a document's reading as the server does, with its scores calibrated by
/// `table`, and says how it went.
fn outcome(
    doc: Doc,
    read: Result<Readings, Read>,
    table: &calibration::Table,
    catalog: &SharedCatalog,
    names: &BTreeMap<Uuid, String>,
) -> Outcome {
    let mut notes = Vec::new();
    let mut fields = Vec::new();
    let mut held_otherwise = true;
    let mut matched_to = None;
    let (status, filed_under, right) = match read {
        Ok(readings) => {
            // As the worker does: the reader's scores become confidences.
            let scored = scored(&readings.0, &doc);
            // What each reading made of the values filing most often waits on (after the
            // decision's reason, which the table of reasons counts).
            let mut seen = Vec::new();
            for ex in std::iter::once(&readings.0).chain(&readings.1) {
                seen.push(format!(
                    "reading: number {}, body {}, issued {}, expires {}",
                    shown(&ex.certificate_number),
                    shown(&ex.issuing_body),
                    shown(&ex.issue_date),
                    shown(&ex.expiry_date)
                ));
            }
            let ex = confidences(table, readings);
            let resolution = catalog.read().resolve_supplier(&Evidence::of(&ex));
            let (status, reason) = decide(&ex, &resolution);
            notes.extend(reason);
            notes.extend(seen);
            held_otherwise = !matches!(resolution, Resolution::Matched { .. })
                || ex.certificate_type_code.is_none()
                || ex.certificate_number.is_none()
                || ex.expiry_date.is_none();
            if let Resolution::Matched { id, .. } = &resolution {
                matched_to = names.get(id).cloned();
            }
            let filed = match &resolution {
                Resolution::Matched { id, .. } if status == ItemStatus::Matched => {
                    names.get(id).cloned()
                }
                _ => None,
            };
            let checks = field_checks(&ex, &doc);
            let right = 1 + checks
                .iter()
                .filter(|(field, ok, _)| *ok && *field != "company_name")
                .count();
            for (field, ok, got) in &checks {
                if !ok && *field != "company_name" {
                    notes.push(format!("{field}: read {got}"));
                }
            }
            for ((field, score, ok), (_, confidence)) in
                scored.into_iter().zip(calibration::scores(&ex))
            {
                fields.push((field, score, confidence, ok));
            }
            notes.push(format!(
                "read company {:?}",
                ex.company_name.as_ref().map(|f| &f.value)
            ));
            (status, filed, right)
        }
        Err(Read::Review(why)) => {
            notes.push(why);
            (ItemStatus::NeedsReview, None, 0)
        }
        Err(Read::Failed(why)) => {
            notes.push(why);
            (ItemStatus::Failed, None, 0)
        }
        Err(Read::Fields(_)) => unreachable!("readings are answered as readings"),
    };
    Outcome {
        doc,
        status,
        filed_under,
        fields_right: right,
        fields,
        held_otherwise,
        matched_to,
        notes,
    }
}

/// A value as one reading read it, with its score: `Q-1@0.93`, or `-`.
fn shown<T: std::fmt::Display>(field: &Option<certwatch_domain::reading::Field<T>>) -> String {
    field
        .as_ref()
        .map_or("-".into(), |f| format!("{}@{:.2}", f.value, f.confidence))
}

/// The tables of each half, and what went wrong on the tuning half with `details` (on a
/// development set, both halves).
fn report(outcomes: &[Outcome], details: bool, seed: u64) {
    for half in [Half::Tuning, Half::HeldOut] {
        let part: Vec<&Outcome> = outcomes.iter().filter(|o| o.doc.half == half).collect();
        println!("\n## {half:?} half ({} documents)", part.len());
        table("### All", &part, |_| "all".into());
        table("### By language", &part, |d| d.class.language.code().into());
        table("### By layout", &part, |d| format!("{:?}", d.class.layout));
        table("### Scan or text", &part, |d| {
            match (d.class.scan, d.class.scanned_pdf) {
                (true, true) => "scan, a PDF of page images",
                (true, false) => "scan, an image of the certificate",
                _ => "text PDF",
            }
            .into()
        });
        table("### Supplier or stranger", &part, |d| {
            if d.class.stranger {
                "stranger"
            } else {
                "supplier"
            }
            .into()
        });
        table("### How the name is printed", &part, |d| {
            format!("{:?}", d.class.variant)
        });
        reasons(&part);
        reliability(&part);
        if half == Half::Tuning {
            thresholds(&part);
            sweep(&part);
        }
        // A development set (`--seed`) is read whole: neither of its halves is measured.
        if details && (half == Half::Tuning || seed != SEED) {
            println!("\n### {half:?}-half documents not filed right\n");
            for o in &part {
                let right_org = o.filed_under.as_deref() == o.doc.label.organization;
                let auto = o.status == ItemStatus::Matched;
                let missed = !o.doc.class.stranger && !auto;
                if (auto && !right_org) || missed || (auto && o.fields_right < 6) {
                    let scores: Vec<String> = o
                        .fields
                        .iter()
                        .map(|(f, score, p, right)| {
                            let mark = if *right { "" } else { " wrong" };
                            format!("{f} {score:.2}→{p:.2}{mark}")
                        })
                        .collect();
                    println!(
                        "- {} [{:?}] truth {:?}, filed under {:?}: {} [{}]",
                        o.doc.file,
                        o.status,
                        o.doc.label.organization,
                        o.filed_under,
                        o.notes.join("; "),
                        scores.join(", ")
                    );
                }
            }
        }
    }
}

/// Why suppliers' documents were left for review, by the decision's reason (its words
/// before any supplier's name), counted: what to work on, without reading a held-out
/// document.
fn reasons(outcomes: &[&Outcome]) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes {
        if o.doc.class.stranger || o.status == ItemStatus::Matched {
            continue;
        }
        let why = o.notes.first().map_or("", String::as_str);
        let kind = why.split(": closest").next().unwrap_or(why);
        *counts.entry(kind.to_string()).or_default() += 1;
    }
    println!("\n### Suppliers' documents left for review, by reason\n");
    println!("| reason | documents |\n|---|---|");
    for (why, n) in counts {
        println!("| {why} | {n} |");
    }
}

fn table(title: &str, outcomes: &[&Outcome], class: impl Fn(&Doc) -> String) {
    let mut by: BTreeMap<String, Tally> = BTreeMap::new();
    for o in outcomes {
        by.entry(class(&o.doc)).or_default().add(o);
    }
    println!("\n{title}\n\n{HEADER}");
    for (name, t) in by {
        println!("{}", t.row(&name));
    }
}

fn same_text(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// Each calibrated field: whether it was read right, and what was read.
fn field_checks(ex: &Extracted, doc: &Doc) -> Vec<(&'static str, bool, String)> {
    let l = &doc.label;
    let text = |f: &Option<certwatch_domain::bulk::Field<String>>| {
        f.as_ref().map(|f| f.value.clone()).unwrap_or_default()
    };
    vec![
        (
            // A combined certificate's type is right when all its standards are.
            "certificate_type_code",
            text(&ex.certificate_type_code) == l.certificate_type_code
                && ex.other_standards == l.other_types,
            format!(
                "{} {:?}",
                text(&ex.certificate_type_code),
                ex.other_standards
            ),
        ),
        (
            "certificate_number",
            certwatch_domain::rules::number_identity(&text(&ex.certificate_number))
                == certwatch_domain::rules::number_identity(&l.certificate_number),
            format!(
                "{}, printed {}",
                text(&ex.certificate_number),
                l.certificate_number
            ),
        ),
        (
            "issuing_body",
            same_text(&text(&ex.issuing_body), l.issuing_body),
            format!("{}, printed {}", text(&ex.issuing_body), l.issuing_body),
        ),
        (
            "issue_date",
            ex.issue_date.as_ref().map(|f| f.value) == Some(l.issue_date),
            format!("{:?}", ex.issue_date.as_ref().map(|f| f.value)),
        ),
        (
            "expiry_date",
            ex.expiry_date.as_ref().map(|f| f.value) == Some(l.expiry_date),
            format!("{:?}", ex.expiry_date.as_ref().map(|f| f.value)),
        ),
        (
            // The name as the document prints it (matching reads past how it is printed).
            "company_name",
            same_text(&text(&ex.company_name), &l.company_printed),
            text(&ex.company_name),
        ),
    ]
}

/// Each calibrated field of a reading: its score and whether it was right.
fn scored(ex: &Extracted, doc: &Doc) -> Vec<(&'static str, f32, bool)> {
    let checks = field_checks(ex, doc);
    calibration::scores(ex)
        .into_iter()
        .map(|(field, score)| {
            let ok = checks.iter().any(|(f, ok, _)| *f == field && *ok);
            (field, score, ok)
        })
        .collect()
}

/// Bins of confidence a reliability table is drawn in.
const BINS: [f32; 7] = [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99];

/// For each field: in each bin of its confidence, how many values, their mean confidence,
/// and the share that was right.
fn reliability(outcomes: &[&Outcome]) {
    println!("\n### Reliability: each field's confidence against how often it was right\n");
    println!("| field | confidence | values | mean confidence | right |\n|---|---|---|---|---|");
    for field in calibration::FIELDS {
        for (i, low) in BINS.iter().enumerate() {
            let high = BINS.get(i + 1).copied().unwrap_or(1.01);
            let values: Vec<(f32, bool)> = outcomes
                .iter()
                .flat_map(|o| &o.fields)
                .filter(|(f, _, c, _)| *f == field && *c >= *low && *c < high)
                .map(|(_, _, c, ok)| (*c, *ok))
                .collect();
            if values.is_empty() {
                continue;
            }
            let n = values.len() as f32;
            let mean = values.iter().map(|(c, _)| c).sum::<f32>() / n;
            let right = values.iter().filter(|(_, ok)| *ok).count() as f32 / n;
            println!(
                "| {field} | {low:.2}–{} | {} | {mean:.3} | {right:.3} |",
                if high > 1.0 {
                    "1".to_string()
                } else {
                    format!("{high:.2}")
                },
                values.len()
            );
        }
    }
}

/// For each field, the least confidence at and above which its values were right 99 times
/// in 100 or more: the threshold that keeps what is filed right.
fn thresholds(outcomes: &[&Outcome]) {
    println!(
        "\n### Per field: the least confidence whose values at or above it were ≥ 99 % right\n"
    );
    println!("| field | threshold | values at or above | right |\n|---|---|---|---|");
    for field in calibration::FIELDS {
        let mut values: Vec<(f32, bool)> = outcomes
            .iter()
            .flat_map(|o| &o.fields)
            .filter(|(f, ..)| *f == field)
            .map(|(_, _, c, ok)| (*c, *ok))
            .collect();
        values.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut best = None;
        let (mut n, mut right) = (0, 0);
        for (i, (c, ok)) in values.iter().enumerate() {
            n += 1;
            right += usize::from(*ok);
            let last_of_its_value = values.get(i + 1).is_none_or(|next| next.0 < *c);
            if last_of_its_value && right as f32 >= 0.99 * n as f32 {
                best = Some((*c, n, right));
            }
        }
        match best {
            Some((c, n, right)) => println!("| {field} | {c:.3} | {n} | {right} |"),
            None => println!("| {field} | – | 0 | 0 |"),
        }
    }
}

/// What each threshold would file on these documents: suppliers' documents filed, wrong
/// matches, and fields right on what is filed.
fn sweep(outcomes: &[&Outcome]) {
    println!("\n### Thresholds: what one threshold on every field's confidence would file\n");
    println!(
        "| threshold | suppliers' documents filed | wrong matches | fields right on filed |\n|---|---|---|---|"
    );
    for t in [0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99] {
        let (mut suppliers, mut filed, mut wrong, mut fields, mut right) = (0, 0, 0, 0, 0);
        for o in outcomes {
            suppliers += usize::from(!o.doc.class.stranger);
            let auto = !o.held_otherwise && o.fields.iter().all(|(_, _, c, _)| *c >= t);
            if !auto {
                continue;
            }
            let right_supplier = o.matched_to.as_deref() == o.doc.label.organization;
            filed += usize::from(right_supplier);
            wrong += usize::from(!right_supplier);
            let checked: Vec<&(&str, f32, f32, bool)> =
                o.fields.iter().filter(|f| f.0 != "company_name").collect();
            fields += checked.len();
            right += checked.iter().filter(|f| f.3).count();
        }
        println!(
            "| {t:.2} | {:.0} % ({filed} of {suppliers}) | {wrong} | {:.1} % |",
            100.0 * filed as f32 / suppliers.max(1) as f32,
            100.0 * right as f32 / fields.max(1) as f32
        );
    }
}

/// Fits each field's calibration to the tuning half's readings (each reading of a scan
/// read more than once on its own) and writes the table the reader reads; returns it, to
/// measure with.
fn calibrate(readings: &[(Doc, Result<Readings, Read>)]) -> calibration::Table {
    let tuning: Vec<Vec<(&str, f32, bool)>> = readings
        .iter()
        .filter(|(doc, _)| doc.half == Half::Tuning)
        .filter_map(|(doc, read)| read.as_ref().ok().map(|r| (doc, r)))
        .flat_map(|(doc, (first, again))| {
            std::iter::once(first)
                .chain(again)
                .map(|ex| scored(ex, doc))
        })
        .collect();
    let table: calibration::Table = calibration::FIELDS
        .iter()
        .map(|field| {
            let samples: Vec<(f32, bool)> = tuning
                .iter()
                .flat_map(|fields| fields.iter())
                .filter(|(f, ..)| f == field)
                .map(|(_, score, ok)| (*score, *ok))
                .collect();
            (field.to_string(), calibration::fit(&samples))
        })
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ingest/data/calibration.tsv");
    let text = format!(
        "# What each field's score meant on the tuning half of the corpus (seed {SEED}): scores\n\
         # from `from` up to `upto` were right with probability `right` (Laplace-smoothed), on\n\
         # `n` values; below `from`, it falls to the step below (calibration.rs).\n\
         # Written by `cargo run --release --example accuracy -- --calibrate`.\n\
         # field\tfrom\tupto\tright\tn\n{}",
        calibration::table(&table)
    );
    std::fs::write(path, text).expect("the calibration table is written");
    println!("\nWrote {path}; measured above with it, build again to read with it.");
    table
}

/// `--seed N`: the corpus written from another seed — a development set, for finding what
/// goes wrong without reading either half of the measured one. Its calibration is refused.
fn seed() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
        .map_or(SEED, |n| n.parse().expect("--seed takes a number"))
}

fn main() {
    let details = std::env::args().any(|a| a == "--details");
    let seed = seed();
    assert!(
        seed == SEED || !std::env::args().any(|a| a == "--calibrate"),
        "the calibration is fitted on the measured corpus' tuning half only"
    );
    let dir = tempfile::tempdir().expect("a scratch directory");
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let _guard = rt.enter();
    let store = Store::open(&dir.path().join("store")).expect("the store opens");
    let tenant = Uuid::new_v4();
    let mut names = BTreeMap::new();
    for c in certwatch_corpus::registry() {
        let mut org = Organization::new(tenant, Utc::now());
        org.id = Uuid::new_v4();
        org.name = c.name.into();
        org.vat = c.vat.map(String::from);
        org.website = c.website.map(String::from);
        org.lei = certwatch_corpus::lei_of(c.name).map(String::from);
        organizations::save(&store, &org).expect("the supplier is saved");
        names.insert(org.id, c.name.to_string());
    }
    let catalog = store.catalog(tenant).expect("the catalog loads");
    let readings = readings(seed);
    let table = if std::env::args().any(|a| a == "--calibrate") {
        calibrate(&readings)
    } else {
        calibration::shipped().clone()
    };
    let outcomes: Vec<Outcome> = readings
        .into_iter()
        .map(|(doc, read)| outcome(doc, read, &table, &catalog, &names))
        .collect();
    report(&outcomes, details, seed);
}

/// Every document of the corpus from `seed` with its reading: read now (on every core), or
/// with `--reuse` as the last run kept them.
fn readings(seed: u64) -> Vec<(Doc, Result<Readings, Read>)> {
    let kept = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target"))
        .join(format!("accuracy-readings-{seed}.json"));
    if std::env::args().any(|a| a == "--reuse") {
        let json = std::fs::read(&kept).expect("a run without --reuse kept the readings");
        let reads: Vec<Result<Readings, Read>> =
            serde_json::from_slice(&json).expect("the kept readings parse");
        assert_eq!(reads.len(), SIZE, "the kept readings are of this corpus");
        return reads
            .into_iter()
            .enumerate()
            .map(|(index, read)| (certwatch_corpus::document(seed, index), read))
            .collect();
    }
    let ocr = Ocr::probe("tesseract");
    let next = Mutex::new(0usize);
    let done = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..std::thread::available_parallelism().map_or(2, |n| n.get()) {
            s.spawn(|| {
                loop {
                    let index = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    if index >= SIZE {
                        break;
                    }
                    let doc = certwatch_corpus::document(seed, index);
                    let read = reading(&doc, &ocr);
                    done.lock().unwrap().push((doc, read));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(doc, _)| doc.index);
    let reads: Vec<&Result<Readings, Read>> = done.iter().map(|(_, read)| read).collect();
    std::fs::write(
        &kept,
        serde_json::to_vec(&reads).expect("readings serialise"),
    )
    .expect("the readings are kept");
    done
}
