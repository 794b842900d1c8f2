//! Which registered supplier a document belongs to, as entity resolution: identifiers
//! first (VAT id, LEI, web domain), then the name, compared word by word with each word
//! weighed by how distinctive it is among the tenant's suppliers.
//!
//! The rules, in order:
//! - identifiers that all point to one supplier decide, unless the printed name is exactly
//!   another supplier's and not this one's;
//! - a unique supplier whose name is the same (same words, or the same letters run
//!   together, and legal forms that agree) is the match, even beside near-duplicates;
//! - else a unique supplier whose name differs only by misread letters in long words or by
//!   words common to many of the tenant's suppliers;
//! - a distinctive word on either side that the other lacks ("Muster Metall Technik" for
//!   "Muster Metall"), or legal forms that differ ("GmbH" for "AG"), is another company.
//!
//! Anything else goes to a person, told why. A wrong match says a supplier is certified
//! when it is not, so every doubt is a review.

use crate::names::{CompanyName, VatId, domain};
use crate::reading::Extracted;

/// A registered supplier, as the matcher sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Supplier<Id> {
    pub id: Id,
    /// The name as registered, for reasons shown to people.
    pub display: String,
    pub name: CompanyName,
    pub vat: Option<VatId>,
    /// A valid LEI, upper case.
    pub lei: Option<String>,
    /// The website's domain, without `www.`.
    pub domain: Option<String>,
}

/// What a document says about whose it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub name: Option<CompanyName>,
    pub vat: Option<VatId>,
    pub lei: Option<String>,
    pub domains: Vec<String>,
}

impl Evidence {
    /// What an extraction read about whose document it is; an LEI failing its check
    /// digits is no evidence.
    pub fn of(ex: &Extracted) -> Evidence {
        Evidence {
            name: ex
                .company_name
                .as_ref()
                .map(|f| CompanyName::parse(&f.value)),
            vat: ex.vat.as_ref().and_then(|f| VatId::parse(&f.value)),
            lei: ex.lei.as_ref().and_then(|f| crate::rules::lei(&f.value)),
            domains: ex.domains.iter().map(|d| domain(d)).collect(),
        }
    }
}

/// How many of the tenant's suppliers there are, and how many have a word in their name.
pub trait WordCounts {
    fn suppliers(&self) -> usize;
    fn with_word(&self, word: &str) -> usize;
}

/// Registries smaller than this have too few names to call any word common.
const COMMON_AMONG: usize = 50;
/// A word in at least this share of the names is common: it does not tell companies apart.
const COMMON_SHARE: f64 = 0.05;

/// Whether `word` tells companies apart among the tenant's suppliers.
pub fn distinctive(word: &str, counts: &impl WordCounts) -> bool {
    let n = counts.suppliers();
    n < COMMON_AMONG || (counts.with_word(word) as f64) < COMMON_SHARE * n as f64
}

/// How much a word counts in a name: rare words weigh more (inverse document frequency).
pub fn weight(word: &str, counts: &impl WordCounts) -> f64 {
    let n = counts.suppliers() as f64;
    ((n + 1.0) / (counts.with_word(word) as f64 + 0.5))
        .ln()
        .max(0.01)
}

#[derive(Debug, Clone, PartialEq)]
enum Relation {
    /// The same words (or letters), legal forms agreeing.
    Same,
    /// The same but for misread letters or common words.
    Variant,
    /// Another company, and why.
    Other(String),
}

/// Whether two long words are one word misread: one letter changed, added or dropped in a
/// word of five letters or more (OCR's `rn` for `m` included).
fn misread(a: &str, b: &str) -> bool {
    a.len().min(b.len()) >= 5 && strsim::levenshtein(a, b) <= 1
}

fn relation(doc: &CompanyName, reg: &CompanyName, counts: &impl WordCounts) -> Relation {
    if !doc.forms_agree(reg) {
        return Relation::Other("its legal form differs".into());
    }
    let mut doc_words = doc.words.clone();
    let mut reg_words = reg.words.clone();
    doc_words.sort();
    reg_words.sort();
    if doc_words == reg_words || doc.joined() == reg.joined() {
        return Relation::Same;
    }
    // Pair equal words, then misread ones; what is left over on either side is extra.
    let mut left: Vec<&String> = reg.words.iter().collect();
    let mut unpaired: Vec<&String> = Vec::new();
    let mut equal = 0;
    for w in &doc.words {
        match left.iter().position(|r| *r == w) {
            Some(i) => {
                left.swap_remove(i);
                equal += 1;
            }
            None => unpaired.push(w),
        }
    }
    let mut extra: Vec<&String> = Vec::new();
    for w in unpaired {
        match left.iter().position(|r| misread(r, w)) {
            Some(i) => {
                left.swap_remove(i);
            }
            None => extra.push(w),
        }
    }
    extra.extend(left);
    if let Some(w) = extra.iter().find(|w| distinctive(w, counts)) {
        return Relation::Other(format!("\"{w}\" is in one name only"));
    }
    if equal == 0 {
        // Nothing but misreads and common words in common: too little to tell.
        return Relation::Other("no word is the same".into());
    }
    Relation::Variant
}

/// The outcome: the supplier and how it was recognised, or why none was.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution<Id> {
    Matched { id: Id, by: String },
    Unmatched(String),
}

pub fn resolve<Id: Copy + PartialEq>(
    evidence: &Evidence,
    suppliers: &[Supplier<Id>],
    counts: &impl WordCounts,
) -> Resolution<Id> {
    let by_name: Vec<(&Supplier<Id>, Relation)> = match &evidence.name {
        Some(name) if !name.is_empty() => suppliers
            .iter()
            .map(|s| (s, relation(name, &s.name, counts)))
            .collect(),
        _ => Vec::new(),
    };
    let with = |want: &Relation| -> Vec<&Supplier<Id>> {
        by_name
            .iter()
            .filter(|(_, r)| r == want)
            .map(|(s, _)| *s)
            .collect()
    };
    let same = with(&Relation::Same);

    let mut identified: Vec<(&Supplier<Id>, &str)> = Vec::new();
    for s in suppliers {
        let how = if evidence
            .vat
            .as_ref()
            .zip(s.vat.as_ref())
            .is_some_and(|(a, b)| a.same(b))
        {
            Some("vat")
        } else if evidence.lei.is_some() && evidence.lei == s.lei {
            Some("lei")
        } else if s
            .domain
            .as_ref()
            .is_some_and(|d| evidence.domains.iter().any(|e| domain(e) == *d))
        {
            Some("domain")
        } else {
            None
        };
        if let Some(how) = how {
            identified.push((s, how));
        }
    }
    match identified.as_slice() {
        [(s, how)] => {
            if let [other] = same.as_slice()
                && other.id != s.id
            {
                return Resolution::Unmatched(format!(
                    "the {how} is {}'s but the name is {}'s",
                    s.display, other.display
                ));
            }
            return Resolution::Matched {
                id: s.id,
                by: how.to_string(),
            };
        }
        [] => {}
        many => {
            let names: Vec<&str> = many.iter().map(|(s, _)| s.display.as_str()).collect();
            return Resolution::Unmatched(format!(
                "its identifiers point to several suppliers ({})",
                names.join(", ")
            ));
        }
    }

    if evidence.name.as_ref().is_none_or(CompanyName::is_empty) {
        return Resolution::Unmatched("no company name or identifier was read".into());
    }
    match same.as_slice() {
        [s] => {
            return Resolution::Matched {
                id: s.id,
                by: "name".into(),
            };
        }
        [] => {}
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.display.as_str()).collect();
            return Resolution::Unmatched(format!(
                "several suppliers have this name ({})",
                names.join(", ")
            ));
        }
    }
    match with(&Relation::Variant).as_slice() {
        [s] => Resolution::Matched {
            id: s.id,
            by: "name variant".into(),
        },
        [] => {
            // The closest that was refused, to tell the person where to look.
            let closest = by_name
                .iter()
                .filter_map(|(s, r)| match r {
                    Relation::Other(why) => Some((s, why)),
                    _ => None,
                })
                .max_by(|a, b| {
                    overlap(a.0, evidence, counts).total_cmp(&overlap(b.0, evidence, counts))
                })
                .filter(|(s, _)| overlap(s, evidence, counts) > 0.0);
            Resolution::Unmatched(match closest {
                Some((s, why)) => format!("closest supplier {}: {why}", s.display),
                None => "no registered supplier has this name".into(),
            })
        }
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.display.as_str()).collect();
            Resolution::Unmatched(format!(
                "the name is close to several suppliers ({})",
                names.join(", ")
            ))
        }
    }
}

/// The weighted share of words two names have in common (weighted Jaccard), 0 to 1.
pub fn overlap<Id>(s: &Supplier<Id>, evidence: &Evidence, counts: &impl WordCounts) -> f64 {
    let Some(name) = &evidence.name else {
        return 0.0;
    };
    let mut all: Vec<&String> = name.words.iter().chain(&s.name.words).collect();
    all.sort();
    all.dedup();
    let (mut common, mut total) = (0.0, 0.0);
    for w in all {
        let wt = weight(w, counts);
        total += wt;
        if name.words.contains(w) && s.name.words.contains(w) {
            common += wt;
        }
    }
    if total == 0.0 { 0.0 } else { common / total }
}

#[cfg(test)]
mod tests {
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
        let Resolution::Unmatched(why) = resolve_in(&reg, &named("Muster Metall Technik GmbH"))
        else {
            panic!("a stranger matched");
        };
        assert!(
            why.contains("Muster Metall GmbH") && why.contains("technik"),
            "{why}"
        );
    }
}
