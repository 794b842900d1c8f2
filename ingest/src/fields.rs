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

use crate::certificate_page::{Page, certificate_page, clean, pages};
use crate::dates::dates;
use crate::extract;
use crate::labels::Label;
use crate::numbers::{body_format, number_token, other_identifier, postcodes};

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

/// The certificate number: in its body's format, after its label, else a number-like
/// token that is nothing else.
fn number(page: &Page, body: Option<&str>, vat: Option<&VatId>) -> Option<Field<String>> {
    let text = page.text();
    let format = body.and_then(body_format);
    let values = page.values(Label::Number);
    // The body's format inside a labelled value ("n.2 FM 985332." as OCR reads "n.º").
    if let Some(re) = format
        && let Some((m, q)) = values
            .iter()
            .find_map(|(v, q)| re.find(v).map(|m| (m.as_str().to_string(), *q)))
    {
        let agrees = text.matches(m.as_str()).count() > 1;
        return Some(Field {
            confidence: confidence(true, true, agrees, q),
            value: m,
        });
    }
    if let Some(re) = format
        && let Some(m) = re.find(&text)
    {
        let q = quality_of(page, m.as_str());
        return Some(Field {
            value: m.as_str().to_string(),
            confidence: confidence(false, true, !values.is_empty(), q),
        });
    }
    let labelled: Vec<(String, f32)> = values
        .into_iter()
        .filter_map(|(v, q)| {
            // The number is the value's first run of number-like words.
            let token = number_token(&v)?;
            (!other_identifier(&token, vat) && extract::plausible_number(&token))
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
        !other_identifier(n, vat) && !postcodes.contains(n)
    })
    .map(|n| Field {
        confidence: confidence(false, false, false, quality_of(page, &n)),
        value: n,
    })
}

/// The reading quality of the line that holds `needle`.
fn quality_of(page: &Page, needle: &str) -> f32 {
    page.lines
        .iter()
        .find(|l| l.text.contains(needle))
        .map_or(1.0, |l| l.quality)
}

/// A date after one of its labels, with the line's quality.
fn labelled_date(page: &Page, label: Label) -> Option<(NaiveDate, f32)> {
    page.values(label)
        .into_iter()
        .find_map(|(v, q)| dates(&v).first().map(|d| (d.date, q)))
}

/// A validity date: its value, whether its label was found, and its line's quality.
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
/// line with its reading quality (from OCR's word confidences; 1 for a text layer).
pub fn fields_of_lines(pages_lines: &[Vec<(&str, f32)>], method: &str) -> Extracted {
    let page = certificate_page(pages_lines);
    let text = page.text();
    let codes = extract::standards_in_order(&text);
    let body = extract::issuing_body(&text);
    let body_line = body.as_ref().and_then(|b| {
        page.lines
            .iter()
            .position(|l| l.text.to_lowercase().contains(&b.to_lowercase()))
    });
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
    let number = number(&page, body.as_deref(), vat_id.as_ref());
    // "Muster GmbH, Industriestraße 1, 70565 Stuttgart": the name, then its address.
    let (company, address_after) = match company(&page, body_line) {
        Some((value, labelled, q)) => {
            let (name, address) = split_address(&value);
            (Some((name, labelled, q)), address)
        }
        None => (None, None),
    };
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
            value: b,
            confidence: confidence(
                true,
                true,
                false,
                body_line.map_or(1.0, |i| page.lines[i].quality),
            ),
        }),
        scope: scope.map(|(s, q)| Field {
            value: s.trim_end_matches('.').to_string(),
            confidence: confidence(true, false, false, q),
        }),
        issue_date: date_field(issue),
        expiry_date: date_field(expiry),
        company_name: company.map(|(name, labelled, q)| Field {
            value: name,
            confidence: confidence(labelled, true, false, q),
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
    let page = Page::new(lines.iter().map(|l| (*l, 1.0)).collect());
    let text = page.text();
    let body = extract::issuing_body(&text);
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
    let pages: Vec<Vec<(&str, f32)>> = pages(text)
        .into_iter()
        .map(|p| {
            p.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| (l, 1.0))
                .collect()
        })
        .collect();
    fields_of_lines(&pages, method)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: &Option<Field<String>>) -> Option<&str> {
        f.as_ref().map(|f| f.value.as_str())
    }

    fn date(f: &Option<Field<NaiveDate>>) -> Option<String> {
        f.as_ref().map(|f| f.value.to_string())
    }

    #[test]
    fn a_certificate_with_labels_and_identifiers() {
        let ex = fields(
            "CERTIFICATE\nDEKRA Certification GmbH hereby certifies that\nMuster Metall GmbH\nIndustriestrasse 1, 70565 Stuttgart, Germany\nVAT ID: DE 123456789\nwww.muster-metall.example\nhas implemented a quality management system according to ISO 9001:2015\nScope: Machining of precision parts\nCertificate No.: 91234567/2\nValid until: 14 January 2027\n",
            "pdf-text",
        );
        assert_eq!(text(&ex.company_name), Some("Muster Metall GmbH"));
        assert_eq!(
            text(&ex.address),
            Some("Industriestrasse 1, 70565 Stuttgart, Germany")
        );
        assert_eq!(text(&ex.vat), Some("DE123456789"));
        assert_eq!(ex.domains, ["muster-metall.example"]);
        assert_eq!(text(&ex.certificate_type_code), Some("ISO_9001"));
        assert_eq!(text(&ex.certificate_number), Some("91234567/2"));
        assert_eq!(text(&ex.issuing_body), Some("DEKRA"));
        assert_eq!(text(&ex.scope), Some("Machining of precision parts"));
        assert_eq!(date(&ex.expiry_date).as_deref(), Some("2027-01-14"));
        assert!(ex.doubtful_fields().is_empty(), "{ex:?}");
    }

    #[test]
    fn a_name_and_address_on_one_line_and_a_combined_certificate() {
        let ex = fields(
            "CERTIFICATE\nTÜV SÜD Management Service GmbH certifies that\nMuster Metall GmbH, Industriestrasse 1, 70565 Stuttgart\nhas a quality management system according to IATF 16949:2016 in conjunction with ISO 9001:2015\nCertificate No.: 12 111 45678 TMS\nValid until: 14 January 2027\n",
            "pdf-text",
        );
        assert_eq!(text(&ex.company_name), Some("Muster Metall GmbH"));
        assert_eq!(
            text(&ex.address),
            Some("Industriestrasse 1, 70565 Stuttgart")
        );
        assert_eq!(text(&ex.certificate_type_code), Some("IATF_16949"));
        assert_eq!(ex.other_standards, ["ISO_9001"]);
    }

    #[test]
    fn a_postcode_is_never_the_certificate_number() {
        for address in [
            "Industriestrasse 1, D-70565 Stuttgart",
            "Bahnhofstrasse 3, CH-8001 Zürich",
            "ul. Prosta 5, PL-00-950 Warszawa",
        ] {
            let ex = fields(
                &format!(
                    "CERTIFICATE\nMuster Metall GmbH\n{address}\nISO 9001:2015\nValid until: 14.01.2027\n"
                ),
                "pdf-text",
            );
            assert_eq!(text(&ex.certificate_number), None, "{address}");
        }
        // A number elsewhere on the page is still found.
        let ex = fields(
            "CERTIFICATE\nMuster Metall GmbH\nIndustriestrasse 1, D-70565 Stuttgart\nISO 9001:2015 Q-2024-0815\n",
            "pdf-text",
        );
        assert_eq!(text(&ex.certificate_number), Some("Q-2024-0815"));
    }

    #[test]
    fn a_value_never_runs_into_the_next_line_or_the_next_label() {
        let ex = fields(
            "ZERTIFIKAT\nZertifikat-Nr.:\nQ-2024-0815\nAusstellungsdatum: 15.01.2024   Gültig bis: 14.01.2027\nGeltungsbereich: Drehteile\nSeite 1",
            "pdf-text",
        );
        assert_eq!(text(&ex.certificate_number), Some("Q-2024-0815"));
        assert_eq!(date(&ex.issue_date).as_deref(), Some("2024-01-15"));
        assert_eq!(date(&ex.expiry_date).as_deref(), Some("2027-01-14"));
        assert_eq!(text(&ex.scope), Some("Drehteile"));
    }

    #[test]
    fn labels_and_dates_of_each_language() {
        for (lines, expiry) in [
            (
                "Nr certyfikatu: Q-77/1\nWażny do: 3 października 2027",
                "2027-10-03",
            ),
            (
                "Číslo certifikátu: Q-77/1\nPlatnost do: 3. 10. 2027",
                "2027-10-03",
            ),
            (
                "Certifikatnummer: Q-77/1\nGiltigt till: 2027-10-03",
                "2027-10-03",
            ),
            (
                "Certificaatnummer: Q-77/1\nGeldig tot: 03-10-2027",
                "2027-10-03",
            ),
            (
                "Certificado n.º: Q-77/1\nVálido até: 3 de outubro de 2027",
                "2027-10-03",
            ),
            (
                "Certificato n. Q-77/1\nData di scadenza: 03/10/2027",
                "2027-10-03",
            ),
            (
                "N° de certificat : Q-77/1\nValable jusqu'au 3 octobre 2027",
                "2027-10-03",
            ),
        ] {
            let ex = fields(&format!("ISO 14001:2015\n{lines}"), "pdf-text");
            assert_eq!(text(&ex.certificate_number), Some("Q-77/1"), "{lines}");
            assert_eq!(date(&ex.expiry_date).as_deref(), Some(expiry), "{lines}");
        }
    }

    #[test]
    fn numbers_are_checked_against_their_body_and_never_another_identifier() {
        // The body's format found where the label's value is garbled by OCR.
        let ex = fields(
            "BSI Assurance UK Ltd certifies that\nAcme Widgets Inc\nISO 9001:2015\nCertificado n.2 FM 985332.\nValid until: 15/05/2029",
            "pdf-text",
        );
        assert_eq!(text(&ex.certificate_number), Some("FM 985332"));
        // A VAT id or an accreditation number after a label is not the number.
        let ex = fields(
            "ISO 9001:2015\nCertificate No.: DE123456789\nValid until: 15/05/2029",
            "pdf-text",
        );
        assert_ne!(text(&ex.certificate_number), Some("DE123456789"));
        // A labelled value out of the body's known format: exact in a text layer, doubted
        // on a scan.
        let lines = [
            ("TÜV SÜD Management Service GmbH", 0.9),
            ("ISO 9001:2015", 0.9),
            ("Certificate No.: Q-1234", 0.9),
            ("Valid until: 15/05/2029", 0.9),
        ];
        let ex = fields_of_lines(&[lines.to_vec()], "ocr");
        assert_eq!(text(&ex.certificate_number), Some("Q-1234"));
        assert_eq!(ex.doubtful_fields(), ["certificate_number"]);
        let text_layer: Vec<(&str, f32)> = lines.iter().map(|(l, _)| (*l, 1.0)).collect();
        assert!(
            fields_of_lines(&[text_layer], "pdf-text")
                .doubtful_fields()
                .is_empty()
        );
    }

    #[test]
    fn a_table_header_row_gives_each_column_its_value() {
        let ex = fields(
            "ISO 45001:2018\nNorm Zertifikat-Registrier-Nr. Gültig ab Gültig bis\nISO 45001:2018 ER-6049/1801 20.05.2023 18.05.2026",
            "pdf-text",
        );
        assert_eq!(text(&ex.certificate_number), Some("ER-6049/1801"));
        assert_eq!(date(&ex.issue_date).as_deref(), Some("2023-05-20"));
        assert_eq!(date(&ex.expiry_date).as_deref(), Some("2026-05-18"));
    }

    #[test]
    fn the_certificate_page_is_read_not_the_cover_letter_or_the_annex() {
        let letter = "DQS GmbH\nAugust-Schanz-Straße 21, 60433 Frankfurt\nMuster Metall GmbH\nDear Sir or Madam,\nplease find enclosed your certificate. Audit date: 02/01/2024";
        let certificate = "CERTIFICATE\nDQS GmbH hereby certifies that\nMuster Metall GmbH\nIndustriestraße 12, 70565 Stuttgart\nISO 9001:2015\nCertificate No.: 123456 QM15\nDate of issue: 15/01/2024\nValid until: 14/01/2027";
        let annex =
            "Annex to certificate 123456 QM15\nCertified sites:\nMuster Logistik GmbH – Frankfurt";
        let ex = fields(
            &format!("{letter}\u{c}{certificate}\u{c}{annex}"),
            "pdf-text",
        );
        assert_eq!(text(&ex.company_name), Some("Muster Metall GmbH"));
        assert_eq!(
            text(&ex.address),
            Some("Industriestraße 12, 70565 Stuttgart")
        );
        assert_eq!(date(&ex.issue_date).as_deref(), Some("2024-01-15"));
        assert_eq!(text(&ex.certificate_number), Some("123456 QM15"));
    }

    #[test]
    fn a_flood_of_labels_and_standards_is_read_in_bounded_passes() {
        // 20,000 label-only lines and lines naming standards: read in linear passes (a
        // stack is at most a few lines), one number, one type.
        let mut text = String::new();
        for i in 0..10_000 {
            text.push_str("Valid until:\nCertificate No.:\n");
            text.push_str(&format!("ISO {} Q-{i}\n", 10_000 + i % 90_000));
        }
        let ex = fields(&text, "pdf-text");
        assert!(ex.certificate_type_code.is_some());
        assert!(ex.certificate_number.is_some());
    }

    #[test]
    fn ocr_line_quality_lowers_confidence() {
        let page = vec![
            ("ISO 9001:2015", 0.95),
            ("Certificate No.: Q-77/1", 0.5),
            ("Valid until: 15/05/2029", 0.95),
        ];
        let ex = fields_of_lines(&[page], "ocr");
        assert_eq!(ex.doubtful_fields(), ["certificate_number"]);
    }
}
