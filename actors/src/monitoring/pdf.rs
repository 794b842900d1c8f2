//! The text layer of a PDF, read off the async runtime with a time limit. PDF parsers
//! panic on some malformed files; that is caught and reported as an unreadable document.

use std::time::Duration;

/// Longest the text of one document may take to read.
const TEXT_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether the bytes are a PDF (by its magic bytes, which may follow a little junk).
pub fn is_pdf(bytes: &[u8]) -> bool {
    bytes.len() >= 5
        && bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
}

/// The document's text, or why it could not be read.
pub async fn text(bytes: Vec<u8>) -> Result<String, String> {
    if !is_pdf(&bytes) {
        return Err("not a PDF".into());
    }
    let work = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(&bytes))
    });
    match tokio::time::timeout(TEXT_TIMEOUT, work).await {
        Err(_) => Err(format!(
            "reading the text took longer than {TEXT_TIMEOUT:?}"
        )),
        Ok(Err(e)) => Err(format!("reading the text failed: {e}")),
        Ok(Ok(Err(_))) => Err("the PDF is malformed".into()),
        Ok(Ok(Ok(Err(e)))) => Err(format!("the PDF could not be read: {e}")),
        Ok(Ok(Ok(Ok(text)))) => Ok(text),
    }
}
