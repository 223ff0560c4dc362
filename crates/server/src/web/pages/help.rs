//! The 24-hour service's help requests (求助) on a phone: the lists (mine, my group's, all open,
//! overdue, done), a call written down in a few taps, and a request's page with its next moves
//! and its whole history.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{HelpCategory, HelpStatus, Right, Urgency};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::service::help::{self, HelpBody, HelpDetail, HelpMoveBody, HelpView};
use crate::service::paging::Paging;
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

const TABS: [&str; 6] = ["mine", "offered", "group", "open", "overdue", "closed"];

/// A time as people read it on the page: local month-day and hour.
pub(super) fn when(state: &AppState, at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&state.settings.time_zone)
                .format("%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

#[derive(askama::Template)]
#[template(path = "help_list.html")]
struct ListPage {
    c: Chrome,
    tab: String,
    tabs: Vec<&'static str>,
    items: Vec<(HelpView, String)>,
    total: i64,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    page: String,
}

pub async fn list_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<ListQuery>,
) -> Response {
    let t = pc.t();
    let tab = if TABS.contains(&q.view.as_str()) {
        q.view.clone()
    } else {
        "open".to_string()
    };
    let page_no = q.page.parse::<i64>().unwrap_or(1).clamp(1, 100_000);
    let loaded = async {
        let paging = Paging::new(Some(page_no), Some(30))?;
        let which = help::parse_view(Some(&tab), None)?;
        help::list(&state, &pc.caller, which, &paging).await
    }
    .await;
    let list = match loaded {
        Ok(l) => l,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let link = |p: i64| format!("/help?view={tab}&page={p}");
    let pages = ((list.total + 29) / 30).max(1);
    let items = list
        .items
        .into_iter()
        .map(|v| {
            let at = when(&state, v.created_at);
            (v, at)
        })
        .collect();
    html(
        StatusCode::OK,
        askama::Template::render(&ListPage {
            prev: (page_no > 1).then(|| link(page_no - 1)),
            next: (page_no < pages).then(|| link(page_no + 1)),
            c: pc.chrome,
            tab,
            tabs: TABS.to_vec(),
            items,
            total: list.total,
        }),
    )
}

/// The new request's form, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NewForm {
    #[serde(default)]
    household: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    words: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    key: String,
}

#[derive(askama::Template)]
#[template(path = "help_new.html")]
struct NewPage {
    c: Chrome,
    /// The household asking, when the form was opened from its card: (id, address).
    household: Option<(i64, String)>,
    categories: Vec<&'static str>,
    urgencies: Vec<&'static str>,
    typed: NewForm,
    errors: Vec<(String, String)>,
}

impl NewPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn render_new(
    state: &AppState,
    pc: PageCaller,
    mut typed: NewForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .require(state, Right::HandleHelpRequests, "help.create")
        .await
    {
        return e.into_response();
    }
    let household = match typed.household.trim() {
        "" => None,
        raw => {
            let found = async {
                let id = validate::path_id(raw)?;
                crate::service::households::fetch(state, &pc.caller, id).await
            }
            .await;
            match found {
                Ok(h) => Some((h.id, h.address)),
                Err(e) => return PageError::new(t, e).into_response(),
            }
        }
    };
    if typed.key.is_empty() {
        let mut raw = [0u8; 12];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
        typed.key = hex::encode(raw);
    }
    html(
        status,
        askama::Template::render(&NewPage {
            c: pc.chrome,
            household,
            categories: HelpCategory::ALL.iter().map(|c| c.as_str()).collect(),
            urgencies: Urgency::ALL.iter().map(|u| u.as_str()).collect(),
            typed,
            errors,
        }),
    )
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    household: String,
}

pub async fn new_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<NewQuery>,
) -> Response {
    let typed = NewForm {
        household: q.household,
        urgency: "normal".into(),
        ..NewForm::default()
    };
    render_new(&state, pc, typed, Vec::new(), StatusCode::OK).await
}

/// Writes the call down; a refused form comes back as typed, each field at fault named.
pub async fn create(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<NewForm>,
) -> Response {
    let t = pc.t();
    let household = match f.household.trim() {
        "" => None,
        raw => match validate::path_id(raw) {
            Ok(id) => Some(id),
            Err(_) => return PageError::new(t, AppError::NotFound).into_response(),
        },
    };
    let body = HelpBody {
        household_id: household,
        place: f.place.clone(),
        unit: None,
        category: f.category.clone(),
        urgency: f.urgency.clone(),
        words: f.words.clone(),
        contact_phone: Some(f.contact_phone.clone()),
        idempotency_key: format!("page-{}", f.key.chars().take(40).collect::<String>()),
    };
    match help::create(&state, &pc.caller, &body).await {
        Ok((id, _)) => Redirect::to(&format!("/help/{id}")).into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let errors = super::faults_in_words(t, &e, "");
            render_new(&state, pc, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(askama::Template)]
#[template(path = "help_request.html")]
struct RequestPage {
    c: Chrome,
    d: HelpDetail,
    created: String,
    /// (event, when) of every move.
    history: Vec<(crate::service::help::HelpEventView, String)>,
    /// (round, step, when fired, offered to) of each step of dispatch.
    escalations: Vec<(i64, String, String, String)>,
    /// The moves open from here.
    moves: Vec<&'static str>,
    can_claim: bool,
    typed: MoveForm,
    errors: Vec<(String, String)>,
}

impl RequestPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn render_request(
    state: &AppState,
    pc: PageCaller,
    id: &str,
    typed: MoveForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    let loaded = async {
        let id = validate::path_id(id).map_err(|_| AppError::NotFound)?;
        help::detail(state, &pc.caller, id).await
    }
    .await;
    let d = match loaded {
        Ok(d) => d,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let from = HelpStatus::parse(&d.request.status);
    let moves = [
        HelpStatus::InProgress,
        HelpStatus::Resolved,
        HelpStatus::Cancelled,
        HelpStatus::Duplicate,
        HelpStatus::Acknowledged,
    ]
    .into_iter()
    .filter(|to| from.is_some_and(|f| f.can_become(*to)))
    .map(HelpStatus::as_str)
    .collect();
    let history = d
        .history
        .iter()
        .map(|e| {
            (
                crate::service::help::HelpEventView {
                    from_status: e.from_status.clone(),
                    to_status: e.to_status.clone(),
                    assignee_name: e.assignee_name.clone(),
                    by_name: e.by_name.clone(),
                    at: e.at,
                    note: e.note.clone(),
                },
                when(state, e.at),
            )
        })
        .collect();
    let escalations = d
        .escalations
        .iter()
        .map(|e| {
            (
                e.round,
                t.tk("help.step", &e.step.to_string()),
                when(state, e.fired_at),
                e.offered_to.clone(),
            )
        })
        .collect();
    html(
        status,
        askama::Template::render(&RequestPage {
            escalations,
            created: when(state, d.request.created_at),
            can_claim: d.request.status == "new",
            history,
            moves,
            c: pc.chrome,
            d,
            typed,
            errors,
        }),
    )
}

pub async fn request_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(id): Path<String>,
) -> Response {
    render_request(
        &state,
        pc,
        &id,
        MoveForm::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Takes the request; if someone was quicker the page says who.
pub async fn claim(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: _ }: PageForm<super::form::NoFields>,
) -> Response {
    let outcome = async {
        let rid = validate::path_id(&id).map_err(|_| AppError::NotFound)?;
        help::claim(&state, &pc.caller, rid).await
    }
    .await;
    after_move(&state, pc, &id, MoveForm::default(), outcome).await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    duplicate_of: String,
}

pub async fn move_request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<MoveForm>,
) -> Response {
    let outcome = async {
        let rid = validate::path_id(&id).map_err(|_| AppError::NotFound)?;
        let duplicate_of = match f.duplicate_of.trim().trim_start_matches('#') {
            "" => None,
            raw => Some(raw.parse::<i64>().map_err(|_| {
                AppError::invalid("duplicate_of", "unknown_request", "a request's number")
            })?),
        };
        let b = HelpMoveBody {
            to: f.to.clone(),
            version: f.version.parse().unwrap_or(-1),
            note: f.note.clone(),
            duplicate_of,
        };
        help::transition(&state, &pc.caller, rid, &b).await
    }
    .await;
    after_move(&state, pc, &id, f, outcome).await
}

async fn after_move(
    state: &AppState,
    pc: PageCaller,
    id: &str,
    typed: MoveForm,
    outcome: Result<(), AppError>,
) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("/help/{id}")).into_response(),
        Err(
            e @ (AppError::NotFound
            | AppError::Forbidden
            | AppError::Internal(_)
            | AppError::Unavailable(_)),
        ) => PageError::new(pc.t(), e).into_response(),
        Err(e) => {
            let status = match e {
                AppError::Conflict | AppError::Taken(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let errors = super::faults_in_words(pc.t(), &e, "");
            render_request(state, pc, id, typed, errors, status).await
        }
    }
}
