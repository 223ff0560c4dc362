//! Residents of a unit as rows for a spreadsheet, in the order people read them: grid, building,
//! unit, room, the head of the household first.

use super::{Db, StoreError, StoreResult};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ExportRow {
    pub grid: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub address: String,
    pub name: String,
    pub id_number: String,
    pub sex: String,
    pub birth_date: String,
    pub phone: Option<String>,
    pub relation: String,
    pub tags: String,
    pub note: String,
}

/// The unit's id and name by code, if the user (None: the command line) may reach it.
pub async fn unit(db: &Db, code: &str, user_id: Option<i64>) -> StoreResult<(i64, String)> {
    let unit: Option<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM org_units WHERE code = $1")
            .bind(code)
            .fetch_optional(&db.pool)
            .await?;
    let unit = unit.ok_or(StoreError::NotFound)?;
    if let Some(u) = user_id {
        // Reachable when the unit is within the jurisdiction or contains part of it (a leader's
        // export of the street shows the leader's own grids only; the rows are filtered below).
        let mine = super::scope::grids_of_user(db, u).await?;
        let grids = grids_of(db, unit.0).await?;
        if !grids.iter().any(|g| mine.contains(g)) {
            return Err(StoreError::NotFound);
        }
    }
    Ok(unit)
}

async fn grids_of(db: &Db, unit_id: i64) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT c.descendant_id FROM unit_closure c JOIN org_units u ON u.id = c.descendant_id \
         WHERE c.ancestor_id = $1 AND u.kind = 'grid'",
    )
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await?)
}

/// The residents of `unit_id`, limited to the user's grids (None: all, for the command line).
pub async fn residents(db: &Db, unit_id: i64, user_id: Option<i64>) -> StoreResult<Vec<ExportRow>> {
    let mut grids = grids_of(db, unit_id).await?;
    if let Some(u) = user_id {
        let mine = super::scope::grids_of_user(db, u).await?;
        grids.retain(|g| mine.contains(g));
    }
    let mut out = Vec::new();
    // Grid by grid: each query reads one grid's index range, and binds stay few.
    for grid in grids {
        let mut rows: Vec<ExportRow> = sqlx::query_as(
            "SELECT g.name AS grid, COALESCE(b.name, '') AS building, COALESCE(bu.name, '') AS unit, \
             h.room, h.address, r.name, r.id_number, r.sex, r.birth_date, r.phone, r.relation, \
             r.tags, r.note \
             FROM residents r JOIN households h ON h.id = r.household_id \
             JOIN org_units g ON g.id = r.grid_id \
             LEFT JOIN building_units bu ON bu.id = h.building_unit_id \
             LEFT JOIN buildings b ON b.id = bu.building_id \
             WHERE r.grid_id = $1 AND r.deleted_at IS NULL \
             ORDER BY b.id, bu.id, h.room, h.id, CASE WHEN r.id = h.head_resident_id THEN 0 ELSE 1 END, r.id",
        )
        .bind(grid)
        .fetch_all(&db.pool)
        .await?;
        out.append(&mut rows);
    }
    Ok(out)
}
