//! `/api/v1/supplies/needs` and `/api/v1/supplies/needs-list`: what households need, each line's
//! moves, and the day's needs list (JSON, or `.xlsx` to take shopping).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::service::paging::Paging;
pub use crate::service::supply_needs::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedId {
    pub id: i64,
}

/// Records what a household needs. A quantity over the household's cap for the day or ten times
/// the usual: 422 `needs_confirmation` until sent again with `confirm`. The same
/// `idempotency_key` again answers the first (header `idempotent-replayed: true`).
#[utoipa::path(post, path = "/api/v1/supplies/needs", tag = "supplies", request_body = NeedBody,
    responses((status = 201, body = CreatedId), (status = 403), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_need(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NeedBody>,
) -> ApiResult<Response> {
    let (id, replayed) = create(&state, &caller, &b).await?;
    let mut res = (StatusCode::CREATED, Json(CreatedId { id })).into_response();
    if replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NeedParams {
    /// A grid or community code of the caller's; all of theirs when left out.
    pub unit: Option<String>,
    /// YYYY-MM-DD; today when left out (a household's needs: every day).
    pub day: Option<String>,
    pub household_id: Option<i64>,
    /// Only those still waiting for their goods.
    pub open: Option<bool>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Needs of the caller's grids, by address.
#[utoipa::path(get, path = "/api/v1/supplies/needs", tag = "supplies", params(NeedParams),
    responses((status = 200, body = NeedPage), (status = 403), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn list_needs(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<NeedParams>,
) -> ApiResult<Json<NeedPage>> {
    let paging = Paging::new(p.page, p.per_page)?;
    Ok(Json(
        list(
            &state,
            &caller,
            p.unit.as_deref(),
            p.day.as_deref(),
            p.household_id,
            p.open.unwrap_or(false),
            &paging,
        )
        .await?,
    ))
}

/// Moves a need: committed, in transit, delivered (with what was brought; more than asked needs
/// `confirm_over`), back, or cancelled with a reason. A move its state does not allow: 422
/// `not_allowed_now`; a stale version: 409.
#[utoipa::path(post, path = "/api/v1/supplies/needs/{id}/transition", tag = "supplies",
    request_body = NeedMoveBody, params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn move_need(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NeedMoveBody>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    transition(&state, &caller, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NeedsListParams {
    /// A grid or community code of the caller's; all of theirs when left out.
    pub unit: Option<String>,
    /// YYYY-MM-DD; today when left out.
    pub day: Option<String>,
    /// json (default) or xlsx.
    pub format: Option<String>,
}

/// The day's needs list (物资需求清单): open needs added up per item with how many households
/// are behind them; as `.xlsx`, the totals and then every household's lines.
#[utoipa::path(get, path = "/api/v1/supplies/needs-list", tag = "supplies", params(NeedsListParams),
    responses((status = 200, body = NeedsList), (status = 403), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn show_needs_list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<NeedsListParams>,
) -> ApiResult<Response> {
    match p.format.as_deref().unwrap_or("json") {
        "json" => Ok(
            Json(needs_list(&state, &caller, p.unit.as_deref(), p.day.as_deref()).await?)
                .into_response(),
        ),
        "xlsx" => {
            let (file, bytes) =
                needs_list_xlsx(&state, &caller, p.unit.as_deref(), p.day.as_deref()).await?;
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        crate::web::api::sheets::XLSX_MIME.to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}.xlsx\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => Err(AppError::invalid(
            "format",
            "unknown_format",
            "format is json or xlsx",
        )),
    }
}
