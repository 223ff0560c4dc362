//! Writing sheets people open in Excel: every cell as text (an ID number must never become a number),
//! Chinese headers, the header row frozen.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// Writes `title` (if any), then `header`, then `rows`, all as text, into an `.xlsx` file in memory.
/// Rows stream through a temporary file, so a city's export does not sit in memory twice.
pub fn xlsx(
    sheet_name: &str,
    title: Option<&str>,
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let text = Format::new().set_num_format("@");
    let bold = Format::new().set_bold().set_num_format("@");
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(sheet_name)?;
    for (c, h) in header.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        // Cells typed later into these columns stay text too.
        sheet.set_column_format(c, &text)?;
        sheet.set_column_width(c, (h.chars().count() as f64 * 2.2).max(12.0))?;
    }
    let mut r: u32 = 0;
    if let Some(t) = title {
        sheet.write_string_with_format(0, 0, t, &bold)?;
        r = 1;
    }
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(r, u16::try_from(c).unwrap_or(u16::MAX), h, &bold)?;
    }
    sheet.set_freeze_panes(r + 1, 0)?;
    for row in rows {
        r += 1;
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string_with_format(
                    r,
                    u16::try_from(c).unwrap_or(u16::MAX),
                    v,
                    &text,
                )?;
            }
        }
    }
    book.save_to_buffer()
}

/// CSV in UTF-8 with a byte-order mark, which Excel needs to show Chinese. A cell that Excel
/// would run as a formula (`=`, `+`, `-`, `@` first) is written behind an apostrophe, which the
/// import takes off again.
pub fn csv(
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(header)?;
        for row in rows {
            w.write_record(row.iter().map(|c| defuse(c).into_owned()))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// Characters that make a spreadsheet treat a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_START) || cell.starts_with('\'') {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Undoes `defuse` on a cell read back from a CSV file.
pub fn undefuse(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) || rest.starts_with('\'') => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_read_back_unchanged() {
        for cell in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-",
            "@SUM(A1)",
            "'quoted",
            "普通",
            "",
        ] {
            assert_eq!(undefuse(&defuse(cell)), cell);
            assert!(!defuse(cell).starts_with(FORMULA_START));
        }
    }
}
