//! Mainland mobile phone numbers: strip spaces, dashes and a `+86`/`0086` prefix, then `^1[3-9]\d{9}$`.

use std::fmt;

use crate::normalize::half_width;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a mobile phone number has 11 digits and starts with 13–19")]
pub struct PhoneError;

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let cleaned: String = half_width(input)
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
            .collect();
        let digits = cleaned
            .strip_prefix("+86")
            .or_else(|| cleaned.strip_prefix("0086"))
            .unwrap_or(&cleaned);
        let b = digits.as_bytes();
        let valid = b.len() == 11
            && b.iter().all(u8::is_ascii_digit)
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1]);
        if valid {
            Ok(Phone(digits.to_string()))
        } else {
            Err(PhoneError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_spaces_and_dashes_are_stripped() {
        for raw in [
            "13812345678",
            "+86 138-1234-5678",
            "0086 13812345678",
            "１３８１２３４５６７８",
        ] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), "13812345678", "{raw}");
        }
    }

    #[test]
    fn landlines_short_numbers_and_letters_are_refused() {
        for raw in [
            "12345",
            "12812345678",
            "0990-1234567",
            "1381234567a",
            "138123456789",
            "",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw}");
        }
    }
}
