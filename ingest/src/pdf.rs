//! The text layer of a PDF, page by page, within the limits: at most so many pages and so
//! many characters. PDF parsers panic on some malformed files; that is caught and reported
//! as an unreadable document. Memory and time are bounded by the worker process this runs
//! in, not here: a Flate bomb is stopped by its address-space limit.

use pdf_extract::{Document, PlainTextOutput, output_doc_page};

use crate::limits::Limits;

/// Whether the bytes are a PDF (by its magic bytes, which may follow a little junk).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.len() >= 5
        && bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
}

/// The document's text, or why it could not be read.
pub fn text(bytes: &[u8], limits: &Limits) -> Result<String, String> {
    if !is_pdf(bytes) {
        return Err("The file is not a PDF.".into());
    }
    std::panic::catch_unwind(|| read_pages(bytes, limits))
        .unwrap_or_else(|_| Err("The PDF is malformed.".into()))
}

fn read_pages(bytes: &[u8], limits: &Limits) -> Result<String, String> {
    let mut doc =
        Document::load_mem(bytes).map_err(|e| format!("The PDF could not be read: {e}"))?;
    if doc.is_encrypted() {
        // Many certificates are "encrypted" with an empty user password against editing.
        doc.decrypt("")
            .map_err(|_| "The PDF is encrypted with a password.".to_string())?;
    }
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let mut text = String::new();
    for page in pages.into_iter().take(limits.max_pdf_pages as usize) {
        let mut page_text = String::new();
        let mut out = PlainTextOutput::new(&mut page_text);
        // A page that cannot be read is skipped; the others may hold the certificate.
        if output_doc_page(&doc, &mut out, page).is_ok() {
            text.push_str(&page_text);
            // A form feed between pages, as pdftotext and tesseract write them: the
            // certificate page is told from a cover letter or an annex.
            text.push('\u{c}');
        }
        if text.len() >= limits.max_text_chars {
            break;
        }
    }
    Ok(truncate(text, limits.max_text_chars))
}

/// `text` cut to at most `max` bytes, on a character boundary.
pub fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}
