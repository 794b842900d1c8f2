use super::*;
use std::collections::HashMap;

struct Counts(HashMap<String, usize>, usize);

impl WordCounts for Counts {
    fn suppliers(&self) -> usize {
        self.1
    }
    fn with_word(&self, word: &str) -> usize {
        self.0.get(word).copied().unwrap_or(0)
    }
}

fn supplier(id: u32, name: &str) -> Supplier<u32> {
    Supplier {
        id,
        display: name.into(),
        name: CompanyName::parse(name),
        vat: None,
        lei: None,
        domain: None,
    }
}

/// Word counts of `suppliers`, as if the tenant had `padding` more suppliers with
/// unrelated names.
fn counts(suppliers: &[Supplier<u32>], padding: usize) -> Counts {
    let mut m = HashMap::new();
    for s in suppliers {
        let mut words = s.name.words.clone();
        words.sort();
        words.dedup();
        for w in words {
            *m.entry(w).or_insert(0) += 1;
        }
    }
    Counts(m, suppliers.len() + padding)
}

fn named(name: &str) -> Evidence {
    Evidence {
        name: Some(CompanyName::parse(name)),
        ..Default::default()
    }
}

fn resolve_in(suppliers: &[Supplier<u32>], evidence: &Evidence) -> Resolution<u32> {
    resolve(evidence, suppliers, &counts(suppliers, 0))
}

fn matched(id: u32, by: &str) -> Resolution<u32> {
    Resolution::Matched { id, by: by.into() }
}

#[test]
fn a_name_printed_differently_matches() {
    let reg = [
        supplier(1, "Muster Metall GmbH"),
        supplier(2, "Société Lyonnaise de Mécanique S.A."),
        supplier(3, "Precision Parts Ltd"),
    ];
    for (printed, id) in [
        ("MUSTER METALL GMBH", 1),
        ("Muster Metall Gesellschaft mit beschränkter Haftung", 1),
        ("Muster-Metall", 1),
        ("SOCIETE LYONNAISE DE MECANIQUE SA", 2),
        ("Precision Parts Limited", 3),
    ] {
        assert_eq!(
            resolve_in(&reg, &named(printed)),
            matched(id, "name"),
            "{printed}"
        );
    }
    // Transliterated: the same name in Cyrillic and in Latin letters.
    let reg = [supplier(1, "Severstal"), supplier(2, "Muster Metall GmbH")];
    assert_eq!(resolve_in(&reg, &named("Северсталь")), matched(1, "name"));
    // Misread letters in a long word.
    assert_eq!(
        resolve_in(&reg, &named("Muster Meta1l GmbH")),
        matched(2, "name variant")
    );
}

#[test]
fn an_extra_distinctive_word_on_either_side_blocks() {
    let reg = [
        supplier(1, "Muster Metall GmbH"),
        supplier(2, "Nordic Timber AB"),
    ];
    for stranger in [
        "Muster Metall Technik GmbH",
        "Muster Metall Holding GmbH",
        "Muster GmbH",
        "Nordic Timber Trading AB",
    ] {
        assert!(
            matches!(resolve_in(&reg, &named(stranger)), Resolution::Unmatched(_)),
            "{stranger}"
        );
    }
    // Another legal form is another company.
    assert!(matches!(
        resolve_in(&reg, &named("Muster Metall AG")),
        Resolution::Unmatched(_)
    ));
}

#[test]
fn a_word_common_among_many_suppliers_is_not_distinctive() {
    // 200 suppliers, 40 of them with "deutschland" in the name.
    let mut reg = vec![supplier(1, "Muster Metall GmbH")];
    for i in 0..40 {
        reg.push(supplier(100 + i, &format!("Firma{i} Deutschland GmbH")));
    }
    let c = counts(&reg, 160);
    assert!(!distinctive("deutschland", &c));
    assert!(distinctive("technik", &c));
    assert_eq!(
        resolve(&named("Muster Metall Deutschland GmbH"), &reg, &c),
        matched(1, "name variant")
    );
    assert!(matches!(
        resolve(&named("Muster Metall Technik GmbH"), &reg, &c),
        Resolution::Unmatched(_)
    ));
    // In a small registry every word tells companies apart.
    let small = counts(&reg[..3], 0);
    assert!(distinctive("deutschland", &small));
}

#[test]
fn a_unique_exact_name_wins_beside_a_near_duplicate() {
    let reg = [
        supplier(1, "Muster Metall GmbH"),
        supplier(2, "Muster Metal GmbH"),
        supplier(3, "Muster Metall Technik GmbH"),
    ];
    assert_eq!(
        resolve_in(&reg, &named("Muster Metall GmbH")),
        matched(1, "name")
    );
    assert_eq!(
        resolve_in(&reg, &named("MUSTER METAL G.m.b.H.")),
        matched(2, "name")
    );
    // A misreading that fits both near-duplicates is not guessed.
    assert!(matches!(
        resolve_in(&reg, &named("Muster Metal1 GmbH")),
        Resolution::Unmatched(_)
    ));
    // Two suppliers with the same name: a person decides.
    let twins = [supplier(1, "Muster GmbH"), supplier(2, "Muster AG")];
    assert!(matches!(
        resolve_in(&twins, &named("Muster")),
        Resolution::Unmatched(_)
    ));
    assert_eq!(resolve_in(&twins, &named("Muster AG")), matched(2, "name"));
}

#[test]
fn identifiers_come_first() {
    let mut a = supplier(1, "Muster Metall GmbH");
    a.vat = VatId::parse("DE123456789");
    let mut b = supplier(2, "Acme Widgets Inc");
    b.domain = Some("acme-widgets.example".into());
    let mut c = supplier(3, "Nordic Timber AB");
    c.lei = Some("5493001KJTIIGC8Y1R12".into());
    let reg = [a, b, c];
    let ev = Evidence {
        name: Some(CompanyName::parse("Muster Metall Werk 2")),
        vat: VatId::parse("DE 123 456 789"),
        ..Default::default()
    };
    assert_eq!(resolve_in(&reg, &ev), matched(1, "vat"));
    let ev = Evidence {
        domains: vec!["www.acme-widgets.example".into()],
        ..Default::default()
    };
    assert_eq!(resolve_in(&reg, &ev), matched(2, "domain"));
    let ev = Evidence {
        lei: Some("5493001KJTIIGC8Y1R12".into()),
        ..Default::default()
    };
    assert_eq!(resolve_in(&reg, &ev), matched(3, "lei"));
    // Identifiers of two suppliers, or an identifier against another's exact name.
    let ev = Evidence {
        vat: VatId::parse("DE123456789"),
        domains: vec!["acme-widgets.example".into()],
        ..Default::default()
    };
    assert!(matches!(resolve_in(&reg, &ev), Resolution::Unmatched(_)));
    let ev = Evidence {
        name: Some(CompanyName::parse("Nordic Timber AB")),
        vat: VatId::parse("DE123456789"),
        ..Default::default()
    };
    assert!(matches!(resolve_in(&reg, &ev), Resolution::Unmatched(_)));
}

#[test]
fn nothing_to_go_by_is_a_review_with_a_reason() {
    let reg = [supplier(1, "Muster Metall GmbH")];
    assert!(matches!(
        resolve_in(&reg, &Evidence::default()),
        Resolution::Unmatched(_)
    ));
    let Resolution::Unmatched(why) = resolve_in(&reg, &named("Muster Metall Technik GmbH")) else {
        panic!("a stranger matched");
    };
    assert!(
        why.contains("Muster Metall GmbH") && why.contains("technik"),
        "{why}"
    );
}
