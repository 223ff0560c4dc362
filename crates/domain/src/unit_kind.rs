//! Levels of the jurisdiction tree: city → district → street → community → grid.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    City,
    District,
    Street,
    Community,
    Grid,
}

impl UnitKind {
    pub const ALL: [UnitKind; 5] = [
        UnitKind::City,
        UnitKind::District,
        UnitKind::Street,
        UnitKind::Community,
        UnitKind::Grid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::City => "city",
            UnitKind::District => "district",
            UnitKind::Street => "street",
            UnitKind::Community => "community",
            UnitKind::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind a child of this unit must have; a grid has no child units.
    pub fn child(self) -> Option<UnitKind> {
        match self {
            UnitKind::City => Some(UnitKind::District),
            UnitKind::District => Some(UnitKind::Street),
            UnitKind::Street => Some(UnitKind::Community),
            UnitKind::Community => Some(UnitKind::Grid),
            UnitKind::Grid => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_level_has_the_next_as_child() {
        assert_eq!(UnitKind::City.child(), Some(UnitKind::District));
        assert_eq!(UnitKind::Grid.child(), None);
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Some(k));
        }
    }
}
