//! Certificate facts in text: which standard, the certificate number, the issuing body,
//! the scope and the validity dates, in the ways suppliers and certification bodies write
//! them (English, German, French, Spanish, Italian).
//!
//! These are the rules for text without labels (a sentence, a table row of bare values);
//! `fields` reads labelled values first and falls back on them.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use crate::dates::dates;

/// A standard named in the text: the type code it maps to and where it stands.
#[derive(Debug, Clone, PartialEq)]
struct StandardAt {
    code: String,
    start: usize,
}

/// A standard's name: "ISO" and its number as OCR may read them too ("1SO", "IS0", "!SO", a speck
/// between read as a dot or an apostrophe: "ISO.50001", "ISO’ 45001"; "IATF" losing its
/// thin "I").
static STANDARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\b(?:DIN\s+)?(?:EN\s+)?[I1l]|[|!])S[O0](?:\s*/\s*(?:IEC|TS))?[\s\-.,:;'’‘_]*(\d{4,5})\b|\b(?:[I1l|]?ATF[\s\-.,:;'’‘_]*(16949)\b|ISCC[\s\-]*(EU|PLUS)\b)",
    )
    .expect("valid regex")
});

/// Every standard the text names, in order.
fn standards(text: &str) -> Vec<StandardAt> {
    STANDARD
        .captures_iter(text)
        .filter_map(|c| {
            let start = c.get(0)?.start();
            let code = if let Some(n) = c.get(1) {
                format!("ISO_{}", n.as_str())
            } else if c.get(2).is_some() {
                "IATF_16949".to_string()
            } else {
                format!("ISCC_{}", c.get(3)?.as_str().to_ascii_uppercase())
            };
            Some(StandardAt { code, start })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum DateRole {
    Issue,
    Expiry,
    /// A date that is about something else (a page's last update).
    Other,
}

/// Words that say what the date after them is, in lower case; the one nearest the date wins.
const ROLE_WORDS: &[(&str, DateRole)] = &[
    ("valid until", DateRole::Expiry),
    ("valid till", DateRole::Expiry),
    ("valid thru", DateRole::Expiry),
    ("valid through", DateRole::Expiry),
    ("valid to", DateRole::Expiry),
    ("validity", DateRole::Expiry),
    ("until", DateRole::Expiry),
    ("expir", DateRole::Expiry),
    ("gültig bis", DateRole::Expiry),
    ("gueltig bis", DateRole::Expiry),
    ("gültigkeit", DateRole::Expiry),
    ("ablauf", DateRole::Expiry),
    (" bis", DateRole::Expiry),
    ("jusqu", DateRole::Expiry),
    ("expiration", DateRole::Expiry),
    ("échéance", DateRole::Expiry),
    ("válido hasta", DateRole::Expiry),
    ("valido hasta", DateRole::Expiry),
    ("hasta", DateRole::Expiry),
    ("vencimiento", DateRole::Expiry),
    ("scadenza", DateRole::Expiry),
    ("valido fino", DateRole::Expiry),
    (" to", DateRole::Expiry),
    (" au", DateRole::Expiry),
    ("issue", DateRole::Issue),
    ("issuing", DateRole::Issue),
    ("valid from", DateRole::Issue),
    ("valid since", DateRole::Issue),
    ("effective", DateRole::Issue),
    ("ausgestellt", DateRole::Issue),
    ("ausstellung", DateRole::Issue),
    ("erteilt", DateRole::Issue),
    ("gültig ab", DateRole::Issue),
    ("gültig von", DateRole::Issue),
    ("gültig seit", DateRole::Issue),
    ("datum der zertifizierung", DateRole::Issue),
    ("émis", DateRole::Issue),
    ("émission", DateRole::Issue),
    ("délivr", DateRole::Issue),
    ("valable du", DateRole::Issue),
    ("valable à partir", DateRole::Issue),
    ("emitido", DateRole::Issue),
    ("emisión", DateRole::Issue),
    ("emision", DateRole::Issue),
    ("válido desde", DateRole::Issue),
    ("emissione", DateRole::Issue),
    ("emesso", DateRole::Issue),
    ("updated", DateRole::Other),
    ("aktualisiert", DateRole::Other),
    ("stand:", DateRole::Other),
    ("printed", DateRole::Other),
    ("posted", DateRole::Other),
    ("published", DateRole::Other),
    ("©", DateRole::Other),
];

/// What the words just before a date (after the previous date) say it is. Entries that
/// start with a space are whole words (" to" is not "today"); the others are stems.
fn role_of(context: &str) -> Option<DateRole> {
    let context = context.to_lowercase();
    ROLE_WORDS
        .iter()
        .filter_map(|(word, role)| {
            let whole_word = word.starts_with(' ');
            context
                .match_indices(word)
                .map(|(at, _)| at + word.len())
                .filter(|end| {
                    !whole_word
                        || !context[*end..]
                            .chars()
                            .next()
                            .is_some_and(char::is_alphabetic)
                })
                .last()
                .map(|end| (end, *role))
        })
        .max_by_key(|(end, _)| *end)
        .map(|(_, role)| role)
}

/// Words that make a lone unlabelled date a validity date.
const VALIDITY_WORDS: &[&str] = &["valid", "gültig", "gueltig", "valable", "válido", "valido"];

/// Issue and expiry dates of one certificate's text.
pub(crate) fn validity(text: &str) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let found = dates(text);
    let (mut issue, mut expiry) = (None, None);
    let mut unlabelled = Vec::new();
    let mut prev_end = 0;
    for d in &found {
        let from = prev_end.max(floor_char_boundary(text, d.start.saturating_sub(60)));
        match role_of(&text[from..d.start]) {
            Some(DateRole::Issue) => issue = issue.or(Some(d.date)),
            Some(DateRole::Expiry) => expiry = expiry.or(Some(d.date)),
            Some(DateRole::Other) => {}
            None => unlabelled.push(d.date),
        }
        prev_end = d.end;
    }
    match (issue, expiry, unlabelled.as_slice()) {
        (None, None, [a, .., b]) => (Some(*a.min(b)), Some(*a.max(b))),
        (None, None, [only]) => {
            let lower = text.to_lowercase();
            let valid = VALIDITY_WORDS.iter().any(|w| lower.contains(w));
            (None, valid.then_some(*only))
        }
        (Some(i), None, rest) => (Some(i), rest.iter().copied().filter(|d| *d > i).max()),
        (None, Some(e), rest) => (rest.iter().copied().filter(|d| *d < e).min(), Some(e)),
        _ => (issue, expiry),
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

static NUMBER_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i:certificate\s*(?:no|nr|number|num|#|id|reg\.?\s*no)|cert\.?\s*(?:no|nr|#)|certification\s+(?:no|number)|zertifikats?[\s\-]*(?:nr|nummer|no)|zertifikatsnummer|registrier(?:ungs)?[\s\-]*(?:nr|nummer)|registration\s*(?:no|nr|number)|reg\.?\s*(?:no|nr)|n[°º]\s*(?:de\s+)?certificat|num[ée]ro\s+(?:de\s+|du\s+)?certificat|certificat\s*n[°º]|certificado\s*n(?:[°º]|o\.|úm\.?|umero|úmero)|n[úu]mero\s+de\s+certificado|certificato\s*n(?:[°º.]|umero)|numero\s+(?:del\s+)?certificato)\.?\s*[:#]?\s*(?P<n>[A-Z0-9][A-Za-z0-9\-/.]*[A-Za-z0-9](?:\s[A-Z0-9][A-Z0-9\-/.]*[A-Z0-9]\b){0,3})",
    )
    .expect("valid regex")
});

static NUMBER_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z][A-Za-z0-9]*(?:[\-/.][A-Za-z0-9]+)+\b|\b[A-Z]{1,5}\d{5,}\b")
        .expect("valid regex")
});

/// Whether a token can be a certificate number: has a digit, is not a date, a year or a
/// standard's own number.
pub(crate) fn plausible_number(token: &str) -> bool {
    let digits = token.chars().filter(char::is_ascii_digit).count();
    digits >= 3
        && token.len() >= 4
        && token.len() <= 60
        && dates(token).is_empty()
        && standards(token).is_empty()
}

/// The certificate number: after a label ("Certificate No.", "Zertifikat-Nr.", "N° de
/// certificat", …), else a number-like token (letters and digits joined by dashes or
/// slashes) that is not part of the standard's name; the first that `accept` takes.
pub(crate) fn certificate_number(text: &str, accept: impl Fn(&str) -> bool) -> Option<String> {
    let labelled = NUMBER_LABEL
        .captures_iter(text)
        .filter_map(|c| c.name("n"))
        .map(|m| m.as_str().trim_end_matches(['.', '-', '/']).to_string())
        .find(|n| plausible_number(n) && accept(n));
    labelled.or_else(|| {
        let taken: Vec<(usize, usize)> = STANDARD
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        NUMBER_LIKE
            .find_iter(text)
            .filter(|m| !taken.iter().any(|(s, e)| m.start() < *e && *s < m.end()))
            .map(|m| m.as_str().to_string())
            .find(|n| plausible_number(n) && accept(n))
    })
}

static SCOPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:scope(?:\s+of\s+(?:certification|registration))?|geltungsbereich|anwendungsbereich|champ\s+d'application|domaine\s+d'application|alcance|campo\s+di\s+applicazione)\s*:\s*(?P<s>[^\n|]{3,300})")
        .expect("valid regex")
});

pub(crate) fn scope(text: &str) -> Option<String> {
    SCOPE
        .captures(text)
        .and_then(|c| c.name("s"))
        .map(|m| m.as_str().trim().trim_end_matches('.').to_string())
}

/// Where the text names standards, as byte ranges.
pub fn standard_spans(text: &str) -> Vec<(usize, usize)> {
    STANDARD
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// The distinct standards the text names, each with where it is first named, in order; at
/// most `max` (a text naming thousands is not read for all).
pub fn standards_named(text: &str, max: usize) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for s in standards(text) {
        if out.len() == max {
            break;
        }
        if !out.iter().any(|(code, _)| *code == s.code) {
            out.push((s.code, s.start));
        }
    }
    out
}

/// Type codes of the standards the text names, each once, in the order first named.
pub fn standards_in_order(text: &str) -> Vec<String> {
    standards_named(text, usize::MAX)
        .into_iter()
        .map(|(code, _)| code)
        .collect()
}

/// Type codes of the standards the text names (for scoring pages in discovery).
pub fn standard_codes(text: &str) -> Vec<String> {
    let mut codes: Vec<String> = standards(text).into_iter().map(|s| s.code).collect();
    codes.sort();
    codes.dedup();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dates_are_told_apart_by_their_labels() {
        let v = |t: &str| validity(t);
        let (i, e) = (Some(day("2024-01-15")), Some(day("2027-01-14")));
        assert_eq!(v("Issue date: 15.01.2024 Expiry date: 14.01.2027"), (i, e));
        assert_eq!(v("Valid until 14.01.2027, first issued 15.01.2024"), (i, e));
        assert_eq!(v("gültig vom 15.01.2024 bis 14.01.2027"), (i, e));
        assert_eq!(
            v("Ausgestellt am 15. Januar 2024 – gültig bis 14. Januar 2027"),
            (i, e)
        );
        assert_eq!(v("valable du 15/01/2024 au 14/01/2027"), (i, e));
        assert_eq!(v("válido hasta el 14 de enero de 2027"), (None, e));
        assert_eq!(v("ISO 9001 | 15.01.2024 | 14.01.2027"), (i, e));
        assert_eq!(v("Certificate valid: 14.01.2027"), (None, e));
        assert_eq!(
            v("Page updated 2026-05-01. Valid until 2027-01-14"),
            (None, e)
        );
        // A lone date with nothing saying what it is stays unknown.
        assert_eq!(v("Meeting on 2027-01-14"), (None, None));
    }

    #[test]
    fn certificate_numbers_with_and_without_labels() {
        for (text, want) in [
            ("Certificate No.: Q-2024-0815", "Q-2024-0815"),
            (
                "Certificate number 12 100 45678 TMS valid until 2027",
                "12 100 45678 TMS",
            ),
            ("Zertifikat-Nr. DE-QM-123456", "DE-QM-123456"),
            ("Zertifikatsnummer: 44 100 123456", "44 100 123456"),
            ("Registriernummer: 007-2023/44", "007-2023/44"),
            ("N° de certificat : FR-2023-789", "FR-2023-789"),
            ("Certificado nº ES-0457/2022", "ES-0457/2022"),
            ("Certificato n. IT-98765", "IT-98765"),
            ("Reg. No. TIC15100123", "TIC15100123"),
            (
                "ISO 9001:2015 | EU-ISCC-Cert-DE105-12345678 | 2027-01-14",
                "EU-ISCC-Cert-DE105-12345678",
            ),
            (
                "ISO 14001 certificate ENV-4711-22 issued by DEKRA",
                "ENV-4711-22",
            ),
        ] {
            assert_eq!(
                certificate_number(text, |_| true).as_deref(),
                Some(want),
                "{text}"
            );
        }
        for none in [
            "ISO 9001:2015 certified since 2010",
            "Valid until 14.01.2027",
            "ISO/IEC 27001:2022",
        ] {
            assert_eq!(certificate_number(none, |_| true), None, "{none}");
        }
    }

    #[test]
    fn standards_and_bodies() {
        assert_eq!(
            standard_codes(
                "DIN EN ISO 9001:2015, ISO/IEC 27001, ISO-14001, ISO 45001:2018, ISO 50001, IATF 16949, ISCC EU and ISCC PLUS"
            ),
            [
                "IATF_16949",
                "ISCC_EU",
                "ISCC_PLUS",
                "ISO_14001",
                "ISO_27001",
                "ISO_45001",
                "ISO_50001",
                "ISO_9001"
            ]
        );
        // As OCR reads them off a scan.
        assert_eq!(
            standards_in_order(
                "nach ISO’ 45001:2018, volgens ISO.50001:2018, 1S0 9001, ATF 16949, karsilamaktadir !SO 22000:2018"
            ),
            [
                "ISO_45001",
                "ISO_50001",
                "ISO_9001",
                "IATF_16949",
                "ISO_22000"
            ]
        );
        // A number that only looks like one is not a standard.
        assert!(standards_in_order("Postfach 9001, PLZ 14001 Berlin, MISO 9001").is_empty());
        assert_eq!(
            scope("Scope: Design and manufacture of gears.").as_deref(),
            Some("Design and manufacture of gears")
        );
    }
}
