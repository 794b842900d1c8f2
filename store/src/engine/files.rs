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
    match std::fs::rename(upload, &path) {
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
            copy_into(data_dir, upload, &path)?
        }
        moved => moved?,
    }
    std::fs::File::open(dir)?.sync_all()
}

/// What a copy into the file store is named while it is made (see [`copy_into`]).
pub const PARTIAL: &str = "partial";

/// Moves `upload` to `path` across file systems: `files/` on storage several nodes share,
/// the upload in a node's own `tmp/`. The copy is made beside, in `files/` as
/// `<random>.partial` (which no reader takes for a stored file, and the retention sweep
/// removes once old, should a crash leave one), made durable, then renamed into place — so
/// `path` is never seen half-written.
fn copy_into(data_dir: &Path, upload: &Path, path: &Path) -> std::io::Result<()> {
    let partial = data_dir
        .join("files")
        .join(format!("{}.{PARTIAL}", uuid::Uuid::new_v4()));
    let copied = std::fs::copy(upload, &partial)
        .and_then(|_| std::fs::File::open(&partial)?.sync_all())
        .and_then(|()| std::fs::rename(&partial, path));
    if copied.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    copied?;
    std::fs::remove_file(upload)
}

pub fn read_stored(data_dir: &Path, sha256: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(file_path(data_dir, sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_into_the_file_store_lands_whole_and_leaves_nothing_beside() {
        let data = tempfile::tempdir().unwrap();
        let upload = data.path().join("the.upload");
        std::fs::write(&upload, b"%PDF-1.7 a certificate").unwrap();
        let sha = "ab".repeat(32);
        let path = file_path(data.path(), &sha);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        copy_into(data.path(), &upload, &path).unwrap();
        assert_eq!(
            read_stored(data.path(), &sha).unwrap(),
            b"%PDF-1.7 a certificate"
        );
        assert!(!upload.exists(), "the upload is moved, not copied");
        let files: Vec<_> = std::fs::read_dir(data.path().join("files"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(files, ["ab"], "no partial copy left");
        // A copy that cannot be made leaves nothing either, and the upload where it was.
        let gone = data.path().join("gone.upload");
        assert!(copy_into(data.path(), &gone, &path).is_err());
        std::fs::write(&gone, b"x").unwrap();
        let nowhere = data.path().join("files/no/such/dir/file");
        assert!(copy_into(data.path(), &gone, &nowhere).is_err());
        assert!(gone.exists());
        assert_eq!(
            std::fs::read_dir(data.path().join("files"))
                .unwrap()
                .count(),
            1
        );
    }
}
