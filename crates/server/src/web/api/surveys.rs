//! `/api/v1/surveys` (摸排 campaigns and household visits), `/api/v1/risk-areas` and
//! `/api/v1/risk-flags` (the residents answers put at risk, for a leader to decide on).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shouhu_domain::{QuarantineKind, Right, mask};

use super::paging::Paging;
use super::units::grids_within;
use crate::db::{risk, surveys, units};
use crate::survey::{self, Question};
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};
use crate::web::validate;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Template {
    pub questions: Vec<Question>,
}

/// The built-in epidemic screening questionnaire.
#[utoipa::path(get, path = "/api/v1/surveys/template", tag = "surveys", responses((status = 200, body = Template)))]
pub async fn template(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Template>> {
    caller
        .require(&state, Right::ReadHealth, "survey.template")
        .await?;
    Ok(Json(Template {
        questions: survey::epidemic_screening(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyBody {
    pub name: String,
    /// Codes of the grids (one community's) to survey.
    pub grids: Vec<String>,
    /// The questionnaire; the built-in epidemic screening when absent.
    pub questions: Option<Vec<Question>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GridProgress {
    pub grid_code: String,
    pub households: i64,
    pub done: i64,
    pub nobody_home: i64,
    pub refused: i64,
    pub not_visited: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub questions: Vec<Question>,
    /// Per grid of the caller's jurisdiction, and the sum.
    pub progress: Vec<GridProgress>,
    pub total: GridProgress,
}

/// The campaign with its progress over the caller's grids (for the pages too).
pub async fn survey_view(state: &AppState, s: &surveys::Survey) -> ApiResult<SurveyView> {
    let rows = surveys::progress(&state.db, s).await?;
    Ok(view(s, rows))
}

/// A campaign as shown: its progress per grid of the caller's jurisdiction, and the sum.
pub fn view(s: &surveys::Survey, rows: Vec<surveys::Progress>) -> SurveyView {
    let progress: Vec<GridProgress> = rows
        .into_iter()
        .map(|p| GridProgress {
            not_visited: p.households - p.done - p.nobody_home - p.refused,
            grid_code: p.grid_code,
            households: p.households,
            done: p.done,
            nobody_home: p.nobody_home,
            refused: p.refused,
        })
        .collect();
    let sum = |f: fn(&GridProgress) -> i64| progress.iter().map(f).sum::<i64>();
    let total = GridProgress {
        grid_code: String::new(),
        households: sum(|p| p.households),
        done: sum(|p| p.done),
        nobody_home: sum(|p| p.nobody_home),
        refused: sum(|p| p.refused),
        not_visited: sum(|p| p.not_visited),
    };
    SurveyView {
        id: s.id,
        name: s.name.clone(),
        status: s.status.clone(),
        questions: s.questions.clone(),
        progress,
        total,
    }
}

/// One page of campaigns as shown, and how many there are.
pub async fn list_views(
    state: &AppState,
    caller: &Caller,
    paging: &Paging,
) -> ApiResult<(Vec<SurveyView>, i64)> {
    let (page, total) =
        surveys::list_page(&state.db, &caller.scope(), paging.limit(), paging.offset()).await?;
    Ok((
        page.into_iter().map(|(s, rows)| view(&s, rows)).collect(),
        total,
    ))
}

/// Starts a campaign over grids of one community.
#[utoipa::path(post, path = "/api/v1/surveys", tag = "surveys", request_body = SurveyBody,
    responses((status = 201, body = SurveyView), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<SurveyBody>,
) -> ApiResult<(StatusCode, Json<SurveyView>)> {
    caller
        .require(&state, Right::ManageSurveys, "survey.create")
        .await?;
    let name = validate::text("name", &b.name, 100, true)?;
    let questions = b.questions.unwrap_or_else(survey::epidemic_screening);
    survey::check_questions(&questions)
        .map_err(|e| AppError::invalid("questions", e.code, e.to_string()))?;
    let scope = caller.scope();
    let mut grids = Vec::new();
    for code in &b.grids {
        validate::plain("grids", code)?;
        let u = units::get_by_code(&state.db, &scope, code.trim())
            .await
            .ok()
            .filter(|u| u.kind == "grid")
            .ok_or_else(|| {
                AppError::invalid(
                    "grids",
                    "unknown_unit",
                    format!("no grid {code:?} in your jurisdiction"),
                )
            })?;
        grids.push(u.id);
    }
    grids.sort_unstable();
    grids.dedup();
    let id = surveys::create(
        &state.db,
        &scope,
        &caller.actor(),
        &name,
        &questions,
        &grids,
    )
    .await?;
    let s = surveys::get(&state.db, &scope, id).await?;
    Ok((StatusCode::CREATED, Json(survey_view(&state, &s).await?)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SurveyList {
    pub items: Vec<SurveyView>,
    /// Campaigns reaching the caller's grids, in all.
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys", params(ListParams),
    responses((status = 200, body = SurveyList), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<SurveyList>> {
    caller
        .require(&state, Right::ReadHealth, "survey.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let (items, total) = list_views(&state, &caller, &paging).await?;
    Ok(Json(SurveyList {
        items,
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyView), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SurveyView>> {
    caller
        .require(&state, Right::ReadHealth, "survey.read")
        .await?;
    let s = surveys::get(&state.db, &caller.scope(), validate::path_id(&id)?).await?;
    Ok(Json(survey_view(&state, &s).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HouseholdParams {
    /// not_visited, done, nobody_home or refused.
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdRow {
    pub household_id: i64,
    pub grid_code: String,
    pub address: String,
    pub status: String,
    pub attempts: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HouseholdList {
    pub items: Vec<HouseholdRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

pub const VISIT_STATUSES: [&str; 4] = ["not_visited", "done", "nobody_home", "refused"];

/// The campaign's households in the caller's grids, with their visit status.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/households", tag = "surveys", params(("id" = i64, Path), HouseholdParams),
    responses((status = 200, body = HouseholdList), (status = 404)))]
pub async fn households(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<HouseholdParams>,
) -> ApiResult<Json<HouseholdList>> {
    caller
        .require(&state, Right::ReadHealth, "survey.read")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let status = p.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if status.is_some_and(|s| !VISIT_STATUSES.contains(&s)) {
        return Err(AppError::invalid(
            "status",
            "unknown_status",
            "status is not_visited, done, nobody_home or refused",
        ));
    }
    let s = surveys::get(&state.db, &caller.scope(), validate::path_id(&id)?).await?;
    let (rows, total) =
        surveys::households(&state.db, &s, status, paging.limit(), paging.offset()).await?;
    Ok(Json(HouseholdList {
        items: rows
            .into_iter()
            .map(|h| HouseholdRow {
                household_id: h.household_id,
                grid_code: h.grid_code,
                address: h.address,
                status: h.status,
                attempts: h.attempts,
            })
            .collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Member {
    pub id: i64,
    /// Masked.
    pub name: String,
    pub relation: String,
    pub birth_date: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Visit {
    pub household_id: i64,
    pub status: String,
    pub attempts: i64,
    pub members: Vec<Member>,
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Value>,
}

pub async fn visit_of(state: &AppState, s: &surveys::Survey, hid: i64) -> ApiResult<Visit> {
    let members = surveys::members(&state.db, s, hid).await?;
    let (status, attempts, answers) = surveys::answers(&state.db, s, hid)
        .await?
        .unwrap_or_else(|| ("not_visited".into(), 0, BTreeMap::new()));
    Ok(Visit {
        household_id: hid,
        status,
        attempts,
        members: members
            .into_iter()
            .map(|(id, name, relation, birth_date)| Member {
                id,
                name: mask::name(&name),
                relation,
                birth_date,
            })
            .collect(),
        answers,
    })
}

#[utoipa::path(get, path = "/api/v1/surveys/{id}/households/{household_id}", tag = "surveys",
    params(("id" = i64, Path), ("household_id" = i64, Path)), responses((status = 200, body = Visit), (status = 404)))]
pub async fn visit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, hid)): Path<(String, String)>,
) -> ApiResult<Json<Visit>> {
    caller
        .require(&state, Right::ReadHealth, "survey.read")
        .await?;
    let s = surveys::get(&state.db, &caller.scope(), validate::path_id(&id)?).await?;
    Ok(Json(visit_of(&state, &s, validate::path_id(&hid)?).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitBody {
    /// done, nobody_home or refused.
    pub status: String,
    /// For done: the answers by question key (a members question lists resident ids).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Value>,
}

/// Records a household's visit; a done visit's answers may put members at risk.
#[utoipa::path(put, path = "/api/v1/surveys/{id}/households/{household_id}", tag = "surveys", request_body = VisitBody,
    params(("id" = i64, Path), ("household_id" = i64, Path)),
    responses((status = 200, body = Visit), (status = 404), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn record_visit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, hid)): Path<(String, String)>,
    ApiJson(b): ApiJson<VisitBody>,
) -> ApiResult<Json<Visit>> {
    caller
        .require(&state, Right::RecordHealth, "survey.visit")
        .await?;
    let status = b.status.trim();
    if !["done", "nobody_home", "refused"].contains(&status) {
        return Err(AppError::invalid(
            "status",
            "unknown_status",
            "status is done, nobody_home or refused",
        ));
    }
    let s = surveys::get(&state.db, &caller.scope(), validate::path_id(&id)?).await?;
    let hid = validate::path_id(&hid)?;
    surveys::visit(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        &s,
        hid,
        surveys::Outcome {
            status,
            answers: &b.answers,
        },
        state.settings.today(),
    )
    .await
    .map_err(|e| match e {
        crate::db::StoreError::Invalid {
            field: "answers",
            code,
        } => AppError::invalid("answers", code, format!("an answer was refused: {code}")),
        other => other.into(),
    })?;
    Ok(Json(visit_of(&state, &s, hid).await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AreaView {
    pub id: i64,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AreaList {
    pub items: Vec<AreaView>,
}

#[utoipa::path(get, path = "/api/v1/risk-areas", tag = "surveys", responses((status = 200, body = AreaList)))]
pub async fn areas(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<AreaList>> {
    caller
        .require(&state, Right::ReadHealth, "risk_area.list")
        .await?;
    let items = risk::areas(&state.db).await?;
    Ok(Json(AreaList {
        items: items
            .into_iter()
            .map(|a| AreaView {
                id: a.id,
                name: a.name,
                starts_on: a.starts_on,
                ends_on: a.ends_on,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaBody {
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
}

#[utoipa::path(post, path = "/api/v1/risk-areas", tag = "surveys", request_body = AreaBody,
    responses((status = 201, body = AreaView), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn add_area(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(b): ApiJson<AreaBody>,
) -> ApiResult<(StatusCode, Json<AreaView>)> {
    caller
        .require(&state, Right::ManageQuarantine, "risk_area.create")
        .await?;
    let name = validate::text("name", &b.name, 50, true)?;
    let d = |field: &'static str, v: &str| {
        chrono::NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::invalid(field, "invalid_date", "a date is YYYY-MM-DD"))
    };
    let (from, to) = (d("starts_on", &b.starts_on)?, d("ends_on", &b.ends_on)?);
    if to < from {
        return Err(AppError::invalid(
            "ends_on",
            "end_before_start",
            "the end is before the start",
        ));
    }
    let id = risk::add_area(
        &state.db,
        &caller.actor(),
        &name,
        &from.to_string(),
        &to.to_string(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AreaView {
            id,
            name,
            starts_on: from.to_string(),
            ends_on: to.to_string(),
        }),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FlagParams {
    /// pending, confirmed or dismissed.
    pub status: Option<String>,
    pub unit: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FlagView {
    pub id: i64,
    pub resident_id: i64,
    /// Masked.
    pub resident_name: String,
    pub address: String,
    pub grid_code: String,
    pub reason: String,
    /// Recommended: home or centralized.
    pub measure: String,
    pub status: String,
    pub decision_reason: String,
    pub quarantine_id: Option<i64>,
    pub created_at: i64,
    pub version: i64,
}

pub fn flag_view(f: &risk::Flag) -> FlagView {
    FlagView {
        id: f.id,
        resident_id: f.resident_id,
        resident_name: mask::name(&f.resident_name),
        address: f.address.clone(),
        grid_code: f.grid_code.clone(),
        reason: f.reason.clone(),
        measure: f.measure.clone(),
        status: f.status.clone(),
        decision_reason: f.decision_reason.clone(),
        quarantine_id: f.quarantine_id,
        created_at: f.created_at,
        version: f.version,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct FlagList {
    pub items: Vec<FlagView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Residents put at risk by survey answers (the leader's at-risk list).
#[utoipa::path(get, path = "/api/v1/risk-flags", tag = "surveys", params(FlagParams),
    responses((status = 200, body = FlagList), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn flags(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<FlagParams>,
) -> ApiResult<Json<FlagList>> {
    caller
        .require(&state, Right::ReadHealth, "risk_flag.list")
        .await?;
    let paging = Paging::new(p.page, p.per_page)?;
    let status = p.status.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if status.is_some_and(|s| !["pending", "confirmed", "dismissed"].contains(&s)) {
        return Err(AppError::invalid(
            "status",
            "unknown_status",
            "status is pending, confirmed or dismissed",
        ));
    }
    let grids = grids_within(&state, &caller, p.unit.as_deref()).await?;
    let (items, total) =
        risk::flags(&state.db, &grids, status, paging.limit(), paging.offset()).await?;
    Ok(Json(FlagList {
        items: items.iter().map(flag_view).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    pub version: i64,
    /// home, centralized or hospital; the recommended measure when absent.
    pub kind: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Confirmed {
    pub quarantine_id: i64,
}

/// Confirms a flag: the quarantine starts today.
#[utoipa::path(post, path = "/api/v1/risk-flags/{id}/confirm", tag = "surveys", request_body = ConfirmBody,
    params(("id" = i64, Path)), responses((status = 200, body = Confirmed), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ConfirmBody>,
) -> ApiResult<Json<Confirmed>> {
    caller
        .require(&state, Right::ManageQuarantine, "risk_flag.confirm")
        .await?;
    let kind = match b.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => Some(QuarantineKind::parse(k).ok_or_else(|| {
            AppError::invalid(
                "kind",
                "unknown_kind",
                "kind is home, centralized or hospital",
            )
        })?),
    };
    let qid = risk::confirm(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        validate::path_id(&id)?,
        b.version,
        kind,
        state.settings.today(),
    )
    .await?;
    Ok(Json(Confirmed { quarantine_id: qid }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissBody {
    pub version: i64,
    pub reason: String,
}

/// Dismisses a flag with the reason.
#[utoipa::path(post, path = "/api/v1/risk-flags/{id}/dismiss", tag = "surveys", request_body = DismissBody,
    params(("id" = i64, Path)), responses((status = 204), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
pub async fn dismiss(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DismissBody>,
) -> ApiResult<StatusCode> {
    caller
        .require(&state, Right::ManageQuarantine, "risk_flag.dismiss")
        .await?;
    let reason = validate::text("reason", &b.reason, 500, true)?;
    risk::dismiss(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        validate::path_id(&id)?,
        b.version,
        &reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
