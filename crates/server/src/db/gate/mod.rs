//! Gate control (门岗): the gates of a community, household passes, exit rules, and the scan — a
//! decision with its reason, logged whether it allows or refuses.

pub mod batch;
mod holders;
pub mod log;
pub mod print;
pub mod scan;
pub mod visitors;
pub mod writer;

use rand::Rng;

use super::audit;
use super::registry::Actor;
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, now};

pub use scan::{NewScan, Rules, Scanned, When};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Gate {
    pub id: i64,
    pub community_id: i64,
    pub community_code: String,
    pub name: String,
    pub kind: String,
}

pub(super) const GATE_COLUMNS: &str =
    "g.id, g.community_id, c.code AS community_code, g.name, g.kind";
pub(super) const GATE_FROM: &str = "FROM gates g JOIN org_units c ON c.id = g.community_id";

/// SQL: the gate (`g`) belongs to a community holding grids of the user bound at `$1`.
pub(super) fn of_users_communities() -> String {
    format!(
        "g.community_id IN (SELECT u.parent_id FROM org_units u WHERE u.id IN ({GRIDS_OF_USER}))"
    )
}

/// The gates of the communities holding the caller's grids.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn gates(db: &Db, scope: &Scope) -> StoreResult<Vec<Gate>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GATE_COLUMNS} {GATE_FROM} WHERE {} ORDER BY g.community_id, g.id",
        of_users_communities()
    )))
    .bind(scope.user_id)
    .fetch_all(&db.pool)
    .await?)
}

/// A gate of the communities holding the user's grids; any other answers not found.
pub(crate) async fn gate_in_scope(tx: &mut Tx, user_id: i64, id: i64) -> StoreResult<Gate> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {GATE_COLUMNS} {GATE_FROM} WHERE g.id = $2 AND {}",
        of_users_communities()
    )))
    .bind(user_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Pass {
    pub household_id: i64,
    pub code: String,
    pub status: String,
    pub issued_at: i64,
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/I/L): about 98 bits.
pub(crate) fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The household's active pass, issued now if it has none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn pass_for(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
) -> StoreResult<Pass> {
    let mut tx = db.begin_write().await?;
    let in_scope: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM households WHERE id = $2 AND deleted_at IS NULL AND grid_id IN ({GRIDS_OF_USER})"
    )))
    .bind(scope.user_id)
    .bind(household_id)
    .fetch_optional(&mut *tx)
    .await?;
    if in_scope.is_none() {
        return Err(StoreError::NotFound);
    }
    let existing: Option<Pass> = sqlx::query_as(
        "SELECT household_id, code, status, issued_at FROM household_passes WHERE household_id = $1 AND status = 'active'",
    )
    .bind(household_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(p) = existing {
        return Ok(p);
    }
    // Two requests at once: one active pass per household (migration 0008), the first stands.
    let issued = sqlx::query(
        "INSERT INTO household_passes (household_id, code, status, issued_at, issued_by) \
         VALUES ($1, $2, 'active', $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(household_id)
    .bind(new_code())
    .bind(now())
    .bind(scope.user_id)
    .execute(&mut *tx)
    .await?;
    if issued.rows_affected() == 1 {
        audit::append(
            &mut tx,
            db.backend,
            &actor.entry("pass.issue", "household", household_id, String::new()),
        )
        .await?;
    }
    let pass: Pass = sqlx::query_as(
        "SELECT household_id, code, status, issued_at FROM household_passes WHERE household_id = $1 AND status = 'active'",
    )
    .bind(household_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(pass)
}

/// Revokes the household's active pass; the next request for it issues a new code.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke_pass(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE household_passes SET status = 'revoked', revoked_at = $3 WHERE household_id = $2 AND status = 'active' \
         AND household_id IN (SELECT id FROM households WHERE grid_id IN ({GRIDS_OF_USER}))"
    )))
    .bind(scope.user_id)
    .bind(household_id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("pass.revoke", "household", household_id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The rules of a community holding one of the caller's grids.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn rules(db: &Db, scope: &Scope, community_code: &str) -> StoreResult<(i64, Rules)> {
    let (id, _) = log::community_in_scope(db, scope, community_code).await?;
    let mut tx = db.pool.begin().await?;
    let r = Rules::of(&mut tx, id).await?;
    tx.commit().await?;
    Ok((id, r))
}

/// Replaces a community's rules. Checked by the caller: hours 0–23, a period of 1–30 days.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_rules(db: &Db, scope: &Scope, community_code: &str, r: &Rules) -> StoreResult<()> {
    let (id, _) = log::community_in_scope(db, scope, community_code).await?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "INSERT INTO gate_rules (community_id, exits_per_period, period_days, curfew_start, curfew_end, \
         vehicles_allowed, visitors_allowed, updated_by, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) \
         ON CONFLICT (community_id) DO UPDATE SET exits_per_period = excluded.exits_per_period, \
         period_days = excluded.period_days, curfew_start = excluded.curfew_start, curfew_end = excluded.curfew_end, \
         vehicles_allowed = excluded.vehicles_allowed, visitors_allowed = excluded.visitors_allowed, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(r.exits_per_period)
    .bind(r.period_days)
    .bind(r.curfew_start)
    .bind(r.curfew_end)
    .bind(r.vehicles_allowed)
    .bind(r.visitors_allowed)
    .bind(scope.user_id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the guard is shown of a scan: the household's head, or the visitor (unmasked: the caller
/// masks), and the building, room and address of the household (the host's, for a visitor).
pub type ScanPlace = (Option<String>, Option<String>, String, String);

/// The place a logged scan names, looked up again (a retried scan's answer).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn scan_place(
    db: &Db,
    household_id: Option<i64>,
    visitor_id: Option<i64>,
) -> StoreResult<Option<ScanPlace>> {
    if household_id.is_none() && visitor_id.is_none() {
        return Ok(None);
    }
    Ok(sqlx::query_as(
        "SELECT COALESCE((SELECT v.name FROM gate_visitors v WHERE v.id = $2), hr.name), b.name, h.room, h.address \
         FROM households h LEFT JOIN residents hr ON hr.id = h.head_resident_id \
         LEFT JOIN building_units bu ON bu.id = h.building_unit_id LEFT JOIN buildings b ON b.id = bu.building_id \
         WHERE h.id = COALESCE($1, (SELECT v.host_household_id FROM gate_visitors v WHERE v.id = $2))",
    )
    .bind(household_id)
    .bind(visitor_id)
    .fetch_optional(&db.pool)
    .await?)
}
