//! Spreadsheet import: which column is which, what a row must hold, and how a batch of rows
//! is upserted (organizations by `external_id`, certificate types by code, contacts by
//! supplier and address).

use std::collections::HashMap;

use certwatch_domain::contacts::Contact;
use certwatch_domain::registry::{CertificateType, Organization};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{cert_types, contacts, organizations};
use crate::{RegistryError, Store};

pub use certwatch_domain::import::{Column, Columns, ImportRow, RowError, parse_row};

/// What an import did; the API answers with these counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportCounts {
    pub organizations_created: usize,
    pub organizations_updated: usize,
    pub certificate_types_created: usize,
    pub certificate_types_updated: usize,
    /// Contacts added from a contact-email column.
    pub contacts_created: usize,
    /// New organizations with a website, for discovery.
    #[serde(skip)]
    pub new_with_website: Vec<Uuid>,
    /// Discovery runs started for them.
    pub discovery_triggered: usize,
}

impl ImportCounts {
    pub fn add(&mut self, other: ImportCounts) {
        self.new_with_website.extend(other.new_with_website);
        self.discovery_triggered += other.discovery_triggered;
        self.organizations_created += other.organizations_created;
        self.organizations_updated += other.organizations_updated;
        self.certificate_types_created += other.certificate_types_created;
        self.certificate_types_updated += other.certificate_types_updated;
        self.contacts_created += other.contacts_created;
    }
}

/// Upserts a batch of valid rows in one transaction. Re-importing the same rows changes
/// (and counts) nothing; a later row with the same `external_id` updates an earlier one.
pub fn import_batch(
    store: &Store,
    tenant: Uuid,
    rows: &[ImportRow],
    now: DateTime<Utc>,
) -> Result<ImportCounts, RegistryError> {
    // Each record the batch touches, with what was stored before (None: new). Repeats
    // of an external_id or code within the batch work on the same entry.
    let mut orgs: HashMap<String, (Organization, Option<Organization>)> = HashMap::new();
    let mut types: HashMap<String, (CertificateType, Option<CertificateType>)> = HashMap::new();
    let mut emails: Vec<(String, String)> = Vec::new();
    for r in rows {
        let key = r.external_id.to_lowercase();
        if !orgs.contains_key(&key) {
            let stored = organizations::by_external_id(store, tenant, &r.external_id)?;
            let current = stored
                .clone()
                .unwrap_or_else(|| Organization::new(tenant, now));
            orgs.insert(key.clone(), (current, stored));
        }
        if let Some((org, _)) = orgs.get_mut(&key) {
            org.external_id = Some(r.external_id.clone());
            org.name = r.name.clone();
            org.website = r.website.clone();
            org.lei = r.lei.clone();
            org.vat = r.vat.clone();
            org.country = r.country.clone();
        }
        if let Some(email) = &r.contact_email {
            emails.push((key.clone(), email.clone()));
        }
        let Some((code, name)) = &r.cert_type else {
            continue;
        };
        if !types.contains_key(code) {
            let stored = cert_types::by_code(store, tenant, code)?;
            let current = stored.clone().unwrap_or_else(|| {
                CertificateType::new(tenant, code.clone(), code.replace('_', " "), now)
            });
            types.insert(code.clone(), (current, stored));
        }
        if let (Some((ty, _)), Some(name)) = (types.get_mut(code), name) {
            ty.name = name.clone();
        }
    }
    let mut counts = ImportCounts::default();
    let mut changed_orgs = Vec::new();
    let people = new_contacts(store, tenant, &orgs, &emails, now)?;
    counts.contacts_created = people.len();
    for (mut org, stored) in orgs.into_values() {
        match stored {
            None => {
                counts.organizations_created += 1;
                if org.website.is_some() {
                    counts.new_with_website.push(org.id);
                }
            }
            Some(old) if org != old => counts.organizations_updated += 1,
            Some(_) => continue,
        }
        org.updated_at = now;
        changed_orgs.push(org);
    }
    let mut changed_types = Vec::new();
    for (mut ty, stored) in types.into_values() {
        match stored {
            None => counts.certificate_types_created += 1,
            Some(old) if ty != old => counts.certificate_types_updated += 1,
            Some(_) => continue,
        }
        ty.updated_at = now;
        changed_types.push(ty);
    }
    let tables = [organizations::TREES, cert_types::TREES, contacts::TREES];
    transact::<_, RegistryError>(store, &tables, |tx| {
        for org in &changed_orgs {
            organizations::put(tx, org)?;
        }
        for c in &people {
            contacts::put(tx, c)?;
        }
        for ty in &changed_types {
            cert_types::put(tx, ty)?;
        }
        Ok(())
    })?;
    let catalog = store.catalog(tenant)?;
    let mut catalog = catalog.write();
    for org in &changed_orgs {
        catalog.upsert_org(org);
    }
    Ok(counts)
}

/// The contacts a batch's contact-email cells add: one per supplier and address not on
/// file yet, receiving requests in English (a person changes the language).
fn new_contacts(
    store: &Store,
    tenant: Uuid,
    orgs: &HashMap<String, (Organization, Option<Organization>)>,
    emails: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<Vec<Contact>, RegistryError> {
    let mut out: Vec<Contact> = Vec::new();
    for (key, email) in emails {
        let Some((org, stored)) = orgs.get(key) else {
            continue;
        };
        let known = match stored {
            Some(_) => contacts::of_org(store, tenant, org.id)?
                .iter()
                .any(|c| &c.email == email),
            None => false,
        };
        if !known
            && !out
                .iter()
                .any(|c| c.organization_id == org.id && &c.email == email)
        {
            out.push(Contact {
                email: email.clone(),
                ..Contact::new(tenant, org.id, now)
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_match_aliases_in_any_case() {
        let cols = Columns::from_header(&strings(&[
            "\u{feff}Lieferantennummer",
            "Company",
            "Web-Site",
            "LAND",
        ]))
        .unwrap();
        let row = parse_row(
            &cols,
            &strings(&["L-1", "Acme GmbH", "https://acme.de", "de"]),
            2,
        )
        .unwrap();
        assert_eq!(
            (row.external_id.as_str(), row.name.as_str()),
            ("L-1", "Acme GmbH")
        );
        assert_eq!(row.country.as_deref(), Some("DE"));
        assert_eq!(row.website.as_deref(), Some("https://acme.de"));
        let err = Columns::from_header(&strings(&["Supplier ID", "Street"])).unwrap_err();
        assert!(err.contains("name"), "{err}");
    }

    #[test]
    fn rows_are_checked_like_the_api() {
        let cols = Columns::from_header(&strings(&[
            "external_id",
            "name",
            "lei",
            "country",
            "certificate_type_code",
            "certificate_type_name",
        ]))
        .unwrap();
        let errors =
            parse_row(&cols, &strings(&["", "X", "BAD", "XX", "iso 9001", ""]), 7).unwrap_err();
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(
            columns,
            ["external_id", "lei", "country", "certificate_type_code"]
        );
        assert!(errors.iter().all(|e| e.row == 7));
        let ok = parse_row(&cols, &strings(&["E-1", "Y", "", "", "fssc_22000", ""]), 3).unwrap();
        assert_eq!(ok.cert_type, Some(("FSSC_22000".into(), None)));
        // Short rows are missing cells, not an error in themselves.
        assert!(parse_row(&cols, &strings(&["E-2", "Z"]), 4).is_ok());
    }

    #[tokio::test]
    async fn batches_upsert_once_per_record() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tenant = Uuid::new_v4();
        let now = Utc::now();
        let row = |ext: &str, name: &str, code: Option<(&str, Option<&str>)>| ImportRow {
            row: 2,
            external_id: ext.into(),
            name: name.into(),
            website: None,
            lei: None,
            vat: None,
            country: None,
            cert_type: code.map(|(c, n)| (c.to_string(), n.map(String::from))),
            contact_email: None,
        };
        // A repeat within the batch updates the pending record: still one organization created.
        let rows = vec![
            row("A", "First", Some(("X_1", None))),
            row("a", "Second", Some(("X_1", Some("X one")))),
            row("B", "B", None),
        ];
        let counts = import_batch(&store, tenant, &rows, now).unwrap();
        assert_eq!(
            (counts.organizations_created, counts.organizations_updated),
            (2, 0)
        );
        assert_eq!(
            (
                counts.certificate_types_created,
                counts.certificate_types_updated
            ),
            (1, 0)
        );
        assert_eq!(
            tables::organizations::by_external_id(&store, tenant, "A")
                .unwrap()
                .unwrap()
                .name,
            "Second"
        );
        assert_eq!(
            tables::cert_types::by_code(&store, tenant, "X_1")
                .unwrap()
                .unwrap()
                .name,
            "X one"
        );
        assert_eq!(
            store
                .catalog(tenant)
                .unwrap()
                .read()
                .query_orgs(&Default::default(), 0, 10)
                .count,
            2
        );

        let again = import_batch(&store, tenant, &rows, now).unwrap();
        assert_eq!(again, ImportCounts::default(), "nothing changed");
        let renamed = import_batch(
            &store,
            tenant,
            &[row("B", "B2", Some(("X_1", Some("X 1"))))],
            now,
        )
        .unwrap();
        assert_eq!(
            (
                renamed.organizations_updated,
                renamed.certificate_types_updated
            ),
            (1, 1)
        );
    }

    #[tokio::test]
    async fn a_contact_email_column_adds_each_contact_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let tenant = Uuid::new_v4();
        let header = strings(&["external_id", "name", "Contact Email"]);
        let cols = Columns::from_header(&header).unwrap();
        let bad = parse_row(&cols, &strings(&["S-1", "Nord", "not an address"]), 2);
        assert_eq!(bad.unwrap_err()[0].column, "contact_email");
        let row = parse_row(&cols, &strings(&["S-1", "Nord", "QM@Nord.example"]), 2).unwrap();
        assert_eq!(row.contact_email.as_deref(), Some("qm@nord.example"));
        let counts = import_batch(&store, tenant, &[row.clone(), row.clone()], Utc::now()).unwrap();
        assert_eq!(counts.contacts_created, 1);
        // Imported again: the contact is on file.
        let again = import_batch(&store, tenant, &[row], Utc::now()).unwrap();
        assert_eq!(again.contacts_created, 0);
        let org = tables::organizations::by_external_id(&store, tenant, "S-1")
            .unwrap()
            .unwrap();
        let people = tables::contacts::of_org(&store, tenant, org.id).unwrap();
        assert_eq!(people.len(), 1);
        assert!(people[0].receives_requests);
    }
}
