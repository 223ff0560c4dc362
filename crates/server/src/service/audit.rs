//! The auditor's search of the audit log. Nobody else reaches it (三权分立). The views and operations
//! shared by the API (`web::api::audit`, which adds the handlers) and the pages.

use crate::db::audit::{self, Entry, Filter};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
    /// `csv` for a download of every matching entry (up to 100,000), oldest last.
    pub format: Option<String>,
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
        crate::service::validate::plain(field, v.as_deref().unwrap_or(""))?;
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

/// A CSV field, quoted when it holds a separator, a quote or a line break; a leading `=`, `+`, `-`
/// or `@` is prefixed with `'` so a spreadsheet never runs it as a formula.
pub(crate) fn csv_field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

pub(crate) async fn export_csv(
    state: &AppState,
    caller: &Caller,
    filter: &Filter,
) -> ApiResult<super::Download> {
    let (items, total) = audit::search(&state.db, filter, 100_000, 0).await?;
    let mut out = String::from(
        "\u{feff}id,at,actor,action,object_kind,object_id,result,address,detail,hash\n",
    );
    for e in &items {
        let at = chrono::DateTime::from_timestamp(e.at, 0)
            .map(|t| t.with_timezone(&state.settings.time_zone).to_rfc3339())
            .unwrap_or_default();
        let row = [
            e.id.to_string(),
            at,
            e.actor.clone(),
            e.action.clone(),
            e.object_kind.clone(),
            e.object_id.clone(),
            e.result.clone(),
            e.address.clone(),
            e.detail.clone(),
            e.hash.clone(),
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    let detail = format!("rows={} of {total}", items.len());
    audit::record(
        &state.db,
        &caller.actor().entry("audit.export", "audit", 0, detail),
    )
    .await?;
    Ok(super::Download {
        mime: "text/csv; charset=utf-8".into(),
        file_name: "audit.csv".into(),
        bytes: out.into_bytes(),
    })
}
