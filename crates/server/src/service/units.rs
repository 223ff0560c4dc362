//! The caller's jurisdiction as a flat list ordered by code (parents before children). The views
//! and operations shared by the API (`web::api::units`, which adds the handlers) and the pages.

use crate::db::StoreError;
use crate::db::units::{self, Unit};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitList {
    pub items: Vec<Unit>,
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
    crate::service::validate::plain("unit", code)?;
    let u = units::get_by_code(&state.db, &caller.scope(), code)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound,
            other => other.into(),
        })?;
    let below = units::descendants(&state.db, u.id).await?;
    Ok(mine.iter().copied().filter(|g| below.contains(g)).collect())
}
