//! The supplier registry: organizations, their sites, certificate types, certificates, and
//! the events their changes produce.
//!
//! Every write goes through one of the `save_*`/`delete_*` operations below, which change the
//! record, its sled indexes and the tenant's event log in one transaction, then update the
//! tenant's in-memory [`Catalog`](crate::catalog::Catalog) that list queries run on.

use certwatch_domain::events::EventKind;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, abort};
use uuid::Uuid;

use crate::history::{ChangedBy, HistoryEntry, field_changes, history_key};
use crate::{Store, StoreError, encode, finish, get, keys, scan};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub external_id: Option<String>,
    pub name: String,
    pub website: Option<String>,
    pub lei: Option<String>,
    pub vat: Option<String>,
    pub country: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Organization {
    /// A new, empty organization of `tenant`; the caller fills in its fields.
    pub fn new(tenant_id: Uuid, now: DateTime<Utc>) -> Organization {
        Organization {
            id: Uuid::new_v4(),
            tenant_id,
            external_id: None,
            name: String::new(),
            website: None,
            lei: None,
            vat: None,
            country: None,
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateType {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CertificateType {
    pub fn new(tenant_id: Uuid, code: String, name: String, now: DateTime<Utc>) -> CertificateType {
        CertificateType {
            id: Uuid::new_v4(),
            tenant_id,
            code,
            name,
            description: String::new(),
            created_at: now,
            updated_at: now,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CertStatus {
    Active,
    Expired,
    Revoked,
    Pending,
}

impl CertStatus {
    pub fn parse(s: &str) -> Option<CertStatus> {
        match s {
            "ACTIVE" => Some(CertStatus::Active),
            "EXPIRED" => Some(CertStatus::Expired),
            "REVOKED" => Some(CertStatus::Revoked),
            "PENDING" => Some(CertStatus::Pending),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CertStatus::Active => "ACTIVE",
            CertStatus::Expired => "EXPIRED",
            CertStatus::Revoked => "REVOKED",
            CertStatus::Pending => "PENDING",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certificate {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organization_id: Uuid,
    pub certificate_type_id: Uuid,
    pub certificate_number: String,
    pub issuing_body: String,
    pub scope: String,
    pub issue_date: Option<NaiveDate>,
    pub expiry_date: Option<NaiveDate>,
    pub status: CertStatus,
    pub document_url: Option<String>,
    /// Set by monitoring when it found the certificate; null when entered by hand.
    pub source_url: Option<String>,
    pub document_hash: Option<String>,
    /// When monitoring last saw the certificate; never set for manual entries.
    pub last_checked: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Certificate {
    /// A new ACTIVE certificate with only its identity set; the other fields are empty.
    pub fn new(
        tenant_id: Uuid,
        organization_id: Uuid,
        certificate_type_id: Uuid,
        certificate_number: String,
        now: DateTime<Utc>,
    ) -> Certificate {
        Certificate {
            id: Uuid::new_v4(),
            tenant_id,
            organization_id,
            certificate_type_id,
            certificate_number,
            issuing_body: String::new(),
            scope: String::new(),
            issue_date: None,
            expiry_date: None,
            status: CertStatus::Active,
            document_url: None,
            source_url: None,
            document_hash: None,
            last_checked: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether the daily sweep should mark this certificate EXPIRED on `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status == CertStatus::Active && self.expiry_date.is_some_and(|d| d < today)
    }
}

/// Something that happened to the registry, kept for the webhook system to announce.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The organization the event is about, for subscriptions narrowed to one supplier.
    pub organization_id: Option<Uuid>,
    /// `certificate.created`, `certificate.status_changed`, …
    pub kind: String,
    /// The event's `data` object, as JSON text.
    pub data: String,
    pub created_at: DateTime<Utc>,
}

impl Event {
    pub fn new(
        tenant_id: Uuid,
        organization_id: Option<Uuid>,
        kind: EventKind,
        data: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Event {
        Event {
            id: Uuid::new_v4(),
            tenant_id,
            organization_id,
            kind: kind.as_str().to_string(),
            data: data.to_string(),
            created_at: now,
        }
    }
}

/// The certificate types every new tenant starts with.
pub const DEFAULT_TYPES: &[(&str, &str)] = &[
    ("ISO_9001", "ISO 9001:2015 Quality management"),
    ("ISO_14001", "ISO 14001:2015 Environmental management"),
    ("ISO_45001", "ISO 45001:2018 Occupational health and safety"),
    ("ISO_27001", "ISO/IEC 27001:2022 Information security"),
    ("ISO_50001", "ISO 50001:2018 Energy management"),
    (
        "IATF_16949",
        "IATF 16949:2016 Automotive quality management",
    ),
    ("ISCC_EU", "ISCC EU"),
    ("ISCC_PLUS", "ISCC PLUS"),
];

pub fn default_types(tenant_id: Uuid, now: DateTime<Utc>) -> Vec<CertificateType> {
    DEFAULT_TYPES
        .iter()
        .map(|(code, name)| {
            CertificateType::new(tenant_id, code.to_string(), name.to_string(), now)
        })
        .collect()
}

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

/// Which of the certificates sharing a number (several types can) an integration asking
/// "is this certificate valid?" is answered with: the one valid longest, then the one
/// changed last.
pub fn current_certificate(found: &[Certificate]) -> Option<&Certificate> {
    found.iter().max_by_key(|c| (c.expiry_date, c.updated_at))
}

/// The fields a person or a reading can change that differ between two versions of a
/// certificate.
pub fn changed_fields(old: &Certificate, new: &Certificate) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |differs: bool, name: &'static str| {
        if differs {
            out.push(name);
        }
    };
    check(old.organization_id != new.organization_id, "organization");
    check(
        old.certificate_type_id != new.certificate_type_id,
        "certificate_type",
    );
    check(
        old.certificate_number != new.certificate_number,
        "certificate_number",
    );
    check(old.issuing_body != new.issuing_body, "issuing_body");
    check(old.scope != new.scope, "scope");
    check(old.issue_date != new.issue_date, "issue_date");
    check(old.expiry_date != new.expiry_date, "expiry_date");
    check(old.status != new.status, "status");
    check(old.document_url != new.document_url, "document_url");
    check(old.document_hash != new.document_hash, "document_hash");
    out
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
    ) -> Result<crate::accounts::Tenant, RegistryError> {
        let mut t = self.tenant(tenant)?.ok_or(RegistryError::NotFound)?;
        t.public_listing = on;
        self.trees()
            .tenants
            .insert(keys::id(tenant), encode(&t))
            .map_err(StoreError::from)?;
        Ok(t)
    }
}

/// What a certificate event carries: enough for a receiver to act without calling back.
pub fn cert_event_data(c: &Certificate) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "organization_id": c.organization_id,
        "certificate_type_id": c.certificate_type_id,
        "certificate_number": c.certificate_number,
        "status": c.status.as_str(),
        "issue_date": c.issue_date,
        "expiry_date": c.expiry_date,
        "document_hash": c.document_hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(number: &str, expiry: Option<&str>, updated: &str) -> Certificate {
        let mut c = Certificate::new(
            Uuid::nil(),
            Uuid::nil(),
            Uuid::new_v4(),
            number.into(),
            updated.parse().unwrap(),
        );
        c.expiry_date = expiry.map(|d| d.parse().unwrap());
        c
    }

    #[test]
    fn the_current_certificate_is_valid_longest_then_changed_last() {
        let old = cert("Q-1", Some("2026-01-01"), "2026-11-01T00:00:00Z");
        let renewed = cert("Q-1", Some("2029-01-01"), "2025-01-01T00:00:00Z");
        let touched = cert("q 1", Some("2029-01-01"), "2026-06-01T00:00:00Z");
        let undated = cert("Q1", None, "2026-11-20T00:00:00Z");
        let all = [old, renewed, touched.clone(), undated];
        assert_eq!(current_certificate(&all).map(|c| c.id), Some(touched.id));
        assert!(current_certificate(&[]).is_none());
    }

    #[test]
    fn changed_fields_name_what_differs() {
        let a = cert("Q-1", Some("2026-01-01"), "2026-11-01T00:00:00Z");
        let mut b = a.clone();
        b.expiry_date = Some("2029-01-01".parse().unwrap());
        b.scope = "Machining".into();
        b.last_checked = Some(b.updated_at);
        assert_eq!(changed_fields(&a, &b), ["scope", "expiry_date"]);
        assert!(changed_fields(&a, &a).is_empty());
    }
}
