//! `/api/v1/supplies/donations`: donations (捐赠) from partner units; their goods enter the store
//! under the donor's name and keep it to the household's door.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

pub use crate::service::supply_donations::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::{ApiJson, ApiQuery};

/// Records a donation (the store's leader or logistics group); its goods are in the store at once.
/// The same `idempotency_key` again answers the first (header `idempotent-replayed: true`).
#[utoipa::path(post, path = "/api/v1/supplies/donations", tag = "supplies", request_body = DonationBody,
    responses((status = 201, body = super::supplies::CreatedId), (status = 403), (status = 404),
        (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create_donation(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<DonationBody>,
) -> ApiResult<Response> {
    Ok(super::supplies::created(create(&state, &caller, &b).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DonationParams {
    pub community_id: i64,
}

/// A store's latest donations.
#[utoipa::path(get, path = "/api/v1/supplies/donations", tag = "supplies", params(DonationParams),
    responses((status = 200, body = Vec<DonationView>), (status = 403), (status = 404)))]
pub async fn list_donations(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<DonationParams>,
) -> ApiResult<Json<Vec<DonationView>>> {
    Ok(Json(list(&state, &caller, p.community_id).await?))
}

/// One donation: what was given, how much has reached households and how much is left.
#[utoipa::path(get, path = "/api/v1/supplies/donations/{id}", tag = "supplies", params(("id" = i64, Path)),
    responses((status = 200, body = DonationView), (status = 403), (status = 404)))]
pub async fn show_donation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<DonationView>> {
    let id = validate::path_id(&id)?;
    Ok(Json(detail(&state, &caller, id).await?))
}
