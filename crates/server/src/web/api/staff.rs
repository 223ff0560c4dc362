//! `/api/v1/staff` and `/api/v1/teams`: who serves the caller's jurisdiction, and the special groups.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use shouhu_domain::Right;

use crate::db::accounts::{self, StaffMember, Team};
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;

#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffList {
    pub items: Vec<StaffMember>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TeamList {
    pub items: Vec<Team>,
}

#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", responses((status = 200, body = StaffList)))]
pub async fn staff(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<StaffList>> {
    caller
        .require(&state, Right::ReadRegistry, "staff.list")
        .await?;
    Ok(Json(StaffList {
        items: accounts::staff_in_scope(&state.db, &caller.scope()).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "staff", responses((status = 200, body = TeamList)))]
pub async fn teams(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<TeamList>> {
    caller
        .require(&state, Right::ReadRegistry, "team.list")
        .await?;
    Ok(Json(TeamList {
        items: accounts::teams_in_scope(&state.db, &caller.scope()).await?,
    }))
}
