//! A temperature round (体温巡查) of one grid: who is not yet checked today, building by building
//! and stairwell by stairwell in the order a worker walks them, and how many are left in each
//! building. A grid is a few hundred households, so the round is read whole and cut into pages
//! here; the grids' own counts (`grids_left`) come from the kept figures, not from the residents.

use shouhu_domain::address::walking_order;

use super::{Db, StoreResult};

/// A resident not checked today, with where they live.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Unchecked {
    pub resident_id: i64,
    pub household_id: i64,
    pub name: String,
    pub building_id: Option<i64>,
    pub building: Option<String>,
    pub building_unit: Option<String>,
    pub room: String,
    pub address: String,
}

/// Everyone of `grid` not checked on `day`, in walking order: building, stairwell, room, then the
/// household's members as registered.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn unchecked(db: &Db, grid: i64, day: &str) -> StoreResult<Vec<Unchecked>> {
    // As in "not checked today": each resident one probe of the (grid, day, resident) index.
    let probe = super::probe_each(db.backend);
    let mut rows: Vec<Unchecked> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT r.id AS resident_id, r.household_id, r.name, b.id AS building_id, \
         b.name AS building, bu.name AS building_unit, h.room, h.address \
         FROM residents r JOIN households h ON h.id = r.household_id \
         LEFT JOIN building_units bu ON bu.id = h.building_unit_id \
         LEFT JOIN buildings b ON b.id = bu.building_id \
         WHERE r.grid_id = $1 AND r.deleted_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM health_checks c WHERE c.grid_id = r.grid_id AND c.day = $2 \
         AND c.resident_id = r.id{probe})"
    )))
    .bind(grid)
    .bind(day)
    .fetch_all(&db.pool)
    .await?;
    rows.sort_by_cached_key(|u| {
        (
            // Households with no building (an address only) after the buildings.
            u.building.is_none(),
            u.building.as_deref().map(walking_order),
            u.building_unit.as_deref().map(walking_order),
            walking_order(&u.room),
            walking_order(&u.address),
            u.household_id,
            u.resident_id,
        )
    });
    Ok(rows)
}

/// For each of `grids`: how many of its residents are not yet checked on `day`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn grids_left(db: &Db, grids: &[i64], day: &str) -> StoreResult<Vec<(i64, i64)>> {
    if grids.is_empty() {
        return Ok(Vec::new());
    }
    let list = super::id_list(grids);
    let left: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT s.grid_id, s.residents - COALESCE((SELECT d.residents_checked FROM day_stats d \
         WHERE d.grid_id = s.grid_id AND d.day = $1), 0) FROM grid_stats s \
         WHERE s.grid_id IN ({list}) ORDER BY s.grid_id"
    )))
    .bind(day)
    .fetch_all(&db.pool)
    .await?;
    Ok(left.into_iter().map(|(g, n)| (g, n.max(0))).collect())
}
