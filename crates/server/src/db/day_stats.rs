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

/// One grid's coverage of a day: its residents and how many of them were checked.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Coverage {
    pub code: String,
    pub name: String,
    pub residents: i64,
    pub checked: i64,
}

/// Today's coverage of each of `grids`, in code order, from the kept figures: one statement, the
/// day's row probed per grid (as "not checked today" does).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn coverage(db: &super::Db, grids: &[i64], day: &str) -> StoreResult<Vec<Coverage>> {
    if grids.is_empty() {
        return Ok(Vec::new());
    }
    let list = super::id_list(grids);
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT g.code, g.name, s.residents, COALESCE((SELECT d.residents_checked FROM day_stats d \
         WHERE d.grid_id = g.id AND d.day = $1), 0) AS checked \
         FROM org_units g JOIN grid_stats s ON s.grid_id = g.id WHERE g.id IN ({list}) ORDER BY g.code"
    )))
    .bind(day)
    .fetch_all(&db.pool)
    .await?)
}
