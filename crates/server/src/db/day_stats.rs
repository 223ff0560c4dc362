//! Per grid and day: checks, residents checked, fevers — moved in the same transaction as each
//! check (see migration 0005).

use super::{StoreResult, Tx};

/// Adds to a grid's figures of `day`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add(
    tx: &mut Tx,
    grid_id: i64,
    day: &str,
    checks: i64,
    residents_checked: i64,
    fevers: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO day_stats (grid_id, day, health_checks, residents_checked, fevers) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (grid_id, day) DO UPDATE SET \
         health_checks = day_stats.health_checks + excluded.health_checks, \
         residents_checked = day_stats.residents_checked + excluded.residents_checked, \
         fevers = day_stats.fevers + excluded.fevers",
    )
    .bind(grid_id)
    .bind(day)
    .bind(checks)
    .bind(residents_checked)
    .bind(fevers)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
