//! `/api/v1/health-checks` and `/api/v1/alerts`: temperatures and symptoms, and the alerts a fever
//! or a symptom opens for the community's medical group.

use super::units::grids_within;
use crate::db::health::{self, NewCheck};
pub use crate::service::health::*;
use crate::service::paging::Paging;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shouhu_domain::Right;

/// Records a temperature (and symptoms) for a resident of the caller's jurisdiction. A fever
/// (≥ 37.3 °C) or a symptom opens an alert for the community's medical group, unless one is open.
#[utoipa::path(post, path = "/api/v1/health-checks", tag = "health", request_body = CheckBody,
    responses((status = 201, body = CheckView), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CheckBody>,
) -> ApiResult<Response> {
    caller
        .require(&state, Right::RecordHealth, "health_check.create")
        .await?;
    let c = new_check(&b)?;
    let day = state.settings.day_of(c.device_at).to_string();
    let rec = health::record(&state.db, &caller.scope(), &day, &c).await?;
    let mut res = (StatusCode::CREATED, Json(check_view(&rec.check))).into_response();
    if rec.replay {
        res.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(res)
}

/// Records many checks at once, each with its own key; a refused item does not stop the others.
#[utoipa::path(post, path = "/api/v1/health-checks/batch", tag = "health", request_body = BatchBody,
    responses((status = 200, body = BatchResult), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn batch(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<BatchBody>,
) -> ApiResult<Json<BatchResult>> {
    caller
        .require(&state, Right::RecordHealth, "health_check.create")
        .await?;
    if b.items.is_empty() || b.items.len() > 1000 {
        return Err(AppError::invalid(
            "items",
            "out_of_range",
            "a batch holds 1 to 1,000 checks",
        ));
    }
    // Items that do not parse are refused here; the rest go to the store together.
    let parsed: Vec<Result<NewCheck, AppError>> = b.items.iter().map(new_check).collect();
    let valid: Vec<NewCheck> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok().cloned())
        .collect();
    let mut stored = if valid.is_empty() {
        Vec::new()
    } else {
        record_by_day(&state.db, &caller.scope(), &state.settings, &valid).await?
    }
    .into_iter();
    let mut items: Vec<BatchItem> = Vec::with_capacity(parsed.len());
    for (index, p) in parsed.into_iter().enumerate() {
        items.push(match p {
            Err(e) => BatchItem {
                index,
                check: None,
                error: Some(e.body()),
            },
            Ok(_) => match stored.next() {
                Some(health::BatchOutcome::Recorded(rec)) => BatchItem {
                    index,
                    check: Some(check_view(&rec.check)),
                    error: None,
                },
                Some(health::BatchOutcome::Refused(e)) => BatchItem {
                    index,
                    check: None,
                    error: Some(AppError::from(e).body()),
                },
                None => return Err(AppError::Internal("batch outcome missing".into())),
            },
        });
    }
    let recorded = items.iter().filter(|i| i.check.is_some()).count();
    Ok(Json(BatchResult {
        recorded,
        refused: items.len() - recorded,
        items,
    }))
}

/// Residents of the caller's grids (or of `unit`) with no check today, household by household.
#[utoipa::path(get, path = "/api/v1/health-checks/not-checked", tag = "health", params(UnitPageParams),
    responses((status = 200, body = PersonList), (status = 404)))]
pub async fn not_checked(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<UnitPageParams>,
) -> ApiResult<Json<PersonList>> {
    caller
        .require(&state, Right::ReadHealth, "health_check.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let grids = grids_within(&state, &caller, p.unit.as_deref()).await?;
    let day = state.settings.today().to_string();
    let (rows, total) =
        health::not_checked(&state.db, &grids, &day, paging.limit(), paging.offset()).await?;
    Ok(Json(PersonList {
        day,
        items: rows
            .into_iter()
            .map(|(id, grid_code, name, address)| PersonRow {
                resident_id: id,
                grid_code,
                name: caller.names().show(&name),
                address,
            })
            .collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

/// Alerts of the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "health", params(AlertParams),
    responses((status = 200, body = AlertList), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn alerts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AlertParams>,
) -> ApiResult<Json<AlertList>> {
    caller
        .require(&state, Right::ReadHealth, "alert.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let status = match p.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s @ ("open" | "closed")) => Some(s),
        Some(_) => {
            return Err(AppError::invalid(
                "status",
                "unknown_status",
                "status is open or closed",
            ));
        }
    };
    let grids = grids_within(&state, &caller, p.unit.as_deref()).await?;
    let (items, total) =
        health::alerts(&state.db, &grids, status, paging.limit(), paging.offset()).await?;
    Ok(Json(AlertList {
        items: items
            .iter()
            .map(|a| alert_view(a, caller.names()))
            .collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

/// Closes an alert after its follow-up, with a note.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/close", tag = "health", request_body = CloseBody,
    params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CloseBody>,
) -> ApiResult<StatusCode> {
    caller
        .require(&state, Right::HandleAlerts, "alert.close")
        .await?;
    let id = validate::path_id(&id)?;
    let note = validate::text("note", &b.note, 500, true)?;
    health::close_alert(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        id,
        b.version,
        &note,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
