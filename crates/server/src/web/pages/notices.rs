//! Notices on a phone (`/notices`): what the worker received, still to study first, and for a
//! street or community leader a short form to publish one and the published ones with how many
//! have studied them. A notice's page (`/notices/{id}`) counts as read when opened, studies it in
//! one tap, and shows its publisher who is missing.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::notice::AUDIENCE_ROLES;

use super::{Chrome, PageCaller, PageError, PageForm, PageUpload, html};
use crate::service::notices::{
    self, InboxView, NoticeBody, NoticeView, PublishedView, ReceiptBody, ReceiptsView, RevisionBody,
};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

/// Units offered as an audience: all of a small jurisdiction, and only streets and communities
/// (and above) of a large one, where grids would be hundreds of boxes.
const ALL_UNITS_UP_TO: usize = 40;

#[derive(askama::Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    c: Chrome,
    /// Each received notice with its deadline in local time.
    received: Vec<(InboxView, String)>,
    published: Vec<(PublishedView, String)>,
    may_publish: bool,
    roles: Vec<&'static str>,
    units: Vec<(i64, String)>,
    key: String,
    form: NoticeForm,
    default_deadline: String,
    error: Option<String>,
    saved: bool,
}

#[derive(askama::Template)]
#[template(path = "notice.html")]
struct NoticePage {
    c: Chrome,
    n: NoticeView,
    deadline: String,
    deadline_input: String,
    overdue: bool,
    receipts: Option<ReceiptsView>,
    /// The community whose people are listed (0: all).
    current: i64,
    error: Option<String>,
    saved: bool,
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
    community: Option<String>,
}

/// The publish form: `role_<name>` and `unit_<id>` boxes (a field appears once each).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NoticeForm {
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

impl NoticeForm {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |v| v.trim())
    }

    /// Whether a box was ticked.
    pub fn ticked(&self, prefix: &str, name: &dyn std::fmt::Display) -> bool {
        !self.get(&format!("{prefix}_{name}")).is_empty()
    }
}

fn local(state: &AppState, secs: i64) -> String {
    super::account::local_time(state, secs)
}

/// This evening at 21:00 (the day's study), or tomorrow's once that is under an hour away.
fn evening(state: &AppState) -> String {
    let tz = state.settings.time_zone;
    let now = chrono::Utc::now().with_timezone(&tz);
    let today = now.date_naive();
    let day = if now.time() < chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default() {
        today
    } else {
        today.succ_opt().unwrap_or(today)
    };
    format!("{}T21:00", day.format("%Y-%m-%d"))
}

pub async fn list_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<SavedQuery>,
) -> Response {
    let saved = !q.saved.is_empty();
    render_list(&state, pc, NoticeForm::default(), None, saved).await
}

async fn render_list(
    state: &AppState,
    pc: PageCaller,
    form: NoticeForm,
    error: Option<String>,
    saved: bool,
) -> Response {
    let t = pc.t();
    let may_publish = pc
        .caller
        .session
        .user
        .role
        .has(shouhu_domain::Right::PublishNotices);
    let loaded = async {
        let list = notices::list(state, &pc.caller).await?;
        let units = if may_publish {
            let all = pc.caller.units(&state.db).await?;
            let small = all.len() <= ALL_UNITS_UP_TO;
            all.into_iter()
                .filter(|u| small || u.kind != "grid")
                .map(|u| (u.id, u.name))
                .collect()
        } else {
            Vec::new()
        };
        Ok::<_, AppError>((list, units))
    }
    .await;
    let (list, units) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let status = match error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    html(
        status,
        askama::Template::render(&NoticesPage {
            c: pc.chrome,
            received: list
                .received
                .into_iter()
                .map(|n| {
                    let when = local(state, n.deadline);
                    (n, when)
                })
                .collect(),
            published: list
                .published
                .into_iter()
                .map(|n| {
                    let when = local(state, n.deadline);
                    (n, when)
                })
                .collect(),
            may_publish,
            roles: AUDIENCE_ROLES.iter().map(|r| r.as_str()).collect(),
            units,
            key: super::form_key(),
            form,
            default_deadline: evening(state),
            error,
            saved,
        }),
    )
}

/// Publishes a notice from the form; done, its page is shown.
pub async fn publish(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<NoticeForm>,
) -> Response {
    let t = pc.t();
    let done = async {
        let deadline = super::roster::instant(&state, "deadline", f.get("deadline"))?;
        let roles = AUDIENCE_ROLES
            .iter()
            .map(|r| r.as_str())
            .filter(|r| f.ticked("role", r))
            .map(str::to_string)
            .collect();
        let mut unit_ids = Vec::new();
        for (k, v) in &f.fields {
            if let Some(id) = k.strip_prefix("unit_")
                && !v.is_empty()
            {
                unit_ids.push(validate::path_id(id)?);
            }
        }
        unit_ids.sort_unstable();
        let b = NoticeBody {
            title: f.get("title").to_string(),
            body: f.get("body").to_string(),
            deadline,
            roles,
            unit_ids,
            to_residents: !f.get("to_residents").is_empty(),
            idempotency_key: format!("page-{}", f.get("key").chars().take(40).collect::<String>()),
        };
        notices::publish(&state, &pc.caller, &b).await
    }
    .await;
    match done {
        Ok((id, _)) => Redirect::to(&format!("/notices/{id}?saved=1")).into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let words = super::refusal_words(t, &e);
            render_list(&state, pc, f, Some(words), false).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

/// A notice: opened is read; its publisher also sees who has studied it.
pub async fn notice_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Response {
    let Ok(id) = validate::path_id(&id) else {
        return PageError::new(pc.t(), AppError::NotFound).into_response();
    };
    let community = q.community.and_then(|c| c.trim().parse().ok());
    render_notice(&state, pc, id, community, None, !q.saved.is_empty()).await
}

async fn render_notice(
    state: &AppState,
    pc: PageCaller,
    id: i64,
    community: Option<i64>,
    error: Option<(StatusCode, String)>,
    saved: bool,
) -> Response {
    let t = pc.t();
    let loaded = async {
        let mut n = notices::detail(state, &pc.caller, id).await?;
        if n.my_status.as_deref() == Some("delivered") {
            // Opening the notice is reading it; studying it is the worker's own tap.
            let b = ReceiptBody {
                status: "read".into(),
                version: n.version,
            };
            let r = notices::answer(state, &pc.caller, id, &b).await?;
            n.my_status = Some(r.status);
        }
        let receipts = if n.may_see_receipts {
            Some(notices::receipts(state, &pc.caller, id, community).await?)
        } else {
            None
        };
        Ok::<_, AppError>((n, receipts))
    }
    .await;
    let (n, receipts) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let (status, error) = match error {
        Some((status, words)) => (status, Some(words)),
        None => (StatusCode::OK, None),
    };
    let deadline_input = chrono::DateTime::from_timestamp(n.deadline, 0)
        .map(|d| {
            d.with_timezone(&state.settings.time_zone)
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        })
        .unwrap_or_default();
    html(
        status,
        askama::Template::render(&NoticePage {
            c: pc.chrome,
            deadline: local(state, n.deadline),
            deadline_input,
            overdue: n.deadline < crate::db::now() && n.my_status.as_deref() != Some("confirmed"),
            n,
            receipts,
            current: community.unwrap_or(0),
            error,
            saved,
        }),
    )
}

#[derive(Deserialize)]
pub struct StudyForm {
    version: String,
}

/// "I have studied it" (已学习).
pub async fn study(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<StudyForm>,
) -> Response {
    let t = pc.t();
    let Ok(id) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let b = ReceiptBody {
        status: "confirmed".into(),
        version: f.version.trim().parse().unwrap_or(0),
    };
    match notices::answer(&state, &pc.caller, id, &b).await {
        Ok(_) => Redirect::to(&format!("/notices/{id}")).into_response(),
        Err(e @ (AppError::Conflict | AppError::Invalid { .. })) => {
            // A new version came out while the page was open: shown again, to read anew.
            let words = (e.status(), super::refusal_words(t, &e));
            render_notice(&state, pc, id, None, Some(words), false).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ReviseForm {
    title: String,
    body: String,
    deadline: String,
    version: String,
}

/// A new version from the notice's page: everyone is asked again.
pub async fn revise(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<ReviseForm>,
) -> Response {
    let t = pc.t();
    let Ok(id) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let done = async {
        let b = RevisionBody {
            title: f.title.clone(),
            body: f.body.clone(),
            deadline: super::roster::instant(&state, "deadline", &f.deadline)?,
            version: f.version.trim().parse().unwrap_or(0),
        };
        notices::revise(&state, &pc.caller, id, &b).await
    }
    .await;
    match done {
        Ok(_) => Redirect::to(&format!("/notices/{id}?saved=1")).into_response(),
        Err(e @ (AppError::Conflict | AppError::Invalid { .. })) => {
            let words = (e.status(), super::refusal_words(t, &e));
            render_notice(&state, pc, id, None, Some(words), false).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

/// A file added from the notice's page.
pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: PageUpload,
) -> Response {
    let PageUpload { pc, file, .. } = form;
    let t = pc.t();
    let Ok(id) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let done = match file {
        Some((name, bytes)) => notices::attach(&state, &pc.caller, id, &name, "", &bytes).await,
        None => Err(AppError::invalid("file", "required", "a file")),
    };
    match done {
        Ok(_) => Redirect::to(&format!("/notices/{id}?saved=1")).into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            let words = (e.status(), super::refusal_words(t, &e));
            render_notice(&state, pc, id, None, Some(words), false).await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

/// A file of the notice, downloaded.
pub async fn download(
    State(state): State<AppState>,
    pc: PageCaller,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    let t = pc.t();
    let (Ok(id), Ok(file)) = (validate::path_id(&id), validate::path_id(&file)) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    match notices::attachment(&state, &pc.caller, id, file).await {
        Ok((name, kind, bytes)) => crate::web::download::file_response(&name, &kind, bytes),
        Err(e) => PageError::new(t, e).into_response(),
    }
}
