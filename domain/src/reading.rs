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
    pub certificate_type_code: Option<Field<String>>,
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
