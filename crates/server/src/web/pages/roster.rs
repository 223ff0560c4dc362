//! The duty roster (值班表) on a phone: who is on duty now (one tap to call), the hours of the
//! next 7 days nobody covers, swaps waiting for the caller's answer, the week by day, and for the
//! leader the weekly shifts, one-off shifts and time off.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{DutyGroup, Right};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::db::roster::{self as store, Removable};
use crate::service::roster::{
    self, OnDutyList, PatternBody, PatternView, RosterView, ShiftBody, SwapBody, SwapDecision,
};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

/// A local time as read on the page.
fn local(state: &AppState, at: i64, fmt: &str) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            t.with_timezone(&state.settings.time_zone)
                .format(fmt)
                .to_string()
        })
        .unwrap_or_default()
}

/// A stretch as read: "12-08 20:00–08:00", the end's date shown only when another day.
fn stretch(state: &AppState, start: i64, end: i64) -> String {
    let same_day = local(state, start, "%F") == local(state, end - 1, "%F");
    let end_fmt = if same_day { "%H:%M" } else { "%m-%d %H:%M" };
    format!(
        "{}–{}",
        local(state, start, "%m-%d %H:%M"),
        local(state, end, end_fmt)
    )
}

/// A row of the week: (group, name, "08:00–20:00").
type DutyRow = (String, String, String);

/// The week by local day: each duty cut at midnight, so a round-the-clock shift shows on every
/// day as "all day" rather than once as a week-long stretch.
fn by_day(state: &AppState, t: crate::i18n::Tr, view: &RosterView) -> Vec<(String, Vec<DutyRow>)> {
    use crate::db::report_stats::day_bounds;
    // (heading, the day's first instant, its rows by start)
    type Day = (String, i64, Vec<(i64, DutyRow)>);
    let mut days: Vec<Day> = Vec::new();
    for d in &view.duties {
        let mut at = d.starts_at;
        while at < d.ends_at {
            let day = local(state, at, "%F");
            let Some((from, to)) = day_bounds(&day) else {
                break;
            };
            let (s, e) = (at.max(from), d.ends_at.min(to));
            let words = match (s == from, e == to) {
                (true, true) => t.t("roster.all_day").to_string(),
                (_, true) => format!("{}–24:00", local(state, s, "%H:%M")),
                _ => format!("{}–{}", local(state, s, "%H:%M"), local(state, e, "%H:%M")),
            };
            let row = (d.group.clone(), d.name.clone(), words);
            match days.iter_mut().find(|(_, f, _)| *f == from) {
                Some((_, _, rows)) => rows.push((s, row)),
                None => {
                    let heading = format!(
                        "{} {}",
                        local(state, from, "%m-%d"),
                        t.tk("roster.weekday", &local(state, from, "%u"))
                    );
                    days.push((heading, from, vec![(s, row)]));
                }
            }
            at = to;
        }
    }
    days.sort_by_key(|(_, from, _)| *from);
    days.into_iter()
        .map(|(h, _, mut rows)| {
            rows.sort_by(|a, b| (a.0, &a.1.0).cmp(&(b.0, &b.1.0)));
            (h, rows.into_iter().map(|(_, r)| r).collect())
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "roster.html")]
struct RosterPage {
    c: Chrome,
    community: String,
    community_name: String,
    communities: Vec<(String, String)>,
    now: OnDutyList,
    /// Until when, as read, for each of `now.items`.
    until: Vec<String>,
    /// (group, stretch) of each gap of the next 7 days.
    gaps: Vec<(String, String)>,
    gap_hours: i64,
    /// (day heading, its duties).
    days: Vec<(String, Vec<DutyRow>)>,
    /// Swaps asked of the caller: (id, version, from, group, stretch).
    asked: Vec<(i64, i64, String, String, String)>,
    /// Swaps of the week: (group, from, to, stretch, status).
    swaps: Vec<(String, String, String, String, String)>,
    view: RosterView,
    patterns: Vec<PatternView>,
    /// (id, group, name, kind, stretch) of one-off shifts and time off.
    shifts: Vec<(i64, String, String, String, String)>,
    /// Who may be rostered: ("group:user", "group · name").
    people: Vec<(String, String)>,
    can_manage: bool,
    saved: bool,
    errors: Vec<(String, String)>,
}

impl RosterPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize, Default)]
pub struct RosterQuery {
    #[serde(default)]
    community: String,
    #[serde(default)]
    saved: String,
}

pub async fn page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<RosterQuery>,
) -> Response {
    let saved = !q.saved.is_empty();
    render(&state, pc, &q.community, saved, Vec::new(), StatusCode::OK).await
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    code: &str,
    saved: bool,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    let at = crate::db::now();
    let loaded = async {
        let view = roster::view(state, &pc.caller, Some(code), at, 7).await?;
        let now = roster::on_duty(state, &pc.caller, Some(&view.community.code), None, at).await?;
        let all = store::communities(&state.db, &pc.caller.scope()).await?;
        let c = roster::community(state, &pc.caller, Some(&view.community.code)).await?;
        let mut people = Vec::new();
        for g in DutyGroup::ALL {
            for p in store::people(&state.db, c.id, g).await? {
                people.push((
                    format!("{}:{}", g.as_str(), p.user_id),
                    format!("{} · {}", t.tk("team", g.as_str()), p.name),
                ));
            }
        }
        Ok::<_, AppError>((view, now, all, people))
    }
    .await;
    let (view, now, all, people) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let me = pc.caller.session.user.id;
    let until = now
        .items
        .iter()
        .map(|d| match d.until {
            Some(u) => format!("{} {}", t.t("roster.until"), local(state, u, "%m-%d %H:%M")),
            None => t.t("roster.around_the_clock").to_string(),
        })
        .collect();
    let gaps = view
        .gaps
        .iter()
        .map(|g| (g.group.clone(), stretch(state, g.starts_at, g.ends_at)))
        .collect();
    let gap_hours = view.gap_minutes.iter().map(|g| g.minutes).sum::<i64>() / 60;
    let days = by_day(state, t, &view);
    let asked = view
        .swaps
        .iter()
        .filter(|w| w.to_user_id == me && w.status == "proposed")
        .map(|w| {
            (
                w.id,
                w.version,
                w.from_name.clone(),
                w.group.clone(),
                stretch(state, w.starts_at, w.ends_at),
            )
        })
        .collect();
    let swaps = view
        .swaps
        .iter()
        .map(|w| {
            (
                w.group.clone(),
                w.from_name.clone(),
                w.to_name.clone(),
                stretch(state, w.starts_at, w.ends_at),
                w.status.clone(),
            )
        })
        .collect();
    let shifts = view
        .shifts
        .iter()
        .map(|s| {
            (
                s.id,
                s.group.clone(),
                s.name.clone(),
                s.kind.clone(),
                stretch(state, s.starts_at, s.ends_at),
            )
        })
        .collect();
    let can_manage = pc.caller.session.user.role.has(Right::ManageStaff);
    let patterns = view.patterns.clone();
    html(
        status,
        askama::Template::render(&RosterPage {
            community: view.community.code.clone(),
            community_name: view.community.name.clone(),
            communities: all.into_iter().map(|c| (c.code, c.name)).collect(),
            until,
            gaps,
            gap_hours,
            days,
            asked,
            swaps,
            shifts,
            patterns,
            people,
            can_manage,
            saved,
            errors,
            c: pc.chrome,
            now,
            view,
        }),
    )
}

/// The forms of the page, as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RosterForm {
    #[serde(default)]
    community: String,
    /// "group:user" from the picker.
    #[serde(default)]
    person: String,
    #[serde(default)]
    weekday: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    version: String,
}

/// "group:user" → (group, user); a pick that is not one of the list is refused as `person`.
fn person(raw: &str) -> Result<(String, i64), AppError> {
    raw.split_once(':')
        .and_then(|(g, u)| Some((g.to_string(), u.parse::<i64>().ok()?)))
        .ok_or_else(|| AppError::invalid("person", "required", "choose a person"))
}

/// A local "YYYY-MM-DDTHH:MM" (a datetime-local input) as an instant.
pub(super) fn instant(state: &AppState, field: &'static str, raw: &str) -> Result<i64, AppError> {
    chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| t.and_local_timezone(state.settings.time_zone).earliest())
        .map(|t| t.timestamp())
        .ok_or_else(|| AppError::invalid(field, "invalid_time", "a date and time"))
}

/// After a form: back to the page, saved; or the page again with what was wrong.
async fn after(
    state: &AppState,
    pc: PageCaller,
    f: &RosterForm,
    done: Result<(), AppError>,
) -> Response {
    let t = pc.t();
    match done {
        Ok(()) => {
            Redirect::to(&format!("/roster?community={}&saved=1", f.community)).into_response()
        }
        Err(e @ AppError::Invalid { .. }) => {
            let errors = super::faults_in_words(t, &e, "");
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            render(state, pc, &f.community, false, errors, status).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

pub async fn add_pattern(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<RosterForm>,
) -> Response {
    let done = async {
        let (group, user_id) = person(&f.person)?;
        let b = PatternBody {
            community: Some(f.community.clone()),
            group,
            user_id,
            weekday: f.weekday.trim().parse().unwrap_or(0),
            start: f.start.clone(),
            end: f.end.clone(),
        };
        roster::add_pattern(&state, &pc.caller, &b).await.map(drop)
    }
    .await;
    after(&state, pc, &f, done).await
}

pub async fn add_shift(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<RosterForm>,
) -> Response {
    let done = async {
        let (group, user_id) = person(&f.person)?;
        let b = ShiftBody {
            community: Some(f.community.clone()),
            group,
            user_id,
            kind: f.kind.clone(),
            starts_at: instant(&state, "starts_at", &f.start)?,
            ends_at: instant(&state, "ends_at", &f.end)?,
            note: f.note.clone(),
        };
        roster::add_shift(&state, &pc.caller, &b).await.map(drop)
    }
    .await;
    after(&state, pc, &f, done).await
}

/// Takes a weekly shift or a one-off shift off the roster, back to the page.
async fn remove_one(
    state: &AppState,
    pc: PageCaller,
    f: &RosterForm,
    id: &str,
    what: Removable,
) -> Response {
    let done = async {
        let id = validate::path_id(id).map_err(|_| AppError::NotFound)?;
        roster::remove(state, &pc.caller, Some(&f.community), what, id).await
    }
    .await;
    after(state, pc, f, done).await
}

pub async fn remove_pattern(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<RosterForm>,
) -> Response {
    remove_one(&state, pc, &f, &id, Removable::Pattern).await
}

pub async fn remove_shift(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<RosterForm>,
) -> Response {
    remove_one(&state, pc, &f, &id, Removable::Shift).await
}

pub async fn propose_swap(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<RosterForm>,
) -> Response {
    let done = async {
        let (group, to_user_id) = person(&f.person)?;
        let b = SwapBody {
            community: Some(f.community.clone()),
            group,
            from_user_id: None,
            to_user_id,
            starts_at: instant(&state, "starts_at", &f.start)?,
            ends_at: instant(&state, "ends_at", &f.end)?,
            note: f.note.clone(),
        };
        roster::propose_swap(&state, &pc.caller, &b).await.map(drop)
    }
    .await;
    after(&state, pc, &f, done).await
}

pub async fn decide_swap(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<RosterForm>,
) -> Response {
    let done = async {
        let id = validate::path_id(&id).map_err(|_| AppError::NotFound)?;
        let b = SwapDecision {
            community: Some(f.community.clone()),
            decision: f.decision.clone(),
            version: f.version.trim().parse().unwrap_or(0),
        };
        roster::decide_swap(&state, &pc.caller, id, &b).await
    }
    .await;
    after(&state, pc, &f, done).await
}
