//! `/api/v1/roster` and `/api/v1/on-duty`: the duty roster (值班表) — weekly patterns, one-off
//! shifts and time off, swaps — with the gaps nobody covers and who is on duty now.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::db::roster::Removable;
pub use crate::service::roster::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RosterParams {
    /// The community's code; by default the caller's first.
    pub community: Option<String>,
    /// Unix seconds the window starts; by default now.
    pub from: Option<i64>,
    /// Days the window runs, 1 to 28; by default 7.
    pub days: Option<i64>,
}

/// The roster of a community over a window: each person's duty, the gaps per group (the hours
/// with nobody on duty), and anyone on it without a reachable phone.
#[utoipa::path(get, path = "/api/v1/roster", tag = "roster", params(RosterParams),
    responses((status = 200, body = RosterView), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<RosterParams>,
) -> ApiResult<Json<RosterView>> {
    let from = p.from.unwrap_or_else(crate::db::now);
    Ok(Json(
        view(
            &state,
            &caller,
            p.community.as_deref(),
            from,
            p.days.unwrap_or(7),
        )
        .await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OnDutyParams {
    pub community: Option<String>,
    /// One group: logistics, home_coordination, medical, emergency or duty_leader.
    pub group: Option<String>,
    /// Unix seconds; by default now.
    pub at: Option<i64>,
}

/// Who is on duty in a community (one group or all) at an instant, and the groups nobody covers.
#[utoipa::path(get, path = "/api/v1/on-duty", tag = "roster", params(OnDutyParams),
    responses((status = 200, body = OnDutyList), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn now(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<OnDutyParams>,
) -> ApiResult<Json<OnDutyList>> {
    let at = p.at.unwrap_or_else(crate::db::now);
    Ok(Json(
        on_duty(
            &state,
            &caller,
            p.community.as_deref(),
            p.group.as_deref(),
            at,
        )
        .await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: i64,
}

/// Adds a weekly shift (the community's leader).
#[utoipa::path(post, path = "/api/v1/roster/patterns", tag = "roster", request_body = PatternBody,
    responses((status = 201, body = Created), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_pattern(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<PatternBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = add_pattern(&state, &caller, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Adds a one-off shift (`on`) or time off (`off`) between two instants (the leader).
#[utoipa::path(post, path = "/api/v1/roster/shifts", tag = "roster", request_body = ShiftBody,
    responses((status = 201, body = Created), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_shift(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ShiftBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = add_shift(&state, &caller, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommunityParam {
    pub community: Option<String>,
}

/// Takes a weekly shift off the roster (kept, marked removed).
#[utoipa::path(delete, path = "/api/v1/roster/patterns/{id}", tag = "roster",
    params(("id" = i64, Path), CommunityParam), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_pattern(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<CommunityParam>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    remove(
        &state,
        &caller,
        p.community.as_deref(),
        Removable::Pattern,
        id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes a one-off shift or time off off the roster (kept, marked removed).
#[utoipa::path(delete, path = "/api/v1/roster/shifts/{id}", tag = "roster",
    params(("id" = i64, Path), CommunityParam), responses((status = 204), (status = 403), (status = 404)))]
pub async fn delete_shift(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<CommunityParam>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    remove(
        &state,
        &caller,
        p.community.as_deref(),
        Removable::Shift,
        id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Proposes handing a stretch of one's duty to another member of the group; it applies only once
/// they accept.
#[utoipa::path(post, path = "/api/v1/roster/swaps", tag = "roster", request_body = SwapBody,
    responses((status = 201, body = Created), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_swap(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<SwapBody>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = propose_swap(&state, &caller, &b).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// Accepts or declines a swap (the person asked) or withdraws it (the one who asked, a leader).
#[utoipa::path(post, path = "/api/v1/roster/swaps/{id}/decide", tag = "roster", request_body = SwapDecision,
    params(("id" = i64, Path)), responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SwapDecision>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    decide_swap(&state, &caller, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}
