//! `/api/v1/notices`: notices (通知) to staff with read receipts (已读回执), their files, and who
//! has read and studied them.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

pub use crate::service::notices::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};

/// The caller's notices: those received (still to study first) and, for a street or community
/// leader, those published to the jurisdiction with their receipts added up.
#[utoipa::path(get, path = "/api/v1/notices", tag = "notices",
    responses((status = 200, body = Notices), (status = 403)))]
pub async fn list_notices(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Notices>> {
    Ok(Json(list(&state, &caller).await?))
}

/// Publishes a notice to the staff of `roles` in `unit_ids` (and below); the recipients are fixed
/// now. The same `idempotency_key` again answers the first (header `idempotent-replayed: true`).
#[utoipa::path(post, path = "/api/v1/notices", tag = "notices", request_body = NoticeBody,
    responses((status = 201, body = super::supplies::CreatedId), (status = 403),
        (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn publish_notice(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<NoticeBody>,
) -> ApiResult<Response> {
    Ok(super::supplies::created(
        publish(&state, &caller, &b).await?,
    ))
}

/// One notice that reaches the caller, with the caller's own receipt.
#[utoipa::path(get, path = "/api/v1/notices/{id}", tag = "notices", params(("id" = i64, Path)),
    responses((status = 200, body = NoticeView), (status = 403), (status = 404)))]
pub async fn show_notice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<NoticeView>> {
    let id = validate::path_id(&id)?;
    Ok(Json(detail(&state, &caller, id).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: i64,
}

/// A new version of a notice: every recipient is asked to read and study it again. A version
/// other than the current answers 409.
#[utoipa::path(put, path = "/api/v1/notices/{id}", tag = "notices", params(("id" = i64, Path)),
    request_body = RevisionBody,
    responses((status = 200, body = VersionView), (status = 403), (status = 404), (status = 409),
        (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn revise_notice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RevisionBody>,
) -> ApiResult<Json<VersionView>> {
    let id = validate::path_id(&id)?;
    let version = revise(&state, &caller, id, &b).await?;
    Ok(Json(VersionView { version }))
}

/// The caller's receipt of a notice: `read`, then `confirmed` (studied). It never moves back; a
/// receipt of an older version answers 409.
#[utoipa::path(post, path = "/api/v1/notices/{id}/receipt", tag = "notices",
    params(("id" = i64, Path)), request_body = ReceiptBody,
    responses((status = 200, body = ReceiptView), (status = 404), (status = 409),
        (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn answer_notice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReceiptBody>,
) -> ApiResult<Json<ReceiptView>> {
    let id = validate::path_id(&id)?;
    Ok(Json(answer(&state, &caller, id, &b).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReceiptsParams {
    /// Only the people of this community.
    pub community_id: Option<i64>,
    /// `json` (default) or `xlsx` (everyone, per community).
    pub format: Option<String>,
}

/// Who has read and studied a notice, within the caller's jurisdiction: per community and per
/// person, or as a spreadsheet.
#[utoipa::path(get, path = "/api/v1/notices/{id}/receipts", tag = "notices",
    params(("id" = i64, Path), ReceiptsParams),
    responses((status = 200, body = ReceiptsView), (status = 403), (status = 404)))]
pub async fn show_receipts(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ReceiptsParams>,
) -> ApiResult<Response> {
    let id = validate::path_id(&id)?;
    match p.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(receipts(&state, &caller, id, p.community_id).await?).into_response()),
        "xlsx" => {
            let (file, bytes) = receipts_xlsx(&state, &caller, id).await?;
            Ok((
                [
                    (header::CONTENT_TYPE, super::sheets::XLSX_MIME.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}.xlsx\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => Err(AppError::invalid(
            "format",
            "unknown_format",
            "format is json or xlsx",
        )),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttachParams {
    /// The file's name as people will see it.
    pub file_name: String,
}

/// Keeps a file (the request body, up to 10 MB; at most 10 per notice) with a notice the caller
/// may change.
#[utoipa::path(post, path = "/api/v1/notices/{id}/attachments", tag = "notices",
    params(("id" = i64, Path), AttachParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = super::supplies::CreatedId), (status = 403), (status = 404),
        (status = 413), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn attach_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<AttachParams>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let id = validate::path_id(&id)?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::invalid("file", "file_damaged", "the upload could not be read"),
    })?;
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let aid = attach(&state, &caller, id, &p.file_name, kind, &body).await?;
    Ok(super::supplies::created((aid, false)))
}

/// A file of a notice that reaches the caller.
#[utoipa::path(get, path = "/api/v1/notices/{id}/attachments/{file}", tag = "notices",
    params(("id" = i64, Path), ("file" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404)))]
pub async fn download_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = validate::path_id(&id)?;
    let file = validate::path_id(&file)?;
    let (name, kind, bytes) = attachment(&state, &caller, id, file).await?;
    Ok(crate::web::download::file_response(&name, &kind, bytes))
}
