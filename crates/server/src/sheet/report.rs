//! The daily report as the sheet officials expect: a title row with the unit and date, Chinese
//! headers, a row per sub-unit, a total row, and who submitted it when. Figures are numbers.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::db::reports::{KEYS, Report};
use crate::i18n::{Lang, Tr};

fn header() -> Vec<String> {
    let zh = Tr::new(Lang::Zh);
    let mut h = vec!["单位".to_string(), "编码".to_string()];
    h.extend(KEYS.iter().map(|k| zh.tk("report.key", k)));
    h
}

fn title(r: &Report) -> String {
    format!("{} 疫情防控日报 {}", r.unit_name, r.date)
}

fn footer(r: &Report, tz: chrono_tz::Tz) -> String {
    match (&r.submitted_by, r.submitted_at) {
        (Some(by), Some(at)) => {
            let at = chrono::DateTime::from_timestamp(at, 0)
                .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            let mut s = format!(
                "上报人：{by}　上报时间：{at}　版本：{}",
                r.version.unwrap_or(1)
            );
            if !r.remark.is_empty() {
                s.push_str(&format!("　备注：{}", r.remark));
            }
            if !r.correction_reason.is_empty() {
                s.push_str(&format!("　更正原因：{}", r.correction_reason));
            }
            s
        }
        _ => "未上报（实时数据）".to_string(),
    }
}

pub fn xlsx(r: &Report, tz: chrono_tz::Tz) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let title_format = Format::new().set_bold().set_font_size(14);
    let sheet = book.add_worksheet();
    sheet.set_name("日报")?;
    sheet.write_string_with_format(0, 0, title(r), &title_format)?;
    let header = header();
    for (c, h) in header.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(1, c, h, &bold)?;
        sheet.set_column_width(c, (h.chars().count() as f64 * 2.2).max(10.0))?;
    }
    sheet.set_column_width(0, 24)?;
    sheet.set_column_width(1, 18)?;
    sheet.set_freeze_panes(2, 2)?;
    let mut row: u32 = 2;
    let rows = r
        .rows
        .iter()
        .map(|x| (x.name.as_str(), x.code.as_str(), &x.figures));
    for (name, code, figures) in rows.chain(std::iter::once(("合计", "", &r.figures))) {
        let format = if name == "合计" {
            &bold
        } else {
            &Format::new()
        };
        sheet.write_string_with_format(row, 0, name, format)?;
        sheet.write_string(row, 1, code)?;
        for (i, k) in KEYS.iter().enumerate() {
            let c = u16::try_from(i + 2).unwrap_or(u16::MAX);
            sheet.write_number_with_format(row, c, figures.get(k) as f64, format)?;
        }
        row += 1;
    }
    sheet.write_string(row + 1, 0, footer(r, tz))?;
    book.save_to_buffer()
}

pub fn csv(r: &Report, tz: chrono_tz::Tz) -> Vec<u8> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    // Title and footer are single cells: records of different lengths.
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(&mut out);
    let _ = w.write_record([title(r)]);
    let _ = w.write_record(header());
    let rows = r
        .rows
        .iter()
        .map(|x| (x.name.as_str(), x.code.as_str(), &x.figures));
    for (name, code, figures) in rows.chain(std::iter::once(("合计", "", &r.figures))) {
        let mut rec = vec![name.to_string(), code.to_string()];
        rec.extend(KEYS.iter().map(|k| figures.get(k).to_string()));
        let _ = w.write_record(rec);
    }
    let _ = w.write_record([footer(r, tz)]);
    drop(w);
    out
}
