//! Retention: history older than its setting is removed, and files nothing points at are
//! collected. Run once a day by the sweeper; each step removes in small transactions, so
//! writers wait for one batch at most, never for the whole sweep.

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::backup::stored_files;
use crate::engine::tx::transact;
use crate::tables::{
    bulk_items, deliveries, endpoints, events, password_resets, scrape_logs, tenants, verifications,
};
use crate::{Store, StoreError};

/// Records removed per transaction.
const BATCH: usize = 500;

/// A file younger than this is never collected: its upload may not have written the
/// record that points at it yet.
pub const FILE_GRACE: Duration = Duration::from_secs(3600);

/// What is older than what is removed.
#[derive(Debug, Clone, Copy)]
pub struct Cutoffs {
    pub scrape_logs: DateTime<Utc>,
    pub deliveries: DateTime<Utc>,
    pub events: DateTime<Utc>,
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub scrape_logs: u64,
    /// Logs of endpoints that no longer exist.
    pub orphan_scrape_logs: u64,
    pub deliveries: u64,
    pub events: u64,
    pub files: u64,
    pub file_bytes: u64,
    /// Drawn previews of files that are gone, and interrupted uploads.
    pub derived: u64,
    /// Expired password-reset and verification links.
    pub expired_links: u64,
}

/// Removes the history older than `cutoffs` from every tenant this node runs (`runs`: on
/// a node of several, those of its shards) and collects unreferenced files that were last
/// changed before `files_before`.
pub fn sweep(
    store: &Store,
    cutoffs: Cutoffs,
    files_before: SystemTime,
    runs: impl Fn(Uuid) -> bool,
) -> Result<Swept, StoreError> {
    let mut swept = Swept::default();
    for tenant in tenants::ids(store)?.into_iter().filter(|t| runs(*t)) {
        swept.scrape_logs += old_scrape_logs(store, tenant, cutoffs.scrape_logs)?;
        swept.orphan_scrape_logs += orphan_scrape_logs(store, tenant)?;
        swept.deliveries += old_deliveries(store, tenant, cutoffs.deliveries)?;
        swept.events += old_events(store, tenant, cutoffs.events)?;
    }
    swept.expired_links = expired_links(store, Utc::now())?;
    collect_files(store, files_before, &mut swept)?;
    Ok(swept)
}

/// Removes the records at `keys` with `remove`, [`BATCH`] to a transaction.
fn remove_in_batches<K>(
    store: &Store,
    trees: &[crate::engine::trees::Tree],
    keys: &[K],
    remove: impl Fn(&crate::engine::tx::Tx, &K) -> crate::engine::tx::TxResult<(), StoreError>,
) -> Result<(), StoreError> {
    for chunk in keys.chunks(BATCH) {
        transact(store, &[trees], |tx| {
            chunk.iter().try_for_each(|key| remove(tx, key))
        })?;
    }
    Ok(())
}

/// Password-reset and verification links past their expiry (and the stand-ins written for
/// unknown addresses, which expire the same way).
fn expired_links(store: &Store, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let resets = password_resets::expired(store, now)?;
    let checks = verifications::expired(store, now)?;
    remove_in_batches(
        store,
        password_resets::TREES,
        &resets,
        password_resets::remove,
    )?;
    remove_in_batches(store, verifications::TREES, &checks, verifications::remove)?;
    Ok((resets.len() + checks.len()) as u64)
}

fn old_scrape_logs(store: &Store, tenant: Uuid, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut removed = 0;
    loop {
        let logs = scrape_logs::started_before(store, tenant, cutoff, BATCH)?;
        if logs.is_empty() {
            return Ok(removed);
        }
        transact::<_, StoreError>(store, &[scrape_logs::TREES], |tx| {
            logs.iter().try_for_each(|log| scrape_logs::remove(tx, log))
        })?;
        removed += logs.len() as u64;
    }
}

fn orphan_scrape_logs(store: &Store, tenant: Uuid) -> Result<u64, StoreError> {
    let mut removed = 0;
    for endpoint in scrape_logs::endpoints_with_logs(store, tenant)? {
        if endpoints::get(store, tenant, endpoint)?.is_some() {
            continue;
        }
        let logs = scrape_logs::of_endpoint(store, tenant, endpoint)?;
        for chunk in logs.chunks(BATCH) {
            transact::<_, StoreError>(store, &[scrape_logs::TREES], |tx| {
                scrape_logs::remove_indexed(tx, tenant, chunk)
            })?;
        }
        removed += logs.len() as u64;
    }
    Ok(removed)
}

fn old_deliveries(store: &Store, tenant: Uuid, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut removed = 0;
    loop {
        let old = deliveries::finished_before(store, tenant, cutoff, BATCH)?;
        if old.is_empty() {
            return Ok(removed);
        }
        transact::<_, StoreError>(store, &[deliveries::TREES], |tx| {
            old.iter().try_for_each(|d| deliveries::remove(tx, d))
        })?;
        removed += old.len() as u64;
    }
}

fn old_events(store: &Store, tenant: Uuid, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
    let mut removed = 0;
    loop {
        let old = events::recorded_before(store, tenant, cutoff, BATCH)?;
        if old.is_empty() {
            return Ok(removed);
        }
        transact::<_, StoreError>(store, &[events::TREES], |tx| {
            old.iter().try_for_each(|key| events::remove(tx, key))
        })?;
        removed += old.len() as u64;
    }
}

/// Uploaded files no bulk item points at, their previews, previews of files that are
/// gone, and uploads a crash interrupted. Holds the maintenance lock, so a backup never
/// misses a file its snapshot points at.
fn collect_files(store: &Store, before: SystemTime, swept: &mut Swept) -> Result<(), StoreError> {
    let _maintenance = store.maintenance();
    let data_dir = store.data_dir();
    let io = |e: std::io::Error| StoreError::Corrupt(format!("file store: {e}"));
    // Read after the files are listed: a file stored and pointed at in between is in this
    // set, and one stored after the listing is not looked at.
    let files = stored_files(data_dir).map_err(io)?;
    let mut referenced = HashSet::new();
    for tenant in tenants::ids(store)? {
        for item in bulk_items::of_tenant(store, tenant)? {
            referenced.insert(item.sha256);
        }
    }
    for (name, path) in files {
        if referenced.contains(&name) || !older_than(&path, before) {
            continue;
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        std::fs::remove_file(&path).map_err(io)?;
        swept.files += 1;
        swept.file_bytes += size;
    }
    swept.derived += remove_derived(data_dir, before).map_err(io)?;
    Ok(())
}

/// Previews (and refusal notes) of files that no longer exist, `.upload` files in `tmp/`
/// left by an upload that never finished, and `.partial` copies in `files/` left by a crash
/// while one was copied into the file store from another file system.
fn remove_derived(data_dir: &Path, before: SystemTime) -> std::io::Result<u64> {
    let mut removed = 0;
    if let Ok(shards) = std::fs::read_dir(data_dir.join("previews")) {
        for shard in shards {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(shard.path())? {
                let path = entry?.path();
                let Some(sha) = path.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                if !crate::engine::files::file_path(data_dir, sha).exists() {
                    std::fs::remove_file(&path)?;
                    removed += 1;
                }
            }
        }
    }
    for (dir, leftover) in [("tmp", "upload"), ("files", crate::engine::files::PARTIAL)] {
        let Ok(entries) = std::fs::read_dir(data_dir.join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == leftover) && older_than(&path, before) {
                std::fs::remove_file(&path)?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

fn older_than(path: &Path, before: SystemTime) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|modified| modified < before)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::keys;
    use crate::engine::trees::Tree;
    use certwatch_domain::events::Event;
    use certwatch_domain::monitoring::{ScrapeLog, ScrapeStatus};
    use chrono::Duration as Days;

    fn event(tenant: Uuid, at: DateTime<Utc>) -> Event {
        Event {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            organization_id: None,
            kind: "certificate.created".into(),
            data: "{}".into(),
            created_at: at,
        }
    }

    fn log(tenant: Uuid, endpoint: Uuid, at: DateTime<Utc>) -> ScrapeLog {
        ScrapeLog {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            endpoint_id: endpoint,
            organization_id: Uuid::new_v4(),
            url: "https://supplier.example/certificates".into(),
            status: ScrapeStatus::Success,
            scheduled_for: None,
            started_at: at,
            finished_at: at,
            http_status: Some(200),
            bytes: 10,
            findings: Vec::new(),
            documents: Vec::new(),
            changes: Vec::new(),
            skipped: Vec::new(),
            error: None,
        }
    }

    fn file(dir: &Path, content: &[u8], age: Duration) -> String {
        use sha2::Digest;
        let sha: String = sha2::Sha256::digest(content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = crate::engine::files::file_path(dir, &sha);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(SystemTime::now() - age)
            .unwrap();
        sha
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn old_events_logs_of_gone_endpoints_and_unreferenced_files_go() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tenant = Uuid::new_v4();
        store
            .tree(Tree::Tenants)
            .insert(keys::id(tenant), b"t")
            .unwrap();
        let now = Utc::now();
        let old = now - Days::days(400);
        let _woke = crate::ops::events::record(
            &store,
            tenant,
            &[event(tenant, old), event(tenant, old), event(tenant, now)],
        )
        .unwrap();
        let gone_endpoint = Uuid::new_v4();
        let logs = [
            log(tenant, gone_endpoint, now),
            log(tenant, gone_endpoint, now),
        ];
        transact::<_, StoreError>(&store, &[scrape_logs::TREES], |tx| {
            logs.iter().try_for_each(|l| scrape_logs::put(tx, l, &[]))
        })
        .unwrap();
        let hour = Duration::from_secs(3600);
        let orphan = file(dir.path(), b"an upload whose record never came", 2 * hour);
        let young = file(
            dir.path(),
            b"an upload still being recorded",
            Duration::ZERO,
        );
        let preview = crate::engine::files::preview_path(dir.path(), &orphan);
        std::fs::create_dir_all(preview.parent().unwrap()).unwrap();
        std::fs::write(&preview, b"png").unwrap();
        // Copies into the file store a crash cut off, one old, one perhaps still being made.
        let partial = |name: &str, age: Duration| {
            let path = dir.path().join("files").join(name);
            std::fs::write(&path, b"half a docu").unwrap();
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(SystemTime::now() - age).unwrap();
            path
        };
        let cut_off = partial("1.partial", 2 * hour);
        let copying = partial("2.partial", Duration::ZERO);

        let cutoffs = Cutoffs {
            scrape_logs: now - Days::days(90),
            deliveries: now - Days::days(90),
            events: now - Days::days(365),
        };
        let swept = sweep(&store, cutoffs, SystemTime::now() - FILE_GRACE, |_| true).unwrap();
        assert_eq!(
            (
                swept.events,
                swept.orphan_scrape_logs,
                swept.scrape_logs,
                swept.files
            ),
            (2, 2, 0, 1)
        );
        assert_eq!(
            swept.derived, 2,
            "the orphan's preview, the old partial copy"
        );
        assert!(!cut_off.exists() && copying.exists());
        assert_eq!(events::all(&store, tenant).unwrap().len(), 1);
        for tree in scrape_logs::TREES {
            assert!(store.tree(*tree).is_empty().unwrap(), "{tree:?}");
        }
        assert!(!crate::engine::files::file_path(dir.path(), &orphan).exists());
        assert!(crate::engine::files::file_path(dir.path(), &young).exists());
        assert!(!preview.exists());
        // A second sweep finds nothing more.
        let again = sweep(&store, cutoffs, SystemTime::now() - FILE_GRACE, |_| true).unwrap();
        assert_eq!(again, Swept::default());
    }
}
