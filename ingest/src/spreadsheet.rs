//! Spreadsheets (CSV, XLSX, XLS) as rows checked with the import's rules, handed on in
//! batches of [`BATCH_ROWS`]. Bounded: at most so
//! many rows (a longer file is refused), the first so many row errors listed and the rest
//! counted, and an .xlsx file's declared part sizes and string counts checked before the
//! spreadsheet reader allocates for them.

use std::io::{Cursor, Read as _};

use calamine::{DataType, Reader, Xls, Xlsx};
use certwatch_domain::import::{Columns, ImportRow, RowError, parse_row};
use serde::{Deserialize, Serialize};

use crate::limits::Limits;

/// Rows per batch handed on (one tenant-actor write each).
pub const BATCH_ROWS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum FileKind {
    Csv,
    Xlsx,
    Xls,
}

/// The kind of an uploaded file, by its name, checked against its first bytes (a CSV's
/// UTF-8 is checked as it is read).
pub fn detect(filename: &str, head: &[u8]) -> Result<FileKind, String> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let (kind, ok) = match ext.as_str() {
        "xlsx" => (FileKind::Xlsx, head.starts_with(b"PK\x03\x04")),
        "xls" => (
            FileKind::Xls,
            head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]),
        ),
        "csv" => (FileKind::Csv, !head.contains(&0)),
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

/// One batch of the reading: valid rows and the rows' errors (the first ones; the rest
/// are counted in `more_errors`).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowBatch {
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    pub more_errors: usize,
}

/// Turns rows of cells into batches: the first non-empty row is the header.
struct Batcher<'a> {
    columns: Option<Columns>,
    batch: RowBatch,
    rows_read: usize,
    errors_listed: usize,
    limits: &'a Limits,
    emit: &'a mut dyn FnMut(RowBatch) -> Result<(), String>,
}

impl Batcher<'_> {
    fn row(&mut self, number: usize, cells: Vec<String>) -> Result<(), String> {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return Ok(());
        }
        let Some(columns) = &self.columns else {
            self.columns = Some(Columns::from_header(&cells)?);
            return Ok(());
        };
        self.rows_read += 1;
        if self.rows_read > self.limits.max_import_rows {
            return Err(format!(
                "The file has more than {} rows; split it into smaller files.",
                self.limits.max_import_rows
            ));
        }
        match parse_row(columns, &cells, number) {
            Ok(row) => self.batch.rows.push(row),
            Err(errors) => {
                for e in errors {
                    if self.errors_listed < self.limits.max_import_errors {
                        self.errors_listed += 1;
                        self.batch.errors.push(e);
                    } else {
                        self.batch.more_errors += 1;
                    }
                }
            }
        }
        if self.batch.rows.len() + self.batch.errors.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), String> {
        let batch = std::mem::take(&mut self.batch);
        (self.emit)(batch)
    }

    fn finish(mut self) -> Result<(), String> {
        if self.columns.is_none() {
            return Err("The file has no header row.".into());
        }
        self.flush()
    }
}

/// Reads a spreadsheet, handing each batch of rows to `emit` (which may refuse to go on).
pub fn read(
    kind: FileKind,
    bytes: &[u8],
    limits: &Limits,
    emit: &mut dyn FnMut(RowBatch) -> Result<(), String>,
) -> Result<(), String> {
    let mut batcher = Batcher {
        columns: None,
        batch: RowBatch::default(),
        rows_read: 0,
        errors_listed: 0,
        limits,
        emit,
    };
    match kind {
        FileKind::Csv => read_csv(bytes, &mut batcher),
        FileKind::Xlsx => {
            check_xlsx(bytes, limits)?;
            read_xlsx(bytes, &mut batcher)
        }
        FileKind::Xls => read_xls(bytes, &mut batcher),
    }?;
    batcher.finish()
}

/// Shortest XML one shared string takes (`<si><t/></si>`): a part cannot hold more strings
/// than its size allows, whatever its header declares.
const MIN_SHARED_STRING_BYTES: u64 = 13;

/// Checks an .xlsx file's parts before calamine reads them: no part may declare more
/// uncompressed bytes than the limit, and the shared-strings part may not declare more
/// strings than its size can hold (calamine reserves room for the declared count).
fn check_xlsx(bytes: &[u8], limits: &Limits) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("Not a readable .xlsx file: {e}"))?;
    for i in 0..zip.len() {
        let part = zip
            .by_index_raw(i)
            .map_err(|e| format!("Not a readable .xlsx file: {e}"))?;
        if part.size() > limits.max_xlsx_part_bytes {
            return Err(format!(
                "The .xlsx part '{}' unpacks to {} MiB, more than the {} MiB read here.",
                part.name().unwrap_or_default(),
                part.size() >> 20,
                limits.max_xlsx_part_bytes >> 20
            ));
        }
    }
    let Ok(strings) = zip.by_name("xl/sharedStrings.xml") else {
        return Ok(());
    };
    let size = strings.size();
    let mut head = Vec::new();
    strings
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| format!("Not a readable .xlsx file: {e}"))?;
    let head = String::from_utf8_lossy(&head);
    for attr in ["uniqueCount=\"", "count=\""] {
        let declared = head
            .split(attr)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|n| n.parse::<u64>());
        match declared {
            None => {}
            Some(Ok(n)) if n <= size / MIN_SHARED_STRING_BYTES + 1 => {}
            Some(_) => {
                return Err(format!(
                    "The .xlsx file is damaged: it declares more shared strings than its {size} bytes can hold."
                ));
            }
        }
    }
    Ok(())
}

fn read_csv(bytes: &[u8], b: &mut Batcher<'_>) -> Result<(), String> {
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

fn read_xlsx(bytes: &[u8], b: &mut Batcher<'_>) -> Result<(), String> {
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

fn read_xls(bytes: &[u8], b: &mut Batcher<'_>) -> Result<(), String> {
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

    fn read_with(
        csv: &str,
        limits: &Limits,
    ) -> Result<(Vec<ImportRow>, Vec<RowError>, usize), String> {
        let (mut rows, mut errors, mut more) = (Vec::new(), Vec::new(), 0);
        read(
            FileKind::Csv,
            csv.as_bytes(),
            limits,
            &mut |batch: RowBatch| {
                rows.extend(batch.rows);
                errors.extend(batch.errors);
                more += batch.more_errors;
                Ok(())
            },
        )?;
        Ok((rows, errors, more))
    }

    fn read_csv_text(csv: &str) -> (Vec<ImportRow>, Vec<RowError>) {
        let (rows, errors, _) = read_with(csv, &Limits::default()).unwrap();
        (rows, errors)
    }

    #[test]
    fn rows_and_errors_are_capped() {
        let limits = Limits {
            max_import_rows: 5,
            max_import_errors: 2,
            ..Limits::default()
        };
        let bad = format!("external_id,name\n{}", "x,\n".repeat(5));
        let (rows, errors, more) = read_with(&bad, &limits).unwrap();
        assert!(rows.is_empty());
        assert_eq!(errors.len(), 2);
        assert_eq!(more, 3);
        let long = format!("external_id,name\n{}", "1,A\n".repeat(6));
        let refused = read_with(&long, &limits).unwrap_err();
        assert!(refused.contains("more than 5 rows"), "{refused}");
    }

    #[test]
    fn xlsx_parts_that_lie_about_their_counts_are_refused() {
        let mut buf = Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default();
            zip.start_file("xl/sharedStrings.xml", opts).unwrap();
            std::io::Write::write_all(
                &mut zip,
                br#"<?xml version="1.0"?><sst count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>"#,
            )
            .unwrap();
            zip.finish().unwrap();
        }
        let err = check_xlsx(buf.get_ref(), &Limits::default()).unwrap_err();
        assert!(err.contains("more shared strings"), "{err}");
    }

    #[test]
    fn csv_with_bom_semicolons_quotes_and_blank_lines() {
        let (rows, errors) =
            read_csv_text("\u{feff}Supplier ID;Company;Country\n1;\"Acme; Co\";DE\n\n2;;AT\n");
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
        let (rows, _) = read_csv_text("external_id,name\r\nA-1,Acme\r\n");
        assert_eq!(rows[0].external_id, "A-1");
    }
}
