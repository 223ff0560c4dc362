//! `/api/v1/supplies`: the catalogue, a community store's stock (with its low-stock flags) and
//! its append-only ledger — movements by hand, stocktakes, reversals.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::service::paging::Paging;
pub use crate::service::supplies::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedId {
    pub id: i64,
}

/// 201 with the new id; a replay of an earlier send with the same key answers the first's id with
/// the header `idempotent-replayed: true`.
pub(super) fn created((id, replayed): (i64, bool)) -> Response {
    let mut res = (StatusCode::CREATED, Json(CreatedId { id })).into_response();
    if replayed {
        res.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// The catalogue, items in use first.
#[utoipa::path(get, path = "/api/v1/supplies/items", tag = "supplies",
    responses((status = 200, body = Vec<ItemView>), (status = 403)))]
pub async fn list_items(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<ItemView>>> {
    Ok(Json(items(&state, &caller).await?))
}

/// Adds an item to the catalogue shared by every community (a name already there: 422
/// `duplicate_item`).
#[utoipa::path(post, path = "/api/v1/supplies/items", tag = "supplies", request_body = ItemBody,
    responses((status = 201, body = CreatedId), (status = 403), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn add_item(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ItemBody>,
) -> ApiResult<(StatusCode, Json<CreatedId>)> {
    let id = create_item(&state, &caller, &b).await?;
    Ok((StatusCode::CREATED, Json(CreatedId { id })))
}

/// Takes an item out of use (kept in the ledger's history), or back.
#[utoipa::path(put, path = "/api/v1/supplies/items/{id}/retired", tag = "supplies",
    request_body = RetireBody, params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)))]
pub async fn set_retired(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RetireBody>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    retire_item(&state, &caller, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A community store's stock: every item's balance from the ledger, the community's cap and
/// minimum, and which are low.
#[utoipa::path(get, path = "/api/v1/supplies/stock/{community_id}", tag = "supplies",
    params(("community_id" = i64, Path)),
    responses((status = 200, body = Stock), (status = 403), (status = 404)))]
pub async fn show_stock(
    State(state): State<AppState>,
    caller: Caller,
    Path(community): Path<String>,
) -> ApiResult<Json<Stock>> {
    let community = validate::path_id(&community)?;
    Ok(Json(stock(&state, &caller, community).await?))
}

/// Sets a community's cap per household and minimum stock of an item (null clears).
#[utoipa::path(put, path = "/api/v1/supplies/stock/{community_id}/limits/{item_id}", tag = "supplies",
    request_body = LimitsBody, params(("community_id" = i64, Path), ("item_id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn put_limits(
    State(state): State<AppState>,
    caller: Caller,
    Path((community, item)): Path<(String, String)>,
    ApiJson(b): ApiJson<LimitsBody>,
) -> ApiResult<StatusCode> {
    let community = validate::path_id(&community)?;
    let item = validate::path_id(&item)?;
    set_limits(&state, &caller, community, item, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MovementParams {
    pub community_id: i64,
    /// Only this item's movements.
    pub item_id: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// A store's ledger, newest first.
#[utoipa::path(get, path = "/api/v1/supplies/movements", tag = "supplies", params(MovementParams),
    responses((status = 200, body = MovementPage), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn list_movements(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<MovementParams>,
) -> ApiResult<Json<MovementPage>> {
    let paging = Paging::new(p.page, p.per_page)?;
    Ok(Json(
        movements(&state, &caller, p.community_id, p.item_id, &paging).await?,
    ))
}

/// Enters goods moving in or out by hand. Refused with 422 naming the field: a quantity out of
/// range, a time before the item's last stocktake (`before_stocktake`) or in the future, or one
/// that would leave the store short at any instant, a late entry included (`insufficient_stock`).
#[utoipa::path(post, path = "/api/v1/supplies/movements", tag = "supplies", request_body = MovementBody,
    responses((status = 201, body = CreatedId), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_movement(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<MovementBody>,
) -> ApiResult<Response> {
    Ok(created(post_movement(&state, &caller, &b).await?))
}

/// Sets what was counted of an item now (盘点): the difference moves, and nothing may later be
/// entered for a time before it.
#[utoipa::path(post, path = "/api/v1/supplies/stocktakes", tag = "supplies", request_body = StocktakeBody,
    responses((status = 201, body = CreatedId), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_stocktake(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<StocktakeBody>,
) -> ApiResult<Response> {
    Ok(created(stocktake(&state, &caller, &b).await?))
}

/// Undoes a movement by its exact opposite, now: never by changing it. A stocktake, a reversal, a
/// movement already undone or one before the last stocktake: 422.
#[utoipa::path(post, path = "/api/v1/supplies/movements/{id}/reverse", tag = "supplies",
    request_body = ReverseBody, params(("id" = i64, Path)),
    responses((status = 201, body = CreatedId), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_reversal(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReverseBody>,
) -> ApiResult<Response> {
    let id = validate::path_id(&id)?;
    Ok(created(reverse(&state, &caller, id, &b).await?))
}
