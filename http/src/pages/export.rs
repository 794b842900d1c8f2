//! Lists as files: CSV or XLSX of exactly what the list's filters select, every page of it.

use rust_xlsxwriter::Workbook;
use warp::http::HeaderValue;
use warp::reply::{Reply, Response};

use super::call;
use crate::error::ApiError;
use crate::extract::Query;
use crate::pagination::{MAX_PAGE_SIZE, Page};

/// At most this many rows are exported; a larger list says so in its last row.
pub const MAX_EXPORT_ROWS: usize = 100_000;

/// A column: its heading and how a row's view gives its text.
pub type Column<T> = (&'static str, fn(&T) -> String);

pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn of(q: &Query) -> Result<Format, ApiError> {
        match q.get("format") {
            Some("csv") | None => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(_) => Err(ApiError::field("format", "Use csv or xlsx.")),
        }
    }
}

/// Collects every page the list operation `list` answers for `q`, up to the export limit.
pub async fn all_rows<T, F, Fut>(q: &Query, mut list: F) -> Result<(Vec<T>, bool), ApiError>
where
    F: FnMut(Query) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let query = call::query(
            q,
            &[
                ("page", page.to_string()),
                ("page_size", MAX_PAGE_SIZE.to_string()),
            ],
        );
        let answer = list(query).await?;
        let empty = answer.results.is_empty();
        rows.extend(answer.results);
        if rows.len() >= answer.count || empty {
            return Ok((rows, false));
        }
        if rows.len() >= MAX_EXPORT_ROWS {
            rows.truncate(MAX_EXPORT_ROWS);
            return Ok((rows, true));
        }
        page += 1;
    }
}

/// The file: a header row, then one row per item.
pub fn file<T>(
    format: Format,
    name: &str,
    columns: &[Column<T>],
    rows: &[T],
    truncated: bool,
) -> Result<Response, ApiError> {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| columns.iter().map(|(_, cell)| cell(row)).collect())
        .chain(truncated.then(|| {
            vec![format!(
                "Only the first {MAX_EXPORT_ROWS} rows are exported."
            )]
        }))
        .collect();
    let headings: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    let (bytes, content_type, ext) = match format {
        Format::Csv => (
            csv_bytes(&headings, &cells)?,
            "text/csv; charset=utf-8",
            "csv",
        ),
        Format::Xlsx => (
            xlsx_bytes(&headings, &cells)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
        headers.insert("content-disposition", v);
    }
    Ok(response)
}

fn csv_bytes(headings: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, ApiError> {
    let failed = |e: csv::Error| ApiError::Internal(format!("writing CSV: {e}"));
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    writer.write_record(headings).map_err(failed)?;
    for row in rows {
        // A cell a spreadsheet would run as a formula is quoted as text (CSV injection).
        writer
            .write_record(row.iter().map(|c| defuse(c)))
            .map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))
}

fn defuse(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

fn xlsx_bytes(headings: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, ApiError> {
    let failed = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(format!("writing XLSX: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in headings.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).map_err(failed)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            // Strings, never formulas: write_string stores the text as it is.
            sheet
                .write_string(r as u32 + 1, c as u16, cell)
                .map_err(failed)?;
        }
    }
    book.save_to_buffer().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_look_like_formulas_stay_text() {
        let bytes = csv_bytes(
            &["name"],
            &[vec!["=HYPERLINK(\"x\")".into()], vec!["Acme".into()]],
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("'=HYPERLINK"));
        assert!(text.contains("\nAcme\n"));
    }
}
