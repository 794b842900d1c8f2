use super::*;

async fn store_with_records(dir: &Path) -> Store {
    let store = Store::open(dir).unwrap();
    for i in 0u32..100 {
        store
            .tree(Tree::Events)
            .insert(i.to_be_bytes(), vec![i as u8; 40])
            .unwrap();
    }
    let sha = hex(&Sha256::digest(b"a document"));
    std::fs::create_dir_all(crate::engine::files::file_path(dir, &sha).parent().unwrap()).unwrap();
    std::fs::write(crate::engine::files::file_path(dir, &sha), b"a document").unwrap();
    store
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_has_every_record_and_file_and_orders_after_them() {
    let source = tempfile::tempdir().unwrap();
    drop(store_with_records(source.path()).await);
    // sled moves its id generator ahead at each open: a store that has run for a while
    // hands out ids far above a new one's.
    for _ in 0..3 {
        let reopened = crate::engine::handle::tests::open_when_free(source.path())
            .await
            .unwrap();
        reopened.next_id().unwrap();
    }
    let store = crate::engine::handle::tests::open_when_free(source.path())
        .await
        .unwrap();
    let ids: Vec<u64> = (0..5).map(|_| store.next_id().unwrap()).collect();
    let mut stream = Vec::new();
    let written = write(&store, &mut stream).unwrap();
    assert_eq!(written.files, 1);
    assert_eq!(
        store.record_digest().unwrap(),
        (written.records, written.record_digest.clone())
    );

    let target = tempfile::tempdir().unwrap();
    assert_eq!(verify(&stream[..]).unwrap(), written);
    let restored = restore(&stream[..], &target.path().join("data")).unwrap();
    assert_eq!(restored, written);
    let reopened = Store::open(&target.path().join("data")).unwrap();
    assert_eq!(reopened.tree(Tree::Events).len().unwrap(), 100);
    assert!(reopened.next_id().unwrap() > *ids.last().unwrap());
    let sha = hex(&Sha256::digest(b"a document"));
    assert_eq!(
        crate::engine::files::read_stored(&target.path().join("data"), &sha).unwrap(),
        b"a document"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_altered_or_cut_stream_is_refused_and_leaves_nothing() {
    let source = tempfile::tempdir().unwrap();
    let store = store_with_records(source.path()).await;
    let mut stream = Vec::new();
    write(&store, &mut stream).unwrap();
    let target = tempfile::tempdir().unwrap();

    let mut altered = stream.clone();
    let at = altered.len() / 2;
    altered[at] ^= 1;
    let cut = &stream[..stream.len() - 10];
    for (bad, dir) in [(&altered[..], "altered"), (cut, "cut")] {
        let dir = target.path().join(dir);
        assert!(verify(bad).is_err());
        let refused = restore(bad, &dir).unwrap_err();
        assert!(matches!(refused, BackupError::Format(_)), "{refused}");
        assert!(!dir.join("store").exists() && !dir.join("files").exists());
    }
    // An absurd length is refused before anything is allocated for it.
    let mut absurd = stream[..16].to_vec();
    absurd.extend([TAG_RECORD, 6]);
    absurd.extend(b"events");
    absurd.extend(u32::MAX.to_be_bytes());
    assert!(matches!(
        restore(&absurd[..], &target.path().join("absurd")),
        Err(BackupError::Format(_))
    ));
    // A directory in use is not restored into.
    assert!(matches!(
        restore(&stream[..], source.path()),
        Err(BackupError::NotEmpty(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_of_a_newer_schema_is_refused() {
    let source = tempfile::tempdir().unwrap();
    let store = store_with_records(source.path()).await;
    let mut stream = Vec::new();
    write(&store, &mut stream).unwrap();
    stream[12..16].copy_from_slice(&(SCHEMA_VERSION + 1).to_be_bytes());
    let target = tempfile::tempdir().unwrap();
    assert!(matches!(
        restore(&stream[..], &target.path().join("d")),
        Err(BackupError::NewerSchema { .. })
    ));
}
