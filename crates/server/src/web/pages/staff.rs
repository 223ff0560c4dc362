//! Staff serving the jurisdiction and the special groups (专项小组).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use shouhu_domain::Right;

use super::{Chrome, PageCaller, PageError, page};
use crate::db::accounts::{self, StaffMember, Team};
use crate::web::AppState;

#[derive(askama::Template)]
#[template(path = "staff.html")]
struct StaffPage {
    c: Chrome,
    staff: Vec<StaffMember>,
    teams: Vec<Team>,
}

pub async fn staff(State(state): State<AppState>, pc: PageCaller) -> Response {
    if let Err(e) = pc.require(&state, Right::ReadRegistry, "staff.list").await {
        return e.into_response();
    }
    let scope = pc.caller.scope();
    let staff = accounts::staff_in_scope(&state.db, &scope).await;
    let teams = accounts::teams_in_scope(&state.db, &scope).await;
    match (staff, teams) {
        (Ok(staff), Ok(teams)) => page(&StaffPage {
            c: pc.chrome,
            staff,
            teams,
        }),
        (Err(e), _) | (_, Err(e)) => PageError::new(pc.t(), e.into()).into_response(),
    }
}
