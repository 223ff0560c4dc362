//! `/api/v1/checks`: the registry's inconsistencies per grid, each with a link to fix it.

pub use crate::service::checks::*;
use crate::service::paging::Paging;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::ApiResult;
use crate::web::json::ApiQuery;
use axum::Json;
use axum::extract::State;
use shouhu_domain::Right;

/// Problems in the registry of a unit, counted per grid, with one page of them to fix.
#[utoipa::path(get, path = "/api/v1/checks", tag = "registry", params(ChecksParams),
    responses((status = 200, body = ChecksReport), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ChecksParams>,
) -> ApiResult<Json<ChecksReport>> {
    caller
        .require(&state, Right::ReadRegistry, "checks.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    Ok(Json(
        report(
            &state,
            &caller,
            p.unit.as_deref(),
            p.kind.as_deref(),
            paging,
        )
        .await?,
    ))
}
