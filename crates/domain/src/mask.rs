//! Display masking done by the server (SECURITY.md section D).

/// `650203********1234`: the first 6 and the last 4 characters.
pub fn id_number(full: &str) -> String {
    let chars: Vec<char> = full.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// `138****5678`: the first 3 and the last 4 digits.
pub fn phone(full: &str) -> String {
    let chars: Vec<char> = full.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// `张*`, `欧阳**`: the surname stays so that a guard can greet the person.
pub fn name(full: &str) -> String {
    let mut chars = full.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// True when a value sent back by a client still holds masking stars, so that an update never
/// overwrites a real value with its placeholder.
pub fn is_masked(value: &str) -> bool {
    value.contains('*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_keep_first_six_and_last_four() {
        assert_eq!(id_number("65020319491231002X"), "650203********002X");
    }

    #[test]
    fn phones_keep_first_three_and_last_four() {
        assert_eq!(phone("13812345678"), "138****5678");
    }

    #[test]
    fn names_keep_the_surname() {
        assert_eq!(name("李大爷"), "李**");
        assert_eq!(name("李"), "李*");
    }

    #[test]
    fn masked_values_are_recognised() {
        assert!(is_masked(&phone("13812345678")));
        assert!(!is_masked("13812345678"));
    }
}
