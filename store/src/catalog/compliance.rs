//! What each supplier owes, read from the catalog: the standing of every requirement that
//! applies to an organization (its tags are in the catalog), and its overall state.

use uuid::Uuid;

use certwatch_domain::compliance::{
    Holding, Requirement, Rules, Standing, State, overall, standing,
};

use super::Catalog;

impl Catalog {
    /// Every organization's id.
    pub fn org_ids(&self) -> Vec<Uuid> {
        self.orgs.keys().copied().collect()
    }

    /// The organization's certificates of one type.
    pub fn holdings(&self, org: Uuid, cert_type: Uuid) -> Vec<Holding> {
        self.by_org
            .get(&org)
            .into_iter()
            .flatten()
            .filter_map(|slot| self.row(*slot))
            .filter(|r| r.cert_type == cert_type)
            .map(|r| Holding {
                certificate: r.id,
                status: r.status,
                expiry: r.expiry,
            })
            .collect()
    }

    /// The requirements that apply to the organization, each with its standing; `None`
    /// for an organization the catalog does not hold.
    pub fn compliance<'r>(
        &self,
        org: Uuid,
        rules: &'r Rules,
    ) -> Option<Vec<(&'r Requirement, Standing)>> {
        let row = self.orgs.get(&org)?;
        Some(
            rules
                .requirements
                .iter()
                .filter(|req| req.applies(org, &row.tags))
                .map(|req| {
                    let held = self.holdings(org, req.certificate_type_id);
                    (req, standing(&held, rules.today, rules.warning_days))
                })
                .collect(),
        )
    }

    /// The organization's overall state (valid for one the catalog does not hold).
    pub fn org_state(&self, org: Uuid, rules: &Rules) -> State {
        overall(
            self.compliance(org, rules)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, s)| s.state),
        )
    }

    /// Every organization's overall state.
    pub fn org_states(&self, rules: &Rules) -> Vec<(Uuid, State)> {
        self.orgs
            .keys()
            .map(|&org| (org, self.org_state(org, rules)))
            .collect()
    }

    /// How many suppliers are in each state, in [`State::ALL`] order.
    pub fn count_by_compliance(&self, rules: &Rules) -> [(State, usize); State::ALL.len()] {
        let states = self.org_states(rules);
        State::ALL.map(|s| (s, states.iter().filter(|(_, st)| *st == s).count()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_domain::compliance::AppliesTo;
    use certwatch_domain::registry::{CertStatus, Certificate, Organization};
    use chrono::{Duration, Utc};

    #[test]
    fn requirements_apply_by_tag_and_follow_the_certificates() {
        let now = Utc::now();
        let today = now.date_naive();
        let tenant = Uuid::new_v4();
        let (iso, iatf) = (Uuid::new_v4(), Uuid::new_v4());
        let mut foundry = Organization::new(tenant, now);
        foundry.tags = vec!["castings".into()];
        let paint = Organization::new(tenant, now);
        let mut c = Catalog::default();
        c.upsert_org(&foundry);
        c.upsert_org(&paint);
        let requirement = |ty, applies_to| Requirement {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            certificate_type_id: ty,
            applies_to,
            created_at: now,
            updated_at: now,
        };
        let rules = Rules {
            requirements: vec![
                requirement(iso, AppliesTo::All),
                requirement(iatf, AppliesTo::Tag("castings".into())),
            ],
            warning_days: 90,
            today,
        };
        assert_eq!(c.compliance(paint.id, &rules).unwrap().len(), 1);
        assert_eq!(c.compliance(foundry.id, &rules).unwrap().len(), 2);
        assert_eq!(c.org_state(foundry.id, &rules), State::Missing);

        let mut cert = Certificate::new(tenant, foundry.id, iso, "Q-1".into(), now);
        cert.expiry_date = Some(today + Duration::days(400));
        c.upsert_cert(&cert);
        let mut iatf_cert = Certificate::new(tenant, foundry.id, iatf, "T-1".into(), now);
        iatf_cert.expiry_date = Some(today + Duration::days(20));
        c.upsert_cert(&iatf_cert);
        assert_eq!(c.org_state(foundry.id, &rules), State::Expiring);
        iatf_cert.status = CertStatus::Revoked;
        c.upsert_cert(&iatf_cert);
        assert_eq!(c.org_state(foundry.id, &rules), State::Revoked);
        assert_eq!(c.org_state(paint.id, &rules), State::Missing);
        let counts = c.count_by_compliance(&rules);
        assert_eq!(counts[2], (State::Missing, 1));
        assert_eq!(counts[5], (State::Revoked, 1));
    }
}
