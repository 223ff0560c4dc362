//! The health page: what is due today for the caller — open alerts, residents put at risk, the
//! follow-ups of people under quarantine, and residents not checked today — each with its form.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{Right, Temperature};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::db::{health, quarantine, risk};
use crate::service::health::{AlertView, alert_view, parse_reading};
use crate::service::quarantine::{QuarantineView, view as quarantine_view};
use crate::service::surveys::{FlagView, flag_view};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "health.html")]
struct HealthPage {
    c: Chrome,
    can_record: bool,
    can_close: bool,
    can_decide: bool,
    alerts: Vec<AlertView>,
    flags: Vec<FlagView>,
    due: Vec<(QuarantineView, bool)>,
    unchecked_total: i64,
    /// What was typed into a refused form, by its field's id, so that it is not lost.
    kept: Vec<(String, String)>,
    error: Option<String>,
}

impl HealthPage {
    /// The value typed into the field `prefix-id` of a refused form, or nothing.
    fn kept_for(&self, prefix: &str, id: &i64) -> &str {
        let key = format!("{prefix}-{id}");
        self.kept
            .iter()
            .find(|(k, _)| *k == key)
            .map_or("", |(_, v)| v.as_str())
    }
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    error: Option<String>,
    kept: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    let role = pc.caller.session.user.role;
    let grids = pc.caller.grids.to_vec();
    let today = state.settings.today();
    let loaded = async {
        let (alerts, _) = health::alerts(&state.db, &grids, Some("open"), 50, 0).await?;
        let (flags, _) = risk::flags(&state.db, &grids, Some("pending"), 50, 0).await?;
        let yesterday = today - chrono::Days::new(1);
        let (due, _) = quarantine::due(
            &state.db,
            &grids,
            &today.to_string(),
            &yesterday.to_string(),
            50,
            0,
        )
        .await?;
        let left = crate::db::rounds::grids_left(&state.db, &grids, &today.to_string()).await?;
        let total: i64 = left.iter().map(|(_, n)| n).sum();
        Ok::<_, crate::db::StoreError>((alerts, flags, due, total))
    }
    .await;
    let (alerts, flags, due, unchecked_total) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e.into()).into_response(),
    };
    let names = pc.caller.names();
    let rendered = askama::Template::render(&HealthPage {
        can_record: role.has(Right::RecordHealth),
        can_close: role.has(Right::HandleAlerts),
        can_decide: role.has(Right::ManageQuarantine),
        alerts: alerts.iter().map(|a| alert_view(a, names)).collect(),
        flags: flags.iter().map(|f| flag_view(f, names)).collect(),
        due: due
            .iter()
            .map(|(q, o)| (quarantine_view(q, names), *o))
            .collect(),
        unchecked_total,
        kept,
        error,
        c: pc.chrome,
    });
    html(status, rendered)
}

pub async fn health_page(State(state): State<AppState>, pc: PageCaller) -> Response {
    if let Err(e) = pc.require(&state, Right::ReadHealth, "health.page").await {
        return e.into_response();
    }
    render(&state, pc, None, Vec::new(), StatusCode::OK).await
}

/// After a form: back to the page, or the page again with the error in words and what was typed
/// (`kept`, by field id) still in its fields.
async fn done(
    state: &AppState,
    pc: PageCaller,
    r: Result<(), AppError>,
    kept: Vec<(String, String)>,
) -> Response {
    match r {
        Ok(()) => Redirect::to("/health").into_response(),
        Err(
            e @ (AppError::NotFound
            | AppError::Forbidden
            | AppError::Internal(_)
            | AppError::Unavailable(_)),
        ) => PageError::new(pc.t(), e).into_response(),
        Err(e) => {
            let message = match &e {
                AppError::Invalid { code, .. } => pc.t().invalid(code),
                AppError::Conflict => pc.t().t("error.conflict").to_string(),
                _ => pc.t().t("error.title").to_string(),
            };
            let status = if matches!(e, AppError::Conflict) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            render(state, pc, Some(message), kept, status).await
        }
    }
}

/// A temperature typed into a page, without symptoms.
fn parse_typed_reading(typed: &str) -> Result<(Temperature, Vec<String>), AppError> {
    let t = Temperature::parse(typed)
        .map_err(|e| AppError::invalid("temperature", "temperature_out_of_range", e.to_string()))?;
    parse_reading(t.celsius(), &[])
}

#[derive(Deserialize)]
pub struct CloseForm {
    version: String,
    note: String,
}

pub async fn close_alert(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<CloseForm>,
) -> Response {
    let r = async {
        pc.caller
            .require(&state, Right::HandleAlerts, "alert.close")
            .await?;
        let note = validate::text("note", &f.note, 500, true)?;
        let version = validate::path_id(&f.version)?;
        health::close_alert(
            &state.db,
            &pc.caller.scope(),
            &pc.caller.actor(),
            validate::path_id(&id)?,
            version,
            &note,
        )
        .await?;
        Ok(())
    }
    .await;
    let kept = vec![(format!("note-{id}"), f.note.clone())];
    done(&state, pc, r, kept).await
}

#[derive(Deserialize)]
pub struct DecideForm {
    version: String,
    #[serde(default)]
    reason: String,
    decision: String,
}

pub async fn decide_flag(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<DecideForm>,
) -> Response {
    let r = async {
        pc.caller
            .require(&state, Right::ManageQuarantine, "risk_flag.decide")
            .await?;
        let (id, version) = (validate::path_id(&id)?, validate::path_id(&f.version)?);
        let (scope, actor) = (pc.caller.scope(), pc.caller.actor());
        if f.decision == "confirm" {
            risk::confirm(
                &state.db,
                &scope,
                &actor,
                id,
                version,
                None,
                state.settings.today(),
            )
            .await?;
        } else {
            let reason = validate::text("reason", &f.reason, 500, true)?;
            risk::dismiss(&state.db, &scope, &actor, id, version, &reason).await?;
        }
        Ok(())
    }
    .await;
    let kept = vec![(format!("reason-{id}"), f.reason.clone())];
    done(&state, pc, r, kept).await
}

#[derive(Deserialize)]
pub struct FollowUpForm {
    temperature: String,
    #[serde(default)]
    needs: String,
    #[serde(default)]
    breach: Option<String>,
}

pub async fn follow_up(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<FollowUpForm>,
) -> Response {
    let r = async {
        pc.caller
            .require(&state, Right::RecordHealth, "follow_up.create")
            .await?;
        let (temperature, symptoms) = parse_typed_reading(&f.temperature)?;
        let fu = quarantine::NewFollowUp {
            temperature,
            symptoms,
            needs: validate::text("needs", &f.needs, 500, false)?,
            note: String::new(),
            breach: f.breach.is_some(),
        };
        quarantine::follow_up(
            &state.db,
            &pc.caller.scope(),
            &pc.caller.actor(),
            validate::path_id(&id)?,
            &state.settings.today().to_string(),
            &fu,
        )
        .await?;
        Ok(())
    }
    .await;
    let kept = vec![
        (format!("fu-t-{id}"), f.temperature.clone()),
        (format!("fu-n-{id}"), f.needs.clone()),
    ];
    done(&state, pc, r, kept).await
}
