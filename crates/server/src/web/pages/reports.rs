//! The report dashboard (`/reports`): the day's figures against the day before, a row per part,
//! 14-day charts, downloads; a community leader submits (上报) here, and the street sees which
//! communities have and returns one for correction.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::Right;

use super::chart::{Series, line_chart};
use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::db::reports::{self, Report, trend};
use crate::db::units;
use crate::service::reports::{
    Completeness, ReturnBody, SubmitBody, board, return_report, submit_report, unit_and_day,
};
use crate::web::AppState;
use crate::web::error::AppError;

/// The figures the dashboard compares with the day before.
const COMPARED: [&str; 18] = [
    "residents",
    "households",
    "survey_visits",
    "health_checks",
    "fevers",
    "at_risk",
    "quarantine_new",
    "quarantine_active",
    "quarantine_released",
    "gate_in",
    "gate_out",
    "gate_refused",
    "help_opened",
    "help_open",
    "help_escalated",
    "care_calls_reached",
    "care_calls_missed",
    "roster_gap_minutes",
];

/// The columns of the per-part table (the sheet has them all).
const COLUMNS: [&str; 6] = [
    "health_checks",
    "fevers",
    "quarantine_active",
    "gate_in",
    "gate_out",
    "gate_refused",
];

#[derive(Deserialize, Default)]
pub struct ReportsQuery {
    unit: Option<String>,
    date: Option<String>,
    done: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    c: Chrome,
    units: Vec<(String, String)>,
    unit: String,
    date: String,
    r: Report,
    /// (label, today, yesterday)
    compared: Vec<(String, i64, i64)>,
    columns: Vec<String>,
    /// (name, values of `columns`)
    rows: Vec<(String, Vec<i64>)>,
    charts: Vec<String>,
    downloads: (String, String),
    can_submit: bool,
    can_return: bool,
    board: Option<Completeness>,
    done: String,
    /// What was typed into the submit form when it was refused, and the field at fault.
    typed: SubmitTyped,
    submitted_at: String,
    /// Who submitted it, by the name people know them by.
    submitted_by: Option<String>,
}

/// The submit form's input, kept when it is refused.
#[derive(Default)]
struct SubmitTyped {
    remark: String,
    correction_reason: String,
    /// The field at fault, in words.
    error: Option<(String, String)>,
}

impl ReportsPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.typed
            .error
            .as_ref()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

pub async fn reports_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<ReportsQuery>,
) -> Response {
    if let Err(e) = pc.require(&state, Right::ReadReports, "report.page").await {
        return e.into_response();
    }
    render(&state, pc, q, StatusCode::OK, SubmitTyped::default()).await
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    q: ReportsQuery,
    status: StatusCode,
    typed: SubmitTyped,
) -> Response {
    let t = pc.t();
    let done = q.done.clone().unwrap_or_default();
    let scope = pc.caller.scope();
    let all = units::list(&state.db, &scope).await.unwrap_or_default();
    let units: Vec<(String, String)> = all
        .iter()
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let unit = chosen_unit(q.unit, &all);
    if unit.is_empty() {
        return PageError::new(t, AppError::NotFound).into_response();
    }
    let (u, day) = match unit_and_day(state, &pc.caller, &unit, q.date.as_deref()).await {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let yesterday = day.pred_opt().unwrap_or(day);
    let (r, before, trend) = match async {
        let r = reports::daily(&state.db, &u, &day.to_string()).await?;
        let before = reports::daily(&state.db, &u, &yesterday.to_string()).await?;
        let first = day - chrono::Days::new(13);
        let trend = trend::trend(&state.db, u.id, first, day).await?;
        Ok::<_, crate::db::StoreError>((r, before, trend))
    }
    .await
    {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e.into()).into_response(),
    };
    let label = |k: &str| t.tk("report.key", k);
    let charts = trend_charts(t, &trend);
    let role = pc.caller.session.user.role;
    let board = if u.kind != "community" && u.kind != "grid" {
        board(state, &u, day).await.ok()
    } else {
        None
    };
    let link = |format: &str| {
        serde_urlencoded::to_string([
            ("unit", u.code.as_str()),
            ("date", &day.to_string()),
            ("format", format),
        ])
        .unwrap_or_default()
    };
    let submitted_at = r
        .submitted_at
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|x| {
            x.with_timezone(&state.settings.time_zone)
                .format("%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let submitted_by = match r.submitted_by.as_deref() {
        Some(username) => Some(
            crate::db::accounts::find_by_username(&state.db, username)
                .await
                .ok()
                .flatten()
                .map(|(user, _)| user.display_name)
                .filter(|name| !name.trim().is_empty())
                .unwrap_or_else(|| username.to_string()),
        ),
        None => None,
    };
    let rendered = askama::Template::render(&ReportsPage {
        typed,
        compared: COMPARED
            .iter()
            .map(|k| (label(k), r.figures.get(k), before.figures.get(k)))
            .collect(),
        columns: COLUMNS.iter().map(|k| label(k)).collect(),
        rows: r
            .rows
            .iter()
            .map(|row| {
                (
                    row.name.clone(),
                    COLUMNS.iter().map(|k| row.figures.get(k)).collect(),
                )
            })
            .collect(),
        charts,
        downloads: (
            format!("/api/v1/reports/daily?{}", link("xlsx")),
            format!("/api/v1/reports/daily?{}", link("csv")),
        ),
        can_submit: u.kind == "community" && role.has(Right::SubmitReports),
        can_return: role.has(Right::ReviewReports),
        board,
        done,
        submitted_at,
        submitted_by,
        c: pc.chrome,
        units,
        unit: u.code.clone(),
        date: day.to_string(),
        r,
    });
    html(status, rendered)
}

/// The page's three charts of the last 14 days: fevers, episodes begun and ended, the gates.
fn trend_charts(t: crate::i18n::Tr, trend: &trend::Trend) -> Vec<String> {
    let label = |k: &str| t.tk("report.key", k);
    let days: Vec<String> = trend.keys().cloned().collect();
    let series = |k: &'static str| {
        trend
            .values()
            .map(|d| d.get(k).copied().unwrap_or(0))
            .collect::<Vec<i64>>()
    };
    let fevers = label("fevers");
    let q_new = label("quarantine_new");
    let q_released = label("quarantine_released");
    let g_in = label("gate_in");
    let g_out = label("gate_out");
    let g_refused = label("gate_refused");
    vec![
        line_chart(
            t.t("report.chart_fevers"),
            &days,
            &[Series {
                label: &fevers,
                color: "#b3261e",
                values: series("fevers"),
            }],
        ),
        line_chart(
            t.t("report.chart_quarantine"),
            &days,
            &[
                Series {
                    label: &q_new,
                    color: "#8a6d00",
                    values: series("quarantine_new"),
                },
                Series {
                    label: &q_released,
                    color: "#137333",
                    values: series("quarantine_released"),
                },
            ],
        ),
        line_chart(
            t.t("report.chart_gate"),
            &days,
            &[
                Series {
                    label: &g_in,
                    color: "#0b57d0",
                    values: series("gate_in"),
                },
                Series {
                    label: &g_out,
                    color: "#137333",
                    values: series("gate_out"),
                },
                Series {
                    label: &g_refused,
                    color: "#b3261e",
                    values: series("gate_refused"),
                },
            ],
        ),
    ]
}

/// The unit asked for, else the caller's highest (a leader lands on the community, a worker on
/// the grid); empty when the caller has none.
fn chosen_unit(asked: Option<String>, all: &[units::Unit]) -> String {
    asked
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .or_else(|| {
            all.iter()
                .find(|u| !all.iter().any(|p| Some(&p.code) == u.parent_code.as_ref()))
                .map(|u| u.code.clone())
        })
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct SubmitForm {
    unit: String,
    date: String,
    #[serde(default)]
    remark: String,
    #[serde(default)]
    correction_reason: String,
}

fn back(unit: &str, date: &str, done: &str) -> Response {
    let q = serde_urlencoded::to_string([("unit", unit), ("date", date), ("done", done)])
        .unwrap_or_default();
    Redirect::to(&format!("/reports?{q}")).into_response()
}

pub async fn submit(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<SubmitForm>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .require(&state, Right::SubmitReports, "report.submit")
        .await
    {
        return e.into_response();
    }
    let body = SubmitBody {
        unit: f.unit.clone(),
        date: f.date.clone(),
        remark: f.remark,
        correction_reason: f.correction_reason,
    };
    match submit_report(&state, &pc.caller, &body).await {
        Ok(_) => back(&f.unit, &f.date, "submitted"),
        Err(e @ AppError::Invalid { .. }) => {
            let fault = e.faults().into_iter().next();
            let typed = SubmitTyped {
                remark: body.remark,
                correction_reason: body.correction_reason,
                error: fault.map(|x| (x.field, t.invalid(&x.code))),
            };
            let q = ReportsQuery {
                unit: Some(f.unit),
                date: Some(f.date),
                done: None,
            };
            render(&state, pc, q, StatusCode::UNPROCESSABLE_ENTITY, typed).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ReturnForm {
    /// The page the board is on.
    from: String,
    unit: String,
    date: String,
    #[serde(default)]
    reason: String,
}

pub async fn send_back(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<ReturnForm>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .require(&state, Right::ReviewReports, "report.return")
        .await
    {
        return e.into_response();
    }
    let body = ReturnBody {
        unit: f.unit,
        date: f.date.clone(),
        reason: f.reason,
    };
    match return_report(&state, &pc.caller, &body).await {
        Ok(()) => back(&f.from, &f.date, "returned"),
        Err(AppError::Invalid { field, .. }) if field == "reason" => {
            back(&f.from, &f.date, "reason_required")
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}
