//! Certificate facts in text: which standard, the certificate number, the issuing body,
//! the scope and the validity dates, in the ways suppliers and certification bodies write
//! them (English, German, French, Spanish, Italian).
//!
//! Pages are read line by line (a table row is one line, its cells labelled with their
//! column headers), documents as a whole; either way the text around each standard named
//! is searched for the rest.

use std::sync::LazyLock;

use certwatch_domain::reading::Finding;
use chrono::NaiveDate;
use regex::Regex;

use crate::dates::dates;

/// A standard named in the text: the type code it maps to and where it stands.
#[derive(Debug, Clone, PartialEq)]
struct StandardAt {
    code: String,
    start: usize,
}

static STANDARD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?:DIN\s+)?(?:EN\s+)?[I1l]S[O0](?:\s*/\s*(?:IEC|TS))?[\s\-]*(\d{4,5})\b|IATF[\s\-]*(16949)\b|ISCC[\s\-]*(EU|PLUS)\b)",
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
/// slashes) that is not part of the standard's name.
pub(crate) fn certificate_number(text: &str) -> Option<String> {
    let labelled = NUMBER_LABEL
        .captures_iter(text)
        .filter_map(|c| c.name("n"))
        .map(|m| m.as_str().trim_end_matches(['.', '-', '/']).to_string())
        .find(|n| plausible_number(n));
    labelled.or_else(|| {
        let taken: Vec<(usize, usize)> = STANDARD
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        NUMBER_LIKE
            .find_iter(text)
            .filter(|m| !taken.iter().any(|(s, e)| m.start() < *e && *s < m.end()))
            .map(|m| m.as_str().to_string())
            .find(|n| plausible_number(n))
    })
}

/// Certification bodies, as written and as stored.
const BODIES: &[(&str, &str)] = &[
    (r"t[üu]v\s*s[üu]d", "TÜV SÜD"),
    (r"t[üu]v\s*rheinland", "TÜV Rheinland"),
    (r"t[üu]v\s*nord", "TÜV NORD"),
    (r"t[üu]v\s*austria", "TÜV AUSTRIA"),
    (r"t[üu]v\s*hessen", "TÜV Hessen"),
    (r"dekra", "DEKRA"),
    (r"dnv(?:\s*gl)?", "DNV"),
    (r"bureau\s+veritas", "Bureau Veritas"),
    (r"sgs", "SGS"),
    (r"intertek", "Intertek"),
    (r"lrqa|lloyd'?s\s+register", "LRQA"),
    (r"bsi", "BSI"),
    (r"dqs", "DQS"),
    (r"gut\s*cert", "GUTcert"),
    (r"kiwa", "Kiwa"),
    (r"applus\+?", "Applus+"),
    (r"eurofins", "Eurofins"),
    (r"afnor", "AFNOR Certification"),
    (r"aenor", "AENOR"),
    (r"rina", "RINA"),
    (r"certiquality", "Certiquality"),
    (r"control\s+union", "Control Union"),
    (r"ul\s+solutions", "UL Solutions"),
];

static BODY: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    BODIES
        .iter()
        .map(|(pattern, name)| {
            let re = Regex::new(&format!(r"(?i)\b(?:{pattern})(?:\b|$)")).expect("valid regex");
            (re, *name)
        })
        .collect()
});

static BODY_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:issued\s+by|certified\s+by|certification\s+body|registrar|zertifizierungsstelle|zertifiziert\s+durch|ausgestellt\s+von|délivré\s+par|certifié\s+par|organisme\s+de\s+certification|emitido\s+por|certificado\s+por|organismo\s+de\s+certificación|ente\s+di\s+certificazione|rilasciato\s+da)\s*:?\s*(?P<b>[^\n|;,.()]{2,60})")
        .expect("valid regex")
});

/// The issuing body: a known certification body named in the text, else what follows
/// "issued by", "Zertifizierungsstelle:" and the like.
pub(crate) fn issuing_body(text: &str) -> Option<String> {
    let known = BODY
        .iter()
        .filter_map(|(re, name)| re.find(text).map(|m| (m.start(), *name)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, name)| name.to_string());
    known.or_else(|| {
        BODY_PHRASE
            .captures(text)
            .and_then(|c| c.name("b"))
            .map(|m| m.as_str().trim().to_string())
            .filter(|b| b.chars().any(char::is_alphabetic) && dates(b).is_empty())
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

/// Everything the text says about the certificate of `standard`.
fn finding(standard: &str, text: &str) -> Finding {
    let (issue_date, expiry_date) = validity(text);
    Finding {
        standard: standard.to_string(),
        certificate_number: certificate_number(text),
        issuing_body: issuing_body(text),
        scope: scope(text),
        issue_date,
        expiry_date,
        document_url: None,
        document_hash: None,
    }
}

/// Standards one document (or one line of a page) is read for at most. Each is searched
/// for in the whole text, so without a cap a text naming thousands of standards costs
/// thousands of passes over itself; a real certificate names one to three.
pub const MAX_DOCUMENT_FINDINGS: usize = 20;
/// Certificate mentions read from one page at most (a group's page lists a few dozen).
pub const MAX_PAGE_FINDINGS: usize = 200;

/// Lines after a standard's line that still belong to its mention (until the next
/// standard named).
const FOLLOWING_LINES: usize = 3;

/// Certificate mentions on a page, given as lines of text (see `page::lines`). A line that
/// names several standards is split at each; a mention also reads the few lines after it.
pub fn page_findings(lines: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if out.len() >= MAX_PAGE_FINDINGS {
            break;
        }
        let found = standards(line);
        if found.is_empty() {
            continue;
        }
        let following: Vec<&str> = lines[i + 1..]
            .iter()
            .take(FOLLOWING_LINES)
            .take_while(|l| standards(l).is_empty())
            .map(String::as_str)
            .collect();
        let mut distinct: Vec<&StandardAt> = Vec::new();
        for s in &found {
            if distinct.len() == MAX_DOCUMENT_FINDINGS {
                break;
            }
            if !distinct.iter().any(|d| d.code == s.code) {
                distinct.push(s);
            }
        }
        for (k, s) in distinct.iter().enumerate() {
            // One standard: the whole line is its row. Several: each gets its own stretch.
            let from = if k == 0 { 0 } else { s.start };
            let to = distinct.get(k + 1).map_or(line.len(), |next| next.start);
            let mut text = line[from..to].to_string();
            if k + 1 == distinct.len() {
                for l in &following {
                    text.push('\n');
                    text.push_str(l);
                }
            }
            out.push(finding(&s.code, &text));
        }
    }
    out
}

/// Certificate facts in a document (a certificate PDF): one finding per standard it names,
/// each read from the whole text.
pub fn document_findings(text: &str) -> Vec<Finding> {
    let mut codes: Vec<String> = Vec::new();
    for s in standards(text) {
        if codes.len() == MAX_DOCUMENT_FINDINGS {
            break;
        }
        if !codes.contains(&s.code) {
            codes.push(s.code);
        }
    }
    codes.iter().map(|code| finding(code, text)).collect()
}

/// Where the text names standards, as byte ranges.
pub fn standard_spans(text: &str) -> Vec<(usize, usize)> {
    STANDARD
        .find_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect()
}

/// Type codes of the standards the text names, each once, in the order first named.
pub fn standards_in_order(text: &str) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for s in standards(text) {
        if !codes.contains(&s.code) {
            codes.push(s.code);
        }
    }
    codes
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
            assert_eq!(certificate_number(text).as_deref(), Some(want), "{text}");
        }
        for none in [
            "ISO 9001:2015 certified since 2010",
            "Valid until 14.01.2027",
            "ISO/IEC 27001:2022",
        ] {
            assert_eq!(certificate_number(none), None, "{none}");
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
        assert_eq!(
            issuing_body("Certified by TUV SUD Management Service").as_deref(),
            Some("TÜV SÜD")
        );
        assert_eq!(
            issuing_body("Zertifizierungsstelle: Muster Cert GmbH").as_deref(),
            Some("Muster Cert GmbH")
        );
        assert_eq!(
            issuing_body("DNV GL Business Assurance").as_deref(),
            Some("DNV")
        );
        assert_eq!(issuing_body("ISO 9001 valid until 2027-01-01"), None);
        assert_eq!(
            scope("Scope: Design and manufacture of gears.").as_deref(),
            Some("Design and manufacture of gears")
        );
    }

    #[test]
    fn a_certificate_table_yields_one_finding_per_row() {
        let lines: Vec<String> = [
            "Our certificates",
            "Standard: ISO 9001:2015 | Certificate No.: Q-2024-0815 | Issued by: TÜV SÜD | Valid until: 14.01.2027",
            "Standard: ISO 14001:2015 | Certificate No.: E-77-1 | Issued by: DEKRA | Valid until: 30.06.2026",
            "Imprint",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        let found = page_findings(&lines);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].standard, "ISO_9001");
        assert_eq!(found[0].certificate_number.as_deref(), Some("Q-2024-0815"));
        assert_eq!(found[0].issuing_body.as_deref(), Some("TÜV SÜD"));
        assert_eq!(found[0].expiry_date, Some(day("2027-01-14")));
        assert_eq!(found[1].certificate_number.as_deref(), Some("E-77-1"));
        assert_eq!(found[1].issuing_body.as_deref(), Some("DEKRA"));
    }

    #[test]
    fn a_paragraph_naming_two_standards_is_split() {
        let lines = vec![
            "We hold ISO 9001 (certificate no. Q-100-200, valid until 2027-03-01) and ISO 14001 (certificate no. E-300-400, valid until 2028-04-02).".to_string(),
        ];
        let found = page_findings(&lines);
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].certificate_number.as_deref(), found[0].expiry_date),
            (Some("Q-100-200"), Some(day("2027-03-01")))
        );
        assert_eq!(
            (found[1].certificate_number.as_deref(), found[1].expiry_date),
            (Some("E-300-400"), Some(day("2028-04-02")))
        );
    }

    #[test]
    fn a_german_certificate_document() {
        let text = "ZERTIFIKAT\nDie Zertifizierungsstelle der TÜV SÜD Management Service GmbH bescheinigt, dass\nMuster Metall GmbH\nfür den Geltungsbereich: Entwicklung und Fertigung von Präzisionsteilen\nein Qualitätsmanagementsystem nach DIN EN ISO 9001:2015 eingeführt hat.\nZertifikat-Registrier-Nr. 12 100 45678 TMS\nGültig vom 15.01.2024 bis 14.01.2027\n";
        let found = document_findings(text);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.standard, "ISO_9001");
        assert_eq!(f.certificate_number.as_deref(), Some("12 100 45678 TMS"));
        assert_eq!(f.issuing_body.as_deref(), Some("TÜV SÜD"));
        assert_eq!(
            (f.issue_date, f.expiry_date),
            (Some(day("2024-01-15")), Some(day("2027-01-14")))
        );
    }
}
