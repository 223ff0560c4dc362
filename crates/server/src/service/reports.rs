//! The daily report of any unit of the caller's jurisdiction (JSON, `.xlsx`, CSV, DHIS2
//! `dataValueSets`), submitting a community's report upward, returning one, and the street's
//! completeness board. The views and operations shared by the API (`web::api::reports`, which adds
//! the handlers) and the pages.

use crate::db::reports::ReportUnit;
use crate::db::reports::submit::{self, Standing, Submission};
use crate::db::units;
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError};
use crate::service::validate;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// A unit's code.
    pub unit: String,
    /// YYYY-MM-DD, the local day; today when absent.
    pub date: Option<String>,
    /// json (default), xlsx or csv.
    pub format: Option<String>,
}

/// The unit (404 outside the caller's jurisdiction) and the day (422 when malformed or to come).
pub async fn unit_and_day(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    date: Option<&str>,
) -> ApiResult<(ReportUnit, chrono::NaiveDate)> {
    let today = state.settings.today();
    let day = match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => validate::date("date", d)?,
        None => today,
    };
    if day > today {
        return Err(AppError::invalid(
            "date",
            "date_in_future",
            "a report is of today or a day before",
        ));
    }
    // In the caller's jurisdiction first (404 otherwise), then as the report needs it.
    let u = units::get_by_code(&state.db, &caller.scope(), unit.trim()).await?;
    let unit = ReportUnit::by_code(&state.db, &u.code)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((unit, day))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The community's code.
    pub unit: String,
    pub date: String,
    #[serde(default)]
    pub remark: String,
    /// Required when the day's report was submitted before: why it is corrected.
    #[serde(default)]
    pub correction_reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Submitted {
    pub unit: String,
    pub date: String,
    pub version: i64,
    pub on_time: bool,
}

/// Shared with the report page.
pub async fn submit_report(
    state: &AppState,
    caller: &Caller,
    b: &SubmitBody,
) -> ApiResult<Submitted> {
    let remark = validate::text("remark", &b.remark, 500, false)?;
    let reason = validate::text("correction_reason", &b.correction_reason, 500, false)?;
    let (unit, day) = unit_and_day(state, caller, &b.unit, Some(&b.date)).await?;
    let tz = state.settings.time_zone;
    let deadline = day.and_time(state.settings.report_deadline);
    let now_local = chrono::Utc::now().with_timezone(&tz).naive_local();
    let on_time = now_local <= deadline;
    let version = submit::submit(
        &state.db,
        &unit,
        &day.to_string(),
        &Submission {
            remark: &remark,
            correction_reason: &reason,
            user_id: caller.session.user.id,
            username: &caller.session.user.username,
            on_time,
        },
    )
    .await?;
    let detail = if reason.is_empty() {
        format!("{day} v{version}")
    } else {
        format!("{day} v{version}: {reason}")
    };
    crate::db::audit::record(
        &state.db,
        &caller
            .actor()
            .entry("report.submit", "org_unit", unit.id, detail),
    )
    .await?;
    Ok(Submitted {
        unit: unit.code,
        date: day.to_string(),
        version,
        on_time,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    pub unit: String,
    pub date: String,
    pub reason: String,
}

pub async fn return_report(state: &AppState, caller: &Caller, b: &ReturnBody) -> ApiResult<()> {
    let reason = validate::text("reason", &b.reason, 500, true)?;
    let (unit, day) = unit_and_day(state, caller, &b.unit, Some(&b.date)).await?;
    let version = submit::send_back(
        &state.db,
        &unit,
        &day.to_string(),
        &reason,
        caller.session.user.id,
    )
    .await?;
    crate::db::audit::record(
        &state.db,
        &caller.actor().entry(
            "report.return",
            "org_unit",
            unit.id,
            format!("{day} v{version}: {reason}"),
        ),
    )
    .await?;
    Ok(())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Completeness {
    pub unit: String,
    pub date: String,
    pub deadline: String,
    pub on_time: usize,
    pub late: usize,
    pub returned: usize,
    pub missing: usize,
    pub communities: Vec<Standing>,
}

pub async fn board(
    state: &AppState,
    unit: &ReportUnit,
    day: chrono::NaiveDate,
) -> ApiResult<Completeness> {
    let communities = submit::completeness(&state.db, unit.id, &day.to_string()).await?;
    let n = |s: &str| communities.iter().filter(|c| c.status == s).count();
    Ok(Completeness {
        unit: unit.code.clone(),
        date: day.to_string(),
        deadline: state.settings.report_deadline.format("%H:%M").to_string(),
        on_time: n("on_time"),
        late: n("late"),
        returned: n("returned"),
        missing: n("missing"),
        communities,
    })
}
