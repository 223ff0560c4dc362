//! `/api/v1/audit`: the auditor's search of the audit log. Nobody else reaches it (三权分立).

use crate::db::audit::{self};
pub use crate::service::audit::*;
use crate::service::paging::Paging;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiQuery;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use shouhu_domain::Right;

/// Search the audit log (auditor only); `format=csv` downloads the matching entries.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditList), (status = 403, body = crate::web::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Response> {
    caller
        .require(&state, Right::ReadAudit, "audit.read")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let filter = filter_from(&p, state.settings.time_zone)?;
    match p.format.as_deref() {
        None | Some("json") => {}
        Some("csv") => return Ok(export_csv(&state, &caller, &filter).await?.into_response()),
        Some(_) => {
            return Err(AppError::invalid(
                "format",
                "unknown_format",
                "format is json or csv",
            ));
        }
    }
    let (items, total) = audit::search(&state.db, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(AuditList {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    })
    .into_response())
}
