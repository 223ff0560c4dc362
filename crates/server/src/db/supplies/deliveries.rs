//! Door deliveries (配送到户): scheduled → out → delivered | failed → rescheduled. Going out takes
//! the goods from the store's ledger and bringing back a failed delivery returns them, in the same
//! transaction as the move; the household's needs the delivery fills move with it. A household in
//! home isolation is delivered to without contact: left at the door and confirmed by phone.

use shouhu_domain::delivery::{DeliveryFailure, DeliveryStatus};
use shouhu_domain::supplies::{MovementKind, NeedStatus};

use super::super::registry::Actor;
use super::super::{Db, StoreError, StoreResult, Tx, audit, now};
use super::ledger::{self, NewMovement};
use super::{donations, known_item, needs};

/// A line of a delivery to schedule.
#[derive(Clone, Debug)]
pub struct NewLine {
    pub item_id: i64,
    pub quantity: i64,
    /// The household's need it fills.
    pub need_id: Option<i64>,
    /// The donation the goods come from.
    pub donation_id: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub community_id: i64,
    pub household_id: i64,
    pub scheduled_for: i64,
    pub courier: String,
    /// Asked for without contact (always so for a household in home isolation).
    pub contactless: bool,
    pub due_fen: i64,
    pub note: String,
    pub lines: Vec<NewLine>,
    pub idempotency_key: String,
    pub request_hash: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: i64,
    pub household_id: i64,
    pub address: String,
    pub status: String,
    pub scheduled_for: i64,
    pub isolated: i64,
    pub contactless: i64,
    pub courier: String,
    pub attempts: i64,
    pub out_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub received_by: String,
    pub phone_confirmed: i64,
    pub failure: String,
    pub due_fen: i64,
    pub collected_fen: Option<i64>,
    pub note: String,
    pub created_by_name: String,
    pub version: i64,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Line {
    pub id: i64,
    pub delivery_id: i64,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    pub need_id: Option<i64>,
    pub donation_id: Option<i64>,
    /// The donor whose goods these are.
    pub donor: Option<String>,
}

const SELECT: &str = "SELECT d.id, d.community_id, d.grid_id, d.household_id, h.address, d.status, \
     d.scheduled_for, d.isolated, d.contactless, d.courier, d.attempts, d.out_at, d.delivered_at, \
     d.received_by, d.phone_confirmed, d.failure, d.due_fen, d.collected_fen, d.note, \
     u.display_name AS created_by_name, d.version FROM supply_deliveries d \
     JOIN households h ON h.id = d.household_id JOIN users u ON u.id = d.created_by";

const LINE_SELECT: &str = "SELECT l.id, l.delivery_id, l.item_id, i.name AS item_name, i.unit, \
     l.quantity, l.need_id, l.donation_id, o.donor FROM supply_delivery_lines l \
     JOIN supply_items i ON i.id = l.item_id LEFT JOIN supply_donations o ON o.id = l.donation_id";

/// Whether a household has an active home isolation now.
async fn isolated(tx: &mut Tx, household: i64) -> StoreResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM quarantines WHERE household_id = $1 AND kind = 'home' \
         AND status = 'active'",
    )
    .bind(household)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// Checks a line against the household's needs, the donation it names and the stock now (a
/// delivery of more than the store holds is refused already when scheduled; going out decides).
async fn check_line(tx: &mut Tx, community: i64, household: i64, l: &NewLine) -> StoreResult<()> {
    known_item(tx, l.item_id, "lines").await?;
    let bad = |code| StoreError::Invalid {
        field: "lines",
        code,
    };
    if let Some(need) = l.need_id {
        let row: Option<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT household_id, item_id, quantity, status FROM supply_needs WHERE id = $1",
        )
        .bind(need)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((h, item, quantity, status)) = row else {
            return Err(bad("unknown_need"));
        };
        if h != household || item != l.item_id {
            return Err(bad("unknown_need"));
        }
        if !matches!(status.as_str(), "requested" | "committed") {
            return Err(bad("need_not_open"));
        }
        if l.quantity > quantity {
            return Err(bad("more_than_needed"));
        }
        let taken: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM supply_delivery_lines l JOIN supply_deliveries d \
             ON d.id = l.delivery_id WHERE l.need_id = $1 \
             AND d.status IN ('scheduled','out','failed')",
        )
        .bind(need)
        .fetch_one(&mut **tx)
        .await?;
        if taken > 0 {
            return Err(bad("need_already_scheduled"));
        }
    }
    if let Some(donation) = l.donation_id {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM supply_donation_lines l JOIN supply_donations d \
             ON d.id = l.donation_id WHERE d.id = $1 AND d.community_id = $2 AND l.item_id = $3",
        )
        .bind(donation)
        .bind(community)
        .bind(l.item_id)
        .fetch_one(&mut **tx)
        .await?;
        if n == 0 {
            return Err(bad("unknown_donation"));
        }
        if donations::left(tx, donation, l.item_id).await? < l.quantity {
            return Err(bad("donation_exhausted"));
        }
    }
    let balance: Option<i64> = sqlx::query_scalar(
        "SELECT balance FROM supply_stock WHERE community_id = $1 AND item_id = $2",
    )
    .bind(community)
    .bind(l.item_id)
    .fetch_optional(&mut **tx)
    .await?;
    if balance.unwrap_or(0) < l.quantity {
        return Err(bad("insufficient_stock"));
    }
    Ok(())
}

async fn event(
    tx: &mut Tx,
    delivery: i64,
    from: Option<DeliveryStatus>,
    to: DeliveryStatus,
    by: i64,
    at: i64,
    note: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO supply_delivery_events (delivery_id, from_status, to_status, by_user, at, note) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(delivery)
    .bind(from.map(DeliveryStatus::as_str))
    .bind(to.as_str())
    .bind(by)
    .bind(at)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Schedules a delivery to a household of `community`; the needs it fills become committed.
/// Returns its id and whether this was a replay. A household of another community: NotFound.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, actor: &Actor, d: &NewDelivery) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    if let Some(id) = super::replayed(
        &mut tx,
        "supply_deliveries",
        actor,
        &d.idempotency_key,
        &d.request_hash,
    )
    .await?
    {
        return Ok((id, true));
    }
    let grid: i64 = sqlx::query_scalar(
        "SELECT h.grid_id FROM households h JOIN org_units g ON g.id = h.grid_id \
         WHERE h.id = $1 AND h.deleted_at IS NULL AND g.parent_id = $2",
    )
    .bind(d.household_id)
    .bind(d.community_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    for l in &d.lines {
        check_line(&mut tx, d.community_id, d.household_id, l).await?;
    }
    let isolated = isolated(&mut tx, d.household_id).await?;
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supply_deliveries (community_id, grid_id, household_id, status, scheduled_for, \
         isolated, contactless, courier, due_fen, note, created_by, created_at, updated_at, \
         idempotency_key, request_hash) VALUES ($1, $2, $3, 'scheduled', $4, $5, $6, $7, $8, $9, \
         $10, $11, $11, $12, $13) RETURNING id",
    )
    .bind(d.community_id)
    .bind(grid)
    .bind(d.household_id)
    .bind(d.scheduled_for)
    .bind(i64::from(isolated))
    .bind(i64::from(isolated || d.contactless))
    .bind(&d.courier)
    .bind(d.due_fen)
    .bind(&d.note)
    .bind(actor.user_id)
    .bind(t)
    .bind(&d.idempotency_key)
    .bind(&d.request_hash)
    .fetch_one(&mut *tx)
    .await?;
    for l in &d.lines {
        sqlx::query(
            "INSERT INTO supply_delivery_lines (delivery_id, item_id, quantity, need_id, donation_id) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(l.item_id)
        .bind(l.quantity)
        .bind(l.need_id)
        .bind(l.donation_id)
        .execute(&mut *tx)
        .await?;
        if let Some(need) = l.need_id {
            let note = format!("配送 #{id}");
            needs::move_with_delivery(
                &mut tx,
                need,
                NeedStatus::Committed,
                0,
                actor.user_id,
                t,
                &note,
            )
            .await?;
        }
    }
    event(
        &mut tx,
        id,
        None,
        DeliveryStatus::Scheduled,
        actor.user_id,
        t,
        "",
    )
    .await?;
    let detail = format!(
        "household={} lines={} isolated={isolated}",
        d.household_id,
        d.lines.len()
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.delivery.create", "supply_delivery", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

/// The store a delivery belongs to, or NotFound.
pub async fn community_of(db: &Db, id: i64) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT community_id FROM supply_deliveries WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A delivery of `community` with its lines, or NotFound.
pub async fn get(db: &Db, community: i64, id: i64) -> StoreResult<(Delivery, Vec<Line>)> {
    let sql = format!("{SELECT} WHERE d.id = $1 AND d.community_id = $2");
    let d: Delivery = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(community)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let sql = format!("{LINE_SELECT} WHERE l.delivery_id = $1 ORDER BY l.id");
    let lines = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(&db.pool)
        .await?;
    Ok((d, lines))
}

/// Which deliveries of a community to list.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    /// Scheduled within [from, to) (unix seconds).
    pub between: Option<(i64, i64)>,
    pub household_id: Option<i64>,
    pub status: Option<DeliveryStatus>,
}

/// The deliveries of `community` by the filter, soonest first, each with its lines.
pub async fn list(
    db: &Db,
    community: i64,
    f: &DeliveryFilter,
    limit: i64,
) -> StoreResult<Vec<(Delivery, Vec<Line>)>> {
    // Only integers and a status name known to the domain are written into the statement.
    let mut filter = String::from("d.community_id = $1");
    if let Some((from, to)) = f.between {
        filter.push_str(&format!(
            " AND d.scheduled_for >= {from} AND d.scheduled_for < {to}"
        ));
    }
    if let Some(h) = f.household_id {
        filter.push_str(&format!(" AND d.household_id = {h}"));
    }
    if let Some(s) = f.status {
        filter.push_str(&format!(" AND d.status = '{}'", s.as_str()));
    }
    let sql = format!("{SELECT} WHERE {filter} ORDER BY d.scheduled_for, d.id LIMIT {limit}");
    let rows: Vec<Delivery> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(community)
        .fetch_all(&db.pool)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|d| d.id.to_string()).collect();
    let sql = format!(
        "{LINE_SELECT} WHERE l.delivery_id IN ({}) ORDER BY l.id",
        ids.join(",")
    );
    let mut lines: Vec<Line> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|d| {
            let (mine, rest) = lines.drain(..).partition(|l| l.delivery_id == d.id);
            lines = rest;
            (d, mine)
        })
        .collect())
}

/// A move of a delivery.
#[derive(Clone, Debug, Default)]
pub struct DeliveryMove {
    pub to: Option<DeliveryStatus>,
    pub version: i64,
    /// Rescheduled: when.
    pub scheduled_for: Option<i64>,
    /// Out: who takes it (kept when left empty).
    pub courier: String,
    /// Delivered: to whom it was handed.
    pub received_by: String,
    /// Delivered without contact: the household confirmed by phone that it took the goods in.
    pub phone_confirmed: bool,
    /// Delivered: the money collected for paid goods (fen).
    pub collected_fen: Option<i64>,
    pub failure: Option<DeliveryFailure>,
    pub note: String,
}

/// Moves a delivery of `community`: out takes its goods from the store, failed brings them back,
/// and the needs it fills move with it — all in one transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transition(
    db: &Db,
    actor: &Actor,
    community: i64,
    id: i64,
    m: &DeliveryMove,
) -> StoreResult<()> {
    let Some(to) = m.to else {
        return Err(StoreError::Invalid {
            field: "to",
            code: "required",
        });
    };
    let (d, lines) = get(db, community, id).await?;
    if d.version != m.version {
        return Err(StoreError::Conflict);
    }
    let from = DeliveryStatus::parse(&d.status).ok_or(StoreError::Conflict)?;
    if !from.can_become(to) {
        return Err(StoreError::Invalid {
            field: "to",
            code: "not_allowed_now",
        });
    }
    let required = |field| StoreError::Invalid {
        field,
        code: "required",
    };
    let contactless = d.contactless != 0;
    match to {
        DeliveryStatus::Delivered if contactless && !m.phone_confirmed => {
            return Err(required("phone_confirmed"));
        }
        DeliveryStatus::Delivered if !contactless && m.received_by.trim().is_empty() => {
            return Err(required("received_by"));
        }
        DeliveryStatus::Delivered if d.due_fen > 0 && m.collected_fen.is_none() => {
            return Err(required("collected_fen"));
        }
        DeliveryStatus::Failed if m.failure.is_none() => return Err(required("failure")),
        DeliveryStatus::Scheduled if m.scheduled_for.is_none() => {
            return Err(required("scheduled_for"));
        }
        _ => {}
    }
    let mut tx = db.begin_write().await?;
    let t = now();
    let note = format!("配送 #{id}");
    // The move is claimed first (by version), so a second sender of the same move waits on the
    // row and then finds it changed, before any goods move.
    let courier = match m.courier.trim() {
        "" => d.courier.clone(),
        c => c.to_string(),
    };
    let done = sqlx::query(
        "UPDATE supply_deliveries SET status = $1, courier = $2, \
         out_at = CASE WHEN $1 = 'out' THEN $3 ELSE out_at END, \
         delivered_at = CASE WHEN $1 = 'delivered' THEN $3 ELSE delivered_at END, \
         received_by = CASE WHEN $1 = 'delivered' THEN $4 ELSE received_by END, \
         phone_confirmed = CASE WHEN $1 = 'delivered' THEN $5 ELSE phone_confirmed END, \
         collected_fen = CASE WHEN $1 = 'delivered' THEN $6 ELSE collected_fen END, \
         failure = CASE WHEN $1 = 'failed' THEN $7 WHEN $1 = 'scheduled' THEN '' ELSE failure END, \
         scheduled_for = CASE WHEN $1 = 'scheduled' THEN $8 ELSE scheduled_for END, \
         attempts = CASE WHEN $1 = 'scheduled' THEN attempts + 1 ELSE attempts END, \
         updated_at = $3, version = version + 1 WHERE id = $9 AND version = $10",
    )
    .bind(to.as_str())
    .bind(&courier)
    .bind(t)
    .bind(m.received_by.trim())
    .bind(i64::from(m.phone_confirmed))
    .bind(m.collected_fen)
    .bind(m.failure.map_or("", DeliveryFailure::as_str))
    .bind(m.scheduled_for.unwrap_or(d.scheduled_for))
    .bind(id)
    .bind(m.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    for l in &lines {
        let goods = match to {
            DeliveryStatus::Out => Some((MovementKind::DeliveryOut, -l.quantity, "out")),
            DeliveryStatus::Failed => Some((MovementKind::DeliveryReturn, l.quantity, "back")),
            _ => None,
        };
        if let Some((kind, quantity, leg)) = goods {
            let mut mv =
                NewMovement::plain(community, l.item_id, kind, quantity, t, d.address.clone());
            mv.idempotency_key = format!("delivery-{id}-{}-{leg}-{}", d.attempts, l.id);
            mv.donation_id = l.donation_id;
            mv.delivery_id = Some(id);
            ledger::write(&mut tx, db.backend, actor, &mv, None, None).await?;
            if let Some(donation) = l.donation_id
                && donations::left(&mut tx, donation, l.item_id).await? < 0
            {
                return Err(StoreError::Invalid {
                    field: "lines",
                    code: "donation_exhausted",
                });
            }
        }
        let need_to = match to {
            DeliveryStatus::Out => Some((NeedStatus::InTransit, 0)),
            DeliveryStatus::Delivered => Some((NeedStatus::Delivered, l.quantity)),
            DeliveryStatus::Failed => Some((NeedStatus::Committed, 0)),
            DeliveryStatus::Cancelled => Some((NeedStatus::Requested, 0)),
            DeliveryStatus::Scheduled => None,
        };
        if let (Some(need), Some((status, fulfilled))) = (l.need_id, need_to) {
            needs::move_with_delivery(&mut tx, need, status, fulfilled, actor.user_id, t, &note)
                .await?;
        }
    }
    event(&mut tx, id, Some(from), to, actor.user_id, t, &m.note).await?;
    let detail = format!("{} -> {}", from.as_str(), to.as_str());
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.delivery.move", "supply_delivery", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An open need of a household not yet on any delivery.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Waiting {
    pub need_id: i64,
    pub household_id: i64,
    pub address: String,
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    pub paid: i64,
    pub day: String,
    /// The household is in home isolation now.
    pub isolated: i64,
}

/// The open needs of `community` that no delivery carries yet: isolated households first, then
/// the longest waiting.
pub async fn waiting(db: &Db, community: i64, limit: i64) -> StoreResult<Vec<Waiting>> {
    let sql = format!(
        "SELECT n.id AS need_id, n.household_id, h.address, n.item_id, i.name AS item_name, i.unit, \
         n.quantity, n.paid, n.day, CASE WHEN EXISTS (SELECT 1 FROM quarantines q \
           WHERE q.household_id = n.household_id AND q.kind = 'home' AND q.status = 'active') \
           THEN 1 ELSE 0 END AS isolated \
         FROM supply_needs n JOIN households h ON h.id = n.household_id \
         JOIN supply_items i ON i.id = n.item_id \
         WHERE n.community_id = $1 AND n.status IN ('requested','committed') \
         AND NOT EXISTS (SELECT 1 FROM supply_delivery_lines l JOIN supply_deliveries d \
           ON d.id = l.delivery_id WHERE l.need_id = n.id AND d.status IN ('scheduled','out','failed')) \
         ORDER BY isolated DESC, n.created_at, n.id LIMIT {limit}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(community)
        .fetch_all(&db.pool)
        .await?)
}

/// A delivery's moves, oldest first: (from, to, by whom, when, note).
pub async fn history(
    db: &Db,
    id: i64,
) -> StoreResult<Vec<(Option<String>, String, String, i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT e.from_status, e.to_status, u.display_name, e.at, e.note FROM supply_delivery_events e \
         JOIN users u ON u.id = e.by_user WHERE e.delivery_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?)
}
