//! A tenant's suppliers as the document matcher looks them up: by VAT number, LEI, web
//! domain, name word and name letters, in memory, kept by the catalog beside its other
//! indexes. A document's candidates are the suppliers these lookups find — a few dozen at
//! most, however many suppliers there are — and `certwatch_domain::matching` decides
//! among them.

use std::collections::{BTreeSet, HashMap};

use certwatch_domain::matching::{Evidence, Supplier, WordCounts, overlap};
use certwatch_domain::names::{CompanyName, VatId, domain};
use uuid::Uuid;

use certwatch_domain::registry::Organization;

/// Candidates a document is compared with at most, the best by shared words first.
const MAX_CANDIDATES: usize = 64;
/// A word in more names than this is not used to find candidates (it is still weighed):
/// its list would be most of the registry.
const MAX_POSTINGS: usize = 2_000;

#[derive(Debug, Default)]
pub struct SupplierIndex {
    suppliers: HashMap<Uuid, Supplier<Uuid>>,
    by_vat: HashMap<String, BTreeSet<Uuid>>,
    by_lei: HashMap<String, BTreeSet<Uuid>>,
    by_domain: HashMap<String, BTreeSet<Uuid>>,
    by_word: HashMap<String, BTreeSet<Uuid>>,
    by_letters: HashMap<String, BTreeSet<Uuid>>,
}

fn add(map: &mut HashMap<String, BTreeSet<Uuid>>, key: String, id: Uuid) {
    map.entry(key).or_default().insert(id);
}

fn drop_id(map: &mut HashMap<String, BTreeSet<Uuid>>, key: &str, id: Uuid) {
    if let Some(set) = map.get_mut(key) {
        set.remove(&id);
        if set.is_empty() {
            map.remove(key);
        }
    }
}

/// The distinct words of a name: a word twice in one name counts once.
fn distinct_words(name: &CompanyName) -> BTreeSet<&String> {
    name.words.iter().collect()
}

impl SupplierIndex {
    pub fn upsert(&mut self, org: &Organization) {
        self.remove(org.id);
        let s = Supplier {
            id: org.id,
            display: org.name.clone(),
            name: CompanyName::parse(&org.name),
            vat: org.vat.as_deref().and_then(VatId::parse),
            lei: org.lei.clone(),
            domain: org
                .website
                .as_deref()
                .and_then(certwatch_domain::rules::website_host),
        };
        if let Some(v) = &s.vat {
            add(&mut self.by_vat, v.number.clone(), s.id);
        }
        if let Some(l) = &s.lei {
            add(&mut self.by_lei, l.clone(), s.id);
        }
        if let Some(d) = &s.domain {
            add(&mut self.by_domain, d.clone(), s.id);
        }
        for w in distinct_words(&s.name) {
            add(&mut self.by_word, w.clone(), s.id);
        }
        add(&mut self.by_letters, s.name.joined(), s.id);
        self.suppliers.insert(s.id, s);
    }

    pub fn remove(&mut self, id: Uuid) {
        let Some(s) = self.suppliers.remove(&id) else {
            return;
        };
        if let Some(v) = &s.vat {
            drop_id(&mut self.by_vat, &v.number, id);
        }
        if let Some(l) = &s.lei {
            drop_id(&mut self.by_lei, l, id);
        }
        if let Some(d) = &s.domain {
            drop_id(&mut self.by_domain, d, id);
        }
        for w in distinct_words(&s.name) {
            drop_id(&mut self.by_word, w, id);
        }
        drop_id(&mut self.by_letters, &s.name.joined(), id);
    }

    /// The one supplier whose website is on `domain`, if exactly one is.
    pub fn only_of_domain(&self, domain: &str) -> Option<Uuid> {
        match self.by_domain.get(domain) {
            Some(ids) if ids.len() == 1 => ids.first().copied(),
            _ => None,
        }
    }

    /// One supplier as the matcher sees it.
    pub fn get(&self, id: Uuid) -> Option<&Supplier<Uuid>> {
        self.suppliers.get(&id)
    }

    /// The suppliers a document can be of: every one an identifier of it names, every one
    /// with its name's letters, and those sharing the most distinctive words with its name.
    pub fn candidates(&self, evidence: &Evidence) -> Vec<Supplier<Uuid>> {
        let mut ids: BTreeSet<Uuid> = BTreeSet::new();
        let mut found = |set: Option<&BTreeSet<Uuid>>| ids.extend(set.into_iter().flatten());
        if let Some(v) = &evidence.vat {
            found(self.by_vat.get(&v.number));
        }
        if let Some(l) = &evidence.lei {
            found(self.by_lei.get(l));
        }
        for d in &evidence.domains {
            found(self.by_domain.get(&domain(d)));
        }
        if let Some(name) = &evidence.name {
            found(self.by_letters.get(&name.joined()));
        }
        let mut by_words: Vec<&Supplier<Uuid>> = Vec::new();
        if let Some(name) = &evidence.name {
            let mut sharing: BTreeSet<Uuid> = BTreeSet::new();
            for w in distinct_words(name) {
                if let Some(set) = self.by_word.get(w.as_str())
                    && set.len() <= MAX_POSTINGS
                {
                    sharing.extend(set);
                }
            }
            // Each candidate scored once, not once per comparison of the sort.
            let mut scored: Vec<(f64, &Supplier<Uuid>)> = sharing
                .iter()
                .filter(|id| !ids.contains(id))
                .filter_map(|id| self.suppliers.get(id))
                .map(|s| (overlap(s, evidence, self), s))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0));
            by_words = scored.into_iter().map(|(_, s)| s).collect();
            by_words.truncate(MAX_CANDIDATES);
        }
        ids.iter()
            .filter_map(|id| self.suppliers.get(id))
            .chain(by_words)
            .cloned()
            .collect()
    }
}

impl WordCounts for SupplierIndex {
    fn suppliers(&self) -> usize {
        self.suppliers.len()
    }

    fn with_word(&self, word: &str) -> usize {
        self.by_word.get(word).map_or(0, BTreeSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_domain::matching::{Resolution, resolve};
    use chrono::Utc;

    fn org(name: &str) -> Organization {
        let mut o = Organization::new(Uuid::nil(), Utc::now());
        o.id = Uuid::new_v4();
        o.name = name.into();
        o
    }

    #[test]
    fn candidates_come_from_identifiers_and_name_words_and_follow_edits() {
        let mut index = SupplierIndex::default();
        let mut muster = org("Muster Metall GmbH");
        muster.vat = Some("DE123456789".into());
        let mut acme = org("Acme Widgets Inc");
        acme.website = Some("https://www.acme-widgets.example/".into());
        let plastik = org("Muster Plastik GmbH");
        for o in [&muster, &acme, &plastik] {
            index.upsert(o);
        }
        let ids = |index: &SupplierIndex, ev: &Evidence| -> BTreeSet<Uuid> {
            index.candidates(ev).into_iter().map(|s| s.id).collect()
        };
        let ev = Evidence {
            name: Some(CompanyName::parse("Muster Metall GmbH")),
            ..Default::default()
        };
        assert_eq!(ids(&index, &ev), [muster.id, plastik.id].into());
        let ev = Evidence {
            vat: VatId::parse("DE 123456789"),
            domains: vec!["acme-widgets.example".into()],
            ..Default::default()
        };
        assert_eq!(ids(&index, &ev), [muster.id, acme.id].into());
        assert_eq!(index.with_word("muster"), 2);

        // A renamed supplier is found by its new name only; a removed one not at all.
        muster.name = "Muster Stahl GmbH".into();
        index.upsert(&muster);
        index.remove(plastik.id);
        let ev = Evidence {
            name: Some(CompanyName::parse("Muster Metall GmbH")),
            ..Default::default()
        };
        assert_eq!(ids(&index, &ev), [muster.id].into());
        assert!(matches!(
            resolve(&ev, &index.candidates(&ev), &index),
            Resolution::Unmatched(_)
        ));
        assert_eq!(index.with_word("muster"), 1);
        assert_eq!(index.with_word("plastik"), 0);
        assert_eq!(index.suppliers(), 2);
    }
}
