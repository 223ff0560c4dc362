//! Signing in and out, changing one's password, and one's own sessions.

use crate::db::accounts::{self};
use crate::db::audit::{self};
pub use crate::service::session::*;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiJson;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Sign in and receive a bearer token.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    responses((status = 200, body = SignedIn), (status = 401, body = crate::web::error::ErrorBody),
              (status = 429, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    ApiJson(body): ApiJson<SignIn>,
) -> ApiResult<Json<SignedIn>> {
    let address = crate::web::auth::client_address(&parts);
    let ua = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match sign_in(&state, &body.username, &body.password, &address, ua).await? {
        SignInOutcome::Ok {
            token,
            user,
            must_change,
        } => Ok(Json(SignedIn {
            token,
            user: me(&user, must_change),
        })),
        SignInOutcome::Refused => Err(AppError::InvalidCredentials),
        SignInOutcome::Throttled => Err(AppError::Throttled),
    }
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", responses((status = 200, body = Me)))]
pub async fn show(State(state): State<AppState>, caller: Caller) -> Json<Me> {
    Json(me(
        &caller.session.user,
        caller.must_change_password(&state),
    ))
}

/// Sign out: the session ends on the server.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)))]
pub async fn delete(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    accounts::end_session(&state.db, &caller.session.token_hash).await?;
    state.sessions.forget_user(caller.session.user.id);
    // An uploaded sheet of residents is not left behind a signed-out session.
    state.uploads.forget_user(caller.session.user.id);
    audit::record(
        &state.db,
        &caller.actor().entry(
            "session.sign_out",
            "user",
            caller.session.user.id,
            String::new(),
        ),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change one's own password (required at first sign-in).
#[utoipa::path(post, path = "/api/v1/session/password", tag = "session", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    change_password(&state, &caller, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One's own open sessions.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "session", responses((status = 200, body = SessionList)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SessionList>> {
    Ok(Json(SessionList {
        items: accounts::list_sessions(&state.db, caller.session.user.id).await?,
    }))
}

/// End one of one's own sessions (e.g. a phone left behind).
#[utoipa::path(delete, path = "/api/v1/sessions/{handle}", tag = "session",
    params(("handle" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn end(
    State(state): State<AppState>,
    caller: Caller,
    Path(handle): Path<String>,
) -> ApiResult<StatusCode> {
    if accounts::end_session_by_handle(&state.db, caller.session.user.id, &handle).await? {
        state.sessions.forget_user(caller.session.user.id);
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}
