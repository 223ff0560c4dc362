//! The jurisdiction tree: city → district → street → community → grid, each with a unique code.

use serde::Serialize;
use shouhu_domain::UnitKind;
use sqlx::Row;

use super::scope::{GRIDS_OF_USER, UNITS_OF_USER};
use super::{Db, Scope, StoreError, StoreResult, Tx, now};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// One of `city`, `district`, `street`, `community`, `grid`.
    pub kind: String,
    pub parent_code: Option<String>,
}

const UNIT_SELECT: &str = "SELECT u.id, u.code, u.name, u.kind, p.code AS parent_code \
     FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id";

/// Creates a unit under `parent_code` (None only for a city) and its closure rows.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    tx: &mut Tx,
    code: &str,
    name: &str,
    kind: UnitKind,
    parent_code: Option<&str>,
) -> StoreResult<i64> {
    let parent = match parent_code {
        Some(pc) => {
            let row = sqlx::query("SELECT id, kind FROM org_units WHERE code = $1")
                .bind(pc)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(StoreError::Invalid {
                    field: "parent_code",
                    code: "unknown_unit",
                })?;
            let parent_kind = UnitKind::parse(&row.try_get::<String, _>(1)?);
            if parent_kind.and_then(UnitKind::child) != Some(kind) {
                return Err(StoreError::Invalid {
                    field: "kind",
                    code: "kind_does_not_fit_parent",
                });
            }
            Some(row.try_get::<i64, _>(0)?)
        }
        None if kind == UnitKind::City => None,
        None => {
            return Err(StoreError::Invalid {
                field: "parent_code",
                code: "required",
            });
        }
    };
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::Invalid {
            field: "code",
            code: "taken",
        });
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO org_units (code, name, kind, parent_id, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(code)
    .bind(name)
    .bind(kind.as_str())
    .bind(parent)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO unit_closure (ancestor_id, descendant_id, depth) \
         SELECT ancestor_id, $1, depth + 1 FROM unit_closure WHERE descendant_id = $2 \
         UNION ALL SELECT $1, $1, 0",
    )
    .bind(id)
    .bind(parent.unwrap_or(-1))
    .execute(&mut **tx)
    .await?;
    if kind == UnitKind::Grid {
        super::grid_stats::create(tx, id).await?;
    }
    Ok(id)
}

/// Every unit within the caller's jurisdiction, ordered by code (which orders the tree).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(db: &Db, scope: &Scope) -> StoreResult<Vec<Unit>> {
    let sql = format!("{UNIT_SELECT} WHERE u.id IN ({UNITS_OF_USER}) ORDER BY u.code");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?)
}

/// The units below `unit_id`, and it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn descendants(db: &Db, unit_id: i64) -> StoreResult<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT descendant_id FROM unit_closure WHERE ancestor_id = $1")
            .bind(unit_id)
            .fetch_all(&db.pool)
            .await?,
    )
}

/// A unit by code, if it lies within the caller's jurisdiction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get_by_code(db: &Db, scope: &Scope, code: &str) -> StoreResult<Unit> {
    let sql = format!("{UNIT_SELECT} WHERE u.id IN ({UNITS_OF_USER}) AND u.code = $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(code)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The grids within the caller's jurisdiction (for pickers and the household form).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn grids(db: &Db, scope: &Scope) -> StoreResult<Vec<Unit>> {
    let sql = format!(
        "{UNIT_SELECT} WHERE u.id IN ({GRIDS_OF_USER}) AND u.kind = 'grid' ORDER BY u.code"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?)
}

/// Every unit, without scope, by code: for the administrators' unit picker only.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn all_unscoped(db: &Db) -> StoreResult<Vec<Unit>> {
    let sql = format!("{UNIT_SELECT} ORDER BY u.code");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&db.pool)
        .await?)
}

/// Any unit by code, without scope: for administration and the command line only.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_unscoped(db: &Db, code: &str) -> StoreResult<Option<Unit>> {
    let sql = format!("{UNIT_SELECT} WHERE u.code = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(code)
        .fetch_optional(&db.pool)
        .await?)
}

/// Counts of residents and households per unit of the caller's jurisdiction, for the tree page.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resident_counts(db: &Db, scope: &Scope) -> StoreResult<Vec<(i64, i64)>> {
    let sql = format!(
        "SELECT c.ancestor_id, COUNT(r.id) FROM unit_closure c \
         JOIN residents r ON r.grid_id = c.descendant_id AND r.deleted_at IS NULL \
         WHERE c.ancestor_id IN ({UNITS_OF_USER}) GROUP BY c.ancestor_id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// The communities holding grids of the caller's jurisdiction (a grid worker's own community too,
/// which is not itself within the jurisdiction): where the caller may import residents.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn communities_of_grids(db: &Db, scope: &Scope) -> StoreResult<Vec<Unit>> {
    let sql = format!(
        "{UNIT_SELECT} WHERE u.kind = 'community' AND u.id IN (SELECT g.parent_id FROM org_units g \
         WHERE g.kind = 'grid' AND g.id IN ({GRIDS_OF_USER})) ORDER BY u.code"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?)
}
