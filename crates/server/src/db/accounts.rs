//! Staff accounts, sessions, sign-in throttling, jurisdictions (staff_units) and teams.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use shouhu_domain::Role;

use super::scope::UNITS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, flag, now};

/// Sessions end after 30 minutes without use and 12 hours after sign-in (SECURITY.md A).
pub const IDLE_TIMEOUT_SECS: i64 = 30 * 60;
pub const ABSOLUTE_TIMEOUT_SECS: i64 = 12 * 60 * 60;
/// `last_seen_at` is written at most this often, so reads do not each cost a write.
const TOUCH_EVERY_SECS: i64 = 60;
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Passwords people pick first; refused whatever their length.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "qwertyuiopas",
    "password1234",
    "passwordpassword",
    "111111111111",
    "000000000000",
    "abc123456789",
    "iloveyou1234",
    "woaini131452",
    "a1234567890b",
    "qwerty123456",
    "admin1234567",
    "administrator",
    "shouhu123456",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "p@ssw0rd1234",
    "welcome12345",
    "88888888888888",
];

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub must_change_password: i64,
    pub disabled: i64,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub must_change_password: bool,
    pub disabled: bool,
}

impl UserRow {
    fn into_user(self) -> Option<User> {
        Some(User {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role: Role::parse(&self.role)?,
            must_change_password: flag(self.must_change_password),
            disabled: flag(self.disabled),
        })
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("a password has at least 12 characters")]
    TooShort,
    #[error("this password is too common")]
    Common,
    #[error("the password must not be the user name")]
    SameAsUsername,
}

impl PasswordError {
    pub fn code(&self) -> &'static str {
        match self {
            PasswordError::TooShort => "password_too_short",
            PasswordError::Common => "password_too_common",
            PasswordError::SameAsUsername => "password_is_username",
        }
    }
}

/// The password policy. Composition rules and rotation are off by default, as ASVS advises.
pub fn check_password_policy(username: &str, password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) || lower.chars().all(|c| lower.starts_with(c)) {
        return Err(PasswordError::Common);
    }
    if lower == username.to_lowercase() {
        return Err(PasswordError::SameAsUsername);
    }
    Ok(())
}

/// argon2id with the crate's recommended parameters. Slow by design: call from a blocking task.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A password handed over once (new account, reset): 16 characters without look-alikes; the
/// account must change it at its next sign-in.
pub fn one_time_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// argon2 off the async threads: a hash takes tens of milliseconds by design.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn hash_password_blocking(password: &str) -> anyhow::Result<String> {
    let pw = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&pw)).await?
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify_password_blocking(hash: &str, password: &str) -> anyhow::Result<bool> {
    let (hash, pw) = (hash.to_string(), password.to_string());
    Ok(tokio::task::spawn_blocking(move || verify_password(&hash, &pw)).await?)
}

/// A user name: 1 to 64 ASCII letters, digits, `-`, `_` or `.` (typed on any phone keyboard).
pub fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A hash of a password nobody knows, verified against when the account does not exist, so that
/// sign-in takes as long for a wrong name as for a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

const USER_COLUMNS: &str =
    "id, username, display_name, role, password_hash, must_change_password, disabled";

#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_username(db: &Db, username: &str) -> StoreResult<Option<(User, String)>> {
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
    )))
    .bind(username)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.and_then(|r| {
        let hash = r.password_hash.clone();
        r.into_user().map(|u| (u, hash))
    }))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_id(db: &Db, id: i64) -> StoreResult<Option<(User, String)>> {
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.and_then(|r| {
        let hash = r.password_hash.clone();
        r.into_user().map(|u| (u, hash))
    }))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_user(
    tx: &mut Tx,
    username: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
    must_change_password: bool,
) -> StoreResult<i64> {
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(username)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::Invalid {
            field: "username",
            code: "taken",
        });
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO users (username, display_name, role, password_hash, must_change_password, \
         disabled, created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(role.as_str())
    .bind(password_hash)
    .bind(i64::from(must_change_password))
    .bind(now())
    .fetch_one(&mut **tx)
    .await?)
}

/// Ends every session of `user_id` but the one whose token hashes to `keep` (after a password
/// change, the others may be someone who knew the old one).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_other_sessions(tx: &mut Tx, user_id: i64, keep: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(user_id)
        .bind(keep)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_password(
    tx: &mut Tx,
    user_id: i64,
    password_hash: &str,
    must_change: bool,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, must_change_password = $2, password_changed_at = $3 \
         WHERE id = $4",
    )
    .bind(password_hash)
    .bind(i64::from(must_change))
    .bind(now())
    .bind(user_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Disabling an account also ends all its sessions.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_disabled(tx: &mut Tx, user_id: i64, disabled: bool) -> StoreResult<()> {
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    if disabled {
        end_all_sessions(tx, user_id).await?;
    }
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_all_sessions(tx: &mut Tx, user_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn assign_unit(tx: &mut Tx, user_id: i64, unit_id: i64) -> StoreResult<()> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM staff_units WHERE user_id = $1 AND unit_id = $2")
            .bind(user_id)
            .bind(unit_id)
            .fetch_one(&mut **tx)
            .await?;
    if n == 0 {
        sqlx::query("INSERT INTO staff_units (user_id, unit_id) VALUES ($1, $2)")
            .bind(user_id)
            .bind(unit_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Every account with the codes of the units it serves, for the administrators.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_users(db: &Db) -> StoreResult<Vec<StaffMember>> {
    let rows: Vec<(i64, String, String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role, u.disabled, o.code FROM users u \
         LEFT JOIN staff_units su ON su.user_id = u.id LEFT JOIN org_units o ON o.id = su.unit_id \
         ORDER BY u.username, o.code",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<StaffMember> = Vec::new();
    for (id, username, display_name, role, disabled, code) in rows {
        if out.last().map(|u| u.id) != Some(id) {
            out.push(StaffMember {
                id,
                username,
                display_name,
                role,
                disabled,
                units: String::new(),
            });
        }
        if let (Some(code), Some(last)) = (code, out.last_mut()) {
            if !last.units.is_empty() {
                last.units.push(',');
            }
            last.units.push_str(&code);
        }
    }
    Ok(out)
}

/// Replaces an account's role and units; its sessions end so the new access applies at once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_access(
    tx: &mut Tx,
    user_id: i64,
    role: Role,
    unit_ids: &[i64],
) -> StoreResult<()> {
    sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM staff_units WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    for u in unit_ids {
        assign_unit(tx, user_id, *u).await?;
    }
    end_all_sessions(tx, user_id).await
}

// ---- sessions ----

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A live session and its account.
#[derive(Clone, Debug)]
pub struct Session {
    pub token_hash: String,
    pub user: User,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub reauth_at: Option<i64>,
}

impl Session {
    pub fn scope(&self) -> Scope {
        Scope {
            user_id: self.user.id,
            role: self.user.role,
            grids: None,
        }
    }
}

/// Starts a session and returns its secret token (only ever shown to the client).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_session(
    tx: &mut Tx,
    user_id: i64,
    address: &str,
    user_agent: &str,
) -> StoreResult<String> {
    let token = random_token();
    let t = now();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, reauth_at, \
         address, user_agent) VALUES ($1, $2, $3, $4, $4, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(user_id)
    .bind(random_token())
    .bind(t)
    .bind(address)
    .bind(user_agent.chars().take(200).collect::<String>())
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    token_hash: String,
    csrf_token: String,
    created_at: i64,
    last_seen_at: i64,
    reauth_at: Option<i64>,
    id: i64,
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    must_change_password: i64,
    disabled: i64,
}

/// The live session for a token, or None when unknown, expired or its account disabled.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lookup_session(db: &Db, token: &str) -> StoreResult<Option<Session>> {
    let hash = token_hash(token);
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT s.token_hash, s.csrf_token, s.created_at, s.last_seen_at, s.reauth_at, u.id, \
         u.username, u.display_name, u.role, u.password_hash, u.must_change_password, u.disabled \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
    )
    .bind(&hash)
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let t = now();
    let expired =
        t - r.last_seen_at > IDLE_TIMEOUT_SECS || t - r.created_at > ABSOLUTE_TIMEOUT_SECS;
    if expired || flag(r.disabled) {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&hash)
            .execute(&db.pool)
            .await?;
        return Ok(None);
    }
    if t - r.last_seen_at > TOUCH_EVERY_SECS {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(t)
            .bind(&hash)
            .execute(&db.pool)
            .await?;
    }
    let user = UserRow {
        id: r.id,
        username: r.username,
        display_name: r.display_name,
        role: r.role,
        password_hash: r.password_hash,
        must_change_password: r.must_change_password,
        disabled: r.disabled,
    }
    .into_user();
    Ok(user.map(|user| Session {
        token_hash: r.token_hash,
        user,
        csrf_token: r.csrf_token,
        created_at: r.created_at,
        last_seen_at: r.last_seen_at,
        reauth_at: r.reauth_at,
    }))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_session(db: &Db, token_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_reauth(db: &Db, token_hash: &str) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET reauth_at = $1 WHERE token_hash = $2")
        .bind(now())
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SessionInfo {
    /// A short, non-secret handle: the first 12 characters of the token's hash.
    pub handle: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub address: String,
    pub user_agent: String,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn list_sessions(db: &Db, user_id: i64) -> StoreResult<Vec<SessionInfo>> {
    Ok(sqlx::query_as(
        "SELECT substr(token_hash, 1, 12) AS handle, created_at, last_seen_at, address, user_agent \
         FROM sessions WHERE user_id = $1 ORDER BY created_at DESC",
    )
    .bind(user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// Ends one of the user's own sessions by its handle.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_session_by_handle(db: &Db, user_id: i64, handle: &str) -> StoreResult<bool> {
    if handle.len() != 12 || !handle.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(false);
    }
    let done =
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND substr(token_hash, 1, 12) = $2")
            .bind(user_id)
            .bind(handle)
            .execute(&db.pool)
            .await?;
    Ok(done.rows_affected() > 0)
}

// ---- sign-in throttling ----

/// Failures counted over this window; an account is locked after 5, an address after 20.
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;

#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_failure(db: &Db, username: &str, address: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(address)
        .bind(now())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// True when sign-in for this name or from this address must wait.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn is_throttled(db: &Db, username: &str, address: &str) -> StoreResult<bool> {
    let since = now() - THROTTLE_WINDOW_SECS;
    let by_account: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM login_failures WHERE username = $1 AND at > $2")
            .bind(username)
            .bind(since)
            .fetch_one(&db.pool)
            .await?;
    let by_address: i64 =
        // Misses of household links are counted under `#…` names: they do not lock staff out.
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM login_failures WHERE address = $1 AND at > $2 \
             AND username NOT LIKE '#%'",
        )
            .bind(address)
            .bind(since)
            .fetch_one(&db.pool)
            .await?;
    Ok(by_account >= MAX_FAILURES_PER_ACCOUNT || by_address >= MAX_FAILURES_PER_ADDRESS)
}

/// Failures under `name` from `address` since `since` (the misses of household links, for one).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn failures_from(db: &Db, name: &str, address: &str, since: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM login_failures WHERE username = $1 AND address = $2 AND at > $3",
    )
    .bind(name)
    .bind(address)
    .bind(since)
    .fetch_one(&db.pool)
    .await?)
}

/// A successful sign-in clears the account's failures.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn clear_failures(db: &Db, username: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_failures WHERE username = $1")
        .bind(username)
        .execute(&db.pool)
        .await?;
    Ok(())
}

// ---- staff and teams ----

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StaffMember {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub disabled: i64,
    /// Codes of the units the person serves, comma-separated.
    pub units: String,
}

/// Staff serving any unit within the caller's jurisdiction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn staff_in_scope(db: &Db, scope: &Scope) -> StoreResult<Vec<StaffMember>> {
    let rows: Vec<(i64, String, String, String, i64, String)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT u.id, u.username, u.display_name, u.role, u.disabled, o.code FROM users u \
         JOIN staff_units su ON su.user_id = u.id JOIN org_units o ON o.id = su.unit_id \
         WHERE su.unit_id IN ({UNITS_OF_USER}) ORDER BY u.username, o.code"
        )))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?;
    let mut out: Vec<StaffMember> = Vec::new();
    for (id, username, display_name, role, disabled, code) in rows {
        match out.last_mut() {
            Some(last) if last.id == id => {
                last.units.push(',');
                last.units.push_str(&code);
            }
            _ => out.push(StaffMember {
                id,
                username,
                display_name,
                role,
                disabled,
                units: code,
            }),
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Team {
    pub id: i64,
    pub community_code: String,
    pub community_name: String,
    pub kind: String,
    pub name: String,
    pub members: Vec<String>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_team(
    tx: &mut Tx,
    community_id: i64,
    kind: &str,
    name: &str,
) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO teams (community_id, kind, name) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(community_id)
    .bind(kind)
    .bind(name)
    .fetch_one(&mut **tx)
    .await?)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_team_member(tx: &mut Tx, team_id: i64, user_id: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)")
        .bind(team_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Teams of the communities within the caller's jurisdiction, with their members' display names.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn teams_in_scope(db: &Db, scope: &Scope) -> StoreResult<Vec<Team>> {
    let rows: Vec<(i64, String, String, String, String, Option<String>)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT t.id, o.code, o.name, t.kind, t.name, u.display_name FROM teams t \
         JOIN org_units o ON o.id = t.community_id \
         LEFT JOIN team_members tm ON tm.team_id = t.id LEFT JOIN users u ON u.id = tm.user_id \
         WHERE t.community_id IN ({UNITS_OF_USER}) ORDER BY o.code, t.id, u.display_name"
        )))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?;
    let mut out: Vec<Team> = Vec::new();
    for (id, community_code, community_name, kind, name, member) in rows {
        if out.last().map(|t| t.id) != Some(id) {
            out.push(Team {
                id,
                community_code,
                community_name,
                kind,
                name,
                members: Vec::new(),
            });
        }
        if let (Some(m), Some(last)) = (member, out.last_mut()) {
            last.members.push(m);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_username_passwords_are_refused() {
        assert_eq!(
            check_password_policy("li", "short"),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_password_policy("li", "password1234"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_password_policy("li", "aaaaaaaaaaaaaa"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_password_policy("nanquan-leader", "Nanquan-Leader"),
            Err(PasswordError::SameAsUsername)
        );
        assert!(check_password_policy("li", "绿洲 油城 守护 2020").is_ok());
    }

    #[test]
    fn hashes_verify_only_their_password() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "wrong horse battery"));
        assert!(!verify_password("not a hash", "x"));
    }
}
