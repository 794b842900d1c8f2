//! The fields of a certificate document: which standard, the certificate number, the
//! issuing body, scope, validity dates, the certified company, its address, VAT id, LEI and
//! printed web domains — each with a confidence from its evidence.
//!
//! A document is read on its certificate page (a cover letter or an annex is not the
//! certificate), line by line: a field's value is what follows its label on the same line,
//! up to the next label, or the next line when the label ends its line. A value never runs
//! into the following line. Labels are known in ten languages (`labels`).

use std::sync::LazyLock;

use certwatch_domain::names::{CompanyName, VatId};
use certwatch_domain::reading::{Extracted, Field, Finding};
use certwatch_domain::rules;
use chrono::NaiveDate;
use regex::Regex;

use crate::bodies::{self, How};
use crate::certificate_page::{Page, ReadLine, certificate_page, clean, pages};
use crate::dates::dates;
use crate::extract;
use crate::labels::Label;
use crate::misreads;
use crate::numbers::{self, NotNumbers, number_token, other_identifier, postcodes, whole};

static VAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i:vat|ust|umsatzsteuer|tva|iva|nif|btw|nip|di[cč]|moms|uid|cif)(?i:[\s.\-]*(?:id|identification|reg|registration|no|nr|number|nummer|idnr|nummer|n[°º]))*\.?[\s:#\-]*(?P<v>(?:[A-Z]{2,3}[\s\-]?)?[0-9][0-9A-Z .\-]{6,16}[0-9A-Z])")
        .expect("valid regex")
});
static LEI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z0-9]{18}[0-9]{2}\b").expect("valid regex"));
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|www\.)(?:www\.)?(?P<d>[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})")
        .expect("valid regex")
});
/// How sure a value is, from its evidence: found after its label, of a validated format,
/// agreeing with another place. Times the quality of the text it was read from.
fn confidence(labelled: bool, validated: bool, agrees: bool, quality: f32) -> f32 {
    let evidence = 0.4
        + 0.3 * labelled as u8 as f32
        + 0.3 * validated as u8 as f32
        + 0.1 * agrees as u8 as f32;
    (evidence.min(1.0) * quality * 100.0).round() / 100.0
}

/// What a scanned value contradicting its evidence (a number not in its body's format)
/// loses.
const CONTRADICTED: f32 = 0.2;

/// How many of a page's labelled numbers a lookalike repair is tried on: a certificate has
/// one or two, and a flood of them must not cost a repair search each.
const REPAIRED_VALUES: usize = 4;

/// The number in `format` inside a labelled value: as read, and as filed — with `repair`,
/// the lookalikes that keep it out of the format, or its suffix out of a format that spells
/// one out, put back (`numbers::fitted`).
fn in_format(value: &str, format: &Regex, repair: bool) -> Option<(String, String)> {
    let (read, fits) = match format.find(value) {
        Some(m) => (whole(value, m).to_string(), true),
        None => (number_token(value)?, false),
    };
    match repair.then(|| numbers::fitted(&read, format)).flatten() {
        Some(number) => Some((read, numbers::as_filed(&number))),
        None => fits.then(|| (read.clone(), numbers::as_filed(&read))),
    }
}

/// The certificate number: in its body's format, after its label, else a number-like
/// token that is nothing else.
fn number(page: &Page, body: Option<&str>, vat: Option<&VatId>) -> Option<Field<String>> {
    let text = page.text();
    let format = body.and_then(bodies::number_format);
    let values = page.values(Label::Number);
    let not = NotNumbers {
        vat,
        labelled: page
            .values(Label::Identifier)
            .iter()
            .filter_map(|(v, _)| number_token(v))
            .collect(),
    };
    // The body's format inside a labelled value ("n.2 FM 985332." as OCR reads "n.º"),
    // with the lookalikes that keep it out of the format put back. Each value is only as
    // sure as its least sure character (`Page::quality_of`).
    if let Some(re) = format
        && let Some((read, number)) = values
            .iter()
            .enumerate()
            .find_map(|(i, (v, _))| in_format(v, re, i < REPAIRED_VALUES))
    {
        let agrees = text.matches(number.as_str()).count() > 1;
        return Some(Field {
            confidence: confidence(true, true, agrees, page.quality_of(&read)),
            value: number,
        });
    }
    if let Some(re) = format
        && let Some(m) = re
            .find_iter(&text)
            .map(|m| whole(&text, m))
            .find(|n| !other_identifier(n, &not))
    {
        let q = page.quality_of(m);
        return Some(Field {
            value: numbers::as_filed(m),
            confidence: confidence(false, true, !values.is_empty(), q),
        });
    }
    let labelled: Vec<(String, f32)> = values
        .into_iter()
        .filter_map(|(v, _)| {
            // The number is the value's first run of number-like words.
            let token = number_token(&v)?;
            let q = page.quality_of(&token);
            (!other_identifier(&token, &not) && extract::plausible_number(&token))
                .then_some((token, q))
        })
        .collect();
    if let Some((n, q)) = labelled.first() {
        let agrees = labelled.iter().all(|(o, _)| o == n) && labelled.len() > 1;
        // A body whose format is known and not met, on a scan: likely a misread (in a text
        // layer the value is exact, and the body has a style the table lacks).
        let penalty = if format.is_some() && *q < 1.0 {
            CONTRADICTED * q
        } else {
            0.0
        };
        return Some(Field {
            value: n.clone(),
            confidence: confidence(true, false, agrees, *q) - penalty,
        });
    }
    let postcodes = postcodes(&text);
    extract::certificate_number(&text, |n| {
        !other_identifier(n, &not) && !postcodes.contains(n)
    })
    .map(|n| Field {
        confidence: confidence(false, false, false, page.quality_of(&n)),
        value: n,
    })
}

/// A date after one of its labels, with how well it was read.
fn labelled_date(page: &Page, label: Label) -> Option<(NaiveDate, f32)> {
    page.values(label).into_iter().find_map(|(v, line)| {
        dates(&v).first().map(|d| {
            // As sure as its own characters, as a number is; the line's words (its label
            // and what else it holds) where the date is not on one line as read.
            let q = page.quality_where(&v[d.start..d.end]).unwrap_or(line);
            (d.date, q)
        })
    })
}

/// A validity date: its value, whether its label was found, and how well it was read.
type DateRead = (NaiveDate, bool, f32);

/// Issue and expiry dates: after their labels, else as the rules for unlabelled text read
/// them (`extract::validity`).
fn validity(page: &Page, text: &str) -> (Option<DateRead>, Option<DateRead>) {
    let (fallback_issue, fallback_expiry) = extract::validity(text);
    let read = |label, fallback: Option<NaiveDate>| {
        labelled_date(page, label)
            .map(|(d, q)| (d, true, q))
            .or(fallback.map(|d| (d, false, 1.0)))
    };
    (
        read(Label::Issued, fallback_issue),
        read(Label::Expires, fallback_expiry),
    )
}

/// The scope: after its label, else after a scope phrase in running text; with its line's
/// quality.
fn scope(page: &Page, text: &str) -> Option<(String, f32)> {
    page.values(Label::Scope)
        .into_iter()
        .next()
        .or_else(|| extract::scope(text).map(|s| (s, 1.0)))
}

/// The certified company: the line after "… certifies that", else the company label's
/// value, else a line carrying a legal form that is not the certification body's.
fn company(page: &Page, body_line: Option<usize>) -> Option<(String, bool, f32)> {
    for (i, line) in page.lines.iter().enumerate() {
        let Some(f) = line.labels.iter().find(|f| f.label == Label::Certifies) else {
            continue;
        };
        // "… certifies that Muster GmbH, …" names it on the line; "… certifies that the
        // company" puts it on the next.
        let rest = clean(&line.text[line.folded.original(f.end)..]);
        let names_company = line.labels.iter().any(|l| l.start >= f.end);
        if !names_company && !CompanyName::parse(&rest).forms.is_empty() {
            return Some((rest, true, line.quality));
        }
        if let Some(next) = page.lines.get(i + 1) {
            // "Company: Muster GmbH" on the next line is its label, not its name.
            let labelled = next.labels.first().filter(|l| {
                l.label == Label::Company
                    && l.start == 0
                    && next.text[next.folded.original(l.end)..]
                        .trim_start()
                        .starts_with(':')
            });
            let value = labelled.map_or(next.text, |l| &next.text[next.folded.original(l.end)..]);
            return Some((clean(value), true, next.quality));
        }
    }
    if let Some((v, q)) = page.values(Label::Company).into_iter().next() {
        return Some((v, true, q));
    }
    page.lines
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != body_line)
        .find(|(_, l)| {
            l.labels.is_empty()
                && !CompanyName::parse(l.text).forms.is_empty()
                && extract::standards_in_order(l.text).is_empty()
                && l.text.split_whitespace().count() <= 8
        })
        .map(|(_, l)| (clean(l.text), false, l.quality))
}

/// A company line's name and the address after it: the address starts at the first comma
/// after which a number follows (a street number, a postcode).
fn split_address(value: &str) -> (String, Option<String>) {
    let cut = value.match_indices(", ").map(|(at, _)| at).find(|at| {
        let rest = &value[at + 2..];
        rest.chars().any(|c| c.is_ascii_digit()) && dates(rest).is_empty()
    });
    match cut {
        Some(at) => (clean(&value[..at]), Some(clean(&value[at + 2..]))),
        None => (value.to_string(), None),
    }
}

/// Fields of a certificate document's text, read as `method` (`pdf-text` or `ocr`), each
/// line with its reading quality (from OCR's word and character confidences; 1 for a text
/// layer).
pub(crate) fn fields_of_lines(pages_lines: &[Vec<ReadLine>], method: &str) -> Extracted {
    let page = certificate_page(pages_lines);
    let text = page.text();
    let codes = extract::standards_in_order(&text);
    // A body named by name or label first: its line is not the company's. The letterhead
    // is read last, when the company is known not to be it.
    let labelled_body = bodies::labelled(&page);
    let body_line = labelled_body.as_ref().map(|b| b.line);
    let vat = VAT
        .captures_iter(&text)
        .filter_map(|c| c.name("v"))
        .map(|m| m.as_str().replace([' ', '.', '-'], ""))
        .find(|v| VatId::parse(v).is_some());
    let vat_id = vat.as_deref().and_then(VatId::parse);
    let lei = LEI.find_iter(&text).find_map(|m| rules::lei(m.as_str()));
    let mut domains: Vec<String> = DOMAIN
        .captures_iter(&text)
        .filter_map(|c| c.name("d"))
        .map(|m| m.as_str().to_ascii_lowercase())
        .collect();
    domains.dedup();

    let (issue, expiry) = validity(&page, &text);
    // Dates agree when the certificate runs forward, for at most ten years.
    let dates_agree = match (&issue, &expiry) {
        (Some((i, ..)), Some((e, ..))) => *e > *i && (*e - *i).num_days() <= 3_660,
        _ => false,
    };
    let date_field = |d: Option<(NaiveDate, bool, f32)>| {
        d.map(|(value, labelled, q)| Field {
            value,
            confidence: confidence(labelled, true, dates_agree, q),
        })
    };
    let number = number(
        &page,
        labelled_body.as_ref().map(|b| b.name.as_str()),
        vat_id.as_ref(),
    );
    // "Muster GmbH, Industriestraße 1, 70565 Stuttgart": the name, then its address.
    // The name is as sure as its least sure character; OCR's predictable misreads of
    // punctuation are put back after that is measured on the name as printed.
    let (company, address_after) = match company(&page, body_line) {
        Some((value, labelled, q)) => {
            let (printed, address) = split_address(&value);
            let q = page.quality_of(&printed).min(q);
            let name = if method == "ocr" {
                misreads::repaired_name(&printed)
            } else {
                printed
            };
            (Some((name, labelled, q)), address)
        }
        None => (None, None),
    };
    let body = labelled_body
        .or_else(|| bodies::letterhead(&page, company.as_ref().map(|(n, ..)| n.as_str())));
    let address = address_after.or_else(|| {
        let (name, ..) = company.as_ref()?;
        let at = page
            .lines
            .iter()
            .position(|l| l.text.contains(name.as_str()))?;
        let next = page.lines.get(at + 1)?;
        (next.text.chars().any(|c| c.is_ascii_digit())
            && extract::standard_codes(next.text).is_empty())
        .then(|| clean(next.text))
    });
    let scope = scope(&page, &text);
    Extracted {
        certificate_type_code: codes.first().map(|c| Field {
            value: c.clone(),
            confidence: confidence(true, true, codes.len() == 1, page.quality()),
        }),
        other_standards: codes.iter().skip(1).cloned().collect(),
        certificate_number: number,
        issuing_body: body.map(|b| Field {
            confidence: confidence(
                b.how != How::Letterhead,
                b.how == How::Known,
                bodies::printed_again(&page, &b),
                b.quality,
            ),
            value: b.name,
        }),
        scope: scope.map(|(s, q)| Field {
            value: s.trim_end_matches('.').to_string(),
            confidence: confidence(true, false, false, q),
        }),
        issue_date: date_field(issue),
        expiry_date: date_field(expiry),
        company_name: company.map(|(name, labelled, q)| Field {
            confidence: confidence(labelled, true, false, q),
            value: name,
        }),
        address: address.map(|a| Field {
            value: a,
            confidence: confidence(false, false, false, 1.0),
        }),
        vat: vat.map(|v| Field {
            value: v,
            confidence: confidence(true, true, false, 1.0),
        }),
        lei: lei.map(|l| Field {
            value: l,
            confidence: confidence(true, true, false, 1.0),
        }),
        domains,
        method: method.to_string(),
    }
}

/// A certificate mention on a web page, as `standard` and the lines that speak of it (its
/// row or sentence and the few after it), read with the documents' labels and rules; with
/// the values of its company labels ("Company: …", "Zertifikatsinhaber: …").
pub(crate) fn mention_of_lines(standard: &str, lines: &[&str]) -> (Finding, Vec<String>) {
    let page = Page::new(lines.iter().map(|l| ReadLine::exact(l)).collect());
    let text = page.text();
    let body = bodies::labelled(&page).map(|b| b.name);
    let (issue, expiry) = validity(&page, &text);
    let finding = Finding {
        standard: standard.to_string(),
        certificate_number: number(&page, body.as_deref(), None).map(|f| f.value),
        scope: scope(&page, &text).map(|(s, _)| s),
        issue_date: issue.map(|(d, ..)| d),
        expiry_date: expiry.map(|(d, ..)| d),
        issuing_body: body,
        document_url: None,
        document_hash: None,
    };
    let companies = page
        .values(Label::Company)
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    (finding, companies)
}

/// Fields of a text layer's text (pages separated by form feeds), every line read exactly.
pub fn fields(text: &str, method: &str) -> Extracted {
    let pages: Vec<Vec<ReadLine>> = pages(text)
        .into_iter()
        .map(|p| {
            p.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(ReadLine::exact)
                .collect()
        })
        .collect();
    fields_of_lines(&pages, method)
}

#[cfg(test)]
mod tests;
