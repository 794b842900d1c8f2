//! Dates as certificates write them: ISO, numeric day first (dots, slashes, dashes, the
//! Czech "14. 1. 2027" with spaces), and with the month spelt out in the languages of
//! Europe's manufacturing base and Turkish, genitive forms (Polish, Czech) and
//! Spanish/Portuguese "de" included. Month names are matched without case and, so OCR's dropped accents do not
//! matter, without diacritics too.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

/// Month names (and common abbreviations) in the languages certificates come in: English,
/// German, French, Spanish, Italian, Dutch, Polish, Portuguese, Czech, Swedish and Turkish, in the
/// forms a date uses (Polish and Czech write the genitive).
const MONTHS: [&[&str]; 12] = [
    &[
        "january", "jan", "januar", "jänner", "janvier", "enero", "gennaio", "januari", "stycznia",
        "styczeń", "janeiro", "ledna", "leden", "ocak",
    ],
    &[
        "february",
        "feb",
        "februar",
        "février",
        "févr",
        "febrero",
        "febbraio",
        "februari",
        "lutego",
        "luty",
        "fevereiro",
        "února",
        "únor",
        "şubat",
    ],
    &[
        "march", "mar", "märz", "maerz", "mär", "mars", "marzo", "maart", "marca", "marzec",
        "março", "března", "březen", "mart",
    ],
    &[
        "april",
        "apr",
        "avril",
        "abril",
        "aprile",
        "kwietnia",
        "kwiecień",
        "dubna",
        "duben",
        "nisan",
    ],
    &[
        "may", "mai", "mayo", "maggio", "mei", "maja", "maj", "maio", "května", "květen", "mayıs",
    ],
    &[
        "june", "jun", "juni", "juin", "junio", "giugno", "czerwca", "czerwiec", "junho", "června",
        "červen", "haziran",
    ],
    &[
        "july",
        "jul",
        "juli",
        "juillet",
        "julio",
        "luglio",
        "lipca",
        "lipiec",
        "julho",
        "července",
        "červenec",
        "temmuz",
    ],
    &[
        "august",
        "aug",
        "août",
        "agosto",
        "augustus",
        "sierpnia",
        "sierpień",
        "srpna",
        "srpen",
        "augusti",
        "ağustos",
    ],
    &[
        "september",
        "sep",
        "sept",
        "septembre",
        "septiembre",
        "setiembre",
        "settembre",
        "września",
        "wrzesień",
        "setembro",
        "září",
        "eylül",
    ],
    &[
        "october",
        "oct",
        "oktober",
        "okt",
        "octobre",
        "octubre",
        "ottobre",
        "października",
        "październik",
        "outubro",
        "října",
        "říjen",
        "ekim",
    ],
    &[
        "november",
        "nov",
        "novembre",
        "noviembre",
        "listopada",
        "listopad",
        "novembro",
        "listopadu",
        "kasım",
    ],
    &[
        "december",
        "dec",
        "dezember",
        "dez",
        "décembre",
        "diciembre",
        "dicembre",
        "grudnia",
        "grudzień",
        "dezembro",
        "prosince",
        "prosinec",
        "aralık",
    ],
];

/// A month name as compared: lower case, without diacritics.
fn plain(name: &str) -> String {
    deunicode::deunicode(name).to_lowercase()
}

fn month_number(name: &str) -> Option<u32> {
    let name = plain(name.trim_end_matches('.'));
    MONTHS
        .iter()
        .position(|names| names.iter().any(|n| plain(n) == name))
        .map(|i| i as u32 + 1)
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    let mut names: Vec<String> = MONTHS
        .iter()
        .flat_map(|m| m.iter())
        .map(|n| plain(n))
        .collect();
    names.sort();
    names.dedup();
    // Longest first, so "juillet" is not read as "jul".
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let month = names.join("|");
    Regex::new(&format!(
        r"(?i)\b(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})-(?P<id>\d{{1,2}})\b|\b(?P<na>\d{{1,2}})(?P<sep>\.\s?|[/\-])(?P<nb>\d{{1,2}})(?:\.\s?|[/\-])(?P<ny>\d{{4}})\b|\b(?P<dd>\d{{1,2}})(?:st|nd|rd|th|er)?\.{{0,2}}[\s\-]*(?:de\s+)?(?P<dm>{month})\.?[\s\-,]+(?:de\s+)?(?P<dy>\d{{4}})\b|\b(?P<mm>{month})\.?\s+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<my>\d{{4}})\b"
    ))
    .expect("valid regex")
});

/// A date written in the text and where it stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateAt {
    pub date: NaiveDate,
    pub start: usize,
    pub end: usize,
}

/// Every date in the text. Numeric dates are day first (14.01.2027, 14/01/2027) unless
/// only month first makes sense (01/14/2027).
pub fn dates(text: &str) -> Vec<DateAt> {
    // Matched on the text without diacritics (so "ríjna" is "rijna"), positions mapped
    // back to the text as written.
    let mut plain = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        if c.is_ascii() {
            plain.push(c);
            origin.push(at);
        } else {
            for b in deunicode::deunicode_char(c).unwrap_or("?").bytes() {
                plain.push(if b.is_ascii() { b as char } else { '?' });
                origin.push(at);
            }
        }
    }
    let back = |at: usize| origin.get(at).copied().unwrap_or(text.len());
    DATE.captures_iter(&plain)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let num = |name: &str| c.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
            let (y, m, d) = if let Some(y) = num("iy") {
                (y, num("im")?, num("id")?)
            } else if let Some(y) = num("ny") {
                let (a, b) = (num("na")?, num("nb")?);
                let dotted = c.name("sep").is_some_and(|s| s.as_str().starts_with('.'));
                if !dotted && a <= 12 && b > 12 {
                    (y, a, b)
                } else {
                    (y, b, a)
                }
            } else if let Some(y) = num("dy") {
                (y, month_number(c.name("dm")?.as_str())?, num("dd")?)
            } else {
                (
                    num("my")?,
                    month_number(c.name("mm")?.as_str())?,
                    num("md")?,
                )
            };
            let date = NaiveDate::from_ymd_opt(y as i32, m, d)?;
            Some(DateAt {
                date,
                start: back(whole.start()),
                end: back(whole.end()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn dates_in_the_formats_suppliers_write() {
        for (text, want) in [
            ("2027-01-14", "2027-01-14"),
            ("14.01.2027", "2027-01-14"),
            ("4.1.2027", "2027-01-04"),
            ("14/01/2027", "2027-01-14"),
            ("01/14/2027", "2027-01-14"),
            ("14-01-2027", "2027-01-14"),
            ("14 January 2027", "2027-01-14"),
            ("14th January, 2027", "2027-01-14"),
            ("January 14, 2027", "2027-01-14"),
            ("Jan 14 2027", "2027-01-14"),
            ("Sept. 3, 2026", "2026-09-03"),
            ("14-Jan-2027", "2027-01-14"),
            ("14. Januar 2027", "2027-01-14"),
            ("3. März 2028", "2028-03-03"),
            ("1er juillet 2027", "2027-07-01"),
            ("14 février 2027", "2027-02-14"),
            ("14 de enero de 2027", "2027-01-14"),
            ("14 Ocak 2027", "2027-01-14"),
            ("3 Ağustos 2026", "2026-08-03"),
            ("31 dicembre 2026", "2026-12-31"),
            ("14 januari 2027", "2027-01-14"),
            ("3 października 2026", "2026-10-03"),
            ("3 pazdziernika 2026", "2026-10-03"),
            ("14 de março de 2027", "2027-03-14"),
            ("14. března 2027", "2027-03-14"),
            ("14. 1. 2027", "2027-01-14"),
            ("14 augusti 2027", "2027-08-14"),
            ("28. ríjna 2024", "2024-10-28"),
            ("28..November 2023", "2023-11-28"),
            ("1er février 2027", "2027-02-01"),
        ] {
            let found = dates(&format!("valid until {text}."));
            assert_eq!(found.len(), 1, "{text}: {found:?}");
            assert_eq!(found[0].date, day(want), "{text}");
        }
        for not_a_date in [
            "31.02.2027",
            "ISO 9001:2015",
            "2027",
            "32/01/2027",
            "Tel. 0711 123 4567",
        ] {
            assert!(dates(not_a_date).is_empty(), "{not_a_date}");
        }
    }
}
