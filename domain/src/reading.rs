//! What reading a document or page yields: certificate facts with their confidence.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An extracted value and how sure the extraction is of it (0 to 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field<T> {
    pub value: T,
    pub confidence: f32,
}

/// What was read from a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Extracted {
    /// The certificate's standard: the first it names.
    pub certificate_type_code: Option<Field<String>>,
    /// Other standards a combined certificate names (ISO 9001 on an IATF 16949
    /// certificate), in order: each is a certificate of its own with the same facts.
    pub other_standards: Vec<String>,
    pub certificate_number: Option<Field<String>>,
    pub issuing_body: Option<Field<String>>,
    pub scope: Option<Field<String>>,
    pub issue_date: Option<Field<NaiveDate>>,
    pub expiry_date: Option<Field<NaiveDate>>,
    pub company_name: Option<Field<String>>,
    pub address: Option<Field<String>>,
    pub vat: Option<Field<String>>,
    pub lei: Option<Field<String>>,
    /// Web domains printed on the document (`supplier.example`).
    pub domains: Vec<String>,
    /// How the text was read: `pdf-text` or `ocr`.
    pub method: String,
}

/// The confidence each field needs to be filed without a person. Confidences are
/// calibrated (the share of values read so that were right, `certwatch_ingest::calibration`):
/// what is filed must be right at least 95 times in 100. On the corpus the reader's surest
/// values are right 99 times in 100, and no calibrated step falls between 0.9 and 0.95, so
/// the choice costs no automation (the tables in docs/benchmarks.md). The company's name is not
/// filed — the supplier it matches is, and matching checks it (a misread name matches no
/// one, or a look-alike is refused) — so it needs only to be more likely right than not:
/// on the corpus no threshold on it down to 0.5 let a document be filed under the wrong
/// supplier.
pub const THRESHOLDS: [(&str, f32); 6] = [
    ("certificate_type_code", 0.95),
    ("certificate_number", 0.95),
    ("expiry_date", 0.95),
    ("issue_date", 0.95),
    ("issuing_body", 0.95),
    ("company_name", 0.5),
];

impl Extracted {
    /// The confidence of a field read, by name.
    pub fn confidence_of(&self, field: &str) -> Option<f32> {
        match field {
            "certificate_type_code" => self.certificate_type_code.as_ref().map(|f| f.confidence),
            "certificate_number" => self.certificate_number.as_ref().map(|f| f.confidence),
            "expiry_date" => self.expiry_date.as_ref().map(|f| f.confidence),
            "issue_date" => self.issue_date.as_ref().map(|f| f.confidence),
            "issuing_body" => self.issuing_body.as_ref().map(|f| f.confidence),
            "company_name" => self.company_name.as_ref().map(|f| f.confidence),
            _ => None,
        }
    }

    /// The fields read with less confidence than they need, by name: an item with any goes
    /// to a person, told which.
    pub fn doubtful_fields(&self) -> Vec<&'static str> {
        THRESHOLDS
            .iter()
            .filter(|(field, min)| self.confidence_of(field).is_some_and(|c| c < *min))
            .map(|(field, _)| *field)
            .collect()
    }
}

/// What reading one file came to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Read {
    Fields(Box<Extracted>),
    /// Nothing could be read automatically (no OCR here): a person must look.
    Review(String),
    Failed(String),
}

/// A certificate mention found on a page or in a document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Certificate type code the standard maps to (`ISO_9001`, `IATF_16949`, …).
    pub standard: String,
    pub certificate_number: Option<String>,
    pub issuing_body: Option<String>,
    pub scope: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    /// The linked document the finding was read from, with its SHA-256.
    pub document_url: Option<String>,
    pub document_hash: Option<String>,
}

/// A finding as monitoring read it, with what ties it to a company: the companies the page
/// or document gives it to (none when it names no one but the site it is on), and the
/// fields read without confidence. The server files it only for the supplier itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub finding: Finding,
    pub holders: Vec<String>,
    pub doubtful: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_below_their_threshold_are_named() {
        let field = |value: &str, confidence| {
            Some(Field {
                value: value.to_string(),
                confidence,
            })
        };
        let mut ex = Extracted {
            certificate_type_code: field("ISO_9001", 0.99),
            certificate_number: field("Q-1", 0.94),
            issuing_body: field("DEKRA", 0.95),
            ..Extracted::default()
        };
        assert_eq!(ex.doubtful_fields(), ["certificate_number"]);
        ex.certificate_number = field("Q-1", 0.99);
        assert!(ex.doubtful_fields().is_empty());
        // A field not read is missing, not doubtful.
        ex.certificate_number = None;
        assert!(ex.doubtful_fields().is_empty());
    }
}
