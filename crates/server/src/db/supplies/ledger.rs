//! The stock ledger (台账) of each community store: append-only movements, each admitted only if
//! the store holds at least nothing of the item at every instant after it — a movement written
//! late for an earlier time included. The balance kept in `supply_stock` is changed in the same
//! transaction as the ledger and its row is locked first, so two taking the last units are decided
//! one after the other.

use shouhu_domain::supplies::{MovementKind, admits};

use super::super::registry::Actor;
use super::super::{Backend, Db, StoreError, StoreResult, Tx, audit, now};

/// How far ahead of the server's clock a movement's time may be (a phone's clock a little fast).
const FUTURE_SKEW_SECONDS: i64 = 300;

/// A movement to write.
#[derive(Clone, Debug)]
pub struct NewMovement {
    pub community_id: i64,
    pub item_id: i64,
    pub kind: MovementKind,
    /// Signed: goods in positive, out negative.
    pub quantity: i64,
    /// When the goods moved (unix seconds).
    pub at: i64,
    pub reason: String,
    pub idempotency_key: String,
    pub request_hash: String,
    /// The purchase run whose goods these are.
    pub purchase_id: Option<i64>,
    /// The donation the goods came in with or go out from: the donor stays on them to the door.
    pub donation_id: Option<i64>,
    /// The door delivery that took or brought back the goods.
    pub delivery_id: Option<i64>,
}

impl NewMovement {
    /// A movement of no purchase, donation or delivery.
    pub fn plain(
        community_id: i64,
        item_id: i64,
        kind: MovementKind,
        quantity: i64,
        at: i64,
        reason: String,
    ) -> NewMovement {
        NewMovement {
            community_id,
            item_id,
            kind,
            quantity,
            at,
            reason,
            idempotency_key: String::new(),
            request_hash: String::new(),
            purchase_id: None,
            donation_id: None,
            delivery_id: None,
        }
    }
}

/// A movement as the ledger lists it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Movement {
    pub id: i64,
    pub community_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub kind: String,
    pub quantity: i64,
    pub at: i64,
    pub counted: Option<i64>,
    pub reverses_id: Option<i64>,
    /// The movement that undid this one, if any.
    pub reversed_by: Option<i64>,
    pub reason: String,
    pub recorded_by_name: String,
    pub recorded_at: i64,
}

const MOVEMENT_SELECT: &str = "SELECT m.id, m.community_id, m.item_id, i.name AS item_name, i.unit, \
     m.kind, m.quantity, m.at, m.counted, m.reverses_id, r.id AS reversed_by, m.reason, \
     u.display_name AS recorded_by_name, m.recorded_at FROM supply_movements m \
     JOIN supply_items i ON i.id = m.item_id JOIN users u ON u.id = m.recorded_by \
     LEFT JOIN supply_movements r ON r.reverses_id = m.id";

/// The store's row of an item, locked for the rest of the transaction: (balance, frozen_at).
async fn lock_stock(
    tx: &mut Tx,
    backend: Backend,
    community: i64,
    item: i64,
) -> StoreResult<(i64, Option<i64>)> {
    sqlx::query(
        "INSERT INTO supply_stock (community_id, item_id, balance, last_at) VALUES ($1, $2, 0, 0) \
         ON CONFLICT (community_id, item_id) DO NOTHING",
    )
    .bind(community)
    .bind(item)
    .execute(&mut **tx)
    .await?;
    // SQLite's write transaction already excludes every other writer.
    let sql = match backend {
        Backend::Postgres => {
            "SELECT balance, frozen_at FROM supply_stock WHERE community_id = $1 AND item_id = $2 \
             FOR UPDATE"
        }
        Backend::Sqlite => {
            "SELECT balance, frozen_at FROM supply_stock WHERE community_id = $1 AND item_id = $2"
        }
    };
    Ok(sqlx::query_as(sql)
        .bind(community)
        .bind(item)
        .fetch_one(&mut **tx)
        .await?)
}

/// The earlier movement sent with the same key by the same person: its id, or a refusal when the
/// key came with something else.
async fn replayed(tx: &mut Tx, actor: &Actor, key: &str, hash: &str) -> StoreResult<Option<i64>> {
    let earlier: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, request_hash FROM supply_movements WHERE recorded_by = $1 AND idempotency_key = $2",
    )
    .bind(actor.user_id)
    .bind(key)
    .fetch_optional(&mut **tx)
    .await?;
    match earlier {
        Some((_, h)) if h != hash => Err(StoreError::Invalid {
            field: "idempotency_key",
            code: "idempotency_key_reused",
        }),
        Some((id, _)) => Ok(Some(id)),
        None => Ok(None),
    }
}

/// Writes a movement within `tx` after the ledger's checks: not before the item's last stocktake,
/// not in the future, and never leaving the store short at any instant. `counted` and `reverses`
/// are a stocktake's count and a reversal's original.
pub(crate) async fn write(
    tx: &mut Tx,
    backend: Backend,
    actor: &Actor,
    m: &NewMovement,
    counted: Option<i64>,
    reverses: Option<i64>,
) -> StoreResult<i64> {
    let t = now();
    if m.at > t + FUTURE_SKEW_SECONDS {
        return Err(StoreError::Invalid {
            field: "at",
            code: "in_future",
        });
    }
    let (balance, frozen_at) = lock_stock(tx, backend, m.community_id, m.item_id).await?;
    if frozen_at.is_some_and(|f| m.at < f) {
        return Err(StoreError::Invalid {
            field: "at",
            code: "before_stocktake",
        });
    }
    // Only the movements after this one's time see it: usually none (goods moving now).
    let later: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT at, quantity FROM supply_movements WHERE community_id = $1 AND item_id = $2 \
         AND at > $3 ORDER BY at, id",
    )
    .bind(m.community_id)
    .bind(m.item_id)
    .bind(m.at)
    .fetch_all(&mut **tx)
    .await?;
    if admits(balance, &later, m.at, m.quantity).is_err() {
        return Err(StoreError::Invalid {
            field: "quantity",
            code: "insufficient_stock",
        });
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supply_movements (community_id, item_id, kind, quantity, at, counted, \
         reverses_id, reason, recorded_by, recorded_at, idempotency_key, request_hash, purchase_id, donation_id, \
         delivery_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         RETURNING id",
    )
    .bind(m.community_id)
    .bind(m.item_id)
    .bind(m.kind.as_str())
    .bind(m.quantity)
    .bind(m.at)
    .bind(counted)
    .bind(reverses)
    .bind(&m.reason)
    .bind(actor.user_id)
    .bind(t)
    .bind(&m.idempotency_key)
    .bind(&m.request_hash)
    .bind(m.purchase_id)
    .bind(m.donation_id)
    .bind(m.delivery_id)
    .fetch_one(&mut **tx)
    .await?;
    let frozen = match m.kind {
        MovementKind::Stocktake => Some(m.at),
        _ => frozen_at,
    };
    sqlx::query(
        "UPDATE supply_stock SET balance = balance + $1, \
         last_at = CASE WHEN last_at > $2 THEN last_at ELSE $2 END, frozen_at = $3 \
         WHERE community_id = $4 AND item_id = $5",
    )
    .bind(m.quantity)
    .bind(m.at)
    .bind(frozen)
    .bind(m.community_id)
    .bind(m.item_id)
    .execute(&mut **tx)
    .await?;
    let detail = format!(
        "community={} item={} kind={} quantity={} at={}",
        m.community_id,
        m.item_id,
        m.kind.as_str(),
        m.quantity,
        m.at
    );
    audit::append(
        tx,
        backend,
        &actor.entry("supplies.movement", "supply_movement", id, detail),
    )
    .await?;
    Ok(id)
}

/// Writes a movement entered by hand. Returns its id and whether this was a replay of an earlier
/// send with the same key.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn post(db: &Db, actor: &Actor, m: &NewMovement) -> StoreResult<(i64, bool)> {
    super::item(db, m.item_id).await?;
    let mut tx = db.begin_write().await?;
    if let Some(id) = replayed(&mut tx, actor, &m.idempotency_key, &m.request_hash).await? {
        return Ok((id, true));
    }
    let id = write(&mut tx, db.backend, actor, m, None, None).await?;
    tx.commit().await?;
    Ok((id, false))
}

/// What was counted of an item of a store.
#[derive(Clone, Debug)]
pub struct Count {
    pub community_id: i64,
    pub item_id: i64,
    pub counted: i64,
    pub reason: String,
    pub idempotency_key: String,
    pub request_hash: String,
}

/// Sets what was counted of an item now; the difference moves, and nothing may later be entered
/// for a time before it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn stocktake(db: &Db, actor: &Actor, c: &Count) -> StoreResult<(i64, bool)> {
    super::item(db, c.item_id).await?;
    let mut tx = db.begin_write().await?;
    if let Some(id) = replayed(&mut tx, actor, &c.idempotency_key, &c.request_hash).await? {
        return Ok((id, true));
    }
    let (balance, _) = lock_stock(&mut tx, db.backend, c.community_id, c.item_id).await?;
    // Counted now, after every movement so far (one dated a little ahead included).
    let last: i64 = sqlx::query_scalar(
        "SELECT last_at FROM supply_stock WHERE community_id = $1 AND item_id = $2",
    )
    .bind(c.community_id)
    .bind(c.item_id)
    .fetch_one(&mut *tx)
    .await?;
    let m = NewMovement {
        community_id: c.community_id,
        item_id: c.item_id,
        kind: MovementKind::Stocktake,
        quantity: c.counted - balance,
        at: now().max(last),
        reason: c.reason.clone(),
        idempotency_key: c.idempotency_key.clone(),
        request_hash: c.request_hash.clone(),
        purchase_id: None,
        donation_id: None,
        delivery_id: None,
    };
    let id = write(&mut tx, db.backend, actor, &m, Some(c.counted), None).await?;
    tx.commit().await?;
    Ok((id, false))
}

/// Undoes a movement of `community` by its exact opposite, now. A stocktake, a reversal, a movement
/// already undone or one before the last stocktake (which counted what was really there) cannot be.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reverse(
    db: &Db,
    actor: &Actor,
    community: i64,
    id: i64,
    reason: &str,
    key: &str,
    hash: &str,
) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    if let Some(done) = replayed(&mut tx, actor, key, hash).await? {
        return Ok((done, true));
    }
    let original: Option<(i64, String, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT item_id, kind, quantity, at, donation_id FROM supply_movements WHERE id = $1 \
         AND community_id = $2",
    )
    .bind(id)
    .bind(community)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((item, kind, quantity, at, donation)) = original else {
        return Err(StoreError::NotFound);
    };
    // A delivery's goods move with the delivery's own states (failed brings them back).
    if kind == "stocktake" || kind == "reversal" || kind.starts_with("delivery_") {
        return Err(StoreError::Invalid {
            field: "movement",
            code: "not_reversible",
        });
    }
    let undone: Option<i64> =
        sqlx::query_scalar("SELECT id FROM supply_movements WHERE reverses_id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if undone.is_some() {
        return Err(StoreError::Invalid {
            field: "movement",
            code: "already_reversed",
        });
    }
    let (_, frozen_at) = lock_stock(&mut tx, db.backend, community, item).await?;
    if frozen_at.is_some_and(|f| at < f) {
        return Err(StoreError::Invalid {
            field: "movement",
            code: "before_stocktake",
        });
    }
    let m = NewMovement {
        community_id: community,
        item_id: item,
        kind: MovementKind::Reversal,
        quantity: -quantity,
        at: now(),
        reason: reason.to_string(),
        idempotency_key: key.to_string(),
        request_hash: hash.to_string(),
        purchase_id: None,
        // A donation undone stays its donor's: what is left of it is read by donation.
        donation_id: donation,
        delivery_id: None,
    };
    let done = write(&mut tx, db.backend, actor, &m, None, Some(id)).await?;
    tx.commit().await?;
    Ok((done, false))
}

/// A page of a store's ledger, newest first (optionally of one item), and how many in all.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn movements(
    db: &Db,
    community: i64,
    item: Option<i64>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Movement>, i64)> {
    let filter = match item {
        Some(i) => format!("m.community_id = $1 AND m.item_id = {i}"),
        None => "m.community_id = $1".to_string(),
    };
    let rows: Vec<Movement> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MOVEMENT_SELECT} WHERE {filter} ORDER BY m.at DESC, m.id DESC {}",
        super::super::limit_offset(limit, offset)
    )))
    .bind(community)
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM supply_movements m WHERE {filter}"
    )))
    .bind(community)
    .fetch_one(&db.pool)
    .await?;
    Ok((rows, total))
}

/// What the ledger itself sums to for an item of a store (the kept balance must equal it).
pub async fn ledger_sum(db: &Db, community: i64, item: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM supply_movements WHERE community_id = $1 \
         AND item_id = $2",
    )
    .bind(community)
    .bind(item)
    .fetch_one(&db.pool)
    .await?)
}
