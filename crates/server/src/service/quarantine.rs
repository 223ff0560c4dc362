//! Quarantine episodes, their follow-ups, and whether a household is under home isolation. The
//! views and operations shared by the API (`web::api::quarantine`, which adds the handlers) and the
//! pages.

use crate::db::quarantine::{self, NewQuarantine, Quarantine};
use crate::service::AppState;
use crate::service::caller::{Caller, Names};
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::validate::{self, date};
use serde::{Deserialize, Serialize};
use shouhu_domain::{QuarantineKind, QuarantineStatus, Right};

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

/// Starts an episode for a resident of the caller's jurisdiction; every field at fault is named.
pub async fn start(state: &AppState, caller: &Caller, b: &QuarantineBody) -> ApiResult<i64> {
    caller
        .require(state, Right::ManageQuarantine, "quarantine.create")
        .await?;
    let mut faults = Faults::default();
    let kind = QuarantineKind::parse(b.kind.trim());
    if kind.is_none() {
        faults.add(
            "kind",
            "unknown_kind",
            "kind is home, centralized or hospital",
        );
    }
    let reason = faults.take(validate::text("reason", &b.reason, 200, true))?;
    let start = faults.take(date("start_date", &b.start_date))?;
    let end = match b.planned_end_date.as_deref().map(str::trim) {
        Some(e) if !e.is_empty() => faults.take(date("planned_end_date", e))?,
        _ => start.map(|s| s + chrono::Days::new(shouhu_domain::health::QUARANTINE_DEFAULT_DAYS)),
    };
    let today = state.settings.today();
    if let Some(s) = start
        && (s < today - chrono::Days::new(60) || s > today + chrono::Days::new(60))
    {
        faults.add(
            "start_date",
            "start_date_out_of_range",
            "the start is within 60 days of today",
        );
    }
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        faults.add(
            "planned_end_date",
            "end_before_start",
            "the end is before the start",
        );
    }
    faults.into_result()?;
    // Each `None` above noted its fault.
    let (Some(kind), Some(reason), Some(start), Some(end)) = (kind, reason, start, end) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let q = NewQuarantine {
        resident_id: b.resident_id,
        kind,
        reason,
        start_date: start.to_string(),
        planned_end_date: end.to_string(),
    };
    Ok(quarantine::create(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        &q,
        &today.to_string(),
    )
    .await?)
}

/// Moves an episode on: planned → active, planned → released (called off), active → released or
/// transferred. Other moves are refused.
pub async fn transition(
    state: &AppState,
    caller: &Caller,
    id: i64,
    b: &TransitionBody,
) -> ApiResult<()> {
    caller
        .require(state, Right::ManageQuarantine, "quarantine.transition")
        .await?;
    let to = QuarantineStatus::parse(b.to.trim()).ok_or_else(|| {
        AppError::invalid(
            "to",
            "unknown_status",
            "to is active, released or transferred",
        )
    })?;
    let note = validate::text("note", &b.note, 500, false)?;
    quarantine::transition(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        id,
        b.version,
        to,
        &note,
    )
    .await?;
    Ok(())
}
