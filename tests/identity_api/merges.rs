//! Duplicates merged: the previous release's data, and a merge killed midway.

use super::*;

#[tokio::test]
async fn the_previous_releases_data_opens_and_its_duplicates_merge() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-2026-11-23");
    let mut s = Server::start_prepared(&[], |dir| copy_dir(&fixture, &dir.join("store")));
    let (token, _) = s.login(FIXTURE_EMAIL, FIXTURE_PASSWORD).await;
    let health = s.health().await;
    // Written at schema 3: its tenants and memberships were rewritten to schema 4's layout
    // (digest settings) on open, and everything below reads them.
    assert_eq!(
        health.body["store"]["schema_version"],
        certwatch_store::SCHEMA_VERSION,
        "{:?}",
        health.body
    );
    assert_eq!(health.body["store"]["duplicate_certificates"], 1);
    let all = certificates(&s, &token).await;
    assert_eq!(all.len(), 4, "every record of the old release is there");

    // The integration API finds the number however it is written; of the two on file, the
    // one valid longest answers.
    let key = s
        .post("/api/auth/api-keys/", Some(&token), json!({"name": "ERP"}))
        .await
        .body["key"]
        .as_str()
        .unwrap()
        .to_string();
    let v1 = s
        .http
        .get(format!("{}/api/v1/certificate/q2024-0815", s.base))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    let v1 = common::answer(v1).await;
    assert_eq!(v1.status, 200, "{:?}", v1.body);
    assert_eq!(v1.body["valid_until"], "30.06.2027");

    // A third one with the same identity is refused, naming one already on file.
    let held = all
        .iter()
        .find(|c| c["certificate_number"] == "Q-2024-0815")
        .unwrap();
    let iso = s.type_id(&token, "ISO_9001").await;
    let again = s
        .post(
            "/api/certificates/",
            Some(&token),
            json!({"organization": held["organization"]["id"], "certificate_type_id": iso,
                   "certificate_number": "Q 2024 0815", "expiry_date": "2028-01-01"}),
        )
        .await;
    assert_eq!(again.status, 400, "{:?}", again.body);
    let message = again.body["certificate_number"][0].as_str().unwrap();
    assert!(
        all.iter()
            .any(|c| message.contains(c["id"].as_str().unwrap())),
        "{message}"
    );
    // Editing one of the old duplicates without touching its identity still works.
    let patched = s
        .patch(
            &format!("/api/certificates/{}/", held["id"].as_str().unwrap()),
            Some(&token),
            json!({"issuing_body": "DEKRA Certification"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);

    // With the service stopped, doctor lists and merges.
    assert!(s.terminate().success());
    let listed = doctor(s.command(), false);
    assert!(listed.starts_with("1 group(s)"), "{listed}");
    let merged = doctor(s.command(), true);
    assert!(merged.contains("merged into"), "{merged}");
    assert!(doctor(s.command(), false).starts_with("0 group(s)"));
    s.start_again();
    let health = s.health().await;
    assert_eq!(health.body["store"]["duplicate_certificates"], 0);
    let (token, _) = s.login(FIXTURE_EMAIL, FIXTURE_PASSWORD).await;
    let all = certificates(&s, &token).await;
    assert_eq!(all.len(), 3);
    let kept: Vec<&Value> = all
        .iter()
        .filter(|c| {
            c["certificate_number"]
                .as_str()
                .unwrap()
                .to_uppercase()
                .replace([' ', '-'], "")
                == "Q20240815"
        })
        .collect();
    assert_eq!(kept.len(), 1);
    // The newest values win; what only the other one had is kept.
    assert_eq!(kept[0]["issuing_body"], "DEKRA Certification");
    assert_eq!(
        kept[0]["expiry_date"], "2027-01-14",
        "the one edited last is newest"
    );
    assert_eq!(kept[0]["scope"], "Machining");
}

#[test]
fn a_merge_killed_midway_leaves_every_group_whole_or_merged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    const GROUPS: usize = 300;
    with_store(&data, |store| {
        use certwatch_domain::registry::Certificate;
        use certwatch_store::ops::accounts::Registration;
        let now = Utc::now();
        let (tenant, _) = accounts::register(
            store,
            Registration {
                tenant_id: uuid::Uuid::new_v4(),
                email: "q@old.example".into(),
                password_hash: "x".into(),
                organization_name: "Old".into(),
                verification: certwatch_store::engine::secrets::key_hash("v"),
            },
            now,
        )
        .unwrap();
        let org = organizations::edit(
            store,
            tenant.id,
            None,
            certwatch_domain::registry::OrgPatch {
                name: Some("Supplier".into()),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        let iso = tables::cert_types::by_code(store, tenant.id, "ISO_9001")
            .unwrap()
            .unwrap();
        // What the release before the rule let through: the same number twice.
        for g in 0..GROUPS {
            for (k, number) in [format!("D-{g}"), format!("d {g}")].into_iter().enumerate() {
                let at = now - Duration::minutes(k as i64);
                let cert = Certificate {
                    scope: if k == 1 {
                        "older scope".into()
                    } else {
                        String::new()
                    },
                    updated_at: at,
                    ..Certificate::new(tenant.id, org.id, iso.id, number, at)
                };
                let by = certwatch_domain::history::ChangedBy::User(uuid::Uuid::nil());
                // No events, so no subscriber to wake.
                let woke = certificate_writes::save(store, &cert, None, &[], by).unwrap();
                assert!(woke.is_empty());
            }
        }
    });
    // Killed while it merges, then run again to the end.
    let mut child = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .args(["doctor", "--merge"])
        .env("CERTWATCH_DATA_DIR", &data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut merged = 0;
    let mut line = String::new();
    while merged < GROUPS / 3 && std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0 {
        if line.contains("merged into") {
            merged += 1;
        }
        line.clear();
    }
    child.kill().unwrap();
    child.wait().unwrap();
    with_store(&data, |store| {
        let left = duplicates::find(store).unwrap();
        assert!(
            left.len() < GROUPS,
            "some groups were merged before the kill"
        );
        assert!(
            left.iter().all(|g| g.certificates.len() == 2),
            "no group is half merged"
        );
        let certs = store.tree(Tree::Certificates).len().unwrap();
        assert_eq!(certs, GROUPS + left.len());
        assert_eq!(
            store.tree(Tree::CertsByNumber).len().unwrap(),
            certs,
            "the index matches"
        );
    });
    let mut on_data = Command::new(env!("CARGO_BIN_EXE_certwatch"));
    on_data.env("CERTWATCH_DATA_DIR", &data);
    assert!(doctor(on_data, true).contains("merged into"));
    with_store(&data, |store| {
        assert!(duplicates::find(store).unwrap().is_empty());
        assert_eq!(store.tree(Tree::Certificates).len().unwrap(), GROUPS);
        assert_eq!(store.tree(Tree::CertsByNumber).len().unwrap(), GROUPS);
    });
}
