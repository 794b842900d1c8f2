//! The labels certificates put before their fields, in the languages of Europe's
//! manufacturing base (EN, DE, FR, ES, IT, NL, PL, PT, CS, SV), Turkish and romanised
//! Japanese, and the labels of company identifiers (`data/labels.tsv`); finding them in a
//! line.
//!
//! Lines and labels are compared folded: lower case, without diacritics, punctuation as
//! single spaces (`N° de certificat`, `n.º`, `Zertifikat-Nr.` all fold to words), so OCR's
//! dropped accents and each writer's punctuation do not matter. A label matches whole
//! words only.

use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Number,
    Issued,
    Expires,
    Scope,
    Company,
    Address,
    Standard,
    /// "… certifies that": the certified company follows.
    Certifies,
    /// A company identifier (VAT, tax or trade-register number): never the certificate's.
    Identifier,
    /// The certification body that issued the certificate.
    Body,
}

impl Label {
    fn named(kind: &str) -> Option<Label> {
        Some(match kind {
            "Number" => Label::Number,
            "Issued" => Label::Issued,
            "Expires" => Label::Expires,
            "Scope" => Label::Scope,
            "Company" => Label::Company,
            "Address" => Label::Address,
            "Standard" => Label::Standard,
            "Certifies" => Label::Certifies,
            "Identifier" => Label::Identifier,
            "Body" => Label::Body,
            _ => return None,
        })
    }
}

/// A line folded for comparison, and where each folded byte came from in the original.
pub struct Folded {
    pub text: String,
    origin: Vec<usize>,
    len: usize,
}

impl Folded {
    pub fn new(line: &str) -> Folded {
        let mut text = String::with_capacity(line.len());
        let mut origin = Vec::with_capacity(line.len());
        for (at, c) in line.char_indices() {
            let piece = match c {
                '°' | 'º' => "o".to_string(),
                c if c.is_alphanumeric() => {
                    deunicode::deunicode_char(c).unwrap_or("").to_lowercase()
                }
                _ => " ".to_string(),
            };
            for b in piece.bytes() {
                let b = if b.is_ascii_alphanumeric() { b } else { b' ' };
                if b == b' ' && (text.is_empty() || text.ends_with(' ')) {
                    continue;
                }
                text.push(b as char);
                origin.push(at);
            }
        }
        Folded {
            text,
            origin,
            len: line.len(),
        }
    }

    /// The original byte offset of folded offset `at` (the line's end past the last).
    pub fn original(&self, at: usize) -> usize {
        self.origin.get(at).copied().unwrap_or(self.len)
    }
}

/// The lexicon of `data/labels.tsv`: each label's phrases folded, without spaces.
static SQUASHED_LEXICON: LazyLock<Vec<(Label, Vec<String>)>> = LazyLock::new(|| {
    let mut lexicon: Vec<(Label, Vec<String>)> = Vec::new();
    for line in include_str!("../data/labels.tsv").lines() {
        let Some((label, phrase)) = line
            .split_once('\t')
            .and_then(|(kind, phrase)| Some((Label::named(kind)?, phrase)))
        else {
            continue;
        };
        let squashed = Folded::new(phrase).text.replace(' ', "");
        match lexicon.iter_mut().find(|(l, _)| *l == label) {
            Some((_, phrases)) => phrases.push(squashed),
            None => lexicon.push((label, vec![squashed])),
        }
    }
    for (_, phrases) in &mut lexicon {
        phrases.sort();
        phrases.dedup();
    }
    lexicon
});

/// A label found in a folded line: which, and the folded span it covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub label: Label,
    pub start: usize,
    pub end: usize,
}

fn whole_word_at(text: &str, start: usize, end: usize) -> bool {
    (start == 0 || text.as_bytes()[start - 1] == b' ')
        && (end == text.len() || text.as_bytes()[end] == b' ')
}

/// Labels this long (folded, without spaces; "valid until" has ten letters) are still found in an OCR line with one
/// letter misread ("N° de céitificat"); shorter ones would find labels in ordinary words.
const TOLERANT_FROM: usize = 9;

/// Whether two equally long byte strings differ in at most one place.
fn one_off(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).filter(|(x, y)| x != y).take(2).count() <= 1
}

/// Every label in the line, in order, the longest where two overlap. Spaces do not count
/// inside a label, so OCR's "Zertifikat-R egistrier-Nr." is still one; a label still
/// starts and ends at word boundaries.
pub fn find(line: &Folded) -> Vec<Found> {
    find_in(line, false)
}

/// Every label in a line OCR read: as `find`, and long labels with one letter misread.
pub fn find_read(line: &Folded) -> Vec<Found> {
    find_in(line, true)
}

fn find_in(line: &Folded, tolerant: bool) -> Vec<Found> {
    let text = line.text.as_str();
    // The line without spaces, and where each of its bytes stands in the folded line.
    let mut squashed = String::with_capacity(text.len());
    let mut at: Vec<usize> = Vec::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c != ' ' {
            squashed.push(c);
            at.push(i);
        }
    }
    let mut found: Vec<Found> = Vec::new();
    let bytes = squashed.as_bytes();
    for (label, words) in SQUASHED_LEXICON.iter() {
        for w in words {
            let starts: Vec<usize> = if tolerant && w.len() >= TOLERANT_FROM {
                (0..=bytes.len().saturating_sub(w.len()))
                    .filter(|&s| {
                        bytes.len() >= w.len() && one_off(&bytes[s..s + w.len()], w.as_bytes())
                    })
                    .collect()
            } else {
                squashed.match_indices(w.as_str()).map(|(s, _)| s).collect()
            };
            for s in starts {
                let start = at[s];
                let end = at[s + w.len() - 1] + 1;
                if whole_word_at(text, start, end) {
                    found.push(Found {
                        label: *label,
                        start,
                        end,
                    });
                }
            }
        }
    }
    found.sort_by_key(|f| (f.start, std::cmp::Reverse(f.end)));
    let mut kept: Vec<Found> = Vec::new();
    for f in found {
        if kept.last().is_none_or(|k| f.start >= k.end) {
            kept.push(f);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(line: &str) -> Vec<Label> {
        find(&Folded::new(line))
            .into_iter()
            .map(|f| f.label)
            .collect()
    }

    #[test]
    fn labels_in_every_language_and_spelling() {
        for (line, want) in [
            ("Certificate No.: Q-1", Label::Number),
            ("Zertifikat-Registrier-Nr. 12 100", Label::Number),
            ("N° de certificat : FR1", Label::Number),
            ("Certificado n.º ER-1", Label::Number),
            ("Certificato n. 123", Label::Number),
            ("Certificaatnummer: K1", Label::Number),
            ("Nr certyfikatu: 1", Label::Number),
            ("Číslo certifikátu: 1", Label::Number),
            ("CISLO CERTIFIKATU: 1", Label::Number),
            ("Certifikatnummer: 1", Label::Number),
            ("Gültig bis: 14.01.2027", Label::Expires),
            ("Valable jusqu'au 14/01/2027", Label::Expires),
            ("Ważny do: 14.01.2027", Label::Expires),
            ("Wazny do: 14.01.2027", Label::Expires),
            ("Platnost do: 14. 1. 2027", Label::Expires),
            ("Giltigt till: 2027-01-14", Label::Expires),
            ("Válido até: 14/01/2027", Label::Expires),
            ("Data di scadenza: 14/01/2027", Label::Expires),
            ("Datum van uitgifte: 14-01-2024", Label::Issued),
            ("Utfärdandedatum: 2024-01-14", Label::Issued),
            ("Fecha de emisión: 14/01/2024", Label::Issued),
            ("Zakres certyfikacji: Produkcja", Label::Scope),
            ("Sertifika No: TL-1", Label::Number),
            ("Geçerlilik Tarihi: 14.01.2027", Label::Expires),
            ("Yayın Tarihi: 14.01.2024", Label::Issued),
            ("Belgelendirme Kapsamı: Döküm", Label::Scope),
            ("Ninshō bangō: JQA-QMA1", Label::Number),
            ("Yūkō kigen: 2027-01-14", Label::Expires),
            ("Vergi Kimlik No: 1234567890", Label::Identifier),
            (
                "TSE aşağıda adı geçen kuruluşu belgelendirir",
                Label::Certifies,
            ),
            ("Company registration no.: 01234567", Label::Identifier),
            ("USt-IdNr.: DE123456789", Label::Identifier),
            ("Handelsregister: HRB 12345", Label::Identifier),
            ("Zertifizierungsstelle: Muster Cert GmbH", Label::Body),
            ("Belgelendirme Kuruluşu: Türk Loydu", Label::Body),
            ("Organisme de certification : AFNOR", Label::Body),
        ] {
            assert_eq!(labels(line).first(), Some(&want), "{line}");
        }
    }

    #[test]
    fn several_labels_on_a_line_in_order_and_whole_words_only() {
        assert_eq!(
            labels("Certificate No.: Q-1   Date of issue: 1 May 2024   Valid until: 30 April 2027"),
            [Label::Number, Label::Issued, Label::Expires]
        );
        assert!(labels("Normandie Scopes Ltd").is_empty());
        assert_eq!(
            labels("Zertifikat-R egistrier-Nr.: GB98/51138"),
            [Label::Number]
        );
        assert!(labels("Valid untilted").is_empty());
        // Bilingual labels: each language's label, then the one value.
        assert_eq!(
            labels("Platnost do / Valid until: 14.01.2027"),
            [Label::Expires, Label::Expires]
        );
        assert_eq!(
            labels("Sertifika No / Certificate No: TL-1"),
            [Label::Number, Label::Number]
        );
        // In a line OCR read, a long label with one letter misread is still found; a short
        // one, or one misread twice, is not.
        let read = |line: &str| -> Vec<Label> {
            find_read(&Folded::new(line))
                .into_iter()
                .map(|f| f.label)
                .collect()
        };
        assert_eq!(read("N° de céitificat: 12 100 75008 TMS"), [Label::Number]);
        assert_eq!(labels("N° de céitificat: 12 100 75008 TMS"), []);
        assert_eq!(read("Valable jusqu'av: 27/04/2026"), [Label::Expires]);
        assert_eq!(read("N° de céitifirat: 1"), []);
        assert_eq!(read("Valid untit: 1"), [Label::Expires]);
        assert_eq!(read("Vaiid untit: 1"), []);
        assert_eq!(read("Issued om: 1"), [], "eight letters: exact only");
        let line = "Gültig bis: 14.01.2027";
        let folded = Folded::new(line);
        let f = find(&folded)[0];
        assert_eq!(&line[folded.original(f.end)..], ": 14.01.2027");
    }
}
