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
#[tracing::instrument(level = "debug", skip_all)]
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

/// The grids of `unit_id` whose residents the user (None: the command line) may export.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn export_grids(db: &Db, unit_id: i64, user_id: Option<i64>) -> StoreResult<Vec<i64>> {
    let mut grids = grids_of(db, unit_id).await?;
    if let Some(u) = user_id {
        let mine = super::scope::grids_of_user(db, u).await?;
        grids.retain(|g| mine.contains(g));
    }
    grids.sort_unstable();
    Ok(grids)
}

/// The residents of one grid, in reading order.
///
/// Each row comes back as one text of fields joined by the unit separator (U+001F, which no
/// stored text holds: control characters are refused at every entry): moving a value through the
/// driver costs more than the database's work, and this moves one per resident instead of thirteen.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn grid_residents(db: &Db, grid: i64) -> StoreResult<Vec<ExportRow>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT g.name || $2 || COALESCE(b.name, '') || $2 || COALESCE(bu.name, '') \
         || $2 || h.room || $2 || h.address || $2 || r.name || $2 \
         || r.id_number || $2 || r.sex || $2 || r.birth_date || $2 \
         || COALESCE(r.phone, '') || $2 || r.relation || $2 || r.tags || $2 || r.note \
         FROM residents r JOIN households h ON h.id = r.household_id \
         JOIN org_units g ON g.id = r.grid_id \
         LEFT JOIN building_units bu ON bu.id = h.building_unit_id \
         LEFT JOIN buildings b ON b.id = bu.building_id \
         WHERE r.grid_id = $1 AND r.deleted_at IS NULL \
         ORDER BY b.id, bu.id, h.room, h.id, CASE WHEN r.id = h.head_resident_id THEN 0 ELSE 1 END, r.id",
    )
    .bind(grid)
    .bind(SEPARATOR)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|line| {
            ExportRow::from_fields(line).ok_or(StoreError::Invalid {
                field: "residents",
                code: "control_character_in_record",
            })
        })
        .collect()
}

/// Every resident of `unit_id` the user may export.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn residents(db: &Db, unit_id: i64, user_id: Option<i64>) -> StoreResult<Vec<ExportRow>> {
    let mut out = Vec::new();
    for grid in export_grids(db, unit_id, user_id).await? {
        out.extend(grid_residents(db, grid).await?);
    }
    Ok(out)
}

const SEPARATOR: &str = "\u{1f}";
const FIELDS: usize = 13;

impl ExportRow {
    fn from_fields(line: &str) -> Option<ExportRow> {
        let f: Vec<&str> = line.split(SEPARATOR).collect();
        if f.len() != FIELDS {
            return None;
        }
        let s = |i: usize| f[i].to_string();
        Some(ExportRow {
            grid: s(0),
            building: s(1),
            unit: s(2),
            room: s(3),
            address: s(4),
            name: s(5),
            id_number: s(6),
            sex: s(7),
            birth_date: s(8),
            phone: Some(s(9)).filter(|p| !p.is_empty()),
            relation: s(10),
            tags: s(11),
            note: s(12),
        })
    }
}
