//! Finding the columns of a residents sheet by their headers, Chinese or English, in any order.

use shouhu_domain::normalize::half_width;

use super::read::{Cell, Sheet};

/// The columns shouhu reads. The order is the order of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    Grid,
    Building,
    Unit,
    Room,
    Address,
    Name,
    IdNumber,
    Sex,
    BirthDate,
    Phone,
    Relation,
    Tags,
    Note,
}

impl Column {
    pub const ALL: [Column; 13] = [
        Column::Grid,
        Column::Building,
        Column::Unit,
        Column::Room,
        Column::Address,
        Column::Name,
        Column::IdNumber,
        Column::Sex,
        Column::BirthDate,
        Column::Phone,
        Column::Relation,
        Column::Tags,
        Column::Note,
    ];

    /// The field name used in API answers and error reports.
    pub fn key(self) -> &'static str {
        match self {
            Column::Grid => "grid",
            Column::Building => "building",
            Column::Unit => "unit",
            Column::Room => "room",
            Column::Address => "address",
            Column::Name => "name",
            Column::IdNumber => "id_number",
            Column::Sex => "sex",
            Column::BirthDate => "birth_date",
            Column::Phone => "phone",
            Column::Relation => "relation",
            Column::Tags => "tags",
            Column::Note => "note",
        }
    }

    /// The Chinese header written in exports (the first synonym).
    pub fn header(self) -> &'static str {
        self.synonyms()[0]
    }

    /// Header texts that name this column, compared after `normalize_header`.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Column::Grid => &["网格", "所属网格", "网格名称", "网格编码", "grid"],
            Column::Building => &["楼栋", "楼号", "楼栋号", "楼", "栋", "building"],
            Column::Unit => &["单元", "单元号", "unit"],
            Column::Room => &["门牌号", "房号", "室", "房间号", "户号", "room"],
            Column::Address => &["地址", "住址", "家庭住址", "现住址", "address"],
            Column::Name => &["姓名", "名字", "居民姓名", "name"],
            Column::IdNumber => &[
                "身份证号",
                "公民身份号码",
                "身份证号码",
                "身份证",
                "证件号码",
                "id_number",
                "idnumber",
                "id",
            ],
            Column::Sex => &["性别", "sex", "gender"],
            Column::BirthDate => &["出生日期", "出生年月", "生日", "birth_date", "birthdate"],
            Column::Phone => &[
                "联系电话",
                "手机号",
                "手机号码",
                "电话",
                "手机",
                "联系方式",
                "phone",
                "mobile",
            ],
            Column::Relation => &["与户主关系", "关系", "relation"],
            Column::Tags => &["人员类别", "标签", "类别", "tags"],
            Column::Note => &["备注", "note", "notes"],
        }
    }
}

/// Header text as compared: half-width, no spaces, no `*` marks, no bracketed hints, lowercase.
fn normalize_header(s: &str) -> String {
    let s = half_width(s).to_lowercase();
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            c if c.is_whitespace() || c == '*' || c == ':' || c == '：' => {}
            c => out.push(c),
        }
    }
    out.replace(' ', "_")
}

pub fn column_of(header: &str) -> Option<Column> {
    let h = normalize_header(header);
    Column::ALL
        .into_iter()
        .find(|c| c.synonyms().iter().any(|s| *s == h))
}

/// Where the header is and which sheet column holds which field.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Index of the header row in the sheet (0-based).
    pub header_row: usize,
    /// (sheet column index, column), in sheet order.
    pub columns: Vec<(usize, Column)>,
    /// Headers that name nothing shouhu knows: reported, then ignored.
    pub unknown: Vec<String>,
    /// Headers that name a column already found: the first one wins.
    pub duplicate: Vec<String>,
}

impl Layout {
    pub fn index(&self, c: Column) -> Option<usize> {
        self.columns.iter().find(|(_, k)| *k == c).map(|(i, _)| *i)
    }
}

/// Title rows and merged cells may come first: the header is the first of the first 30 rows that
/// names both the name and the ID number columns.
pub fn find_layout(sheet: &Sheet) -> Option<Layout> {
    sheet.rows.iter().take(30).enumerate().find_map(|(i, row)| {
        let mut columns: Vec<(usize, Column)> = Vec::new();
        let (mut unknown, mut duplicate) = (Vec::new(), Vec::new());
        for (j, cell) in row.iter().enumerate() {
            let Cell::Text(text) = cell else { continue };
            if text.trim().is_empty() {
                continue;
            }
            match column_of(text) {
                Some(c) if columns.iter().any(|(_, k)| *k == c) => {
                    duplicate.push(text.trim().to_string())
                }
                Some(c) => columns.push((j, c)),
                None => unknown.push(text.trim().to_string()),
            }
        }
        let has = |c| columns.iter().any(|(_, k)| *k == c);
        (has(Column::Name) && has(Column::IdNumber)).then_some(Layout {
            header_row: i,
            columns,
            unknown,
            duplicate,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_row(cells: &[&str]) -> Vec<Cell> {
        cells
            .iter()
            .map(|s| {
                if s.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(s.to_string())
                }
            })
            .collect()
    }

    #[test]
    fn the_header_is_found_below_a_title_in_any_order_with_synonyms() {
        let sheet = Sheet {
            name: "Sheet1".into(),
            rows: vec![
                text_row(&["南泉社区居民花名册（2020年2月）", "", ""]),
                text_row(&[]),
                text_row(&[
                    "序号",
                    "公民身份号码",
                    "  姓 名 ",
                    "手机号*",
                    "门牌号（室）",
                    "Ｇｒｉｄ",
                ]),
            ],
        };
        let l = find_layout(&sheet).unwrap();
        assert_eq!(l.header_row, 2);
        assert_eq!(l.index(Column::IdNumber), Some(1));
        assert_eq!(l.index(Column::Name), Some(2));
        assert_eq!(l.index(Column::Phone), Some(3));
        assert_eq!(l.index(Column::Room), Some(4));
        assert_eq!(l.index(Column::Grid), Some(5));
        assert_eq!(l.unknown, vec!["序号".to_string()]);
    }

    #[test]
    fn a_sheet_without_name_and_id_columns_has_no_header() {
        let sheet = Sheet {
            name: "s".into(),
            rows: vec![
                text_row(&["姓名", "电话"]),
                text_row(&["张三", "13800000000"]),
            ],
        };
        assert_eq!(find_layout(&sheet), None);
    }

    #[test]
    fn every_export_header_is_read_back_as_its_column() {
        for c in Column::ALL {
            assert_eq!(column_of(c.header()), Some(c));
            assert_eq!(column_of(c.key()), Some(c));
        }
    }
}
