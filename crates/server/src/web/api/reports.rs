//! `/api/v1/reports/…`: the daily report of any unit of the caller's jurisdiction (JSON, `.xlsx`,
//! CSV, DHIS2 `dataValueSets`), submitting a community's report upward, returning one, and the
//! street's completeness board.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shouhu_domain::Right;

use crate::db::reports::submit::{self, Standing, Submission};
use crate::db::reports::{self, KEYS, Report, ReportUnit};
use crate::db::units;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiJson;
use crate::web::validate;

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

/// The daily report of a unit and day: figures, one row per sub-unit, the total.
#[utoipa::path(get, path = "/api/v1/reports/daily", tag = "reports", params(ReportQuery),
    responses((status = 200, body = Report), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn daily(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Response> {
    caller
        .require(&state, Right::ReadReports, "report.read")
        .await?;
    let format = q.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "xlsx" | "csv") {
        return Err(AppError::invalid(
            "format",
            "unknown_format",
            "format is json, xlsx or csv",
        ));
    }
    let (unit, day) = unit_and_day(&state, &caller, &q.unit, q.date.as_deref()).await?;
    let report = reports::daily(&state.db, &unit, &day.to_string()).await?;
    let tz = state.settings.time_zone;
    let file = format!("daily-report-{}-{day}", unit.code);
    let (mime, bytes, ext) = match format {
        "xlsx" => (
            crate::web::api::sheets::XLSX_MIME,
            crate::sheet::report::xlsx(&report, tz)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            "xlsx",
        ),
        "csv" => (
            "text/csv; charset=utf-8",
            crate::sheet::report::csv(&report, tz),
            "csv",
        ),
        _ => return Ok(Json(report).into_response()),
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response())
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

/// Submits (上报) a community's report of a day: frozen as a new version. Community leader.
#[utoipa::path(post, path = "/api/v1/reports/daily/submit", tag = "reports", request_body = SubmitBody,
    responses((status = 200, body = Submitted), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<SubmitBody>,
) -> ApiResult<Json<Submitted>> {
    caller
        .require(&state, Right::SubmitReports, "report.submit")
        .await?;
    Ok(Json(submit_report(&state, &caller, &b).await?))
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

/// Returns a community's submitted report for correction, with the reason. Street officer.
#[utoipa::path(post, path = "/api/v1/reports/daily/return", tag = "reports", request_body = ReturnBody,
    responses((status = 204), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn send_back(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ReturnBody>,
) -> ApiResult<axum::http::StatusCode> {
    caller
        .require(&state, Right::ReviewReports, "report.return")
        .await?;
    return_report(&state, &caller, &b).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
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

/// Which communities under a unit have submitted the day's report: on time, late, returned, or not.
#[utoipa::path(get, path = "/api/v1/reports/completeness", tag = "reports", params(ReportQuery),
    responses((status = 200, body = Completeness), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn completeness(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Json<Completeness>> {
    caller
        .require(&state, Right::ReadReports, "report.completeness")
        .await?;
    let (unit, day) = unit_and_day(&state, &caller, &q.unit, q.date.as_deref()).await?;
    Ok(Json(board(&state, &unit, day).await?))
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

/// The report's figures as a DHIS2 `dataValueSets` document: one value per sub-unit and figure,
/// data elements and org units mapped by the settings file (or named by key and code).
#[utoipa::path(get, path = "/api/v1/reports/daily/dhis2", tag = "reports", params(ReportQuery),
    responses((status = 200, body = Object), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn dhis2(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ReportQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    caller
        .require(&state, Right::ReadReports, "report.dhis2")
        .await?;
    let (unit, day) = unit_and_day(&state, &caller, &q.unit, q.date.as_deref()).await?;
    let report = reports::daily(&state.db, &unit, &day.to_string()).await?;
    let mapping = state.settings.dhis2.clone().unwrap_or_default();
    let period = day.format("%Y%m%d").to_string();
    let mut values = Vec::new();
    for row in report.rows.iter().filter(|r| r.kind != "own") {
        let org = mapping
            .org_units
            .get(&row.code)
            .cloned()
            .unwrap_or_else(|| row.code.clone());
        for k in KEYS {
            let element = match mapping.data_elements.get(k) {
                Some(e) => e.clone(),
                None if mapping.data_elements.is_empty() => k.to_string(),
                None => continue,
            };
            values.push(serde_json::json!({
                "dataElement": element,
                "period": period,
                "orgUnit": org,
                "value": row.figures.get(k).to_string(),
            }));
        }
    }
    Ok(Json(serde_json::json!({ "dataValues": values })))
}
