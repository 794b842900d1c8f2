//! Which uploaded documents are accepted: by name, size and first bytes.

use std::path::Path;

use crate::pdf;

/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 20 << 20;
/// Accepted extensions and the Content-Type each is served with.
const KINDS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("tiff", "image/tiff"),
    ("webp", "image/webp"),
];

/// Whether the bytes are what the Content-Type says, by their magic bytes.
fn magic_matches(content_type: &str, b: &[u8]) -> bool {
    match content_type {
        "application/pdf" => pdf::is_pdf(b),
        "image/png" => b.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => b.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/tiff" => b.starts_with(b"II*\0") || b.starts_with(b"MM\0*"),
        "image/webp" => b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP",
        _ => false,
    }
}

/// The Content-Type of an acceptable upload, or why it is refused, by its name, its size
/// and its first bytes.
pub fn check_file(name: &str, head: &[u8], size: u64) -> Result<&'static str, String> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let Some((_, content_type)) = KINDS.iter().find(|(e, _)| *e == ext) else {
        return Err(format!(
            "File '{name}' has unsupported extension '.{ext}'; use .pdf, .png, .jpg, .jpeg, .tiff or .webp."
        ));
    };
    if size > MAX_FILE_BYTES as u64 {
        return Err(format!("File '{name}' is larger than 20 MB."));
    }
    if !magic_matches(content_type, head) {
        return Err(format!(
            "File '{name}' is not a .{ext} file by its content."
        ));
    }
    Ok(content_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_must_be_what_their_names_say() {
        assert_eq!(
            check_file("a.PDF", b"%PDF-1.7\n...", 10),
            Ok("application/pdf")
        );
        assert_eq!(
            check_file("s.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0], 10),
            Ok("image/jpeg")
        );
        assert_eq!(
            check_file("s.png", b"\x89PNG\r\n\x1a\nrest", 10),
            Ok("image/png")
        );
        assert_eq!(
            check_file("s.webp", b"RIFF\0\0\0\0WEBPVP8 ", 10),
            Ok("image/webp")
        );
        assert!(
            check_file("a.pdf", b"\x89PNG\r\n\x1a\n", 10)
                .unwrap_err()
                .contains("not a .pdf")
        );
        assert!(
            check_file("doc.txt", b"hello", 10)
                .unwrap_err()
                .contains("unsupported extension '.txt'")
        );
        assert!(
            check_file("big.pdf", b"%PDF-1.7", MAX_FILE_BYTES as u64 + 1)
                .unwrap_err()
                .contains("20 MB")
        );
    }
}
