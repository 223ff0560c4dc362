//! Households (户): an address in a grid, optionally in a building and unit (单元), with a head.

use shouhu_domain::normalize::half_width;

use super::audit;
use super::registry::{Actor, household_grid, like_escape};
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, now};
use shouhu_domain::address::{building_name, room_name, unit_name};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Household {
    pub id: i64,
    pub grid_id: i64,
    pub grid_code: String,
    pub grid_name: String,
    pub building: Option<String>,
    pub building_unit: Option<String>,
    pub room: String,
    pub address: String,
    pub head_resident_id: Option<i64>,
    pub head_name: Option<String>,
    pub members: i64,
    pub note: String,
    pub version: i64,
}

const HOUSEHOLD_SELECT: &str = "SELECT h.id, h.grid_id, g.code AS grid_code, g.name AS grid_name, \
     b.name AS building, bu.name AS building_unit, h.room, h.address, h.head_resident_id, \
     hr.name AS head_name, \
     (SELECT COUNT(*) FROM residents m WHERE m.household_id = h.id AND m.deleted_at IS NULL) AS members, \
     h.note, h.version \
     FROM households h JOIN org_units g ON g.id = h.grid_id \
     LEFT JOIN building_units bu ON bu.id = h.building_unit_id \
     LEFT JOIN buildings b ON b.id = bu.building_id \
     LEFT JOIN residents hr ON hr.id = h.head_resident_id";

#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    db: &Db,
    scope: &Scope,
    q: &str,
    unit_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Household>, i64)> {
    let where_ = format!(
        "h.deleted_at IS NULL AND h.grid_id IN ({GRIDS_OF_USER}) \
         AND ($2 = '' OR h.address LIKE $3 ESCAPE '\\') \
         AND ($4 = -1 OR h.grid_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = $4))"
    );
    let q = q.trim();
    let pattern = format!("%{}%", like_escape(q));
    let items: Vec<Household> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{HOUSEHOLD_SELECT} WHERE {where_} ORDER BY h.grid_id DESC, h.id DESC {}",
        super::limit_offset(limit, offset)
    )))
    .bind(scope.user_id)
    .bind(q)
    .bind(&pattern)
    .bind(unit_id.unwrap_or(-1))
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM households h WHERE {where_}"
    )))
    .bind(scope.user_id)
    .bind(q)
    .bind(&pattern)
    .bind(unit_id.unwrap_or(-1))
    .fetch_one(&db.pool)
    .await?;
    Ok((items, total))
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &Db, scope: &Scope, id: i64) -> StoreResult<Household> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{HOUSEHOLD_SELECT} WHERE h.id = $2 AND h.deleted_at IS NULL AND h.grid_id IN ({GRIDS_OF_USER})"
    )))
    .bind(scope.user_id)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn exists_unscoped(db: &Db, id: i64) -> StoreResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM households WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .fetch_one(&db.pool)
            .await?;
    Ok(n > 0)
}

#[derive(Clone, Debug, Default)]
pub struct NewHousehold {
    pub grid_id: i64,
    pub building: String,
    pub building_unit: String,
    pub room: String,
    pub address: String,
    pub note: String,
}

/// Finds or creates the building and unit (单元) named, returning the unit's id; None when no building.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn ensure_building_unit(
    tx: &mut Tx,
    grid_id: i64,
    building: &str,
    unit: &str,
) -> StoreResult<Option<i64>> {
    if building.is_empty() {
        return Ok(None);
    }
    let b: Option<i64> =
        sqlx::query_scalar("SELECT id FROM buildings WHERE grid_id = $1 AND name = $2")
            .bind(grid_id)
            .bind(building)
            .fetch_optional(&mut **tx)
            .await?;
    let b = match b {
        Some(b) => b,
        None => {
            sqlx::query_scalar("INSERT INTO buildings (grid_id, name) VALUES ($1, $2) RETURNING id")
                .bind(grid_id)
                .bind(building)
                .fetch_one(&mut **tx)
                .await?
        }
    };
    let u: Option<i64> =
        sqlx::query_scalar("SELECT id FROM building_units WHERE building_id = $1 AND name = $2")
            .bind(b)
            .bind(unit)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(Some(match u {
        Some(u) => u,
        None => {
            sqlx::query_scalar(
                "INSERT INTO building_units (building_id, name) VALUES ($1, $2) RETURNING id",
            )
            .bind(b)
            .bind(unit)
            .fetch_one(&mut **tx)
            .await?
        }
    }))
}

/// Creates a household in a grid of the caller's jurisdiction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, scope: &Scope, actor: &Actor, h: &NewHousehold) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let in_scope: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM org_units WHERE id = $2 AND kind = 'grid' AND id IN ({GRIDS_OF_USER})"
    )))
    .bind(scope.user_id)
    .bind(h.grid_id)
    .fetch_optional(&mut *tx)
    .await?;
    if in_scope.is_none() {
        return Err(StoreError::Invalid {
            field: "grid_code",
            code: "unknown_unit",
        });
    }
    // One building, unit and room however they were typed ("3栋", "０３号楼" and "3号楼" are
    // building 3), as an import files them: otherwise a form and a sheet make two buildings.
    let building = building_name(&half_width(&h.building));
    let unit = unit_name(&half_width(&h.building_unit));
    let room = room_name(&half_width(&h.room));
    let bu = ensure_building_unit(&mut tx, h.grid_id, &building, &unit).await?;
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO households (grid_id, building_unit_id, room, address, note, version, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id",
    )
    .bind(h.grid_id)
    .bind(bu)
    .bind(&room)
    .bind(&h.address)
    .bind(&h.note)
    .bind(t)
    .fetch_one(&mut *tx)
    .await?;
    super::address_numbers::write(&mut tx, id, h.grid_id, &h.address).await?;
    super::grid_stats::add(&mut tx, h.grid_id, 0, 1).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("household.create", "household", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Clone, Debug, Default)]
pub struct Changes {
    pub address: Option<String>,
    pub room: Option<String>,
    pub note: Option<String>,
    /// `Some(None)` clears the head; a new head must be a member of the household.
    pub head_resident_id: Option<Option<i64>>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn update(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    c: &Changes,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let grid_id = household_grid(&mut tx, scope, id)
        .await
        .map_err(|e| match e {
            // Here the household is the record itself, not an input pointing at one.
            StoreError::Invalid { .. } => StoreError::NotFound,
            other => other,
        })?;
    let cur: (String, String, String, Option<i64>, i64) = sqlx::query_as(
        "SELECT address, room, note, head_resident_id, version FROM households WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if cur.4 != version {
        return Err(StoreError::Conflict);
    }
    if let Some(Some(head)) = c.head_resident_id {
        let member: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM residents WHERE id = $1 AND household_id = $2 AND deleted_at IS NULL",
        )
        .bind(head)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if member == 0 {
            return Err(StoreError::Invalid {
                field: "head_resident_id",
                code: "not_a_member",
            });
        }
    }
    let address = c.address.clone().unwrap_or(cur.0.clone());
    let room = c
        .room
        .as_deref()
        .map(|r| room_name(&half_width(r)))
        .unwrap_or(cur.1.clone());
    let note = c.note.clone().unwrap_or(cur.2.clone());
    let head = c.head_resident_id.unwrap_or(cur.3);
    if (&address, &room, &note, head) == (&cur.0, &cur.1, &cur.2, cur.3) {
        return Ok(());
    }
    let done = sqlx::query(
        "UPDATE households SET address = $1, room = $2, note = $3, head_resident_id = $4, \
         version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(&address)
    .bind(&room)
    .bind(&note)
    .bind(head)
    .bind(now())
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    if address != cur.0 {
        super::address_numbers::write(&mut tx, id, grid_id, &address).await?;
        // The copy each member carries for the lists (migration 0015); not for one erased.
        sqlx::query(
            "UPDATE residents SET address = $1 WHERE household_id = $2 AND erased_at IS NULL",
        )
        .bind(&address)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("household.update", "household", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Soft delete of an empty household; one with members is refused so nobody is orphaned.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
) -> StoreResult<()> {
    let h = get(db, scope, id).await?;
    if h.version != version {
        return Err(StoreError::Conflict);
    }
    if h.members > 0 {
        return Err(StoreError::Invalid {
            field: "id",
            code: "household_not_empty",
        });
    }
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE households SET deleted_at = $1, version = version + 1, updated_at = $1 \
         WHERE id = $2 AND version = $3 AND deleted_at IS NULL",
    )
    .bind(now())
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    super::grid_stats::add(&mut tx, h.grid_id, 0, -1).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("household.delete", "household", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
