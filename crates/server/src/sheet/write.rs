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

/// CSV in UTF-8 with a byte-order mark, which Excel needs to show Chinese.
pub fn csv(
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<Vec<u8>, csv::Error> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(header)?;
        for row in rows {
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(out)
}
