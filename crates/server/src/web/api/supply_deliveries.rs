//! `/api/v1/supplies/deliveries`: door deliveries (配送到户) — scheduled, out (the goods leave the
//! store), delivered (to whom; contactless for isolated households, confirmed by phone) or failed
//! (the goods come back), rescheduled.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

pub use crate::service::supply_deliveries::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery};

/// Schedules a delivery to a household of the store's community (its leader or logistics group).
/// A line may name the need it fills (it becomes committed) and the donation its goods come from.
/// The same `idempotency_key` again answers the first (header `idempotent-replayed: true`).
#[utoipa::path(post, path = "/api/v1/supplies/deliveries", tag = "supplies", request_body = DeliveryBody,
    responses((status = 201, body = super::supplies::CreatedId), (status = 403), (status = 404),
        (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_delivery(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<DeliveryBody>,
) -> ApiResult<Response> {
    Ok(super::supplies::created(create(&state, &caller, &b).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryParams {
    pub community_id: i64,
    /// The local day (YYYY-MM-DD) they are scheduled for.
    pub day: Option<String>,
    pub household_id: Option<i64>,
    /// scheduled, out, delivered, failed or cancelled.
    pub status: Option<String>,
}

/// A store's deliveries, soonest first, with their lines (at most 500).
#[utoipa::path(get, path = "/api/v1/supplies/deliveries", tag = "supplies", params(DeliveryParams),
    responses((status = 200, body = Vec<DeliveryView>), (status = 403), (status = 404),
        (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<DeliveryParams>,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let q = ListQuery {
        community_id: p.community_id,
        day: p.day,
        household_id: p.household_id,
        status: p.status,
    };
    Ok(Json(list(&state, &caller, &q).await?))
}

/// One delivery with its lines and their donors.
#[utoipa::path(get, path = "/api/v1/supplies/deliveries/{id}", tag = "supplies", params(("id" = i64, Path)),
    responses((status = 200, body = DeliveryView), (status = 403), (status = 404)))]
pub async fn show_delivery(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DeliveryView>> {
    let id = validate::path_id(&id)?;
    Ok(Json(detail(&state, &caller, id).await?))
}

/// Moves a delivery: out (its goods leave the store; refused past the stock), delivered (to whom,
/// or confirmed by phone when contactless; money collected when due), failed (why; the goods come
/// back), scheduled again after a failure (when), cancelled.
#[utoipa::path(post, path = "/api/v1/supplies/deliveries/{id}/transition", tag = "supplies",
    request_body = DeliveryMoveBody, params(("id" = i64, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409),
        (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn move_delivery(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DeliveryMoveBody>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    transition(&state, &caller, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}
