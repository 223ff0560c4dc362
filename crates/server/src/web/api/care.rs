//! `/api/v1/care` and `/api/v1/today`: care of vulnerable residents (包干到人) — assignments, the
//! coverage view, call attempts, home services, staff leave — and each staff member's list for
//! the day.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

pub use crate::service::care::*;
use crate::service::paging::Paging;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedId {
    pub id: i64,
}

/// Gives a resident to a staff member, with an optional backup (the leader). Any earlier care of
/// the resident ends; the calls still due move to the new primary.
#[utoipa::path(post, path = "/api/v1/care/assignments", tag = "care", request_body = AssignBody,
    responses((status = 201, body = CreatedId), (status = 403), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_assignment(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<AssignBody>,
) -> ApiResult<(StatusCode, Json<CreatedId>)> {
    let id = assign(&state, &caller, &b).await?;
    Ok((StatusCode::CREATED, Json(CreatedId { id })))
}

/// Ends a resident's care.
#[utoipa::path(delete, path = "/api/v1/care/assignments/{id}", tag = "care", params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn end_assignment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    end(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageParams {
    /// Tags that make a resident one to care for, comma-separated; by default
    /// elderly_alone,elderly_no_family.
    pub tags: Option<String>,
    /// Only those no one has.
    pub unassigned: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Every vulnerable resident of the jurisdiction, who has them and today's call; those with no
/// one first.
#[utoipa::path(get, path = "/api/v1/care/coverage", tag = "care", params(CoverageParams),
    responses((status = 200, body = Coverage), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn show_coverage(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<CoverageParams>,
) -> ApiResult<Json<Coverage>> {
    let paging = Paging::new(p.page, p.per_page)?;
    let only = p.unassigned.unwrap_or(false);
    Ok(Json(
        coverage(&state, &caller, p.tags.as_deref(), only, &paging).await?,
    ))
}

/// The caller's list for today: their care calls, door visits asked of them, (a leader) the
/// day's escalated calls, their help requests and those offered to them, follow-ups due.
#[utoipa::path(get, path = "/api/v1/today", tag = "care",
    responses((status = 200, body = Today), (status = 403)))]
pub async fn show_today(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Today>> {
    Ok(Json(today(&state, &caller).await?))
}

/// One care call.
#[utoipa::path(get, path = "/api/v1/care/calls/{id}", tag = "care", params(("id" = i64, Path)),
    responses((status = 200, body = CallView), (status = 404)))]
pub async fn show_call(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    let id = validate::path_id(&id)?;
    Ok(Json(call(&state, &caller, id).await?))
}

/// Records one try of a call: reached (well, or in need — which opens a help request for the
/// household), no answer, wrong number, refused. The same `idempotency_key` again answers the
/// first (header `idempotent-replayed: true`); a call done for the day refuses more (422
/// `call_completed`).
#[utoipa::path(post, path = "/api/v1/care/calls/{id}/attempts", tag = "care", request_body = AttemptBody,
    params(("id" = i64, Path)), responses((status = 201, body = AttemptResult), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_attempt(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AttemptBody>,
) -> ApiResult<Response> {
    let id = validate::path_id(&id)?;
    let r = attempt(&state, &caller, id, &b).await?;
    let replayed = r.replayed;
    let mut res = (StatusCode::CREATED, Json(r)).into_response();
    if replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// Logs a home service (cleaning, rubbish, shopping) or a door visit; a door visit naming an
/// escalated call marks its visit done.
#[utoipa::path(post, path = "/api/v1/care/visits", tag = "care", request_body = VisitBody,
    responses((status = 201, body = CreatedId), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_visit(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<VisitBody>,
) -> ApiResult<(StatusCode, Json<CreatedId>)> {
    let (id, _) = visit(&state, &caller, &b).await?;
    Ok((StatusCode::CREATED, Json(CreatedId { id })))
}

/// Days a staff member is away: their calls of those days go to each resident's backup.
#[utoipa::path(post, path = "/api/v1/care/leave", tag = "care", request_body = LeaveBody,
    responses((status = 201, body = CreatedId), (status = 403), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_leave(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<LeaveBody>,
) -> ApiResult<(StatusCode, Json<CreatedId>)> {
    let id = leave(&state, &caller, &b).await?;
    Ok((StatusCode::CREATED, Json(CreatedId { id })))
}
