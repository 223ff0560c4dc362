//! Per-grid totals of residents and households, moved in the same transaction as each write.

use super::{Db, StoreResult, Tx};

/// Adds `residents` and `households` (either may be negative) to a grid's totals, and counts the
/// change for the day's report (`state_changes`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add(tx: &mut Tx, grid_id: i64, residents: i64, households: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE grid_stats SET residents = residents + $1, households = households + $2 WHERE grid_id = $3",
    )
    .bind(residents)
    .bind(households)
    .bind(grid_id)
    .execute(&mut **tx)
    .await?;
    super::state_changes::add(tx, grid_id, "residents", residents).await?;
    super::state_changes::add(tx, grid_id, "households", households).await
}

/// A new grid starts at zero.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(tx: &mut Tx, grid_id: i64) -> StoreResult<()> {
    sqlx::query("INSERT INTO grid_stats (grid_id, residents, households) VALUES ($1, 0, 0)")
        .bind(grid_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Recounts every grid from the records (after a bulk load, or to repair).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rebuild(db: &Db) -> StoreResult<()> {
    sqlx::query(
        "UPDATE grid_stats SET \
         residents = (SELECT COUNT(*) FROM residents r WHERE r.grid_id = grid_stats.grid_id AND r.deleted_at IS NULL), \
         households = (SELECT COUNT(*) FROM households h WHERE h.grid_id = grid_stats.grid_id AND h.deleted_at IS NULL)",
    )
    .execute(&db.pool)
    .await?;
    Ok(())
}
