//! Purchase runs (采购): planned → shopping → returned → reconciled. What was bought is written down
//! while planned or shopping; on return each line enters the store's ledger as goods bought in;
//! reconciliation is refused unless the cash advanced equals what was spent and the change brought
//! back, in fen.

use shouhu_domain::supplies::{MovementKind, PurchaseStatus, cash_balances};

use super::super::registry::Actor;
use super::super::{Db, StoreError, StoreResult, audit, now};
use super::ledger::{self, NewMovement};

/// A run to plan.
#[derive(Clone, Debug)]
pub struct NewPurchase {
    pub community_id: i64,
    pub place: String,
    pub buyers: String,
    pub planned_for: i64,
    pub cash_advanced_fen: i64,
    pub note: String,
    pub idempotency_key: String,
    pub request_hash: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Purchase {
    pub id: i64,
    pub community_id: i64,
    pub status: String,
    pub place: String,
    pub buyers: String,
    pub planned_for: i64,
    pub started_at: Option<i64>,
    pub returned_at: Option<i64>,
    pub reconciled_at: Option<i64>,
    pub cash_advanced_fen: i64,
    pub spent_fen: Option<i64>,
    pub change_returned_fen: Option<i64>,
    pub receipts_note: String,
    pub note: String,
    pub created_by_name: String,
    pub version: i64,
    /// What the lines add up to now.
    pub lines_fen: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Line {
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub total_fen: i64,
}

/// A line as written down: the total as on the receipt (or quantity × unit price).
#[derive(Clone, Debug)]
pub struct NewLine {
    pub item_id: i64,
    pub quantity: i64,
    pub unit_price_fen: i64,
    pub total_fen: i64,
}

const SELECT: &str = "SELECT p.id, p.community_id, p.status, p.place, p.buyers, p.planned_for, \
     p.started_at, p.returned_at, p.reconciled_at, p.cash_advanced_fen, p.spent_fen, \
     p.change_returned_fen, p.receipts_note, p.note, u.display_name AS created_by_name, p.version, \
     CAST(COALESCE((SELECT SUM(l.total_fen) FROM supply_purchase_lines l WHERE l.purchase_id = p.id), 0) \
     AS BIGINT) AS lines_fen FROM supply_purchases p JOIN users u ON u.id = p.created_by";

/// Plans a run. Returns its id and whether this was a replay.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, actor: &Actor, p: &NewPurchase) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    if let Some(id) = super::replayed(
        &mut tx,
        "supply_purchases",
        actor,
        &p.idempotency_key,
        &p.request_hash,
    )
    .await?
    {
        return Ok((id, true));
    }
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supply_purchases (community_id, status, place, buyers, planned_for, \
         cash_advanced_fen, note, created_by, created_at, updated_at, idempotency_key, request_hash) \
         VALUES ($1, 'planned', $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) RETURNING id",
    )
    .bind(p.community_id)
    .bind(&p.place)
    .bind(&p.buyers)
    .bind(p.planned_for)
    .bind(p.cash_advanced_fen)
    .bind(&p.note)
    .bind(actor.user_id)
    .bind(t)
    .bind(&p.idempotency_key)
    .bind(&p.request_hash)
    .fetch_one(&mut *tx)
    .await?;
    let detail = format!("place={} cash_fen={}", p.place, p.cash_advanced_fen);
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.purchase.create", "supply_purchase", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

/// The store a run belongs to, or NotFound.
pub async fn community_of(db: &Db, id: i64) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT community_id FROM supply_purchases WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A run of `community`, or NotFound.
pub async fn get(db: &Db, community: i64, id: i64) -> StoreResult<(Purchase, Vec<Line>)> {
    let sql = format!("{SELECT} WHERE p.id = $1 AND p.community_id = $2");
    let p: Purchase = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(community)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let lines = sqlx::query_as(
        "SELECT l.item_id, i.name AS item_name, i.unit, l.quantity, l.unit_price_fen, l.total_fen \
         FROM supply_purchase_lines l JOIN supply_items i ON i.id = l.item_id \
         WHERE l.purchase_id = $1 ORDER BY i.category, i.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    Ok((p, lines))
}

/// The runs of `community`, the latest planned first.
pub async fn list(db: &Db, community: i64, limit: i64) -> StoreResult<Vec<Purchase>> {
    let sql = format!(
        "{SELECT} WHERE p.community_id = $1 ORDER BY p.planned_for DESC, p.id DESC LIMIT {limit}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(community)
        .fetch_all(&db.pool)
        .await?)
}

/// Writes down what the run bought (replacing what was written), while planned or shopping.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_lines(
    db: &Db,
    actor: &Actor,
    community: i64,
    id: i64,
    version: i64,
    lines: &[NewLine],
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let status: Option<(String, i64)> = sqlx::query_as(
        "SELECT status, version FROM supply_purchases WHERE id = $1 AND community_id = $2",
    )
    .bind(id)
    .bind(community)
    .fetch_optional(&mut *tx)
    .await?;
    let (status, current) = status.ok_or(StoreError::NotFound)?;
    if current != version {
        return Err(StoreError::Conflict);
    }
    if !PurchaseStatus::parse(&status).is_some_and(PurchaseStatus::lines_open) {
        return Err(StoreError::Invalid {
            field: "lines",
            code: "not_allowed_now",
        });
    }
    sqlx::query("DELETE FROM supply_purchase_lines WHERE purchase_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for l in lines {
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM supply_items WHERE id = $1")
            .bind(l.item_id)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::Invalid {
                field: "lines",
                code: "unknown_item",
            });
        }
        sqlx::query(
            "INSERT INTO supply_purchase_lines (purchase_id, item_id, quantity, unit_price_fen, \
             total_fen) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(l.item_id)
        .bind(l.quantity)
        .bind(l.unit_price_fen)
        .bind(l.total_fen)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE supply_purchases SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let detail = format!("lines={}", lines.len());
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.purchase.lines", "supply_purchase", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A move of a run.
#[derive(Clone, Debug)]
pub struct PurchaseMove {
    pub to: PurchaseStatus,
    pub version: i64,
    /// Reconciled: the change brought back.
    pub change_returned_fen: Option<i64>,
    pub receipts_note: String,
}

/// Moves a run: on return its lines enter the ledger (in the same transaction); reconciliation
/// only when the cash adds up.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transition(
    db: &Db,
    actor: &Actor,
    community: i64,
    id: i64,
    m: &PurchaseMove,
) -> StoreResult<()> {
    let (p, lines) = get(db, community, id).await?;
    if p.version != m.version {
        return Err(StoreError::Conflict);
    }
    let mut tx = db.begin_write().await?;
    let from = PurchaseStatus::parse(&p.status).ok_or(StoreError::Conflict)?;
    if !from.can_become(m.to) {
        return Err(StoreError::Invalid {
            field: "to",
            code: "not_allowed_now",
        });
    }
    let t = now();
    let (mut spent, mut change) = (p.spent_fen, p.change_returned_fen);
    match m.to {
        PurchaseStatus::Returned => {
            if lines.is_empty() {
                return Err(StoreError::Invalid {
                    field: "lines",
                    code: "required",
                });
            }
            for l in &lines {
                let mv = NewMovement {
                    community_id: community,
                    item_id: l.item_id,
                    kind: MovementKind::PurchaseIn,
                    quantity: l.quantity,
                    at: t,
                    reason: p.place.clone(),
                    idempotency_key: format!("purchase-{id}-{}", l.item_id),
                    request_hash: String::new(),
                    purchase_id: Some(id),
                    donation_id: None,
                    delivery_id: None,
                };
                ledger::write(&mut tx, db.backend, actor, &mv, None, None).await?;
            }
        }
        PurchaseStatus::Reconciled => {
            let Some(c) = m.change_returned_fen else {
                return Err(StoreError::Invalid {
                    field: "change_returned_fen",
                    code: "required",
                });
            };
            if !cash_balances(p.cash_advanced_fen, p.lines_fen, c) {
                return Err(StoreError::Invalid {
                    field: "change_returned_fen",
                    code: "cash_does_not_balance",
                });
            }
            (spent, change) = (Some(p.lines_fen), Some(c));
        }
        _ => {}
    }
    let receipts = match m.receipts_note.trim() {
        "" => p.receipts_note.clone(),
        r => r.to_string(),
    };
    let done = sqlx::query(
        "UPDATE supply_purchases SET status = $1, \
         started_at = CASE WHEN $1 = 'shopping' THEN $2 ELSE started_at END, \
         returned_at = CASE WHEN $1 = 'returned' THEN $2 ELSE returned_at END, \
         reconciled_at = CASE WHEN $1 = 'reconciled' THEN $2 ELSE reconciled_at END, \
         spent_fen = $3, change_returned_fen = $4, receipts_note = $5, updated_at = $2, \
         version = version + 1 WHERE id = $6 AND version = $7",
    )
    .bind(m.to.as_str())
    .bind(t)
    .bind(spent)
    .bind(change)
    .bind(&receipts)
    .bind(id)
    .bind(m.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    let detail = format!("{} -> {}", from.as_str(), m.to.as_str());
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.purchase.move", "supply_purchase", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
