//! The fields of a certificate document's text: standard, number, issuing body, scope and
//! dates (the same extraction as pages), the certified company, its address, VAT id, LEI
//! and printed web domains.

use std::sync::LazyLock;

use certwatch_domain::reading::{Extracted, Field};
use certwatch_domain::rules;
use regex::Regex;

use crate::extract;

static VAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i:vat|ust|umsatzsteuer|tva|iva|nif|btw)(?i:[\s.-]*(?:id|identification|reg|registration|no|nr|number|nummer|idnr))*\.?[\s:#-]*(?P<v>[A-Z]{2}\s?[0-9A-Z][0-9A-Z .]{6,14}[0-9A-Z])")
        .expect("valid regex")
});
static LEI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z0-9]{18}[0-9]{2}\b").expect("valid regex"));
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|www\.)(?:www\.)?(?P<d>[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})")
        .expect("valid regex")
});
static CERTIFIES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:certif(?:y|ies)\s+that|bescheinigt,?\s+dass|certifie\s+que|certifica\s+que|attests?\s+that)[\s:,]*$")
        .expect("valid regex")
});
static LEGAL_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:GmbH|AG|KG|SE|Ltd\.?|Limited|Inc\.?|LLC|plc|S\.A\.?|SAS|S\.A\.S\.|SARL|S\.p\.A\.|S\.r\.l\.|B\.V\.|N\.V\.|Corp(?:oration)?\.?)(?:\s|,|$)")
        .expect("valid regex")
});

/// Fields of a certificate document's text. Values read from the text layer are trusted
/// more than OCR's.
pub fn fields(text: &str, method: &str) -> Extracted {
    let confidence = if method == "ocr" { 0.6 } else { 0.9 };
    let f = |value| Field { value, confidence };
    let findings = extract::document_findings(text);
    let best = findings
        .iter()
        .find(|f| f.certificate_number.is_some())
        .or(findings.first());
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let body = best.and_then(|b| b.issuing_body.clone());
    // The certified company: the line after "certifies that", else a line with a legal
    // form that is not the certification body's.
    let company_at = lines
        .iter()
        .position(|l| CERTIFIES.is_match(l))
        .map(|i| i + 1)
        .filter(|i| *i < lines.len())
        .or_else(|| {
            lines.iter().position(|l| {
                LEGAL_FORM.is_match(l)
                    && !body.as_deref().is_some_and(|b| l.contains(b))
                    && !l.to_lowercase().contains("certif")
            })
        });
    let company = company_at.map(|i| lines[i].trim_end_matches([',', '.']).to_string());
    let address = company_at
        .and_then(|i| lines.get(i + 1))
        .filter(|l| l.chars().any(|c| c.is_ascii_digit()) && extract::standard_codes(l).is_empty())
        .map(|l| l.to_string());
    let vat = VAT
        .captures_iter(text)
        .filter_map(|c| c.name("v"))
        .map(|m| m.as_str().replace([' ', '.'], ""))
        .find(|v| v.chars().filter(char::is_ascii_digit).count() >= 8);
    let lei = LEI
        .find_iter(text)
        .filter_map(|m| rules::lei(m.as_str()))
        .next();
    let mut domains: Vec<String> = DOMAIN
        .captures_iter(text)
        .filter_map(|c| c.name("d"))
        .map(|m| m.as_str().to_ascii_lowercase())
        .collect();
    domains.dedup();
    Extracted {
        certificate_type_code: best.map(|b| f(b.standard.clone())),
        certificate_number: best.and_then(|b| b.certificate_number.clone()).map(f),
        issuing_body: body.map(f),
        scope: best.and_then(|b| b.scope.clone()).map(f),
        issue_date: best
            .and_then(|b| b.issue_date)
            .map(|value| Field { value, confidence }),
        expiry_date: best
            .and_then(|b| b.expiry_date)
            .map(|value| Field { value, confidence }),
        company_name: company.map(f),
        address: address.map(f),
        vat: vat.map(f),
        lei: lei.map(f),
        domains,
        method: method.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_a_certificate() {
        let text = "CERTIFICATE\nDEKRA Certification GmbH\nThis is to certify that\nMuster Metall GmbH\nIndustriestrasse 1, 70565 Stuttgart, Germany\nVAT ID: DE 123456789\nwww.muster-metall.example\nhas implemented a quality management system according to ISO 9001:2015\nScope: Machining of precision parts\nCertificate No.: Q-2024-0815\nValid until: 14 January 2027\n";
        let ex = fields(text, "pdf-text");
        let v = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
        assert_eq!(v(&ex.company_name).as_deref(), Some("Muster Metall GmbH"));
        assert_eq!(
            v(&ex.address).as_deref(),
            Some("Industriestrasse 1, 70565 Stuttgart, Germany")
        );
        assert_eq!(v(&ex.vat).as_deref(), Some("DE123456789"));
        assert_eq!(ex.domains, ["muster-metall.example"]);
        assert_eq!(v(&ex.certificate_type_code).as_deref(), Some("ISO_9001"));
        assert_eq!(v(&ex.certificate_number).as_deref(), Some("Q-2024-0815"));
        assert_eq!(v(&ex.issuing_body).as_deref(), Some("DEKRA"));
        assert_eq!(
            ex.expiry_date.map(|f| f.value.to_string()).as_deref(),
            Some("2027-01-14")
        );
        assert_eq!(ex.issue_date, None);
    }
}
