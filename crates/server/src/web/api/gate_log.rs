//! The community's gate rules, visitors registered at the gate, and the gate log with its export.

use crate::db::gate::log::{self};
use crate::db::gate::visitors::{self};
use crate::db::gate::{self, When};
pub use crate::service::gate_log::*;
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiJson;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use shouhu_domain::Right;

/// A community's gate rules (no limits when none were set).
#[utoipa::path(get, path = "/api/v1/gate/rules", tag = "gate", params(CommunityQuery),
    responses((status = 200, body = RulesBody), (status = 404)))]
pub async fn rules(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CommunityQuery>,
) -> ApiResult<Json<RulesBody>> {
    caller
        .require(&state, Right::ReadGateLog, "gate.rules.read")
        .await?;
    let (_, r) = gate::rules(&state.db, &caller.scope(), q.community.trim()).await?;
    Ok(Json(RulesBody::from_rules(&r)))
}

/// Sets a community's gate rules (community leader). Audited with the old and new values.
#[utoipa::path(put, path = "/api/v1/gate/rules", tag = "gate", params(CommunityQuery), request_body = RulesBody,
    responses((status = 200, body = RulesBody), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn set_rules(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CommunityQuery>,
    ApiJson(b): ApiJson<RulesBody>,
) -> ApiResult<Json<RulesBody>> {
    caller
        .require(&state, Right::ManageGates, "gate.rules.set")
        .await?;
    let new = b.to_rules()?;
    store_rules(&state, &caller, q.community.trim(), &new).await?;
    Ok(Json(b))
}

/// Registers a visitor at a gate of the caller's community; answers a one-day code.
#[utoipa::path(post, path = "/api/v1/gate/visitors", tag = "gate", request_body = VisitorBody,
    responses((status = 201, body = VisitorView), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn register_visitor(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<VisitorBody>,
) -> ApiResult<(StatusCode, Json<VisitorView>)> {
    caller
        .require(&state, Right::ScanGate, "gate.visitor")
        .await?;
    let v = visitor_from(&b)?;
    let when = When::at(chrono::Utc::now().with_timezone(&state.settings.time_zone));
    let r = visitors::register(&state.db, &caller.scope(), &when, &v).await?;
    Ok((
        StatusCode::CREATED,
        Json(VisitorView {
            id: r.id,
            code: r.code,
            valid_on: r.day,
            host_household_id: r.host_household_id,
        }),
    ))
}

/// The gate log of a community and day; `format=xlsx` downloads every scan of the day.
#[utoipa::path(get, path = "/api/v1/gate/log", tag = "gate", params(LogQuery),
    responses((status = 200, body = GateLog), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn gate_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<LogQuery>,
) -> ApiResult<Response> {
    caller
        .require(&state, Right::ReadGateLog, "gate.log")
        .await?;
    let day = match q.date.as_deref() {
        Some(d) => validate::date("date", d)?,
        None => state.settings.today(),
    };
    let xlsx = match q.format.as_deref() {
        None | Some("json") => false,
        Some("xlsx") => true,
        Some(_) => {
            return Err(AppError::invalid(
                "format",
                "unknown_format",
                "format is json or xlsx",
            ));
        }
    };
    let (id, name) =
        log::community_in_scope(&state.db, &caller.scope(), q.community.trim()).await?;
    if xlsx {
        let bytes = export(&state, id, &name, &day.to_string()).await?;
        crate::db::audit::record(
            &state.db,
            &caller
                .actor()
                .entry("gate.log.export", "org_unit", id, day.to_string()),
        )
        .await?;
        let file = format!("gate-log-{}-{day}.xlsx", q.community.trim());
        return Ok((
            [
                (
                    header::CONTENT_TYPE,
                    crate::web::api::sheets::XLSX_MIME.to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            bytes,
        )
            .into_response());
    }
    Ok(Json(read_log(&state, id, q.community.trim(), day, caller.names()).await?).into_response())
}
