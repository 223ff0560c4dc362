//! `/api/v1/surveys` (摸排 campaigns and household visits), `/api/v1/risk-areas` and
//! `/api/v1/risk-flags` (the residents answers put at risk, for a leader to decide on).

use super::units::grids_within;
use crate::db::{risk, surveys, units};
use crate::service::paging::Paging;
pub use crate::service::surveys::*;
use crate::service::validate;
use crate::survey::{self};
use crate::web::AppState;
use crate::web::auth::Caller;
use crate::web::error::{ApiResult, AppError};
use crate::web::json::{ApiJson, ApiQuery};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use shouhu_domain::{QuarantineKind, Right};

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
    Ok(Json(
        visit_of(&state, &s, validate::path_id(&hid)?, caller.names()).await?,
    ))
}

/// Records a household's visit; a done visit's answers may put members at risk.
#[utoipa::path(put, path = "/api/v1/surveys/{id}/households/{household_id}", tag = "surveys", request_body = VisitBody,
    params(("id" = i64, Path), ("household_id" = i64, Path)),
    responses((status = 200, body = Visit), (status = 404), (status = 409), (status = 422, body = crate::web::error::ErrorBody)))]
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
    let key = match &b.idempotency_key {
        Some(k) => Some(validate::text("idempotency_key", k, 100, true)?),
        None => None,
    };
    surveys::visit(
        &state.db,
        &caller.scope(),
        &caller.actor(),
        &s,
        hid,
        surveys::Outcome {
            status,
            answers: &b.answers,
            key: key.as_deref(),
            seen: b.seen_updated_at,
            device_at: b.device_time,
        },
        state.settings.day_of(b.device_time),
    )
    .await
    .map_err(|e| match e {
        crate::db::StoreError::Invalid {
            field: "answers",
            code,
        } => AppError::invalid("answers", code, format!("an answer was refused: {code}")),
        other => other.into(),
    })?;
    Ok(Json(visit_of(&state, &s, hid, caller.names()).await?))
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
        items: items.iter().map(|f| flag_view(f, caller.names())).collect(),
        total,
        page: paging.page,
        per_page: paging.per_page,
    }))
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
