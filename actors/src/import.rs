//! Spreadsheet import: reads CSV, XLSX or XLS on a blocking thread and hands valid rows to
//! the tenant actor one batch at a time, so memory stays near the file's own size and the
//! tenant's other writes interleave with a long import.

use std::io::Cursor;

use calamine::{DataType, Reader, Xls, Xlsx};
use certwatch_store::import::{Columns, ImportCounts, ImportRow, RowError, parse_row};
use certwatch_store::registry::Event;
use chrono::Utc;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{ActorError, Actors, TenantMsg};

/// Rows per tenant-actor write.
pub const BATCH_ROWS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FileKind {
    Csv,
    Xlsx,
    Xls,
}

/// The kind of an uploaded file, by its name, checked against its content.
pub fn detect(filename: &str, bytes: &[u8]) -> Result<FileKind, String> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let (kind, ok) = match ext.as_str() {
        "xlsx" => (FileKind::Xlsx, bytes.starts_with(b"PK\x03\x04")),
        "xls" => (
            FileKind::Xls,
            bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
        ),
        "csv" => (
            FileKind::Csv,
            !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok(),
        ),
        _ => return Err(format!("'{filename}' is not a .csv, .xlsx or .xls file.")),
    };
    if ok {
        Ok(kind)
    } else {
        Err(format!(
            "'{filename}' does not contain what a .{ext} file holds."
        ))
    }
}

/// One batch from the reader: valid rows and the rows' errors.
#[derive(Default)]
struct Batch {
    rows: Vec<ImportRow>,
    errors: Vec<RowError>,
}

/// What a whole import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub counts: ImportCounts,
    pub errors: Vec<RowError>,
    pub rows_imported: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read as the spreadsheet it claims to be.
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Actor(#[from] ActorError),
}

/// Turns rows of cells into batches: the first non-empty row is the header.
struct Batcher {
    columns: Option<Columns>,
    batch: Batch,
    tx: mpsc::Sender<Batch>,
}

impl Batcher {
    fn row(&mut self, number: usize, cells: Vec<String>) -> Result<(), String> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        let Some(columns) = &self.columns else {
            self.columns = Some(Columns::from_header(&cells)?);
            return Ok(());
        };
        match parse_row(columns, &cells, number) {
            Ok(row) => self.batch.rows.push(row),
            Err(errors) => self.batch.errors.extend(errors),
        }
        if self.batch.rows.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        let batch = std::mem::take(&mut self.batch);
        self.tx
            .blocking_send(batch)
            .map_err(|_| "the import was abandoned".to_string())
    }

    fn finish(mut self) -> Result<(), String> {
        if self.columns.is_none() {
            return Err("The file has no header row.".into());
        }
        self.flush()
    }
}

fn read_csv(bytes: &[u8], b: &mut Batcher) -> Result<(), String> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    // Excel in much of Europe writes `;`: pick the separator the header line uses most.
    let first = bytes.split(|c| *c == b'\n').next().unwrap_or_default();
    let count = |sep: u8| first.iter().filter(|c| **c == sep).count();
    let delimiter = if count(b';') > count(b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    // Row numbers are the file's own lines: the reader skips blank lines without counting
    // them, so lines are counted from each record's byte offset.
    let (mut line, mut counted_to) = (1, 0);
    for record in reader.records() {
        let record = record.map_err(|e| format!("The CSV cannot be read: {e}"))?;
        let mut offset = record
            .position()
            .map(|p| p.byte() as usize)
            .unwrap_or(counted_to)
            .max(counted_to);
        // The reported offset is where reading began, before any blank lines it skipped.
        while bytes
            .get(offset)
            .is_some_and(|c| matches!(c, b'\n' | b'\r'))
        {
            offset += 1;
        }
        line += bytes[counted_to..offset]
            .iter()
            .filter(|c| **c == b'\n')
            .count();
        counted_to = offset;
        b.row(line, record.iter().map(String::from).collect())?;
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8], b: &mut Batcher) -> Result<(), String> {
    let mut book =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| format!("Not a readable .xlsx file: {e}"))?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("The workbook has no sheet.")?;
    let mut cells = book
        .worksheet_cells_reader(&sheet)
        .map_err(|e| format!("The first sheet cannot be read: {e}"))?;
    // Cells come row by row; a row is complete when the next one starts.
    let mut current: Option<(u32, Vec<String>)> = None;
    while let Some(cell) = cells.next_cell().map_err(|e| format!("Bad cell: {e}"))? {
        let (r, c) = cell.get_position();
        if current.as_ref().is_some_and(|(row, _)| *row != r)
            && let Some((row, values)) = current.take()
        {
            b.row(row as usize + 1, values)?;
        }
        let (_, values) = current.get_or_insert_with(|| (r, Vec::new()));
        if values.len() <= c as usize {
            values.resize(c as usize + 1, String::new());
        }
        values[c as usize] = cell.get_value().as_string().unwrap_or_default();
    }
    if let Some((row, values)) = current {
        b.row(row as usize + 1, values)?;
    }
    Ok(())
}

fn read_xls(bytes: &[u8], b: &mut Batcher) -> Result<(), String> {
    // The .xls format holds at most 65,536 rows, so reading the sheet whole stays bounded.
    let mut book: Xls<_> =
        Xls::new(Cursor::new(bytes)).map_err(|e| format!("Not a readable .xls file: {e}"))?;
    let sheet = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or("The workbook has no sheet.")?;
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| format!("The first sheet cannot be read: {e}"))?;
    let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
    for (i, row) in range.rows().enumerate() {
        b.row(
            first_row + i + 1,
            row.iter()
                .map(|c| c.as_string().unwrap_or_default())
                .collect(),
        )?;
    }
    Ok(())
}

/// Imports a file into `tenant`: reads it off the runtime, upserts valid rows batch by
/// batch through the tenant actor, then records `import.completed`.
pub async fn run(
    actors: &Actors,
    tenant: Uuid,
    kind: FileKind,
    bytes: Vec<u8>,
) -> Result<ImportReport, ImportError> {
    let (tx, mut rx) = mpsc::channel::<Batch>(2);
    let reader = tokio::task::spawn_blocking(move || {
        let mut batcher = Batcher {
            columns: None,
            batch: Batch::default(),
            tx,
        };
        match kind {
            FileKind::Csv => read_csv(&bytes, &mut batcher),
            FileKind::Xlsx => read_xlsx(&bytes, &mut batcher),
            FileKind::Xls => read_xls(&bytes, &mut batcher),
        }?;
        batcher.finish()
    });
    let mut report = ImportReport::default();
    while let Some(batch) = rx.recv().await {
        report.errors.extend(batch.errors);
        if batch.rows.is_empty() {
            continue;
        }
        report.rows_imported += batch.rows.len();
        let rows = batch.rows;
        let counts = actors
            .tenant(tenant, |reply| TenantMsg::ImportBatch { rows, reply })
            .await?;
        report.counts.add(counts);
    }
    reader
        .await
        .map_err(|e| ImportError::Unreadable(format!("the reader failed: {e}")))?
        .map_err(ImportError::Unreadable)?;
    let c = &report.counts;
    let data = serde_json::json!({
        "organizations_created": c.organizations_created,
        "organizations_updated": c.organizations_updated,
        "certificate_types_created": c.certificate_types_created,
        "certificate_types_updated": c.certificate_types_updated,
        "rows_imported": report.rows_imported,
        "rows_failed": report.errors.iter().map(|e| e.row).collect::<std::collections::BTreeSet<_>>().len(),
    });
    let event = Event::new(tenant, None, "import.completed", data, Utc::now());
    actors
        .tenant(tenant, |reply| TenantMsg::RecordEvent { event, reply })
        .await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_must_match_the_name() {
        assert_eq!(detect("a.CSV", b"external_id;name\n1;A"), Ok(FileKind::Csv));
        assert_eq!(detect("a.xlsx", b"PK\x03\x04rest"), Ok(FileKind::Xlsx));
        assert!(detect("a.xlsx", b"external_id,name").is_err());
        assert!(detect("a.csv", b"PK\x03\x04\x00\x00").is_err());
        assert!(detect("a.xls", b"PK\x03\x04").is_err());
        assert!(detect("a.pdf", b"%PDF").is_err());
        assert!(detect("noext", b"x").is_err());
    }

    fn read(kind_csv: &str) -> (Vec<ImportRow>, Vec<RowError>) {
        let (tx, mut rx) = mpsc::channel(100);
        let mut b = Batcher {
            columns: None,
            batch: Batch::default(),
            tx,
        };
        read_csv(kind_csv.as_bytes(), &mut b).unwrap();
        b.finish().unwrap();
        let (mut rows, mut errors) = (Vec::new(), Vec::new());
        while let Ok(batch) = rx.try_recv() {
            rows.extend(batch.rows);
            errors.extend(batch.errors);
        }
        (rows, errors)
    }

    #[test]
    fn csv_with_bom_semicolons_quotes_and_blank_lines() {
        let (rows, errors) =
            read("\u{feff}Supplier ID;Company;Country\n1;\"Acme; Co\";DE\n\n2;;AT\n");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].name, "Acme; Co");
        assert_eq!(
            errors,
            vec![RowError {
                row: 4,
                column: "name".into(),
                error: "This field is required.".into()
            }]
        );
        let (rows, _) = read("external_id,name\r\nA-1,Acme\r\n");
        assert_eq!(rows[0].external_id, "A-1");
    }
}
