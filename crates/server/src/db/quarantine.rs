//! Quarantine episodes (居家隔离, 集中医学观察, hospital): their states, each change recorded with
//! who and when, and the daily follow-up of everyone active.

use shouhu_domain::{QuarantineKind, QuarantineStatus, Temperature};

use super::audit;
use super::registry::Actor;
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, now};

#[derive(Clone, Debug)]
pub struct NewQuarantine {
    pub resident_id: i64,
    pub kind: QuarantineKind,
    pub reason: String,
    pub start_date: String,
    pub planned_end_date: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Quarantine {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub household_id: i64,
    pub address: String,
    pub grid_id: i64,
    pub grid_code: String,
    pub kind: String,
    pub reason: String,
    pub start_date: String,
    pub planned_end_date: String,
    pub status: String,
    pub site_id: Option<i64>,
    pub version: i64,
    /// The day of the latest follow-up, if any.
    pub last_follow_up: Option<String>,
}

/// An episode with the number of rows its query found before the page was cut.
#[derive(sqlx::FromRow)]
struct Counted {
    #[sqlx(flatten)]
    quarantine: Quarantine,
    total_due: i64,
}

const SELECT: &str = "SELECT q.id, q.resident_id, r.name AS resident_name, q.household_id, h.address, \
     q.grid_id, g.code AS grid_code, q.kind, q.reason, q.start_date, q.planned_end_date, q.status, \
     q.site_id, q.version, (SELECT MAX(f.day) FROM follow_ups f WHERE f.quarantine_id = q.id) AS last_follow_up \
     FROM quarantines q JOIN residents r ON r.id = q.resident_id JOIN households h ON h.id = q.household_id \
     JOIN org_units g ON g.id = q.grid_id";

/// Starts an episode: active when it starts today or earlier, planned when later. A resident has
/// at most one open episode.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    q: &NewQuarantine,
    today: &str,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let id = create_in(&mut tx, scope, q, today).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(
            "quarantine.create",
            "quarantine",
            id,
            q.kind.as_str().to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// `create` inside a caller's transaction (a confirmed risk flag starts one with its own change).
pub(crate) async fn create_in(
    tx: &mut Tx,
    scope: &Scope,
    q: &NewQuarantine,
    today: &str,
) -> StoreResult<i64> {
    let sql = format!(
        "SELECT grid_id, household_id FROM residents WHERE id = $2 AND deleted_at IS NULL \
         AND grid_id IN ({GRIDS_OF_USER})"
    );
    let (grid_id, household_id): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(q.resident_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM quarantines WHERE resident_id = $1 AND status IN ('planned','active')",
    )
    .bind(q.resident_id)
    .fetch_one(&mut **tx)
    .await?;
    if open > 0 {
        return Err(StoreError::Invalid {
            field: "resident_id",
            code: "already_in_quarantine",
        });
    }
    let status = if q.start_date.as_str() <= today {
        QuarantineStatus::Active
    } else {
        QuarantineStatus::Planned
    };
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO quarantines (resident_id, grid_id, household_id, kind, reason, start_date, \
         planned_end_date, status, created_by, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING id",
    )
    .bind(q.resident_id)
    .bind(grid_id)
    .bind(household_id)
    .bind(q.kind.as_str())
    .bind(&q.reason)
    .bind(&q.start_date)
    .bind(&q.planned_end_date)
    .bind(status.as_str())
    .bind(scope.user_id)
    .bind(t)
    .fetch_one(&mut **tx)
    .await?;
    event(tx, id, None, status, scope.user_id, &q.reason).await?;
    if status == QuarantineStatus::Active {
        super::state_changes::add_episode(tx, grid_id, q.kind.as_str(), 1).await?;
        super::report_stats::add(
            tx,
            grid_id,
            &super::report_stats::local_today(),
            "quarantine_new",
            1,
        )
        .await?;
    }
    Ok(id)
}

async fn event(
    tx: &mut Tx,
    id: i64,
    from: Option<QuarantineStatus>,
    to: QuarantineStatus,
    by: i64,
    note: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO quarantine_events (quarantine_id, from_status, to_status, at, by_user, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(from.map(|s| s.as_str()))
    .bind(to.as_str())
    .bind(now())
    .bind(by)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &Db, scope: &Scope, id: i64) -> StoreResult<Quarantine> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE q.id = $2 AND q.grid_id IN ({GRIDS_OF_USER})"
    )))
    .bind(scope.user_id)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Episodes of `grids`, newest first, optionally of one status.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &Db,
    grids: &[i64],
    status: Option<QuarantineStatus>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Quarantine>, i64)> {
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let list = super::id_list(grids);
    let filter = format!("q.grid_id IN ({list}) AND ($1 = '' OR q.status = $1)");
    let s = status.map(|s| s.as_str()).unwrap_or("");
    let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE {filter} ORDER BY q.id DESC {}",
        super::limit_offset(limit, offset)
    )))
    .bind(s)
    .fetch_all(&db.pool)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM quarantines q WHERE {filter}"
    )))
    .bind(s)
    .fetch_one(&db.pool)
    .await?;
    Ok((items, total))
}

/// Moves an episode to `to` if the state machine allows it and the version still holds.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transition(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    to: QuarantineStatus,
    note: &str,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    transition_in(&mut tx, scope, id, Some(version), to, note).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(
            "quarantine.transition",
            "quarantine",
            id,
            to.as_str().to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn transition_in(
    tx: &mut Tx,
    scope: &Scope,
    id: i64,
    version: Option<i64>,
    to: QuarantineStatus,
    note: &str,
) -> StoreResult<()> {
    let sql = format!(
        "SELECT status, version, grid_id, kind FROM quarantines WHERE id = $2 AND grid_id IN ({GRIDS_OF_USER})"
    );
    let (status, current, grid_id, kind): (String, i64, i64, String) =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(scope.user_id)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    if version.is_some_and(|v| v != current) {
        return Err(StoreError::Conflict);
    }
    let from = QuarantineStatus::parse(&status).ok_or(StoreError::Invalid {
        field: "status",
        code: "unknown_status",
    })?;
    if !from.can_become(to) {
        return Err(StoreError::Invalid {
            field: "status",
            code: "transition_not_allowed",
        });
    }
    let done = sqlx::query(
        "UPDATE quarantines SET status = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4",
    )
    .bind(to.as_str())
    .bind(now())
    .bind(id)
    .bind(current)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    // The report counts an episode as new the day it becomes active, and its end the day it ends.
    let key = match to {
        QuarantineStatus::Active => Some("quarantine_new"),
        QuarantineStatus::Released => Some("quarantine_released"),
        QuarantineStatus::Transferred => Some("quarantine_transferred"),
        QuarantineStatus::Planned => None,
    };
    if let Some(key) = key {
        super::report_stats::add(tx, grid_id, &super::report_stats::local_today(), key, 1).await?;
    }
    let active = QuarantineStatus::Active;
    let change = i64::from(to == active) - i64::from(from == active);
    super::state_changes::add_episode(tx, grid_id, &kind, change).await?;
    event(tx, id, Some(from), to, scope.user_id, note).await
}

#[derive(Clone, Debug)]
pub struct NewFollowUp {
    pub temperature: Temperature,
    pub symptoms: Vec<String>,
    pub needs: String,
    pub note: String,
    pub breach: bool,
}

/// Records the day's follow-up of an active episode; a second one the same day is a conflict.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn follow_up(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    day: &str,
    f: &NewFollowUp,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "SELECT status, grid_id, resident_id FROM quarantines WHERE id = $2 AND grid_id IN ({GRIDS_OF_USER})"
    );
    let (status, grid_id, resident_id): (String, i64, i64) =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(scope.user_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    if status != QuarantineStatus::Active.as_str() {
        return Err(StoreError::Invalid {
            field: "status",
            code: "quarantine_not_active",
        });
    }
    let done: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM follow_ups WHERE quarantine_id = $1 AND day = $2")
            .bind(id)
            .bind(day)
            .fetch_one(&mut *tx)
            .await?;
    if done > 0 {
        return Err(StoreError::Conflict);
    }
    let t = now();
    let fid: i64 = sqlx::query_scalar(
        "INSERT INTO follow_ups (quarantine_id, grid_id, day, temperature_tenths, symptoms, needs, \
         note, breach, recorded_by, recorded_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
    )
    .bind(id)
    .bind(grid_id)
    .bind(day)
    .bind(f.temperature.tenths())
    .bind(f.symptoms.join(","))
    .bind(&f.needs)
    .bind(&f.note)
    .bind(i64::from(f.breach))
    .bind(scope.user_id)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    if f.temperature.is_fever() || !f.symptoms.is_empty() {
        let reason = if f.temperature.is_fever() {
            "fever"
        } else {
            "symptoms"
        };
        super::health::open_alert_once(&mut tx, resident_id, None, reason, t).await?;
    }
    // The day and whether the rules were broken; the readings stay in the follow-up itself.
    let detail = format!("{day}{}", if f.breach { " breach" } else { "" });
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("quarantine.follow_up", "quarantine", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(fid)
}

/// Active episodes of `grids` whose follow-up for `today` is not recorded yet; `overdue` marks
/// those whose follow-up of the day before is missing too (flagged the next day).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn due(
    db: &Db,
    grids: &[i64],
    today: &str,
    yesterday: &str,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<(Quarantine, bool)>, i64)> {
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let list = super::id_list(grids);
    // One probe of the (episode, day) index per active episode.
    let probe = super::probe_each(db.backend);
    let filter = format!(
        "q.grid_id IN ({list}) AND q.status = 'active' AND NOT EXISTS (SELECT 1 FROM follow_ups f \
         WHERE f.quarantine_id = q.id AND f.day = $1{probe})"
    );
    // The page's ids first, counted in the same pass (the window is taken before the limit), and
    // only then the names and addresses: joining every active episode of a street to residents
    // and households before sorting cost a lookup per episode where a page needs twenty.
    let columns = SELECT.trim_start_matches("SELECT ");
    let rows: Vec<Counted> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "WITH page AS (SELECT q.id, COUNT(*) OVER () AS total_due FROM quarantines q WHERE {filter} \
         ORDER BY q.grid_id, q.id {}) \
         SELECT p.total_due, {columns} JOIN page p ON p.id = q.id ORDER BY q.grid_id, q.id",
        super::limit_offset(limit, offset)
    )))
    .bind(today)
    .fetch_all(&db.pool)
    .await?;
    let total = match rows.first() {
        Some(r) => r.total_due,
        None if offset == 0 => 0,
        // Past the end: the window saw no row, so count apart.
        None => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM quarantines q WHERE {filter}"
            )))
            .bind(today)
            .fetch_one(&db.pool)
            .await?
        }
    };
    let items = rows.into_iter().map(|r| r.quarantine);
    let out = items
        .map(|q| {
            let overdue = q.start_date.as_str() <= yesterday
                && q.last_follow_up.as_deref().is_none_or(|d| d < yesterday);
            (q, overdue)
        })
        .collect();
    Ok((out, total))
}

/// How many episodes of `grids` are active now, by kind (home, centralized, hospital).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn active_by_kind(db: &Db, grids: &[i64]) -> StoreResult<Vec<(String, i64)>> {
    if grids.is_empty() {
        return Ok(Vec::new());
    }
    let list = super::id_list(grids);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT kind, COUNT(*) FROM quarantines WHERE grid_id IN ({list}) AND status = 'active' \
         GROUP BY kind ORDER BY kind"
    )))
    .fetch_all(&db.pool)
    .await?)
}

/// Whether a household of the jurisdiction has a member under active home isolation (the gate
/// refuses its exits).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn household_isolated(db: &Db, scope: &Scope, household_id: i64) -> StoreResult<bool> {
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM quarantines q WHERE q.household_id = h.id AND q.kind = 'home' \
         AND q.status = 'active') FROM households h WHERE h.id = $2 AND h.deleted_at IS NULL \
         AND h.grid_id IN ({GRIDS_OF_USER})"
    );
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(household_id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(n > 0)
}
