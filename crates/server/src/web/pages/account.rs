//! Sign-in, sign-out, the forced password change, the language switch and one's own sessions.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, LANG_COOKIE, NoFields, PageCaller, PageError, PageForm, html, lang_of, page};
use crate::db::accounts::{self, SessionInfo};
use crate::i18n::Tr;
use crate::service::session::{SignInOutcome, change_password, sign_in};
use crate::web::AppState;
use crate::web::auth::{client_address, session_cookie, set_cookie};
use crate::web::error::AppError;

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    other_lang: &'static str,
    username: String,
    error: Option<String>,
}

pub async fn login_page(parts: Parts) -> Response {
    let t = Tr::new(lang_of(&parts));
    page(&LoginPage {
        t,
        other_lang: t.lang.other().code(),
        username: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    parts: Parts,
    Form(f): Form<LoginForm>,
) -> Response {
    let t = Tr::new(lang_of(&parts));
    let ua = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let outcome = sign_in(
        &state,
        &f.username,
        &f.password,
        &client_address(&parts),
        ua,
    )
    .await;
    let error = match outcome {
        Ok(SignInOutcome::Ok {
            token, must_change, ..
        }) => {
            let to = if must_change { "/password" } else { "/" };
            let mut r = Redirect::to(to).into_response();
            set_cookie(
                &mut r,
                &session_cookie(&token, state.settings.secure_cookies),
            );
            return r;
        }
        Ok(SignInOutcome::Refused) => t.t("login.failed"),
        Ok(SignInOutcome::Throttled) => t.t("login.throttled"),
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let status = if error == t.t("login.throttled") {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::UNAUTHORIZED
    };
    html(
        status,
        askama::Template::render(&LoginPage {
            t,
            other_lang: t.lang.other().code(),
            username: f.username.chars().take(64).collect(),
            error: Some(error.to_string()),
        }),
    )
}

pub async fn logout(
    State(state): State<AppState>,
    PageForm { pc, .. }: PageForm<NoFields>,
) -> Response {
    let _ = accounts::end_session(&state.db, &pc.caller.session.token_hash).await;
    state.sessions.forget_user(pc.caller.session.user.id);
    // An uploaded sheet of residents is not left behind a signed-out session.
    state.uploads.forget_user(pc.caller.session.user.id);
    let entry = pc.caller.actor().entry(
        "session.sign_out",
        "user",
        pc.caller.session.user.id,
        String::new(),
    );
    let _ = crate::db::audit::record(&state.db, &entry).await;
    let mut r = Redirect::to("/login").into_response();
    set_cookie(&mut r, &session_cookie("", state.settings.secure_cookies));
    // The gate page's offline queue and anything else of the site's in the browser go too.
    if let Ok(v) = "\"storage\", \"cache\"".parse() {
        r.headers_mut().insert("clear-site-data", v);
    }
    r
}

#[derive(askama::Template)]
#[template(path = "password.html")]
struct PasswordPage {
    c: Chrome,
    required: bool,
    error: Option<String>,
    saved: bool,
}

pub async fn password_page(State(state): State<AppState>, pc: PageCaller) -> Response {
    let required = pc.caller.must_change_password(&state);
    page(&PasswordPage {
        c: pc.chrome,
        required,
        error: None,
        saved: false,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

pub async fn password(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<PasswordForm>,
) -> Response {
    let t = pc.t();
    let required = pc.caller.must_change_password(&state);
    let error = if f.new != f.repeat {
        Some(t.t("password.mismatch").to_string())
    } else {
        match change_password(&state, &pc.caller, &f.current, &f.new).await {
            Ok(()) => None,
            Err(AppError::Invalid { code, .. }) => Some(t.invalid(&code)),
            Err(e) => return PageError::new(t, e).into_response(),
        }
    };
    let saved = error.is_none();
    // The change that stood between a new account and its work: on to the home page.
    if saved && required {
        return Redirect::to("/").into_response();
    }
    let status = if saved {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(
        status,
        askama::Template::render(&PasswordPage {
            c: pc.chrome,
            required: required && !saved,
            error,
            saved,
        }),
    )
}

pub async fn switch_lang(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let code = if code == "en" { "en" } else { "zh" };
    // Read by the pages only, kept for a year; sent along when a link from elsewhere opens one.
    let lang = cookie::Cookie::build((LANG_COOKIE, code))
        .path("/")
        .max_age(cookie::time::Duration::days(365))
        .same_site(cookie::SameSite::Lax)
        .secure(state.settings.secure_cookies)
        .build();
    let mut r = Redirect::to("/").into_response();
    set_cookie(&mut r, &lang);
    r
}

#[derive(askama::Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    username: String,
    sessions: Vec<SessionRow>,
}

struct SessionRow {
    handle: String,
    created: String,
    last_seen: String,
    address: String,
    user_agent: String,
    current: bool,
}

pub async fn account(State(state): State<AppState>, pc: PageCaller) -> Response {
    let sessions = match accounts::list_sessions(&state.db, pc.caller.session.user.id).await {
        Ok(s) => s,
        Err(e) => return PageError::new(pc.t(), e.into()).into_response(),
    };
    let current: String = pc.caller.session.token_hash.chars().take(12).collect();
    let sessions = sessions
        .into_iter()
        .map(|s: SessionInfo| SessionRow {
            current: s.handle == current,
            created: local_time(&state, s.created_at),
            last_seen: local_time(&state, s.last_seen_at),
            handle: s.handle,
            address: s.address,
            user_agent: s.user_agent,
        })
        .collect();
    page(&AccountPage {
        username: pc.caller.session.user.username.clone(),
        c: pc.chrome,
        sessions,
    })
}

pub async fn end_session(
    State(state): State<AppState>,
    Path(handle): Path<String>,
    PageForm { pc, .. }: PageForm<NoFields>,
) -> Response {
    match accounts::end_session_by_handle(&state.db, pc.caller.session.user.id, &handle).await {
        Ok(_) => {
            state.sessions.forget_user(pc.caller.session.user.id);
            Redirect::to("/account").into_response()
        }
        Err(e) => PageError::new(pc.t(), e.into()).into_response(),
    }
}

/// Formats unix seconds in the configured time zone, for the pages.
pub fn local_time(state: &AppState, secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| {
            t.with_timezone(&state.settings.time_zone)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}
