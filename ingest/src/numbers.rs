//! What a certificate number looks like, and what only looks like one: the number formats
//! of the large certification bodies, and the identifiers a number is never taken from (VAT
//! ids, LEIs, phone numbers, postcodes, dates). Plain rules on strings; `fields` applies
//! them to a page.

use std::collections::HashSet;
use std::sync::LazyLock;

use certwatch_domain::names::VatId;
use certwatch_domain::rules;
use regex::Regex;

use crate::dates::dates;

static PHONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\+?[\d\s()/\-]{7,}$").expect("valid regex"));

/// Brazil's company number (CNPJ), as printed: `12.345.678/0001-90`.
static CNPJ: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}$").expect("valid regex"));

/// What a page says is not its certificate number: its VAT id, and the values of its
/// company-identifier labels (tax, trade-register, company numbers).
#[derive(Debug)]
pub(crate) struct NotNumbers<'a> {
    pub vat: Option<&'a VatId>,
    pub labelled: Vec<String>,
}

/// Whether a token is an identifier that is not a certificate number: one the page labels
/// as a company's, a VAT id, a CNPJ, an LEI, an international phone number, or a date.
pub(crate) fn other_identifier(token: &str, not: &NotNumbers) -> bool {
    not.labelled.iter().any(|l| l == token)
        || vat_like(token)
            && not
                .vat
                .is_none_or(|v| VatId::parse(token).is_some_and(|t| t.same(v)))
        || CNPJ.is_match(token)
        || rules::lei(token).is_some()
        || token.starts_with('+')
        || token.starts_with("00") && PHONE.is_match(token)
        || !dates(token).is_empty()
}

/// Suffixes joined to a number by `-`, `/` or `.` — or by `:` or `,` before a digit, as
/// OCR reads a small dot ("PL59/64820:00"; `as_filed` puts the dot back). A comma or
/// colon that ends a number is punctuation: a space or a letter follows it.
static SUFFIXES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[\-/.][A-Za-z0-9]+|[:,]\d[A-Za-z0-9]*)+").expect("valid regex")
});

/// A number found at `m` in `text`, whole: with the suffixes joined to it
/// ("C519167-IC1-ISO-NOR", "LRQ9410579/A", "PL19/65862.00"), as printed. A body's format
/// says how a number starts; a certificate's identity is all of it.
pub(crate) fn whole<'t>(text: &'t str, m: regex::Match<'t>) -> &'t str {
    let tail = SUFFIXES.find(&text[m.end()..]).map_or(0, |s| s.end());
    &text[m.start()..m.end() + tail]
}

/// A number `whole` read, as it is filed: no body's number holds a colon or a comma, so
/// one joining a suffix is a dot OCR read small or smudged. Dropping the suffix instead
/// would file another certificate's identity.
pub(crate) fn as_filed(number: &str) -> String {
    number.replace([':', ','], ".")
}

static POSTCODE: LazyLock<Regex> = LazyLock::new(|| {
    // "D-70565 Stuttgart", "CH-8001 Zürich", "PL-00-950 Warszawa", "CZ-110 00 Praha": a
    // country code, the code's digits, then the town on the same line.
    Regex::new(r"\b(?P<code>[A-Z]{1,3}[ \-]?\d{2,5}(?:[ \-]\d{2,3})?)[ \t]+\p{Lu}\p{Ll}+")
        .expect("valid regex")
});

/// The postcodes the text writes before a town's name, as a token of them reads (the
/// whole code, and its part before a space).
pub(crate) fn postcodes(text: &str) -> HashSet<&str> {
    let mut out = HashSet::new();
    for m in POSTCODE.captures_iter(text).filter_map(|c| c.name("code")) {
        out.insert(m.as_str());
        out.extend(m.as_str().split(' ').next());
    }
    out
}

/// Countries whose VAT ids carry their prefix (the EU's, with Greece as EL and Northern
/// Ireland as XI, and the UK, Switzerland, Norway and Turkey).
const VAT_PREFIXES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI", "GB", "CHE", "NO",
    "TR",
];

/// Whether a token has the shape of a VAT id: a country prefix, then eight digits or more
/// with at most spaces, dots or a dash between (Spain's and the Netherlands' letters too).
fn vat_like(token: &str) -> bool {
    let upper = token.trim().to_ascii_uppercase();
    let Some(rest) = VAT_PREFIXES.iter().find_map(|p| upper.strip_prefix(p)) else {
        return false;
    };
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    let letters = rest.chars().filter(char::is_ascii_alphabetic).count();
    digits >= 8
        && letters <= 3
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '-'))
}

static NUMBER_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[A-Z0-9][A-Za-z0-9\-/.]*[A-Za-z0-9](?:\s[A-Z0-9][A-Za-z0-9\-/.]*[A-Za-z0-9]){0,3}",
    )
    .expect("valid regex")
});

/// The number at the start of a value: its words while they look like a number's (digits
/// or capitals) and are not a date, so "Q-2024-0815 issued by …" and "Q-2024-0815
/// 14.01.2024" are "Q-2024-0815".
pub(crate) fn number_token(value: &str) -> Option<String> {
    let m = NUMBER_TOKEN.find(value)?;
    let mut words: Vec<&str> = Vec::new();
    for w in m.as_str().split(' ') {
        let numberish = w.chars().any(|c| c.is_ascii_digit())
            || (w.len() <= 5 && w.chars().all(|c| c.is_ascii_uppercase()));
        if !numberish || !dates(w).is_empty() {
            break;
        }
        words.push(w);
    }
    let n = words.join(" ");
    let n = n.trim_end_matches(['.', '-', '/']);
    (!n.is_empty()).then(|| n.to_string())
}

/// Characters OCR takes for one another in a number: a digit and the letters drawn like it.
const LOOKALIKES: &[(char, char)] = &[
    ('0', 'O'),
    ('0', 'o'),
    ('1', 'I'),
    ('1', 'l'),
    ('2', 'Z'),
    ('5', 'S'),
    ('6', 'G'),
    ('8', 'B'),
];

/// The most characters a repair may change: a number needing more is left as read.
const MOST_REPAIRED: usize = 2;

/// The longest token a repair is tried on, in bytes: a number is far shorter, and the
/// repairs tried grow with the square of the length.
const LONGEST_REPAIRED: usize = 64;

/// What `c` may have been misread for.
fn lookalikes(c: char) -> impl Iterator<Item = char> {
    LOOKALIKES.iter().filter_map(move |&(digit, letter)| {
        if c == digit {
            Some(letter)
        } else if c == letter {
            Some(digit)
        } else {
            None
        }
    })
}

/// How well a token fits its body's format: not from its first character (`None`), from
/// its first character (`Start`, its suffixes read by `whole`), or all of it (`Whole`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    None,
    Start,
    Whole,
}

/// How `token` fits `format`, and the number `whole` reads where it fits.
fn fit(token: &str, format: &Regex) -> (Fit, Option<String>) {
    match format.find(token).filter(|m| m.start() == 0) {
        None => (Fit::None, None),
        Some(m) if m.end() == token.len() => (Fit::Whole, Some(token.to_string())),
        Some(m) => (Fit::Start, Some(whole(token, m).to_string())),
    }
}

/// A scanned number put back into its body's format ("C0124155-1S1" → "C0124155-IS1",
/// where the format has letters after the dash): the lookalike swaps, at most
/// `MOST_REPAIRED`, that make the token fit the format better than it does as read — all
/// of it rather than its start, then the fewest swaps — when exactly one number comes out
/// of the best. A number that fits as read, or that several repairs would fit equally, is
/// left to be read again or checked by a person.
pub(crate) fn fitted(token: &str, format: &Regex) -> Option<String> {
    let (as_read, _) = fit(token, format);
    if token.len() > LONGEST_REPAIRED || as_read == Fit::Whole {
        return None;
    }
    // Every better fit found: how well, after how many swaps, which number.
    let mut found: Vec<(Fit, usize, String)> = Vec::new();
    let mut tried: HashSet<Vec<char>> = HashSet::from([token.chars().collect()]);
    for swaps in 1..=MOST_REPAIRED {
        let next: HashSet<Vec<char>> = tried
            .iter()
            .flat_map(|chars| {
                chars.iter().enumerate().flat_map(move |(i, &c)| {
                    lookalikes(c).map(move |other| {
                        let mut swapped = chars.clone();
                        swapped[i] = other;
                        swapped
                    })
                })
            })
            .collect();
        for chars in &next {
            if let (level, Some(number)) = fit(&chars.iter().collect::<String>(), format)
                && level > as_read
            {
                found.push((level, swaps, number));
            }
        }
        tried = next;
    }
    let level = found.iter().map(|f| f.0).max()?;
    let swaps = found.iter().filter(|f| f.0 == level).map(|f| f.1).min()?;
    let mut numbers = found
        .into_iter()
        .filter(|f| f.0 == level && f.1 == swaps)
        .map(|f| f.2)
        .collect::<HashSet<_>>()
        .into_iter();
    match (numbers.next(), numbers.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(pattern: &str) -> Regex {
        Regex::new(pattern).unwrap()
    }

    #[test]
    fn a_misread_number_is_put_back_into_its_bodys_format() {
        // NSF-ISR prints "C0124155-IS1": letters after the dash, digits before.
        let nsf = format(r"\bC\d{7}-[A-Z]{2}\d\b");
        assert_eq!(
            fitted("C0124155-1S1", &nsf).as_deref(),
            Some("C0124155-IS1")
        );
        assert_eq!(
            fitted("C0124155-1S1 ISO", &nsf).as_deref(),
            Some("C0124155-IS1"),
            "the number ends where its format and suffixes do"
        );
        assert_eq!(
            fitted("CO124155-IS1", &nsf).as_deref(),
            Some("C0124155-IS1")
        );
        assert_eq!(
            fitted("C0l24155-15O", &nsf),
            None,
            "three swaps are too many"
        );
        // LRQA's "LRQ" read with a zero.
        let lrqa = format(r"\bLRQ\s?\d{6,8}\b");
        assert_eq!(
            fitted("LR04008512", &lrqa),
            None,
            "Q is no digit's lookalike"
        );
        assert_eq!(fitted("LRQ4OO8512", &lrqa).as_deref(), Some("LRQ4008512"));
        // Kiwa's "K" then digits: a B read for an 8.
        let kiwa = format(r"\bK\d{4,6}/\d{2}\b");
        assert_eq!(fitted("K12B45/2l", &kiwa).as_deref(), Some("K12845/21"));
    }

    #[test]
    fn a_number_is_whole_with_its_suffixes_and_a_misread_dot_put_back() {
        let sgs = format(r"\b[A-Z]{2}\d{2}/\d{4,6}\b");
        let read = |text: &str| as_filed(whole(text, sgs.find(text).unwrap()));
        assert_eq!(read("Nr: PL19/65862.00 issued"), "PL19/65862.00");
        // OCR's colon or comma for the dot of SGS Polska's ".00".
        assert_eq!(read("Sertifika No: PL59/64820:00"), "PL59/64820.00");
        assert_eq!(read("Sertifika No: PL59/64820,00"), "PL59/64820.00");
        // Punctuation after a number is not a suffix.
        assert_eq!(read("No. PL59/64820, issued 2025"), "PL59/64820");
        assert_eq!(read("No: PL59/64820: valid"), "PL59/64820");
        assert_eq!(read("PL59/64820,Warszawa"), "PL59/64820");
        let lrqa = format(r"\bLRQ\s?\d{6,8}\b");
        let text = "Approval Certificate No: LRQ9410579/A.";
        assert_eq!(
            as_filed(whole(text, lrqa.find(text).unwrap())),
            "LRQ9410579/A"
        );
    }

    #[test]
    fn numbers_in_format_or_fitting_several_ways_stay_as_read() {
        let nsf = format(r"\bC\d{7}-[A-Z]{2}\d\b");
        assert_eq!(fitted("C0124155-IS1", &nsf), None, "already in format");
        // DNV's number is known from its start: its suffix read wrong is put back only
        // where the format spells the suffix out.
        let dnv_start = format(r"\bC\d{6}\b");
        assert_eq!(fitted("C519167-1C1-ISO-NOR", &dnv_start), None);
        let dnv = format(r"\bC\d{6}(?:-[A-Z]{2}\d-[A-Z]{3}-[A-Z]{3})?\b");
        assert_eq!(
            fitted("C519167-1C1-IS0-NOR", &dnv).as_deref(),
            Some("C519167-IC1-ISO-NOR")
        );
        assert_eq!(
            fitted("C5I9167-IC1-ISO-NOR", &dnv).as_deref(),
            Some("C519167-IC1-ISO-NOR")
        );
        assert_eq!(fitted("Q-2024-0815", &nsf), None, "nothing makes it fit");
        // With a format taking any letter, "1" may be "I" or "l": two repairs fit.
        let any_letters = format(r"\bC\d{7}-[A-Za-z]{2}\d\b");
        assert_eq!(fitted("C0124155-1S1", &any_letters), None);
    }
}
