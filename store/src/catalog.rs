//! A tenant's query indexes, in memory: compact rows of its organizations and certificates,
//! a B-tree by expiry date, and sets by organization and by type.
//!
//! Lists, filters, orderings, counts and search run here, so no request walks the sled
//! trees; the page's full records are then read from sled by id. A catalog is built from
//! sled the first time its tenant is used and kept current by the registry's write
//! operations, which update it right after their transaction commits.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use crate::registry::{CertStatus, Certificate, Organization};
use crate::{Store, StoreError, keys, scan};

/// Days ahead in which an active certificate counts as "expiring".
pub const EXPIRING_WITHIN_DAYS: i64 = 30;

#[derive(Debug, Clone)]
struct OrgRow {
    name_lc: String,
    external_id_lc: Option<String>,
    website_lc: Option<String>,
    country: Option<String>,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct CertRow {
    org: Uuid,
    cert_type: Uuid,
    status: CertStatus,
    expiry: Option<NaiveDate>,
    issue: Option<NaiveDate>,
    created_at: DateTime<Utc>,
    /// Number, issuing body and scope, lower-case, for `search`.
    text_lc: String,
}

#[derive(Debug, Default)]
pub struct Catalog {
    orgs: HashMap<Uuid, OrgRow>,
    certs: HashMap<Uuid, CertRow>,
    by_org: HashMap<Uuid, BTreeSet<Uuid>>,
    by_type: HashMap<Uuid, BTreeSet<Uuid>>,
    by_expiry: BTreeSet<(NaiveDate, Uuid)>,
}

/// Sort keys of the certificate list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CertOrder {
    ExpiryDate,
    IssueDate,
    Status,
    CreatedAt,
}

/// Sort keys of the organization list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrgOrder {
    Name,
    ExternalId,
    Country,
    CreatedAt,
}

/// A certificate list request. Text filters are lower-case.
#[derive(Debug, Clone, Default)]
pub struct CertQuery {
    pub organization: Option<Uuid>,
    pub cert_type: Option<Uuid>,
    pub status: Option<CertStatus>,
    pub expiry_date: Option<NaiveDate>,
    pub expiry_before: Option<NaiveDate>,
    pub expiry_after: Option<NaiveDate>,
    pub search: Option<String>,
    /// None: newest first.
    pub order: Option<(CertOrder, bool)>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgQuery {
    pub country: Option<String>,
    pub search: Option<String>,
    /// None: by name.
    pub order: Option<(OrgOrder, bool)>,
}

/// Certificate counts shown with an organization.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OrgCounts {
    pub active: usize,
    pub expiring: usize,
    pub expired: usize,
}

/// One page of ids out of `count` matches.
#[derive(Debug, Clone, PartialEq)]
pub struct IdPage {
    pub count: usize,
    pub ids: Vec<Uuid>,
}

/// Order of keys in the requested direction.
fn directed<T: Ord>(a: &T, b: &T, desc: bool) -> Ordering {
    if desc { b.cmp(a) } else { a.cmp(b) }
}

/// Order of optional keys in the requested direction, missing values last either way.
fn cmp_opt<T: Ord>(a: &Option<T>, b: &Option<T>, desc: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => directed(a, b, desc),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Sorts just enough of `items` to return the page `[offset, offset + limit)`.
fn page_of<T: Copy>(
    mut items: Vec<T>,
    offset: usize,
    limit: usize,
    cmp: impl Fn(&T, &T) -> Ordering,
) -> Vec<T> {
    if offset >= items.len() {
        return Vec::new();
    }
    let end = (offset + limit).min(items.len());
    if end < items.len() {
        items.select_nth_unstable_by(end, &cmp);
        items.truncate(end);
    }
    items.sort_unstable_by(&cmp);
    items.drain(offset..).collect()
}

impl Catalog {
    fn load(store: &Store, tenant: Uuid) -> Result<Catalog, StoreError> {
        let mut catalog = Catalog::default();
        let prefix = keys::id(tenant);
        for org in scan::<Organization>(&store.trees().organizations, &prefix)? {
            catalog.upsert_org(&org);
        }
        for cert in scan::<Certificate>(&store.trees().certificates, &prefix)? {
            catalog.upsert_cert(&cert);
        }
        Ok(catalog)
    }

    pub fn upsert_org(&mut self, org: &Organization) {
        let row = OrgRow {
            name_lc: org.name.to_lowercase(),
            external_id_lc: org.external_id.as_ref().map(|e| e.to_lowercase()),
            website_lc: org.website.as_ref().map(|w| w.to_lowercase()),
            country: org.country.clone(),
            created_at: org.created_at,
        };
        self.orgs.insert(org.id, row);
    }

    pub fn remove_org(&mut self, id: Uuid) {
        self.orgs.remove(&id);
        self.by_org.remove(&id);
    }

    pub fn upsert_cert(&mut self, c: &Certificate) {
        self.remove_cert(c.id);
        let row = CertRow {
            org: c.organization_id,
            cert_type: c.certificate_type_id,
            status: c.status,
            expiry: c.expiry_date,
            issue: c.issue_date,
            created_at: c.created_at,
            text_lc: format!("{}\n{}\n{}", c.certificate_number, c.issuing_body, c.scope)
                .to_lowercase(),
        };
        self.by_org.entry(row.org).or_default().insert(c.id);
        self.by_type.entry(row.cert_type).or_default().insert(c.id);
        if let Some(d) = row.expiry {
            self.by_expiry.insert((d, c.id));
        }
        self.certs.insert(c.id, row);
    }

    pub fn remove_cert(&mut self, id: Uuid) {
        let Some(row) = self.certs.remove(&id) else {
            return;
        };
        if let Some(set) = self.by_org.get_mut(&row.org) {
            set.remove(&id);
        }
        if let Some(set) = self.by_type.get_mut(&row.cert_type) {
            set.remove(&id);
        }
        if let Some(d) = row.expiry {
            self.by_expiry.remove(&(d, id));
        }
    }

    pub fn type_in_use(&self, cert_type: Uuid) -> bool {
        self.by_type.get(&cert_type).is_some_and(|s| !s.is_empty())
    }

    pub fn cert_count(&self) -> usize {
        self.certs.len()
    }

    /// Candidate ids from the most selective index the query can use.
    fn candidates(&self, q: &CertQuery) -> Vec<Uuid> {
        let from_set = |set: Option<&BTreeSet<Uuid>>| {
            set.map(|s| s.iter().copied().collect()).unwrap_or_default()
        };
        if let Some(org) = q.organization {
            return from_set(self.by_org.get(&org));
        }
        if let Some(ty) = q.cert_type {
            return from_set(self.by_type.get(&ty));
        }
        let low = q.expiry_date.or(q.expiry_after);
        let high = q.expiry_date.or(q.expiry_before);
        if low.is_some() || high.is_some() {
            let low = (low.unwrap_or(NaiveDate::MIN), Uuid::nil());
            let high = (high.unwrap_or(NaiveDate::MAX), Uuid::max());
            if low > high {
                return Vec::new();
            }
            return self
                .by_expiry
                .range(low..=high)
                .map(|(_, id)| *id)
                .collect();
        }
        self.certs.keys().copied().collect()
    }

    fn matches(&self, row: &CertRow, q: &CertQuery) -> bool {
        q.organization.is_none_or(|o| row.org == o)
            && q.cert_type.is_none_or(|t| row.cert_type == t)
            && q.status.is_none_or(|s| row.status == s)
            && q.expiry_date.is_none_or(|d| row.expiry == Some(d))
            && q.expiry_before
                .is_none_or(|d| row.expiry.is_some_and(|e| e <= d))
            && q.expiry_after
                .is_none_or(|d| row.expiry.is_some_and(|e| e >= d))
            && q.search.as_deref().is_none_or(|s| row.text_lc.contains(s))
    }

    pub fn query_certs(&self, q: &CertQuery, offset: usize, limit: usize) -> IdPage {
        let matched: Vec<(Uuid, &CertRow)> = self
            .candidates(q)
            .into_iter()
            .filter_map(|id| self.certs.get(&id).map(|row| (id, row)))
            .filter(|(_, row)| self.matches(row, q))
            .collect();
        let count = matched.len();
        let (order, desc) = q.order.unwrap_or((CertOrder::CreatedAt, true));
        let cmp = |a: &(Uuid, &CertRow), b: &(Uuid, &CertRow)| {
            let (ra, rb) = (a.1, b.1);
            let key = match order {
                CertOrder::ExpiryDate => cmp_opt(&ra.expiry, &rb.expiry, desc),
                CertOrder::IssueDate => cmp_opt(&ra.issue, &rb.issue, desc),
                CertOrder::Status => directed(&ra.status.as_str(), &rb.status.as_str(), desc),
                CertOrder::CreatedAt => directed(&ra.created_at, &rb.created_at, desc),
            };
            key.then(a.0.cmp(&b.0))
        };
        let ids = page_of(matched, offset, limit, cmp)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        IdPage { count, ids }
    }

    /// Active certificates expiring in `[from, until]`, soonest first.
    pub fn expiring(
        &self,
        from: NaiveDate,
        until: NaiveDate,
        offset: usize,
        limit: usize,
    ) -> IdPage {
        let ids: Vec<Uuid> = self
            .by_expiry
            .range((from, Uuid::nil())..=(until, Uuid::max()))
            .map(|(_, id)| *id)
            .filter(|id| {
                self.certs
                    .get(id)
                    .is_some_and(|r| r.status == CertStatus::Active)
            })
            .collect();
        IdPage {
            count: ids.len(),
            ids: ids.into_iter().skip(offset).take(limit).collect(),
        }
    }

    /// Active certificates whose expiry date is before `today`: the sweep's work.
    pub fn overdue(&self, today: NaiveDate) -> Vec<Uuid> {
        let Some(yesterday) = today.pred_opt() else {
            return Vec::new();
        };
        self.by_expiry
            .range(..=(yesterday, Uuid::max()))
            .map(|(_, id)| *id)
            .filter(|id| {
                self.certs
                    .get(id)
                    .is_some_and(|r| r.status == CertStatus::Active)
            })
            .collect()
    }

    pub fn query_orgs(&self, q: &OrgQuery, offset: usize, limit: usize) -> IdPage {
        let matched: Vec<(Uuid, &OrgRow)> = self
            .orgs
            .iter()
            .filter(|(_, r)| {
                q.country
                    .as_deref()
                    .is_none_or(|c| r.country.as_deref() == Some(c))
            })
            .filter(|(_, r)| {
                q.search.as_deref().is_none_or(|s| {
                    r.name_lc.contains(s)
                        || r.external_id_lc.as_deref().is_some_and(|e| e.contains(s))
                })
            })
            .map(|(id, r)| (*id, r))
            .collect();
        let count = matched.len();
        let (order, desc) = q.order.unwrap_or((OrgOrder::Name, false));
        let cmp = |a: &(Uuid, &OrgRow), b: &(Uuid, &OrgRow)| {
            let (ra, rb) = (a.1, b.1);
            let key = match order {
                OrgOrder::Name => directed(&ra.name_lc, &rb.name_lc, desc),
                OrgOrder::ExternalId => cmp_opt(&ra.external_id_lc, &rb.external_id_lc, desc),
                OrgOrder::Country => cmp_opt(&ra.country, &rb.country, desc),
                OrgOrder::CreatedAt => directed(&ra.created_at, &rb.created_at, desc),
            };
            key.then(a.0.cmp(&b.0))
        };
        let ids = page_of(matched, offset, limit, cmp)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        IdPage { count, ids }
    }

    /// Organizations whose name or website contains `q_lc` (lower-case), by name.
    pub fn search_orgs_by_name_or_website(&self, q_lc: &str, limit: usize) -> Vec<Uuid> {
        let matched: Vec<(Uuid, &OrgRow)> = self
            .orgs
            .iter()
            .filter(|(_, r)| {
                r.name_lc.contains(q_lc)
                    || r.website_lc.as_deref().is_some_and(|w| w.contains(q_lc))
            })
            .map(|(id, r)| (*id, r))
            .collect();
        page_of(matched, 0, limit, |a, b| {
            a.1.name_lc.cmp(&b.1.name_lc).then(a.0.cmp(&b.0))
        })
        .into_iter()
        .map(|(id, _)| id)
        .collect()
    }

    pub fn org_counts(&self, org: Uuid, today: NaiveDate) -> OrgCounts {
        let soon = today + Duration::days(EXPIRING_WITHIN_DAYS);
        let mut counts = OrgCounts::default();
        for row in self
            .by_org
            .get(&org)
            .into_iter()
            .flatten()
            .filter_map(|id| self.certs.get(id))
        {
            match row.status {
                CertStatus::Active => {
                    counts.active += 1;
                    if row.expiry.is_some_and(|d| d >= today && d <= soon) {
                        counts.expiring += 1;
                    }
                }
                CertStatus::Expired => counts.expired += 1,
                CertStatus::Revoked | CertStatus::Pending => {}
            }
        }
        counts
    }
}

/// A tenant's catalog, shared by its writer (the tenant actor, through the registry
/// operations) and every reader. Locks are held only for in-memory work, never across I/O.
#[derive(Debug, Default)]
pub struct SharedCatalog(RwLock<Catalog>);

impl SharedCatalog {
    pub fn read(&self) -> RwLockReadGuard<'_, Catalog> {
        // A panic while holding the lock cannot leave a row half-written (every update is a
        // whole insert or remove), so a poisoned lock is still safe to use.
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Catalog> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store {
    /// The tenant's catalog, built from sled on first use.
    pub fn catalog(&self, tenant: Uuid) -> Result<Arc<SharedCatalog>, StoreError> {
        let mut all = self.catalogs().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = all.get(&tenant) {
            return Ok(c.clone());
        }
        // Built under the map's lock, so a write cannot slip between loading and publishing.
        let catalog = Arc::new(SharedCatalog(RwLock::new(Catalog::load(self, tenant)?)));
        all.insert(tenant, catalog.clone());
        Ok(catalog)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
