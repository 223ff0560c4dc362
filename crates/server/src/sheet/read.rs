//! Reading a spreadsheet as people send it: `.xlsx`, `.xls`, `.ods` or `.csv` (UTF-8, with or without
//! a BOM, or GB18030 as Excel saves it on Chinese Windows), into plain rows of cells.

use std::io::Cursor;

use calamine::{Data, Reader, Sheets};

/// The largest file accepted. Larger ones are refused before anything is parsed.
pub const MAX_BYTES: usize = 50 * 1024 * 1024;

/// One cell as read. Numbers stay numbers so that an ID number Excel turned into one is caught.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// An Excel date, as its serial day number.
    Date(f64),
}

impl Cell {
    /// The cell as text, numbers without a needless `.0`.
    pub fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) | Cell::Date(n) => number_text(*n),
        }
    }

    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A sheet: its name and its rows, row 0 being the sheet's first row.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the file is larger than 50 MB")]
    TooLarge,
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a spreadsheet (.xlsx, .xls, .ods or .csv)")]
    NotASpreadsheet,
    #[error("the spreadsheet could not be read: {0}")]
    Damaged(String),
    #[error("there is no sheet named {0}")]
    UnknownSheet(String),
}

impl ReadError {
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::TooLarge => "file_too_large",
            ReadError::Empty => "file_empty",
            ReadError::NotASpreadsheet => "not_a_spreadsheet",
            ReadError::Damaged(_) => "file_damaged",
            ReadError::UnknownSheet(_) => "unknown_sheet",
        }
    }
}

/// A workbook opened from bytes; sheets are read one at a time, on demand.
pub enum Workbook<'a> {
    Excel(Box<Sheets<Cursor<&'a [u8]>>>),
    Csv(Sheet),
}

impl<'a> Workbook<'a> {
    /// Opens `bytes` by their content (the file name's extension is not trusted).
    pub fn open(bytes: &'a [u8]) -> Result<Workbook<'a>, ReadError> {
        if bytes.len() > MAX_BYTES {
            return Err(ReadError::TooLarge);
        }
        if bytes.is_empty() {
            return Err(ReadError::Empty);
        }
        let cursor = Cursor::new(bytes);
        let damaged = |e: calamine::Error| ReadError::Damaged(e.to_string());
        if bytes.starts_with(b"PK\x03\x04") {
            // A zip: Excel's .xlsx or OpenDocument's .ods.
            let sheets =
                match calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(cursor.clone()) {
                    Ok(x) => Sheets::Xlsx(x),
                    Err(e) => {
                        match calamine::open_workbook_from_rs::<calamine::Ods<_>, _>(cursor) {
                            Ok(o) => Sheets::Ods(o),
                            Err(_) => return Err(damaged(e.into())),
                        }
                    }
                };
            return Ok(Workbook::Excel(Box::new(sheets)));
        }
        if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            let xls = calamine::open_workbook_from_rs::<calamine::Xls<_>, _>(cursor)
                .map_err(|e| damaged(e.into()))?;
            return Ok(Workbook::Excel(Box::new(Sheets::Xls(xls))));
        }
        csv_sheet(bytes).map(Workbook::Csv)
    }

    pub fn sheet_names(&self) -> Vec<String> {
        match self {
            Workbook::Excel(s) => s.sheet_names(),
            Workbook::Csv(s) => vec![s.name.clone()],
        }
    }

    /// Reads one sheet. A CSV file has a single sheet, whatever the name asked.
    pub fn sheet(&mut self, name: &str) -> Result<Sheet, ReadError> {
        match self {
            Workbook::Csv(s) => Ok(std::mem::take(s)),
            Workbook::Excel(book) => {
                if !book.sheet_names().iter().any(|n| n == name) {
                    return Err(ReadError::UnknownSheet(name.to_string()));
                }
                let range = book
                    .worksheet_range(name)
                    .map_err(|e| ReadError::Damaged(e.to_string()))?;
                // The range starts at its first used cell; rows and columns before it are blank.
                let (row0, col0) = range.start().unwrap_or((0, 0));
                let mut rows: Vec<Vec<Cell>> = vec![Vec::new(); row0 as usize];
                for r in range.rows() {
                    let mut cells = vec![Cell::Empty; col0 as usize];
                    cells.extend(r.iter().map(cell_of));
                    rows.push(cells);
                }
                Ok(Sheet {
                    name: name.to_string(),
                    rows,
                })
            }
        }
    }
}

fn cell_of(d: &Data) -> Cell {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) => Cell::Date(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
    }
}

/// Reads CSV text, telling UTF-8 from the GB18030 that Excel writes on Chinese systems.
fn csv_sheet(bytes: &[u8]) -> Result<Sheet, ReadError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => {
            let (t, _, had_errors) = encoding_rs::GB18030.decode(bytes);
            if had_errors {
                return Err(ReadError::NotASpreadsheet);
            }
            t
        }
    };
    // Binary files that happen to decode still hold control characters no sheet has.
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ReadError::NotASpreadsheet);
    }
    let delimiter = if text
        .lines()
        .next()
        .is_some_and(|l| l.matches('\t').count() > l.matches(',').count())
    {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Damaged(e.to_string()))?;
        rows.push(
            record
                .iter()
                .map(|s| {
                    if s.is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(super::write::undefuse(s).to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(Sheet {
        name: "CSV".to_string(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_in_gb18030_with_tabs_is_read() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("姓名\t身份证号\n张三\t11010519491231002X\n");
        let mut book = Workbook::open(&gbk).unwrap();
        let sheet = book.sheet("CSV").unwrap();
        assert_eq!(sheet.rows[1][0], Cell::Text("张三".into()));
        assert_eq!(sheet.rows[1][1].text(), "11010519491231002X");
    }

    #[test]
    fn binary_and_oversized_files_are_refused() {
        assert_eq!(
            Workbook::open(&[0u8, 1, 2, 3, 0xff, 0xfe]).err(),
            Some(ReadError::NotASpreadsheet)
        );
        assert_eq!(Workbook::open(b"").err(), Some(ReadError::Empty));
        let big = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(Workbook::open(&big).err(), Some(ReadError::TooLarge));
        assert!(matches!(
            Workbook::open(b"PK\x03\x04 not really a zip"),
            Err(ReadError::Damaged(_))
        ));
    }

    #[test]
    fn numbers_read_as_text_lose_no_digits_and_no_dot_zero() {
        assert_eq!(Cell::Number(110105.0).text(), "110105");
        assert_eq!(Cell::Number(6.50203e17).text(), "650203000000000000");
    }
}
