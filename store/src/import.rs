//! Spreadsheet import: which column is which, what a row must hold, and how a batch of rows
//! is upserted (organizations by `external_id`, certificate types by code).

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use std::collections::HashMap;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use crate::registry::{CertificateType, Organization, RegistryError, text_key};
use crate::{Store, encode, finish, keys, rules};

/// The columns an import understands, each with the header names it accepts (compared
/// ignoring case, spaces, `-` and `_`).
const COLUMNS: &[(Column, &[&str])] = &[
    (
        Column::ExternalId,
        &[
            "externalid",
            "supplierid",
            "lieferantennummer",
            "vendorid",
            "suppliernumber",
        ],
    ),
    (
        Column::Name,
        &[
            "name",
            "company",
            "companyname",
            "supplier",
            "suppliername",
            "firma",
            "lieferant",
        ],
    ),
    (Column::Website, &["website", "url", "homepage", "webseite"]),
    (Column::Lei, &["lei"]),
    (
        Column::Vat,
        &["vat", "vatid", "vatnumber", "ustid", "ustidnr"],
    ),
    (Column::Country, &["country", "countrycode", "land"]),
    (Column::TypeCode, &["certificatetypecode", "typecode"]),
    (Column::TypeName, &["certificatetypename", "typename"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    ExternalId,
    Name,
    Website,
    Lei,
    Vat,
    Country,
    TypeCode,
    TypeName,
}

impl Column {
    pub fn name(self) -> &'static str {
        match self {
            Column::ExternalId => "external_id",
            Column::Name => "name",
            Column::Website => "website",
            Column::Lei => "lei",
            Column::Vat => "vat",
            Column::Country => "country",
            Column::TypeCode => "certificate_type_code",
            Column::TypeName => "certificate_type_name",
        }
    }
}

/// Which cell of a row holds which column.
#[derive(Debug, Clone, PartialEq)]
pub struct Columns(Vec<(Column, usize)>);

impl Columns {
    /// Reads the header row; `external_id` and `name` columns are required.
    pub fn from_header(header: &[String]) -> Result<Columns, String> {
        let key = |h: &str| {
            h.trim_start_matches('\u{feff}')
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '_'))
                .collect::<String>()
                .to_lowercase()
        };
        let mut found = Vec::new();
        for (i, h) in header.iter().enumerate() {
            let h = key(h);
            if let Some((col, _)) = COLUMNS
                .iter()
                .find(|(_, names)| names.contains(&h.as_str()))
                && !found.iter().any(|(c, _)| c == col)
            {
                found.push((*col, i));
            }
        }
        let missing: Vec<&str> = [Column::ExternalId, Column::Name]
            .into_iter()
            .filter(|c| !found.iter().any(|(f, _)| f == c))
            .map(Column::name)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "The header row has no {} column (found: {}).",
                missing.join(" or "),
                header.join(", ")
            ));
        }
        Ok(Columns(found))
    }

    fn cell<'a>(&self, row: &'a [String], col: Column) -> Option<&'a str> {
        let (_, i) = self.0.iter().find(|(c, _)| *c == col)?;
        row.get(*i).map(|s| s.trim()).filter(|s| !s.is_empty())
    }
}

/// A row's problem, as the API reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub error: String,
}

/// A valid row.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub row: usize,
    pub external_id: String,
    pub name: String,
    pub website: Option<String>,
    pub lei: Option<String>,
    pub vat: Option<String>,
    pub country: Option<String>,
    /// (code, name) of a certificate type to upsert; without a name an existing type keeps
    /// its own and a new one is named after its code.
    pub cert_type: Option<(String, Option<String>)>,
}

/// Checks one row with the API's rules; `row` is its 1-based number in the file.
pub fn parse_row(
    columns: &Columns,
    cells: &[String],
    row: usize,
) -> Result<ImportRow, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut err = |col: Column, msg: &str| {
        errors.push(RowError {
            row,
            column: col.name().to_string(),
            error: msg.to_string(),
        })
    };
    let get = |col| columns.cell(cells, col);
    let external_id = get(Column::ExternalId).map(String::from);
    if external_id.is_none() {
        err(Column::ExternalId, "This field is required.");
    }
    let name = get(Column::Name).map(String::from);
    if name.is_none() {
        err(Column::Name, "This field is required.");
    }
    let mut checked = |col, parse: fn(&str) -> Option<String>, msg: &str| match get(col) {
        None => None,
        Some(v) => {
            let parsed = parse(v);
            if parsed.is_none() {
                err(col, msg);
            }
            parsed
        }
    };
    let website = checked(
        Column::Website,
        rules::http_url,
        "Enter a valid http(s) URL.",
    );
    let lei = checked(
        Column::Lei,
        rules::lei,
        "Enter a valid LEI: 20 characters with ISO 17442 check digits.",
    );
    let country = checked(
        Column::Country,
        rules::country,
        "Enter an ISO 3166-1 alpha-2 country code like DE.",
    );
    let code = checked(
        Column::TypeCode,
        rules::type_code,
        "Use upper-case letters, digits or underscores, like ISO_9001.",
    );
    let cert_type = code.map(|code| (code, get(Column::TypeName).map(String::from)));
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ImportRow {
        row,
        external_id: external_id.unwrap_or_default(),
        name: name.unwrap_or_default(),
        website,
        lei,
        vat: get(Column::Vat).map(String::from),
        country,
        cert_type,
    })
}

/// What an import did; the API answers with these counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportCounts {
    pub organizations_created: usize,
    pub organizations_updated: usize,
    pub certificate_types_created: usize,
    pub certificate_types_updated: usize,
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
    }
}

impl Store {
    /// Upserts a batch of valid rows in one transaction. Re-importing the same rows changes
    /// (and counts) nothing; a later row with the same `external_id` updates an earlier one.
    pub fn import_batch(
        &self,
        tenant: Uuid,
        rows: &[ImportRow],
        now: DateTime<Utc>,
    ) -> Result<ImportCounts, RegistryError> {
        // Each record the batch touches, with what was stored before (None: new). Repeats
        // of an external_id or code within the batch work on the same entry.
        let mut orgs: HashMap<String, (Organization, Option<Organization>)> = HashMap::new();
        let mut types: HashMap<String, (CertificateType, Option<CertificateType>)> = HashMap::new();
        for r in rows {
            let key = r.external_id.to_lowercase();
            if !orgs.contains_key(&key) {
                let stored = self.organization_by_external_id(tenant, &r.external_id)?;
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
            let Some((code, name)) = &r.cert_type else {
                continue;
            };
            if !types.contains_key(code) {
                let stored = self.certificate_type_by_code(tenant, code)?;
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
        let t = self.trees();
        finish::<_, RegistryError>(
            (
                &t.organizations,
                &t.org_by_external_id,
                &t.cert_types,
                &t.cert_type_by_code,
            )
                .transaction(|(orgs_t, by_ext, types_t, by_code)| {
                    for org in &changed_orgs {
                        orgs_t.insert(&keys::pair(tenant, org.id), encode(org))?;
                        let ext = org
                            .external_id
                            .as_deref()
                            .unwrap_or_default()
                            .to_lowercase();
                        by_ext.insert(text_key(tenant, &ext), &keys::id(org.id))?;
                    }
                    for ty in &changed_types {
                        types_t.insert(&keys::pair(tenant, ty.id), encode(ty))?;
                        by_code.insert(text_key(tenant, &ty.code), &keys::id(ty.id))?;
                    }
                    Ok::<_, ConflictableTransactionError<RegistryError>>(())
                }),
        )?;
        let catalog = self.catalog(tenant)?;
        let mut catalog = catalog.write();
        for org in &changed_orgs {
            catalog.upsert_org(org);
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        };
        // A repeat within the batch updates the pending record: still one organization created.
        let rows = vec![
            row("A", "First", Some(("X_1", None))),
            row("a", "Second", Some(("X_1", Some("X one")))),
            row("B", "B", None),
        ];
        let counts = store.import_batch(tenant, &rows, now).unwrap();
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
            store
                .organization_by_external_id(tenant, "A")
                .unwrap()
                .unwrap()
                .name,
            "Second"
        );
        assert_eq!(
            store
                .certificate_type_by_code(tenant, "X_1")
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

        let again = store.import_batch(tenant, &rows, now).unwrap();
        assert_eq!(again, ImportCounts::default(), "nothing changed");
        let renamed = store
            .import_batch(tenant, &[row("B", "B2", Some(("X_1", Some("X 1"))))], now)
            .unwrap();
        assert_eq!(
            (
                renamed.organizations_updated,
                renamed.certificate_types_updated
            ),
            (1, 1)
        );
    }
}
