//! `/api/v1/quarantines`, their follow-ups, and whether a household is under home isolation.

use super::health::parse_reading;
use super::units::grids_within;
use crate::db::quarantine::{self, NewFollowUp};
use crate::service::paging::Paging;
pub use crate::service::quarantine::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shouhu_domain::{QuarantineStatus, Right};

/// Starts a quarantine episode for a resident of the caller's jurisdiction.
#[utoipa::path(post, path = "/api/v1/quarantines", tag = "quarantine", request_body = QuarantineBody,
    responses((status = 201, body = QuarantineView), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<QuarantineBody>,
) -> ApiResult<(StatusCode, Json<QuarantineView>)> {
    let id = start(&state, &caller, &b).await?;
    let scope = caller.scope();
    let q = quarantine::get(&state.db, &scope, id).await?;
    Ok((StatusCode::CREATED, Json(view(&q, caller.names()))))
}

#[utoipa::path(get, path = "/api/v1/quarantines", tag = "quarantine", params(ListParams),
    responses((status = 200, body = QuarantineList), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<QuarantineList>> {
    caller
        .require(&state, Right::ReadHealth, "quarantine.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let status = match p.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(QuarantineStatus::parse(s).ok_or_else(|| {
            AppError::invalid(
                "status",
                "unknown_status",
                "status is planned, active, released or transferred",
            )
        })?),
    };
    let grids = grids_within(&state, &caller, p.unit.as_deref()).await?;
    let (items, total) =
        quarantine::list(&state.db, &grids, status, paging.limit(), paging.offset()).await?;
    Ok(Json(QuarantineList {
        items: items.iter().map(|q| view(q, caller.names())).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

#[utoipa::path(get, path = "/api/v1/quarantines/{id}", tag = "quarantine", params(("id" = i64, Path)),
    responses((status = 200, body = QuarantineView), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<QuarantineView>> {
    caller
        .require(&state, Right::ReadHealth, "quarantine.read")
        .await?;
    let id = validate::path_id(&id)?;
    let q = quarantine::get(&state.db, &caller.scope(), id).await?;
    Ok(Json(view(&q, caller.names())))
}

/// Moves an episode on: planned → active, planned → released (called off), active → released or
/// transferred. Other moves are refused.
#[utoipa::path(post, path = "/api/v1/quarantines/{id}/transition", tag = "quarantine", request_body = TransitionBody,
    params(("id" = i64, Path)), responses((status = 200, body = QuarantineView), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransitionBody>,
) -> ApiResult<Json<QuarantineView>> {
    let id = validate::path_id(&id)?;
    crate::service::quarantine::transition(&state, &caller, id, &b).await?;
    let scope = caller.scope();
    let q = quarantine::get(&state.db, &scope, id).await?;
    Ok(Json(view(&q, caller.names())))
}

/// Records today's follow-up of an active episode (one a day; a fever opens an alert).
#[utoipa::path(post, path = "/api/v1/quarantines/{id}/follow-ups", tag = "quarantine", request_body = FollowUpBody,
    params(("id" = i64, Path)), responses((status = 201, body = Created), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn follow_up(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FollowUpBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    caller
        .require(&state, Right::RecordHealth, "follow_up.create")
        .await?;
    let id = validate::path_id(&id)?;
    let (temperature, symptoms) = parse_reading(b.temperature, &b.symptoms)?;
    let f = NewFollowUp {
        temperature,
        symptoms,
        needs: validate::text("needs", &b.needs, 500, false)?,
        note: validate::text("note", &b.note, 500, false)?,
        breach: b.breach,
    };
    let day = state.settings.today().to_string();
    let fid =
        quarantine::follow_up(&state.db, &caller.scope(), &caller.actor(), id, &day, &f).await?;
    Ok((StatusCode::CREATED, Json(Created { id: fid })))
}

/// Active episodes whose follow-up for today is not recorded yet; `overdue` when yesterday's is
/// missing too.
#[utoipa::path(get, path = "/api/v1/follow-ups/due", tag = "quarantine", params(super::health::UnitPageParams),
    responses((status = 200, body = DueList), (status = 404)))]
pub async fn due(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<super::health::UnitPageParams>,
) -> ApiResult<Json<DueList>> {
    caller
        .require(&state, Right::ReadHealth, "follow_up.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let grids = grids_within(&state, &caller, p.unit.as_deref()).await?;
    let today = state.settings.today();
    let yesterday = today - chrono::Days::new(1);
    let (items, total) = quarantine::due(
        &state.db,
        &grids,
        &today.to_string(),
        &yesterday.to_string(),
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(Json(DueList {
        day: today.to_string(),
        items: items
            .iter()
            .map(|(q, overdue)| DueItem {
                quarantine: view(q, caller.names()),
                overdue: *overdue,
            })
            .collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

#[utoipa::path(get, path = "/api/v1/households/{id}/isolation", tag = "quarantine", params(("id" = i64, Path)),
    responses((status = 200, body = Isolation), (status = 404)))]
pub async fn isolation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Isolation>> {
    if !caller.session.user.role.has(Right::ReadHealth) {
        caller
            .require(&state, Right::ScanGate, "household.isolation")
            .await?;
    }
    let id = validate::path_id(&id)?;
    let home_isolation = quarantine::household_isolated(&state.db, &caller.scope(), id).await?;
    Ok(Json(Isolation {
        household_id: id,
        home_isolation,
    }))
}
