use super::*;
use certwatch_domain::bulk::Extracted;
use certwatch_domain::registry::Organization;

fn org(name: &str, vat: Option<&str>, website: Option<&str>) -> Organization {
    let mut o = Organization::new(Uuid::nil(), Utc::now());
    o.name = name.into();
    o.vat = vat.map(String::from);
    o.website = website.map(String::from);
    o
}

fn field<T>(value: T) -> Option<Field<T>> {
    Some(Field {
        value,
        confidence: 0.99,
    })
}

#[tokio::test]
async fn documents_are_matched_through_the_catalog_and_follow_its_edits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let tenant = Uuid::new_v4();
    let mut orgs = vec![
        org(
            "Muster Metall GmbH",
            Some("DE 123 456 789"),
            Some("https://www.muster-metall.example"),
        ),
        org("Muster Plastik GmbH", None, None),
        org("Acme Corporation", None, Some("https://acme.example")),
    ];
    for o in &mut orgs {
        o.tenant_id = tenant;
        o.id = Uuid::new_v4();
        crate::ops::organizations::save(&store, o).unwrap();
    }
    let resolve = |ex: &Extracted| {
        store
            .catalog(tenant)
            .unwrap()
            .read()
            .resolve_supplier(&Evidence::of(ex))
    };
    let matched = |o: &Organization, by: &str| Resolution::Matched {
        id: o.id,
        by: by.into(),
    };
    let mut ex = Extracted {
        vat: field("DE123456789".into()),
        ..Extracted::default()
    };
    assert_eq!(resolve(&ex), matched(&orgs[0], "vat"));
    ex.vat = None;
    ex.domains = vec!["acme.example".into()];
    assert_eq!(resolve(&ex), matched(&orgs[2], "domain"));
    ex.domains.clear();
    ex.company_name = field("ACME Corp.".into());
    assert_eq!(resolve(&ex), matched(&orgs[2], "name"));
    // A name short of a word of two suppliers' names is neither.
    ex.company_name = field("Muster GmbH".into());
    assert!(matches!(resolve(&ex), Resolution::Unmatched(_)));
    ex.company_name = field("Unknown Widgets Ltd".into());
    assert!(matches!(resolve(&ex), Resolution::Unmatched(_)));
    // Renamed, the supplier is found by its new name; deleted, not at all.
    ex.company_name = field("Muster Kunststoff GmbH".into());
    orgs[1].name = "Muster Kunststoff GmbH".into();
    crate::ops::organizations::save(&store, &orgs[1]).unwrap();
    assert_eq!(resolve(&ex), matched(&orgs[1], "name"));
    crate::ops::organizations::delete(
        &store,
        tenant,
        orgs[1].id,
        certwatch_domain::history::ChangedBy::User(Uuid::nil()),
        Utc::now(),
    )
    .unwrap();
    assert!(matches!(resolve(&ex), Resolution::Unmatched(_)));
}
