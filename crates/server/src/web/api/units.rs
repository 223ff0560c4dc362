//! `/api/v1/units`: the caller's jurisdiction as a flat list ordered by code (parents before children).

use crate::db::units::{self};
pub use crate::service::units::*;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use axum::Json;
use axum::extract::State;

#[utoipa::path(get, path = "/api/v1/units", tag = "jurisdiction", responses((status = 200, body = UnitList)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<UnitList>> {
    Ok(Json(UnitList {
        items: units::list(&state.db, &caller.scope()).await?,
    }))
}
