//! `/api/v1/units`: the caller's jurisdiction as a flat list ordered by code (parents before children).

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::db::StoreError;
use crate::db::units::{self, Unit};
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};

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

/// The caller's grids within `unit` (all of them without one); an unknown or foreign unit is 404.
pub async fn grids_within(
    state: &AppState,
    caller: &Caller,
    unit: Option<&str>,
) -> ApiResult<Vec<i64>> {
    let mine = caller.grids.clone();
    let Some(code) = unit else {
        return Ok(mine.to_vec());
    };
    crate::web::validate::plain("unit", code)?;
    let u = units::get_by_code(&state.db, &caller.scope(), code)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound,
            other => other.into(),
        })?;
    let below = units::descendants(&state.db, u.id).await?;
    Ok(mine.iter().copied().filter(|g| below.contains(g)).collect())
}
