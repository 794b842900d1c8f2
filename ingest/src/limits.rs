//! The bounds every reading works within. The server sends them with each job, so one
//! setting in the configuration governs every worker.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Characters of text read from one document (text layer or OCR) at most.
    pub max_text_chars: usize,
    /// Pages of a PDF read (text layer) or rendered (OCR) at most.
    pub max_pdf_pages: u32,
    /// Pixels an image may declare (width × height) before it is decoded.
    pub max_image_pixels: u64,
    /// Data rows of one spreadsheet read at most; a longer file is refused.
    pub max_import_rows: usize,
    /// Row errors reported one by one; the rest are counted.
    pub max_import_errors: usize,
    /// Uncompressed bytes one part of an .xlsx file may declare.
    pub max_xlsx_part_bytes: u64,
    /// Seconds of CPU one job may use (the worker is killed past it).
    pub cpu_seconds: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_text_chars: 256 * 1024,
            max_pdf_pages: 20,
            max_image_pixels: 50_000_000,
            max_import_rows: 200_000,
            max_import_errors: 1_000,
            max_xlsx_part_bytes: 256 << 20,
            cpu_seconds: 60,
        }
    }
}
