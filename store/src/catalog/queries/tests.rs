use super::*;
use certwatch_domain::registry::Certificate;
use chrono::DateTime;

fn cert(
    org: Uuid,
    ty: Uuid,
    status: CertStatus,
    expiry: Option<&str>,
    number: &str,
    created: i64,
) -> Certificate {
    Certificate {
        id: Uuid::new_v4(),
        tenant_id: Uuid::nil(),
        organization_id: org,
        certificate_type_id: ty,
        certificate_number: number.into(),
        issuing_body: "TÜV SÜD".into(),
        scope: "Design of widgets".into(),
        issue_date: None,
        expiry_date: expiry.map(|d| d.parse().unwrap()),
        status,
        document_url: None,
        source_url: None,
        document_hash: None,
        last_checked: None,
        created_at: DateTime::from_timestamp(created, 0).unwrap(),
        updated_at: DateTime::from_timestamp(created, 0).unwrap(),
    }
}

#[test]
fn filters_orderings_counts_and_paging() {
    let (org_a, org_b, ty) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut c = Catalog::default();
    let certs = [
        cert(org_a, ty, CertStatus::Active, Some("2026-12-01"), "A-1", 1),
        cert(org_a, ty, CertStatus::Active, Some("2027-06-01"), "A-2", 2),
        cert(org_a, ty, CertStatus::Expired, Some("2026-01-01"), "A-3", 3),
        cert(org_b, ty, CertStatus::Active, None, "B-1", 4),
        cert(org_b, ty, CertStatus::Active, Some("2026-11-01"), "B-2", 5),
    ];
    for x in &certs {
        c.upsert_cert(x);
    }
    let today: NaiveDate = "2026-11-22".parse().unwrap();

    let all = c.query_certs(&CertQuery::default(), 0, 10);
    assert_eq!(all.count, 5);
    assert_eq!(all.ids[0], certs[4].id, "newest first by default");

    let q = CertQuery {
        expiry_before: Some("2026-12-31".parse().unwrap()),
        order: Some((CertOrder::ExpiryDate, false)),
        ..Default::default()
    };
    let page = c.query_certs(&q, 0, 2);
    assert_eq!(page.count, 3);
    assert_eq!(page.ids, vec![certs[2].id, certs[4].id]);
    assert_eq!(c.query_certs(&q, 2, 2).ids, vec![certs[0].id]);

    let desc = CertQuery {
        order: Some((CertOrder::ExpiryDate, true)),
        ..Default::default()
    };
    let ids = c.query_certs(&desc, 0, 10).ids;
    assert_eq!(
        ids.last(),
        Some(&certs[3].id),
        "no expiry sorts last either way"
    );

    let search = CertQuery {
        search: Some("b-".into()),
        organization: Some(org_b),
        ..Default::default()
    };
    assert_eq!(c.query_certs(&search, 0, 10).count, 2);
    let search = CertQuery {
        search: Some("tüv".into()),
        status: Some(CertStatus::Expired),
        ..Default::default()
    };
    assert_eq!(c.query_certs(&search, 0, 10).ids, vec![certs[2].id]);

    assert_eq!(
        c.org_counts(org_a, today),
        OrgCounts {
            active: 2,
            expiring: 1,
            expired: 1
        }
    );
    assert_eq!(c.overdue(today), vec![certs[4].id]);
    let soon = c.expiring(today, today + Duration::days(30), 0, 10);
    assert_eq!(soon.ids, vec![certs[0].id]);

    // An update moves the row in every index; a removal takes it out of all of them.
    let mut moved = certs[0].clone();
    moved.organization_id = org_b;
    moved.expiry_date = Some("2030-01-01".parse().unwrap());
    c.upsert_cert(&moved);
    assert_eq!(c.org_counts(org_a, today).active, 1);
    assert!(
        c.expiring(today, today + Duration::days(30), 0, 10)
            .ids
            .is_empty()
    );
    c.remove_cert(moved.id);
    assert_eq!(c.query_certs(&CertQuery::default(), 0, 10).count, 4);
    assert!(c.type_in_use(ty));
}

#[test]
fn page_of_matches_a_full_sort() {
    let items: Vec<u32> = (0..1000).map(|i| (i * 7919) % 1000).collect();
    let mut sorted = items.clone();
    sorted.sort();
    for (offset, limit) in [(0, 20), (980, 20), (990, 50), (500, 1), (1000, 5)] {
        let page = page_of(items.clone(), offset, limit, |a, b| a.cmp(b));
        let expected: Vec<u32> = sorted.iter().copied().skip(offset).take(limit).collect();
        assert_eq!(page, expected, "{offset} {limit}");
    }
}

/// A small deterministic generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What `query_certs` must return, computed the slow and obvious way.
fn reference(certs: &[Certificate], q: &CertQuery, offset: usize, limit: usize) -> IdPage {
    let matches = |c: &Certificate| {
        q.organization.is_none_or(|o| c.organization_id == o)
            && q.cert_type.is_none_or(|t| c.certificate_type_id == t)
            && q.status.is_none_or(|s| c.status == s)
            && q.expiry_date.is_none_or(|d| c.expiry_date == Some(d))
            && q.expiry_before
                .is_none_or(|d| c.expiry_date.is_some_and(|e| e <= d))
            && q.expiry_after
                .is_none_or(|d| c.expiry_date.is_some_and(|e| e >= d))
            && q.search.as_deref().is_none_or(|s| {
                format!("{}\n{}\n{}", c.certificate_number, c.issuing_body, c.scope)
                    .to_lowercase()
                    .contains(s)
            })
    };
    // `certs` is in creation order: the index is the tie-breaker.
    let mut hits: Vec<(usize, &Certificate)> = certs
        .iter()
        .enumerate()
        .filter(|(_, c)| matches(c))
        .collect();
    let (order, desc) = q.order.unwrap_or((CertOrder::CreatedAt, true));
    hits.sort_by(|(ia, a), (ib, b)| {
        let key = match order {
            CertOrder::ExpiryDate => cmp_opt(&a.expiry_date, &b.expiry_date, desc),
            CertOrder::IssueDate => cmp_opt(&a.issue_date, &b.issue_date, desc),
            CertOrder::Status => directed(&a.status.as_str(), &b.status.as_str(), desc),
            CertOrder::CreatedAt => Ordering::Equal,
        };
        key.then(directed(ia, ib, desc))
    });
    IdPage {
        count: hits.len(),
        ids: hits
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, c)| c.id)
            .collect(),
    }
}

#[test]
fn queries_agree_with_a_brute_force_reference() {
    let mut rng = Lcg(42);
    let orgs: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    let types: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    let statuses = [
        CertStatus::Active,
        CertStatus::Expired,
        CertStatus::Revoked,
        CertStatus::Pending,
    ];
    let base: NaiveDate = "2026-11-22".parse().unwrap();
    let words = ["nord", "süd", "dekra", "iso", "plant", "ab", "cd"];
    let date = |rng: &mut Lcg| {
        (rng.next(10) > 0).then(|| base + Duration::days(rng.next(200) as i64 - 100))
    };
    let random_cert = |rng: &mut Lcg, i: usize| {
        let mut c = cert(
            orgs[rng.next(3) as usize],
            types[rng.next(3) as usize],
            statuses[rng.next(4) as usize],
            None,
            &format!("N-{}-{}", rng.next(50), words[rng.next(7) as usize]),
            i as i64,
        );
        c.expiry_date = date(rng);
        c.issue_date = date(rng);
        c.issuing_body = words[rng.next(7) as usize].to_string();
        c.scope = format!(
            "{} {}",
            words[rng.next(7) as usize],
            words[rng.next(7) as usize]
        );
        c
    };

    let mut catalog = Catalog::default();
    let mut certs: Vec<Certificate> = Vec::new();
    for i in 0..300 {
        let c = random_cert(&mut rng, i);
        catalog.upsert_cert(&c);
        certs.push(c);
    }
    for round in 0..3000 {
        // Now and then an update (same slot, new values) or a removal.
        if round % 5 == 0 && !certs.is_empty() {
            let at = rng.next(certs.len() as u64) as usize;
            if rng.next(3) == 0 {
                catalog.remove_cert(certs.remove(at).id);
            } else {
                let mut c = random_cert(&mut rng, 0);
                c.id = certs[at].id;
                c.created_at = certs[at].created_at;
                catalog.upsert_cert(&c);
                certs[at] = c;
            }
        }
        let pick = |rng: &mut Lcg| rng.next(4) == 0;
        let q = CertQuery {
            organization: pick(&mut rng).then(|| orgs[rng.next(3) as usize]),
            cert_type: pick(&mut rng).then(|| types[rng.next(3) as usize]),
            status: pick(&mut rng).then(|| statuses[rng.next(4) as usize]),
            expiry_date: (rng.next(8) == 0)
                .then(|| base + Duration::days(rng.next(200) as i64 - 100)),
            expiry_before: pick(&mut rng)
                .then(|| base + Duration::days(rng.next(200) as i64 - 100)),
            expiry_after: pick(&mut rng).then(|| base + Duration::days(rng.next(200) as i64 - 100)),
            search: pick(&mut rng).then(|| words[rng.next(7) as usize].to_string()),
            verification_status: None,
            order: (rng.next(5) > 0).then(|| {
                let order = [
                    CertOrder::ExpiryDate,
                    CertOrder::IssueDate,
                    CertOrder::Status,
                    CertOrder::CreatedAt,
                ][rng.next(4) as usize];
                (order, rng.next(2) == 0)
            }),
        };
        // Pages anywhere, often reaching the end where undated rows sort.
        let (offset, limit) = (rng.next(300) as usize, 1 + rng.next(80) as usize);
        assert_eq!(
            catalog.query_certs(&q, offset, limit),
            reference(&certs, &q, offset, limit),
            "round {round}: {q:?} {offset} {limit}"
        );
    }
}
