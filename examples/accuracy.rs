//! `cargo run --release --example accuracy [-- --details]`: bulk upload's reading and
//! matching, measured on the labelled corpus (`certwatch-corpus`, written from its seed):
//! each document read as the worker reads it, matched against the corpus' suppliers
//! through the store's index, and decided as the server decides. Prints, for the tuning
//! half and the held-out half, the totals and tables by language, layout, scan or text,
//! supplier or stranger, and how the name was printed. `--details` lists what went wrong
//! on the tuning half only: the held-out half is for measuring, not for reading.

use std::collections::BTreeMap;
use std::sync::Mutex;

use certwatch_corpus::{Doc, Half, SEED, SIZE};
use certwatch_domain::bulk::{Extracted, ItemStatus, Read, decide};
use certwatch_domain::matching::{Evidence, Resolution};
use certwatch_domain::names::fold;
use certwatch_domain::registry::Organization;
use certwatch_ingest::Limits;
use certwatch_ingest::document::{Ocr, read_document};
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
            "| {name} | {} | {} | {} | {} ({}) | {} ({}) | {} |",
            self.docs,
            self.strangers,
            self.wrong,
            pct(self.supplier_text_auto, self.supplier_text),
            self.supplier_text,
            pct(self.supplier_scans_auto, self.supplier_scans),
            self.supplier_scans,
            pct(self.fields_right, self.fields),
        )
    }
}

const HEADER: &str = "| class | documents | strangers | wrong automatic matches | text PDFs of suppliers filed automatically (n) | scans of suppliers filed automatically (n) | fields right on automatic matches |\n|---|---|---|---|---|---|---|";

/// Reads one document as the worker does, matches it as the server does, and says how it
/// went.
fn outcome(
    doc: Doc,
    catalog: &SharedCatalog,
    names: &BTreeMap<Uuid, String>,
    ocr: &Ocr,
) -> Outcome {
    let content_type = check_file(&doc.file, &doc.bytes, doc.bytes.len() as u64)
        .expect("a corpus file is accepted");
    let scratch = tempfile::tempdir().expect("a scratch directory");
    // The reader in process: the accuracy of the reading is measured here,
    // its isolation by the tests.
    let read = read_document(
        &doc.bytes,
        content_type,
        &scratch.path().join("work"),
        ocr,
        &Limits::default(),
    );
    let mut notes = Vec::new();
    let (status, filed_under, right) = match read {
        Read::Fields(ex) => {
            let resolution = catalog.read().resolve_supplier(&Evidence::of(&ex));
            let (status, reason) = decide(&ex, &resolution);
            notes.extend(reason);
            let filed = match &resolution {
                Resolution::Matched { id, .. } if status == ItemStatus::Matched => {
                    names.get(id).cloned()
                }
                _ => None,
            };
            let right = fields_right(&ex, &doc, &mut notes);
            notes.push(format!(
                "read company {:?}",
                ex.company_name.as_ref().map(|f| &f.value)
            ));
            (status, filed, right)
        }
        Read::Review(why) => {
            notes.push(why);
            (ItemStatus::NeedsReview, None, 0)
        }
        Read::Failed(why) => {
            notes.push(why);
            (ItemStatus::Failed, None, 0)
        }
    };
    Outcome {
        doc,
        status,
        filed_under,
        fields_right: right,
        notes,
    }
}

/// The tables of each half, and what went wrong on the tuning half with `details`.
fn report(outcomes: &[Outcome], details: bool) {
    for half in [Half::Tuning, Half::HeldOut] {
        let part: Vec<&Outcome> = outcomes.iter().filter(|o| o.doc.half == half).collect();
        println!("\n## {half:?} half ({} documents)", part.len());
        table("### All", &part, |_| "all".into());
        table("### By language", &part, |d| d.class.language.code().into());
        table("### By layout", &part, |d| format!("{:?}", d.class.layout));
        table("### Scan or text", &part, |d| {
            if d.class.scan { "scan" } else { "text PDF" }.into()
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
        if details && half == Half::Tuning {
            println!("\n### Tuning-half documents not filed right\n");
            for o in &part {
                let right_org = o.filed_under.as_deref() == o.doc.label.organization;
                let auto = o.status == ItemStatus::Matched;
                let missed = !o.doc.class.stranger && !auto;
                if (auto && !right_org) || missed || (auto && o.fields_right < 6) {
                    println!(
                        "- {} [{:?}] truth {:?}, filed under {:?}: {}",
                        o.doc.file,
                        o.status,
                        o.doc.label.organization,
                        o.filed_under,
                        o.notes.join("; ")
                    );
                }
            }
        }
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

fn fields_right(ex: &Extracted, doc: &Doc, notes: &mut Vec<String>) -> usize {
    let l = &doc.label;
    let text = |f: &Option<certwatch_domain::bulk::Field<String>>| {
        f.as_ref().map(|f| f.value.clone()).unwrap_or_default()
    };
    let checks = [
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
            text(&ex.certificate_number),
        ),
        (
            "issuing_body",
            same_text(&text(&ex.issuing_body), l.issuing_body),
            text(&ex.issuing_body),
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
    ];
    let mut right = 1; // the organization, on a right match
    for (field, ok, got) in checks {
        if ok {
            right += 1;
        } else {
            notes.push(format!("{field}: read {got:?}"));
        }
    }
    right
}

fn main() {
    let details = std::env::args().any(|a| a == "--details");
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
    let ocr = Ocr::probe("tesseract");
    let next = Mutex::new(0usize);
    let outcomes = Mutex::new(Vec::new());
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
                    let doc = certwatch_corpus::document(SEED, index);
                    let outcome = outcome(doc, &catalog, &names, &ocr);
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by_key(|o| o.doc.index);
    report(&outcomes, details);
}
