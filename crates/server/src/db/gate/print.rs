//! The pass sheet: every household of a grid (or of one building) with its pass code, for printing
//! on A4 and handing out door to door. Households without a pass get one here, all in one go.

use super::new_code;
use crate::db::registry::Actor;
use crate::db::scope::GRIDS_OF_USER;
use crate::db::{Db, Scope, StoreResult, audit, now};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PassCard {
    pub household_id: i64,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: String,
    pub address: String,
    pub head: Option<String>,
    pub code: Option<String>,
}

const CARDS: &str = "SELECT h.id AS household_id, b.name AS building, bu.name AS unit, h.room, h.address, hr.name AS head, \
     p.code FROM households h LEFT JOIN building_units bu ON bu.id = h.building_unit_id \
     LEFT JOIN buildings b ON b.id = bu.building_id LEFT JOIN residents hr ON hr.id = h.head_resident_id \
     LEFT JOIN household_passes p ON p.household_id = h.id AND p.status = 'active' \
     WHERE h.grid_id = $2 AND h.deleted_at IS NULL AND ($3 = 0 OR b.id = $3) \
     AND h.grid_id IN (SELECT * FROM (";

/// The grid's households (within the caller's jurisdiction; none otherwise), ordered as they are
/// walked: building, unit, room, each by its number (2号楼 before 10号楼). `building_id` 0 takes
/// the whole grid.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn cards(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    grid_id: i64,
    building_id: i64,
) -> StoreResult<Vec<PassCard>> {
    let sql = format!("{CARDS}{GRIDS_OF_USER}) AS mine)");
    let mut cards: Vec<PassCard> = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
        .bind(scope.user_id)
        .bind(grid_id)
        .bind(building_id)
        .fetch_all(&db.pool)
        .await?;
    let missing: Vec<i64> = cards
        .iter()
        .filter(|c| c.code.is_none())
        .map(|c| c.household_id)
        .collect();
    if missing.is_empty() {
        in_walking_order(&mut cards);
        return Ok(cards);
    }
    let mut tx = db.begin_write().await?;
    let t = now();
    let mut issued = 0;
    for chunk in missing.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO household_passes (household_id, code, status, issued_at, issued_by) VALUES ",
        );
        for (i, h) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            // Ids are integers from the query above, codes from our own alphabet: nothing to quote.
            sql.push_str(&format!(
                "({h}, '{}', 'active', {t}, {})",
                new_code(),
                scope.user_id
            ));
        }
        // Another request may have issued one meanwhile: one active pass per household (migration
        // 0008), the first one stands.
        sql.push_str(" ON CONFLICT DO NOTHING");
        issued += sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await?
            .rows_affected();
    }
    if issued > 0 {
        audit::append(
            &mut tx,
            db.backend,
            &actor.entry(
                "pass.issue",
                "org_unit",
                grid_id,
                format!("{issued} passes"),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    cards = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(grid_id)
        .bind(building_id)
        .fetch_all(&db.pool)
        .await?;
    in_walking_order(&mut cards);
    Ok(cards)
}

fn in_walking_order(cards: &mut [PassCard]) {
    use shouhu_domain::address::walking_order;
    cards.sort_by_cached_key(|c| {
        (
            c.building.as_deref().map(walking_order),
            c.unit.as_deref().map(walking_order),
            walking_order(&c.room),
            c.household_id,
        )
    });
}
