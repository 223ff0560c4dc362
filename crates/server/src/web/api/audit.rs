//! `/api/v1/audit`: the auditor's search of the audit log. Nobody else reaches it (三权分立).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shouhu_domain::Right;

use super::paging::Paging;
use crate::db::audit::{self, Entry, Filter};
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiQuery;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    /// From this date (YYYY-MM-DD, local time zone), inclusive.
    pub from: Option<String>,
    /// To this date (YYYY-MM-DD, local time zone), inclusive.
    pub to: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditList {
    pub items: Vec<Entry>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Turns a local date into the unix second that starts it (or ends it, with `end`).
pub fn local_day_bound(
    field: &'static str,
    v: Option<&str>,
    tz: chrono_tz::Tz,
    end: bool,
) -> Result<Option<i64>, AppError> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "invalid_date", "a date is YYYY-MM-DD"))?;
    let d = if end { d.succ_opt().unwrap_or(d) } else { d };
    let start = d
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map(|t| t.timestamp())
        .ok_or_else(|| AppError::invalid(field, "invalid_date", "a date is YYYY-MM-DD"))?;
    Ok(Some(if end { start - 1 } else { start }))
}

pub fn filter_from(p: &AuditParams, tz: chrono_tz::Tz) -> Result<Filter, AppError> {
    for (field, v) in [
        ("actor", &p.actor),
        ("action", &p.action),
        ("object_kind", &p.object_kind),
        ("object_id", &p.object_id),
    ] {
        crate::web::validate::plain(field, v.as_deref().unwrap_or(""))?;
    }
    let s = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    Ok(Filter {
        actor: s(&p.actor),
        action: s(&p.action),
        object_kind: s(&p.object_kind),
        object_id: s(&p.object_id),
        from: local_day_bound("from", p.from.as_deref(), tz, false)?,
        to: local_day_bound("to", p.to.as_deref(), tz, true)?,
    })
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditList), (status = 403, body = crate::web::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Json<AuditList>> {
    caller
        .require(&state, Right::ReadAudit, "audit.read")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let filter = filter_from(&p, state.settings.time_zone)?;
    let (items, total) = audit::search(&state.db, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(AuditList {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}
