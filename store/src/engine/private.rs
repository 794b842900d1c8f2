//! What the service writes is its operator's alone: directories 0700, files 0600.
//!
//! The binary sets its umask to 077 before anything else (`src/main.rs`), so every file and
//! directory it or a library it uses creates (sled's files, the outbox's mails, uploads,
//! backups) starts private. The directories it roots its data in are also set to 0700 here
//! explicitly, because they may exist already from an older release or another tool.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The mode bits nobody but the owner may have.
pub const NOT_OWNER: u32 = 0o077;

/// Creates `dir` (and its parents) and makes it 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Makes every file and directory the process creates from now on private, whatever umask
/// it was started with.
pub fn private_umask() {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(NOT_OWNER));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_open_directory_becomes_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
