//! From the bytes of an uploaded file to parsed rows: choose the sheet, find the header, read each row.

use chrono::NaiveDate;

use super::columns::{Layout, find_layout};
use super::read::{ReadError, Sheet, Workbook};
use super::rows::{Rejected, ResidentRow, parse_row};

/// A sheet ready to import: its rows, the layout found, and each data row parsed.
#[derive(Debug)]
pub struct Loaded {
    pub sheet: Sheet,
    pub sheet_names: Vec<String>,
    pub layout: Layout,
    pub rows: Vec<Result<ResidentRow, Rejected>>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("no header with the name (姓名) and ID number (身份证号) columns in the first 30 rows")]
    NoHeader,
    #[error("the sheet holds no rows of residents")]
    EmptySheet,
}

impl LoadError {
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::Read(e) => e.code(),
            LoadError::NoHeader => "no_header",
            LoadError::EmptySheet => "empty_sheet",
        }
    }
}

/// Loads `sheet` of the file, or the first sheet that has a header.
pub fn load(bytes: &[u8], sheet: Option<&str>, today: NaiveDate) -> Result<Loaded, LoadError> {
    let mut book = Workbook::open(bytes)?;
    let sheet_names = book.sheet_names();
    let (sheet, layout) = match sheet {
        Some(name) => {
            let s = book.sheet(name)?;
            if blank(&s) {
                return Err(LoadError::EmptySheet);
            }
            let l = find_layout(&s).ok_or(LoadError::NoHeader)?;
            (s, l)
        }
        None => {
            let mut found = None;
            let mut all_blank = true;
            for name in &sheet_names {
                let s = book.sheet(name)?;
                all_blank &= blank(&s);
                if let Some(l) = find_layout(&s) {
                    found = Some((s, l));
                    break;
                }
            }
            match found {
                Some(f) => f,
                None if all_blank => return Err(LoadError::EmptySheet),
                None => return Err(LoadError::NoHeader),
            }
        }
    };
    let rows: Vec<Result<ResidentRow, Rejected>> = sheet
        .rows
        .iter()
        .enumerate()
        .skip(layout.header_row + 1)
        .filter_map(|(i, cells)| {
            parse_row(&layout, cells, i, today).map(|r| {
                r.map_err(|problems| Rejected {
                    line: i + 1,
                    problems,
                })
            })
        })
        .collect();
    if rows.is_empty() {
        return Err(LoadError::EmptySheet);
    }
    Ok(Loaded {
        sheet,
        sheet_names,
        layout,
        rows,
    })
}

fn blank(s: &Sheet) -> bool {
    s.rows.iter().all(|r| r.iter().all(|c| c.is_blank()))
}
