//! `/api/v1/reports/…`: the daily report of any unit of the caller's jurisdiction (JSON, `.xlsx`,
//! CSV, DHIS2 `dataValueSets`), submitting a community's report upward, returning one, and the
//! street's completeness board.

use crate::db::reports::{self, KEYS, Report};
pub use crate::service::reports::*;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiJson;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use shouhu_domain::Right;

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
