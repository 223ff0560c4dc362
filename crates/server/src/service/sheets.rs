//! Spreadsheets in and out, within the caller's jurisdiction. The views and operations shared by
//! the API (`web::api::sheets`, which adds the handlers) and the pages.

use crate::db::{StoreError, export};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError};
use crate::service::validate;
use crate::sheet::export::{Format, Values};
use crate::sheet::import::{ImportError, Report};
use crate::sheet::load::LoadError;
use crate::sheet::read::ReadError;
use axum::body::Bytes;
use serde::Deserialize;

pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Uploads may be up to 50 MB; a little more is read so that the limit answers with its reason.
pub const MAX_UPLOAD_BYTES: usize = crate::sheet::read::MAX_BYTES + 64 * 1024;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// Code of the community the residents live in.
    pub community: String,
    /// Code or name of the grid for rows that name none.
    pub grid: Option<String>,
    /// The sheet to read; by default the first with a header.
    pub sheet: Option<String>,
    /// `true`: check and report, write nothing.
    pub dry_run: Option<bool>,
    /// The file's name, for the audit log.
    pub file_name: Option<String>,
}

/// The import of the API and of the page, with errors in the API's terms.
#[allow(clippy::too_many_arguments)]
pub async fn run_import(
    state: &AppState,
    caller: &Caller,
    bytes: Bytes,
    community: &str,
    grid: Option<&str>,
    sheet: Option<&str>,
    file_name: &str,
    dry_run: bool,
) -> ApiResult<Report> {
    for (field, v) in [
        ("community", community),
        ("grid", grid.unwrap_or("")),
        ("sheet", sheet.unwrap_or("")),
        ("file_name", file_name),
    ] {
        validate::plain(field, v)?;
    }
    let grid = grid.map(str::trim).filter(|g| !g.is_empty());
    let sheet = sheet.map(str::trim).filter(|g| !g.is_empty());
    let target = crate::db::import::target(
        &state.db,
        community.trim(),
        grid,
        Some(caller.session.user.id),
    )
    .await
    .map_err(|e| match e {
        // Unknown and out of reach look the same.
        StoreError::NotFound => AppError::invalid(
            "community",
            "unknown_unit",
            "no such community within your jurisdiction",
        ),
        StoreError::Invalid { .. } => AppError::invalid("grid", "unknown_unit", "no such grid"),
        other => other.into(),
    })?;
    let name: String = file_name.chars().take(100).collect();
    match crate::sheet::import::run(
        &state.db,
        &target,
        &caller.actor(),
        bytes,
        sheet,
        &name,
        dry_run,
        &|_, _| {},
    )
    .await
    {
        Ok(r) => Ok(r),
        Err(ImportError::File(LoadError::Read(ReadError::TooLarge))) => {
            Err(AppError::PayloadTooLarge)
        }
        Err(ImportError::File(e)) => Err(AppError::invalid("file", e.code(), e.to_string())),
        Err(ImportError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// Code of the unit (grid, community, street…).
    pub unit: String,
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    pub unit: String,
    pub format: Option<String>,
    /// The caller's password, unless re-authenticated in the last 5 minutes.
    pub password: Option<String>,
}

pub async fn export_file(
    state: &AppState,
    caller: &Caller,
    unit: &str,
    format: Option<&str>,
    values: Values,
) -> ApiResult<super::Download> {
    validate::plain("unit", unit)?;
    let format = match format.unwrap_or("xlsx") {
        "xlsx" | "" => Format::Xlsx,
        "csv" => Format::Csv,
        _ => {
            return Err(AppError::invalid(
                "format",
                "invalid_format",
                "the format is xlsx or csv",
            ));
        }
    };
    let uid = caller.session.user.id;
    let (unit_id, unit_name) = export::unit(&state.db, unit.trim(), Some(uid)).await?;
    let grids = export::export_grids(&state.db, unit_id, Some(uid)).await?;
    let title = format!("{unit_name} 居民名单（{} 导出）", state.settings.today());
    let (bytes, n) = crate::sheet::export::export_grids(&state.db, &grids, values, format, &title)
        .await
        .map_err(|e| AppError::Internal(format!("{e:#}")))?;
    let action = match values {
        Values::Full => "export.residents.unmasked",
        Values::Masked => "export.residents",
    };
    crate::db::audit::record(
        &state.db,
        &caller
            .actor()
            .entry(action, "org_unit", unit_id, format!("{n} residents")),
    )
    .await?;
    let (mime, ext) = match format {
        Format::Xlsx => (XLSX_MIME, "xlsx"),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
    };
    let file = format!("residents-{}-{}.{ext}", unit.trim(), state.settings.today());
    Ok(super::Download {
        mime: mime.to_string(),
        file_name: file,
        bytes,
    })
}
