//! The changes of the report's figures of state, by unit, local day and figure (migration 0013), so
//! that a day that has ended reads as it stood at its end: the state now, less what changed after.
//!
//! A grid's figures (`residents`, `households`, `quarantine_active`, `quarantine_<kind>`,
//! `at_risk`) are counted under the grid; an observation site's (`observation_beds`,
//! `observation_occupied`) under the unit that runs it. Each is moved in the transaction of the
//! change it counts, by the one function that makes that change.

use super::report_stats::local_today;
use super::{Db, StoreResult, Tx};

/// Counts a change of `n` in `key` of `unit_id`, today.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add(tx: &mut Tx, unit_id: i64, key: &str, n: i64) -> StoreResult<()> {
    if n == 0 {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO state_changes (unit_id, day, key, n) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (unit_id, day, key) DO UPDATE SET n = state_changes.n + excluded.n",
    )
    .bind(unit_id)
    .bind(local_today())
    .bind(key)
    .bind(n)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An episode of `kind` becoming active (`n` = 1) or ending (`n` = -1) in `grid_id`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_episode(tx: &mut Tx, grid_id: i64, kind: &str, n: i64) -> StoreResult<()> {
    add(tx, grid_id, "quarantine_active", n).await?;
    add(tx, grid_id, &format!("quarantine_{kind}"), n).await
}

/// Whether `key` belongs to an observation site (counted under the unit that runs it) rather than
/// to a grid.
pub fn is_site_key(key: &str) -> bool {
    key.starts_with("observation_")
}

/// What changed after `day` in every unit under `unit_id`: `(unit, key, n)`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn after(db: &Db, unit_id: i64, day: &str) -> StoreResult<Vec<(i64, String, i64)>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT unit_id, key, CAST(SUM(n) AS BIGINT) FROM state_changes \
         WHERE day > $2 AND unit_id IN ({}) GROUP BY unit_id, key",
        super::reports::UNDER
    )))
    .bind(unit_id)
    .bind(day)
    .fetch_all(&db.pool)
    .await?)
}
