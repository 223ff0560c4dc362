//! Accounts page for the system and security administrators, over the same functions as the API.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{Right, Role};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::db::accounts::{self, StaffMember};
use crate::service::users::{self, Access, NewUser};
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<StaffMember>,
    roles: Vec<&'static str>,
    can_create: bool,
    can_grant: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let role = pc.caller.session.user.role;
    if !role.has(Right::ManageAccounts) && !role.has(Right::ManageRoles) {
        pc.caller
            .audit_refusal(state, "user.list", "", "forbidden")
            .await;
        return PageError::new(pc.t(), AppError::Forbidden).into_response();
    }
    let users = match accounts::list_users(&state.db).await {
        Ok(u) => u,
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
            can_create: role.has(Right::ManageAccounts),
            can_grant: role.has(Right::ManageRoles),
            notice,
            error,
        }),
    )
}

pub async fn users(State(state): State<AppState>, pc: PageCaller) -> Response {
    render(&state, pc, StatusCode::OK, None, None).await
}

fn codes(raw: &str) -> Vec<String> {
    raw.split([',', ' ', '，', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The page's answer to a refused action: the reason in words next to the form.
async fn refused(state: &AppState, pc: PageCaller, e: AppError) -> Response {
    match e {
        AppError::Invalid { code, message, .. } => {
            let text = pc.t().invalid(&code);
            let text = if text == pc.t().t("invalid.other") {
                message
            } else {
                text
            };
            render(
                state,
                pc,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(text),
            )
            .await
        }
        other => PageError::new(pc.t(), other).into_response(),
    }
}

#[derive(Deserialize)]
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
        username: f.username,
        display_name: f.display_name,
        role: f.role,
        unit_codes: codes(&f.units),
    };
    match users::create_user(&state, &pc.caller, &body).await {
        Ok(made) => {
            let notice = format!(
                "{} {}: {}",
                made.username,
                pc.t().t("users.one_time"),
                made.one_time_password
            );
            render(&state, pc, StatusCode::CREATED, Some(notice), None).await
        }
        Err(e) => refused(&state, pc, e).await,
    }
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
        Ok(()) => Redirect::to("/users").into_response(),
        Err(e) => refused(&state, pc, e).await,
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
            render(&state, pc, StatusCode::OK, Some(notice), None).await
        }
        Err(e) => refused(&state, pc, e).await,
    }
}

pub async fn access(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<CsrfForm>,
) -> Response {
    let body = Access {
        role: f.role,
        unit_codes: codes(&f.units),
    };
    match users::grant_access(&state, &pc.caller, &id, &body).await {
        Ok(_) => Redirect::to("/users").into_response(),
        Err(e) => refused(&state, pc, e).await,
    }
}
