//! Supplies (物资): the shared catalogue, each community's limits, and its store's stock as the
//! ledger gives it. The ledger itself is in [`ledger`].

pub mod deliveries;
pub mod donations;
pub mod ledger;
pub mod needs;
pub mod purchases;

use super::registry::Actor;
use super::scope::UNITS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, audit, now};

/// An item of the catalogue.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub usual_quantity: Option<i64>,
    pub retired_at: Option<i64>,
    pub version: i64,
}

/// An item to add to the catalogue.
#[derive(Clone, Debug)]
pub struct NewItem {
    pub name: String,
    pub category: shouhu_domain::supplies::ItemCategory,
    pub unit: String,
    pub usual_quantity: Option<i64>,
}

/// The whole catalogue, items in use first, by category and name.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn items(db: &Db) -> StoreResult<Vec<Item>> {
    Ok(sqlx::query_as(
        "SELECT id, name, category, unit, usual_quantity, retired_at, version FROM supply_items \
         ORDER BY (retired_at IS NOT NULL), category, name",
    )
    .fetch_all(&db.pool)
    .await?)
}

/// One item, or NotFound.
pub async fn item(db: &Db, id: i64) -> StoreResult<Item> {
    sqlx::query_as(
        "SELECT id, name, category, unit, usual_quantity, retired_at, version FROM supply_items \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Adds an item; a name already in the catalogue is refused (the one item is shared by all).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_item(db: &Db, actor: &Actor, n: &NewItem) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM supply_items WHERE name = $1")
        .bind(&n.name)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::Invalid {
            field: "name",
            code: "duplicate_item",
        });
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supply_items (name, category, unit, usual_quantity, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&n.name)
    .bind(n.category.as_str())
    .bind(&n.unit)
    .bind(n.usual_quantity)
    .bind(actor.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let detail = format!("name={} unit={}", n.name, n.unit);
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.item.create", "supply_item", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes an item out of use (or back): kept for the ledger's history, offered no more for new needs.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn retire_item(
    db: &Db,
    actor: &Actor,
    id: i64,
    version: i64,
    retired: bool,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let at = retired.then(now);
    let done = sqlx::query(
        "UPDATE supply_items SET retired_at = $1, version = version + 1 WHERE id = $2 AND version = $3",
    )
    .bind(at)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        item(db, id).await?;
        return Err(StoreError::Conflict);
    }
    let action = match retired {
        true => "supplies.item.retire",
        false => "supplies.item.restore",
    };
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(action, "supply_item", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A community of the caller's jurisdiction (its own, or the one above their grids), or NotFound.
pub async fn community(db: &Db, scope: &Scope, id: i64) -> StoreResult<(i64, String)> {
    let sql = format!(
        "SELECT c.id, c.name FROM org_units c WHERE c.id = $2 AND c.kind = 'community' \
         AND (c.id IN ({UNITS_OF_USER}) OR EXISTS (SELECT 1 FROM org_units g WHERE g.parent_id = c.id \
         AND g.id IN ({UNITS_OF_USER})))"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Whether the caller works the store of `community`: a leader of it, or a member of its logistics
/// group (后勤保障组).
pub async fn works_store(db: &Db, scope: &Scope, community: i64) -> StoreResult<bool> {
    use shouhu_domain::Role;
    Ok(match scope.role {
        Role::CommunityLeader => {
            let sql =
                format!("SELECT COUNT(*) FROM ({UNITS_OF_USER}) u WHERE u.descendant_id = $2");
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(scope.user_id)
                .bind(community)
                .fetch_one(&db.pool)
                .await?;
            n > 0
        }
        Role::TeamMember => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM teams t JOIN team_members m ON m.team_id = t.id \
                 WHERE t.community_id = $1 AND t.kind = 'logistics' AND m.user_id = $2",
            )
            .bind(community)
            .bind(scope.user_id)
            .fetch_one(&db.pool)
            .await?;
            n > 0
        }
        _ => false,
    })
}

/// A line of a store's stock: the item, what the ledger holds, and the community's limits.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StockLine {
    pub item_id: i64,
    pub name: String,
    pub category: String,
    pub unit: String,
    pub balance: i64,
    pub household_cap: Option<i64>,
    pub min_stock: Option<i64>,
    /// When the last goods moved; when the last stocktake was.
    pub last_at: Option<i64>,
    pub frozen_at: Option<i64>,
}

impl StockLine {
    /// Under the minimum the community set.
    pub fn low(&self) -> bool {
        self.min_stock.is_some_and(|m| self.balance < m)
    }
}

/// Every item in use (and any retired one still held) with the store's balance; low ones first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn stock(db: &Db, community: i64) -> StoreResult<Vec<StockLine>> {
    Ok(sqlx::query_as(
        "SELECT i.id AS item_id, i.name, i.category, i.unit, COALESCE(s.balance, 0) AS balance, \
         l.household_cap, l.min_stock, s.last_at, s.frozen_at FROM supply_items i \
         LEFT JOIN supply_stock s ON s.item_id = i.id AND s.community_id = $1 \
         LEFT JOIN supply_limits l ON l.item_id = i.id AND l.community_id = $1 \
         WHERE i.retired_at IS NULL OR COALESCE(s.balance, 0) > 0 \
         ORDER BY CASE WHEN COALESCE(s.balance, 0) < COALESCE(l.min_stock, -1) THEN 0 ELSE 1 END, \
         i.category, i.name",
    )
    .bind(community)
    .fetch_all(&db.pool)
    .await?)
}

/// Sets (or clears) a community's cap per household and minimum stock of an item.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_limits(
    db: &Db,
    actor: &Actor,
    community: i64,
    item_id: i64,
    household_cap: Option<i64>,
    min_stock: Option<i64>,
) -> StoreResult<()> {
    item(db, item_id).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO supply_limits (community_id, item_id, household_cap, min_stock, updated_by, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (community_id, item_id) DO UPDATE \
         SET household_cap = excluded.household_cap, min_stock = excluded.min_stock, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(community)
    .bind(item_id)
    .bind(household_cap)
    .bind(min_stock)
    .bind(actor.user_id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "community={community} cap={} min={}",
        household_cap.map_or("-".into(), |v| v.to_string()),
        min_stock.map_or("-".into(), |v| v.to_string())
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.limits", "supply_item", item_id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Refuses an item not in the catalogue or retired, naming `field`.
pub(crate) async fn known_item(
    tx: &mut super::Tx,
    item: i64,
    field: &'static str,
) -> StoreResult<()> {
    let retired: Option<Option<i64>> =
        sqlx::query_scalar("SELECT retired_at FROM supply_items WHERE id = $1")
            .bind(item)
            .fetch_optional(&mut **tx)
            .await?;
    match retired {
        None => Err(StoreError::Invalid {
            field,
            code: "unknown_item",
        }),
        Some(Some(_)) => Err(StoreError::Invalid {
            field,
            code: "retired_item",
        }),
        Some(None) => Ok(()),
    }
}

pub(crate) use super::replayed;
