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

/// Suffixes joined to a number by `-`, `/` or `.`.
static SUFFIXES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[\-/.][A-Za-z0-9]+)+").expect("valid regex"));

/// A number found at `m` in `text`, whole: with the suffixes joined to it
/// ("C519167-IC1-ISO-NOR", "LRQ9410579/A", "PL19/65862.00"). A body's format says how a
/// number starts; a certificate's identity is all of it.
pub(crate) fn whole<'t>(text: &'t str, m: regex::Match<'t>) -> &'t str {
    let tail = SUFFIXES.find(&text[m.end()..]).map_or(0, |s| s.end());
    &text[m.start()..m.end() + tail]
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
