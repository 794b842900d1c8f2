//! Company names as entity resolution sees them: folded to plain lower-case ASCII
//! (diacritics dropped, other scripts transliterated, German `ä`/`ae` alike), split into
//! words, the legal form taken off and kept apart, connectives dropped.
//!
//! The legal forms are GLEIF's ISO 20275 code list and cleanco's term data
//! (`data/legal_forms.tsv`, sources and licences in `data/make_legal_forms.py`): a form is
//! known by its codes, so "GmbH" and "Gesellschaft mit beschränkter Haftung" are one form
//! and "GmbH" and "AG" are two.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// Words that join the parts of a name and say nothing about which company it is, in the
/// languages of the documents read (after folding).
const CONNECTIVES: &[&str] = &[
    "the", "and", "of", "for", "und", "der", "die", "das", "des", "fur", "de", "du", "la", "le",
    "les", "et", "y", "e", "el", "del", "della", "di", "van", "von", "den", "het", "en", "och",
    "i", "a", "z", "do", "da", "dos",
];

/// Text as names are compared: lower-case ASCII letters and digits, words separated by
/// single spaces. Dots and apostrophes join (`G.m.b.H.` is `gmbh`, `O'Neil` is `oneil`),
/// other punctuation separates. German umlauts and their `ae`/`oe`/`ue` spellings fold
/// alike, both sides of every comparison the same way.
pub fn fold(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    let mut out = String::with_capacity(ascii.len());
    // Letters since the last separator: a dot after one or two ("G.m.b.H.", "S.p.A.")
    // abbreviates, after more it separates ("Coatings.NV" as OCR reads a gap).
    let mut run = 0;
    for c in ascii.chars() {
        match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                run += 1;
            }
            '.' if run <= 2 => run = 0,
            '\'' | '`' => {}
            _ => {
                out.push(' ');
                run = 0;
            }
        }
    }
    out.split_whitespace()
        .map(|w| w.replace("ae", "a").replace("oe", "o").replace("ue", "u"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The known legal forms: their letters run together (so `Sp. z o.o.` and `sp. z o. o.`
/// are one key) → the codes they can stand for.
struct LegalForms {
    by_letters: HashMap<String, BTreeSet<u32>>,
    /// Words of the longest form, so a name is only tried against spans that can match.
    longest: usize,
}

impl LegalForms {
    fn codes(&self, words: &[String]) -> Option<&BTreeSet<u32>> {
        self.by_letters.get(&words.concat())
    }
}

static FORMS: LazyLock<LegalForms> = LazyLock::new(|| {
    let mut codes: HashMap<&str, u32> = HashMap::new();
    let mut by_letters: HashMap<String, BTreeSet<u32>> = HashMap::new();
    let mut longest = 0;
    for line in include_str!("../data/legal_forms.tsv").lines() {
        if line.starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let (Some(code), Some(_country), Some(form)) = (cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        let next = codes.len() as u32;
        let code = *codes.entry(code).or_insert(next);
        let folded = fold(form);
        if !folded.is_empty() {
            longest = longest.max(folded.split(' ').count());
            by_letters
                .entry(folded.replace(' ', ""))
                .or_default()
                .insert(code);
        }
    }
    LegalForms {
        by_letters,
        longest,
    }
});

/// Whether the text is a legal form and nothing else ("Ltd.", "GmbH & Co. KG").
pub fn is_legal_form(text: &str) -> bool {
    let folded = fold(text);
    FORMS.by_letters.contains_key(&folded.replace(' ', ""))
}

/// Whether a name ends in a legal form after at least one word of its own ("Muster
/// GmbH", not "GmbH").
pub fn ends_in_legal_form(name: &str) -> bool {
    let folded = fold(name);
    let words: Vec<String> = folded.split(' ').map(String::from).collect();
    let table = &*FORMS;
    (1..=table.longest.min(words.len().saturating_sub(1)))
        .any(|k| table.codes(&words[words.len() - k..]).is_some())
}

/// A company name, parsed for comparison.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyName {
    /// The words that name the company, folded, in order: no legal form, no connective.
    pub words: Vec<String>,
    /// Codes of the legal forms the name carries; empty when it carries none.
    pub forms: BTreeSet<u32>,
}

impl CompanyName {
    pub fn parse(name: &str) -> CompanyName {
        let folded = fold(name);
        let mut words: Vec<String> = folded.split(' ').map(String::from).collect();
        let mut forms = BTreeSet::new();
        let table = &*FORMS;
        // Forms stand at the end ("Muster GmbH", "Muster GmbH & Co. KG") or, in Japanese
        // and Chinese names, at the start ("Kabushiki Kaisha Muster"). One word always
        // stays: a name that is all form is its own name.
        loop {
            let span = (1..=table.longest.min(words.len().saturating_sub(1)))
                .rev()
                .find_map(|k| Some((k, table.codes(&words[words.len() - k..])?)));
            match span {
                Some((k, codes)) => {
                    forms.extend(codes);
                    words.truncate(words.len() - k);
                }
                None => break,
            }
            while words.len() > 1 && CONNECTIVES.contains(&words[words.len() - 1].as_str()) {
                words.pop();
            }
        }
        if let Some((k, codes)) = (1..=table.longest.min(words.len().saturating_sub(1)))
            .rev()
            .find_map(|k| Some((k, table.codes(&words[..k])?)))
        {
            forms.extend(codes);
            words.drain(..k);
        }
        let kept: Vec<String> = words
            .iter()
            .filter(|w| !w.is_empty() && !CONNECTIVES.contains(&w.as_str()))
            .cloned()
            .collect();
        CompanyName {
            // A name of connectives only keeps them.
            words: if kept.is_empty() { words } else { kept },
            forms,
        }
    }

    /// The words run together: "Nordic-Timber" and "NordicTimber" are one name.
    pub fn joined(&self) -> String {
        self.words.concat()
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(String::is_empty)
    }

    /// Whether the two names can be of one company by their legal forms: one carries none,
    /// or they share a code.
    pub fn forms_agree(&self, other: &CompanyName) -> bool {
        self.forms.is_empty() || other.forms.is_empty() || !self.forms.is_disjoint(&other.forms)
    }
}

/// A VAT id compared by country and number: upper-case letters and digits only, Greece's
/// `GR` written as its VAT prefix `EL`, Switzerland's `MWST`/`TVA`/`IVA` suffix dropped.
/// The country is `None` when the id is printed without one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VatId {
    pub country: Option<String>,
    pub number: String,
}

impl VatId {
    pub fn parse(raw: &str) -> Option<VatId> {
        let mut id: String = raw
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        for suffix in ["MWST", "TVA", "IVA"] {
            if id.starts_with("CHE") && id.ends_with(suffix) {
                id.truncate(id.len() - suffix.len());
            }
        }
        let letters = id.chars().take_while(char::is_ascii_alphabetic).count();
        let (country, number) = match letters {
            0 => (None, id.as_str()),
            // Switzerland's UID is CHE plus nine digits; the rest are two letters.
            3 if id.starts_with("CHE") => (Some("CH".to_string()), &id[3..]),
            2 => (Some(id[..2].replace("GR", "EL")), &id[2..]),
            _ => return None,
        };
        let digits = number.chars().filter(char::is_ascii_digit).count();
        (digits >= 6 && number.len() <= 14).then(|| VatId {
            country,
            number: number.to_string(),
        })
    }

    /// The same id: equal numbers, and equal countries where both are printed.
    pub fn same(&self, other: &VatId) -> bool {
        self.number == other.number
            && match (&self.country, &other.country) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    }
}

/// A web domain compared: lower case, without `www.`.
pub fn domain(host: &str) -> String {
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    host.strip_prefix("www.").unwrap_or(&host).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(name: &str) -> Vec<String> {
        CompanyName::parse(name).words
    }

    #[test]
    fn folding_drops_case_diacritics_and_punctuation_and_transliterates() {
        assert_eq!(fold("SOCIÉTÉ Lyonnaise"), "societe lyonnaise");
        assert_eq!(fold("Müller-Lüdenscheidt"), fold("Mueller Luedenscheidt"));
        assert_eq!(fold("Straßenbau"), "strassenbau");
        assert_eq!(fold("G.m.b.H."), "gmbh");
        assert_eq!(fold("Brabant Coatings.NV"), "brabant coatings nv");
        assert_eq!(fold("Łódź Metal"), "lodz metal");
        assert_eq!(fold("Северсталь"), "severstal");
        assert_eq!(fold("Škoda  Auto"), "skoda auto");
    }

    #[test]
    fn legal_forms_in_any_spelling_come_off_and_are_kept_apart() {
        for name in [
            "Muster Metall GmbH",
            "MUSTER METALL G.M.B.H.",
            "Muster Metall Gesellschaft mit beschränkter Haftung",
            "Muster Metall",
        ] {
            assert_eq!(words(name), ["muster", "metall"], "{name}");
        }
        let gmbh = CompanyName::parse("Muster Metall GmbH");
        let long = CompanyName::parse("Muster Metall Gesellschaft mit beschränkter Haftung");
        let ag = CompanyName::parse("Muster Metall AG");
        let kg = CompanyName::parse("Muster Metall GmbH & Co. KG");
        let bare = CompanyName::parse("Muster Metall");
        assert!(gmbh.forms_agree(&long));
        assert!(!gmbh.forms_agree(&ag));
        assert!(!gmbh.forms_agree(&kg));
        assert!(bare.forms_agree(&ag));
        assert_eq!(kg.words, ["muster", "metall"]);
        for (a, b) in [
            ("Precision Parts Ltd", "Precision Parts Limited"),
            ("Acme Widgets Inc.", "ACME WIDGETS, INC"),
            (
                "Société Lyonnaise de Mécanique S.A.",
                "Societe Lyonnaise de Mecanique SA",
            ),
            ("Fabbrica Italiana S.p.A.", "Fabbrica Italiana SpA"),
            ("Nordic Timber AB", "Nordic Timber Aktiebolag"),
            ("Polska Stal Sp. z o.o.", "Polska Stal sp. z o. o."),
            ("Holland Staal B.V.", "Holland Staal BV"),
        ] {
            let (a, b) = (CompanyName::parse(a), CompanyName::parse(b));
            assert_eq!(a.words, b.words, "{a:?} {b:?}");
            assert!(a.forms_agree(&b), "{a:?} {b:?}");
            assert!(!a.forms.is_empty(), "{a:?}");
        }
    }

    #[test]
    fn forms_of_japan_and_china_and_the_us() {
        assert_eq!(words("山田精機株式会社"), words("山田精機"));
        assert_eq!(words("Yamada Seiki K.K."), ["yamada", "seiki"]);
        assert_eq!(words("Acme Widgets LLC"), ["acme", "widgets"]);
        assert_eq!(words("Acme Widgets Corporation"), ["acme", "widgets"]);
    }

    #[test]
    fn spellings_of_one_form_agree_and_other_forms_do_not() {
        let agree = |a: &str, b: &str| {
            let (a, b) = (CompanyName::parse(a), CompanyName::parse(b));
            assert_eq!(a.words, b.words, "{a:?} {b:?}");
            assert!(!a.forms.is_empty() && !b.forms.is_empty(), "{a:?} {b:?}");
            a.forms_agree(&b)
        };
        for (a, b) in [
            ("Muster Seiki Kabushiki Kaisha", "Muster Seiki K.K."),
            ("Muster Seiki Kabushiki Kaisha", "Muster Seiki Co., Ltd."),
            ("Muster Makina Anonim Şirketi", "Muster Makina A.Ş."),
            ("Muster Makina Limited Şirketi", "Muster Makina Ltd. Şti."),
            ("Muster Metálica Sociedad Limitada", "Muster Metálica S.L."),
            ("Muster Strojírna spol. s r.o.", "Muster Strojírna s.r.o."),
            (
                "Muster Metalúrgica Ltda.",
                "Muster Metalúrgica Sociedade Limitada",
            ),
            ("Muster Metalúrgica Ltda.", "Muster Metalúrgica Limitada"),
            (
                "Muster Metalúrgica do Norte, Lda.",
                "Muster Metalúrgica do Norte, Limitada",
            ),
            ("Muster Gjuteri AB", "Muster Gjuteri Aktiebolaget"),
        ] {
            assert!(agree(a, b), "{a} / {b}");
        }
        for (a, b) in [
            ("Muster Makina A.Ş.", "Muster Makina Ltd. Şti."),
            ("Muster Seiki Kabushiki Kaisha", "Muster Seiki Godo Kaisha"),
            ("Muster Metalúrgica S.A.", "Muster Metalúrgica Ltda."),
        ] {
            assert!(!agree(a, b), "{a} / {b}");
        }
    }

    #[test]
    fn a_name_that_is_all_form_keeps_a_word() {
        assert!(!CompanyName::parse("GmbH").is_empty());
        assert!(!CompanyName::parse("The Company").is_empty());
    }

    #[test]
    fn vat_ids_by_country_and_number() {
        let de = VatId::parse("DE 123 456 789").unwrap();
        assert_eq!(de.country.as_deref(), Some("DE"));
        assert!(de.same(&VatId::parse("de123456789").unwrap()));
        assert!(de.same(&VatId::parse("123.456.789").unwrap()));
        assert!(!de.same(&VatId::parse("AT123456789").unwrap()));
        assert!(
            VatId::parse("GR 094014201")
                .unwrap()
                .same(&VatId::parse("EL094014201").unwrap())
        );
        assert!(
            VatId::parse("CHE-123.456.789 MWST")
                .unwrap()
                .same(&VatId::parse("CHE123456789").unwrap())
        );
        assert_eq!(VatId::parse("VAT"), None);
        assert_eq!(VatId::parse("12"), None);
    }

    #[test]
    fn domains_without_www() {
        assert_eq!(domain("WWW.Acme-Widgets.example."), "acme-widgets.example");
    }
}
