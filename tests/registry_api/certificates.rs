//! Certificate types and certificates: CRUD, filters, orderings, expiring lists, public search.

use super::*;

#[tokio::test]
async fn certificate_types_start_with_the_common_ones() {
    let s = Server::start(&[]);
    let t = tenant(&s, "a@one.example").await;
    let all = t.get("/api/certificates/types/").await;
    let codes: Vec<&str> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    for code in [
        "ISO_9001",
        "ISO_14001",
        "ISO_45001",
        "ISO_27001",
        "ISO_50001",
        "IATF_16949",
        "ISCC_EU",
        "ISCC_PLUS",
    ] {
        assert!(codes.contains(&code), "{code}");
    }
    let custom = s
        .post(
            "/api/certificates/types/",
            Some(&t.key),
            json!({"code": "fssc_22000", "name": "FSSC 22000"}),
        )
        .await;
    assert_eq!(custom.status, 201);
    assert_eq!(custom.body["code"], "FSSC_22000");
    let custom_id = custom.body["id"].as_str().unwrap().to_string();
    let dup = s
        .post(
            "/api/certificates/types/",
            Some(&t.key),
            json!({"code": "FSSC_22000", "name": "Again"}),
        )
        .await;
    assert_eq!(dup.status, 400);
    assert!(dup.body["code"].is_array());
    let bad = s
        .post(
            "/api/certificates/types/",
            Some(&t.key),
            json!({"code": "ISO 9001", "name": "x"}),
        )
        .await;
    assert_eq!(bad.status, 400);

    let renamed = s
        .patch(
            &format!("/api/certificates/types/{custom_id}/"),
            Some(&t.key),
            json!({"name": "FSSC 22000 v6"}),
        )
        .await;
    assert_eq!(renamed.body["name"], "FSSC 22000 v6");
    let recoded = s
        .patch(
            &format!("/api/certificates/types/{custom_id}/"),
            Some(&t.key),
            json!({"code": "FSSC"}),
        )
        .await;
    assert_eq!(recoded.status, 200);
    // The old code is free once changed.
    assert_eq!(
        s.post(
            "/api/certificates/types/",
            Some(&t.key),
            json!({"code": "FSSC_22000", "name": "x"})
        )
        .await
        .status,
        201
    );

    let org = t.org(json!({"name": "A"})).await;
    t.cert(&org, &custom_id, "F-1", &days(100), "ACTIVE").await;
    let in_use = s
        .delete(
            &format!("/api/certificates/types/{custom_id}/"),
            Some(&t.key),
        )
        .await;
    assert_eq!(in_use.status, 400);
    let iso = t.type_id("ISO_50001").await;
    assert_eq!(
        s.delete(&format!("/api/certificates/types/{iso}/"), Some(&t.key))
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&format!("/api/certificates/types/{iso}/"), Some(&t.key))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn certificate_crud_filters_and_orderings() {
    let s = Server::start(&[]);
    let t = tenant(&s, "a@one.example").await;
    let acme = t
        .org(json!({"external_id": "ORG-001", "name": "Acme Corp"}))
        .await;
    let bolt = t.org(json!({"name": "Bolt"})).await;
    let iso = t.type_id("ISO_9001").await;
    let iatf = t.type_id("IATF_16949").await;

    let c1 = t
        .cert(&acme, &iso, "ISO-9001-2024-12345", &days(20), "ACTIVE")
        .await;
    let c2 = t.cert(&acme, &iatf, "IATF-777", &days(400), "ACTIVE").await;
    let c3 = t.cert(&bolt, &iso, "Q-3", &days(-5), "EXPIRED").await;
    let c4 = t.cert(&bolt, &iatf, "Q-4", &days(60), "PENDING").await;

    let detail = t.get(&format!("/api/certificates/{c1}/")).await;
    assert_eq!(
        detail["certificate_type"],
        json!({"code": "ISO_9001", "name": "ISO 9001:2015 Quality management"})
    );
    assert_eq!(
        detail["organization"],
        json!({"id": acme, "external_id": "ORG-001", "name": "Acme Corp"})
    );
    let mut keys: Vec<&str> = detail
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "certificate_number",
            "certificate_type",
            "created_at",
            "document_hash",
            "document_url",
            "expiry_date",
            "id",
            "issue_date",
            "issuing_body",
            "organization",
            "scope",
            "source_url",
            "status",
            "updated_at",
            "verification"
        ],
        "exactly the seed's fields, and the register check issue #29 adds"
    );
    assert!(detail["source_url"].is_null() && detail["document_hash"].is_null());
    assert!(
        detail["verification"].is_null(),
        "never checked in a register"
    );

    let q = |query: &str| {
        let path = format!("/api/certificates/?{query}");
        let t = &t;
        async move { ids(&t.get(&path).await) }
    };
    assert_eq!(
        q("").await,
        vec![c4.clone(), c3.clone(), c2.clone(), c1.clone()],
        "newest first"
    );
    assert_eq!(
        q(&format!("organization={bolt}")).await,
        vec![c4.clone(), c3.clone()]
    );
    assert_eq!(
        q(&format!("certificate_type={iatf}")).await,
        vec![c4.clone(), c2.clone()]
    );
    assert_eq!(
        q("type_code=iso_9001&ordering=created_at").await,
        vec![c1.clone(), c3.clone()]
    );
    assert!(q("type_code=NOPE").await.is_empty());
    assert_eq!(q("status=EXPIRED").await, vec![c3.clone()]);
    assert_eq!(
        q(&format!("expiry_date={}", days(60))).await,
        vec![c4.clone()]
    );
    assert_eq!(
        q(&format!(
            "expiry_date_before={}&ordering=expiry_date",
            days(60)
        ))
        .await,
        vec![c3.clone(), c1.clone(), c4.clone()]
    );
    assert_eq!(
        q(&format!(
            "expiry_date_after={}&ordering=-expiry_date",
            days(20)
        ))
        .await,
        vec![c2.clone(), c4.clone(), c1.clone()]
    );
    assert_eq!(q("search=iatf").await, vec![c2.clone()]);
    assert_eq!(
        q("search=t%C3%9CV&status=PENDING").await,
        vec![c4.clone()],
        "issuing body, any case"
    );
    assert_eq!(q("search=scope%20of%20q-3").await, vec![c3.clone()]);
    let by_status = q("ordering=status").await;
    let active = [c1.clone(), c2.clone()];
    assert_eq!(
        by_status[..2]
            .iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        active.into_iter().collect()
    );
    assert_eq!(
        by_status[2..],
        [c3.clone(), c4.clone()],
        "ACTIVE < EXPIRED < PENDING"
    );
    assert_eq!(q("ordering=-status").await[..2], [c4.clone(), c3.clone()]);
    assert_eq!(q("ordering=issue_date").await.len(), 4);
    for bad in [
        "status=VALID",
        "expiry_date=14.01.2027",
        "organization=nope",
        "ordering=number",
        "page_size=0",
    ] {
        assert_eq!(
            s.get(&format!("/api/certificates/?{bad}"), Some(&t.key))
                .await
                .status,
            400,
            "{bad}"
        );
    }

    // Validation on write.
    let bad = s
        .post("/api/certificates/", Some(&t.key), json!({"organization": acme, "certificate_type_id": iso, "certificate_number": "N",
               "issue_date": "2025-01-01", "expiry_date": "2024-01-01", "status": "valid", "document_url": "file:///etc/passwd"}))
        .await;
    assert_eq!(bad.status, 400);
    for field in ["expiry_date", "status", "document_url"] {
        assert!(bad.body[field].is_array(), "{field}: {:?}", bad.body);
    }
    let missing = s.post("/api/certificates/", Some(&t.key), json!({})).await;
    for field in ["organization", "certificate_type_id", "certificate_number"] {
        assert!(missing.body[field].is_array(), "{field}");
    }
    // A PATCH of one date is checked against the stored other one.
    let early = s
        .patch(
            &format!("/api/certificates/{c1}/"),
            Some(&t.key),
            json!({"expiry_date": "2020-01-01"}),
        )
        .await;
    assert_eq!(early.status, 400);
    assert!(early.body["expiry_date"].is_array());
    // document_hash and source_url belong to monitoring: ignored here.
    let patched = s
        .patch(
            &format!("/api/certificates/{c1}/"),
            Some(&t.key),
            json!({"status": "REVOKED", "document_hash": "x", "source_url": "https://x.example"}),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(patched.body["status"], "REVOKED");
    assert!(patched.body["document_hash"].is_null() && patched.body["source_url"].is_null());
    assert_eq!(patched.body["certificate_number"], "ISO-9001-2024-12345");
    let put = s
        .call(reqwest::Method::PUT, &format!("/api/certificates/{c1}/"), Some(&t.key),
              Some(json!({"organization": bolt, "certificate_type_id": iso, "certificate_number": "NEW-1"})))
        .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        (put.body["status"].clone(), put.body["expiry_date"].clone()),
        (json!("ACTIVE"), Value::Null)
    );
    assert_eq!(q(&format!("organization={bolt}")).await.len(), 3);
    assert_eq!(
        s.delete(&format!("/api/certificates/{c1}/"), Some(&t.key))
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&format!("/api/certificates/{c1}/"), Some(&t.key))
            .await
            .status,
        404
    );
    assert_eq!(q("").await.len(), 3);
}

#[tokio::test]
async fn expiring_lists_active_certificates_soonest_first() {
    let s = Server::start(&[]);
    let t = tenant(&s, "a@one.example").await;
    let org = t.org(json!({"name": "A"})).await;
    let iso = t.type_id("ISO_9001").await;
    let in_20 = t.cert(&org, &iso, "A", &days(20), "ACTIVE").await;
    let in_3 = t.cert(&org, &iso, "B", &days(3), "ACTIVE").await;
    let in_90 = t.cert(&org, &iso, "C", &days(90), "ACTIVE").await;
    t.cert(&org, &iso, "D", &days(5), "REVOKED").await;
    t.cert(&org, &iso, "E", &days(-1), "ACTIVE").await;

    assert_eq!(
        ids(&t.get("/api/certificates/expiring/").await),
        vec![in_3.clone(), in_20.clone()]
    );
    assert_eq!(
        ids(&t.get("/api/certificates/expiring/?days=365").await),
        vec![in_3.clone(), in_20, in_90]
    );
    assert_eq!(
        ids(&t.get("/api/certificates/expiring/?days=3").await),
        vec![in_3]
    );
    for bad in ["days=366", "days=-1", "days=soon"] {
        assert_eq!(
            s.get(&format!("/api/certificates/expiring/?{bad}"), Some(&t.key))
                .await
                .status,
            400,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn public_search_is_opt_in_and_shows_only_public_facts() {
    let s = Server::start(&[("CERTWATCH_PUBLIC_SEARCH_RATE_PER_MINUTE", "7")]);
    let a = tenant(&s, "a@one.example").await;
    let b = tenant(&s, "b@two.example").await;
    let org = a.org(json!({"name": "Acme Widgets", "website": "https://acme-widgets.example", "vat": "DE1"})).await;
    let iso = a.type_id("ISO_9001").await;
    a.cert(&org, &iso, "ISO-1", &days(100), "ACTIVE").await;
    b.org(json!({"name": "Acme Rival", "website": "https://rival.example"}))
        .await;

    assert_eq!(
        s.get("/api/certificates/search/?q=acme", None).await.body["count"],
        0,
        "off by default"
    );
    assert_eq!(
        s.get("/api/auth/tenant/", Some(&a.key)).await.body["public_listing"],
        false
    );
    let (member, _) = s.invite_and_accept(&a.key, "m@one.example", "member").await;
    assert_eq!(
        s.patch(
            "/api/auth/tenant/",
            Some(&member),
            json!({"public_listing": true})
        )
        .await
        .status,
        403
    );
    let on = s
        .patch(
            "/api/auth/tenant/",
            Some(&a.key),
            json!({"public_listing": true}),
        )
        .await;
    assert_eq!(on.status, 200);
    assert_eq!(on.body["public_listing"], true);

    let found = s.get("/api/certificates/search/?q=WIDGETS", None).await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["count"], 1, "B did not opt in: {:?}", found.body);
    let hit = &found.body["results"][0];
    assert_eq!(
        hit,
        &json!({"name": "Acme Widgets", "website": "https://acme-widgets.example", "certificates": [{
            "certificate_number": "ISO-1",
            "certificate_type": {"code": "ISO_9001", "name": "ISO 9001:2015 Quality management"},
            "issuing_body": "TÜV SÜD", "status": "ACTIVE", "issue_date": "2024-01-15", "expiry_date": days(100)}]})
    );
    assert_eq!(
        s.get("/api/certificates/search/?q=acme-widgets.example", None)
            .await
            .body["count"],
        1
    );
    assert_eq!(
        s.get("/api/certificates/search/?q=rival", None).await.body["count"],
        0
    );
    assert_eq!(
        s.get("/api/certificates/search/?q=a", None).await.status,
        400
    );
    assert_eq!(s.get("/api/certificates/search/", None).await.status, 400);
    // 7 per minute per IP: the calls above used 6 (refused ones count too).
    assert_eq!(
        s.get("/api/certificates/search/?q=acme", None).await.status,
        200
    );
    let limited = s.get("/api/certificates/search/?q=acme", None).await;
    assert_eq!(limited.status, 429);
    assert!(limited.headers.contains_key("retry-after"));
}
