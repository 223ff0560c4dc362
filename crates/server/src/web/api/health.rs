//! `/api/v1/health-checks` and `/api/v1/alerts`: temperatures and symptoms, and the alerts a fever
//! or a symptom opens for the community's medical group.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shouhu_domain::health::{SOURCES, is_symptom};
use shouhu_domain::{Right, Temperature, mask};

use super::paging::Paging;
use super::units::grids_within;
use crate::db::health::{self, Alert, Check, NewCheck};
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};
use crate::web::validate;

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    pub resident_id: i64,
    /// °C, 34.0 to 43.0.
    pub temperature: f64,
    /// Known symptoms: cough, sore_throat, fatigue, shortness_of_breath, diarrhea,
    /// loss_of_taste_or_smell, muscle_ache, headache, chills.
    #[serde(default)]
    pub symptoms: Vec<String>,
    /// door, gate, self or phone.
    pub source: String,
    /// Unique per request of the caller; a retry with the same key returns the first answer.
    pub idempotency_key: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CheckView {
    pub id: i64,
    pub resident_id: i64,
    pub temperature: f64,
    pub fever: bool,
    pub symptoms: Vec<String>,
    pub source: String,
    pub day: String,
    pub checked_at: i64,
    /// The alert this check opened, if it opened one.
    pub alert_id: Option<i64>,
}

fn check_view(c: &Check) -> CheckView {
    CheckView {
        id: c.id,
        resident_id: c.resident_id,
        temperature: Temperature::from_tenths(c.temperature_tenths).celsius(),
        fever: c.fever != 0,
        symptoms: split(&c.symptoms),
        source: c.source.clone(),
        day: c.day.clone(),
        checked_at: c.checked_at,
        alert_id: c.alert_id,
    }
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// Temperature and symptoms as the API and the follow-ups take them.
pub fn parse_reading(
    temperature: f64,
    symptoms: &[String],
) -> ApiResult<(Temperature, Vec<String>)> {
    let t = Temperature::from_celsius(temperature)
        .map_err(|e| AppError::invalid("temperature", "temperature_out_of_range", e.to_string()))?;
    let mut s: Vec<String> = Vec::new();
    for x in symptoms {
        let x = x.trim();
        if !is_symptom(x) {
            return Err(AppError::invalid(
                "symptoms",
                "unknown_symptom",
                format!("unknown symptom {x:?}"),
            ));
        }
        if !s.iter().any(|y| y == x) {
            s.push(x.to_string());
        }
    }
    s.sort();
    Ok((t, s))
}

fn new_check(b: &CheckBody) -> ApiResult<NewCheck> {
    let (temperature, symptoms) = parse_reading(b.temperature, &b.symptoms)?;
    if !SOURCES.contains(&b.source.as_str()) {
        return Err(AppError::invalid(
            "source",
            "unknown_source",
            "source is door, gate, self or phone",
        ));
    }
    let key = validate::text("idempotency_key", &b.idempotency_key, 100, true)?;
    let canonical = serde_json::to_string(b).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(NewCheck {
        resident_id: b.resident_id,
        temperature,
        symptoms,
        source: b.source.clone(),
        idempotency_key: key,
        request_hash: hex::encode(Sha256::digest(canonical.as_bytes())),
    })
}

/// Records a temperature (and symptoms) for a resident of the caller's jurisdiction. A fever
/// (≥ 37.3 °C) or a symptom opens an alert for the community's medical group, unless one is open.
#[utoipa::path(post, path = "/api/v1/health-checks", tag = "health", request_body = CheckBody,
    responses((status = 201, body = CheckView), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<CheckBody>,
) -> ApiResult<Response> {
    caller
        .require(&state, Right::RecordHealth, "health_check.create")
        .await?;
    let c = new_check(&b)?;
    let day = state.settings.today().to_string();
    let rec = health::record(&state.db, &caller.scope(), &day, &c).await?;
    let mut res = (StatusCode::CREATED, Json(check_view(&rec.check))).into_response();
    if rec.replay {
        res.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(res)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchBody {
    /// Up to 1,000 checks, e.g. a whole household or a round of the building.
    pub items: Vec<CheckBody>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchItem {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::web::error::ErrorBody>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub recorded: usize,
    pub refused: usize,
    pub items: Vec<BatchItem>,
}

/// Records many checks at once, each with its own key; a refused item does not stop the others.
#[utoipa::path(post, path = "/api/v1/health-checks/batch", tag = "health", request_body = BatchBody,
    responses((status = 200, body = BatchResult), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn batch(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<BatchBody>,
) -> ApiResult<Json<BatchResult>> {
    caller
        .require(&state, Right::RecordHealth, "health_check.create")
        .await?;
    if b.items.is_empty() || b.items.len() > 1000 {
        return Err(AppError::invalid(
            "items",
            "out_of_range",
            "a batch holds 1 to 1,000 checks",
        ));
    }
    let day = state.settings.today().to_string();
    // Items that do not parse are refused here; the rest go to the store together.
    let parsed: Vec<Result<NewCheck, AppError>> = b.items.iter().map(new_check).collect();
    let valid: Vec<NewCheck> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok().cloned())
        .collect();
    let mut stored = if valid.is_empty() {
        Vec::new()
    } else {
        health::record_batch(&state.db, &caller.scope(), &day, &valid).await?
    }
    .into_iter();
    let mut items: Vec<BatchItem> = Vec::with_capacity(parsed.len());
    for (index, p) in parsed.into_iter().enumerate() {
        items.push(match p {
            Err(e) => BatchItem {
                index,
                check: None,
                error: Some(e.body()),
            },
            Ok(_) => match stored.next() {
                Some(health::BatchOutcome::Recorded(rec)) => BatchItem {
                    index,
                    check: Some(check_view(&rec.check)),
                    error: None,
                },
                Some(health::BatchOutcome::Refused(e)) => BatchItem {
                    index,
                    check: None,
                    error: Some(AppError::from(e).body()),
                },
                None => return Err(AppError::Internal("batch outcome missing".into())),
            },
        });
    }
    let recorded = items.iter().filter(|i| i.check.is_some()).count();
    Ok(Json(BatchResult {
        recorded,
        refused: items.len() - recorded,
        items,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitPageParams {
    pub unit: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonRow {
    pub resident_id: i64,
    pub grid_code: String,
    /// Masked.
    pub name: String,
    pub address: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonList {
    pub day: String,
    pub items: Vec<PersonRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Residents of the caller's grids (or of `unit`) with no check today, household by household.
#[utoipa::path(get, path = "/api/v1/health-checks/not-checked", tag = "health", params(UnitPageParams),
    responses((status = 200, body = PersonList), (status = 404)))]
pub async fn not_checked(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<UnitPageParams>,
) -> ApiResult<Json<PersonList>> {
    caller
        .require(&state, Right::ReadHealth, "health_check.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let grids = grids_within(&state, &caller, p.unit.as_deref()).await?;
    let day = state.settings.today().to_string();
    let (rows, total) =
        health::not_checked(&state.db, &grids, &day, paging.limit(), paging.offset()).await?;
    Ok(Json(PersonList {
        day,
        items: rows
            .into_iter()
            .map(|(id, grid_code, name, address)| PersonRow {
                resident_id: id,
                grid_code,
                name: mask::name(&name),
                address,
            })
            .collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertParams {
    /// open or closed; all without it.
    pub status: Option<String>,
    pub unit: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertView {
    pub id: i64,
    pub grid_code: String,
    pub resident_id: i64,
    /// Masked.
    pub resident_name: String,
    pub address: String,
    /// fever, and/or the symptoms.
    pub reason: String,
    pub temperature: Option<f64>,
    pub status: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub note: String,
    pub version: i64,
}

pub fn alert_view(a: &Alert) -> AlertView {
    AlertView {
        id: a.id,
        grid_code: a.grid_code.clone(),
        resident_id: a.resident_id,
        resident_name: mask::name(&a.resident_name),
        address: a.address.clone(),
        reason: a.reason.clone(),
        temperature: a
            .temperature_tenths
            .map(|t| Temperature::from_tenths(t).celsius()),
        status: a.status.clone(),
        opened_at: a.opened_at,
        closed_at: a.closed_at,
        note: a.note.clone(),
        version: a.version,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AlertList {
    pub items: Vec<AlertView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Alerts of the caller's jurisdiction, newest first.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "health", params(AlertParams),
    responses((status = 200, body = AlertList), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn alerts(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AlertParams>,
) -> ApiResult<Json<AlertList>> {
    caller
        .require(&state, Right::ReadHealth, "alert.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let status = match p.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s @ ("open" | "closed")) => Some(s),
        Some(_) => {
            return Err(AppError::invalid(
                "status",
                "unknown_status",
                "status is open or closed",
            ));
        }
    };
    let grids = grids_within(&state, &caller, p.unit.as_deref()).await?;
    let (items, total) =
        health::alerts(&state.db, &grids, status, paging.limit(), paging.offset()).await?;
    Ok(Json(AlertList {
        items: items.iter().map(alert_view).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// What the follow-up found and did.
    pub note: String,
    pub version: i64,
}

/// Closes an alert after its follow-up, with a note.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/close", tag = "health", request_body = CloseBody,
    params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CloseBody>,
) -> ApiResult<StatusCode> {
    caller
        .require(&state, Right::HandleAlerts, "alert.close")
        .await?;
    let id = validate::path_id(&id)?;
    let note = validate::text("note", &b.note, 500, true)?;
    health::close_alert(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        id,
        b.version,
        &note,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
