//! Vehicle plates (机动车号牌) by the rules of SECURITY.md section E.

use std::fmt;

use crate::normalize::half_width;

const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领";
const SUFFIXES: &str = "挂学警港澳";

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Plate(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a plate is a province character, a letter and 5 or 6 letters or digits, e.g. 新J12345")]
pub struct PlateError;

fn serial_char(c: char) -> bool {
    (c.is_ascii_uppercase() && c != 'I' && c != 'O') || c.is_ascii_digit()
}

impl Plate {
    pub fn parse(input: &str) -> Result<Plate, PlateError> {
        let s: String = half_width(input)
            .chars()
            .filter(|c| !matches!(c, '·' | '•' | '.' | ' ' | '-'))
            .collect::<String>()
            .to_uppercase();
        let chars: Vec<char> = s.chars().collect();
        if chars.len() < 7 || !PROVINCES.contains(chars[0]) {
            return Err(PlateError);
        }
        let authority = chars[1];
        if !(authority.is_ascii_uppercase() && authority != 'I' && authority != 'O') {
            return Err(PlateError);
        }
        let rest = &chars[2..];
        let ordinary = |r: &[char]| r.len() == 5 && r.iter().all(|&c| serial_char(c));
        let valid = match rest.len() {
            5 => ordinary(rest),
            6 if SUFFIXES.contains(rest[5]) => ordinary(&rest[..5]),
            6 => {
                let small = matches!(rest[0], 'D' | 'F')
                    && serial_char(rest[1])
                    && rest[2..].iter().all(char::is_ascii_digit);
                let large =
                    rest[..5].iter().all(char::is_ascii_digit) && matches!(rest[5], 'D' | 'F');
                small || large
            }
            _ => false,
        };
        if valid { Ok(Plate(s)) } else { Err(PlateError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Plate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_plates_are_uppercased_and_stripped() {
        assert_eq!(Plate::parse("新J·12345").unwrap().as_str(), "新J12345");
        assert_eq!(Plate::parse(" 新j 1234a ").unwrap().as_str(), "新J1234A");
        assert_eq!(Plate::parse("新J12345挂").unwrap().as_str(), "新J12345挂");
    }

    #[test]
    fn new_energy_plates_are_accepted() {
        assert!(Plate::parse("新JD12345").is_ok());
        assert!(Plate::parse("新JD1234X").is_err());
        assert!(Plate::parse("京A12345D").is_ok());
    }

    #[test]
    fn malformed_plates_are_refused() {
        for raw in [
            "J12345",
            "新I12345",
            "新J1234O",
            "新J123",
            "新J1234567",
            "美A12345",
            "",
        ] {
            assert!(Plate::parse(raw).is_err(), "{raw}");
        }
    }
}
