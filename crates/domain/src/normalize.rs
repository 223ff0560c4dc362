//! Clean-up shared by every parser: people type full-width digits and letters on Chinese keyboards,
//! and Excel sheets carry stray spaces.

/// Turns full-width ASCII (U+FF01–U+FF5E) into ASCII, the ideographic space into a space, and trims.
pub fn half_width(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_letters_and_spaces_become_ascii() {
        assert_eq!(half_width("\u{3000}１３８ｘ "), "138x");
    }
}
