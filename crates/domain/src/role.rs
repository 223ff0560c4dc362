//! Roles of MISSION.md and the rights they carry. Deny by default: a right not listed here is refused.
//!
//! The three system roles are separated (三权分立): the system admin runs accounts and units but cannot
//! read the audit log, the security admin sets roles and scopes, the auditor only reads the audit log.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    StreetOfficer,
    CommunityLeader,
    GridWorker,
    GateGuard,
    TeamMember,
    SystemAdmin,
    SecurityAdmin,
    Auditor,
}

/// What an account may do. Jurisdiction (which records) is a separate matter, applied in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Right {
    /// List and read residents and households of the jurisdiction, masked.
    ReadRegistry,
    /// Create, correct and delete residents and households.
    EditRegistry,
    /// See a full ID number or phone (after re-authentication; audited).
    Unmask,
    /// See a resident's phone, and only that, to call them: the medical group reaching a person
    /// with a fever (after re-authentication; audited).
    CallResidents,
    /// Assign staff of the jurisdiction to grids and teams.
    ManageStaff,
    /// Create, disable and reset accounts; manage org units.
    ManageAccounts,
    /// Grant roles and jurisdictions.
    ManageRoles,
    /// Read and export the audit log.
    ReadAudit,
    /// Scan passes at a gate.
    ScanGate,
    /// Load residents from a spreadsheet (creates and corrects many at once).
    ImportRegistry,
    /// Download residents as a spreadsheet (masked unless `Unmask` and re-authentication).
    ExportRegistry,
    /// Record temperatures, symptoms and quarantine follow-ups.
    RecordHealth,
    /// See health checks, alerts, quarantines and observation sites of the jurisdiction.
    ReadHealth,
    /// Follow up and close alerts; move a transfer to an observation site along.
    HandleAlerts,
    /// Start, release and transfer quarantine episodes; run observation sites; set risk areas and
    /// decide on the residents they put at risk.
    ManageQuarantine,
    /// Create survey campaigns (摸排) and assign them to grids.
    ManageSurveys,
    /// Set a community's gate rules, print and revoke household passes.
    ManageGates,
    /// See the gate log: counts per hour, who is out, refusals; export it.
    ReadGateLog,
    /// Read daily reports and dashboards of the jurisdiction.
    ReadReports,
    /// Review, remark on and submit (上报) a community's daily report, and correct a submitted one.
    SubmitReports,
    /// Return a submitted report to its community for correction.
    ReviewReports,
    /// Take help requests (求助) at any hour, claim them and see them through.
    HandleHelpRequests,
    /// See the supplies of the jurisdiction: stock, needs and their totals (a street: totals).
    ReadSupplies,
    /// Record what households need (物资需求).
    RecordNeeds,
    /// Work a community's store: movements, stocktakes, purchases, donations, deliveries (a team
    /// member only of the community's logistics group, 后勤保障组).
    WorkStore,
    /// Keep the catalogue and a community's caps and minimum stock.
    ManageSupplies,
    /// Receive notices (通知) and answer them with a read receipt.
    ReadNotices,
    /// Publish notices to the staff of the jurisdiction (and residents), see who has read and
    /// studied them, and issue a new version.
    PublishNotices,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::StreetOfficer,
        Role::CommunityLeader,
        Role::GridWorker,
        Role::GateGuard,
        Role::TeamMember,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::Auditor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::StreetOfficer => "street_officer",
            Role::CommunityLeader => "community_leader",
            Role::GridWorker => "grid_worker",
            Role::GateGuard => "gate_guard",
            Role::TeamMember => "team_member",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn has(self, right: Right) -> bool {
        use Right::*;
        let rights: &[Right] = match self {
            Role::StreetOfficer => &[
                ReadRegistry,
                ExportRegistry,
                ReadHealth,
                ManageQuarantine,
                ReadGateLog,
                ReadReports,
                ReviewReports,
                ReadSupplies,
                ManageSupplies,
                ReadNotices,
                PublishNotices,
            ],
            Role::CommunityLeader => &[
                ReadRegistry,
                EditRegistry,
                Unmask,
                CallResidents,
                ManageStaff,
                ImportRegistry,
                ExportRegistry,
                RecordHealth,
                ReadHealth,
                HandleAlerts,
                ManageQuarantine,
                ManageSurveys,
                ManageGates,
                ReadGateLog,
                ReadReports,
                SubmitReports,
                HandleHelpRequests,
                ReadSupplies,
                RecordNeeds,
                WorkStore,
                ManageSupplies,
                ReadNotices,
                PublishNotices,
            ],
            Role::GridWorker => &[
                ReadRegistry,
                EditRegistry,
                Unmask,
                CallResidents,
                ImportRegistry,
                ExportRegistry,
                RecordHealth,
                ReadHealth,
                ReadReports,
                HandleHelpRequests,
                ReadSupplies,
                RecordNeeds,
                ReadNotices,
            ],
            Role::GateGuard => &[ScanGate, ReadGateLog, ReadNotices],
            Role::TeamMember => &[
                ReadRegistry,
                CallResidents,
                RecordHealth,
                ReadHealth,
                HandleAlerts,
                ReadReports,
                HandleHelpRequests,
                ReadSupplies,
                WorkStore,
                ReadNotices,
            ],
            Role::SystemAdmin => &[ManageAccounts],
            Role::SecurityAdmin => &[ManageRoles],
            Role::Auditor => &[ReadAudit],
        };
        rights.contains(&right)
    }

    /// System roles hold no jurisdiction: they never see residents.
    pub fn is_system(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::Auditor
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn duties_are_separated() {
        assert!(!Role::SystemAdmin.has(Right::ReadAudit));
        assert!(!Role::Auditor.has(Right::EditRegistry));
        assert!(!Role::Auditor.has(Right::ReadRegistry));
        assert!(!Role::SecurityAdmin.has(Right::ReadAudit));
        assert!(!Role::StreetOfficer.has(Right::Unmask));
        assert!(!Role::GateGuard.has(Right::ReadRegistry));
        assert!(!Role::StreetOfficer.has(Right::ImportRegistry));
        assert!(!Role::TeamMember.has(Right::ExportRegistry));
        assert!(!Role::SystemAdmin.has(Right::ImportRegistry));
        assert!(!Role::GridWorker.has(Right::WorkStore));
        assert!(!Role::StreetOfficer.has(Right::WorkStore));
        assert!(!Role::GateGuard.has(Right::ReadSupplies));
    }
}
