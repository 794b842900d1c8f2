//! The catalog's queries: filters, orderings and pages of certificates and organizations,
//! expiry windows, and the counts shown with an organization.

use std::cmp::Ordering;

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

use certwatch_domain::registry::CertStatus;
use certwatch_domain::verification::RegisterStatus;

use certwatch_domain::compliance::{Rules, State};

use super::{Catalog, CertRow, EXPIRING_WITHIN_DAYS, OrgRow, Slot, trigrams};

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
    /// Only certificates whose latest register check answered this.
    pub verification_status: Option<RegisterStatus>,
    /// None: newest first.
    pub order: Option<(CertOrder, bool)>,
}

#[derive(Debug, Clone, Default)]
pub struct OrgQuery {
    pub country: Option<String>,
    /// Only organizations with this tag.
    pub tag: Option<String>,
    /// Only organizations in this compliance state under these rules.
    pub compliance: Option<(State, Rules)>,
    /// Only organizations without a certificate valid on this day.
    pub without_valid_on: Option<NaiveDate>,
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
    /// The rows containing every trigram of `needle` (a superset of the rows containing
    /// `needle`), in slot order; `None` when the needle is too short to have trigrams.
    fn search_candidates(&self, needle: &str) -> Option<Vec<Slot>> {
        let mut lists: Vec<&Vec<Slot>> = Vec::new();
        for tri in trigrams(needle) {
            match self.trigrams.get(&tri) {
                Some(list) => lists.push(list),
                None => return Some(Vec::new()),
            }
        }
        lists.sort_by_key(|l| l.len());
        let (first, rest) = lists.split_first()?;
        Some(
            first
                .iter()
                .copied()
                .filter(|slot| rest.iter().all(|l| l.binary_search(slot).is_ok()))
                .collect(),
        )
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
            && q.verification_status.is_none_or(|s| {
                self.verified
                    .get(&row.id)
                    .is_some_and(|(status, _)| *status == s)
            })
    }

    /// A page of certificates: the narrowest index the filters allow supplies candidates
    /// (in slot order), or — when nothing narrower applies — the index of the requested
    /// ordering is walked in order, so only the rows before the page end are ordered.
    pub fn query_certs(&self, q: &CertQuery, offset: usize, limit: usize) -> IdPage {
        let (order, desc) = q.order.unwrap_or((CertOrder::CreatedAt, true));
        let search = q.search.as_deref().and_then(|s| self.search_candidates(s));
        let narrow: Option<Vec<Slot>> = [
            q.organization.map(|o| {
                self.by_org
                    .get(&o)
                    .map(|s| s.iter().copied().collect())
                    .unwrap_or_default()
            }),
            q.cert_type.map(|t| {
                self.by_type
                    .get(&t)
                    .map(|s| s.iter().copied().collect())
                    .unwrap_or_default()
            }),
            search,
        ]
        .into_iter()
        .flatten()
        .min_by_key(|v: &Vec<Slot>| v.len());

        let Some(candidates) = narrow else {
            return self.walk_ordered(q, order, desc, offset, limit);
        };
        let mut matched: Vec<Slot> = candidates
            .into_iter()
            .filter(|&slot| self.row(slot).is_some_and(|row| self.matches(row, q)))
            .collect();
        let count = matched.len();
        if order == CertOrder::CreatedAt {
            // Candidates are in slot order already.
            if desc {
                matched.reverse();
            }
        } else {
            let key = |slot: &Slot| {
                self.row(*slot).map(|r| match order {
                    CertOrder::ExpiryDate => (r.expiry, ""),
                    CertOrder::IssueDate => (r.issue, ""),
                    _ => (None, r.status.as_str()),
                })
            };
            matched.sort_by(|a, b| {
                let (ka, kb) = (key(a), key(b));
                let by_key = match order {
                    CertOrder::Status => directed(&ka.map(|k| k.1), &kb.map(|k| k.1), desc),
                    _ => cmp_opt(&ka.and_then(|k| k.0), &kb.and_then(|k| k.0), desc),
                };
                by_key.then(directed(a, b, desc))
            });
        }
        let ids = matched
            .into_iter()
            .skip(offset)
            .take(limit)
            .filter_map(|slot| self.row(slot).map(|r| r.id))
            .collect();
        IdPage { count, ids }
    }

    /// Walks the index of `order` in order. When the walk's own index already applies every
    /// filter, rows are only read for the page and the count is the index's.
    fn walk_ordered(
        &self,
        q: &CertQuery,
        order: CertOrder,
        desc: bool,
        offset: usize,
        limit: usize,
    ) -> IdPage {
        // Every expiry filter narrows the same range: the bounds intersect.
        let low = q.expiry_date.into_iter().chain(q.expiry_after).max();
        let high = q.expiry_date.into_iter().chain(q.expiry_before).min();
        let ranged = low.is_some() || high.is_some();
        let lo = (low.unwrap_or(NaiveDate::MIN), 0);
        let hi = (high.unwrap_or(NaiveDate::MAX), Slot::MAX);
        if ranged && lo > hi {
            return IdPage {
                count: 0,
                ids: Vec::new(),
            };
        }
        // Ties are broken by slot (creation order) in the ordering's direction; missing
        // dates come last either way.
        let walk: Box<dyn Iterator<Item = Slot> + '_> = match order {
            CertOrder::ExpiryDate => {
                let dated = self.by_expiry.range(lo..=hi).map(|(_, s)| *s);
                // Missing dates last either way; a range filter excludes them.
                let undated = self.no_expiry.iter().copied().filter(move |_| !ranged);
                if desc {
                    Box::new(dated.rev().chain(undated.rev()))
                } else {
                    Box::new(dated.chain(undated))
                }
            }
            CertOrder::IssueDate => {
                let dated = self.by_issue.iter().map(|(_, s)| *s);
                let undated = self.no_issue.iter().copied();
                if desc {
                    Box::new(dated.rev().chain(undated.rev()))
                } else {
                    Box::new(dated.chain(undated))
                }
            }
            CertOrder::Status => {
                if desc {
                    Box::new(self.by_status.iter().rev().map(|(_, s)| *s))
                } else {
                    Box::new(self.by_status.iter().map(|(_, s)| *s))
                }
            }
            CertOrder::CreatedAt => {
                let live =
                    (0..self.rows.len() as Slot).filter(|s| self.rows[*s as usize].is_some());
                if desc {
                    Box::new(live.rev())
                } else {
                    Box::new(live)
                }
            }
        };
        let residual = q.status.is_some()
            || q.search.is_some()
            || q.verification_status.is_some()
            || (ranged && order != CertOrder::ExpiryDate);
        let mut count = 0;
        let mut ids = Vec::new();
        for slot in walk {
            if residual && !self.row(slot).is_some_and(|row| self.matches(row, q)) {
                continue;
            }
            if count >= offset && ids.len() < limit {
                if let Some(row) = self.row(slot) {
                    ids.push(row.id);
                }
            } else if !residual && ids.len() == limit {
                // Nothing left to filter: the rest only needs counting, which the index knows.
                count = match (order, ranged) {
                    (CertOrder::ExpiryDate, true) => self.by_expiry.range(lo..=hi).count(),
                    _ => self.slots.len(),
                };
                return IdPage { count, ids };
            }
            count += 1;
        }
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
        let q = CertQuery {
            status: Some(CertStatus::Active),
            expiry_after: Some(from),
            expiry_before: Some(until),
            order: Some((CertOrder::ExpiryDate, false)),
            ..Default::default()
        };
        self.query_certs(&q, offset, limit)
    }

    /// Active certificates whose expiry date is before `today`: the sweep's work.
    pub fn overdue(&self, today: NaiveDate) -> Vec<Uuid> {
        let Some(yesterday) = today.pred_opt() else {
            return Vec::new();
        };
        self.by_expiry
            .range(..=(yesterday, Slot::MAX))
            .filter_map(|(_, slot)| self.row(*slot))
            .filter(|r| r.status == CertStatus::Active)
            .map(|r| r.id)
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
            .filter(|(_, r)| q.tag.as_ref().is_none_or(|t| r.tags.contains(t)))
            .filter(|(id, _)| {
                q.compliance
                    .as_ref()
                    .is_none_or(|(state, rules)| self.org_state(**id, rules) == *state)
            })
            .filter(|(id, _)| {
                q.without_valid_on
                    .is_none_or(|day| !self.has_valid_certificate(**id, day))
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
            .filter_map(|slot| self.row(*slot))
        {
            match row.status {
                CertStatus::Active => {
                    counts.active += 1;
                    if row.expiry.is_some_and(|d| d >= today && d <= soon) {
                        counts.expiring += 1;
                    }
                }
                CertStatus::Expired => counts.expired += 1,
                CertStatus::Revoked | CertStatus::Pending | CertStatus::Suspended => {}
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests;
