//! Certification bodies. The bodies the reader knows by name are data (`data/bodies.tsv`:
//! the name a certificate is filed under, the forms documents print, the shape of its
//! numbers). Any other body is read as its certificate prints it: after its label
//! ("Zertifizierungsstelle:"), before "… certifies that", or as the organisation in the
//! letterhead or footer that is not the certified company.

use std::sync::LazyLock;

use certwatch_domain::names::{ends_in_legal_form, fold, is_legal_form};
use regex::Regex;

use crate::certificate_page::{Page, clean};
use crate::dates::dates;
use crate::extract::standards_in_order;
use crate::labels::Label;

/// A body the reader knows: the name it is filed under, the forms documents print (a
/// pattern on folded text), and the shape of its certificate numbers.
struct Known {
    name: &'static str,
    forms: Regex,
    number: Option<Regex>,
}

/// A folded name form as a pattern: its words in order, spaces optional between them
/// ("TÜVSÜD" as some letterheads run it together), whole words only.
fn form_pattern(form: &str) -> String {
    let words: Vec<String> = fold(form).split_whitespace().map(regex::escape).collect();
    words.join(r"\s*")
}

static KNOWN: LazyLock<Vec<Known>> = LazyLock::new(|| {
    include_str!("../data/bodies.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let forms: Vec<String> = cols[1].split('|').map(form_pattern).collect();
            Known {
                name: cols[0],
                forms: Regex::new(&format!(r"\b(?:{})\b", forms.join("|")))
                    .expect("a body's forms make a pattern"),
                number: cols
                    .get(2)
                    .filter(|n| !n.is_empty())
                    .map(|n| Regex::new(n).expect("a body's number shape is a pattern")),
            }
        })
        .collect()
});

/// The known body the text names first, by the name certificates are filed under. Lines
/// are folded one by one (folding joins what a line break separates).
pub(crate) fn known(text: &str) -> Option<&'static str> {
    text.lines().find_map(|line| {
        let folded = fold(line);
        KNOWN
            .iter()
            .filter_map(|b| b.forms.find(&folded).map(|m| (m.start(), b.name)))
            .min_by_key(|(at, _)| *at)
            .map(|(_, name)| name)
    })
}

/// The shape of the numbers `body` prints, where it is known.
pub(crate) fn number_format(body: &str) -> Option<&'static Regex> {
    KNOWN
        .iter()
        .find(|b| b.name == body)
        .and_then(|b| b.number.as_ref())
}

/// How a body was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum How {
    /// A body the reader knows, by one of its forms.
    Known,
    /// After its label, or before "… certifies that".
    Labelled,
    /// The letterhead's or footer's organisation.
    Letterhead,
}

/// A body as read from a page: its name, how it was read, the line it is on and that
/// line's reading quality.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Read {
    pub name: String,
    pub how: How,
    pub line: usize,
    pub quality: f32,
}

/// Words that make a letterhead's line a certification body's (or another organisation's)
/// rather than a heading: the trade's own words in the languages certificates are written
/// in.
const ORGANISATION_WORDS: &[&str] = &[
    "certification",
    "certifications",
    "zertifizierung",
    "zertifizierungen",
    "certificacion",
    "certificazione",
    "certificatie",
    "certyfikacji",
    "certifikace",
    "certifiering",
    "belgelendirme",
    "assurance",
    "registrar",
    "registrations",
    "quality",
    "qualitat",
    "qualite",
    "calidad",
    "qualita",
    "kalite",
    "institute",
    "institut",
    "instituto",
    "istituto",
    "organization",
    "organisation",
    "organizacion",
    "services",
    "verification",
];

/// Words of a certificate's heading, never of an organisation's name.
const HEADING_WORDS: &[&str] = &[
    "certificate",
    "zertifikat",
    "certificat",
    "certificado",
    "certificato",
    "certyfikat",
    "certifikat",
    "sertifika",
    "system",
    "systems",
    "managementsystem",
];

/// Whether `segment` reads as an organisation's name: the trade's words, or a legal form
/// after at least two words of a name; no heading, standard, date or address number.
fn organisation(segment: &str) -> bool {
    let folded = fold(segment);
    let words: Vec<&str> = folded.split_whitespace().collect();
    let named = segment
        .split_whitespace()
        .filter(|w| !is_legal_form(w) && w.chars().filter(|c| c.is_alphabetic()).count() >= 3)
        .count();
    (2..=10).contains(&words.len())
        && !words.iter().any(|w| HEADING_WORDS.contains(w))
        && !segment.chars().any(|c| c.is_ascii_digit())
        && standards_in_order(segment).is_empty()
        && (words.iter().any(|w| ORGANISATION_WORDS.contains(w))
            || (ends_in_legal_form(segment) && named >= 2))
}

/// Whether two names are one company's: either's folded words hold the other's.
fn same_company(a: &str, b: &str) -> bool {
    let (a, b) = (fold(a), fold(b));
    !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a))
}

/// A name's words without the sentence around it: from its first capitalised word (not
/// "der Meridian …") to its last capitalised word or legal form (not "… d.o.o. hereby").
fn trim_to_name(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let capital = |w: &&str| w.chars().next().is_some_and(|c| c.is_uppercase());
    let Some(first) = words.iter().position(capital) else {
        return String::new();
    };
    let last = words
        .iter()
        .rposition(|w| capital(w) || is_legal_form(w))
        .unwrap_or(first);
    words[first..=last.max(first)].join(" ")
}

/// A body's name out of a labelled value: up to its address ("Muster Cert GmbH,
/// Musterstraße 1") or the next column.
fn name_of(value: &str) -> Option<String> {
    let name = value
        .split(" | ")
        .next()
        .unwrap_or(value)
        .split(", ")
        .take_while(|part| !part.chars().any(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(", ");
    let name = clean(&trim_to_name(&name));
    (name.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && dates(&name).is_empty()
        && !name.contains(DEBRIS))
    .then_some(name)
}

/// Characters no organisation's name holds: where OCR printed them into one ("RAREST eG?
/// Rrorden AB" for a smudged letterhead), the letters around them are debris too, and a
/// body read from them would be filed as sure as the line's other words.
const DEBRIS: &[char] = &[
    '?', '!', '|', '{', '}', '[', ']', '<', '>', '@', '#', '$', '%', '^', '*', '=', '~', '\\', ';',
];

/// The body the page names by label: a known body first (its filed name), else the value
/// of a body label, else what stands before "… certifies that".
pub(crate) fn labelled(page: &Page) -> Option<Read> {
    let text = page.text();
    if let Some(name) = known(&text) {
        let line = page
            .lines
            .iter()
            .position(|l| known(l.text) == Some(name))
            .unwrap_or(0);
        return Some(Read {
            name: name.to_string(),
            how: How::Known,
            line,
            quality: page.lines.get(line).map_or(1.0, |l| l.quality),
        });
    }
    for (i, line) in page.lines.iter().enumerate() {
        for (k, found) in line.labels.iter().enumerate() {
            let value = match found.label {
                Label::Body => {
                    let inline = page.inline_value(i, k);
                    if inline.is_empty() {
                        page.below(i, k).map(|(v, _)| v)
                    } else {
                        Some(inline)
                    }
                }
                // "Japan Quality Assurance Organization certifies that …"
                Label::Certifies if k == 0 => {
                    Some(line.text[..line.folded.original(found.start)].to_string())
                }
                _ => None,
            };
            if let Some(name) = value.as_deref().and_then(name_of)
                && (found.label == Label::Body || organisation(&name))
            {
                return Some(Read {
                    name,
                    how: How::Labelled,
                    line: i,
                    quality: line.quality,
                });
            }
        }
    }
    None
}

/// How many lines at the top and at the bottom of a page make its letterhead and footer.
const LETTERHEAD_LINES: usize = 3;

/// The organisation in the page's letterhead (its first lines) or footer (its last), in
/// that order, that is not the certified `company`: segments of a line split at " | "
/// ("Muster Cert GmbH | Musterstraße 1, …"), each read as a name up to its address.
pub(crate) fn letterhead(page: &Page, company: Option<&str>) -> Option<Read> {
    let n = page.lines.len();
    let top = 0..LETTERHEAD_LINES.min(n);
    let bottom = n.saturating_sub(LETTERHEAD_LINES).max(top.end)..n;
    top.chain(bottom).find_map(|i| {
        let line = &page.lines[i];
        if !line.labels.is_empty() {
            return None;
        }
        line.text
            .split(" | ")
            .filter_map(name_of)
            .find(|name| {
                organisation(name)
                    // Without the company read, a legal form alone could be the company's.
                    && company.map_or(!ends_in_legal_form(name), |c| !same_company(name, c))
            })
            .map(|name| Read {
                name,
                how: How::Letterhead,
                line: i,
                quality: line.quality,
            })
    })
}

/// Whether the page prints the body `read` found on another line as well (its letterhead
/// and its footer, or "… certifies that" and the signature): two readings of the name that
/// agree, where one could be a misread or the wrong organisation.
pub(crate) fn printed_again(page: &Page, read: &Read) -> bool {
    let name = fold(&read.name);
    page.lines.iter().enumerate().any(|(i, line)| {
        i != read.line
            && match read.how {
                How::Known => known(line.text) == Some(read.name.as_str()),
                How::Labelled | How::Letterhead => fold(line.text).contains(&name),
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificate_page::ReadLine;

    fn page(lines: &[&'static str]) -> Page<'static> {
        Page::new(lines.iter().map(|l| ReadLine::exact(l)).collect())
    }

    #[test]
    fn known_bodies_by_any_printed_form_first_mention_first() {
        assert_eq!(
            known("Certified by TUV SUD Management Service"),
            Some("TÜV SÜD")
        );
        assert_eq!(known("TÜVSÜD"), Some("TÜV SÜD"));
        assert_eq!(known("DNV GL Business Assurance"), Some("DNV"));
        assert_eq!(known("Lloyd’s Register Quality Assurance"), Some("LRQA"));
        assert_eq!(
            known("NSF International Strategic Registrations"),
            Some("NSF")
        );
        assert_eq!(
            known("Japan Quality Assurance Organization, accredited by JAB"),
            Some("JQA")
        );
        assert_eq!(known("Türk Loydu Uygunluk A.Ş."), Some("Türk Loydu"));
        assert_eq!(known("audited by DEKRA, formerly SGS"), Some("DEKRA"));
        assert_eq!(
            known("CERTIFICATE\nNSF International tímto\nSGS"),
            Some("NSF")
        );
        // Whole words only: a company called "Rinaldi" is not RINA.
        assert_eq!(known("Rinaldi S.p.A. Subsgs"), None);
        assert_eq!(known("ISO 9001 valid until 2027-01-01"), None);
    }

    #[test]
    fn every_number_shape_of_the_data_is_a_pattern_of_its_body() {
        assert!(
            number_format("TÜV SÜD")
                .unwrap()
                .is_match("12 100 48563 TMS")
        );
        assert!(number_format("LRQA").unwrap().is_match("LRQ 4008512"));
        assert!(number_format("NSF").unwrap().is_match("C0124155-IS1"));
        assert!(number_format("JQA").is_none());
        assert!(number_format("Muster Cert").is_none());
        assert!(KNOWN.len() >= 40);
    }

    #[test]
    fn a_body_printed_on_two_lines_agrees_with_itself() {
        let twice = page(&[
            "Adriatic Quality Institute d.o.o.",
            "CERTIFICATE",
            "Muster GmbH",
            "Adriatic Quality Institute d.o.o. | Ulica Grada Vukovara 271, Zagreb",
        ]);
        let read = letterhead(&twice, Some("Muster GmbH")).unwrap();
        assert!(printed_again(&twice, &read));
        let once = page(&[
            "Adriatic Quality Institute d.o.o.",
            "CERTIFICATE",
            "Muster GmbH",
        ]);
        let read = letterhead(&once, Some("Muster GmbH")).unwrap();
        assert!(!printed_again(&once, &read));
        let known_twice = page(&["TÜV SÜD Management Service", "Muster GmbH", "TUV SUD"]);
        let read = labelled(&known_twice).unwrap();
        assert!(printed_again(&known_twice, &read));
    }

    #[test]
    fn an_unknown_body_is_read_from_its_label_or_before_certifies() {
        let labelled_page = page(&[
            "CERTIFICATE",
            "Certification body: Nordic Certification Partners Oy, Tammasaarenkatu 3, 00180 Helsinki",
            "Muster GmbH",
        ]);
        let read = labelled(&labelled_page).unwrap();
        assert_eq!(read.name, "Nordic Certification Partners Oy");
        assert_eq!((read.how, read.line), (How::Labelled, 1));
        let below = page(&[
            "Zertifizierungsstelle:",
            "Muster Cert GmbH",
            "Gültig bis: 1.1.2027",
        ]);
        assert_eq!(labelled(&below).unwrap().name, "Muster Cert GmbH");
        let certifies = page(&[
            "Instituto de Certificación del Sur S.A. certifies that",
            "Muster GmbH",
        ]);
        assert_eq!(
            labelled(&certifies).unwrap().name,
            "Instituto de Certificación del Sur S.A."
        );
        // The sentence around the name is not the name.
        for (line, name) in [
            (
                "Adriatic Quality Institute d.o.o. hereby certifies that",
                "Adriatic Quality Institute d.o.o.",
            ),
            (
                "Die Zertifizierungsstelle der Meridian Certification Ltd bescheinigt hiermit, dass",
                "Meridian Certification Ltd",
            ),
            (
                "Nordic Audit Services AB niniejszym zaświadcza, że",
                "Nordic Audit Services AB",
            ),
        ] {
            let read = labelled(&Page::new(vec![ReadLine::exact(line)]));
            assert_eq!(read.map(|r| r.name).as_deref(), Some(name), "{line}");
        }
        // "This is to certify that" names no one.
        assert_eq!(
            labelled(&page(&["This is to certify that", "Muster GmbH"])),
            None
        );
    }

    #[test]
    fn an_unknown_body_is_read_from_the_letterhead_or_footer_and_never_is_the_company() {
        let top = page(&[
            "Baltic Audit & Certification UAB",
            "CERTIFICATE",
            "Muster GmbH",
            "ISO 9001:2015",
            "Certificate No.: BAC-1",
        ]);
        let read = letterhead(&top, Some("Muster GmbH")).unwrap();
        assert_eq!(
            (read.name.as_str(), read.how, read.line),
            ("Baltic Audit & Certification UAB", How::Letterhead, 0)
        );
        let footer = page(&[
            "CERTIFICATE",
            "Muster GmbH",
            "ISO 9001:2015",
            "Certificate No.: BAC-1",
            "Valid until: 1 May 2027",
            "Nordic Certification Partners Oy | Tammasaarenkatu 3, 00180 Helsinki",
        ]);
        assert_eq!(
            letterhead(&footer, Some("Muster GmbH")).unwrap().name,
            "Nordic Certification Partners Oy"
        );
        // The certified company at the top is not its body, nor is the heading.
        let company_first = page(&["Muster GmbH", "QUALITY MANAGEMENT SYSTEM CERTIFICATE"]);
        assert_eq!(letterhead(&company_first, Some("Muster GmbH")), None);
        // Without the company read, a name with only a legal form is not taken; nor is a
        // page's number that OCR garbled into something like a legal form.
        assert_eq!(letterhead(&company_first, None), None);
        let footer = page(&["CERTIFICATE", "Muster GmbH", "Page vi ."]);
        assert_eq!(letterhead(&footer, Some("Muster GmbH")), None);
        // A letterhead OCR smudged into debris names no body.
        let smudged = page(&["RAREST eG? Rrorden AB", "CERTIFICATE", "Muster GmbH"]);
        assert_eq!(letterhead(&smudged, Some("Muster GmbH")), None);
    }
}
