//! Undoing a deletion (撤销删除): a resident deleted by mistake comes back as they were, into their
//! household as it stands now. The deleted row was kept (soft delete), so nothing is lost between.

use super::{Actor, head_if_none, hold_households, household_grid};
use crate::db::scope::GRIDS_OF_USER;
use crate::db::{Db, Scope, StoreError, StoreResult, audit, grid_stats, now};

/// The name and household of a deleted resident of the caller's jurisdiction, for the offer to undo
/// the deletion; NotFound for anyone else.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deleted(db: &Db, scope: &Scope, id: i64) -> StoreResult<(String, i64)> {
    let sql = format!(
        "SELECT name, household_id FROM residents \
         WHERE id = $2 AND deleted_at IS NOT NULL AND erased_at IS NULL \
         AND grid_id IN ({GRIDS_OF_USER})"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A household's deleted members within the caller's jurisdiction, the latest deleted first (at
/// most 50): id, name and when, in unix seconds. What its card offers back.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deleted_members(
    db: &Db,
    scope: &Scope,
    household_id: i64,
) -> StoreResult<Vec<(i64, String, i64)>> {
    let sql = format!(
        "SELECT id, name, deleted_at FROM residents WHERE household_id = $2 \
         AND deleted_at IS NOT NULL AND erased_at IS NULL AND grid_id IN ({GRIDS_OF_USER}) \
         ORDER BY deleted_at DESC, id DESC LIMIT 50"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(household_id)
        .fetch_all(&db.pool)
        .await?)
}

/// Brings a deleted resident back: living again, the version moved on, the household's address as
/// it is now, counted in the grid's totals again, and audited. A resident who is not deleted
/// answers Conflict (someone undid it first); one outside the jurisdiction or never recorded,
/// NotFound; one whose household was deleted since, or moved out of the jurisdiction, names
/// `household_id`; one whose data the purge erased names `id`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn restore(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "SELECT household_id, relation, deleted_at, erased_at FROM residents \
         WHERE id = $2 AND grid_id IN ({GRIDS_OF_USER})"
    );
    type Found = (i64, String, Option<i64>, Option<i64>);
    let found: Option<Found> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let (household_id, relation) = match found {
        None => return Err(StoreError::NotFound),
        Some((_, _, None, _)) => return Err(StoreError::Conflict),
        // Past the days a deletion can be undone: nothing is left to bring back.
        Some((_, _, Some(_), Some(_))) => {
            return Err(StoreError::Invalid {
                field: "id",
                code: "erased",
            });
        }
        Some((household, relation, Some(_), None)) => (household, relation),
    };
    let grid_id = household_grid(&mut tx, scope, household_id)
        .await
        .map_err(|e| match e {
            StoreError::Invalid { field, .. } => StoreError::Invalid {
                field,
                code: "household_gone",
            },
            other => other,
        })?;
    hold_households(&mut tx, db.backend, &[household_id]).await?;
    // Checked again: on PostgreSQL a second undo at the same moment waits for the first's row and
    // then finds it living, and one racing the purge finds it erased.
    let done = sqlx::query(
        "UPDATE residents SET deleted_at = NULL, version = version + 1, updated_at = $1, \
         grid_id = $2, address = (SELECT h.address FROM households h WHERE h.id = $3) \
         WHERE id = $4 AND deleted_at IS NOT NULL AND erased_at IS NULL",
    )
    .bind(now())
    .bind(grid_id)
    .bind(household_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    // Deleting a head left the household without one; the head comes back as head if no one
    // was named since.
    head_if_none(&mut tx, household_id, id, &relation).await?;
    grid_stats::add(&mut tx, grid_id, 1, 0).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("resident.restore", "resident", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a resident was ever recorded, deleted or not, ignoring scope: only to tell the audit log
/// whether a refused undo reached for someone else's record. Never shown to the caller.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn recorded_unscoped(db: &Db, id: i64) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM residents WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    Ok(n > 0)
}
