//! Resident ID numbers (居民身份证号码) by GB 11643-1999, with the 15-digit numbers of GB 11643-1989
//! upgraded to 18 digits. The rules are in SECURITY.md section E.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::fmt;

use crate::normalize::half_width;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A valid, normalised 18-digit ID number (uppercase `X`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
    pub fn parse(s: &str) -> Option<Sex> {
        match s.trim() {
            "male" | "m" | "M" | "男" => Some(Sex::Male),
            "female" | "f" | "F" | "女" => Some(Sex::Female),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("an ID number has 18 characters (or 15 digits for an old one)")]
    Length,
    #[error("an ID number holds only digits, and X as its last character")]
    Characters,
    #[error("the check digit does not match: the number was mistyped")]
    CheckDigit,
    #[error("the birth date in the ID number is not a real date")]
    ImpossibleDate,
    #[error("the birth date in the ID number is in the future")]
    FutureDate,
    #[error(
        "this looks like a number that Excel rounded (e.g. 6.50203E+17); type the ID number as text"
    )]
    ExcelNumber,
}

impl IdNumberError {
    /// Stable snake_case code for the API and the translations.
    pub fn code(&self) -> &'static str {
        match self {
            IdNumberError::Length => "id_number_length",
            IdNumberError::Characters => "id_number_characters",
            IdNumberError::CheckDigit => "id_number_check_digit",
            IdNumberError::ImpossibleDate => "id_number_date",
            IdNumberError::FutureDate => "id_number_future_date",
            IdNumberError::ExcelNumber => "id_number_excel_number",
        }
    }
}

/// The check digit for the first 17 digits.
pub fn check_digit(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

impl IdNumber {
    /// Parses an ID number as typed: full-width digits, spaces and a lowercase `x` are accepted.
    /// `today` bounds the birth date (an ID number cannot be born tomorrow).
    pub fn parse(input: &str, today: NaiveDate) -> Result<IdNumber, IdNumberError> {
        let cleaned: String = half_width(input)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if cleaned.contains('E') || cleaned.contains('.') {
            return Err(IdNumberError::ExcelNumber);
        }
        let full = match cleaned.len() {
            18 => cleaned,
            15 => {
                if !cleaned.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(IdNumberError::Characters);
                }
                let first17 = format!("{}19{}", &cleaned[..6], &cleaned[6..]);
                let check = check_digit(first17.as_bytes());
                format!("{first17}{check}")
            }
            _ => return Err(IdNumberError::Length),
        };
        let bytes = full.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(IdNumberError::Characters);
        }
        let birth = birth_date_of(&full).ok_or(IdNumberError::ImpossibleDate)?;
        if birth > today {
            return Err(IdNumberError::FutureDate);
        }
        if check_digit(&bytes[..17]) != char::from(bytes[17]) {
            return Err(IdNumberError::CheckDigit);
        }
        Ok(IdNumber(full))
    }

    /// Builds a number from its parts, computing the check digit (demo data and tests).
    pub fn from_parts(region: &str, birth: NaiveDate, sequence: u16) -> Option<IdNumber> {
        if region.len() != 6 || !region.bytes().all(|b| b.is_ascii_digit()) || sequence > 999 {
            return None;
        }
        let first17 = format!("{region}{}{sequence:03}", birth.format("%Y%m%d"));
        let check = check_digit(first17.as_bytes());
        Some(IdNumber(format!("{first17}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Checked in `parse` and `from_parts`, so the fallback is never taken.
        birth_date_of(&self.0).unwrap_or_default()
    }

    /// The 17th digit: odd for men, even for women.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    pub fn last4(&self) -> &str {
        &self.0[14..]
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        let birth = self.birth_date();
        let mut age = day.year() - birth.year();
        if (day.month(), day.day()) < (birth.month(), birth.day()) {
            age -= 1;
        }
        age.max(0) as u32
    }
}

fn birth_date_of(full: &str) -> Option<NaiveDate> {
    let y: i32 = full.get(6..10)?.parse().ok()?;
    let m: u32 = full.get(10..12)?.parse().ok()?;
    let d: u32 = full.get(12..14)?.parse().ok()?;
    if y < 1850 {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d)
}

impl fmt::Display for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    #[test]
    fn accepts_the_examples_of_the_standard() {
        assert!(IdNumber::parse("11010519491231002X", today()).is_ok());
        assert!(IdNumber::parse("440524188001010014", today()).is_ok());
    }

    #[test]
    fn lowercase_x_full_width_digits_and_spaces_are_normalised() {
        let id = IdNumber::parse(" １１０１０５１９４９１２３１００２x ", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn fifteen_digit_numbers_are_upgraded() {
        let id = IdNumber::parse("130503670401001", today()).unwrap();
        assert_eq!(id.as_str(), "130503196704010016");
    }

    #[test]
    fn wrong_check_digit_is_refused() {
        assert_eq!(
            IdNumber::parse("110105194912310021", today()),
            Err(IdNumberError::CheckDigit)
        );
    }

    #[test]
    fn impossible_and_future_dates_are_refused() {
        assert_eq!(
            IdNumber::parse("110105194902300010", today()),
            Err(IdNumberError::ImpossibleDate)
        );
        let future =
            IdNumber::from_parts("650203", NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(), 1)
                .unwrap();
        assert_eq!(
            IdNumber::parse(future.as_str(), today()),
            Err(IdNumberError::FutureDate)
        );
    }

    #[test]
    fn excel_rounded_numbers_are_refused_with_a_hint() {
        assert_eq!(
            IdNumber::parse("6.50203E+17", today()),
            Err(IdNumberError::ExcelNumber)
        );
    }

    #[test]
    fn sex_birth_date_and_age_come_from_the_number() {
        let id = IdNumber::parse("11010519491231002X", today()).unwrap();
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.age_on(today()), 76);
        assert_eq!(id.last4(), "002X");
        let man = IdNumber::parse("440524188001010014", today()).unwrap();
        assert_eq!(man.sex(), Sex::Male);
    }

    #[test]
    fn every_number_built_from_parts_parses_back() {
        let birth = NaiveDate::from_ymd_opt(1950, 2, 28).unwrap();
        for seq in 0..1000 {
            let id = IdNumber::from_parts("650203", birth, seq).unwrap();
            assert_eq!(IdNumber::parse(id.as_str(), today()).unwrap(), id);
        }
    }

    #[test]
    fn wrong_lengths_and_letters_are_refused() {
        assert_eq!(IdNumber::parse("1234", today()), Err(IdNumberError::Length));
        assert_eq!(
            IdNumber::parse("11010519491231A02X", today()),
            Err(IdNumberError::Characters)
        );
    }
}
