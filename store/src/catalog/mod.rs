//! A tenant's query indexes, in memory: compact rows of its organizations and certificates,
//! a B-tree by expiry date, and sets by organization and by type.
//!
//! Lists, filters, orderings, counts and search run here, so no request walks the sled
//! trees; the page's full records are then read from sled by id. A catalog is built from
//! sled the first time its tenant is used and kept current by the registry's write
//! operations, which update it right after their transaction commits.

use std::collections::{BTreeSet, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use certwatch_domain::matching::{Evidence, Resolution, resolve};

use crate::catalog::supplier_index::SupplierIndex;
use certwatch_domain::registry::{CertStatus, Certificate, Organization};
use certwatch_domain::verification::RegisterStatus;

/// Days ahead in which an active certificate counts as "expiring".
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

mod compliance;
mod load;
mod overview;
mod queries;
pub(crate) mod supplier_index;
pub mod verifications;

pub use overview::{EXPIRY_WINDOWS, Overview};
pub use queries::{CertOrder, CertQuery, IdPage, OrgCounts, OrgOrder, OrgQuery};

#[derive(Debug, Clone)]
struct OrgRow {
    name_lc: String,
    external_id_lc: Option<String>,
    website_lc: Option<String>,
    country: Option<String>,
    tags: Vec<String>,
    created_at: DateTime<Utc>,
}

/// Position of a certificate in the catalog's slab. Slots are handed out in creation order
/// (the catalog is loaded sorted by `created_at`), so slot order is "oldest first".
type Slot = u32;

#[derive(Debug, Clone)]
struct CertRow {
    id: Uuid,
    org: Uuid,
    cert_type: Uuid,
    status: CertStatus,
    expiry: Option<NaiveDate>,
    issue: Option<NaiveDate>,
    /// Number, issuing body and scope, lower-case, for `search`.
    text_lc: String,
}

#[derive(Debug, Default)]
pub struct Catalog {
    orgs: HashMap<Uuid, OrgRow>,
    rows: Vec<Option<CertRow>>,
    slots: HashMap<Uuid, Slot>,
    by_org: HashMap<Uuid, BTreeSet<Slot>>,
    by_type: HashMap<Uuid, BTreeSet<Slot>>,
    by_expiry: BTreeSet<(NaiveDate, Slot)>,
    no_expiry: BTreeSet<Slot>,
    by_issue: BTreeSet<(NaiveDate, Slot)>,
    no_issue: BTreeSet<Slot>,
    by_status: BTreeSet<(&'static str, Slot)>,
    /// Every three-byte window of a row's search text → the rows that contain it, sorted.
    trigrams: HashMap<[u8; 3], Vec<Slot>>,
    /// The organizations as bulk upload matches documents to them.
    suppliers: SupplierIndex,
    /// Each checked certificate's latest register answer and when it came.
    verified: HashMap<Uuid, (RegisterStatus, DateTime<Utc>)>,
}

/// The distinct three-byte windows of `text` (bytes of lower-case UTF-8, so a substring
/// match implies every window of the needle is present).
fn trigrams(text: &str) -> BTreeSet<[u8; 3]> {
    text.as_bytes()
        .windows(3)
        .map(|w| [w[0], w[1], w[2]])
        .collect()
}

impl Catalog {
    pub fn upsert_org(&mut self, org: &Organization) {
        let row = OrgRow {
            name_lc: org.name.to_lowercase(),
            external_id_lc: org.external_id.as_ref().map(|e| e.to_lowercase()),
            website_lc: org.website.as_ref().map(|w| w.to_lowercase()),
            country: org.country.clone(),
            tags: org.tags.clone(),
            created_at: org.created_at,
        };
        self.orgs.insert(org.id, row);
        self.suppliers.upsert(org);
    }

    pub fn remove_org(&mut self, id: Uuid) {
        self.orgs.remove(&id);
        self.by_org.remove(&id);
        self.suppliers.remove(id);
    }

    /// The organization a document is of, or why none is certain.
    pub fn resolve_supplier(&self, evidence: &Evidence) -> Resolution<Uuid> {
        resolve(
            evidence,
            &self.suppliers.candidates(evidence),
            &self.suppliers,
        )
    }

    /// Whether a document a supplier uploaded through its link is that supplier's (`org`):
    /// not when it is plainly another supplier's, nor when it names a company that is not
    /// this one; yes when it names this one, or names no one (the link says whose it is).
    pub fn resolve_for_supplier(&self, evidence: &Evidence, org: Uuid) -> Resolution<Uuid> {
        let link = |by: &str| Resolution::Matched {
            id: org,
            by: format!("supplier link, {by}"),
        };
        match self.resolve_supplier(evidence) {
            Resolution::Matched { id, by } if id == org => return link(&by),
            Resolution::Matched { id, .. } => {
                let other = self.suppliers.get(id).map_or("", |s| s.display.as_str());
                return Resolution::Unmatched(format!(
                    "the document is another supplier's ({other})"
                ));
            }
            Resolution::Unmatched(_) => {}
        }
        let Some(own) = self.suppliers.get(org) else {
            return Resolution::Unmatched("the supplier no longer exists".into());
        };
        let names_no_one = evidence.name.as_ref().is_none_or(|n| n.is_empty())
            && evidence.vat.is_none()
            && evidence.lei.is_none()
            && evidence.domains.is_empty();
        match resolve(evidence, std::slice::from_ref(own), &self.suppliers) {
            Resolution::Matched { by, .. } => link(&by),
            Resolution::Unmatched(_) if names_no_one => link("no company named"),
            Resolution::Unmatched(why) => {
                Resolution::Unmatched(format!("the document does not name this supplier: {why}"))
            }
        }
    }

    /// The one supplier whose website is on `domain` (a mail sender's hint).
    pub fn supplier_of_domain(&self, domain: &str) -> Option<Uuid> {
        self.suppliers.only_of_domain(domain)
    }

    /// The supplier of a document that came by mail from `sender`'s address: the
    /// document's own content decides, the sender only narrows it. A document naming
    /// another supplier is not the sender's (a person looks); one the whole registry
    /// cannot tell apart is the sender's when it matches the sender alone.
    pub fn resolve_hinted(&self, evidence: &Evidence, sender: Uuid) -> Resolution<Uuid> {
        let hinted = |by: &str| Resolution::Matched {
            id: sender,
            by: format!("{by}, sender's address"),
        };
        let display = |id: Uuid| self.suppliers.get(id).map_or("", |s| s.display.as_str());
        match self.resolve_supplier(evidence) {
            Resolution::Matched { id, by } if id == sender => hinted(&by),
            Resolution::Matched { id, .. } => Resolution::Unmatched(format!(
                "the mail came from an address of {}, the document names {}",
                display(sender),
                display(id)
            )),
            Resolution::Unmatched(why) => match self.suppliers.get(sender) {
                Some(own) => match resolve(evidence, std::slice::from_ref(own), &self.suppliers) {
                    Resolution::Matched { by, .. } => hinted(&by),
                    Resolution::Unmatched(_) => Resolution::Unmatched(why),
                },
                None => Resolution::Unmatched(why),
            },
        }
    }

    fn row(&self, slot: Slot) -> Option<&CertRow> {
        self.rows.get(slot as usize).and_then(Option::as_ref)
    }

    /// Adds or replaces a certificate; an update keeps its slot (its creation order).
    pub fn upsert_cert(&mut self, c: &Certificate) {
        let slot = match self.slots.get(&c.id) {
            Some(&slot) => {
                self.unindex(slot);
                slot
            }
            None => {
                let slot = self.rows.len() as Slot;
                self.rows.push(None);
                self.slots.insert(c.id, slot);
                slot
            }
        };
        let row = CertRow {
            id: c.id,
            org: c.organization_id,
            cert_type: c.certificate_type_id,
            status: c.status,
            expiry: c.expiry_date,
            issue: c.issue_date,
            text_lc: format!("{}\n{}\n{}", c.certificate_number, c.issuing_body, c.scope)
                .to_lowercase(),
        };
        self.by_org.entry(row.org).or_default().insert(slot);
        self.by_type.entry(row.cert_type).or_default().insert(slot);
        match row.expiry {
            Some(d) => self.by_expiry.insert((d, slot)),
            None => self.no_expiry.insert(slot),
        };
        match row.issue {
            Some(d) => self.by_issue.insert((d, slot)),
            None => self.no_issue.insert(slot),
        };
        self.by_status.insert((row.status.as_str(), slot));
        for tri in trigrams(&row.text_lc) {
            let list = self.trigrams.entry(tri).or_default();
            if let Err(at) = list.binary_search(&slot) {
                list.insert(at, slot);
            }
        }
        self.rows[slot as usize] = Some(row);
    }

    /// Takes a row out of every index, leaving its slot empty.
    fn unindex(&mut self, slot: Slot) {
        let Some(row) = self.rows[slot as usize].take() else {
            return;
        };
        if let Some(set) = self.by_org.get_mut(&row.org) {
            set.remove(&slot);
        }
        if let Some(set) = self.by_type.get_mut(&row.cert_type) {
            set.remove(&slot);
        }
        match row.expiry {
            Some(d) => self.by_expiry.remove(&(d, slot)),
            None => self.no_expiry.remove(&slot),
        };
        match row.issue {
            Some(d) => self.by_issue.remove(&(d, slot)),
            None => self.no_issue.remove(&slot),
        };
        self.by_status.remove(&(row.status.as_str(), slot));
        for tri in trigrams(&row.text_lc) {
            if let Some(list) = self.trigrams.get_mut(&tri)
                && let Ok(at) = list.binary_search(&slot)
            {
                list.remove(at);
            }
        }
    }

    pub fn remove_cert(&mut self, id: Uuid) {
        if let Some(slot) = self.slots.remove(&id) {
            self.unindex(slot);
        }
        self.verified.remove(&id);
    }

    /// Suppliers a person reviewing a document may mean: those sharing its VAT number, LEI,
    /// domain or name words. Suggestions only — the matcher found none certain.
    pub fn suggested_suppliers(&self, evidence: &Evidence, limit: usize) -> Vec<Uuid> {
        self.suppliers
            .candidates(evidence)
            .into_iter()
            .map(|s| s.id)
            .take(limit)
            .collect()
    }

    pub fn type_in_use(&self, cert_type: Uuid) -> bool {
        self.by_type.get(&cert_type).is_some_and(|s| !s.is_empty())
    }

    /// Organizations that have a website (for discovery), oldest first.
    pub fn organizations_with_website(&self) -> Vec<Uuid> {
        let mut found: Vec<(DateTime<Utc>, Uuid)> = self
            .orgs
            .iter()
            .filter(|(_, r)| r.website_lc.is_some())
            .map(|(id, r)| (r.created_at, *id))
            .collect();
        found.sort();
        found.into_iter().map(|(_, id)| id).collect()
    }
}

/// A tenant's catalog, shared by its writer (the tenant actor, through the registry
/// operations) and every reader. Locks are held only for in-memory work, never across I/O.
#[derive(Debug, Default)]
pub struct SharedCatalog(RwLock<Catalog>);

impl SharedCatalog {
    pub(crate) fn new(catalog: Catalog) -> SharedCatalog {
        SharedCatalog(RwLock::new(catalog))
    }

    pub fn read(&self) -> RwLockReadGuard<'_, Catalog> {
        // A panic while holding the lock cannot leave a row half-written (every update is a
        // whole insert or remove), so a poisoned lock is still safe to use.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Catalog> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_domain::names::CompanyName;

    #[test]
    fn suppliers_sharing_name_words_are_suggested_others_not() {
        let mut c = Catalog::default();
        let org = |name: &str| Organization {
            name: name.into(),
            ..Organization::new(Uuid::nil(), Utc::now())
        };
        let (timber, steel) = (org("Nordic Timber AB"), org("Ruhr Stahl GmbH"));
        c.upsert_org(&timber);
        c.upsert_org(&steel);
        let evidence = Evidence {
            name: Some(CompanyName::parse("Nordic Timber Holding Ltd")),
            vat: None,
            lei: None,
            domains: Vec::new(),
        };
        assert_eq!(c.suggested_suppliers(&evidence, 5), [timber.id]);
    }

    fn named(name: &str) -> Evidence {
        Evidence {
            name: Some(CompanyName::parse(name)),
            vat: None,
            lei: None,
            domains: Vec::new(),
        }
    }

    #[test]
    fn a_senders_supplier_narrows_a_match_but_never_makes_one_alone() {
        let mut c = Catalog::default();
        let org = |name: &str| Organization {
            name: name.into(),
            ..Organization::new(Uuid::nil(), Utc::now())
        };
        let (gmbh, ag, timber) = (
            org("Muster Metall GmbH"),
            org("Muster Metall AG"),
            org("Nordic Timber AB"),
        );
        for o in [&gmbh, &ag, &timber] {
            c.upsert_org(o);
        }
        let matched = |r: Resolution<Uuid>| match r {
            Resolution::Matched { id, by } => Some((id, by)),
            Resolution::Unmatched(_) => None,
        };
        // The document alone decides, and the sender agrees.
        let (id, by) = matched(c.resolve_hinted(&named("Muster Metall GmbH"), gmbh.id)).unwrap();
        assert_eq!(id, gmbh.id);
        assert!(by.ends_with("sender's address"), "{by}");
        // Two suppliers the name fits: the sender's is taken, and without a sender none.
        let ambiguous = named("Muster Metall");
        assert_eq!(matched(c.resolve_supplier(&ambiguous)), None);
        assert_eq!(
            matched(c.resolve_hinted(&ambiguous, ag.id)).map(|m| m.0),
            Some(ag.id)
        );
        // Another company's document is not the sender's.
        match c.resolve_hinted(&named("Nordic Timber AB"), gmbh.id) {
            Resolution::Unmatched(why) => {
                assert!(
                    why.contains("Nordic Timber AB") && why.contains("Muster Metall GmbH"),
                    "{why}"
                )
            }
            other => panic!("{other:?}"),
        }
        // A document naming no company is not filed on the sender's word.
        let nobody = Evidence {
            name: None,
            vat: None,
            lei: None,
            domains: Vec::new(),
        };
        assert_eq!(matched(c.resolve_hinted(&nobody, gmbh.id)), None);
    }
}
