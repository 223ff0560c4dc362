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

/// Leading zeros go ("03" is 3), but "0" stays "0".
fn no_leading_zeros(digits: &str) -> &str {
    let z = digits.trim_start_matches('0');
    if z.is_empty() { "0" } else { z }
}

#[cfg(test)]
mod tests {
    use super::*;

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
