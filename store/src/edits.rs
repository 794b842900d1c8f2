//! Edits of registry records: a patch is merged into the stored record (or a new one) and
//! the result checked against the rest of the tenant, all by the tenant's single writer, so
//! two concurrent PATCHes of different fields cannot lose one another.
//!
//! Field formats (dates, URLs, LEI, …) are checked before a patch is built; what is checked
//! here needs the stored data: references, uniqueness, and rules across fields.

use certwatch_domain::certificates::{certificate_events, check_dates, expiring_event};
use certwatch_domain::history::ChangedBy;
use certwatch_domain::registry::{
    CertPatch, CertStatus, Certificate, CertificateType, OrgPatch, Organization, Site, SitePatch,
    TypePatch, set,
};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::Store;
use crate::registry::RegistryError;

fn invalid(field: &'static str, message: &str) -> RegistryError {
    RegistryError::Field {
        field,
        message: message.to_string(),
    }
}

impl Store {
    fn expiry_notice(&self, tenant: Uuid, cert: Uuid) -> Result<Option<i64>, RegistryError> {
        let key = crate::keys::pair(tenant, cert);
        Ok(self
            .trees()
            .expiry_notices
            .get(key)
            .map_err(crate::StoreError::from)?
            .and_then(|v| v.as_ref().try_into().ok().map(i64::from_be_bytes)))
    }

    /// Announces `cert`'s expiry threshold if one is due and not yet announced.
    fn announce_expiry(
        &self,
        cert: &Certificate,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<(), RegistryError> {
        let announced = self.expiry_notice(cert.tenant_id, cert.id)?;
        if let Some((event, threshold)) = expiring_event(cert, today, announced, now) {
            // Nothing of the certificate changes here, so no history entry is written.
            self.save_certificate(cert, Some(cert), &[event], ChangedBy::ExpirySweep)?;
            // Written after the event: a crash in between repeats the event (at least once).
            self.trees()
                .expiry_notices
                .insert(
                    crate::keys::pair(cert.tenant_id, cert.id),
                    &threshold.to_be_bytes(),
                )
                .map_err(crate::StoreError::from)?;
        }
        Ok(())
    }

    /// Creates (`id` None) or edits an organization.
    pub fn edit_organization(
        &self,
        tenant: Uuid,
        id: Option<Uuid>,
        patch: OrgPatch,
        now: DateTime<Utc>,
    ) -> Result<Organization, RegistryError> {
        let mut org = match id {
            Some(id) => self
                .organization(tenant, id)?
                .ok_or(RegistryError::NotFound)?,
            None => Organization::new(tenant, now),
        };
        set(&mut org.external_id, patch.external_id);
        set(&mut org.name, patch.name);
        set(&mut org.website, patch.website);
        set(&mut org.lei, patch.lei);
        set(&mut org.vat, patch.vat);
        set(&mut org.country, patch.country);
        if org.name.trim().is_empty() {
            return Err(invalid("name", "This field is required."));
        }
        org.updated_at = now;
        self.save_organization(&org)?;
        Ok(org)
    }

    pub fn edit_site(
        &self,
        tenant: Uuid,
        id: Option<Uuid>,
        patch: SitePatch,
        now: DateTime<Utc>,
    ) -> Result<Site, RegistryError> {
        let (mut site, previous_org) = match id {
            Some(id) => {
                let site = self.site(tenant, id)?.ok_or(RegistryError::NotFound)?;
                let org = site.organization_id;
                (site, Some(org))
            }
            None => (
                Site {
                    id: Uuid::new_v4(),
                    tenant_id: tenant,
                    organization_id: Uuid::nil(),
                    name: String::new(),
                    address: String::new(),
                    created_at: now,
                    updated_at: now,
                },
                None,
            ),
        };
        set(&mut site.organization_id, patch.organization_id);
        set(&mut site.name, patch.name);
        set(&mut site.address, patch.address);
        if self.organization(tenant, site.organization_id)?.is_none() {
            return Err(invalid("organization", "No such organization."));
        }
        if site.name.trim().is_empty() {
            return Err(invalid("name", "This field is required."));
        }
        site.updated_at = now;
        self.save_site(&site, previous_org)?;
        Ok(site)
    }

    pub fn edit_certificate_type(
        &self,
        tenant: Uuid,
        id: Option<Uuid>,
        patch: TypePatch,
        now: DateTime<Utc>,
    ) -> Result<CertificateType, RegistryError> {
        let mut ty = match id {
            Some(id) => self
                .certificate_type(tenant, id)?
                .ok_or(RegistryError::NotFound)?,
            None => CertificateType::new(tenant, String::new(), String::new(), now),
        };
        set(&mut ty.code, patch.code);
        set(&mut ty.name, patch.name);
        set(&mut ty.description, patch.description);
        if ty.code.is_empty() {
            return Err(invalid("code", "This field is required."));
        }
        if ty.name.trim().is_empty() {
            return Err(invalid("name", "This field is required."));
        }
        ty.updated_at = now;
        self.save_certificate_type(&ty)?;
        Ok(ty)
    }

    /// Creates or edits a certificate by hand (the API); monitoring and imports have their
    /// own entry points that also set `source_url`, `document_hash` and `last_checked`.
    pub fn edit_certificate(
        &self,
        tenant: Uuid,
        id: Option<Uuid>,
        patch: CertPatch,
        by: ChangedBy,
        now: DateTime<Utc>,
    ) -> Result<Certificate, RegistryError> {
        let old = match id {
            Some(id) => Some(
                self.certificate(tenant, id)?
                    .ok_or(RegistryError::NotFound)?,
            ),
            None => None,
        };
        let mut cert = old.clone().unwrap_or_else(|| {
            Certificate::new(tenant, Uuid::nil(), Uuid::nil(), String::new(), now)
        });
        set(&mut cert.organization_id, patch.organization_id);
        set(&mut cert.certificate_type_id, patch.certificate_type_id);
        set(&mut cert.certificate_number, patch.certificate_number);
        set(&mut cert.issuing_body, patch.issuing_body);
        set(&mut cert.scope, patch.scope);
        set(&mut cert.issue_date, patch.issue_date);
        set(&mut cert.expiry_date, patch.expiry_date);
        set(&mut cert.status, patch.status);
        set(&mut cert.document_url, patch.document_url);
        if self.organization(tenant, cert.organization_id)?.is_none() {
            return Err(invalid("organization", "No such organization."));
        }
        if self
            .certificate_type(tenant, cert.certificate_type_id)?
            .is_none()
        {
            return Err(invalid("certificate_type_id", "No such certificate type."));
        }
        if cert.certificate_number.trim().is_empty() {
            return Err(invalid("certificate_number", "This field is required."));
        }
        check_dates(cert.issue_date, cert.expiry_date)?;
        self.check_identity(old.as_ref(), &cert)?;
        cert.updated_at = now;
        let events = certificate_events(old.as_ref(), &cert, now);
        self.save_certificate(&cert, old.as_ref(), &events, by)?;
        self.after_certificate_saved(old.as_ref(), &cert, now)?;
        Ok(cert)
    }

    /// A certificate is its certification body's number for its type: a new certificate,
    /// or one whose number or type changes, may not take the identity of another one of
    /// the tenant. (Duplicates written before this rule stay editable; `certwatch doctor`
    /// merges them.)
    pub(crate) fn check_identity(
        &self,
        old: Option<&Certificate>,
        cert: &Certificate,
    ) -> Result<(), RegistryError> {
        let same = old.is_some_and(|o| {
            o.certificate_type_id == cert.certificate_type_id
                && crate::rules::number_identity(&o.certificate_number)
                    == crate::rules::number_identity(&cert.certificate_number)
        });
        if same {
            return Ok(());
        }
        if let Some(other) = self.holder_of(cert)? {
            return Err(RegistryError::Field {
                field: "certificate_number",
                message: format!(
                    "A certificate of this type with this number exists already: {}.",
                    other.id
                ),
            });
        }
        Ok(())
    }

    /// Another certificate of the tenant with `cert`'s type and number, if there is one.
    pub fn holder_of(&self, cert: &Certificate) -> Result<Option<Certificate>, crate::StoreError> {
        Ok(self
            .certificates_by_number(cert.tenant_id, &cert.certificate_number)?
            .into_iter()
            .find(|c| c.id != cert.id && c.certificate_type_id == cert.certificate_type_id))
    }

    /// Expiry notices after a certificate was saved: a new expiry date is announced afresh
    /// as it approaches, and a threshold already reached is announced now.
    pub(crate) fn after_certificate_saved(
        &self,
        old: Option<&Certificate>,
        cert: &Certificate,
        now: DateTime<Utc>,
    ) -> Result<(), RegistryError> {
        if old.is_some_and(|o| o.expiry_date != cert.expiry_date) {
            self.trees()
                .expiry_notices
                .remove(crate::keys::pair(cert.tenant_id, cert.id))
                .map_err(crate::StoreError::from)?;
        }
        self.announce_expiry(cert, now.date_naive(), now)
    }

    /// The daily sweep: ACTIVE certificates past their expiry date become EXPIRED, each
    /// with its events. Returns how many changed.
    pub fn sweep_expired(
        &self,
        tenant: Uuid,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<usize, RegistryError> {
        let overdue = self.catalog(tenant)?.read().overdue(today);
        let mut changed = 0;
        for id in overdue {
            let Some(old) = self.certificate(tenant, id)? else {
                continue;
            };
            if !old.is_overdue(today) {
                continue;
            }
            let mut cert = old.clone();
            cert.status = CertStatus::Expired;
            cert.updated_at = now;
            let events = certificate_events(Some(&old), &cert, now);
            self.save_certificate(&cert, Some(&old), &events, ChangedBy::ExpirySweep)?;
            changed += 1;
        }
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::Registration;
    use crate::secrets::key_hash;

    #[tokio::test]
    async fn patches_merge_check_references_and_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let reg = Registration {
            email: "a@b.de".into(),
            password_hash: "x".into(),
            organization_name: "T".into(),
            verification: key_hash("v"),
        };
        let (tenant, _) = store.register(reg, now).unwrap();
        let t = tenant.id;
        let iso = store
            .certificate_type_by_code(t, "ISO_9001")
            .unwrap()
            .unwrap();

        let org = store
            .edit_organization(
                t,
                None,
                OrgPatch {
                    name: Some("Acme".into()),
                    external_id: Some(Some("ORG-1".into())),
                    ..Default::default()
                },
                now,
            )
            .unwrap();
        let dup = store.edit_organization(
            t,
            None,
            OrgPatch {
                name: Some("B".into()),
                external_id: Some(Some("org-1".into())),
                ..Default::default()
            },
            now,
        );
        assert!(matches!(
            dup,
            Err(RegistryError::Field {
                field: "external_id",
                ..
            })
        ));

        let base = CertPatch {
            organization_id: Some(org.id),
            certificate_type_id: Some(iso.id),
            certificate_number: Some("C-1".into()),
            issue_date: Some(Some("2024-01-15".parse().unwrap())),
            expiry_date: Some(Some("2025-01-14".parse().unwrap())),
            ..Default::default()
        };
        let cert = store
            .edit_certificate(t, None, base.clone(), ChangedBy::User(Uuid::nil()), now)
            .unwrap();
        assert_eq!(cert.status, CertStatus::Active);

        // A patch of one date is checked against the stored other date.
        let early = CertPatch {
            expiry_date: Some(Some("2023-01-01".parse().unwrap())),
            ..Default::default()
        };
        assert!(matches!(
            store.edit_certificate(t, Some(cert.id), early, ChangedBy::User(Uuid::nil()), now),
            Err(RegistryError::Field {
                field: "expiry_date",
                ..
            })
        ));
        let foreign = CertPatch {
            organization_id: Some(Uuid::new_v4()),
            ..base
        };
        assert!(matches!(
            store.edit_certificate(t, None, foreign, ChangedBy::User(Uuid::nil()), now),
            Err(RegistryError::Field {
                field: "organization",
                ..
            })
        ));

        assert_eq!(
            store
                .sweep_expired(t, "2025-01-15".parse().unwrap(), now)
                .unwrap(),
            1
        );
        assert_eq!(
            store.certificate(t, cert.id).unwrap().unwrap().status,
            CertStatus::Expired
        );
        assert_eq!(
            store
                .sweep_expired(t, "2025-01-16".parse().unwrap(), now)
                .unwrap(),
            0
        );
        let kinds: Vec<String> = store
            .events(t)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "certificate.created",
                "certificate.updated",
                "certificate.status_changed",
                "certificate.expired"
            ]
        );

        // The type is in use; deleting the organization takes its certificate along.
        assert!(matches!(
            store.delete_certificate_type(t, iso.id),
            Err(RegistryError::Refused(_))
        ));
        let user = Uuid::new_v4();
        store
            .delete_organization(t, org.id, ChangedBy::User(user), now)
            .unwrap();
        assert!(store.certificate(t, cert.id).unwrap().is_none());
        let history = store.certificate_history(t, cert.id).unwrap();
        assert_eq!(history[0].action, "deleted");
        assert_eq!(history[0].by, ChangedBy::User(user));
        assert!(store.certificates_by_number(t, "c-1").unwrap().is_empty());
        store.delete_certificate_type(t, iso.id).unwrap();
    }
}
