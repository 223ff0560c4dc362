//! Survey pages for a phone held in one hand: the campaigns, the households still to visit, and one
//! household's visit with its members listed.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::Value;
use shouhu_domain::Right;

use super::{Chrome, PageCaller, PageError, PageForm, page};
use crate::db::surveys;
use crate::service::error::Faults;
use crate::service::surveys::{SurveyView, VISIT_STATUSES, Visit, visit_of};
use crate::service::validate;
use crate::survey::Kind;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "surveys.html")]
struct SurveysPage {
    c: Chrome,
    items: Vec<SurveyView>,
    /// (code, name) of the grids a new campaign may cover, for a leader.
    grids: Vec<(String, String)>,
    /// A refused new campaign: what was typed and ticked, and each field at fault in words.
    typed: NewSurveyTyped,
    errors: Vec<(String, String)>,
}

#[derive(Default)]
struct NewSurveyTyped {
    name: String,
    /// The grids ticked; `None` before the form was sent (all ticked).
    grids: Option<Vec<String>>,
}

impl SurveysPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn ticked(&self, code: &str) -> bool {
        self.typed
            .grids
            .as_ref()
            .is_none_or(|g| g.iter().any(|c| c == code))
    }
}

pub async fn surveys(State(state): State<AppState>, pc: PageCaller) -> Response {
    if let Err(e) = pc.require(&state, Right::ReadHealth, "survey.list").await {
        return e.into_response();
    }
    list_page(&state, pc, NewSurveyTyped::default(), Vec::new()).await
}

/// The campaigns reaching the caller's grids, and for a leader the form to start one.
async fn list_page(
    state: &AppState,
    pc: PageCaller,
    typed: NewSurveyTyped,
    errors: Vec<(String, String)>,
) -> Response {
    let t = pc.t();
    let scope = pc.caller.scope();
    let loaded = async {
        // The newest hundred: a community runs a handful of campaigns a season.
        let paging = crate::service::paging::Paging::new(Some(1), Some(100))?;
        let (items, _) = crate::service::surveys::list_views(state, &pc.caller, &paging).await?;
        let grids: Vec<(String, String)> = if pc.caller.session.user.role.has(Right::ManageSurveys)
        {
            crate::db::units::grids(&state.db, &scope)
                .await?
                .into_iter()
                .map(|u| (u.code, u.name))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, AppError>((items, grids))
    }
    .await;
    match loaded {
        Ok((items, grids)) => {
            let status = if errors.is_empty() {
                axum::http::StatusCode::OK
            } else {
                axum::http::StatusCode::UNPROCESSABLE_ENTITY
            };
            super::html(
                status,
                askama::Template::render(&SurveysPage {
                    c: pc.chrome,
                    items,
                    grids,
                    typed,
                    errors,
                }),
            )
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

/// A leader starts a campaign with the built-in screening questionnaire over chosen grids.
pub async fn create(
    State(state): State<AppState>,
    PageForm { pc, form: pairs }: PageForm<Vec<(String, String)>>,
) -> Response {
    let t = pc.t();
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if let Err(e) = pc
        .require(&state, Right::ManageSurveys, "survey.create")
        .await
    {
        return e.into_response();
    }
    let scope = pc.caller.scope();
    let codes: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "grid")
        .map(|(_, v)| v.clone())
        .collect();
    let created = async {
        // Both fields checked, so that the form can mark each at fault.
        let mut faults = Faults::default();
        let name = faults.take(validate::text("name", &field("name"), 100, true))?;
        let mut grids = Vec::new();
        for code in &codes {
            match crate::db::units::get_by_code(&state.db, &scope, code)
                .await
                .ok()
                .filter(|u| u.kind == "grid")
            {
                Some(u) => grids.push(u.id),
                None => faults.add("grids", "unknown_unit", "no such grid"),
            }
        }
        if codes.is_empty() {
            faults.add("grids", "required", "choose the grids");
        }
        faults.into_result()?;
        let Some(name) = name else {
            return Err(AppError::Internal("a value missing without a fault".into()));
        };
        let questions = crate::survey::epidemic_screening();
        let id = surveys::create(
            &state.db,
            &scope,
            &pc.caller.actor(),
            &name,
            &questions,
            &grids,
        )
        .await?;
        Ok::<_, AppError>(id)
    }
    .await;
    match created {
        Ok(id) => Redirect::to(&format!("/surveys/{id}")).into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let errors = e
                .faults()
                .into_iter()
                .map(|f| (f.field, t.invalid(&f.code)))
                .collect();
            let typed = NewSurveyTyped {
                name: field("name"),
                grids: Some(codes),
            };
            list_page(&state, pc, typed, errors).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(Deserialize, Default)]
pub struct HouseholdsQuery {
    status: Option<String>,
    page: Option<String>,
    saved: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    c: Chrome,
    s: SurveyView,
    status: String,
    statuses: Vec<&'static str>,
    items: Vec<crate::db::surveys::HouseholdStatus>,
    total: i64,
    next: Option<String>,
    saved: bool,
}

pub async fn survey(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<HouseholdsQuery>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc.require(&state, Right::ReadHealth, "survey.read").await {
        return e.into_response();
    }
    let result = async {
        let id = validate::path_id(&id)?;
        let s = surveys::get(&state.db, &pc.caller.scope(), id).await?;
        let status = q.status.clone().unwrap_or_else(|| "not_visited".into());
        let status = if VISIT_STATUSES.contains(&status.as_str()) || status == "all" {
            status
        } else {
            "not_visited".into()
        };
        let page_no: i64 = q
            .page
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
            .clamp(1, 100_000);
        let filter = (status != "all").then_some(status.as_str());
        let (items, total) =
            surveys::households(&state.db, &s, filter, 50, (page_no - 1) * 50).await?;
        let view = crate::service::surveys::survey_view(&state, &s).await?;
        let next = (page_no * 50 < total)
            .then(|| format!("/surveys/{id}?status={status}&page={}", page_no + 1));
        Ok::<_, AppError>((view, status, items, total, next))
    }
    .await;
    match result {
        Ok((s, status, items, total, next)) => page(&SurveyPage {
            c: pc.chrome,
            s,
            status,
            statuses: VISIT_STATUSES.to_vec(),
            items,
            total,
            next,
            saved: q.saved.is_some(),
        }),
        Err(e) => PageError::new(t, e).into_response(),
    }
}

/// A question as the form shows it.
pub struct QuestionView {
    pub key: String,
    pub label: String,
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    /// (value, label, checked) for choices; (resident id, name, checked) for members.
    pub choices: Vec<(String, String, bool)>,
}

#[derive(askama::Template)]
#[template(path = "survey_visit.html")]
struct VisitPage {
    c: Chrome,
    survey_id: i64,
    survey_name: String,
    v: Visit,
    questions: Vec<QuestionView>,
    error: Option<String>,
    /// This page's send: a second tap, or a replay from the phone's queue, saves once.
    key: String,
}

/// A question's words in the reader's language: the built-in questionnaire's questions (their
/// stored words unchanged) are translated; a community's own are shown as written.
fn question_label(t: crate::i18n::Tr, q: &crate::survey::Question) -> String {
    let built_in = crate::survey::epidemic_screening()
        .into_iter()
        .any(|b| b.key == q.key && b.label == q.label);
    let key = format!("survey.question.{}", q.key);
    match t.t(&key) {
        words if built_in && words != key => words.to_string(),
        _ => q.label.clone(),
    }
}

/// A refused answer in words, naming its question ("现在住在这里的人数：此项必填").
fn answer_fault(t: crate::i18n::Tr, s: &surveys::Survey, field: &str, code: &str) -> String {
    let words = t.invalid(code);
    match field
        .strip_prefix("answers.")
        .and_then(|key| s.questions.iter().find(|q| q.key == key))
    {
        Some(q) => format!("{}：{words}", question_label(t, q)),
        None => words,
    }
}

fn questions_of(s: &surveys::Survey, v: &Visit, t: crate::i18n::Tr) -> Vec<QuestionView> {
    s.questions
        .iter()
        .map(|q| {
            let current = v.answers.get(&q.key);
            let kind = match q.kind {
                Kind::YesNo => "yes_no",
                Kind::Single => "single",
                Kind::Multiple => "multiple",
                Kind::Text => "text",
                Kind::Number => "number",
                Kind::Date => "date",
                Kind::Members => "members",
            };
            let has = |x: &Value| match current {
                Some(Value::Array(a)) => a.contains(x),
                Some(other) => other == x,
                None => false,
            };
            let choices = match q.kind {
                Kind::Members => v
                    .members
                    .iter()
                    .map(|m| {
                        (
                            m.id.to_string(),
                            format!("{} · {}", m.name, m.relation),
                            has(&Value::from(m.id)),
                        )
                    })
                    .collect(),
                Kind::Single | Kind::Multiple => q
                    .options
                    .iter()
                    .map(|o| {
                        let label = t.tk("survey.option", o);
                        let label = if label == format!("survey.option.{o}") {
                            o.clone()
                        } else {
                            label
                        };
                        (o.clone(), label, has(&Value::from(o.as_str())))
                    })
                    .collect(),
                Kind::YesNo => vec![
                    (
                        "yes".into(),
                        t.t("survey.yes").into(),
                        current == Some(&Value::Bool(true)),
                    ),
                    (
                        "no".into(),
                        t.t("survey.no").into(),
                        current == Some(&Value::Bool(false)),
                    ),
                ],
                _ => Vec::new(),
            };
            let value = match current {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            QuestionView {
                key: q.key.clone(),
                label: question_label(t, q),
                kind,
                required: q.required,
                value,
                choices,
            }
        })
        .collect()
}

pub async fn visit(
    State(state): State<AppState>,
    pc: PageCaller,
    Path((id, hid)): Path<(String, String)>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .require(&state, Right::RecordHealth, "survey.visit")
        .await
    {
        return e.into_response();
    }
    let result = async {
        let s = surveys::get(&state.db, &pc.caller.scope(), validate::path_id(&id)?).await?;
        let v = visit_of(&state, &s, validate::path_id(&hid)?, pc.caller.names()).await?;
        Ok::<_, AppError>((s, v))
    }
    .await;
    match result {
        Ok((s, v)) => page(&VisitPage {
            questions: questions_of(&s, &v, t),
            c: pc.chrome,
            survey_id: s.id,
            survey_name: s.name,
            v,
            error: None,
            key: super::form_key(),
        }),
        Err(e) => PageError::new(t, e).into_response(),
    }
}

/// The form as sent: `status`, `csrf`, and `q.<key>` (repeated for choices and members).
fn answers_of(
    s: &surveys::Survey,
    pairs: &[(String, String)],
) -> Result<BTreeMap<String, Value>, AppError> {
    let mut out = BTreeMap::new();
    for q in &s.questions {
        let name = format!("q.{}", q.key);
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        let first = values.first().copied().unwrap_or("").trim();
        let v = match q.kind {
            Kind::YesNo => match first {
                "yes" => Value::Bool(true),
                "no" => Value::Bool(false),
                _ => Value::Null,
            },
            Kind::Multiple => Value::from(values.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
            Kind::Members => {
                let ids: Result<Vec<i64>, _> = values.iter().map(|v| v.parse::<i64>()).collect();
                Value::from(ids.map_err(|_| {
                    AppError::invalid(format!("answers.{}", q.key), "not_a_member", "not a member")
                })?)
            }
            Kind::Number if !first.is_empty() => {
                Value::from(first.parse::<i64>().map_err(|_| {
                    AppError::invalid(format!("answers.{}", q.key), "not_a_number", "not a number")
                })?)
            }
            _ => Value::String(first.to_string()),
        };
        out.insert(q.key.clone(), v);
    }
    Ok(out)
}

pub async fn save_visit(
    State(state): State<AppState>,
    Path((id, hid)): Path<(String, String)>,
    PageForm { pc, form: pairs }: PageForm<Vec<(String, String)>>,
) -> Response {
    let t = pc.t();
    let field = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if let Err(e) = pc
        .require(&state, Right::RecordHealth, "survey.visit")
        .await
    {
        return e.into_response();
    }
    let scope = pc.caller.scope();
    let loaded = async {
        let s = surveys::get(&state.db, &scope, validate::path_id(&id)?).await?;
        Ok::<_, AppError>((s, validate::path_id(&hid)?))
    }
    .await;
    let (s, hid) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let status = field("status");
    let saved = async {
        if !["done", "nobody_home", "refused"].contains(&status.as_str()) {
            return Err(AppError::invalid(
                "status",
                "unknown_status",
                "choose what happened",
            ));
        }
        let answers = if status == "done" {
            let answers = answers_of(&s, &pairs)?;
            // Checked here first as the store will, so that a refusal names its question (the
            // store's own check reports the answers as a whole).
            let members: Vec<i64> = visit_of(&state, &s, hid, pc.caller.names())
                .await?
                .members
                .iter()
                .map(|m| m.id)
                .collect();
            crate::survey::check_answers(&s.questions, &answers, &members)
                .map_err(|e| AppError::invalid(e.field, e.code, e.code.replace('_', " ")))?;
            answers
        } else {
            BTreeMap::new()
        };
        // Sent by the page's script from its queue when the visit was made with no signal.
        let device_at = field("device_time").trim().parse::<i64>().ok();
        let key: String = field("key").trim().chars().take(100).collect();
        let seen = field("seen").trim().parse::<i64>().ok();
        surveys::visit(
            &state.db,
            &scope,
            &pc.caller.actor(),
            &s,
            hid,
            surveys::Outcome {
                status: &status,
                answers: &answers,
                key: Some(key.as_str()).filter(|k| !k.is_empty()),
                seen,
                device_at,
            },
            state.settings.day_of(device_at),
        )
        .await?;
        Ok(())
    }
    .await;
    match saved {
        Ok(()) => Redirect::to(&format!("/surveys/{}?saved=1", s.id)).into_response(),
        Err(e @ (AppError::NotFound | AppError::Internal(_) | AppError::Unavailable(_))) => {
            PageError::new(t, e).into_response()
        }
        Err(e) => {
            let message = match &e {
                AppError::Invalid { .. } => e
                    .faults()
                    .iter()
                    .map(|f| answer_fault(t, &s, &f.field, &f.code))
                    .collect::<Vec<_>>()
                    .join("；"),
                AppError::Conflict => t.t("survey.visited_meanwhile").to_string(),
                _ => t.t("error.title").to_string(),
            };
            match visit_of(&state, &s, hid, pc.caller.names()).await {
                Ok(v) => {
                    // Show what was typed, not what is stored.
                    let mut v = v;
                    v.answers = answers_of(&s, &pairs).unwrap_or_default();
                    let status = if matches!(e, AppError::Conflict) {
                        axum::http::StatusCode::CONFLICT
                    } else {
                        axum::http::StatusCode::UNPROCESSABLE_ENTITY
                    };
                    super::html(
                        status,
                        askama::Template::render(&VisitPage {
                            questions: questions_of(&s, &v, t),
                            c: pc.chrome,
                            survey_id: s.id,
                            survey_name: s.name.clone(),
                            v,
                            error: Some(message),
                            key: super::form_key(),
                        }),
                    )
                }
                Err(e) => PageError::new(t, e).into_response(),
            }
        }
    }
}
