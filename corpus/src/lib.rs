//! A labelled corpus of certificate documents, written on demand from a seed: ten
//! languages, eleven layouts, text PDFs and degraded scans, suppliers' names printed in
//! several ways, and look-alike companies that are not registered. Split once, by a fixed
//! hash of each document's index, into a tuning half and a held-out half.
//!
//! `documents(seed, range)` writes the documents of `range`, so a test can take a few and
//! the accuracy command all of them, each document the same every time.

pub mod bodies;
pub mod lang;
pub mod layouts;
pub mod pdf;
mod rng;
pub mod scan;
pub mod suppliers;

use chrono::{Duration, NaiveDate};

pub use crate::rng::Rng;

use crate::bodies::BODIES;
use crate::lang::{LANGUAGES, Language};
use crate::layouts::{Content, LAYOUTS, Layout};
use crate::suppliers::{Company, LEIS, STRANGERS, SUPPLIERS, VARIANTS, Variant, printed};

/// The corpus' documents, as the accuracy command and the tests use them.
pub const SIZE: usize = 330;
pub const SEED: u64 = 20_261_202;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Half {
    Tuning,
    HeldOut,
}

/// The half document `index` belongs to: fixed once, by a hash of the index alone.
pub fn half(index: usize) -> Half {
    if Rng::new(0xC0FF_EE00 ^ index as u64).next_u64() & 1 == 0 {
        Half::Tuning
    } else {
        Half::HeldOut
    }
}

/// What is true of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// The registered supplier it belongs to; `None` for a company that is not registered.
    pub organization: Option<&'static str>,
    pub certificate_type_code: String,
    /// Further standards the same certificate covers.
    pub other_types: Vec<String>,
    pub certificate_number: String,
    pub issuing_body: &'static str,
    /// The certified company's name as the document prints it.
    pub company_printed: String,
    pub issue_date: NaiveDate,
    pub expiry_date: NaiveDate,
}

/// The classes accuracy is reported by.
#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    pub language: Language,
    pub layout: Layout,
    pub scan: bool,
    /// A scan sent as a PDF of page images (else an image file of the certificate page).
    pub scanned_pdf: bool,
    pub stranger: bool,
    pub variant: Variant,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub index: usize,
    pub file: String,
    pub bytes: Vec<u8>,
    pub label: Label,
    pub class: Class,
    pub half: Half,
}

const STANDARDS: &[(&str, &str)] = &[
    ("ISO_9001", "ISO 9001:2015"),
    ("ISO_14001", "ISO 14001:2015"),
    ("ISO_45001", "ISO 45001:2018"),
    ("ISO_50001", "ISO 50001:2018"),
    ("IATF_16949", "IATF 16949:2016"),
];

/// The suppliers a tenant registers to be matched against.
pub fn registry() -> &'static [Company] {
    SUPPLIERS
}

/// The LEI a supplier's documents print, if any.
pub fn lei_of(name: &str) -> Option<&'static str> {
    LEIS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

/// Documents `range` of the corpus of `seed`.
pub fn documents(seed: u64, range: std::ops::Range<usize>) -> Vec<Doc> {
    range.map(|i| document(seed, i)).collect()
}

/// Document `index`: its language and layout cycle so every pair occurs; the rest is
/// drawn from a generator seeded by the corpus seed and the index.
pub fn document(seed: u64, index: usize) -> Doc {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003) ^ index as u64);
    let language = LANGUAGES[index % LANGUAGES.len()];
    let layout = LAYOUTS[(index / LANGUAGES.len()) % LAYOUTS.len()];
    let (company, stranger) = company_for(language, &mut rng);
    // A company's certificate prints its legal name: a supplier's may differ from how the
    // registry spells it, but a stranger that drops its legal form cannot be told from a
    // supplier of that name by its name (only by identifiers), so strangers keep theirs.
    let variant = if stranger {
        *rng.pick(&VARIANTS[..4])
    } else {
        *rng.pick(&VARIANTS)
    };
    let body = rng.pick(BODIES);
    let number = bodies::number(body, &mut rng);
    let standards = standards_for(layout, &mut rng);
    let code = standards[0].0;
    let issue = NaiveDate::from_ymd_opt(2023, 1, 1).expect("a date")
        + Duration::days(rng.below(1_250) as i64);
    let expiry = issue + Duration::days(3 * 365 - 1);
    let audit = issue - Duration::days(7 + rng.below(40) as i64);
    let long = rng.chance(0.4);
    let w = language.words();
    let identifiers = identifiers_of(company, &mut rng);
    let name = printed(company.name, variant, &mut rng);
    let content = Content {
        language,
        body_letterhead: body.letterhead.to_string(),
        body_address: body.address.to_string(),
        body_phone: body.phone.to_string(),
        accreditation: body.accreditation.to_string(),
        company: name,
        address: company.address.to_string(),
        identifiers,
        standards: standards.iter().map(|(_, s)| s.to_string()).collect(),
        number: number.clone(),
        issued: language.date(issue, long),
        expires: language.date(expiry, long),
        audit: format!("{}: {}", w.audit, language.date(audit, long)),
        sister: format!(
            "{} Logistik GmbH",
            company.name.split(' ').next().unwrap_or("Group")
        ),
    };
    let (pages, cert_page) = layouts::pages(layout, &content);
    let pdf = pdf::write(&pages);
    let scan = rng.chance(0.35);
    // Half the scans come as a scanner sends them: every page an image in a PDF.
    let scanned_pdf = scan && rng.chance(0.5);
    let (file, bytes) = if scanned_pdf {
        let scanner = scan::Scanner::random(&mut rng);
        let images: Vec<Vec<u8>> = (1..=pages.len())
            .map(|page| scan::scan(&pdf, page, &scanner, &mut rng))
            .collect();
        (
            format!("{index:03}-{}-{layout:?}-scan.pdf", language.code()).to_lowercase(),
            pdf::scanned(&images, scanner.dpi),
        )
    } else if scan {
        let scanner = scan::Scanner::random(&mut rng);
        (
            format!("{index:03}-{}-{layout:?}.jpg", language.code()).to_lowercase(),
            scan::scan(&pdf, cert_page, &scanner, &mut rng),
        )
    } else {
        (
            format!("{index:03}-{}-{layout:?}.pdf", language.code()).to_lowercase(),
            pdf,
        )
    };
    Doc {
        index,
        file,
        bytes,
        label: Label {
            organization: (!stranger).then_some(company.name),
            certificate_type_code: code.to_string(),
            other_types: standards[1..].iter().map(|(c, _)| c.to_string()).collect(),
            certificate_number: number,
            issuing_body: body.filed,
            company_printed: content.company.clone(),
            issue_date: issue,
            expiry_date: expiry,
        },
        class: Class {
            language,
            layout,
            scan,
            scanned_pdf,
            stranger,
            variant,
        },
        half: half(index),
    }
}

/// Whose certificate it is: a stranger to the registry (about one in five), or mostly a
/// supplier writing in the document's language, as certificates are.
fn company_for(language: Language, rng: &mut Rng) -> (&'static Company, bool) {
    let stranger = rng.chance(0.22);
    if stranger {
        return (rng.pick(STRANGERS), true);
    }
    let local: Vec<&Company> = SUPPLIERS
        .iter()
        .filter(|c| c.language == language)
        .collect();
    if !local.is_empty() && rng.chance(0.7) {
        (local[rng.below(local.len())], false)
    } else {
        (rng.pick(SUPPLIERS), false)
    }
}

/// The standards the certificate names (code, as printed): one, or two on a combined one.
fn standards_for(layout: Layout, rng: &mut Rng) -> Vec<(&'static str, &'static str)> {
    let (code, standard) = *rng.pick(STANDARDS);
    let mut standards = vec![(code, standard)];
    if layout == Layout::Combined {
        let second = if code == "IATF_16949" {
            ("ISO_9001", "ISO 9001:2015")
        } else {
            *rng.pick(&STANDARDS[..4])
        };
        if second.0 != code {
            standards.push(second);
        }
    }
    standards
}

/// The identifiers the certificate prints beside the name, each on about 60 % of them.
fn identifiers_of(company: &Company, rng: &mut Rng) -> Vec<String> {
    let mut identifiers = Vec::new();
    if let Some(vat) = company.vat
        && rng.chance(0.6)
    {
        identifiers.push(format!("VAT ID: {vat}"));
    }
    if let Some(site) = company.website
        && rng.chance(0.6)
    {
        identifiers.push(site.trim_start_matches("https://").to_string());
    }
    if let Some(lei) = lei_of(company.name)
        && rng.chance(0.6)
    {
        identifiers.push(format!("LEI: {lei}"));
    }
    // Turkish letterheads print the tax number (ten digits, no country prefix).
    if company.language == Language::Tr && rng.chance(0.6) {
        let digits: String = (0..10)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        identifiers.push(format!("Vergi No: {digits}"));
    }
    identifiers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_the_same_every_time_and_splits_in_halves() {
        let a = document(SEED, 7);
        let b = document(SEED, 7);
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.label, b.label);
        let tuning = (0..SIZE).filter(|i| half(*i) == Half::Tuning).count();
        for (_, lei) in LEIS {
            assert!(
                certwatch_domain::rules::lei(lei).is_some(),
                "{lei} has wrong check digits"
            );
        }
        assert!((SIZE * 2 / 5..SIZE * 3 / 5).contains(&tuning), "{tuning}");
    }
}
