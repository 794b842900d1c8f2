//! Scheduled backups: one every interval into the backup directory, keeping the newest.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use certwatch_config::Backups;
use certwatch_store::{Store, engine::backup};

const PREFIX: &str = "certwatch-";
const SUFFIX: &str = ".cwbackup";

/// Writes a backup every `cfg.interval` until the task is aborted. The first is due one
/// interval after the newest backup in the directory, so restarts do not postpone it.
pub async fn run(store: Store, cfg: Backups) {
    let since_newest = newest(&cfg.dir)
        .and_then(|at| at.elapsed().ok())
        .unwrap_or_default();
    let start = tokio::time::Instant::now() + cfg.interval.saturating_sub(since_newest);
    let mut ticks = tokio::time::interval_at(start, cfg.interval);
    // A backup that took longer than the interval is not followed by a burst of others.
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (store, cfg) = (store.clone(), cfg.clone());
        match tokio::task::spawn_blocking(move || write_and_rotate(&store, &cfg)).await {
            Ok(Ok((path, summary))) => tracing::info!(
                path = %path.display(),
                records = summary.records,
                files = summary.files,
                "scheduled backup written"
            ),
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "scheduled backup failed"),
            Err(e) => tracing::error!(error = %e, "scheduled backup failed"),
        }
    }
}

fn write_and_rotate(store: &Store, cfg: &Backups) -> anyhow::Result<(PathBuf, backup::Summary)> {
    certwatch_store::engine::private::create_private_dir(&cfg.dir)
        .with_context(|| format!("cannot create {}", cfg.dir.display()))?;
    let name = format!(
        "{PREFIX}{}{SUFFIX}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    );
    let path = cfg.dir.join(name);
    let partial = crate::control::partial_path(&path);
    let written = (|| {
        let file = std::fs::File::create(&partial)?;
        let mut out = std::io::BufWriter::new(&file);
        let summary = backup::write(store, &mut out)?;
        out.flush()?;
        drop(out);
        file.sync_all()?;
        std::fs::rename(&partial, &path)?;
        Ok::<_, anyhow::Error>(summary)
    })();
    match written {
        // Rotation follows the rename, so a crash between them leaves one backup too many
        // rather than one too few; for that moment the directory holds `keep + 1`.
        Ok(summary) => {
            rotate(&cfg.dir, cfg.keep)?;
            Ok((path, summary))
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// When the newest scheduled backup in `dir` was written.
fn newest(dir: &Path) -> Option<std::time::SystemTime> {
    let newest = scheduled(dir).ok()?.pop()?;
    std::fs::metadata(newest).and_then(|m| m.modified()).ok()
}

/// Removes all but the newest `keep` scheduled backups.
fn rotate(dir: &Path, keep: usize) -> std::io::Result<()> {
    let backups = scheduled(dir)?;
    let excess = backups.len().saturating_sub(keep);
    for old in &backups[..excess] {
        std::fs::remove_file(old)?;
    }
    Ok(())
}

/// The scheduled backups in `dir`, oldest first (their names sort by time).
fn scheduled(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    backups.sort();
    Ok(backups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_newest_and_leaves_other_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "certwatch-20261201T000000.000Z.cwbackup",
            "certwatch-20261202T000000.000Z.cwbackup",
            "certwatch-20261203T000000.000Z.cwbackup",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        rotate(dir.path(), 2).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "certwatch-20261202T000000.000Z.cwbackup",
                "certwatch-20261203T000000.000Z.cwbackup",
                "notes.txt"
            ]
        );
    }
}
