//! The numbers a tenant's dashboard shows: certificates by how soon they expire, and
//! suppliers without a valid certificate.

use chrono::{Duration, NaiveDate};
use uuid::Uuid;

use certwatch_domain::registry::CertStatus;

use super::{Catalog, Slot};

/// The windows the dashboard counts, in days from today.
pub const EXPIRY_WINDOWS: [i64; 3] = [7, 30, 90];

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overview {
    /// Certificates with status EXPIRED.
    pub expired: usize,
    /// Certificates a register said are suspended, or revoked (withdrawn).
    pub suspended: usize,
    pub revoked: usize,
    /// Active certificates expiring from today to today + each of [`EXPIRY_WINDOWS`].
    pub expiring: [usize; 3],
    pub suppliers: usize,
    /// Suppliers none of whose certificates is valid today.
    pub suppliers_without_valid: usize,
    pub certificates: usize,
}

impl Catalog {
    /// How many certificates have each status.
    pub fn count_by_status(&self) -> [(CertStatus, usize); CertStatus::ALL.len()] {
        CertStatus::ALL.map(|status| (status, self.count_of(status)))
    }

    fn count_of(&self, status: CertStatus) -> usize {
        let s = status.as_str();
        self.by_status
            .range((s, Slot::MIN)..=(s, Slot::MAX))
            .count()
    }

    pub fn overview(&self, today: NaiveDate) -> Overview {
        let mut expiring = [0; 3];
        let last = today + Duration::days(EXPIRY_WINDOWS[2]);
        for (date, slot) in self.by_expiry.range((today, Slot::MIN)..=(last, Slot::MAX)) {
            if self
                .row(*slot)
                .is_some_and(|r| r.status == CertStatus::Active)
            {
                for (count, days) in expiring.iter_mut().zip(EXPIRY_WINDOWS) {
                    if *date <= today + Duration::days(days) {
                        *count += 1;
                    }
                }
            }
        }
        Overview {
            expired: self.count_of(CertStatus::Expired),
            suspended: self.count_of(CertStatus::Suspended),
            revoked: self.count_of(CertStatus::Revoked),
            expiring,
            suppliers: self.orgs.len(),
            suppliers_without_valid: self
                .orgs
                .keys()
                .filter(|org| !self.has_valid_certificate(**org, today))
                .count(),
            certificates: self.slots.len(),
        }
    }

    /// Whether one of the organization's certificates is active and not past its expiry.
    pub fn has_valid_certificate(&self, org: Uuid, today: NaiveDate) -> bool {
        self.by_org.get(&org).is_some_and(|slots| {
            slots
                .iter()
                .filter_map(|s| self.row(*s))
                .any(|r| r.status == CertStatus::Active && r.expiry.is_none_or(|e| e >= today))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_domain::registry::{Certificate, Organization};
    use chrono::Utc;

    fn org(name: &str) -> Organization {
        Organization {
            name: name.into(),
            ..Organization::new(Uuid::nil(), Utc::now())
        }
    }

    #[test]
    fn counts_windows_expired_and_suppliers_without_a_valid_certificate() {
        let today = Utc::now().date_naive();
        let mut c = Catalog::default();
        let (valid, lapsed, empty) = (org("Valid"), org("Lapsed"), org("Empty"));
        for o in [&valid, &lapsed, &empty] {
            c.upsert_org(o);
        }
        let cert = |o: &Organization, status: CertStatus, days: i64| Certificate {
            id: Uuid::new_v4(),
            tenant_id: Uuid::nil(),
            organization_id: o.id,
            certificate_type_id: Uuid::nil(),
            certificate_number: "N-1".into(),
            issuing_body: String::new(),
            scope: String::new(),
            issue_date: None,
            expiry_date: Some(today + Duration::days(days)),
            status,
            document_url: None,
            source_url: None,
            document_hash: None,
            last_checked: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        c.upsert_cert(&cert(&valid, CertStatus::Active, 5));
        c.upsert_cert(&cert(&valid, CertStatus::Active, 60));
        c.upsert_cert(&cert(&valid, CertStatus::Active, 400));
        c.upsert_cert(&cert(&lapsed, CertStatus::Expired, -3));
        c.upsert_cert(&cert(&lapsed, CertStatus::Active, -1));
        c.upsert_cert(&cert(&lapsed, CertStatus::Suspended, 90));
        let o = c.overview(today);
        assert_eq!(o.expiring, [1, 1, 2]);
        assert_eq!((o.expired, o.suspended, o.revoked), (1, 1, 0));
        assert_eq!(o.suppliers, 3);
        assert_eq!(
            o.suppliers_without_valid, 2,
            "a suspended certificate is not valid"
        );
        assert_eq!(o.certificates, 6);
        assert_eq!(
            c.count_by_status(),
            [
                (CertStatus::Active, 4),
                (CertStatus::Expired, 1),
                (CertStatus::Revoked, 0),
                (CertStatus::Pending, 0),
                (CertStatus::Suspended, 1)
            ]
        );
        assert!(c.has_valid_certificate(valid.id, today));
        assert!(!c.has_valid_certificate(lapsed.id, today));
    }
}
