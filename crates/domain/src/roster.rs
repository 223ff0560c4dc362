//! The duty roster (值班表): which special group a shift is for, and the arithmetic of half-open
//! intervals of unix seconds that turns weekly patterns, one-off shifts, days off and swaps into
//! who is on duty when, and where nobody is.

/// A group that keeps a duty roster: the four special groups of a community and its duty leader
/// (值班领导).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DutyGroup {
    Logistics,
    HomeCoordination,
    Medical,
    Emergency,
    DutyLeader,
}

impl DutyGroup {
    pub const ALL: [DutyGroup; 5] = [
        DutyGroup::Logistics,
        DutyGroup::HomeCoordination,
        DutyGroup::Medical,
        DutyGroup::Emergency,
        DutyGroup::DutyLeader,
    ];

    pub fn parse(s: &str) -> Option<DutyGroup> {
        DutyGroup::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// The name as stored: a team's kind, or `duty_leader`.
    pub fn as_str(self) -> &'static str {
        match self {
            DutyGroup::Logistics => "logistics",
            DutyGroup::HomeCoordination => "home_coordination",
            DutyGroup::Medical => "medical",
            DutyGroup::Emergency => "emergency",
            DutyGroup::DutyLeader => "duty_leader",
        }
    }

    /// A special group whose members are a team's (`teams.kind`); the duty leader is any leader
    /// of the community.
    pub fn is_team(self) -> bool {
        self != DutyGroup::DutyLeader
    }
}

/// `[start, end)` in unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    pub fn new(start: i64, end: i64) -> Span {
        Span { start, end }
    }

    pub fn is_empty(self) -> bool {
        self.end <= self.start
    }

    pub fn contains(self, t: i64) -> bool {
        self.start <= t && t < self.end
    }

    pub fn seconds(self) -> i64 {
        (self.end - self.start).max(0)
    }

    /// The part of `self` within `other`, possibly empty.
    pub fn clip(self, other: Span) -> Span {
        Span::new(self.start.max(other.start), self.end.min(other.end))
    }
}

/// The spans sorted, with overlapping and touching ones joined and empty ones dropped.
pub fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| !s.is_empty());
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// What of `spans` is left once `cut` is taken away.
pub fn subtract(spans: &[Span], cut: &[Span]) -> Vec<Span> {
    let cut = merge(cut.to_vec());
    let mut out = Vec::new();
    for s in merge(spans.to_vec()) {
        let mut rest = s;
        for c in &cut {
            if c.end <= rest.start || c.start >= rest.end {
                continue;
            }
            if c.start > rest.start {
                out.push(Span::new(rest.start, c.start));
            }
            rest.start = rest.start.max(c.end);
            if rest.is_empty() {
                break;
            }
        }
        if !rest.is_empty() {
            out.push(rest);
        }
    }
    out
}

/// Where `spans` overlap `window`.
pub fn intersect(spans: &[Span], window: Span) -> Vec<Span> {
    merge(spans.iter().map(|s| s.clip(window)).collect())
}

/// The parts of `window` that no span covers: the hours with nobody on duty.
pub fn gaps(window: Span, covered: &[Span]) -> Vec<Span> {
    subtract(&[window], covered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(a: i64, b: i64) -> Span {
        Span::new(a, b)
    }

    #[test]
    fn overlapping_and_touching_spans_join() {
        assert_eq!(
            merge(vec![s(5, 8), s(0, 3), s(3, 4), s(7, 10), s(12, 12)]),
            vec![s(0, 4), s(5, 10)]
        );
    }

    #[test]
    fn a_cut_in_the_middle_leaves_two_parts() {
        assert_eq!(subtract(&[s(0, 10)], &[s(3, 5)]), vec![s(0, 3), s(5, 10)]);
        assert_eq!(subtract(&[s(0, 10)], &[s(0, 10)]), vec![]);
        assert_eq!(
            subtract(&[s(0, 4), s(6, 10)], &[s(2, 7), s(9, 20)]),
            vec![s(0, 2), s(7, 9)]
        );
        assert_eq!(subtract(&[s(0, 4)], &[s(4, 8)]), vec![s(0, 4)]);
    }

    #[test]
    fn gaps_are_the_window_nobody_covers() {
        let window = s(0, 24);
        assert_eq!(gaps(window, &[s(0, 8), s(8, 16)]), vec![s(16, 24)]);
        assert_eq!(gaps(window, &[s(-5, 30)]), vec![]);
        assert_eq!(gaps(window, &[]), vec![window]);
        // Half-open: a shift ending at 8 and one starting at 9 leave [8, 9).
        assert_eq!(gaps(window, &[s(0, 8), s(9, 24)]), vec![s(8, 9)]);
    }

    #[test]
    fn intersect_clips_to_the_window() {
        assert_eq!(
            intersect(&[s(-3, 2), s(5, 40)], s(0, 24)),
            vec![s(0, 2), s(5, 24)]
        );
        assert!(s(0, 2).contains(0) && !s(0, 2).contains(2));
    }

    #[test]
    fn groups_round_trip() {
        for g in DutyGroup::ALL {
            assert_eq!(DutyGroup::parse(g.as_str()), Some(g));
        }
        assert!(!DutyGroup::DutyLeader.is_team());
        assert_eq!(DutyGroup::parse("leader"), None);
    }
}
