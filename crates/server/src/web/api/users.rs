//! `/api/v1/users`: accounts, under separated duties (三权分立). The system administrator creates,
//! disables and resets accounts; the security administrator grants roles and jurisdictions. Neither
//! touches the three system accounts, which only the command line manages, nor reads residents.

use crate::db::accounts::{self, StaffMember};
pub use crate::service::users::*;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::ApiJson;
use axum::Json;
use axum::extract::{Path, State};

/// Every account (administrators only).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", responses((status = 200, body = UserList), (status = 403)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<UserList>> {
    require_admin(&state, &caller).await?;
    Ok(Json(UserList {
        items: accounts::list_users(&state.db).await?,
    }))
}

/// Create a staff account (system administrator).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUser,
    responses((status = 201, body = OneTimePassword), (status = 403), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NewUser>,
) -> ApiResult<(axum::http::StatusCode, Json<OneTimePassword>)> {
    let made = create_user(&state, &caller, &b).await?;
    Ok((axum::http::StatusCode::CREATED, Json(made)))
}

/// Grant a role and jurisdiction (security administrator). The account's sessions end.
#[utoipa::path(put, path = "/api/v1/users/{id}/access", tag = "accounts", params(("id" = i64, Path)),
    request_body = Access, responses((status = 200, body = StaffMember), (status = 403), (status = 404), (status = 422)))]
pub async fn set_access(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Access>,
) -> ApiResult<Json<StaffMember>> {
    grant_access(&state, &caller, &id, &b).await.map(Json)
}

/// Disable or enable an account (system administrator). Disabling ends its sessions.
#[utoipa::path(put, path = "/api/v1/users/{id}/disabled", tag = "accounts", params(("id" = i64, Path)),
    request_body = Disabled, responses((status = 204), (status = 403), (status = 404)))]
pub async fn set_disabled(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<Disabled>,
) -> ApiResult<axum::http::StatusCode> {
    disable(&state, &caller, &id, b.disabled).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Reset an account's password to a one-time one (system administrator). Its sessions end.
#[utoipa::path(post, path = "/api/v1/users/{id}/password-reset", tag = "accounts", params(("id" = i64, Path)),
    responses((status = 200, body = OneTimePassword), (status = 403), (status = 404)))]
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<OneTimePassword>> {
    reset(&state, &caller, &id).await.map(Json)
}
