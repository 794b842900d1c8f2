//! `cargo bench -p certwatch-store --bench matching`: matching documents to suppliers in a
//! tenant of 100,000. The suppliers are saved through the store (so the catalog's supplier
//! index is built as the server builds it, on first use); then documents are resolved as
//! bulk upload resolves them: by VAT id, by an exact name, by a name printed differently,
//! and look-alikes that must not match. Reported: the index build, and documents matched
//! per second with the mean and slowest resolution.

use std::time::{Duration, Instant};

use certwatch_domain::matching::{Evidence, Resolution};
use certwatch_domain::names::{CompanyName, VatId};
use certwatch_domain::registry::Organization;
use certwatch_store::Store;
use certwatch_store::ops::organizations;
use chrono::Utc;
use uuid::Uuid;

const SUPPLIERS: usize = 100_000;
const DOCUMENTS: usize = 2_000;

const FIRST: &[&str] = &[
    "Muster", "Nordic", "Alpen", "Baltic", "Rhein", "Iberia", "Atlas", "Delta", "Polar", "Vector",
    "Hansa", "Lumen", "Orion", "Kappa", "Sigma", "Terra", "Aqua", "Ferro", "Astra", "Nova",
];
const SECOND: &[&str] = &[
    "Metall",
    "Plastik",
    "Stahl",
    "Guss",
    "Technik",
    "Antriebe",
    "Fasteners",
    "Castings",
    "Precision",
    "Coatings",
    "Moulding",
    "Hydraulik",
    "Elektro",
    "Optik",
    "Logistik",
    "Werkzeug",
    "Pumpen",
    "Valves",
    "Springs",
    "Bearings",
];
const FORMS: &[&str] = &[
    "GmbH", "AG", "Ltd", "S.A.", "B.V.", "AB", "S.r.l.", "Inc", "Oy", "a.s.",
];

/// Supplier `i`: two stem words, a distinct code word, a legal form.
fn name(i: usize) -> String {
    format!(
        "{} {} {} {}",
        FIRST[i % FIRST.len()],
        SECOND[(i / FIRST.len()) % SECOND.len()],
        format_args!("W{:05}", i / 7),
        FORMS[i % FORMS.len()]
    )
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let _guard = rt.enter();
    let store = Store::open(dir.path()).unwrap();
    let tenant = Uuid::new_v4();
    let mut ids = Vec::with_capacity(SUPPLIERS);
    for i in 0..SUPPLIERS {
        let mut org = Organization::new(tenant, Utc::now());
        org.id = Uuid::new_v4();
        org.name = name(i);
        if i % 3 == 0 {
            org.vat = Some(format!("DE{:09}", 100_000_000 + i));
        }
        organizations::save(&store, &org).unwrap();
        ids.push(org.id);
    }
    // A fresh store object: the catalog is built from sled on first use, as after a restart.
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let started = Instant::now();
    let catalog = store.catalog(tenant).unwrap();
    let build = started.elapsed();

    let mut slowest = Duration::ZERO;
    let (mut right, mut strangers_refused) = (0, 0);
    let started = Instant::now();
    for d in 0..DOCUMENTS {
        let i = (d * 7919) % SUPPLIERS;
        let (evidence, expected) = match d % 4 {
            0 => (
                Evidence {
                    vat: VatId::parse(&format!("DE {:09}", 100_000_000 + i - i % 3)),
                    ..Default::default()
                },
                Some(ids[i - i % 3]),
            ),
            1 => (
                Evidence {
                    name: Some(CompanyName::parse(&name(i))),
                    ..Default::default()
                },
                Some(ids[i]),
            ),
            2 => (
                Evidence {
                    name: Some(CompanyName::parse(&name(i).to_uppercase())),
                    ..Default::default()
                },
                Some(ids[i]),
            ),
            _ => (
                Evidence {
                    name: Some(CompanyName::parse(&format!("{} Holding", name(i)))),
                    ..Default::default()
                },
                None,
            ),
        };
        let one = Instant::now();
        let resolution = catalog.read().resolve_supplier(&evidence);
        slowest = slowest.max(one.elapsed());
        match (resolution, expected) {
            (Resolution::Matched { id, .. }, Some(want)) if id == want => right += 1,
            (Resolution::Unmatched(_), None) => strangers_refused += 1,
            (other, want) => panic!("document {d}: {other:?}, expected {want:?}"),
        }
    }
    let elapsed = started.elapsed();
    println!("suppliers: {SUPPLIERS}; supplier index built from sled in {build:.2?}");
    println!(
        "{DOCUMENTS} documents resolved in {elapsed:.2?}: {:.0} per second, mean {:.0} µs, slowest {:.2?}",
        DOCUMENTS as f64 / elapsed.as_secs_f64(),
        elapsed.as_micros() as f64 / DOCUMENTS as f64,
        slowest
    );
    println!("{right} matched right, {strangers_refused} look-alikes refused, none wrong");
}
