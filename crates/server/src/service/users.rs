//! Accounts, under separated duties (三权分立). The system administrator creates, disables and resets
//! accounts; the security administrator grants roles and jurisdictions. Neither touches the three
//! system accounts, which only the command line manages, nor reads residents. The views and
//! operations shared by the API (`web::api::users`, which adds the handlers) and the pages.

use crate::db::accounts::{self, StaffMember, User};
use crate::db::audit;
use crate::db::units;
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::validate;
use serde::{Deserialize, Serialize};
use shouhu_domain::{Right, Role};

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub items: Vec<StaffMember>,
}

pub(crate) async fn require_admin(state: &AppState, caller: &Caller) -> ApiResult<()> {
    let role = caller.session.user.role;
    if role.has(Right::ManageAccounts) || role.has(Right::ManageRoles) {
        return Ok(());
    }
    caller
        .audit_refusal(state, "user.list", "", "forbidden")
        .await;
    Err(AppError::Forbidden)
}

pub(crate) fn staff_role(raw: &str) -> ApiResult<Role> {
    match Role::parse(raw.trim()) {
        Some(r) if !r.is_system() => Ok(r),
        Some(_) => Err(AppError::invalid(
            "role",
            "system_role",
            "system roles are set from the command line only",
        )),
        None => Err(AppError::invalid("role", "unknown_role", "unknown role")),
    }
}

pub(crate) async fn unit_ids(
    state: &AppState,
    codes: &[String],
    role: Role,
) -> ApiResult<Vec<i64>> {
    if codes.is_empty() || codes.len() > 50 {
        return Err(AppError::invalid(
            "unit_codes",
            "required",
            format!("a {} serves 1 to 50 units", role.as_str()),
        ));
    }
    let mut ids = Vec::with_capacity(codes.len());
    for code in codes {
        validate::plain("unit_codes", code)?;
        let u = units::find_unscoped(&state.db, code.trim())
            .await?
            .ok_or_else(|| {
                AppError::invalid("unit_codes", "unknown_unit", format!("no unit {code}"))
            })?;
        ids.push(u.id);
    }
    Ok(ids)
}

/// The target account, refused when it is a system account or the caller's own.
pub(crate) async fn target(state: &AppState, caller: &Caller, raw_id: &str) -> ApiResult<User> {
    let id = validate::path_id(raw_id)?;
    let (user, _) = accounts::find_by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if user.role.is_system() || user.id == caller.session.user.id {
        caller
            .audit_refusal(state, "user.change", &id.to_string(), "forbidden")
            .await;
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_codes: Vec<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OneTimePassword {
    pub id: i64,
    pub username: String,
    /// Hand it over in person; it must be changed at the first sign-in.
    pub one_time_password: String,
}

/// Creates a staff account; shared by the API and the accounts page.
pub async fn create_user(
    state: &AppState,
    caller: &Caller,
    b: &NewUser,
) -> ApiResult<OneTimePassword> {
    let state = state.clone();
    caller
        .require(&state, Right::ManageAccounts, "user.create")
        .await?;
    // Every field is checked, so that the form can mark all those at fault at once.
    let mut faults = Faults::default();
    let username = b.username.trim().to_string();
    if !accounts::valid_username(&username) {
        faults.add(
            "username",
            "invalid_username",
            "1 to 64 letters, digits, '-', '_' or '.'",
        );
    }
    let display_name = faults.take(validate::text("display_name", &b.display_name, 50, true))?;
    let role = faults.take(staff_role(&b.role))?;
    let units = match role {
        Some(r) => faults.take(unit_ids(&state, &b.unit_codes, r).await)?,
        None => None,
    };
    faults.into_result()?;
    let (Some(display_name), Some(role), Some(units)) = (display_name, role, units) else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    let password = accounts::one_time_password();
    let hash = accounts::hash_password_blocking(&password).await?;
    let mut tx = state.db.begin_write().await?;
    let id = accounts::create_user(&mut tx, &username, &display_name, role, &hash, true).await?;
    for u in units {
        accounts::assign_unit(&mut tx, id, u).await?;
    }
    let detail = format!("role={}", role.as_str());
    audit::append(
        &mut tx,
        state.db.backend,
        &caller.actor().entry("user.create", "user", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(OneTimePassword {
        id,
        username,
        one_time_password: password,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Access {
    pub role: String,
    pub unit_codes: Vec<String>,
}

/// Grants a role and units; shared by the API and the accounts page.
pub async fn grant_access(
    state: &AppState,
    caller: &Caller,
    id: &str,
    b: &Access,
) -> ApiResult<StaffMember> {
    let state = state.clone();
    caller
        .require(&state, Right::ManageRoles, "user.access")
        .await?;
    let user = target(&state, caller, id).await?;
    let role = staff_role(&b.role)?;
    let units = unit_ids(&state, &b.unit_codes, role).await?;
    let mut tx = state.db.begin_write().await?;
    accounts::set_access(&mut tx, user.id, role, &units).await?;
    let detail = format!("role={} units={}", role.as_str(), b.unit_codes.join(","));
    audit::append(
        &mut tx,
        state.db.backend,
        &caller.actor().entry("user.access", "user", user.id, detail),
    )
    .await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    let all = accounts::list_users(&state.db).await?;
    all.into_iter()
        .find(|u| u.id == user.id)
        .ok_or(AppError::NotFound)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Disabled {
    pub disabled: bool,
}

/// Disables or enables an account; shared by the API and the accounts page.
pub async fn disable(state: &AppState, caller: &Caller, id: &str, disabled: bool) -> ApiResult<()> {
    caller
        .require(state, Right::ManageAccounts, "user.disable")
        .await?;
    let user = target(state, caller, id).await?;
    let mut tx = state.db.begin_write().await?;
    accounts::set_disabled(&mut tx, user.id, disabled).await?;
    let action = if disabled {
        "user.disable"
    } else {
        "user.enable"
    };
    let entry = caller.actor().entry(action, "user", user.id, String::new());
    audit::append(&mut tx, state.db.backend, &entry).await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(())
}

/// Resets an account's password; shared by the API and the accounts page.
pub async fn reset(state: &AppState, caller: &Caller, id: &str) -> ApiResult<OneTimePassword> {
    caller
        .require(state, Right::ManageAccounts, "user.password_reset")
        .await?;
    let user = target(state, caller, id).await?;
    let password = accounts::one_time_password();
    let hash = accounts::hash_password_blocking(&password).await?;
    let mut tx = state.db.begin_write().await?;
    accounts::set_password(&mut tx, user.id, &hash, true).await?;
    accounts::end_all_sessions(&mut tx, user.id).await?;
    let entry = caller
        .actor()
        .entry("user.password_reset", "user", user.id, String::new());
    audit::append(&mut tx, state.db.backend, &entry).await?;
    tx.commit().await?;
    state.sessions.forget_user(user.id);
    Ok(OneTimePassword {
        id: user.id,
        username: user.username,
        one_time_password: password,
    })
}
