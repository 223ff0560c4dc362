//! Notices (通知) to staff with read receipts (已读回执): where a recipient's receipt stands, and who
//! a notice can be addressed to.

use crate::Role;

/// A recipient's receipt of one version of a notice. It only moves forward:
/// delivered → read → confirmed ("studied", 已学习). A new version of the notice starts it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReceiptStatus {
    Delivered,
    Read,
    Confirmed,
}

impl ReceiptStatus {
    pub const ALL: [ReceiptStatus; 3] = [
        ReceiptStatus::Delivered,
        ReceiptStatus::Read,
        ReceiptStatus::Confirmed,
    ];

    pub fn parse(s: &str) -> Option<ReceiptStatus> {
        ReceiptStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Delivered => "delivered",
            ReceiptStatus::Read => "read",
            ReceiptStatus::Confirmed => "confirmed",
        }
    }

    /// Whether a receipt at `self` moves on to `to`: only forward, never back or in place.
    pub fn advances_to(self, to: ReceiptStatus) -> bool {
        to > self
    }
}

/// The staff roles a notice can be addressed to: those who work in communities. The system roles
/// hold no jurisdiction and so are in no audience.
pub const AUDIENCE_ROLES: [Role; 5] = [
    Role::StreetOfficer,
    Role::CommunityLeader,
    Role::GridWorker,
    Role::GateGuard,
    Role::TeamMember,
];

/// Whether `role` can be in a notice's audience.
pub fn can_receive(role: Role) -> bool {
    AUDIENCE_ROLES.contains(&role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_only_move_forward() {
        use ReceiptStatus::*;
        assert!(Delivered.advances_to(Read));
        assert!(Delivered.advances_to(Confirmed));
        assert!(Read.advances_to(Confirmed));
        assert!(!Read.advances_to(Read));
        assert!(!Confirmed.advances_to(Read));
        assert!(!Confirmed.advances_to(Delivered));
        assert!(!Read.advances_to(Delivered));
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in ReceiptStatus::ALL {
            assert_eq!(ReceiptStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ReceiptStatus::parse("studied"), None);
    }

    #[test]
    fn system_roles_receive_no_notices() {
        assert!(can_receive(Role::GridWorker));
        assert!(can_receive(Role::GateGuard));
        assert!(!can_receive(Role::SystemAdmin));
        assert!(!can_receive(Role::Auditor));
        assert!(!can_receive(Role::SecurityAdmin));
    }
}
