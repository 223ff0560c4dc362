//! `/api/v1/supplies/purchases`: purchase runs (采购) — planned, shopping, returned (the goods
//! enter the store's ledger), reconciled (the cash adds up, in fen).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

pub use crate::service::supply_purchases::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedId {
    pub id: i64,
}

/// Plans a run (the store's leader or logistics group). The same `idempotency_key` again answers
/// the first (header `idempotent-replayed: true`).
#[utoipa::path(post, path = "/api/v1/supplies/purchases", tag = "supplies", request_body = PurchaseBody,
    responses((status = 201, body = CreatedId), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_purchase(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<PurchaseBody>,
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
pub struct PurchaseParams {
    pub community_id: i64,
}

/// A store's latest runs.
#[utoipa::path(get, path = "/api/v1/supplies/purchases", tag = "supplies", params(PurchaseParams),
    responses((status = 200, body = Vec<PurchaseView>), (status = 403), (status = 404)))]
pub async fn list_purchases(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PurchaseParams>,
) -> ApiResult<Json<Vec<PurchaseView>>> {
    Ok(Json(list(&state, &caller, p.community_id).await?))
}

/// One run with what it bought.
#[utoipa::path(get, path = "/api/v1/supplies/purchases/{id}", tag = "supplies", params(("id" = i64, Path)),
    responses((status = 200, body = PurchaseView), (status = 403), (status = 404)))]
pub async fn show_purchase(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PurchaseView>> {
    let id = validate::path_id(&id)?;
    Ok(Json(detail(&state, &caller, id).await?))
}

/// Writes down what the run bought, all lines at once, while planned or shopping.
#[utoipa::path(put, path = "/api/v1/supplies/purchases/{id}/lines", tag = "supplies", request_body = LinesBody,
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn put_lines(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<LinesBody>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    set_lines(&state, &caller, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Moves a run: shopping, returned (its lines enter the ledger as goods bought in), reconciled
/// (refused unless cash advanced = what the lines add up to + change returned), cancelled.
#[utoipa::path(post, path = "/api/v1/supplies/purchases/{id}/transition", tag = "supplies",
    request_body = PurchaseMoveBody, params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn move_purchase(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PurchaseMoveBody>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    transition(&state, &caller, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}
