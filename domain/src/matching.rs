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
    let identified: Vec<(&Supplier<Id>, &str)> = suppliers
        .iter()
        .filter_map(|s| Some((s, identified_by(evidence, s)?)))
        .collect();
    if let Some(resolution) = by_identifier(&identified, &same) {
        return resolution;
    }
    if evidence.name.as_ref().is_none_or(CompanyName::is_empty) {
        return Resolution::Unmatched("no company name or identifier was read".into());
    }
    let one_of = |found: &[&Supplier<Id>], by: &str, several: &str| match found {
        [s] => Some(Resolution::Matched {
            id: s.id,
            by: by.into(),
        }),
        [] => None,
        many => Some(Resolution::Unmatched(format!(
            "{several} ({})",
            names(many)
        ))),
    };
    one_of(&same, "name", "several suppliers have this name")
        .or_else(|| {
            let variants = with(&Relation::Variant);
            one_of(
                &variants,
                "name variant",
                "the name is close to several suppliers",
            )
        })
        .unwrap_or_else(|| closest_refusal(&by_name, evidence, counts))
}

/// Which identifier of the document, if any, is the supplier's: VAT number, LEI or web domain.
fn identified_by<Id>(evidence: &Evidence, s: &Supplier<Id>) -> Option<&'static str> {
    if evidence
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
    }
}

/// The decision the identifiers make, if they make one: one supplier (unless the name is
/// plainly another's), or a refusal when they point to several.
fn by_identifier<Id: Copy + PartialEq>(
    identified: &[(&Supplier<Id>, &str)],
    same: &[&Supplier<Id>],
) -> Option<Resolution<Id>> {
    match identified {
        [] => None,
        [(s, how)] => Some(match same {
            [other] if other.id != s.id => Resolution::Unmatched(format!(
                "the {how} is {}'s but the name is {}'s",
                s.display, other.display
            )),
            _ => Resolution::Matched {
                id: s.id,
                by: how.to_string(),
            },
        }),
        many => {
            let suppliers: Vec<&Supplier<Id>> = many.iter().map(|(s, _)| *s).collect();
            Some(Resolution::Unmatched(format!(
                "its identifiers point to several suppliers ({})",
                names(&suppliers)
            )))
        }
    }
}

/// No supplier has the name: the closest that was refused, to tell the person where to look.
fn closest_refusal<Id>(
    by_name: &[(&Supplier<Id>, Relation)],
    evidence: &Evidence,
    counts: &impl WordCounts,
) -> Resolution<Id> {
    let closest = by_name
        .iter()
        .filter_map(|(s, r)| match r {
            Relation::Other(why) => Some((s, why)),
            _ => None,
        })
        .max_by(|a, b| overlap(a.0, evidence, counts).total_cmp(&overlap(b.0, evidence, counts)))
        .filter(|(s, _)| overlap(s, evidence, counts) > 0.0);
    Resolution::Unmatched(match closest {
        Some((s, why)) => format!("closest supplier {}: {why}", s.display),
        None => "no registered supplier has this name".into(),
    })
}

fn names<Id>(suppliers: &[&Supplier<Id>]) -> String {
    let names: Vec<&str> = suppliers.iter().map(|s| s.display.as_str()).collect();
    names.join(", ")
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
mod tests;
