//! The catalog's view of register checks: each certificate's latest answer, for the
//! `verification_status` filter and for finding the certificates a register pass asks
//! about.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use certwatch_domain::registers::checked_on_schedule;
use certwatch_domain::verification::RegisterStatus;

use super::Catalog;

/// A certificate a register pass may ask about, with its latest answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: Uuid,
    pub org: Uuid,
    pub cert_type: Uuid,
    /// The certificate number, lower-case.
    pub number_lc: String,
    pub last: Option<(RegisterStatus, DateTime<Utc>)>,
}

impl Catalog {
    /// Notes a certificate's latest register answer.
    pub fn set_verification(&mut self, cert: Uuid, status: RegisterStatus, at: DateTime<Utc>) {
        if self.slots.contains_key(&cert) {
            self.verified.insert(cert, (status, at));
        }
    }

    /// The certificates checked on a schedule (those that stand or may stand again), with
    /// their latest answers, oldest first.
    pub fn register_candidates(&self) -> Vec<Candidate> {
        self.rows
            .iter()
            .flatten()
            .filter(|row| checked_on_schedule(row.status))
            .map(|row| Candidate {
                id: row.id,
                org: row.org,
                cert_type: row.cert_type,
                number_lc: row
                    .text_lc
                    .split('\n')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                last: self.verified.get(&row.id).copied(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CertQuery;
    use certwatch_domain::registry::{CertStatus, Certificate};

    #[test]
    fn the_latest_answer_filters_and_only_standing_certificates_are_candidates() {
        let now: DateTime<Utc> = "2026-12-05T10:00:00Z".parse().unwrap();
        let mut catalog = Catalog::default();
        let (tenant, org, ty) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let cert = |number: &str, status| {
            let mut c = Certificate::new(tenant, org, ty, number.into(), now);
            c.status = status;
            c
        };
        let active = cert("FSC-C127951", CertStatus::Active);
        let suspended = cert("12 100 48563 TMS", CertStatus::Suspended);
        let revoked = cert("Q-1", CertStatus::Revoked);
        for c in [&active, &suspended, &revoked] {
            catalog.upsert_cert(c);
        }
        catalog.set_verification(suspended.id, RegisterStatus::Suspended, now);
        // A certificate the catalog does not hold gets no row.
        catalog.set_verification(Uuid::new_v4(), RegisterStatus::Active, now);
        let q = CertQuery {
            verification_status: Some(RegisterStatus::Suspended),
            ..CertQuery::default()
        };
        assert_eq!(catalog.query_certs(&q, 0, 10).ids, vec![suspended.id]);
        let mut candidates = catalog.register_candidates();
        candidates.sort_by_key(|c| c.number_lc.clone());
        assert_eq!(candidates.len(), 2);
        assert_eq!(candidates[0].number_lc, "12 100 48563 tms");
        assert_eq!(candidates[0].last, Some((RegisterStatus::Suspended, now)));
        assert_eq!(candidates[1].number_lc, "fsc-c127951");
        assert_eq!(candidates[1].last, None);
        catalog.remove_cert(suspended.id);
        assert!(catalog.query_certs(&q, 0, 10).ids.is_empty());
    }
}
