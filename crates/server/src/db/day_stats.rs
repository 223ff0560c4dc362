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

/// Residents checked on `day`, per grid of `grids` (grids without any are absent).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn residents_checked(
    db: &super::Db,
    grids: &[i64],
    day: &str,
) -> StoreResult<std::collections::HashMap<i64, i64>> {
    if grids.is_empty() {
        return Ok(Default::default());
    }
    let list = grids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT grid_id, residents_checked FROM day_stats WHERE grid_id IN ({list}) AND day = $1"
    )))
    .bind(day)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.into_iter().collect())
}
