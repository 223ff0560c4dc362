//! `/api/v1/help-requests`: the 24-hour service's help requests (求助) — taken down, claimed by one
//! person, moved on, with their whole history.

pub use crate::service::help::*;
use crate::service::paging::Paging;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// Takes a request down. The same `idempotency_key` again answers the first request (header
/// `idempotent-replayed: true`) and makes no second one.
#[utoipa::path(post, path = "/api/v1/help-requests", tag = "help", request_body = HelpBody,
    responses((status = 201, body = HelpDetail), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<HelpBody>,
) -> ApiResult<Response> {
    let (id, replay) = crate::service::help::create(&state, &caller, &b).await?;
    let d = detail(&state, &caller, id).await?;
    let mut res = (StatusCode::CREATED, Json(d)).into_response();
    if replay {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HelpListParams {
    /// mine, offered (to me by dispatch, still waiting), group (my special group's), open (default), overdue or closed.
    pub view: Option<String>,
    /// One household's requests, every state.
    pub household_id: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/help-requests", tag = "help", params(HelpListParams),
    responses((status = 200, body = HelpList), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<HelpListParams>,
) -> ApiResult<Json<HelpList>> {
    let paging = Paging::new(p.page, p.per_page)?;
    let which = parse_view(p.view.as_deref(), p.household_id)?;
    Ok(Json(
        crate::service::help::list(&state, &caller, which, &paging).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/help-requests/{id}", tag = "help", params(("id" = i64, Path)),
    responses((status = 200, body = HelpDetail), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<HelpDetail>> {
    let id = validate::path_id(&id)?;
    Ok(Json(detail(&state, &caller, id).await?))
}

/// Takes a new request for the caller. Of two people claiming at once one wins; the other gets
/// 409 `already_claimed` naming who has it.
#[utoipa::path(post, path = "/api/v1/help-requests/{id}/claim", tag = "help", params(("id" = i64, Path)),
    responses((status = 200, body = HelpDetail), (status = 404), (status = 409, body = crate::web::error::ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<HelpDetail>> {
    let id = validate::path_id(&id)?;
    crate::service::help::claim(&state, &caller, id).await?;
    Ok(Json(detail(&state, &caller, id).await?))
}

/// Moves a request on: acknowledged → in_progress; acknowledged or in_progress → resolved (with the
/// outcome); any open one → cancelled (with the reason) or duplicate (of another); a closed one →
/// acknowledged (reopened). A stale version answers 409 and changes nothing.
#[utoipa::path(post, path = "/api/v1/help-requests/{id}/transition", tag = "help", request_body = HelpMoveBody,
    params(("id" = i64, Path)), responses((status = 200, body = HelpDetail), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn transition(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<HelpMoveBody>,
) -> ApiResult<Json<HelpDetail>> {
    let id = validate::path_id(&id)?;
    crate::service::help::transition(&state, &caller, id, &b).await?;
    Ok(Json(detail(&state, &caller, id).await?))
}
