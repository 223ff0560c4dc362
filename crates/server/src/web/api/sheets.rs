//! `/api/v1/imports/residents` and `/api/v1/exports/residents`: spreadsheets in and out, within the
//! caller's jurisdiction.

pub use crate::service::sheets::*;
use crate::sheet::export::Values;
use crate::sheet::import::Report;
use crate::web::AppState;
use crate::web::api::residents::reauthenticate;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use shouhu_domain::Right;

/// Imports residents from the request body (an .xlsx, .xls, .ods or .csv file, up to 50 MB).
/// Rows are matched by ID number; a row with any problem is rejected whole and reported.
#[utoipa::path(post, path = "/api/v1/imports/residents", tag = "registry", params(ImportParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = Report), (status = 413), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn import_residents(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Report>> {
    caller
        .require(&state, Right::ImportRegistry, "import.residents")
        .await?;
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        _ => AppError::invalid("file", "file_damaged", "the upload could not be read"),
    })?;
    let report = run_import(
        &state,
        &caller,
        body,
        &p.community,
        p.grid.as_deref(),
        p.sheet.as_deref(),
        p.file_name.as_deref().unwrap_or("upload"),
        p.dry_run.unwrap_or(false),
    )
    .await?;
    Ok(Json(report))
}

/// The residents of a unit within the caller's jurisdiction, masked, as .xlsx or .csv with the
/// import's columns.
#[utoipa::path(get, path = "/api/v1/exports/residents", tag = "registry", params(ExportParams),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 404)))]
pub async fn export_masked(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> ApiResult<crate::service::Download> {
    caller
        .require(&state, Right::ExportRegistry, "export.residents")
        .await?;
    export_file(
        &state,
        &caller,
        &p.unit,
        p.format.as_deref(),
        Values::Masked,
    )
    .await
}

/// The same with full ID numbers and phones: needs the unmask right and a re-authentication; audited.
#[utoipa::path(post, path = "/api/v1/exports/residents", tag = "registry", request_body = ExportBody,
    responses((status = 200), (status = 403), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn export_full(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ExportBody>,
) -> ApiResult<crate::service::Download> {
    caller
        .require(&state, Right::ExportRegistry, "export.residents")
        .await?;
    caller
        .require(&state, Right::Unmask, "export.residents.unmasked")
        .await?;
    reauthenticate(&state, &caller, b.password.as_deref()).await?;
    export_file(&state, &caller, &b.unit, b.format.as_deref(), Values::Full).await
}
