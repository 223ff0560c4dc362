//! Accounts page for the system and security administrators, over the same functions as the API.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{Right, Role};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::db::accounts::{self, StaffMember};
use crate::db::units;
use crate::service::users::{self, Access, NewUser};
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<StaffMember>,
    roles: Vec<&'static str>,
    /// Every unit as the picker offers it: `name（code）`.
    units: Vec<String>,
    can_create: bool,
    can_grant: bool,
    notice: Option<String>,
    error: Option<String>,
    /// What was typed into the new account's form when it was refused, and each field at fault.
    typed: CreateForm,
    errors: Vec<(String, String)>,
}

impl UsersPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// An account's units as the picker shows them, names first.
    fn units_in_words(&self, codes: &str) -> String {
        codes
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                self.units
                    .iter()
                    .find(|u| u.ends_with(&format!("（{c}）")))
                    .cloned()
                    .unwrap_or_else(|| c.to_string())
            })
            .collect::<Vec<_>>()
            .join("，")
    }
}

/// A refused form of the page: its input and each field at fault, in words.
#[derive(Default)]
struct Refusal {
    typed: CreateForm,
    errors: Vec<(String, String)>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    status: StatusCode,
    notice: Option<String>,
    refusal: Refusal,
) -> Response {
    let role = pc.caller.session.user.role;
    if !role.has(Right::ManageAccounts) && !role.has(Right::ManageRoles) {
        pc.caller
            .audit_refusal(state, "user.list", "", "forbidden")
            .await;
        return PageError::new(pc.t(), AppError::Forbidden).into_response();
    }
    let (users, units) = match async {
        Ok::<_, crate::db::StoreError>((
            accounts::list_users(&state.db).await?,
            units::all_unscoped(&state.db).await?,
        ))
    }
    .await
    {
        Ok(x) => x,
        Err(e) => return PageError::new(pc.t(), e.into()).into_response(),
    };
    let roles = Role::ALL
        .into_iter()
        .filter(|r| !r.is_system())
        .map(Role::as_str)
        .collect();
    html(
        status,
        askama::Template::render(&UsersPage {
            c: pc.chrome,
            users,
            roles,
            units: units
                .iter()
                .map(|u| format!("{}（{}）", u.name, u.code))
                .collect(),
            can_create: role.has(Right::ManageAccounts),
            can_grant: role.has(Right::ManageRoles),
            notice,
            error: refusal.error,
            typed: refusal.typed,
            errors: refusal.errors,
        }),
    )
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    saved: String,
}

pub async fn users(
    State(state): State<AppState>,
    Query(q): Query<SavedQuery>,
    pc: PageCaller,
) -> Response {
    let notice = (!q.saved.is_empty()).then(|| format!("{} {}", pc.t().t("users.saved"), q.saved));
    render(&state, pc, StatusCode::OK, notice, Refusal::default()).await
}

/// The units typed or picked: each a code, a picker entry `name（code）`, or a unit's exact name
/// (a name that two units share is passed on as typed, and refused as unknown).
async fn codes(state: &AppState, raw: &str) -> Vec<String> {
    let all = units::all_unscoped(&state.db).await.unwrap_or_default();
    raw.split([',', '，', '、', ';', '；', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|token| {
            if let Some(inner) = token
                .rsplit_once(['（', '('])
                .map(|(_, rest)| rest.trim_end_matches(['）', ')']).trim())
            {
                return inner.to_string();
            }
            let named: Vec<&units::Unit> = all.iter().filter(|u| u.name == token).collect();
            match named.as_slice() {
                [one] => one.code.clone(),
                _ => token.to_string(),
            }
        })
        .collect()
}

/// The page's answer to a refused action: each fault in words, next to its field when the new
/// account's form was refused (`typed`), else at the top.
async fn refused(
    state: &AppState,
    pc: PageCaller,
    e: AppError,
    typed: Option<CreateForm>,
) -> Response {
    if !matches!(e, AppError::Invalid { .. }) {
        return PageError::new(pc.t(), e).into_response();
    }
    let t = pc.t();
    let errors: Vec<(String, String)> = e
        .faults()
        .into_iter()
        .map(|f| (f.field, t.invalid(&f.code)))
        .collect();
    let refusal = match typed {
        Some(typed) => Refusal {
            typed,
            errors,
            error: None,
        },
        None => Refusal {
            error: Some(
                errors
                    .into_iter()
                    .map(|(_, m)| m)
                    .collect::<Vec<_>>()
                    .join("；"),
            ),
            ..Refusal::default()
        },
    };
    render(state, pc, StatusCode::UNPROCESSABLE_ENTITY, None, refusal).await
}

#[derive(Clone, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    units: String,
}

pub async fn create(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<CreateForm>,
) -> Response {
    let body = NewUser {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role.clone(),
        unit_codes: codes(&state, &f.units).await,
    };
    match users::create_user(&state, &pc.caller, &body).await {
        Ok(made) => {
            let notice = format!(
                "{} {}: {}",
                made.username,
                pc.t().t("users.one_time"),
                made.one_time_password
            );
            render(
                &state,
                pc,
                StatusCode::CREATED,
                Some(notice),
                Refusal::default(),
            )
            .await
        }
        Err(e) => refused(&state, pc, e, Some(f)).await,
    }
}

/// Back to the list, saying whose account was saved.
async fn saved(state: &AppState, id: &str) -> Response {
    let who = match id.parse::<i64>() {
        Ok(id) => accounts::find_by_id(&state.db, id)
            .await
            .ok()
            .flatten()
            .map(|(u, _)| u.username)
            .unwrap_or_default(),
        Err(_) => String::new(),
    };
    let q = serde_urlencoded::to_string([("saved", who.as_str())]).unwrap_or_default();
    Redirect::to(&format!("/users?{q}")).into_response()
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    disabled: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    units: String,
}

pub async fn set_disabled(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<CsrfForm>,
) -> Response {
    match users::disable(&state, &pc.caller, &id, f.disabled == "1").await {
        Ok(()) => saved(&state, &id).await,
        Err(e) => refused(&state, pc, e, None).await,
    }
}

pub async fn reset(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: _f }: PageForm<CsrfForm>,
) -> Response {
    match users::reset(&state, &pc.caller, &id).await {
        Ok(made) => {
            let notice = format!(
                "{} {}: {}",
                made.username,
                pc.t().t("users.one_time"),
                made.one_time_password
            );
            render(&state, pc, StatusCode::OK, Some(notice), Refusal::default()).await
        }
        Err(e) => refused(&state, pc, e, None).await,
    }
}

pub async fn access(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<CsrfForm>,
) -> Response {
    let body = Access {
        role: f.role,
        unit_codes: codes(&state, &f.units).await,
    };
    match users::grant_access(&state, &pc.caller, &id, &body).await {
        Ok(_) => saved(&state, &id).await,
        Err(e) => refused(&state, pc, e, None).await,
    }
}
