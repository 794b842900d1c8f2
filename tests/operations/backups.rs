//! Backups and restores: under writes, from a stopped or killed server, on a schedule.
//! The service's own backups are sled's (a store on PostgreSQL is backed up with pg_dump,
//! see `postgres`), so these servers run on sled whatever engine the suite runs on.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_writes_restores_to_a_server_that_answers_the_same() {
    let mut s = Server::start_on_sled(&[], |_| {});
    let (token, _) = s.signup("ops@backup.example", "Backup Buyer").await;
    // A server that has run a while has been restarted: sled's sequence numbers move
    // ahead at each start, far past a new store's.
    for _ in 0..3 {
        s.restart();
    }
    let mut before = Vec::new();
    for i in 0..20 {
        let org = create_supplier(&s, &token, &format!("Supplier {i:02}"))
            .await
            .unwrap();
        certificate_expiring_in(&s, &token, &org, &format!("Q-{i}"), 700).await;
        before.push(org);
    }
    let (document, item) = upload_document(
        &s,
        &token,
        "doc.pdf",
        &["ISO 9001 certificate", "Certificate No. DOC-1"],
    )
    .await;

    // Writers keep creating suppliers while the backup is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..3 {
        let (stop, base, data_dir, token) = (
            stop.clone(),
            s.base.clone(),
            s.data_dir.clone(),
            token.clone(),
        );
        writers.push(tokio::spawn(async move {
            let s = Server::attach(&base, &data_dir);
            let mut created = 0;
            while !stop.load(Ordering::SeqCst) {
                if create_supplier(&s, &token, &format!("Writer {w} #{created}"))
                    .await
                    .is_some()
                {
                    created += 1;
                }
            }
            created
        }));
    }
    let data_dir = s.data_dir.clone();
    let target = tempfile::tempdir().unwrap();
    let file = target.path().join("live.cwbackup");
    let file_arg = file.to_str().unwrap().to_string();
    // Some writes land before the backup starts, so it is taken in the middle of them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let backup = tokio::task::spawn_blocking(move || certwatch(&data_dir, &["backup", &file_arg]))
        .await
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    let mut written = 0;
    for w in writers {
        written += w.await.unwrap();
    }
    assert!(backup.status.success(), "{backup:?}");
    assert!(written > 0, "the writers wrote while the backup ran");
    assert!(!common_partial_left(target.path()));

    let restore = certwatch(
        target.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            target.path().join("restored").to_str().unwrap(),
        ],
    );
    assert!(restore.status.success(), "{restore:?}");
    assert_eq!(
        checksum(&restore),
        checksum(&backup),
        "every record restored as backed up"
    );

    let restored_dir = target.path().join("restored");
    let r = Server::start_on_sled(&[], |dir| {
        std::fs::rename(&restored_dir, dir).unwrap();
    });
    // The same account signs in; its token from before the backup still works too.
    r.login("ops@backup.example", PASSWORD).await;
    let original_suppliers = all(&s, &token, "/api/organizations/").await;
    let restored_suppliers = all(&r, &token, "/api/organizations/").await;
    for org in &before {
        let a = s
            .get(&format!("/api/organizations/{org}/"), Some(&token))
            .await;
        let b = r
            .get(&format!("/api/organizations/{org}/"), Some(&token))
            .await;
        assert_eq!((b.status, &b.body), (a.status, &a.body));
    }
    // The snapshot is one moment: whatever it holds of the concurrent writes exists
    // unchanged in the original, and it holds everything written before it started.
    assert!(restored_suppliers.len() >= before.len());
    for supplier in &restored_suppliers {
        assert!(
            original_suppliers.contains(supplier),
            "{supplier} is not in the original"
        );
    }
    assert_eq!(
        all(&r, &token, "/api/certificates/").await,
        all(&s, &token, "/api/certificates/").await
    );
    assert_eq!(
        download(&r, &token, &item).await,
        document,
        "the uploaded file is restored"
    );
    // The restored server takes writes, and what it numbers in sequence (a certificate's
    // history) comes after what it was restored with.
    assert!(create_supplier(&r, &token, "After restore").await.is_some());
    let cert = all(&r, &token, "/api/certificates/").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    revoked_history_comes_after(&r, &token, &cert).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_or_killed_server_is_backed_up_from_its_store() {
    let mut s = Server::start_on_sled(&[], |_| {});
    let (token, _) = s.signup("ops@offline.example", "Offline Buyer").await;
    create_supplier(&s, &token, "Kept").await.unwrap();
    // Killed: its control socket is left behind, and nobody answers on it.
    s.kill9();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("offline.cwbackup");
    let backup = certwatch(&s.data_dir, &["backup", file.to_str().unwrap()]);
    assert!(backup.status.success(), "{backup:?}");
    assert!(stdout(&backup).contains("1 files") || stdout(&backup).contains("0 files"));
    let restored = dir.path().join("restored");
    let restore = certwatch(
        dir.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            restored.to_str().unwrap(),
        ],
    );
    assert!(restore.status.success(), "{restore:?}");
    assert_eq!(checksum(&restore), checksum(&backup));
    // Restoring over a data directory in use is refused, and a damaged file is refused.
    let again = certwatch(
        dir.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            restored.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success());
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(&file, bytes).unwrap();
    let damaged = certwatch(
        dir.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            dir.path().join("d").to_str().unwrap(),
        ],
    );
    assert!(!damaged.status.success());
    assert!(
        String::from_utf8_lossy(&damaged.stderr).contains("not a usable backup"),
        "{damaged:?}"
    );

    s.start_again();
    let names: Vec<Value> = all(&s, &token, "/api/organizations/")
        .await
        .iter()
        .map(|o| o["name"].clone())
        .collect();
    assert_eq!(names, [json!("Kept")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_backups_rotate() {
    let backups = tempfile::tempdir().unwrap();
    let s = Server::start_on_sled(
        &[
            ("CERTWATCH_BACKUP_DIR", backups.path().to_str().unwrap()),
            ("CERTWATCH_BACKUP_INTERVAL_SECS", "1"),
            ("CERTWATCH_BACKUP_KEEP", "2"),
        ],
        |_| {},
    );
    let (token, _) = s.signup("ops@schedule.example", "Scheduled Buyer").await;
    create_supplier(&s, &token, "Scheduled").await.unwrap();
    let list = || {
        let mut names: Vec<String> = std::fs::read_dir(backups.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".cwbackup"))
            .collect();
        names.sort();
        names
    };
    let mut seen = std::collections::BTreeSet::new();
    eventually_within(
        Duration::from_secs(60),
        "four scheduled backups",
        async || {
            let now = list();
            // A new backup is renamed into place before the oldest goes, so a look between
            // the two sees one more than kept; without rotation the count would keep growing.
            assert!(now.len() <= 3, "rotation keeps two: {now:?}");
            seen.extend(now);
            (seen.len() >= 4).then_some(())
        },
    )
    .await;
    eventually_within(Duration::from_secs(60), "two backups kept", async || {
        (list().len() == 2).then_some(())
    })
    .await;
    // Backups keep coming every second, so the newest is copied out before a slow restore
    // could find it rotated away; a copy that lost that race is retried.
    let kept = tempfile::tempdir().unwrap();
    let copy = kept.path().join("newest.cwbackup");
    eventually_within(
        Duration::from_secs(60),
        "a copy of the newest",
        async || {
            let newest = list().pop()?;
            std::fs::copy(backups.path().join(newest), &copy).ok()
        },
    )
    .await;
    let restore = certwatch(
        backups.path(),
        &[
            "restore",
            copy.to_str().unwrap(),
            kept.path().join("check").to_str().unwrap(),
        ],
    );
    assert!(restore.status.success(), "{restore:?}");
}
