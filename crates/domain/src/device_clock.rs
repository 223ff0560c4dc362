//! A phone's clock, as sent with a record taken offline and replayed later. It is kept beside the
//! server's time and trusted only when plausible: a phone set in the future, or a record days old,
//! is flagged and the server's time decides instead.

/// How far ahead of the server a phone may run before its time is not believed (clocks drift).
pub const AHEAD_ALLOWED_SECS: i64 = 5 * 60;
/// How old a queued record may be and still count on its own day.
pub const AGE_ALLOWED_SECS: i64 = 2 * 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceClock {
    /// Plausible: the record counts at the phone's time.
    Fine,
    /// Ahead of the server: a wrong clock.
    Future,
    /// Days old: a wrong clock, or a queue forgotten for days; worth a look.
    Old,
}

impl DeviceClock {
    pub fn judge(device_at: i64, server_at: i64) -> DeviceClock {
        if device_at > server_at + AHEAD_ALLOWED_SECS {
            DeviceClock::Future
        } else if device_at < server_at - AGE_ALLOWED_SECS {
            DeviceClock::Old
        } else {
            DeviceClock::Fine
        }
    }

    /// The flag shown with the record: None when plausible.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            DeviceClock::Fine => None,
            DeviceClock::Future => Some("future"),
            DeviceClock::Old => Some("old"),
        }
    }

    /// The time the record counts at: the phone's when plausible, else the server's.
    pub fn counts_at(device_at: Option<i64>, server_at: i64) -> i64 {
        match device_at {
            Some(d) if DeviceClock::judge(d, server_at) == DeviceClock::Fine => d.min(server_at),
            _ => server_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plausible_phone_time_counts_and_a_wrong_one_is_flagged() {
        let now = 1_700_000_000;
        assert_eq!(DeviceClock::judge(now - 3600, now), DeviceClock::Fine);
        assert_eq!(DeviceClock::judge(now + 60, now), DeviceClock::Fine);
        assert_eq!(DeviceClock::judge(now + 3600, now), DeviceClock::Future);
        assert_eq!(DeviceClock::judge(now - 3 * 86_400, now), DeviceClock::Old);
        assert_eq!(DeviceClock::counts_at(Some(now - 3600), now), now - 3600);
        // A minute ahead is drift: it counts now, not in the future.
        assert_eq!(DeviceClock::counts_at(Some(now + 60), now), now);
        assert_eq!(DeviceClock::counts_at(Some(now + 3600), now), now);
        assert_eq!(DeviceClock::counts_at(Some(now - 3 * 86_400), now), now);
        assert_eq!(DeviceClock::counts_at(None, now), now);
        assert_eq!(DeviceClock::Old.flag(), Some("old"));
    }
}
