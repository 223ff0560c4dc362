//! Resident tags. The known ones drive care and reports; communities may add their own.

use std::collections::BTreeSet;

pub const KNOWN: [&str; 6] = [
    "elderly_alone",
    "elderly_no_family",
    "disabled",
    "chronic_illness",
    "pregnant",
    "child",
];

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a tag is 1 to 32 letters, digits, '_' or Chinese characters")]
pub struct TagError;

impl Tag {
    pub fn parse(input: &str) -> Result<Tag, TagError> {
        let t = input.trim();
        let ok = !t.is_empty()
            && t.chars().count() <= 32
            && t.chars().all(|c| c.is_alphanumeric() || c == '_');
        if ok {
            Ok(Tag(t.to_string()))
        } else {
            Err(TagError)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A set of tags, stored as one comma-separated text so both databases hold it the same way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(BTreeSet<Tag>);

impl Tags {
    pub fn parse_list<S: AsRef<str>>(items: &[S]) -> Result<Tags, TagError> {
        items
            .iter()
            .map(|s| Tag::parse(s.as_ref()))
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Tags)
    }

    /// Reads the stored form; it was written by `to_stored`, so nothing is dropped in practice.
    pub fn from_stored(stored: &str) -> Tags {
        Tags(
            stored
                .split(',')
                .filter_map(|s| Tag::parse(s).ok())
                .collect(),
        )
    }

    pub fn to_stored(&self) -> String {
        self.names().collect::<Vec<_>>().join(",")
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(Tag::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|t| t.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip_through_storage_sorted_and_deduplicated() {
        let t = Tags::parse_list(&["elderly_alone", "disabled", "elderly_alone", "低保"]).unwrap();
        assert_eq!(t.to_stored(), "disabled,elderly_alone,低保");
        assert_eq!(Tags::from_stored(&t.to_stored()), t);
    }

    #[test]
    fn tags_with_commas_or_empty_are_refused() {
        assert!(Tags::parse_list(&["a,b"]).is_err());
        assert!(Tags::parse_list(&[" "]).is_err());
    }
}
