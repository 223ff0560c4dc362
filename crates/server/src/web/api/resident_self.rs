//! `/api/v1/self`: the household's own service (居民端) for an app or a kiosk, reached with the
//! household's link token in the `x-household-token` header instead of a staff session; and
//! `/api/v1/households/{id}/resident-link`, where staff issue and revoke that link.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::db::resident_links::Link;
pub use crate::service::resident_links::{
    CorrectionAnswerBody, IssuedLink, LinkState, answer_correction, issue, revoke, state_of,
};
pub use crate::service::resident_self::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::{Caller, client_address};
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiJson;

/// The header that carries a household's link token.
pub const TOKEN_HEADER: &str = "x-household-token";

/// The household a request speaks for, from its token (rate-limited: see `service::resident_links`).
pub struct HouseholdLink {
    pub link: Link,
    pub address: String,
}

impl FromRequestParts<AppState> for HouseholdLink {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let address = client_address(parts);
        let token = parts
            .headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let link = crate::service::resident_links::open(state, token, &address).await?;
        Ok(HouseholdLink { link, address })
    }
}

/// The household's page as data: its members (masked) with today's readings, its pass, what it
/// asked and its status, the notices to residents, its correction requests.
#[utoipa::path(get, path = "/api/v1/self", tag = "residents",
    params(("x-household-token" = String, Header, description = "the household link's token")),
    responses((status = 200, body = SelfHousehold), (status = 404), (status = 429)))]
pub async fn show_self(
    State(state): State<AppState>,
    h: HouseholdLink,
) -> ApiResult<Json<SelfHousehold>> {
    Ok(Json(household(&state, &h.link, &h.address).await?))
}

/// A member's temperature, one tap: the same key again records nothing more (header
/// `idempotent-replayed: true`). A fever opens an alert for the medical group as any reading does.
#[utoipa::path(post, path = "/api/v1/self/checks", tag = "residents", request_body = SelfCheckBody,
    params(("x-household-token" = String, Header)),
    responses((status = 201, body = SelfCheckAnswer), (status = 404), (status = 422, body = crate::web::error::ErrorBody), (status = 429)))]
pub async fn create_self_check(
    State(state): State<AppState>,
    h: HouseholdLink,
    ApiJson(b): ApiJson<SelfCheckBody>,
) -> ApiResult<Response> {
    let a = report_temperature(&state, &h.link, &b).await?;
    let replay = a.replay;
    let mut res = (StatusCode::CREATED, Json(a)).into_response();
    if replay {
        res.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(res)
}

/// A help request into the 24-hour service's queue, for this household.
#[utoipa::path(post, path = "/api/v1/self/help", tag = "residents", request_body = SelfHelpBody,
    params(("x-household-token" = String, Header)),
    responses((status = 201, body = super::supplies::CreatedId), (status = 404), (status = 422, body = crate::web::error::ErrorBody), (status = 429)))]
pub async fn create_self_help(
    State(state): State<AppState>,
    h: HouseholdLink,
    ApiJson(b): ApiJson<SelfHelpBody>,
) -> ApiResult<Response> {
    let a = ask_help(&state, &h.link, &h.address, &b).await?;
    Ok(super::supplies::created((a.id, a.replay)))
}

/// A supplies request into the day's needs list, for this household (paid; staff confirm a
/// quantity over the household's cap).
#[utoipa::path(post, path = "/api/v1/self/needs", tag = "residents", request_body = SelfNeedBody,
    params(("x-household-token" = String, Header)),
    responses((status = 201, body = super::supplies::CreatedId), (status = 404), (status = 422, body = crate::web::error::ErrorBody), (status = 429)))]
pub async fn create_self_need(
    State(state): State<AppState>,
    h: HouseholdLink,
    ApiJson(b): ApiJson<SelfNeedBody>,
) -> ApiResult<Response> {
    let a = ask_need(&state, &h.link, &h.address, &b).await?;
    Ok(super::supplies::created((a.id, a.replay)))
}

/// A request to correct what is held about the household or a member (PIPL); it lands in the grid
/// worker's data checks.
#[utoipa::path(post, path = "/api/v1/self/corrections", tag = "residents", request_body = SelfCorrectionBody,
    params(("x-household-token" = String, Header)),
    responses((status = 201, body = super::supplies::CreatedId), (status = 404), (status = 422, body = crate::web::error::ErrorBody), (status = 429)))]
pub async fn create_self_correction(
    State(state): State<AppState>,
    h: HouseholdLink,
    ApiJson(b): ApiJson<SelfCorrectionBody>,
) -> ApiResult<Response> {
    let a = ask_correction(&state, &h.link, &h.address, &b).await?;
    Ok(super::supplies::created((a.id, a.replay)))
}

/// Whether the household's link works (never its token).
#[utoipa::path(get, path = "/api/v1/households/{id}/resident-link", tag = "residents",
    params(("id" = i64, Path)), responses((status = 200, body = LinkState), (status = 404)))]
pub async fn show_link(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<LinkState>> {
    let id = validate::path_id(&id)?;
    Ok(Json(state_of(&state, &caller, id).await?))
}

/// Issues the household's link, revoking any before (a lost sheet). The token is in this answer
/// only: the service keeps its hash.
#[utoipa::path(post, path = "/api/v1/households/{id}/resident-link", tag = "residents",
    params(("id" = i64, Path)), responses((status = 201, body = IssuedLink), (status = 403), (status = 404)))]
pub async fn issue_link(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = validate::path_id(&id)?;
    Ok((StatusCode::CREATED, Json(issue(&state, &caller, id).await?)).into_response())
}

/// Revokes the household's link: its pages answer 404 from now on.
#[utoipa::path(delete, path = "/api/v1/households/{id}/resident-link", tag = "residents",
    params(("id" = i64, Path)), responses((status = 204), (status = 403), (status = 404)))]
pub async fn revoke_link(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    revoke(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Answers a resident's correction request: `corrected` or `declined` (with the reason).
#[utoipa::path(post, path = "/api/v1/corrections/{id}/answer", tag = "residents",
    params(("id" = i64, Path)), request_body = CorrectionAnswerBody,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CorrectionAnswerBody>,
) -> ApiResult<StatusCode> {
    let id = validate::path_id(&id)?;
    answer_correction(&state, &caller, id, &b).await?;
    Ok(StatusCode::NO_CONTENT)
}
