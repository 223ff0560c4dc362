//! A person's isolation (隔离) in the pages: start home isolation (or another kind) directly, move
//! an episode on (begin a planned one, call it off, end it, hand over to a hospital), and take the
//! person to a centralized observation point step by step — notified, picked up, admitted, released.
//! Every form that is refused comes back with what was typed and each field at fault named.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{QuarantineStatus, Right, TransferStatus};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::db::observation::{self, Site, Transfer};
use crate::db::quarantine::{self, Quarantine};
use crate::db::registry::records::{QuarantineRecord, records};
use crate::service::observation::{AdvanceBody, TransferBody};
use crate::service::quarantine::{QuarantineBody, TransitionBody, start, transition};
use crate::service::residents::fetch;
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

/// What was typed into the page's forms, kept when one is refused.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    start_date: String,
    #[serde(default)]
    planned_end_date: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    plate: String,
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    to: String,
}

#[derive(askama::Template)]
#[template(path = "isolation.html")]
struct IsolationPage {
    c: Chrome,
    resident_id: i64,
    name: String,
    address: String,
    can_manage: bool,
    can_advance: bool,
    /// The episode under way (planned or active), with its version.
    open: Option<Quarantine>,
    /// Its transfer to an observation point, while not released.
    transfer: Option<Transfer>,
    /// The next step of that transfer.
    next_step: Option<&'static str>,
    sites: Vec<Site>,
    /// Earlier episodes, newest first.
    past: Vec<QuarantineRecord>,
    typed: Typed,
    today: String,
    /// (field, message) of a refused form.
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

impl IsolationPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn free_beds(&self, s: &Site) -> String {
        self.c
            .t
            .tn("isolation.free_beds", (s.beds - s.occupied).max(0))
    }

    fn site_name(&self, id: i64) -> String {
        self.sites
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone())
    }
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    id: &str,
    status: StatusCode,
    typed: Typed,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> Response {
    let t = pc.t();
    let loaded = async {
        let id = validate::path_id(id).map_err(|_| AppError::NotFound)?;
        let r = fetch(state, &pc.caller, id).await?;
        let scope = pc.caller.scope();
        let rec = records(&state.db, r.id, r.household_id, true, false).await?;
        let open_id = rec
            .quarantines
            .iter()
            .find(|q| QuarantineStatus::parse(&q.status).is_some_and(QuarantineStatus::is_open))
            .map(|q| q.id);
        let open = match open_id {
            Some(q) => Some(quarantine::get(&state.db, &scope, q).await?),
            None => None,
        };
        let transfer_id = rec
            .transfers
            .iter()
            .find(|x| Some(x.quarantine_id) == open_id && x.status != "released")
            .map(|x| x.id);
        let transfer = match transfer_id {
            Some(x) => Some(observation::get(&state.db, &scope, x).await?),
            None => None,
        };
        let sites = observation::sites(&state.db, &scope).await?;
        let past = rec
            .quarantines
            .into_iter()
            .filter(|q| Some(q.id) != open_id)
            .collect::<Vec<_>>();
        Ok::<_, AppError>((r, open, transfer, sites, past))
    };
    let (r, open, transfer, sites, past) = match loaded.await {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let role = pc.caller.session.user.role;
    let next_step = transfer
        .as_ref()
        .and_then(|x| match TransferStatus::parse(&x.status) {
            Some(TransferStatus::Notified) => Some("picked_up"),
            Some(TransferStatus::PickedUp) => Some("admitted"),
            Some(TransferStatus::Admitted) => Some("released"),
            _ => None,
        });
    html(
        status,
        askama::Template::render(&IsolationPage {
            resident_id: r.id,
            name: pc.caller.names().show(&r.name),
            address: r.address.clone(),
            can_manage: role.has(Right::ManageQuarantine),
            can_advance: role.has(Right::ManageQuarantine) || role.has(Right::HandleAlerts),
            open,
            transfer,
            next_step,
            sites,
            past,
            typed,
            today: state.settings.today().to_string(),
            errors,
            notice,
            c: pc.chrome,
        }),
    )
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

pub async fn isolation_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Err(e) = pc
        .require(&state, Right::ReadHealth, "quarantine.read")
        .await
    {
        return e.into_response();
    }
    let notice = (!q.done.is_empty()).then(|| pc.t().t("isolation.saved").to_string());
    render(
        &state,
        pc,
        &id,
        StatusCode::OK,
        Typed::default(),
        Vec::new(),
        notice,
    )
    .await
}

/// After a form: back to the page with a notice, or the page again with the faults and the input.
async fn done(
    state: &AppState,
    pc: PageCaller,
    id: &str,
    typed: Typed,
    outcome: Result<(), AppError>,
) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("/residents/{id}/isolation?done=1")).into_response(),
        Err(
            e @ (AppError::NotFound
            | AppError::Forbidden
            | AppError::Internal(_)
            | AppError::Unavailable(_)),
        ) => PageError::new(pc.t(), e).into_response(),
        Err(e) => {
            let status = if matches!(e, AppError::Conflict) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let errors = super::faults_in_words(pc.t(), &e, "version");
            render(state, pc, id, status, typed, errors, None).await
        }
    }
}

/// Starts an episode for the person (home isolation unless another kind is chosen).
pub async fn start_isolation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form }: PageForm<Typed>,
) -> Response {
    let outcome = async {
        let rid = validate::path_id(&id).map_err(|_| AppError::NotFound)?;
        let b = QuarantineBody {
            resident_id: rid,
            kind: form.kind.clone(),
            reason: form.reason.clone(),
            start_date: form.start_date.clone(),
            planned_end_date: Some(form.planned_end_date.clone()),
        };
        start(&state, &pc.caller, &b).await.map(|_| ())
    }
    .await;
    done(&state, pc, &id, form, outcome).await
}

/// The episode of the person named in the path, if `qid` is theirs (else not found).
async fn episode_of(
    state: &AppState,
    pc: &PageCaller,
    id: &str,
    qid: &str,
) -> Result<i64, AppError> {
    let rid = validate::path_id(id).map_err(|_| AppError::NotFound)?;
    let qid = validate::path_id(qid).map_err(|_| AppError::NotFound)?;
    let q = quarantine::get(&state.db, &pc.caller.scope(), qid).await?;
    if q.resident_id != rid {
        return Err(AppError::NotFound);
    }
    Ok(qid)
}

/// Begins, calls off, ends or hands over the episode.
pub async fn move_isolation(
    State(state): State<AppState>,
    Path((id, qid)): Path<(String, String)>,
    PageForm { pc, form }: PageForm<Typed>,
) -> Response {
    let outcome = async {
        let qid = episode_of(&state, &pc, &id, &qid).await?;
        let b = TransitionBody {
            to: form.to.clone(),
            version: form.version.parse().unwrap_or(-1),
            note: form.note.clone(),
        };
        transition(&state, &pc.caller, qid, &b).await
    }
    .await;
    done(&state, pc, &id, form, outcome).await
}

/// Notifies the person's transfer to an observation point.
pub async fn notify_transfer(
    State(state): State<AppState>,
    Path((id, qid)): Path<(String, String)>,
    PageForm { pc, form }: PageForm<Typed>,
) -> Response {
    let outcome = async {
        let qid = episode_of(&state, &pc, &id, &qid).await?;
        let site_id = form.site_id.trim().parse().map_err(|_| {
            AppError::invalid("site_id", "unknown_site", "choose an observation point")
        })?;
        let b = TransferBody {
            quarantine_id: qid,
            site_id,
            note: form.note.clone(),
        };
        crate::service::observation::notify(&state, &pc.caller, &b)
            .await
            .map(|_| ())
    }
    .await;
    done(&state, pc, &id, form, outcome).await
}

/// The transfer's next step: picked up (with the vehicle's plate), admitted, released.
pub async fn advance_transfer(
    State(state): State<AppState>,
    Path((id, tid)): Path<(String, String)>,
    PageForm { pc, form }: PageForm<Typed>,
) -> Response {
    let outcome = async {
        let rid = validate::path_id(&id).map_err(|_| AppError::NotFound)?;
        let tid = validate::path_id(&tid).map_err(|_| AppError::NotFound)?;
        if observation::get(&state.db, &pc.caller.scope(), tid)
            .await?
            .resident_id
            != rid
        {
            return Err(AppError::NotFound);
        }
        let b = AdvanceBody {
            to: form.to.clone(),
            version: form.version.parse().unwrap_or(-1),
            plate: Some(form.plate.clone()),
            note: form.note.clone(),
        };
        crate::service::observation::advance(&state, &pc.caller, tid, &b).await
    }
    .await;
    done(&state, pc, &id, form, outcome).await
}
