//! A picture of a PDF's first page, for people reviewing a document in a browser that
//! shows no PDFs inline (phones, headless browsers). pdftoppm renders it scaled to a
//! fixed size, so a page declaring an absurd size cannot make an absurd image; the worker's
//! CPU and memory limits bound the rest.

use std::path::Path;

use crate::document::run;

/// Longest side of the picture, in pixels.
const PREVIEW_PIXELS: u32 = 1400;
/// A rendered page larger than this is refused (a 1400-pixel PNG is far smaller).
const MAX_PREVIEW_BYTES: u64 = 16 << 20;

/// The PNG of the first page of the PDF at `pdf`; `scratch` is a directory of its own,
/// removed afterwards.
pub fn first_page_png(pdf: &Path, scratch: &Path) -> Result<Vec<u8>, String> {
    std::fs::create_dir_all(scratch).map_err(|e| e.to_string())?;
    let rendered = render(pdf, scratch);
    let _ = std::fs::remove_dir_all(scratch);
    rendered
}

fn render(pdf: &Path, scratch: &Path) -> Result<Vec<u8>, String> {
    let prefix = scratch.join("page");
    let size = PREVIEW_PIXELS.to_string();
    run(
        "pdftoppm",
        &[
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            "-scale-to",
            &size,
            "-png",
            &pdf.to_string_lossy(),
            &prefix.to_string_lossy(),
        ],
    )?;
    let png = scratch.join("page.png");
    let size = std::fs::metadata(&png)
        .map_err(|_| "The PDF's first page could not be drawn.".to_string())?
        .len();
    if size > MAX_PREVIEW_BYTES {
        return Err("The PDF's first page draws too large a picture.".into());
    }
    std::fs::read(&png).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_drawn_and_garbage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let not_pdf = dir.path().join("x.pdf");
        std::fs::write(&not_pdf, b"%PDF-1.4\n garbage \n%%EOF").unwrap();
        assert!(first_page_png(&not_pdf, &dir.path().join("s1")).is_err());
        assert!(!dir.path().join("s1").exists(), "scratch removed");
    }
}
