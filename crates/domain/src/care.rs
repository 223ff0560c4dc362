//! Care of vulnerable residents (包干到人): what came of a call, and the home services logged.

/// What came of one try of the daily call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    ReachedWell,
    /// Reached and in need: a help request is opened for the household.
    ReachedNeedsHelp,
    NoAnswer,
    WrongNumber,
    Refused,
}

impl CallOutcome {
    pub const ALL: [CallOutcome; 5] = [
        CallOutcome::ReachedWell,
        CallOutcome::ReachedNeedsHelp,
        CallOutcome::NoAnswer,
        CallOutcome::WrongNumber,
        CallOutcome::Refused,
    ];

    pub fn parse(s: &str) -> Option<CallOutcome> {
        CallOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::ReachedWell => "reached_well",
            CallOutcome::ReachedNeedsHelp => "reached_needs_help",
            CallOutcome::NoAnswer => "no_answer",
            CallOutcome::WrongNumber => "wrong_number",
            CallOutcome::Refused => "refused",
        }
    }

    /// Only a resident reached completes the day's call: a refusal or a wrong number leaves them
    /// unheard from, and counts as a miss.
    pub fn reaches(self) -> bool {
        matches!(
            self,
            CallOutcome::ReachedWell | CallOutcome::ReachedNeedsHelp
        )
    }
}

/// A home service (cleaning, rubbish, shopping) or a door visit, as logged.
pub const VISIT_KINDS: [&str; 5] = ["cleaning", "rubbish", "shopping", "door_visit", "other"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reaching_the_resident_completes_the_call() {
        for o in CallOutcome::ALL {
            assert_eq!(CallOutcome::parse(o.as_str()), Some(o));
        }
        let reaching: Vec<_> = CallOutcome::ALL
            .into_iter()
            .filter(|o| o.reaches())
            .collect();
        assert_eq!(
            reaching,
            [CallOutcome::ReachedWell, CallOutcome::ReachedNeedsHelp]
        );
        assert_eq!(CallOutcome::parse("busy"), None);
    }
}
