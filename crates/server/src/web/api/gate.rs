//! `/api/v1/gates`, household passes and `/api/v1/gate/scans`: the gate's decision, in one call.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shouhu_domain::{Plate, Right, Temperature};

use crate::db::gate::{self, NewScan, When};
use crate::service::validate;
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::ApiJson;

#[derive(Serialize, utoipa::ToSchema)]
pub struct GateView {
    pub id: i64,
    pub name: String,
    pub community_code: String,
    /// pedestrian, vehicle or both.
    pub kind: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GateList {
    pub items: Vec<GateView>,
}

/// The gates of the caller's communities.
#[utoipa::path(get, path = "/api/v1/gates", tag = "gate", responses((status = 200, body = GateList)))]
pub async fn gates(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<GateList>> {
    if !caller.session.user.role.has(Right::ReadRegistry) {
        caller.require(&state, Right::ScanGate, "gate.list").await?;
    }
    let items = gate::gates(&state.db, &caller.scope()).await?;
    Ok(Json(GateList {
        items: items
            .into_iter()
            .map(|g| GateView {
                id: g.id,
                name: g.name,
                community_code: g.community_code,
                kind: g.kind,
            })
            .collect(),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PassView {
    pub household_id: i64,
    /// What the QR code holds.
    pub code: String,
    pub status: String,
    pub issued_at: i64,
}

/// The household's pass, issued now if it has none.
#[utoipa::path(get, path = "/api/v1/households/{id}/pass", tag = "gate", params(("id" = i64, Path)),
    responses((status = 200, body = PassView), (status = 404)))]
pub async fn pass(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<PassView>> {
    caller
        .require(&state, Right::EditRegistry, "pass.issue")
        .await?;
    let p = gate::pass_for(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        validate::path_id(&id)?,
    )
    .await?;
    Ok(Json(PassView {
        household_id: p.household_id,
        code: p.code,
        status: p.status,
        issued_at: p.issued_at,
    }))
}

/// Revokes the household's pass (lost, or misused); the next request issues a new one.
#[utoipa::path(post, path = "/api/v1/households/{id}/pass/revoke", tag = "gate", params(("id" = i64, Path)),
    responses((status = 204), (status = 404)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    caller
        .require(&state, Right::EditRegistry, "pass.revoke")
        .await?;
    gate::revoke_pass(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        validate::path_id(&id)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanBody {
    pub gate_id: i64,
    /// A pass code, or the ID number of a resident without one.
    pub code: String,
    /// in or out.
    pub direction: String,
    /// °C, when measured.
    pub temperature: Option<f64>,
    /// The vehicle's plate, in vehicle mode.
    pub plate: Option<String>,
    pub idempotency_key: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ScanAnswer {
    pub id: i64,
    /// allow or deny.
    pub decision: String,
    /// exit_quota, quarantine, fever, curfew, revoked_pass, unknown_code, visitor_not_registered or
    /// vehicle_not_allowed (a plate where the community's rules allow no vehicles); null when allowed.
    pub reason: Option<String>,
    pub household_id: Option<i64>,
    /// A registered visitor's code: name is the visitor's, the place the host's.
    pub visitor: bool,
    /// The household's head (or the visitor), masked.
    pub name: Option<String>,
    pub building: Option<String>,
    pub room: Option<String>,
    pub address: Option<String>,
}

/// Decides a scan at a gate of the caller's community and logs it, allowed or refused.
#[utoipa::path(post, path = "/api/v1/gate/scans", tag = "gate", request_body = ScanBody,
    responses((status = 200, body = ScanAnswer), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn scan(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<ScanBody>,
) -> ApiResult<Json<ScanAnswer>> {
    caller.require(&state, Right::ScanGate, "gate.scan").await?;
    let code = validate::text("code", &b.code, 64, true)?;
    if b.direction != "in" && b.direction != "out" {
        return Err(AppError::invalid(
            "direction",
            "unknown_direction",
            "direction is in or out",
        ));
    }
    let temperature = match b.temperature {
        None => None,
        Some(t) => Some(Temperature::from_celsius(t).map_err(|e| {
            AppError::invalid("temperature", "temperature_out_of_range", e.to_string())
        })?),
    };
    let plate = match b.plate.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => Some(
            Plate::parse(p)
                .map_err(|e| AppError::invalid("plate", "invalid_plate", e.to_string()))?
                .to_string(),
        ),
    };
    let key = validate::text("idempotency_key", &b.idempotency_key, 100, true)?;
    let canonical = serde_json::to_string(&b).map_err(|e| AppError::Internal(e.to_string()))?;
    let s = NewScan {
        gate_id: b.gate_id,
        code,
        direction: b.direction.clone(),
        temperature,
        plate,
        idempotency_key: key,
        request_hash: hex::encode(Sha256::digest(canonical.as_bytes())),
    };
    let when = When::at(chrono::Utc::now().with_timezone(&state.settings.time_zone));
    let (r, _) = state
        .scans
        .scan(&state.db, &caller.scope(), when, s)
        .await?;
    // What the guard sees: the household's head, or the visitor — masked for a guard, whose role
    // reads no registry; in full for a leader at the gate — and where they live (or whom they
    // visit). A retry's answer looks it up again.
    let place = match r.place.clone() {
        Some(p) => Some((p.name, p.building, p.room, p.address)),
        None => crate::db::gate::scan_place(&state.db, r.household_id, r.visitor_id).await?,
    };
    let (name, building, room, address) = match place {
        Some((n, b, room, a)) => (n.map(|n| caller.names().show(&n)), b, Some(room), Some(a)),
        None => (None, None, None, None),
    };
    Ok(Json(ScanAnswer {
        id: r.id,
        decision: r.decision,
        reason: r.reason,
        household_id: r.household_id,
        visitor: r.visitor_id.is_some(),
        name,
        building,
        room,
        address,
    }))
}
