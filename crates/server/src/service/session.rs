//! Signing in and out, changing one's password, and one's own sessions. The views and operations
//! shared by the API (`web::api::session`, which adds the handlers) and the pages.

use crate::db::accounts::{self, SessionInfo};
use crate::db::audit::{self, NewEntry};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub must_change_password: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    /// Bearer token for `Authorization: Bearer …`. Shown once; only its hash is stored.
    pub token: String,
    pub user: Me,
}

pub(crate) fn me(caller_user: &accounts::User, must_change: bool) -> Me {
    Me {
        id: caller_user.id,
        username: caller_user.username.clone(),
        display_name: caller_user.display_name.clone(),
        role: caller_user.role.as_str().to_string(),
        must_change_password: must_change,
    }
}

/// Outcome of checking a name and password, shared by the API and the sign-in page.
pub enum SignInOutcome {
    Ok {
        token: String,
        user: accounts::User,
        must_change: bool,
    },
    Refused,
    Throttled,
}

/// Checks credentials with throttling and audit, and opens a session on success.
pub async fn sign_in(
    state: &AppState,
    username: &str,
    password: &str,
    address: &str,
    user_agent: &str,
) -> ApiResult<SignInOutcome> {
    // A name no account can have (control characters, e.g. a NUL that PostgreSQL would refuse)
    // is refused like a wrong password, and counted the same.
    let bad_name = username.chars().any(char::is_control);
    let username: String = username
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(64)
        .collect();
    let entry = |action: &'static str, result: &'static str, actor_id: Option<i64>| NewEntry {
        actor_id,
        actor: username.clone(),
        action,
        object_kind: "user",
        object_id: actor_id.map(|i| i.to_string()).unwrap_or_default(),
        result,
        address: address.to_string(),
        detail: String::new(),
    };
    if accounts::is_throttled(&state.db, &username, address).await? {
        audit::record(&state.db, &entry("session.sign_in", "throttled", None)).await?;
        return Ok(SignInOutcome::Throttled);
    }
    let found = if bad_name {
        None
    } else {
        accounts::find_by_username(&state.db, &username).await?
    };
    let hash = found
        .as_ref()
        .map(|(_, h)| h.clone())
        .unwrap_or_else(|| accounts::dummy_hash().to_string());
    let verified = accounts::verify_password_blocking(&hash, password).await?;
    let user = match found {
        Some((user, _)) if verified && !user.disabled => user,
        other => {
            accounts::record_failure(&state.db, &username, address).await?;
            let id = other.map(|(u, _)| u.id);
            audit::record(&state.db, &entry("session.sign_in", "refused", id)).await?;
            return Ok(SignInOutcome::Refused);
        }
    };
    accounts::clear_failures(&state.db, &username).await?;
    let mut tx = state.db.begin_write().await?;
    let token = accounts::create_session(&mut tx, user.id, address, user_agent).await?;
    audit::append(
        &mut tx,
        state.db.backend,
        &entry("session.sign_in", "ok", Some(user.id)),
    )
    .await?;
    tx.commit().await?;
    let must_change = user.must_change_password
        && !(state.settings.demo_mode && crate::demo::is_demo_account(&user.username));
    Ok(SignInOutcome::Ok {
        token,
        user,
        must_change,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Checks the current password, applies the policy and stores the new one; other sessions end.
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    current: &str,
    new: &str,
) -> ApiResult<()> {
    let user = &caller.session.user;
    let (_, hash) = accounts::find_by_id(&state.db, user.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let ok = accounts::verify_password_blocking(&hash, current).await?;
    if !ok {
        caller
            .audit_refusal(
                state,
                "user.password_change",
                &user.id.to_string(),
                "refused",
            )
            .await;
        return Err(AppError::invalid(
            "current_password",
            "invalid_credentials",
            "the current password is wrong",
        ));
    }
    accounts::check_password_policy(&user.username, new)
        .map_err(|e| AppError::invalid("new_password", e.code(), e.to_string()))?;
    let new_hash = accounts::hash_password_blocking(new).await?;
    let mut tx = state.db.begin_write().await?;
    accounts::set_password(&mut tx, user.id, &new_hash, false).await?;
    accounts::end_other_sessions(&mut tx, user.id, &caller.session.token_hash).await?;
    audit::append(
        &mut tx,
        state.db.backend,
        &caller
            .actor()
            .entry("user.password_change", "user", user.id, String::new()),
    )
    .await?;
    tx.commit().await.map_err(crate::db::StoreError::from)?;
    state.sessions.forget_user(user.id);
    Ok(())
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    pub items: Vec<SessionInfo>,
}
