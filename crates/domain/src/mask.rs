//! Display masking done by the server (SECURITY.md section D).

/// `650203********1234`: the first 6 and the last 4 characters.
pub fn id_number(full: &str) -> String {
    keep_ends(full, 6, 4)
}

/// `138****5678`: the first 3 and the last 4 digits.
pub fn phone(full: &str) -> String {
    keep_ends(full, 3, 4)
}

/// `张*`, `欧阳**`: the surname stays so that a guard can greet the person.
pub fn name(full: &str) -> String {
    let mut chars = full.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            let mut masked = String::with_capacity(first.len_utf8() + rest);
            masked.push(first);
            push_stars(&mut masked, rest);
            masked
        }
        None => String::new(),
    }
}

/// The first `head` and the last `tail` characters of `full` with a star for each between; all
/// stars when it is too short to keep both. Built in one allocation, without formatting: a list
/// masks three or four values per row.
fn keep_ends(full: &str, head: usize, tail: usize) -> String {
    let count = full.chars().count();
    let mut masked = String::with_capacity(full.len());
    if count < head + tail {
        push_stars(&mut masked, count);
        return masked;
    }
    let head_end = full.char_indices().nth(head).map_or(full.len(), |(i, _)| i);
    let tail_start = full
        .char_indices()
        .nth(count - tail)
        .map_or(full.len(), |(i, _)| i);
    masked.push_str(&full[..head_end]);
    push_stars(&mut masked, count - head - tail);
    masked.push_str(&full[tail_start..]);
    masked
}

fn push_stars(s: &mut String, n: usize) {
    s.extend(std::iter::repeat_n('*', n));
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
    fn short_and_wide_values_mask_by_characters() {
        assert_eq!(id_number("123456789"), "*********");
        assert_eq!(id_number("1234567890"), "1234567890");
        assert_eq!(phone("123456"), "******");
        assert_eq!(phone("1234567"), "1234567");
        assert_eq!(phone("+86 138 1234 5678"), "+86**********5678");
        // Characters, not bytes: a value typed with full-width digits keeps whole characters.
        assert_eq!(phone("１３８１２３４５６７８"), "１３８****５６７８");
        assert_eq!(id_number(""), "");
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
