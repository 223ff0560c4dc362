//! Door deliveries (配送到户) of a community store: where a delivery stands and why one failed.

/// Where a household's delivery stands.
///
/// scheduled → out (the goods leave the store) → delivered | failed (the goods come back) →
/// scheduled again (rescheduled); scheduled or failed may be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    Scheduled,
    Out,
    Delivered,
    Failed,
    Cancelled,
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 5] = [
        DeliveryStatus::Scheduled,
        DeliveryStatus::Out,
        DeliveryStatus::Delivered,
        DeliveryStatus::Failed,
        DeliveryStatus::Cancelled,
    ];

    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Scheduled => "scheduled",
            DeliveryStatus::Out => "out",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Cancelled => "cancelled",
        }
    }

    pub fn can_become(self, to: DeliveryStatus) -> bool {
        use DeliveryStatus::*;
        matches!(
            (self, to),
            (Scheduled, Out)
                | (Out, Delivered)
                | (Out, Failed)
                | (Failed, Scheduled)
                | (Scheduled, Cancelled)
                | (Failed, Cancelled)
        )
    }
}

/// Why a delivery did not reach the household.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryFailure {
    NobodyHome,
    Refused,
    Other,
}

impl DeliveryFailure {
    pub const ALL: [DeliveryFailure; 3] = [
        DeliveryFailure::NobodyHome,
        DeliveryFailure::Refused,
        DeliveryFailure::Other,
    ];

    pub fn parse(s: &str) -> Option<DeliveryFailure> {
        DeliveryFailure::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryFailure::NobodyHome => "nobody_home",
            DeliveryFailure::Refused => "refused",
            DeliveryFailure::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        for f in DeliveryFailure::ALL {
            assert_eq!(DeliveryFailure::parse(f.as_str()), Some(f));
        }
        assert_eq!(DeliveryStatus::parse("lost"), None);
    }

    #[test]
    fn a_delivered_or_cancelled_delivery_is_final() {
        for to in DeliveryStatus::ALL {
            assert!(!DeliveryStatus::Delivered.can_become(to));
            assert!(!DeliveryStatus::Cancelled.can_become(to));
        }
        // Goods out of the store cannot be cancelled: they come back as a failure first.
        assert!(!DeliveryStatus::Out.can_become(DeliveryStatus::Cancelled));
        assert!(DeliveryStatus::Failed.can_become(DeliveryStatus::Scheduled));
    }
}
