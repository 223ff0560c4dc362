//! `/api/v1/units`: the caller's jurisdiction as a flat list ordered by code (parents before children).

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::db::units::{self, Unit};
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitList {
    pub items: Vec<Unit>,
}

#[utoipa::path(get, path = "/api/v1/units", tag = "jurisdiction", responses((status = 200, body = UnitList)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<UnitList>> {
    Ok(Json(UnitList {
        items: units::list(&state.db, &caller.scope()).await?,
    }))
}
