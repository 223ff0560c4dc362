//! Survey campaigns (摸排) and household visits, risk areas, and the risk flags that answers raise
//! for a leader to decide on. The views and operations shared by the API (`web::api::surveys`,
//! which adds the handlers) and the pages.

use crate::db::{risk, surveys};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::caller::Names;
use crate::service::error::ApiResult;
use crate::service::paging::Paging;
use crate::survey::Question;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Template {
    pub questions: Vec<Question>,
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
    pub grid_name: String,
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
            grid_name: p.grid_name,
            households: p.households,
            done: p.done,
            nobody_home: p.nobody_home,
            refused: p.refused,
        })
        .collect();
    let sum = |f: fn(&GridProgress) -> i64| progress.iter().map(f).sum::<i64>();
    let total = GridProgress {
        grid_code: String::new(),
        grid_name: String::new(),
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
    /// When it was last saved (0: not visited): sent back as `seen_updated_at` with a change.
    pub updated_at: i64,
}

pub async fn visit_of(
    state: &AppState,
    s: &surveys::Survey,
    hid: i64,
    names: Names,
) -> ApiResult<Visit> {
    let members = surveys::members(&state.db, s, hid).await?;
    let (status, attempts, answers) = surveys::answers(&state.db, s, hid)
        .await?
        .unwrap_or_else(|| ("not_visited".into(), 0, BTreeMap::new()));
    let updated_at = surveys::saved_at(&state.db, s, hid).await?;
    Ok(Visit {
        updated_at,
        household_id: hid,
        status,
        attempts,
        members: members
            .into_iter()
            .map(|(id, name, relation, birth_date)| Member {
                id,
                name: names.show(&name),
                relation,
                birth_date,
            })
            .collect(),
        answers,
    })
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
    /// Unique per send: the same key again (a retry, a phone's queue replayed) saves nothing more.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// The visit's `updated_at` as the caller saw it (0: not visited yet). If someone else saved
    /// the visit since, the answer is 409 and theirs stands. Left out, the visit is saved anyway.
    #[serde(default)]
    pub seen_updated_at: Option<i64>,
    /// Unix seconds on the phone when the visit was made, for one sent later from a queue.
    #[serde(default)]
    pub device_time: Option<i64>,
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaBody {
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
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

pub fn flag_view(f: &risk::Flag, names: Names) -> FlagView {
    FlagView {
        id: f.id,
        resident_id: f.resident_id,
        resident_name: names.show(&f.resident_name),
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissBody {
    pub version: i64,
    pub reason: String,
}
