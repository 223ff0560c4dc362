//! Health checks (测温, symptoms) and the alerts they open for the community's medical group.
//!
//! A check is its own record of who took it and when, so it is not copied into the audit log (a city
//! records a million a day); closing an alert is audited.

use shouhu_domain::Temperature;

use super::audit;
use super::registry::Actor;
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, now};

/// A check as asked for, already validated.
#[derive(Clone, Debug)]
pub struct NewCheck {
    pub resident_id: i64,
    pub temperature: Temperature,
    pub symptoms: Vec<String>,
    pub source: String,
    pub idempotency_key: String,
    /// A digest of the request, to tell a retry from another request reusing its key.
    pub request_hash: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Check {
    pub id: i64,
    pub resident_id: i64,
    pub grid_id: i64,
    pub temperature_tenths: i64,
    pub symptoms: String,
    pub source: String,
    pub fever: i64,
    pub day: String,
    pub checked_at: i64,
    pub recorded_by: i64,
    /// The alert this check opened or joined, if any.
    pub alert_id: Option<i64>,
}

/// A recorded check, and whether this request recorded it or an earlier one with the same key did.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub check: Check,
    pub replay: bool,
}

const CHECK_SELECT: &str = "SELECT c.id, c.resident_id, c.grid_id, c.temperature_tenths, c.symptoms, \
     c.source, c.fever, c.day, c.checked_at, c.recorded_by, \
     (SELECT MIN(a.id) FROM alerts a WHERE a.health_check_id = c.id) AS alert_id \
     FROM health_checks c";

/// Records one check in its own transaction.
pub async fn record(db: &Db, scope: &Scope, day: &str, c: &NewCheck) -> StoreResult<Recorded> {
    let mut tx = db.begin_write().await?;
    let r = record_in(&mut tx, scope, day, c).await;
    match r {
        Ok(rec) => {
            tx.commit().await?;
            Ok(rec)
        }
        // Two retries at once on PostgreSQL: the second insert meets the key the first wrote.
        Err(StoreError::Database(e)) if is_unique_violation(&e) => {
            drop(tx);
            let mut tx = db.pool.begin().await?;
            replay(&mut tx, scope.user_id, c)
                .await?
                .ok_or(StoreError::Conflict)
        }
        Err(e) => Err(e),
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

async fn replay(tx: &mut Tx, user_id: i64, c: &NewCheck) -> StoreResult<Option<Recorded>> {
    let sql = format!("{CHECK_SELECT} WHERE c.recorded_by = $1 AND c.idempotency_key = $2");
    let found: Option<(Check, String)> = {
        let check: Option<Check> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(&c.idempotency_key)
            .fetch_optional(&mut **tx)
            .await?;
        match check {
            Some(ch) => {
                let hash: String =
                    sqlx::query_scalar("SELECT request_hash FROM health_checks WHERE id = $1")
                        .bind(ch.id)
                        .fetch_one(&mut **tx)
                        .await?;
                Some((ch, hash))
            }
            None => None,
        }
    };
    match found {
        None => Ok(None),
        Some((_, hash)) if hash != c.request_hash => Err(StoreError::Invalid {
            field: "idempotency_key",
            code: "idempotency_key_reused",
        }),
        Some((check, _)) => Ok(Some(Recorded {
            check,
            replay: true,
        })),
    }
}

/// Records a check inside `tx` (one of a batch, or alone).
pub async fn record_in(
    tx: &mut Tx,
    scope: &Scope,
    day: &str,
    c: &NewCheck,
) -> StoreResult<Recorded> {
    if let Some(r) = replay(tx, scope.user_id, c).await? {
        return Ok(r);
    }
    let sql = format!(
        "SELECT r.grid_id, r.household_id, g.parent_id FROM residents r JOIN org_units g ON g.id = r.grid_id \
         WHERE r.id = $2 AND r.deleted_at IS NULL AND r.grid_id IN ({GRIDS_OF_USER})"
    );
    let (grid_id, household_id, community_id): (i64, i64, Option<i64>) =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(scope.user_id)
            .bind(c.resident_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    let t = now();
    let fever = c.temperature.is_fever();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO health_checks (resident_id, grid_id, household_id, temperature_tenths, symptoms, \
         source, fever, day, checked_at, recorded_by, idempotency_key, request_hash) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
    )
    .bind(c.resident_id)
    .bind(grid_id)
    .bind(household_id)
    .bind(c.temperature.tenths())
    .bind(c.symptoms.join(","))
    .bind(&c.source)
    .bind(i64::from(fever))
    .bind(day)
    .bind(t)
    .bind(scope.user_id)
    .bind(&c.idempotency_key)
    .bind(&c.request_hash)
    .fetch_one(&mut **tx)
    .await?;
    let mut alert_id = None;
    if fever || !c.symptoms.is_empty() {
        // One open alert per person: a second fever reading joins the one already being followed.
        let open: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(id) FROM alerts WHERE resident_id = $1 AND status = 'open'",
        )
        .bind(c.resident_id)
        .fetch_one(&mut **tx)
        .await?;
        if open.is_none() {
            let reason = match (fever, c.symptoms.is_empty()) {
                (true, true) => "fever".to_string(),
                (true, false) => format!("fever,{}", c.symptoms.join(",")),
                (false, _) => c.symptoms.join(","),
            };
            alert_id = Some(
                sqlx::query_scalar(
                    "INSERT INTO alerts (community_id, grid_id, resident_id, health_check_id, reason, \
                     status, opened_at) VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id",
                )
                .bind(community_id.unwrap_or(grid_id))
                .bind(grid_id)
                .bind(c.resident_id)
                .bind(id)
                .bind(reason)
                .bind(t)
                .fetch_one(&mut **tx)
                .await?,
            );
        }
    }
    Ok(Recorded {
        check: Check {
            id,
            resident_id: c.resident_id,
            grid_id,
            temperature_tenths: c.temperature.tenths(),
            symptoms: c.symptoms.join(","),
            source: c.source.clone(),
            fever: i64::from(fever),
            day: day.to_string(),
            checked_at: t,
            recorded_by: scope.user_id,
            alert_id,
        },
        replay: false,
    })
}

/// An alert with what the medical group needs to see.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Alert {
    pub id: i64,
    pub grid_id: i64,
    pub grid_code: String,
    pub resident_id: i64,
    pub resident_name: String,
    pub address: String,
    pub reason: String,
    pub temperature_tenths: Option<i64>,
    pub status: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub note: String,
    pub version: i64,
}

const ALERT_SELECT: &str = "SELECT a.id, a.grid_id, g.code AS grid_code, a.resident_id, \
     r.name AS resident_name, h.address, a.reason, c.temperature_tenths, a.status, a.opened_at, \
     a.closed_at, a.note, a.version \
     FROM alerts a JOIN org_units g ON g.id = a.grid_id JOIN residents r ON r.id = a.resident_id \
     JOIN households h ON h.id = r.household_id LEFT JOIN health_checks c ON c.id = a.health_check_id";

/// Alerts of the given grids, newest first; `status` None for all.
pub async fn alerts(
    db: &Db,
    grids: &[i64],
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Alert>, i64)> {
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let list = grids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let filter = format!("a.grid_id IN ({list}) AND ($1 = '' OR a.status = $1)");
    let items: Vec<Alert> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ALERT_SELECT} WHERE {filter} ORDER BY a.id DESC LIMIT $2 OFFSET $3"
    )))
    .bind(status.unwrap_or(""))
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM alerts a WHERE {filter}"
    )))
    .bind(status.unwrap_or(""))
    .fetch_one(&db.pool)
    .await?;
    Ok((items, total))
}

/// Closes an open alert with the follow-up's note; a stale version is a conflict.
pub async fn close_alert(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    note: &str,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "SELECT status, version FROM alerts WHERE id = $2 AND grid_id IN ({GRIDS_OF_USER})"
    );
    let (status, current): (String, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    if current != version {
        return Err(StoreError::Conflict);
    }
    if status != "open" {
        return Err(StoreError::Invalid {
            field: "status",
            code: "alert_closed",
        });
    }
    sqlx::query(
        "UPDATE alerts SET status = 'closed', closed_at = $1, closed_by = $2, note = $3, \
         version = version + 1 WHERE id = $4 AND version = $5",
    )
    .bind(now())
    .bind(scope.user_id)
    .bind(note)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("alert.close", "alert", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Residents of `grids` with no check on `day`, grid by grid, for the workers who go and check.
pub async fn not_checked(
    db: &Db,
    grids: &[i64],
    day: &str,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<(i64, i64, String, String)>, i64)> {
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let list = grids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let filter = format!(
        "r.deleted_at IS NULL AND r.grid_id IN ({list}) AND NOT EXISTS (SELECT 1 FROM health_checks c \
         WHERE c.grid_id = r.grid_id AND c.day = $1 AND c.resident_id = r.id)"
    );
    let items: Vec<(i64, i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.id, r.grid_id, r.name, h.address FROM residents r JOIN households h ON h.id = r.household_id \
         WHERE {filter} ORDER BY r.grid_id, r.household_id, r.id LIMIT $2 OFFSET $3"
    )))
    .bind(day)
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM residents r WHERE {filter}"
    )))
    .bind(day)
    .fetch_one(&db.pool)
    .await?;
    Ok((items, total))
}
