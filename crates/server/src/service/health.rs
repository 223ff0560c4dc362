//! Temperatures and symptoms, and the alerts a fever or a symptom opens for the community's medical
//! group. The views and operations shared by the API (`web::api::health`, which adds the handlers)
//! and the pages.

use crate::db::health::{Alert, Check, NewCheck};
use crate::service::caller::Names;
use crate::service::error::{ApiResult, AppError};
use crate::service::validate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shouhu_domain::Temperature;
use shouhu_domain::device_clock::DeviceClock;
use shouhu_domain::health::{SOURCES, is_symptom};

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
    /// Unix seconds on the phone when the reading was taken, for a reading sent later from an
    /// offline queue: kept beside the server's time, and the day it counts on when plausible (a
    /// time ahead of the server or over two days old is flagged and not used).
    #[serde(default)]
    pub device_time: Option<i64>,
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
    /// The phone's time, when sent with the reading.
    pub device_time: Option<i64>,
    /// `future` or `old` when the phone's time was not believed.
    pub device_time_flag: Option<&'static str>,
}

pub(crate) fn check_view(c: &Check) -> CheckView {
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
        device_time: c.device_at,
        device_time_flag: c
            .device_at
            .and_then(|d| DeviceClock::judge(d, c.checked_at).flag()),
    }
}

pub(crate) fn split(s: &str) -> Vec<String> {
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

pub(crate) fn new_check(b: &CheckBody) -> ApiResult<NewCheck> {
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
        via_link_id: None,
        device_at: b.device_time,
    })
}

/// Records checks in batches by the day each counts on (one batch unless a queue sent from
/// offline spans midnight), answering in the order given.
pub async fn record_by_day(
    db: &crate::db::Db,
    scope: &crate::db::Scope,
    settings: &crate::config::Settings,
    items: &[NewCheck],
) -> ApiResult<Vec<crate::db::health::BatchOutcome>> {
    let days: Vec<String> = items
        .iter()
        .map(|c| settings.day_of(c.device_at).to_string())
        .collect();
    let mut distinct = days.clone();
    distinct.sort();
    distinct.dedup();
    // The usual batch (a round sent at once) is one day: stored as it came, nothing copied.
    if let [day] = distinct.as_slice() {
        return Ok(crate::db::health::record_batch(db, scope, day, items).await?);
    }
    let mut out: Vec<Option<crate::db::health::BatchOutcome>> =
        (0..items.len()).map(|_| None).collect();
    for day in distinct {
        let at: Vec<usize> = (0..items.len()).filter(|i| days[*i] == day).collect();
        let group: Vec<NewCheck> = at.iter().map(|i| items[*i].clone()).collect();
        let answers = crate::db::health::record_batch(db, scope, &day, &group).await?;
        for (i, a) in at.into_iter().zip(answers) {
            out[i] = Some(a);
        }
    }
    out.into_iter()
        .map(|o| o.ok_or_else(|| AppError::Internal("a check without an answer".into())))
        .collect()
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
    pub error: Option<crate::service::error::ErrorBody>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchResult {
    pub recorded: usize,
    pub refused: usize,
    pub items: Vec<BatchItem>,
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
    /// As the caller's role may see it (see `Names`).
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

pub fn alert_view(a: &Alert, names: Names) -> AlertView {
    AlertView {
        id: a.id,
        grid_code: a.grid_code.clone(),
        resident_id: a.resident_id,
        resident_name: names.show(&a.resident_name),
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// What the follow-up found and did.
    pub note: String,
    pub version: i64,
}
