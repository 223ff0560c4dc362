//! Donations (捐赠) from partner units (联点单位): who gave what and when. Every line enters the
//! store's ledger as goods given in, naming the donation, so the donor stays on the goods through
//! to the household's door.

use shouhu_domain::supplies::MovementKind;

use super::super::registry::Actor;
use super::super::{Db, StoreError, StoreResult, Tx, audit, now};
use super::ledger::{self, NewMovement};

/// A donation to record: the goods are in the store from `received_at`.
#[derive(Clone, Debug)]
pub struct NewDonation {
    pub community_id: i64,
    pub donor: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub received_at: i64,
    pub note: String,
    /// (item, quantity), one line per item.
    pub lines: Vec<(i64, i64)>,
    pub idempotency_key: String,
    pub request_hash: String,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Donation {
    pub id: i64,
    pub community_id: i64,
    pub community_name: String,
    pub donor: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub received_at: i64,
    pub note: String,
    pub created_by_name: String,
    pub created_at: i64,
}

/// A line of a donation and where its goods are now.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DonationLine {
    pub item_id: i64,
    pub item_name: String,
    pub unit: String,
    pub quantity: i64,
    /// Taken to households (out minus brought back).
    pub delivered: i64,
    /// Still in the store under this donor's name.
    pub left: i64,
}

const SELECT: &str = "SELECT d.id, d.community_id, c.name AS community_name, d.donor, \
     d.contact_name, d.contact_phone, d.received_at, d.note, u.display_name AS created_by_name, \
     d.created_at FROM supply_donations d JOIN org_units c ON c.id = d.community_id \
     JOIN users u ON u.id = d.created_by";

/// Records a donation and puts its goods in the store. Returns its id and whether this was a
/// replay of an earlier send with the same key.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(db: &Db, actor: &Actor, d: &NewDonation) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    if let Some(id) = super::replayed(
        &mut tx,
        "supply_donations",
        actor,
        &d.idempotency_key,
        &d.request_hash,
    )
    .await?
    {
        return Ok((id, true));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO supply_donations (community_id, donor, contact_name, contact_phone, \
         received_at, note, created_by, created_at, idempotency_key, request_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(d.community_id)
    .bind(&d.donor)
    .bind(&d.contact_name)
    .bind(&d.contact_phone)
    .bind(d.received_at)
    .bind(&d.note)
    .bind(actor.user_id)
    .bind(now())
    .bind(&d.idempotency_key)
    .bind(&d.request_hash)
    .fetch_one(&mut *tx)
    .await?;
    for &(item, quantity) in &d.lines {
        super::known_item(&mut tx, item, "lines").await?;
        sqlx::query(
            "INSERT INTO supply_donation_lines (donation_id, item_id, quantity) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(item)
        .bind(quantity)
        .execute(&mut *tx)
        .await?;
        let mut m = NewMovement::plain(
            d.community_id,
            item,
            MovementKind::DonationIn,
            quantity,
            d.received_at,
            d.donor.clone(),
        );
        m.idempotency_key = format!("donation-{id}-{item}");
        m.donation_id = Some(id);
        ledger::write(&mut tx, db.backend, actor, &m, None, None).await?;
    }
    let detail = format!("donor={} lines={}", d.donor, d.lines.len());
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("supplies.donation.create", "supply_donation", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

/// The store a donation belongs to, or NotFound.
pub async fn community_of(db: &Db, id: i64) -> StoreResult<i64> {
    sqlx::query_scalar("SELECT community_id FROM supply_donations WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A donation of `community` with its lines, or NotFound.
pub async fn get(db: &Db, community: i64, id: i64) -> StoreResult<(Donation, Vec<DonationLine>)> {
    let sql = format!("{SELECT} WHERE d.id = $1 AND d.community_id = $2");
    let d: Donation = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(community)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let lines = sqlx::query_as(
        "SELECT l.item_id, i.name AS item_name, i.unit, l.quantity, \
         CAST(COALESCE((SELECT -SUM(m.quantity) FROM supply_movements m WHERE m.donation_id = l.donation_id \
           AND m.item_id = l.item_id AND m.kind IN ('delivery_out','delivery_return')), 0) AS BIGINT) AS delivered, \
         CAST(COALESCE((SELECT SUM(m.quantity) FROM supply_movements m WHERE m.donation_id = l.donation_id \
           AND m.item_id = l.item_id), 0) AS BIGINT) AS left \
         FROM supply_donation_lines l JOIN supply_items i ON i.id = l.item_id \
         WHERE l.donation_id = $1 ORDER BY i.category, i.name",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    Ok((d, lines))
}

/// The donations of `community`, the latest received first.
pub async fn list(db: &Db, community: i64, limit: i64) -> StoreResult<Vec<Donation>> {
    let sql = format!(
        "{SELECT} WHERE d.community_id = $1 ORDER BY d.received_at DESC, d.id DESC LIMIT {limit}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(community)
        .fetch_all(&db.pool)
        .await?)
}

/// What is left in the store of a donation's item (its goods in, less what went out with
/// deliveries, plus what came back), read inside a delivery's transaction after the item's stock
/// row is locked.
pub(crate) async fn left(tx: &mut Tx, donation: i64, item: i64) -> StoreResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM supply_movements \
         WHERE donation_id = $1 AND item_id = $2",
    )
    .bind(donation)
    .bind(item)
    .fetch_one(&mut **tx)
    .await?)
}
