//! What households need (物资需求): lines recorded for a household of the caller's grids, each
//! moving requested → committed → in transit → delivered | cancelled with every move kept, and the
//! day's needs list of a grid or community — totals per item and the households behind them.

use shouhu_domain::supplies::{NeedStatus, needs_confirmation};

use super::super::registry::Actor;
use super::super::scope::GRIDS_OF_USER;
use super::super::{Db, Scope, StoreError, StoreResult, Tx, audit, now};

/// A need to record.
#[derive(Clone, Debug)]
pub struct NewNeed {
    pub household_id: i64,
    pub item_id: i64,
    pub quantity: i64,
    pub paid: bool,
    pub note: String,
    /// The one recording it confirms a quantity over the cap or far above the usual.
    pub confirm: bool,
    /// The local day it is asked for.
    pub day: String,
    pub idempotency_key: String,
    pub request_hash: String,
    /// The resident link it came by; None when staff recorded it (on the household's behalf).
    pub via_link_id: Option<i64>,
}

/// A need as it is listed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Need {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: i64,
    pub household_id: i64,
    pub address: String,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub day: String,
    pub quantity: i64,
    pub fulfilled: i64,
    pub paid: i64,
    pub note: String,
    pub status: String,
    pub over_confirmed: i64,
    pub cancel_reason: String,
    pub created_by_name: String,
    pub created_at: i64,
    pub version: i64,
}

const NEED_SELECT: &str = "SELECT n.id, n.community_id, n.grid_id, n.household_id, hh.address, \
     n.item_id, i.name AS item_name, i.unit, n.day, n.quantity, n.fulfilled, n.paid, n.note, \
     n.status, n.over_confirmed, n.cancel_reason, u.display_name AS created_by_name, n.created_at, \
     n.version FROM supply_needs n JOIN households hh ON hh.id = n.household_id \
     JOIN supply_items i ON i.id = n.item_id JOIN users u ON u.id = n.created_by";

const OPEN: &str = "n.status IN ('requested','committed','in_transit')";

/// Records a need. Returns its id and whether this was a replay of an earlier send with the same
/// key. A household outside the caller's grids: NotFound.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    n: &NewNeed,
) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    if let Some(id) = super::replayed(
        &mut tx,
        "supply_needs",
        actor,
        &n.idempotency_key,
        &n.request_hash,
    )
    .await?
    {
        return Ok((id, true));
    }
    // The household's row is locked on PostgreSQL (SQLite's write transaction excludes every
    // other writer already), so two recordings at once cannot both pass under its cap.
    let lock = match db.backend {
        super::super::Backend::Postgres => " FOR UPDATE OF h",
        super::super::Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT h.grid_id, g.parent_id FROM households h JOIN org_units g ON g.id = h.grid_id \
         WHERE h.id = $2 AND h.deleted_at IS NULL AND h.grid_id IN ({GRIDS_OF_USER}){lock}"
    );
    let (grid, community): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(n.household_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let item: Option<(Option<i64>, Option<i64>)> =
        sqlx::query_as("SELECT usual_quantity, retired_at FROM supply_items WHERE id = $1")
            .bind(n.item_id)
            .fetch_optional(&mut *tx)
            .await?;
    let usual = match item {
        None => {
            return Err(StoreError::Invalid {
                field: "item_id",
                code: "unknown_item",
            });
        }
        Some((_, Some(_))) => {
            return Err(StoreError::Invalid {
                field: "item_id",
                code: "retired_item",
            });
        }
        Some((usual, None)) => usual,
    };
    let cap: Option<i64> = sqlx::query_scalar(
        "SELECT household_cap FROM supply_limits WHERE community_id = $1 AND item_id = $2",
    )
    .bind(community)
    .bind(n.item_id)
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    // The cap is the household's fair share of the day: what it asked already counts.
    let asked: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM supply_needs WHERE household_id = $1 \
         AND item_id = $2 AND day = $3 AND status <> 'cancelled'",
    )
    .bind(n.household_id)
    .bind(n.item_id)
    .bind(&n.day)
    .fetch_one(&mut *tx)
    .await?;
    let over = needs_confirmation(n.quantity, usual, None)
        || needs_confirmation(asked + n.quantity, None, cap);
    if over && !n.confirm {
        return Err(StoreError::Invalid {
            field: "quantity",
            code: "needs_confirmation",
        });
    }
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supply_needs (community_id, grid_id, household_id, item_id, day, quantity, \
         paid, note, status, over_confirmed, created_by, created_at, updated_at, idempotency_key, \
         request_hash, via_link_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,'requested',$9,$10,$11,$11,$12,$13,$14) \
         RETURNING id",
    )
    .bind(community)
    .bind(grid)
    .bind(n.household_id)
    .bind(n.item_id)
    .bind(&n.day)
    .bind(n.quantity)
    .bind(i64::from(n.paid))
    .bind(&n.note)
    .bind(i64::from(over))
    .bind(actor.user_id)
    .bind(t)
    .bind(&n.idempotency_key)
    .bind(&n.request_hash)
    .bind(n.via_link_id)
    .fetch_one(&mut *tx)
    .await?;
    event(
        &mut tx,
        id,
        None,
        NeedStatus::Requested,
        actor.user_id,
        t,
        "",
    )
    .await?;
    let detail = format!(
        "household={} item={} quantity={} over={over}",
        n.household_id, n.item_id, n.quantity
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.need.create", "supply_need", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

async fn event(
    tx: &mut Tx,
    need: i64,
    from: Option<NeedStatus>,
    to: NeedStatus,
    by: i64,
    at: i64,
    note: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO supply_need_events (need_id, from_status, to_status, by_user, at, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(need)
    .bind(from.map(NeedStatus::as_str))
    .bind(to.as_str())
    .bind(by)
    .bind(at)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which needs to list.
#[derive(Clone, Debug, Default)]
pub struct NeedFilter {
    /// Within this unit (a grid or a community) of the caller's jurisdiction.
    pub unit_id: Option<i64>,
    pub day: Option<String>,
    pub household_id: Option<i64>,
    /// Only those still waiting for their goods.
    pub open_only: bool,
}

fn filter_sql(f: &NeedFilter) -> String {
    let mut sql = format!("n.grid_id IN ({GRIDS_OF_USER})");
    if let Some(u) = f.unit_id {
        sql.push_str(&format!(
            " AND n.grid_id IN (SELECT descendant_id FROM unit_closure WHERE ancestor_id = {u})"
        ));
    }
    if f.day.is_some() {
        sql.push_str(" AND n.day = $2");
    } else {
        sql.push_str(" AND $2 = $2");
    }
    if let Some(h) = f.household_id {
        sql.push_str(&format!(" AND n.household_id = {h}"));
    }
    if f.open_only {
        sql.push_str(&format!(" AND {OPEN}"));
    }
    sql
}

/// A page of needs of the caller's grids, by address and item, and how many there are in all.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &Db,
    scope: &Scope,
    f: &NeedFilter,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Need>, i64)> {
    let filter = filter_sql(f);
    let day = f.day.clone().unwrap_or_default();
    let rows: Vec<Need> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{NEED_SELECT} WHERE {filter} ORDER BY hh.address, n.household_id, i.name, n.id {}",
        super::super::limit_offset(limit, offset)
    )))
    .bind(scope.user_id)
    .bind(&day)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM supply_needs n WHERE {filter}"
    )))
    .bind(scope.user_id)
    .bind(&day)
    .fetch_one(&db.pool)
    .await?;
    Ok((rows, total))
}

/// One line of a needs list: an item, how much is still to bring, and for how many households.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Total {
    pub item_id: i64,
    pub item_name: String,
    pub category: String,
    pub unit: String,
    pub requested: i64,
    pub outstanding: i64,
    pub households: i64,
    pub free_households: i64,
}

/// The day's open needs of the caller's grids (within a unit when given), added up per item.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn totals(
    db: &Db,
    scope: &Scope,
    unit: Option<i64>,
    day: &str,
) -> StoreResult<Vec<Total>> {
    let f = NeedFilter {
        unit_id: unit,
        day: Some(day.to_string()),
        household_id: None,
        open_only: true,
    };
    // Added up per item id first and named after: grouping the city's rows by the item's text
    // columns through a join cost as much again as the adding up itself.
    let sql = format!(
        "SELECT i.id AS item_id, i.name AS item_name, i.category, i.unit, t.requested, \
         t.outstanding, t.households, t.free_households FROM (SELECT n.item_id, \
         CAST(SUM(n.quantity) AS BIGINT) AS requested, \
         CAST(SUM(n.quantity - n.fulfilled) AS BIGINT) AS outstanding, \
         COUNT(DISTINCT n.household_id) AS households, \
         COUNT(DISTINCT CASE WHEN n.paid = 0 THEN n.household_id END) AS free_households \
         FROM supply_needs n WHERE {} GROUP BY n.item_id) t \
         JOIN supply_items i ON i.id = t.item_id ORDER BY i.category, i.name",
        filter_sql(&f)
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(day)
        .fetch_all(&db.pool)
        .await?)
}

/// A move of a need.
#[derive(Clone, Debug)]
pub struct NeedMove {
    pub to: NeedStatus,
    /// The version read: a change made meanwhile is a conflict.
    pub version: i64,
    /// Delivered: how much was brought (all that was asked when left out).
    pub fulfilled: Option<i64>,
    /// Delivered: more than was asked, confirmed.
    pub confirm_over: bool,
    /// Cancelled: why.
    pub note: String,
}

/// Moves a need of the caller's grids, if its state allows; every move kept with who and when.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transition(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    m: &NeedMove,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "SELECT status, quantity, version FROM supply_needs n WHERE n.id = $2 \
         AND n.grid_id IN ({GRIDS_OF_USER})"
    );
    let (status, quantity, version): (String, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    if version != m.version {
        return Err(StoreError::Conflict);
    }
    let from = NeedStatus::parse(&status).ok_or(StoreError::Conflict)?;
    if !from.can_become(m.to) {
        return Err(StoreError::Invalid {
            field: "to",
            code: "not_allowed_now",
        });
    }
    let fulfilled = match m.to {
        NeedStatus::Delivered => m.fulfilled.unwrap_or(quantity),
        _ => 0,
    };
    if fulfilled > quantity && !m.confirm_over {
        return Err(StoreError::Invalid {
            field: "fulfilled",
            code: "needs_confirmation",
        });
    }
    let t = now();
    let reason = match m.to {
        NeedStatus::Cancelled => m.note.as_str(),
        _ => "",
    };
    sqlx::query(
        "UPDATE supply_needs SET status = $1, fulfilled = $2, over_delivery_confirmed = $3, \
         cancel_reason = $4, updated_at = $5, version = version + 1 WHERE id = $6 AND version = $7",
    )
    .bind(m.to.as_str())
    .bind(fulfilled)
    .bind(i64::from(fulfilled > quantity))
    .bind(reason)
    .bind(t)
    .bind(id)
    .bind(m.version)
    .execute(&mut *tx)
    .await?;
    event(&mut tx, id, Some(from), m.to, actor.user_id, t, &m.note).await?;
    let detail = format!(
        "{} -> {} fulfilled={fulfilled}",
        from.as_str(),
        m.to.as_str()
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.need.move", "supply_need", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves a need within a delivery's transaction: `fulfilled` counts when delivered. A need that
/// cannot make the move (cancelled meanwhile, already delivered) refuses the whole delivery move.
pub(crate) async fn move_with_delivery(
    tx: &mut Tx,
    need: i64,
    to: NeedStatus,
    fulfilled: i64,
    by: i64,
    at: i64,
    note: &str,
) -> StoreResult<()> {
    let (status, quantity): (String, i64) =
        sqlx::query_as("SELECT status, quantity FROM supply_needs WHERE id = $1")
            .bind(need)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    let from = NeedStatus::parse(&status).ok_or(StoreError::Conflict)?;
    if from == to {
        return Ok(());
    }
    if !from.can_become(to) {
        return Err(StoreError::Invalid {
            field: "lines",
            code: "need_not_open",
        });
    }
    sqlx::query(
        "UPDATE supply_needs SET status = $1, fulfilled = $2, over_delivery_confirmed = $3, \
         updated_at = $4, version = version + 1 WHERE id = $5",
    )
    .bind(to.as_str())
    .bind(fulfilled)
    .bind(i64::from(fulfilled > quantity))
    .bind(at)
    .bind(need)
    .execute(&mut **tx)
    .await?;
    event(tx, need, Some(from), to, by, at, note).await
}

/// A need's moves, oldest first: (from, to, by whom, when, note).
pub async fn history(
    db: &Db,
    id: i64,
) -> StoreResult<Vec<(Option<String>, String, String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT e.from_status, e.to_status, u.display_name, e.at, e.note FROM supply_need_events e \
         JOIN users u ON u.id = e.by_user WHERE e.need_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?)
}
