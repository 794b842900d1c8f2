//! The labels certificates put before their fields, in the languages of Europe's
//! manufacturing base (EN, DE, FR, ES, IT, NL, PL, PT, CS, SV), and finding them in a line.
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
}

const LEXICON: &[(Label, &[&str])] = &[
    (
        Label::Number,
        &[
            "certificate no",
            "certificate number",
            "certificate nr",
            "certificate n",
            "cert no",
            "certificate registration no",
            "certificate reg no",
            "registration no",
            "registration number",
            "reg no",
            "zertifikat registrier nr",
            "zertifikat nr",
            "zertifikats nr",
            "zertifikatsnummer",
            "zertifikatnummer",
            "registrier nr",
            "registriernummer",
            "no de certificat",
            "numero de certificat",
            "certificat no",
            "certificat n",
            "certificado no",
            "certificado n",
            "no de certificado",
            "numero de certificado",
            "numero del certificado",
            "certificato n",
            "certificato no",
            "numero certificato",
            "numero del certificato",
            "certificaatnummer",
            "certificaat nr",
            "certificaatnr",
            "nr certyfikatu",
            "numer certyfikatu",
            "certyfikat nr",
            "cislo certifikatu",
            "certifikat c",
            "certifikatnummer",
            "certifikat nr",
        ],
    ),
    (
        Label::Issued,
        &[
            "date of issue",
            "issue date",
            "issued on",
            "date of certification",
            "certification date",
            "valid from",
            "effective date",
            "effective from",
            "ausstellungsdatum",
            "ausgestellt am",
            "gultig ab",
            "gueltig ab",
            "gultig vom",
            "gueltig vom",
            "gultig seit",
            "date d emission",
            "date de delivrance",
            "valable a partir du",
            "valable du",
            "fecha de emision",
            "fecha de expedicion",
            "valido desde",
            "data di emissione",
            "valido dal",
            "datum van uitgifte",
            "uitgiftedatum",
            "geldig vanaf",
            "data wydania",
            "wazny od",
            "data de emissao",
            "datum vydani",
            "platnost od",
            "utfardandedatum",
            "utfardat",
            "giltigt fran",
            "giltig fran",
        ],
    ),
    (
        Label::Expires,
        &[
            "valid until",
            "valid till",
            "valid to",
            "valid through",
            "expiry date",
            "expiration date",
            "date of expiry",
            "expires on",
            "expires",
            "gultig bis",
            "gueltig bis",
            "ablaufdatum",
            "valable jusqu au",
            "date d expiration",
            "date d echeance",
            "valido hasta",
            "fecha de caducidad",
            "fecha de vencimiento",
            "data di scadenza",
            "valido fino al",
            "scadenza",
            "geldig tot",
            "vervaldatum",
            "wazny do",
            "data waznosci",
            "valido ate",
            "data de validade",
            "platnost do",
            "platny do",
            "giltigt till",
            "giltig till",
            "giltigt tom",
        ],
    ),
    (
        Label::Scope,
        &[
            "scope",
            "scope of certification",
            "scope of registration",
            "geltungsbereich",
            "anwendungsbereich",
            "domaine d application",
            "champ d application",
            "alcance",
            "campo di applicazione",
            "toepassingsgebied",
            "zakres certyfikacji",
            "zakres",
            "ambito",
            "rozsah certifikace",
            "rozsah",
            "omfattning",
        ],
    ),
    (
        Label::Company,
        &[
            "company",
            "organisation",
            "organization",
            "certified company",
            "certificate holder",
            "holder",
            "unternehmen",
            "zertifikatsinhaber",
            "societe",
            "entreprise",
            "titulaire",
            "empresa",
            "organizacion",
            "titular",
            "azienda",
            "organizzazione",
            "bedrijf",
            "organisatie",
            "organizacja",
            "organizacao",
            "organizace",
            "spolecnost",
            "foretag",
        ],
    ),
    (
        Label::Address,
        &[
            "address",
            "anschrift",
            "adresse",
            "direccion",
            "indirizzo",
            "adres",
            "morada",
            "adresa",
            "adress",
            "sede",
        ],
    ),
    (
        Label::Standard,
        &[
            "standard",
            "norm",
            "norme",
            "referentiel",
            "norma",
            "normative basis",
        ],
    ),
    (
        Label::Certifies,
        &[
            "certifies that",
            "certify that",
            "attests that",
            "bescheinigt",
            "certifie que",
            "certifica que",
            "certifica che",
            "verklaart dat",
            "verklaart hierbij dat",
            "zaswiadcza ze",
            "potvrzuje ze",
            "intygar att",
            "intygar harmed att",
        ],
    ),
];

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

/// The lexicon folded, without spaces.
static SQUASHED_LEXICON: LazyLock<Vec<(Label, Vec<String>)>> = LazyLock::new(|| {
    LEXICON
        .iter()
        .map(|(label, words)| {
            let mut squashed: Vec<String> = words
                .iter()
                .map(|w| Folded::new(w).text.replace(' ', ""))
                .collect();
            squashed.sort();
            squashed.dedup();
            (*label, squashed)
        })
        .collect()
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

/// Every label in the line, in order, the longest where two overlap. Spaces do not count
/// inside a label, so OCR's "Zertifikat-R egistrier-Nr." is still one; a label still
/// starts and ends at word boundaries.
pub fn find(line: &Folded) -> Vec<Found> {
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
    for (label, words) in SQUASHED_LEXICON.iter() {
        for w in words {
            for (s, _) in squashed.match_indices(w.as_str()) {
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
        let line = "Gültig bis: 14.01.2027";
        let folded = Folded::new(line);
        let f = find(&folded)[0];
        assert_eq!(&line[folded.original(f.end)..], ": 14.01.2027");
    }
}
