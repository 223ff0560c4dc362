//! Quarantine episodes, their follow-ups, and whether a household is under home isolation. The
//! views and operations shared by the API (`web::api::quarantine`, which adds the handlers) and the
//! pages.

use crate::db::quarantine::Quarantine;
use crate::service::caller::Names;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuarantineBody {
    pub resident_id: i64,
    /// home, centralized or hospital.
    pub kind: String,
    pub reason: String,
    /// YYYY-MM-DD; today or earlier starts the episode now.
    pub start_date: String,
    /// YYYY-MM-DD, not before the start; by default 14 days after it.
    pub planned_end_date: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuarantineView {
    pub id: i64,
    pub resident_id: i64,
    /// Masked.
    pub resident_name: String,
    pub household_id: i64,
    pub address: String,
    pub grid_code: String,
    pub kind: String,
    pub reason: String,
    pub start_date: String,
    pub planned_end_date: String,
    pub status: String,
    pub site_id: Option<i64>,
    pub last_follow_up: Option<String>,
    pub version: i64,
}

pub fn view(q: &Quarantine, names: Names) -> QuarantineView {
    QuarantineView {
        id: q.id,
        resident_id: q.resident_id,
        resident_name: names.show(&q.resident_name),
        household_id: q.household_id,
        address: q.address.clone(),
        grid_code: q.grid_code.clone(),
        kind: q.kind.clone(),
        reason: q.reason.clone(),
        start_date: q.start_date.clone(),
        planned_end_date: q.planned_end_date.clone(),
        status: q.status.clone(),
        site_id: q.site_id,
        last_follow_up: q.last_follow_up.clone(),
        version: q.version,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub unit: Option<String>,
    /// planned, active, released or transferred.
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct QuarantineList {
    pub items: Vec<QuarantineView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// active, released or transferred.
    pub to: String,
    pub version: i64,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    pub temperature: f64,
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// What the household needs (medicine, groceries, help).
    #[serde(default)]
    pub needs: String,
    #[serde(default)]
    pub note: String,
    /// The resident tried to go out.
    #[serde(default)]
    pub breach: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DueItem {
    #[serde(flatten)]
    pub quarantine: QuarantineView,
    /// Yesterday's follow-up is missing too.
    pub overdue: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DueList {
    pub day: String,
    pub items: Vec<DueItem>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Isolation {
    pub household_id: i64,
    /// A member is under active home isolation: the gate refuses the household's exits.
    pub home_isolation: bool,
}
