//! The file store: uploaded documents under `files/` in the data directory, each named by
//! the SHA-256 of its content (so the same document is one file however often it comes).

use std::path::{Path, PathBuf};

/// Where the file of this content is (or will be).
pub fn file_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("files").join(&sha256[..2]).join(sha256)
}

/// Where the picture of a stored PDF's first page is kept once drawn (derived data: it can
/// always be drawn again).
pub fn preview_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir
        .join("previews")
        .join(&sha256[..2])
        .join(format!("{sha256}.png"))
}

/// Moves an upload (a complete temporary file) into the file store under its SHA-256,
/// durably; the same content is the same file, so a second copy is simply dropped.
pub fn store_file(data_dir: &Path, sha256: &str, upload: &Path) -> std::io::Result<()> {
    let path = file_path(data_dir, sha256);
    if path.exists() {
        // The retention sweep collects only files unchanged for an hour: one that is
        // about to be pointed at again must not look old.
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(std::time::SystemTime::now())?;
        return std::fs::remove_file(upload);
    }
    let dir = path.parent().expect("a file path has a parent");
    std::fs::create_dir_all(dir)?;
    std::fs::File::open(upload)?.sync_all()?;
    std::fs::rename(upload, &path)?;
    std::fs::File::open(dir)?.sync_all()
}

pub fn read_stored(data_dir: &Path, sha256: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(file_path(data_dir, sha256))
}
