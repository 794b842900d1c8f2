//! The supplier registry: organizations, their sites, certificate types, certificates, and
//! the events their changes produce.
//!
//! Every write goes through one of the `save_*`/`delete_*` operations below, which change the
//! record, its sled indexes and the tenant's event log in one transaction, then update the
//! tenant's in-memory [`Catalog`](crate::catalog::Catalog) that list queries run on.

use certwatch_domain::certificates::cert_event_data;
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::history::{ChangedBy, HistoryEntry, field_changes};
use certwatch_domain::registry::{Certificate, CertificateType, Organization, Site};
use certwatch_domain::rules::FieldError;
use chrono::{DateTime, Utc};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, abort};
use uuid::Uuid;

use crate::history::history_key;
use crate::{Store, StoreError, encode, finish, get, keys, scan};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A field is refused for what else is stored: taken, dangling, inconsistent.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// The request does not fit the state of things (a type still in use, a delivery that
    /// has not failed); the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<FieldError> for RegistryError {
    fn from(e: FieldError) -> RegistryError {
        RegistryError::Field {
            field: e.field,
            message: e.message,
        }
    }
}

/// `tenant ‖ text` as an index key (text is lower-cased where lookups are case-insensitive).
pub(crate) fn text_key(tenant: Uuid, text: &str) -> Vec<u8> {
    let mut k = keys::id(tenant).to_vec();
    k.extend_from_slice(text.as_bytes());
    k
}

/// `tenant ‖ number ‖ 0 ‖ certificate`: numbers need not be unique, so the id ends the key.
pub(crate) fn number_key(tenant: Uuid, number: &str, cert: Uuid) -> Vec<u8> {
    let mut k = text_key(tenant, &crate::rules::number_identity(number));
    k.push(0);
    k.extend_from_slice(cert.as_bytes());
    k
}

/// An encoded entry, ready to insert.
type KeyValue = (Vec<u8>, Vec<u8>);

/// `tenant ‖ sequence`: sled's monotonic ids keep a tenant's events in the order they
/// were recorded, also within one transaction.
pub(crate) fn event_keys(store: &Store, events: &[Event]) -> Result<Vec<KeyValue>, StoreError> {
    events
        .iter()
        .map(|e| {
            let mut k = keys::id(e.tenant_id).to_vec();
            k.extend_from_slice(&store.next_id()?.to_be_bytes());
            Ok((k, encode(e)))
        })
        .collect()
}

type Tx<T> = Result<T, ConflictableTransactionError<RegistryError>>;

impl Store {
    pub fn organization(&self, tenant: Uuid, id: Uuid) -> Result<Option<Organization>, StoreError> {
        get(&self.trees().organizations, &keys::pair(tenant, id))
    }

    pub fn organization_by_external_id(
        &self,
        tenant: Uuid,
        external_id: &str,
    ) -> Result<Option<Organization>, StoreError> {
        let key = text_key(tenant, &external_id.to_lowercase());
        match self.trees().org_by_external_id.get(key)? {
            Some(id) => match keys::uuid_at(&id, 0) {
                Some(id) => self.organization(tenant, id),
                None => Err(StoreError::Corrupt("external id index".into())),
            },
            None => Ok(None),
        }
    }

    /// Creates or replaces an organization; `external_id` stays unique in the tenant.
    pub fn save_organization(&self, org: &Organization) -> Result<(), RegistryError> {
        let t = self.trees();
        let key = keys::pair(org.tenant_id, org.id);
        finish::<_, RegistryError>((&t.organizations, &t.org_by_external_id).transaction(
            |(orgs, by_ext)| {
                if let Some(ext) = &org.external_id {
                    let ext_key = text_key(org.tenant_id, &ext.to_lowercase());
                    if let Some(owner) = by_ext.get(&ext_key)?
                        && owner.as_ref() != org.id.as_bytes()
                    {
                        return abort(RegistryError::Field {
                            field: "external_id",
                            message: "An organization with this external_id already exists.".into(),
                        });
                    }
                    by_ext.insert(ext_key, &keys::id(org.id))?;
                }
                if let Some(old) = orgs.get(key)? {
                    let old: Organization = crate::decode(&old)
                        .map_err(|e| ConflictableTransactionError::Abort(e.into()))?;
                    if let Some(old_ext) = old.external_id
                        && org.external_id.as_deref().map(str::to_lowercase)
                            != Some(old_ext.to_lowercase())
                    {
                        by_ext.remove(text_key(org.tenant_id, &old_ext.to_lowercase()))?;
                    }
                }
                orgs.insert(&key, encode(org))?;
                Ok(())
            },
        ))?;
        self.catalog(org.tenant_id)?.write().upsert_org(org);
        Ok(())
    }

    /// Deletes an organization with its sites, certificates and monitored endpoints. Each
    /// certificate's history gets its `deleted` entry, as a certificate deleted on its own
    /// does.
    pub fn delete_organization(
        &self,
        tenant: Uuid,
        id: Uuid,
        by: ChangedBy,
        now: DateTime<Utc>,
    ) -> Result<Organization, RegistryError> {
        let org = self
            .organization(tenant, id)?
            .ok_or(RegistryError::NotFound)?;
        let sites = self.sites_of(tenant, id)?;
        let certs = self.certificates_of(tenant, id)?;
        let mut endpoints = Vec::new();
        for ep in self.endpoints_of(tenant, id)? {
            endpoints.extend(self.endpoint(tenant, ep)?);
        }
        let deleted: Vec<Event> = certs
            .iter()
            .map(|c| {
                Event::new(
                    tenant,
                    Some(c.organization_id),
                    EventKind::CertificateDeleted,
                    cert_event_data(c),
                    now,
                )
            })
            .collect();
        let fan_out = self.fan_out(tenant, &deleted)?;
        let deleted = event_keys(self, &deleted)?;
        let mut histories = Vec::new();
        for c in &certs {
            histories.extend(self.history_entry("deleted", Some(c), None, by, now)?);
        }
        let t = self.trees();
        // Fifteen trees: one more than sled's tuples take, so a slice, unpacked below in
        // this order.
        let trees = [
            &t.organizations,
            &t.org_by_external_id,
            &t.sites,
            &t.sites_by_org,
            &t.certificates,
            &t.certs_by_org,
            &t.certs_by_number,
            &t.events,
            &t.deliveries,
            &t.deliveries_by_time,
            &t.deliveries_due,
            &t.endpoints,
            &t.endpoints_by_org,
            &t.endpoint_by_url,
            &t.cert_history,
        ];
        finish::<_, RegistryError>(trees[..].transaction(|view| -> Tx<()> {
            let [
                orgs,
                by_ext,
                sites_t,
                sites_by_org,
                certs_t,
                certs_by_org,
                by_number,
                events,
                deliveries,
                by_time,
                due,
                eps,
                eps_by_org,
                eps_by_url,
                hist,
            ] = view.as_slice()
            else {
                unreachable!("the view has one tree per tree given")
            };
            fan_out.apply(deliveries, by_time, due)?;
            orgs.remove(&keys::pair(tenant, id))?;
            for ep in &endpoints {
                eps.remove(&keys::pair(tenant, ep.id))?;
                eps_by_org.remove(keys::triple(tenant, id, ep.id))?;
                eps_by_url.remove(crate::monitoring::url_key(tenant, &ep.url))?;
            }
            if let Some(ext) = &org.external_id {
                by_ext.remove(text_key(tenant, &ext.to_lowercase()))?;
            }
            for s in &sites {
                sites_t.remove(&keys::pair(tenant, s.id))?;
                sites_by_org.remove(keys::triple(tenant, id, s.id))?;
            }
            for c in &certs {
                certs_t.remove(&keys::pair(tenant, c.id))?;
                certs_by_org.remove(keys::triple(tenant, id, c.id))?;
                by_number.remove(number_key(tenant, &c.certificate_number, c.id))?;
            }
            for (k, v) in &deleted {
                events.insert(k.as_slice(), v.as_slice())?;
            }
            for (k, v) in &histories {
                hist.insert(k.as_slice(), v.as_slice())?;
            }
            Ok(())
        }))?;
        self.woke(&fan_out);
        let catalog = self.catalog(tenant)?;
        let mut catalog = catalog.write();
        for c in &certs {
            catalog.remove_cert(c.id);
        }
        catalog.remove_org(id);
        Ok(org)
    }

    pub fn site(&self, tenant: Uuid, id: Uuid) -> Result<Option<Site>, StoreError> {
        get(&self.trees().sites, &keys::pair(tenant, id))
    }

    /// Sites of one organization, oldest first.
    pub fn sites_of(&self, tenant: Uuid, org: Uuid) -> Result<Vec<Site>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .trees()
            .sites_by_org
            .scan_prefix(keys::pair(tenant, org))
            .keys()
        {
            let key = key?;
            let id =
                keys::uuid_at(&key, 32).ok_or_else(|| StoreError::Corrupt("site index".into()))?;
            if let Some(site) = self.site(tenant, id)? {
                out.push(site);
            }
        }
        out.sort_by_key(|s| (s.created_at, s.id));
        Ok(out)
    }

    /// Every site of the tenant.
    pub fn sites(&self, tenant: Uuid) -> Result<Vec<Site>, StoreError> {
        scan(&self.trees().sites, &keys::id(tenant))
    }

    pub fn save_site(&self, site: &Site, previous_org: Option<Uuid>) -> Result<(), RegistryError> {
        let t = self.trees();
        finish::<_, RegistryError>((&t.sites, &t.sites_by_org).transaction(|(sites, by_org)| {
            if let Some(old) = previous_org {
                by_org.remove(keys::triple(site.tenant_id, old, site.id))?;
            }
            sites.insert(&keys::pair(site.tenant_id, site.id), encode(site))?;
            by_org.insert(
                keys::triple(site.tenant_id, site.organization_id, site.id),
                &[],
            )?;
            Ok(())
        }))
    }

    pub fn delete_site(&self, tenant: Uuid, id: Uuid) -> Result<Site, RegistryError> {
        let site = self.site(tenant, id)?.ok_or(RegistryError::NotFound)?;
        let t = self.trees();
        finish::<_, RegistryError>((&t.sites, &t.sites_by_org).transaction(|(sites, by_org)| {
            sites.remove(&keys::pair(tenant, id))?;
            by_org.remove(keys::triple(tenant, site.organization_id, id))?;
            Ok(())
        }))?;
        Ok(site)
    }

    pub fn certificate_type(
        &self,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<CertificateType>, StoreError> {
        get(&self.trees().cert_types, &keys::pair(tenant, id))
    }

    pub fn certificate_type_by_code(
        &self,
        tenant: Uuid,
        code: &str,
    ) -> Result<Option<CertificateType>, StoreError> {
        match self.trees().cert_type_by_code.get(text_key(tenant, code))? {
            Some(id) => match keys::uuid_at(&id, 0) {
                Some(id) => self.certificate_type(tenant, id),
                None => Err(StoreError::Corrupt("type code index".into())),
            },
            None => Ok(None),
        }
    }

    pub fn certificate_types(&self, tenant: Uuid) -> Result<Vec<CertificateType>, StoreError> {
        let mut types: Vec<CertificateType> = scan(&self.trees().cert_types, &keys::id(tenant))?;
        types.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(types)
    }

    /// Creates or replaces a certificate type; `code` stays unique in the tenant.
    pub fn save_certificate_type(&self, ty: &CertificateType) -> Result<(), RegistryError> {
        let t = self.trees();
        let key = keys::pair(ty.tenant_id, ty.id);
        finish::<_, RegistryError>((&t.cert_types, &t.cert_type_by_code).transaction(
            |(types, by_code)| -> Tx<()> {
                let code_key = text_key(ty.tenant_id, &ty.code);
                if let Some(owner) = by_code.get(&code_key)?
                    && owner.as_ref() != ty.id.as_bytes()
                {
                    return abort(RegistryError::Field {
                        field: "code",
                        message: "A certificate type with this code already exists.".into(),
                    });
                }
                if let Some(old) = types.get(key)? {
                    let old: CertificateType = crate::decode(&old)
                        .map_err(|e| ConflictableTransactionError::Abort(e.into()))?;
                    if old.code != ty.code {
                        by_code.remove(text_key(ty.tenant_id, &old.code))?;
                    }
                }
                by_code.insert(code_key, &keys::id(ty.id))?;
                types.insert(&key, encode(ty))?;
                Ok(())
            },
        ))
    }

    /// Deletes a certificate type that no certificate uses.
    pub fn delete_certificate_type(&self, tenant: Uuid, id: Uuid) -> Result<(), RegistryError> {
        let ty = self
            .certificate_type(tenant, id)?
            .ok_or(RegistryError::NotFound)?;
        let in_use = self.catalog(tenant)?.read().type_in_use(id);
        if in_use {
            return Err(RegistryError::Refused(format!(
                "Certificates of type {} exist; delete or retype them first.",
                ty.code
            )));
        }
        let t = self.trees();
        finish::<_, RegistryError>((&t.cert_types, &t.cert_type_by_code).transaction(
            |(types, by_code)| {
                types.remove(&keys::pair(tenant, id))?;
                by_code.remove(text_key(tenant, &ty.code))?;
                Ok(())
            },
        ))
    }

    pub fn certificate(&self, tenant: Uuid, id: Uuid) -> Result<Option<Certificate>, StoreError> {
        get(&self.trees().certificates, &keys::pair(tenant, id))
    }

    /// Certificates of one organization.
    pub fn certificates_of(&self, tenant: Uuid, org: Uuid) -> Result<Vec<Certificate>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .trees()
            .certs_by_org
            .scan_prefix(keys::pair(tenant, org))
            .keys()
        {
            let key = key?;
            let id = keys::uuid_at(&key, 32)
                .ok_or_else(|| StoreError::Corrupt("certificate index".into()))?;
            if let Some(c) = self.certificate(tenant, id)? {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Certificates of the tenant with this number (compared as [`number_identity`]: case,
    /// spaces and dashes folded), oldest first.
    ///
    /// [`number_identity`]: crate::rules::number_identity
    pub fn certificates_by_number(
        &self,
        tenant: Uuid,
        number: &str,
    ) -> Result<Vec<Certificate>, StoreError> {
        let mut prefix = text_key(tenant, &crate::rules::number_identity(number));
        prefix.push(0);
        let mut out = Vec::new();
        for key in self.trees().certs_by_number.scan_prefix(&prefix).keys() {
            let key = key?;
            let id = keys::uuid_at(&key, prefix.len())
                .ok_or_else(|| StoreError::Corrupt("number index".into()))?;
            if let Some(c) = self.certificate(tenant, id)? {
                out.push(c);
            }
        }
        out.sort_by_key(|c| c.created_at);
        Ok(out)
    }

    /// Creates or replaces a certificate (`previous` is its stored version, if any) and
    /// records `events` and its history entry (when a field changed), all in one
    /// transaction.
    pub fn save_certificate(
        &self,
        cert: &Certificate,
        previous: Option<&Certificate>,
        events: &[Event],
        by: ChangedBy,
    ) -> Result<(), RegistryError> {
        let t = self.trees();
        let tenant = cert.tenant_id;
        let fan_out = self.fan_out(tenant, events)?;
        let events = event_keys(self, events)?;
        let history = self.history_entry(
            previous.map_or("created", |_| "updated"),
            previous,
            Some(cert),
            by,
            cert.updated_at,
        )?;
        finish::<_, RegistryError>(
            (
                &t.certificates,
                &t.certs_by_org,
                &t.certs_by_number,
                &t.events,
                &t.deliveries,
                &t.deliveries_by_time,
                &t.deliveries_due,
                &t.cert_history,
            )
                .transaction(
                    |(certs, by_org, by_number, events_t, deliveries, by_time, due, hist)| -> Tx<()> {
                        fan_out.apply(deliveries, by_time, due)?;
                        if let Some(old) = previous {
                            by_org.remove(keys::triple(tenant, old.organization_id, old.id))?;
                            by_number.remove(number_key(
                                tenant,
                                &old.certificate_number,
                                old.id,
                            ))?;
                        }
                        certs.insert(&keys::pair(tenant, cert.id), encode(cert))?;
                        by_org.insert(keys::triple(tenant, cert.organization_id, cert.id), &[])?;
                        by_number
                            .insert(number_key(tenant, &cert.certificate_number, cert.id), &[])?;
                        for (k, v) in &events {
                            events_t.insert(k.as_slice(), v.as_slice())?;
                        }
                        if let Some((k, v)) = &history {
                            hist.insert(k.as_slice(), v.as_slice())?;
                        }
                        Ok(())
                    },
                ),
        )?;
        self.woke(&fan_out);
        self.catalog(tenant)?.write().upsert_cert(cert);
        Ok(())
    }

    /// The encoded history entry of a change, or `None` when no field changed.
    pub(crate) fn history_entry(
        &self,
        action: &str,
        old: Option<&Certificate>,
        new: Option<&Certificate>,
        by: ChangedBy,
        at: DateTime<Utc>,
    ) -> Result<Option<KeyValue>, StoreError> {
        let changes = field_changes(old, new);
        let Some(cert) = new.or(old) else {
            return Ok(None);
        };
        if changes.is_empty() {
            return Ok(None);
        }
        let entry = HistoryEntry {
            certificate_id: cert.id,
            at,
            by,
            action: action.to_string(),
            changes,
        };
        Ok(Some((
            history_key(cert.tenant_id, cert.id, self.next_id()?),
            encode(&entry),
        )))
    }

    pub fn delete_certificate(
        &self,
        tenant: Uuid,
        id: Uuid,
        by: ChangedBy,
        now: DateTime<Utc>,
    ) -> Result<Certificate, RegistryError> {
        let cert = self
            .certificate(tenant, id)?
            .ok_or(RegistryError::NotFound)?;
        let event = Event::new(
            tenant,
            Some(cert.organization_id),
            EventKind::CertificateDeleted,
            cert_event_data(&cert),
            now,
        );
        let fan_out = self.fan_out(tenant, std::slice::from_ref(&event))?;
        let event = event_keys(self, &[event])?;
        let history = self.history_entry("deleted", Some(&cert), None, by, now)?;
        let t = self.trees();
        finish::<_, RegistryError>(
            (
                &t.certificates,
                &t.certs_by_org,
                &t.certs_by_number,
                &t.events,
                &t.deliveries,
                &t.deliveries_by_time,
                &t.deliveries_due,
                &t.cert_history,
            )
                .transaction(
                    |(certs, by_org, by_number, events, deliveries, by_time, due, hist)| -> Tx<()> {
                        fan_out.apply(deliveries, by_time, due)?;
                        certs.remove(&keys::pair(tenant, id))?;
                        by_org.remove(keys::triple(tenant, cert.organization_id, id))?;
                        by_number.remove(number_key(tenant, &cert.certificate_number, id))?;
                        for (k, v) in &event {
                            events.insert(k.as_slice(), v.as_slice())?;
                        }
                        if let Some((k, v)) = &history {
                            hist.insert(k.as_slice(), v.as_slice())?;
                        }
                        Ok(())
                    },
                ),
        )?;
        self.woke(&fan_out);
        self.catalog(tenant)?.write().remove_cert(id);
        Ok(cert)
    }

    /// Records events that belong to no other write, with their webhook deliveries.
    pub fn record_events(&self, tenant: Uuid, events: &[Event]) -> Result<(), RegistryError> {
        let fan_out = self.fan_out(tenant, events)?;
        let encoded = event_keys(self, events)?;
        let t = self.trees();
        finish::<_, RegistryError>(
            (
                &t.events,
                &t.deliveries,
                &t.deliveries_by_time,
                &t.deliveries_due,
            )
                .transaction(|(events_t, deliveries, by_time, due)| -> Tx<()> {
                    fan_out.apply(deliveries, by_time, due)?;
                    for (k, v) in &encoded {
                        events_t.insert(k.as_slice(), v.as_slice())?;
                    }
                    Ok(())
                }),
        )?;
        self.woke(&fan_out);
        Ok(())
    }

    /// The tenant's recorded events, oldest first.
    pub fn events(&self, tenant: Uuid) -> Result<Vec<Event>, StoreError> {
        scan(&self.trees().events, &keys::id(tenant))
    }

    pub fn set_public_listing(
        &self,
        tenant: Uuid,
        on: bool,
    ) -> Result<certwatch_domain::accounts::Tenant, RegistryError> {
        let mut t = self.tenant(tenant)?.ok_or(RegistryError::NotFound)?;
        t.public_listing = on;
        self.trees()
            .tenants
            .insert(keys::id(tenant), encode(&t))
            .map_err(StoreError::from)?;
        Ok(t)
    }
}
