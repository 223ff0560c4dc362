//! How people write the parts of an address: a building, a unit and a room each named one way,
//! whether typed in a form, read from a sheet or given at the gate, so that one place is one place.

/// "3", "3栋", "3幢", "3号" and "3号楼" are one building: 3号楼.
pub fn building_name(s: &str) -> String {
    let core = s
        .trim_end_matches("号楼")
        .trim_end_matches(['栋', '幢', '号', '楼']);
    if !core.is_empty() && core.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}号楼", no_leading_zeros(core))
    } else {
        s.to_string()
    }
}

/// "2" and "2单元" are one unit: 2单元.
pub fn unit_name(s: &str) -> String {
    let core = s.trim_end_matches("单元");
    if !core.is_empty() && core.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}单元", no_leading_zeros(core))
    } else {
        s.to_string()
    }
}

/// "301", "301室" and "301号" are one room: 301.
pub fn room_name(s: &str) -> String {
    s.trim_end_matches(['室', '号']).to_string()
}

/// A name as it sorts for a person walking the grid: its runs of digits by their number, so that
/// 2号楼 comes before 10号楼 and 1单元 before 12单元 (as text, "10" sorts before "2").
pub fn walking_order(s: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut digits = String::new();
    let mut text = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            digits.push(c);
        } else {
            if !digits.is_empty() {
                parts.push(Part::number(&std::mem::take(&mut digits)));
            }
            text.push(c);
        }
    }
    if !digits.is_empty() {
        parts.push(Part::number(&digits));
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    parts
}

/// One run of a name in `walking_order`: numbers sort before words, as 3号楼 before 商铺.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// The digits without leading zeros, ordered by length first: their number, however long.
    Number(usize, String),
    Text(String),
}

impl Part {
    fn number(digits: &str) -> Part {
        let d = no_leading_zeros(digits);
        Part::Number(d.len(), d.to_string())
    }
}

/// Leading zeros go ("03" is 3), but "0" stays "0".
fn no_leading_zeros(digits: &str) -> &str {
    let z = digits.trim_start_matches('0');
    if z.is_empty() { "0" } else { z }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buildings_units_and_rooms_sort_by_their_numbers() {
        let mut buildings = vec![
            "10号楼",
            "2号楼",
            "1号楼",
            "商铺",
            "02号楼",
            "99999999999999999999号楼",
        ];
        buildings.sort_by_key(|n| walking_order(n));
        assert_eq!(
            buildings,
            [
                "1号楼",
                "2号楼",
                "02号楼",
                "10号楼",
                "99999999999999999999号楼",
                "商铺"
            ]
        );
        let mut units = vec!["12单元", "1单元", "3单元"];
        units.sort_by_key(|n| walking_order(n));
        assert_eq!(units, ["1单元", "3单元", "12单元"]);
        let mut rooms = vec!["1101", "201", "1001", "301"];
        rooms.sort_by_key(|r| walking_order(r));
        assert_eq!(rooms, ["201", "301", "1001", "1101"]);
    }

    #[test]
    fn buildings_units_and_rooms_are_named_one_way() {
        for b in ["3", "3栋", "3幢", "3号", "3号楼", "03"] {
            assert_eq!(building_name(b), "3号楼");
        }
        assert_eq!(building_name("综合楼"), "综合楼");
        assert_eq!(unit_name("2"), "2单元");
        assert_eq!(room_name("301室"), "301");
    }
}
