//! Care of vulnerable residents on a phone: "today" (`/today`: the calls to make, each logged with
//! one tap; door visits asked; escalations for the leader; help requests; follow-ups) and the
//! leader's coverage view (`/care`: who has whom, today's call, those with no one first, given to
//! someone in two taps).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::Right;
use shouhu_domain::care::CallOutcome;

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::service::care::{self, AssignBody, AttemptBody, CareRowView, Today, VisitBody};
use crate::service::paging::Paging;
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "today.html")]
struct TodayPage {
    c: Chrome,
    d: Today,
    outcomes: Vec<&'static str>,
    kinds: Vec<&'static str>,
    key: String,
    done: usize,
    saved: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

pub async fn today_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<SavedQuery>,
) -> Response {
    render_today(&state, pc, q.saved, None, StatusCode::OK).await
}

async fn render_today(
    state: &AppState,
    pc: PageCaller,
    saved: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    let d = match care::today(state, &pc.caller).await {
        Ok(d) => d,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let done = d.calls.iter().filter(|c| c.status == "reached").count();
    html(
        status,
        askama::Template::render(&TodayPage {
            c: pc.chrome,
            outcomes: CallOutcome::ALL.iter().map(|o| o.as_str()).collect(),
            kinds: ["cleaning", "rubbish", "shopping", "other"].to_vec(),
            key: super::form_key(),
            done,
            saved,
            error,
            d,
        }),
    )
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AttemptForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    key: String,
}

/// Logs a try of a call. Reached and in need opens the help request it made, to carry on there.
pub async fn log_attempt(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<AttemptForm>,
) -> Response {
    let t = pc.t();
    let done = async {
        let id = validate::path_id(&id).map_err(|_| AppError::NotFound)?;
        let b = AttemptBody {
            outcome: f.outcome.clone(),
            note: f.note.clone(),
            help_category: None,
            help_urgency: None,
            idempotency_key: format!("page-{}-{}", id, f.key.chars().take(40).collect::<String>()),
        };
        care::attempt(&state, &pc.caller, id, &b).await
    }
    .await;
    match done {
        Ok(r) => match r.help_request_id {
            Some(h) => Redirect::to(&format!("/help/{h}")).into_response(),
            None => Redirect::to(&format!(
                "/today?saved={}#call-{}",
                r.call.status, r.call.id
            ))
            .into_response(),
        },
        Err(e @ AppError::Invalid { .. }) => {
            let words = super::refusal_words(t, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_today(&state, pc, String::new(), Some(words), status).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct VisitForm {
    #[serde(default)]
    resident: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    call: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    key: String,
}

/// Logs a home service or the door visit asked.
pub async fn log_visit(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<VisitForm>,
) -> Response {
    let t = pc.t();
    let done = async {
        let resident = validate::path_id(&f.resident).map_err(|_| AppError::NotFound)?;
        let call = match f.call.trim() {
            "" => None,
            raw => Some(validate::path_id(raw).map_err(|_| AppError::NotFound)?),
        };
        let b = VisitBody {
            resident_id: resident,
            kind: f.kind.clone(),
            note: f.note.clone(),
            call_id: call,
            idempotency_key: format!("page-{}", f.key.chars().take(40).collect::<String>()),
        };
        care::visit(&state, &pc.caller, &b).await
    }
    .await;
    match done {
        Ok(_) => Redirect::to("/today?saved=visit").into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let words = super::refusal_words(t, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_today(&state, pc, String::new(), Some(words), status).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct LeaveForm {
    #[serde(default)]
    first_day: String,
    #[serde(default)]
    last_day: String,
    #[serde(default)]
    note: String,
}

/// The caller away for some days: their calls of those days go to each resident's backup.
pub async fn log_leave(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<LeaveForm>,
) -> Response {
    let t = pc.t();
    let b = care::LeaveBody {
        user_id: None,
        first_day: f.first_day.clone(),
        last_day: f.last_day.clone(),
        note: f.note.clone(),
    };
    match care::leave(&state, &pc.caller, &b).await {
        Ok(_) => Redirect::to("/today?saved=leave").into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let words = super::refusal_words(t, &e);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render_today(&state, pc, String::new(), Some(words), status).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(askama::Template)]
#[template(path = "care.html")]
struct CarePage {
    c: Chrome,
    cov: care::Coverage,
    /// (row, carers of its grid: (id, name)).
    rows: Vec<(CareRowView, Vec<(i64, String)>)>,
    can_assign: bool,
    unassigned_only: bool,
    prev: Option<String>,
    next: Option<String>,
    saved: bool,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CareQuery {
    #[serde(default)]
    unassigned: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    saved: String,
}

pub async fn care_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<CareQuery>,
) -> Response {
    render_care(&state, pc, &q, None, StatusCode::OK).await
}

async fn render_care(
    state: &AppState,
    pc: PageCaller,
    q: &CareQuery,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    let only = !q.unassigned.is_empty();
    let page_no = q.page.parse::<i64>().unwrap_or(1).clamp(1, 100_000);
    let loaded = async {
        let paging = Paging::new(Some(page_no), Some(30))?;
        let cov = care::coverage(state, &pc.caller, None, only, &paging).await?;
        let mut carers: Vec<(i64, Vec<(i64, String)>)> = Vec::new();
        let mut rows = Vec::new();
        for r in cov.items.iter() {
            let grid = r.grid_id;
            if !carers.iter().any(|(g, _)| *g == grid) {
                carers.push((grid, crate::db::care::carers(&state.db, grid).await?));
            }
            let of_grid = carers
                .iter()
                .find(|(g, _)| *g == grid)
                .map(|(_, c)| c.clone())
                .unwrap_or_default();
            rows.push(of_grid);
        }
        Ok::<_, AppError>((cov, rows))
    }
    .await;
    let (mut cov, carers) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let items = std::mem::take(&mut cov.items);
    let pages = ((cov.total + 29) / 30).max(1);
    let flag = if only { "&unassigned=1" } else { "" };
    let link = |p: i64| format!("/care?page={p}{flag}");
    html(
        status,
        askama::Template::render(&CarePage {
            prev: (page_no > 1).then(|| link(page_no - 1)),
            next: (page_no < pages).then(|| link(page_no + 1)),
            rows: items.into_iter().zip(carers).collect(),
            can_assign: pc.caller.session.user.role.has(Right::ManageStaff),
            unassigned_only: only,
            saved: !q.saved.is_empty(),
            error,
            c: pc.chrome,
            cov,
        }),
    )
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    resident: String,
    #[serde(default)]
    primary: String,
    #[serde(default)]
    backup: String,
}

/// Gives a resident to someone (the leader), from the coverage view.
pub async fn assign(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<AssignForm>,
) -> Response {
    let t = pc.t();
    let done = async {
        let resident = validate::path_id(&f.resident).map_err(|_| AppError::NotFound)?;
        let primary = f.primary.trim().parse::<i64>().map_err(|_| {
            AppError::invalid("primary_user_id", "required", "choose who phones every day")
        })?;
        let backup = f.backup.trim().parse::<i64>().ok();
        let b = AssignBody {
            resident_id: resident,
            primary_user_id: primary,
            backup_user_id: backup,
            note: String::new(),
        };
        care::assign(&state, &pc.caller, &b).await
    }
    .await;
    match done {
        Ok(_) => Redirect::to("/care?saved=1").into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let words = super::refusal_words(t, &e);
            let q = CareQuery::default();
            render_care(
                &state,
                pc,
                &q,
                Some(words),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}
