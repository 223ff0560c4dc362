//! One data row of a residents sheet, parsed and checked on its own (no database): every problem of
//! the row is found, each with its column, so the person fixing the sheet fixes it once.

use chrono::{Datelike, NaiveDate};
use shouhu_domain::address::{building_name, room_name, unit_name};
use shouhu_domain::normalize::half_width;
use shouhu_domain::{IdNumber, IdNumberError, Phone, Sex, Tag, Tags, mask};

use super::columns::{Column, Layout};
use super::read::Cell;

/// A row that passed every check that needs no database.
#[derive(Clone, Debug, PartialEq)]
pub struct ResidentRow {
    /// The row number as the spreadsheet shows it (1-based).
    pub line: usize,
    pub grid: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub address: String,
    pub name: String,
    pub id_number: IdNumber,
    /// None: the cell was empty or masked, and what is stored stays.
    pub phone: Option<Phone>,
    pub relation: String,
    /// None: no tags column, or an empty cell; what is stored stays.
    pub tags: Option<Tags>,
    pub note: String,
}

/// What is wrong with a cell: its column and a reason code (`invalid.<code>` in the catalogues).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    pub column: &'static str,
    pub code: &'static str,
}

/// A row with its problems, refused whole.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Rejected {
    /// The row number as the spreadsheet shows it.
    pub line: usize,
    pub problems: Vec<Problem>,
}

fn problem(c: Column, code: &'static str) -> Problem {
    Problem {
        column: c.key(),
        code,
    }
}

/// Reads the row at `index` (0-based in the sheet). None for a blank row, which is skipped.
pub fn parse_row(
    layout: &Layout,
    cells: &[Cell],
    index: usize,
    today: NaiveDate,
) -> Option<Result<ResidentRow, Vec<Problem>>> {
    let get = |c: Column| -> Option<&Cell> {
        layout
            .index(c)
            .map(|i| cells.get(i).unwrap_or(&Cell::Empty))
    };
    if layout
        .columns
        .iter()
        .all(|(i, _)| cells.get(*i).is_none_or(Cell::is_blank))
    {
        return None;
    }
    let mut problems = Vec::new();
    let mut text = |c: Column, max: usize| -> String {
        let t = get(c).map(|cell| clean(&cell.text())).unwrap_or_default();
        if t.chars().any(char::is_control) {
            problems.push(problem(c, "invalid_characters"));
        } else if t.chars().count() > max {
            problems.push(problem(c, "too_long"));
        }
        t
    };
    let name = text(Column::Name, 64);
    let grid = text(Column::Grid, 64);
    let building = building_name(&text(Column::Building, 32));
    let unit = unit_name(&text(Column::Unit, 32));
    let room = room_name(&text(Column::Room, 32));
    let address = text(Column::Address, 200);
    let relation = match text(Column::Relation, 16).as_str() {
        "本人" | "户主本人" => "户主".to_string(),
        r => r.to_string(),
    };
    let note = text(Column::Note, 500);
    let tags_text = text(Column::Tags, 200);
    if name.is_empty() {
        problems.push(problem(Column::Name, "required"));
    }
    let id = match get(Column::IdNumber) {
        Some(cell) => {
            parse_id(cell, today).map_err(|code| problems.push(problem(Column::IdNumber, code)))
        }
        None => Err(()),
    };
    if let (Ok(id), Some(cell)) = (&id, get(Column::Sex)) {
        let t = clean(&cell.text());
        if !t.is_empty() {
            match Sex::parse(&t) {
                Some(s) if s != id.sex() => {
                    problems.push(problem(Column::Sex, "sex_contradicts_id"))
                }
                Some(_) => {}
                None => problems.push(problem(Column::Sex, "invalid_sex")),
            }
        }
    }
    if let (Ok(id), Some(cell)) = (&id, get(Column::BirthDate))
        && !cell.is_blank()
    {
        match date_of(cell) {
            Some(d) if d != id.birth_date() => {
                problems.push(problem(Column::BirthDate, "birth_date_contradicts_id"))
            }
            Some(_) => {}
            None => problems.push(problem(Column::BirthDate, "invalid_date")),
        }
    }
    let phone = match get(Column::Phone).map(|c| clean(&c.text())) {
        Some(p) if !p.is_empty() && !mask::is_masked(&p) => {
            Phone::parse(&p).map(Some).unwrap_or_else(|_| {
                problems.push(problem(Column::Phone, "invalid_phone"));
                None
            })
        }
        _ => None,
    };
    let tags = if tags_text.is_empty() {
        None
    } else {
        match parse_tags(&tags_text) {
            Ok(t) => Some(t),
            Err(()) => {
                problems.push(problem(Column::Tags, "invalid_tag"));
                None
            }
        }
    };
    match id {
        Ok(id_number) if problems.is_empty() => Some(Ok(ResidentRow {
            line: index + 1,
            grid,
            building,
            unit,
            room,
            address,
            name,
            id_number,
            phone,
            relation,
            tags,
            note,
        })),
        _ => Some(Err(problems)),
    }
}

/// Half-width, trimmed, inner runs of spaces made one (names typed with a space between characters
/// keep none: "张 三" is 张三).
fn clean(s: &str) -> String {
    let t = half_width(s);
    let words: Vec<&str> = t.split_whitespace().collect();
    let cjk = |w: &str| w.chars().all(|c| !c.is_ascii());
    if words.len() > 1 && words.iter().all(|w| cjk(w)) {
        words.concat()
    } else {
        words.join(" ")
    }
}

fn parse_id(cell: &Cell, today: NaiveDate) -> Result<IdNumber, &'static str> {
    let text = match cell {
        Cell::Empty => return Err("required"),
        // A 15-digit number survives Excel exactly; an 18-digit one never does (15 significant
        // digits), so it is refused rather than stored with its last digits made up.
        Cell::Number(n) if n.fract() == 0.0 && *n >= 1e14 && *n < 1e15 => format!("{}", *n as i64),
        Cell::Number(_) | Cell::Date(_) => return Err(IdNumberError::ExcelNumber.code()),
        Cell::Text(t) => t.clone(),
    };
    if text.trim().is_empty() {
        return Err("required");
    }
    // A leading apostrophe or ="…" is how people keep Excel from turning the number into one.
    let text = text.trim();
    let text = text
        .strip_prefix("=\"")
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix('\''))
        .unwrap_or(text);
    if mask::is_masked(text) {
        return Err("masked_id_number");
    }
    IdNumber::parse(text, today).map_err(|e| {
        let digits: String = half_width(text)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        // 18 digits ending in zeros that fail the check: Excel kept 15 digits and padded the rest.
        if e == IdNumberError::CheckDigit && digits.len() == 18 && digits.ends_with("000") {
            IdNumberError::ExcelNumber.code()
        } else {
            e.code()
        }
    })
}

/// A date as typed or as an Excel date: 1980-01-02, 1980/1/2, 1980.1.2, 19800102, 1980年1月2日.
pub fn date_of(cell: &Cell) -> Option<NaiveDate> {
    match cell {
        Cell::Date(serial) => excel_serial(*serial),
        // 19800102 typed as a number is a date without separators; a small number is a serial.
        Cell::Number(n) if *n >= 1e7 => parse_date_text(&format!("{}", *n as i64)),
        Cell::Number(n) => excel_serial(*n),
        other => parse_date_text(&clean(&other.text())),
    }
}

/// Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in).
fn excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?
        .checked_add_days(chrono::Days::new(serial.trunc() as u64))
}

fn parse_date_text(s: &str) -> Option<NaiveDate> {
    let s = s.trim().trim_end_matches('日');
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = s
        .split(['-', '/', '.', '年', '月'])
        .map(str::trim)
        .collect();
    // Excel's ISO text may carry a time: "1980-01-02T00:00:00".
    let parts: Vec<&str> = parts
        .iter()
        .map(|p| {
            p.split('T')
                .next()
                .unwrap_or(p)
                .split(' ')
                .next()
                .unwrap_or(p)
        })
        .collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
    (date.year() > 1800).then_some(date)
}

/// Tags as people write them: Chinese labels or names, separated by commas, 、, semicolons or spaces.
fn parse_tags(s: &str) -> Result<Tags, ()> {
    let items: Vec<String> = s
        .split([',', '，', '、', ';', '；', '/', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| tag_of_label(t).unwrap_or(t).to_string())
        .collect();
    if items.iter().any(|t| Tag::parse(t).is_err()) {
        return Err(());
    }
    Tags::parse_list(&items).map_err(|_| ())
}

/// The Chinese labels of the known tags, the ones shown in pages and written in exports.
pub fn tag_label(name: &str) -> Option<&'static str> {
    TAG_LABELS.iter().find(|(n, _)| *n == name).map(|(_, l)| *l)
}

fn tag_of_label(label: &str) -> Option<&'static str> {
    TAG_LABELS
        .iter()
        .find(|(_, l)| *l == label)
        .map(|(n, _)| *n)
}

const TAG_LABELS: [(&str, &str); 6] = [
    ("elderly_alone", "独居老人"),
    ("elderly_no_family", "孤寡老人"),
    ("disabled", "残疾人"),
    ("chronic_illness", "慢性病"),
    ("pregnant", "孕产妇"),
    ("child", "儿童"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sheet::columns::find_layout;
    use crate::sheet::read::Sheet;

    fn t(s: &str) -> Cell {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_string())
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 2, 10).unwrap()
    }

    fn layout() -> Layout {
        let header = [
            "姓名",
            "身份证号",
            "性别",
            "出生日期",
            "联系电话",
            "人员类别",
            "楼栋",
            "单元",
            "房号",
        ];
        find_layout(&Sheet {
            name: "s".into(),
            rows: vec![header.iter().map(|h| t(h)).collect()],
        })
        .unwrap()
    }

    fn row(cells: Vec<Cell>) -> Option<Result<ResidentRow, Vec<Problem>>> {
        parse_row(&layout(), &cells, 4, today())
    }

    #[test]
    fn a_messy_but_valid_row_is_cleaned() {
        let r = row(vec![
            t(" 张 三 "),
            t("１１０１０５１９４９１２３１００２ｘ"),
            t("女"),
            Cell::Date(18263.0), // 1949-12-31
            t("+86 138-0013-8000"),
            t("独居老人、慢性病"),
            t("3栋"),
            t("2"),
            t("301室"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(r.line, 5);
        assert_eq!(r.name, "张三");
        assert_eq!(r.id_number.as_str(), "11010519491231002X");
        assert_eq!(r.phone.unwrap().as_str(), "13800138000");
        assert_eq!(r.tags.unwrap().to_stored(), "chronic_illness,elderly_alone");
        assert_eq!(
            (r.building.as_str(), r.unit.as_str(), r.room.as_str()),
            ("3号楼", "2单元", "301")
        );
    }

    #[test]
    fn ids_excel_mangled_are_refused_with_their_column() {
        for cell in [
            Cell::Number(6.50203e17),
            t("6.50203E+17"),
            t("650203198001010000"),
        ] {
            let problems = row(vec![t("李四"), cell]).unwrap().unwrap_err();
            assert_eq!(
                problems,
                vec![Problem {
                    column: "id_number",
                    code: "id_number_excel_number"
                }]
            );
        }
    }

    #[test]
    fn a_fifteen_digit_number_cell_is_upgraded() {
        let r = row(vec![t("王五"), Cell::Number(110105491231002.0)])
            .unwrap()
            .unwrap();
        assert_eq!(r.id_number.as_str().len(), 18);
    }

    #[test]
    fn contradictions_and_bad_cells_are_all_reported() {
        let problems = row(vec![
            t(""),
            t("11010519491231002X"),
            t("男"),
            t("1950-01-01"),
            t("12345"),
            t("a,b!"),
        ])
        .unwrap()
        .unwrap_err();
        let cols: Vec<_> = problems.iter().map(|p| (p.column, p.code)).collect();
        assert_eq!(
            cols,
            vec![
                ("name", "required"),
                ("sex", "sex_contradicts_id"),
                ("birth_date", "birth_date_contradicts_id"),
                ("phone", "invalid_phone"),
                ("tags", "invalid_tag"),
            ]
        );
    }

    #[test]
    fn blank_rows_are_skipped_and_masked_values_handled() {
        assert!(row(vec![t(" "), Cell::Empty]).is_none());
        let p = row(vec![t("赵六"), t("110105********002X")])
            .unwrap()
            .unwrap_err();
        assert_eq!(p[0].code, "masked_id_number");
        let r = row(vec![
            t("赵六"),
            t("11010519491231002X"),
            t(""),
            t(""),
            t("138****8000"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(r.phone, None);
    }

    #[test]
    fn dates_in_the_forms_people_type() {
        let d = NaiveDate::from_ymd_opt(1980, 1, 2);
        for s in [
            "1980-01-02",
            "1980/1/2",
            "1980.1.2",
            "19800102",
            "1980年1月2日",
            "1980-01-02T00:00:00",
        ] {
            assert_eq!(date_of(&t(s)), d, "{s}");
        }
        assert_eq!(date_of(&Cell::Number(19800102.0)), d);
        assert_eq!(date_of(&Cell::Date(29222.0)), d);
        assert_eq!(date_of(&t("1980-02-30")), None);
    }
}
