//! Spreadsheet rows: which column is which and what a row must hold. The worker checks
//! rows with these rules before the server upserts them.

use serde::{Deserialize, Serialize};

use crate::rules;

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
    (
        Column::ContactEmail,
        &[
            "contactemail",
            "email",
            "emailaddress",
            "contact",
            "kontaktemail",
            "ansprechpartneremail",
        ],
    ),
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
    ContactEmail,
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
            Column::ContactEmail => "contact_email",
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub error: String,
}

/// A valid row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// A contact of the supplier who receives certificate requests (added once).
    pub contact_email: Option<String>,
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
    let website = checked(Column::Website, rules::http_url, crate::rules::URL_MESSAGE);
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
    let contact_email = checked(
        Column::ContactEmail,
        crate::accounts::normalize_email,
        "Enter a valid email address.",
    );
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
        contact_email,
    })
}
