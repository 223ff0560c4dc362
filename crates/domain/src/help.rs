//! Help requests of the 24-hour service (求助 / 诉求): what a request is about, how urgent it is,
//! which special group it goes to, and the moves of its life.
//!
//! new → acknowledged (one person claims it) → in progress → resolved | cancelled | duplicate;
//! new or acknowledged may also be cancelled or found a duplicate, and a closed request reopens to
//! acknowledged.

/// What the request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelpCategory {
    Ride,
    Medicine,
    Food,
    Medical,
    Emergency,
    Other,
}

impl HelpCategory {
    pub const ALL: [HelpCategory; 6] = [
        HelpCategory::Ride,
        HelpCategory::Medicine,
        HelpCategory::Food,
        HelpCategory::Medical,
        HelpCategory::Emergency,
        HelpCategory::Other,
    ];

    pub fn parse(s: &str) -> Option<HelpCategory> {
        HelpCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HelpCategory::Ride => "ride",
            HelpCategory::Medicine => "medicine",
            HelpCategory::Food => "food",
            HelpCategory::Medical => "medical",
            HelpCategory::Emergency => "emergency",
            HelpCategory::Other => "other",
        }
    }

    /// The special group (a team's kind) a request of this kind goes to: rides, medicine and food
    /// to logistics (后勤保障组), the sick to the medical group, emergencies to the emergency group,
    /// the rest to home coordination (居家协调组).
    pub fn team_kind(self) -> &'static str {
        match self {
            HelpCategory::Ride | HelpCategory::Medicine | HelpCategory::Food => "logistics",
            HelpCategory::Medical => "medical",
            HelpCategory::Emergency => "emergency",
            HelpCategory::Other => "home_coordination",
        }
    }
}

/// How soon someone must take it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Urgency {
    Normal,
    Urgent,
    Critical,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::Normal, Urgency::Urgent, Urgency::Critical];

    pub fn parse(s: &str) -> Option<Urgency> {
        Urgency::ALL.into_iter().find(|u| u.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "normal",
            Urgency::Urgent => "urgent",
            Urgency::Critical => "critical",
        }
    }
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HelpStatus {
    New,
    Acknowledged,
    InProgress,
    Resolved,
    Cancelled,
    Duplicate,
}

impl HelpStatus {
    pub const ALL: [HelpStatus; 6] = [
        HelpStatus::New,
        HelpStatus::Acknowledged,
        HelpStatus::InProgress,
        HelpStatus::Resolved,
        HelpStatus::Cancelled,
        HelpStatus::Duplicate,
    ];

    pub fn parse(s: &str) -> Option<HelpStatus> {
        HelpStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HelpStatus::New => "new",
            HelpStatus::Acknowledged => "acknowledged",
            HelpStatus::InProgress => "in_progress",
            HelpStatus::Resolved => "resolved",
            HelpStatus::Cancelled => "cancelled",
            HelpStatus::Duplicate => "duplicate",
        }
    }

    /// Still someone's work: not resolved, cancelled or a duplicate.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            HelpStatus::New | HelpStatus::Acknowledged | HelpStatus::InProgress
        )
    }

    /// The moves a request may make. Claiming (new → acknowledged) is its own compare-and-set and
    /// not among them; reopening is a closed request going back to acknowledged.
    pub fn can_become(self, to: HelpStatus) -> bool {
        use HelpStatus::*;
        match to {
            InProgress => self == Acknowledged,
            Resolved => matches!(self, Acknowledged | InProgress),
            Cancelled | Duplicate => self.is_open(),
            Acknowledged => !self.is_open(),
            New => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_move_allowed_and_refused() {
        use HelpStatus::*;
        let allowed = [
            (Acknowledged, InProgress),
            (Acknowledged, Resolved),
            (InProgress, Resolved),
            (New, Cancelled),
            (Acknowledged, Cancelled),
            (InProgress, Cancelled),
            (New, Duplicate),
            (Acknowledged, Duplicate),
            (InProgress, Duplicate),
            (Resolved, Acknowledged),
            (Cancelled, Acknowledged),
            (Duplicate, Acknowledged),
        ];
        for from in HelpStatus::ALL {
            for to in HelpStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} → {to:?}"
                );
            }
        }
    }

    #[test]
    fn names_round_trip_and_categories_find_their_group() {
        for s in HelpStatus::ALL {
            assert_eq!(HelpStatus::parse(s.as_str()), Some(s));
        }
        for c in HelpCategory::ALL {
            assert_eq!(HelpCategory::parse(c.as_str()), Some(c));
        }
        for u in Urgency::ALL {
            assert_eq!(Urgency::parse(u.as_str()), Some(u));
        }
        assert_eq!(HelpCategory::Medical.team_kind(), "medical");
        assert_eq!(HelpCategory::Ride.team_kind(), "logistics");
        assert_eq!(HelpStatus::parse("open"), None);
    }
}
