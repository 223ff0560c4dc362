//! What a household's own pages read and write beside the records shared with staff (checks, help
//! requests, needs): the day's readings, the status of what was asked, the notices to residents,
//! and requests to correct what is held (个人信息更正). Every query is fixed to one household.

use super::registry::Actor;
use super::resident_links::Link;
use super::scope::GRIDS_OF_USER;
use super::{Db, StoreError, StoreResult, audit, now};

/// A reading of the day, and who took it: the resident through the link, or a named worker.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DayReading {
    pub resident_id: i64,
    pub temperature_tenths: i64,
    pub fever: i64,
    pub checked_at: i64,
    pub via_link_id: Option<i64>,
    pub recorded_by_name: String,
}

/// The household's readings of `day`, oldest first (the last of each member is its latest).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn readings(db: &Db, link: &Link, day: &str) -> StoreResult<Vec<DayReading>> {
    Ok(sqlx::query_as(
        "SELECT c.resident_id, c.temperature_tenths, c.fever, c.checked_at, c.via_link_id, \
         u.display_name AS recorded_by_name FROM health_checks c JOIN users u ON u.id = c.recorded_by \
         WHERE c.grid_id = $1 AND c.day = $2 AND c.household_id = $3 ORDER BY c.id",
    )
    .bind(link.grid_id)
    .bind(day)
    .bind(link.household_id)
    .fetch_all(&db.pool)
    .await?)
}

/// One thing the household asked for (help or supplies), as its pages show it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Asked {
    pub id: i64,
    /// A help request's category, or the item's name.
    pub what: String,
    pub quantity: i64,
    pub status: String,
    pub created_at: i64,
    pub via_link_id: Option<i64>,
    pub created_by_name: String,
}

/// The household's latest help requests, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn help_asked(db: &Db, link: &Link, limit: i64) -> StoreResult<Vec<Asked>> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.category AS what, CAST(0 AS BIGINT) AS quantity, r.status, r.created_at, \
         r.via_link_id, u.display_name AS created_by_name FROM help_requests r \
         JOIN users u ON u.id = r.created_by WHERE r.household_id = $1 ORDER BY r.id DESC LIMIT $2",
    )
    .bind(link.household_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// The household's latest supplies needs, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn needs_asked(db: &Db, link: &Link, limit: i64) -> StoreResult<Vec<Asked>> {
    Ok(sqlx::query_as(
        "SELECT n.id, i.name AS what, n.quantity, n.status, n.created_at, n.via_link_id, \
         u.display_name AS created_by_name FROM supply_needs n JOIN supply_items i ON i.id = n.item_id \
         JOIN users u ON u.id = n.created_by WHERE n.household_id = $1 ORDER BY n.id DESC LIMIT $2",
    )
    .bind(link.household_id)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?)
}

/// A notice to residents (publicity).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PublicNotice {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub updated_at: i64,
}

/// Notices to residents that went to a unit holding the household's grid, since `since`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn notices(db: &Db, link: &Link, since: i64) -> StoreResult<Vec<PublicNotice>> {
    Ok(sqlx::query_as(
        "SELECT n.id, n.title, n.body, n.updated_at FROM notices n WHERE n.to_residents = 1 \
         AND n.updated_at >= $2 AND EXISTS (SELECT 1 FROM notice_units nu \
         JOIN unit_closure c ON c.ancestor_id = nu.unit_id WHERE nu.notice_id = n.id \
         AND c.descendant_id = $1) ORDER BY n.updated_at DESC, n.id DESC LIMIT 20",
    )
    .bind(link.grid_id)
    .bind(since)
    .fetch_all(&db.pool)
    .await?)
}

/// A request to correct what is held.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Correction {
    pub id: i64,
    pub household_id: i64,
    pub grid_id: i64,
    pub resident_id: Option<i64>,
    pub resident_name: Option<String>,
    pub address: String,
    pub words: String,
    pub status: String,
    pub created_at: i64,
    pub handled_at: Option<i64>,
    pub answer: String,
}

const CORRECTION_SELECT: &str = "SELECT c.id, c.household_id, c.grid_id, c.resident_id, \
     r.name AS resident_name, h.address, c.words, c.status, c.created_at, c.handled_at, c.answer \
     FROM resident_corrections c JOIN households h ON h.id = c.household_id \
     LEFT JOIN residents r ON r.id = c.resident_id";

/// Asks for a correction through a link: `resident_id` must be a member of the link's household
/// (else NotFound). Returns the id and whether an earlier send with the same key made it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ask_correction(
    db: &Db,
    link: &Link,
    actor: &Actor,
    resident_id: Option<i64>,
    words: &str,
    key: &str,
) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    let earlier: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM resident_corrections WHERE link_id = $1 AND idempotency_key = $2",
    )
    .bind(link.id)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = earlier {
        return Ok((id, true));
    }
    if let Some(r) = resident_id {
        let member: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM residents WHERE id = $1 AND household_id = $2 AND deleted_at IS NULL",
        )
        .bind(r)
        .bind(link.household_id)
        .fetch_optional(&mut *tx)
        .await?;
        member.ok_or(StoreError::NotFound)?;
    }
    let id: Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO resident_corrections (household_id, grid_id, resident_id, link_id, words, status, \
         created_at, idempotency_key) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id",
    )
    .bind(link.household_id)
    .bind(link.grid_id)
    .bind(resident_id)
    .bind(link.id)
    .bind(words)
    .bind(now())
    .bind(key)
    .fetch_one(&mut *tx)
    .await;
    let id = match id {
        Ok(id) => id,
        // The same send twice at once (PostgreSQL): the other one made it.
        Err(e) if super::health::is_unique_violation(&e) => {
            drop(tx);
            let id: i64 = sqlx::query_scalar(
                "SELECT id FROM resident_corrections WHERE link_id = $1 AND idempotency_key = $2",
            )
            .bind(link.id)
            .bind(key)
            .fetch_one(&db.pool)
            .await?;
            return Ok((id, true));
        }
        Err(e) => return Err(e.into()),
    };
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(
            "correction.ask",
            "household",
            link.household_id,
            format!("correction={id}"),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

/// The household's correction requests, newest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn corrections_of(db: &Db, household_id: i64) -> StoreResult<Vec<Correction>> {
    let sql = format!("{CORRECTION_SELECT} WHERE c.household_id = $1 ORDER BY c.id DESC LIMIT 50");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .fetch_all(&db.pool)
        .await?)
}

/// Open correction requests of `grids`, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_corrections(db: &Db, grids: &[i64], limit: i64) -> StoreResult<Vec<Correction>> {
    if grids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{CORRECTION_SELECT} WHERE c.status = 'open' AND c.grid_id IN ({}) ORDER BY c.id LIMIT $1",
        super::id_list(grids)
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(limit)
        .fetch_all(&db.pool)
        .await?)
}

/// Answers an open correction request (`corrected` or `declined`) within the caller's
/// jurisdiction; Conflict when someone answered it already.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn answer_correction(
    db: &Db,
    scope: &super::Scope,
    actor: &Actor,
    id: i64,
    status: &'static str,
    answer: &str,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "SELECT status FROM resident_corrections WHERE id = $2 AND grid_id IN ({GRIDS_OF_USER})"
    );
    let current: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    match current.as_deref() {
        None => return Err(StoreError::NotFound),
        Some("open") => {}
        Some(_) => return Err(StoreError::Conflict),
    }
    let n = sqlx::query(
        "UPDATE resident_corrections SET status = $2, answer = $3, handled_by = $4, handled_at = $5 \
         WHERE id = $1 AND status = 'open'",
    )
    .bind(id)
    .bind(status)
    .bind(answer)
    .bind(actor.user_id)
    .bind(now())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("correction.answer", "correction", id, status.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `resident_id` lives in the link's household.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn is_member(db: &Db, link: &Link, resident_id: i64) -> StoreResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM residents WHERE id = $1 AND household_id = $2 AND deleted_at IS NULL",
    )
    .bind(resident_id)
    .bind(link.household_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(found.is_some())
}
