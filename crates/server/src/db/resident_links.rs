//! Resident links (居民端链接): a household's personal link, issued and revoked by its grid worker,
//! and what the pages it opens read. Only the token's SHA-256 is stored (migration 0026).
//!
//! A resident has no account: what they send is recorded under the staff member answerable for
//! the link (its issuer while they still serve the household's grid, else a worker who does), with
//! the link's id beside it. Every read here is fixed to the link's one household: nothing a
//! resident types chooses another.

use super::registry::Actor;
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, audit, now};

/// A working link, resolved from its token.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Link {
    pub id: i64,
    pub household_id: i64,
    pub grid_id: i64,
    pub address: String,
    /// The staff member the household's records are made under.
    pub acting_user_id: i64,
    pub acting_role: String,
    pub last_used_at: Option<i64>,
}

/// The worker who records for a link: the issuer while they serve the grid and are enabled, else
/// the grid's own workers before anyone above them, the lowest id first so it does not wander.
const ACTING: &str = "COALESCE((SELECT u.id FROM staff_units su \
     JOIN unit_closure c ON c.ancestor_id = su.unit_id JOIN users u ON u.id = su.user_id \
     WHERE c.descendant_id = h.grid_id AND u.id = l.issued_by AND u.disabled = 0 LIMIT 1), \
     (SELECT u.id FROM staff_units su JOIN unit_closure c ON c.ancestor_id = su.unit_id \
     JOIN users u ON u.id = su.user_id WHERE c.descendant_id = h.grid_id AND u.disabled = 0 \
     ORDER BY c.depth, u.id LIMIT 1))";

/// The active link of this token hash, with the worker it records under; None for an unknown,
/// revoked or orphaned link (a deleted household, a grid no one serves any longer).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resolve(db: &Db, token_hash: &str) -> StoreResult<Option<Link>> {
    let sql = format!(
        "SELECT k.id, k.household_id, k.grid_id, k.address, k.acting_user_id, u.role AS acting_role, \
         k.last_used_at FROM (SELECT l.id, l.household_id, h.grid_id, h.address, l.last_used_at, \
         ({ACTING}) AS acting_user_id FROM resident_links l JOIN households h ON h.id = l.household_id \
         WHERE l.token_hash = $1 AND l.status = 'active' AND h.deleted_at IS NULL) k \
         JOIN users u ON u.id = k.acting_user_id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(&db.pool)
        .await?)
}

/// Notes that the link was used, at most once an hour (a write per page view would cost more
/// than it tells).
pub async fn touch(db: &Db, link: &Link, at: i64) -> StoreResult<()> {
    if link.last_used_at.is_some_and(|t| at - t < 3600) {
        return Ok(());
    }
    sqlx::query("UPDATE resident_links SET last_used_at = $2 WHERE id = $1")
        .bind(link.id)
        .bind(at)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The staff scope a link's records are made in: the acting worker, narrowed to the one grid.
pub fn scope_of(link: &Link) -> Scope {
    Scope {
        user_id: link.acting_user_id,
        role: shouhu_domain::Role::parse(&link.acting_role)
            .unwrap_or(shouhu_domain::Role::GridWorker),
        grids: Some(std::sync::Arc::new(vec![link.grid_id])),
    }
}

/// The audit's actor for what a link does: the acting worker's id, named as the link.
pub fn actor_of(link: &Link, address: String) -> Actor {
    Actor {
        user_id: link.acting_user_id,
        username: format!("household-link:{}", link.id),
        address,
    }
}

async fn household_in_scope(
    tx: &mut super::Tx,
    scope: &Scope,
    household_id: i64,
) -> StoreResult<()> {
    let sql = format!(
        "SELECT id FROM households WHERE id = $2 AND deleted_at IS NULL AND grid_id IN ({GRIDS_OF_USER})"
    );
    let found: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(household_id)
        .fetch_optional(&mut **tx)
        .await?;
    found.map(|_| ()).ok_or(StoreError::NotFound)
}

/// Issues the household's link (revoking the one before, a lost sheet): returns the new link's id.
/// The caller made the token and passes its hash; the token itself never reaches the store.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn issue(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    token_hash: &str,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    household_in_scope(&mut tx, scope, household_id).await?;
    let t = now();
    let revoked = sqlx::query(
        "UPDATE resident_links SET status = 'revoked', revoked_at = $2, revoked_by = $3 \
         WHERE household_id = $1 AND status = 'active'",
    )
    .bind(household_id)
    .bind(t)
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO resident_links (household_id, token_hash, status, issued_at, issued_by) \
         VALUES ($1, $2, 'active', $3, $4) RETURNING id",
    )
    .bind(household_id)
    .bind(token_hash)
    .bind(t)
    .bind(actor.user_id)
    .fetch_one(&mut *tx)
    .await
    // Another worker issued one for the household in the same instant (PostgreSQL: both saw the
    // old one revoked): theirs stands, and this one is told so.
    .map_err(|e| match super::health::is_unique_violation(&e) {
        true => StoreError::Conflict,
        false => e.into(),
    })?;
    let detail = if revoked > 0 { "replaced" } else { "first" };
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(
            "resident_link.issue",
            "household",
            household_id,
            detail.into(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Revokes the household's link; false when it had none.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn revoke(db: &Db, scope: &Scope, actor: &Actor, household_id: i64) -> StoreResult<bool> {
    let mut tx = db.begin_write().await?;
    household_in_scope(&mut tx, scope, household_id).await?;
    let n = sqlx::query(
        "UPDATE resident_links SET status = 'revoked', revoked_at = $2, revoked_by = $3 \
         WHERE household_id = $1 AND status = 'active'",
    )
    .bind(household_id)
    .bind(now())
    .bind(actor.user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n > 0 {
        audit::append(
            &mut tx,
            db.backend,
            &actor.entry(
                "resident_link.revoke",
                "household",
                household_id,
                String::new(),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(n > 0)
}

/// The household's working link as staff see it (never its token).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LinkStatus {
    pub issued_at: i64,
    pub issued_by_name: String,
    pub last_used_at: Option<i64>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn status(db: &Db, scope: &Scope, household_id: i64) -> StoreResult<Option<LinkStatus>> {
    let sql = format!(
        "SELECT l.issued_at, u.display_name AS issued_by_name, l.last_used_at FROM resident_links l \
         JOIN users u ON u.id = l.issued_by JOIN households h ON h.id = l.household_id \
         WHERE l.household_id = $2 AND l.status = 'active' AND h.grid_id IN ({GRIDS_OF_USER})"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(household_id)
        .fetch_optional(&db.pool)
        .await?)
}

/// Which of `households` have a working link.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn active_among(
    db: &Db,
    households: &[i64],
) -> StoreResult<std::collections::HashSet<i64>> {
    if households.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!(
        "SELECT household_id FROM resident_links WHERE status = 'active' AND household_id IN ({})",
        super::id_list(households)
    );
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_all(&db.pool)
        .await?;
    Ok(ids.into_iter().collect())
}
