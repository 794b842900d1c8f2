//! Certificate mentions on a supplier's web page and in the documents it links to, each
//! with the companies it is given to.
//!
//! A page is read line by line (see `page::lines`): a mention is a line naming a standard
//! — split at each standard when it names several — and the few lines after it, read with
//! the same labels and rules as an uploaded certificate (`fields`). Whom it belongs to is
//! what the page says: a company label in the mention, a company named in its sentence (a
//! name ending in a legal form, such as a group company or a customer in a news item), or
//! a company name standing on a line of its own just above it (a section per company).
//! The server files a mention only when those all name the supplier itself, or when
//! nothing but the site it is on does.

use certwatch_domain::names::{CompanyName, ends_in_legal_form, is_legal_form};
use certwatch_domain::reading::{Extracted, Finding, Mention};

use crate::bodies;
use crate::extract;
use crate::fields::mention_of_lines;

/// Standards one line is read for at most: a real row names one to three.
pub const MAX_LINE_STANDARDS: usize = 20;
/// Certificate mentions read from one page at most (a group's page lists a few dozen).
pub const MAX_PAGE_MENTIONS: usize = 200;
/// Lines after a standard's line that still belong to its mention (until the next
/// standard named): a definition list's entries, a paragraph with the dates.
const FOLLOWING_LINES: usize = 6;
/// How far above a mention a company's own line still heads it.
const HEADING_LINES: usize = 5;
/// Words in a company name at most, its legal form included.
const MAX_NAME_WORDS: usize = 8;

/// Certificate mentions on a page, given as its lines.
pub fn page_mentions(lines: &[String]) -> Vec<Mention> {
    let mut out = Vec::new();
    let standards: Vec<Vec<(String, usize)>> = lines
        .iter()
        .map(|l| extract::standards_named(l, MAX_LINE_STANDARDS))
        .collect();
    for (i, line) in lines.iter().enumerate() {
        if out.len() >= MAX_PAGE_MENTIONS {
            break;
        }
        let found = &standards[i];
        if found.is_empty() {
            continue;
        }
        let following: Vec<&str> = (i + 1..lines.len())
            .take(FOLLOWING_LINES)
            // The next standard, or a company's own line, starts another mention.
            .take_while(|j| standards[*j].is_empty() && !company_line(&lines[*j]))
            .map(|j| lines[j].as_str())
            .collect();
        let heading = (i.saturating_sub(HEADING_LINES)..i)
            .rev()
            .take_while(|j| standards[*j].is_empty())
            .find(|j| company_line(&lines[*j]))
            .map(|j| lines[j].clone());
        for (k, (code, start)) in found.iter().enumerate() {
            // One standard: the whole line is its row. Several: each gets its own stretch,
            // and the last the lines after it.
            let from = if k == 0 { 0 } else { *start };
            let to = found.get(k + 1).map_or(line.len(), |next| next.1);
            let mut stretch = vec![&line[from..to]];
            if k + 1 == found.len() {
                stretch.extend(&following);
            }
            let (finding, mut holders) = mention_of_lines(code, &stretch);
            if holders.is_empty() {
                let text = stretch.join("\n");
                holders = companies_named(&text, finding.issuing_body.as_deref());
            }
            if holders.is_empty() {
                holders.extend(heading.clone());
            }
            out.push(Mention {
                finding,
                holders,
                doubtful: Vec::new(),
            });
        }
    }
    out
}

/// The certificates one document (a certificate PDF a page links to) shows: its standard
/// and any other it names besides, all given to the company it certifies.
pub fn document_mentions(ex: &Extracted) -> Vec<Mention> {
    let value =
        |f: &Option<certwatch_domain::reading::Field<String>>| f.as_ref().map(|f| f.value.clone());
    let Some(primary) = value(&ex.certificate_type_code) else {
        return Vec::new();
    };
    let finding = Finding {
        standard: primary.clone(),
        certificate_number: value(&ex.certificate_number),
        issuing_body: value(&ex.issuing_body),
        scope: value(&ex.scope),
        issue_date: ex.issue_date.as_ref().map(|f| f.value),
        expiry_date: ex.expiry_date.as_ref().map(|f| f.value),
        document_url: None,
        document_hash: None,
    };
    let doubtful: Vec<String> = ex.doubtful_fields().iter().map(|f| f.to_string()).collect();
    std::iter::once(primary)
        .chain(ex.other_standards.iter().cloned())
        .map(|standard| Mention {
            finding: Finding {
                standard,
                ..finding.clone()
            },
            holders: value(&ex.company_name).into_iter().collect(),
            doubtful: doubtful.clone(),
        })
        .collect()
}

/// Whether a word can be part of a company's name as printed: capitalised, a number, an
/// ampersand, or an abbreviation with dots (`s.r.o.`, `e.V.`).
fn name_word(word: &str) -> bool {
    let Some(first) = word.chars().next() else {
        return false;
    };
    first.is_uppercase()
        || first.is_ascii_digit()
        // "z" is Polish "with", inside "Sp. z o.o."
        || matches!(word, "&" | "+" | "z")
        || (word.contains('.') && word.len() <= 8)
}

/// The companies a text names: runs of name words that end in a legal form ("Foo
/// Industries Ltd", "Beta s.r.o."), other than the certification body's.
fn companies_named(text: &str, body: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut run: Vec<&str> = Vec::new();
        // A run ends at a word that is not a name's, or after punctuation that ends a
        // phrase (a comma only when no legal form follows: "Co., Ltd.").
        let words: Vec<&str> = line.split_whitespace().collect();
        for (n, word) in words.iter().enumerate() {
            let bare = word.trim_end_matches([',', ';', ':', ')', '!', '?']);
            let bare = bare.trim_start_matches(['(', '"', '\'']);
            if name_word(bare) {
                run.push(bare);
            } else {
                push_company(&mut out, &run, body);
                run.clear();
                continue;
            }
            let ends_phrase = word.ends_with([';', ':', ')', '!', '?'])
                || (word.ends_with(',')
                    && !words.get(n + 1).is_some_and(|next| is_legal_form(next)));
            if ends_phrase {
                push_company(&mut out, &run, body);
                run.clear();
            }
        }
        push_company(&mut out, &run, body);
    }
    out
}

/// Adds the company a run of name words names, if it is one: a name with a legal form, not
/// too long, and not the certification body.
fn push_company(out: &mut Vec<String>, run: &[&str], body: Option<&str>) {
    // The run's name is what ends in its last legal form: "Our customer Foo Ltd" is read
    // as "Foo Ltd" only when "customer" breaks the run; words before it stay, since a
    // longer name is never mistaken for the supplier.
    let window = |end: usize| &run[end.saturating_sub(MAX_NAME_WORDS)..end];
    let Some(end) = (1..=run.len())
        .rev()
        .find(|end| ends_in_legal_form(&window(*end).join(" ")))
    else {
        return;
    };
    let name = window(end).join(" ");
    let parsed = CompanyName::parse(&name);
    // "ISCC EU" is a standard, though "e.U." is an Austrian legal form.
    if parsed.words.is_empty()
        || parsed.forms.is_empty()
        || !extract::standards_in_order(&name).is_empty()
    {
        return;
    }
    let is_body = body.is_some_and(|b| {
        let b = CompanyName::parse(b);
        !b.words.is_empty() && b.words.iter().all(|w| parsed.words.contains(w))
    }) || bodies::known(&name).is_some();
    if !is_body && !out.contains(&name) {
        out.push(name);
    }
}

/// Whether a line is a company's name standing alone (a heading over its certificates).
fn company_line(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    !words.is_empty()
        && words.len() <= MAX_NAME_WORDS
        && words.iter().all(|w| name_word(w.trim_end_matches(',')))
        && companies_named(line, None).len() == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn lines(text: &[&str]) -> Vec<String> {
        text.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn a_certificate_table_yields_one_mention_per_row() {
        let found = page_mentions(&lines(&[
            "Our certificates",
            "Standard: ISO 9001:2015 | Certificate No.: Q-2024-0815 | Issued by: TÜV SÜD | Valid until: 14.01.2027",
            "Standard: ISO 14001:2015 | Certificate No.: E-77-1 | Issued by: DEKRA | Valid until: 30.06.2026",
            "Imprint",
        ]));
        assert_eq!(found.len(), 2);
        let f = &found[0].finding;
        assert_eq!(f.standard, "ISO_9001");
        assert_eq!(f.certificate_number.as_deref(), Some("Q-2024-0815"));
        assert_eq!(f.issuing_body.as_deref(), Some("TÜV SÜD"));
        assert_eq!(f.expiry_date, Some(day("2027-01-14")));
        assert_eq!(
            found[1].finding.certificate_number.as_deref(),
            Some("E-77-1")
        );
        assert_eq!(found[1].finding.issuing_body.as_deref(), Some("DEKRA"));
        assert!(found.iter().all(|m| m.holders.is_empty()));
    }

    #[test]
    fn a_paragraph_naming_two_standards_is_split() {
        let found = page_mentions(&lines(&[
            "We hold ISO 9001 (certificate no. Q-100-200, valid until 2027-03-01) and ISO 14001 (certificate no. E-300-400, valid until 2028-04-02).",
        ]));
        assert_eq!(found.len(), 2);
        let got: Vec<_> = found
            .iter()
            .map(|m| {
                (
                    m.finding.certificate_number.as_deref(),
                    m.finding.expiry_date,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some("Q-100-200"), Some(day("2027-03-01"))),
                (Some("E-300-400"), Some(day("2028-04-02")))
            ]
        );
    }

    #[test]
    fn dates_in_a_definition_list_or_a_paragraph_of_their_own_in_any_language() {
        // A definition list reads as "term: definition" lines (see `page`).
        for (text, want) in [
            (
                vec![
                    "ISO 9001:2015",
                    "Certificate No.: Q-1-2",
                    "Valid until: 14.01.2027",
                ],
                "2027-01-14",
            ),
            (
                vec![
                    "Certyfikat ISO 14001 nr PL-4455",
                    "Ważny do 30 czerwca 2028 r.",
                ],
                "2028-06-30",
            ),
            (
                vec!["ISO 45001 certifikat č. CZ-9-8", "Platnost do: 1. 2. 2029"],
                "2029-02-01",
            ),
            (
                vec![
                    "ISO 9001 certificaatnummer NL-3003",
                    "Geldig tot",
                    "15-03-2027",
                ],
                "2027-03-15",
            ),
            (
                vec!["Certificado ISO 9001 n.º PT-77", "Válido até 2027-05-31"],
                "2027-05-31",
            ),
            (
                vec!["ISO 50001 certifikatnummer SE-5", "Giltigt till 2028-09-30"],
                "2028-09-30",
            ),
        ] {
            let found = page_mentions(&lines(&text));
            assert_eq!(found.len(), 1, "{text:?}");
            assert_eq!(found[0].finding.expiry_date, Some(day(want)), "{text:?}");
        }
    }

    #[test]
    fn mentions_name_the_companies_they_belong_to() {
        let found = page_mentions(&lines(&[
            "Acme Metall GmbH",
            "Quality",
            "ISO 9001:2015, certificate no. Q-1-1, valid until 2027-01-01",
            "Group companies",
            "Beta Components s.r.o.",
            "ISO 14001, certificate no. E-2-2, valid until 2027-02-02",
            "News: our customer Gamma Industries Ltd achieved IATF 16949 certification, certified by TÜV SÜD Management Service GmbH.",
            "Company: Delta Werke AG | Standard: ISO 45001 | Certificate No.: S-3-3",
            "ISO 50001 certificate N-4-4 issued by Muster Cert GmbH",
        ]));
        let holders: Vec<(&str, Vec<&str>)> = found
            .iter()
            .map(|m| {
                (
                    m.finding.standard.as_str(),
                    m.holders.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            holders,
            [
                ("ISO_9001", vec!["Acme Metall GmbH"]),
                ("ISO_14001", vec!["Beta Components s.r.o."]),
                ("IATF_16949", vec!["Gamma Industries Ltd"]),
                ("ISO_45001", vec!["Delta Werke AG"]),
                // The certification body is not the holder.
                ("ISO_50001", vec![]),
            ]
        );
    }

    #[test]
    fn company_names_with_their_legal_forms() {
        let named = |t: &str| companies_named(t, None);
        assert_eq!(
            named("Nippon Seiko Co., Ltd. supplies us"),
            ["Nippon Seiko Co. Ltd."]
        );
        assert_eq!(
            named("awarded to Kowalski Sp. z o.o. today"),
            ["Kowalski Sp. z o.o."]
        );
        assert_eq!(named("Muster GmbH & Co. KG"), ["Muster GmbH & Co. KG"]);
        assert_eq!(
            named("We, the Quality Team, are proud"),
            Vec::<String>::new()
        );
        assert!(company_line("Beta Components s.r.o."));
        assert!(!company_line("Our certificates"));
        assert!(!company_line("Beta Components s.r.o. is certified"));
    }

    #[test]
    fn a_flood_of_standards_is_bounded() {
        let line = "ISO 9001 ISO 14001 ISO 45001 ".repeat(2_000);
        let many = vec![line; 50];
        let found = page_mentions(&many);
        assert!(found.len() <= MAX_PAGE_MENTIONS);
        assert!(found.len() >= 3);
    }
}
