//! Centralized medical observation points (集中医学观察点) and the transfer of a person to one:
//! notified → picked up (staff, vehicle) → admitted → released. A site never holds more people
//! than beds: the bed is taken by one conditional update, so of two admissions for the last bed
//! exactly one succeeds.

use shouhu_domain::{QuarantineStatus, TransferStatus};

use super::audit;
use super::registry::Actor;
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, now};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Site {
    pub id: i64,
    pub unit_code: String,
    pub name: String,
    pub address: String,
    pub beds: i64,
    pub occupied: i64,
}

/// The sites run by a unit above or within the caller's jurisdiction (where its people can go).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sites(db: &Db, scope: &Scope) -> StoreResult<Vec<Site>> {
    let sql = format!(
        "SELECT s.id, u.code AS unit_code, s.name, s.address, s.beds, s.occupied \
         FROM observation_sites s JOIN org_units u ON u.id = s.unit_id \
         WHERE s.unit_id IN (SELECT c.ancestor_id FROM unit_closure c WHERE c.descendant_id IN ({GRIDS_OF_USER})) \
         ORDER BY s.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_site(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    name: &str,
    address: &str,
    beds: i64,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO observation_sites (unit_id, name, address, beds, occupied, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
    )
    .bind(unit_id)
    .bind(name)
    .bind(address)
    .bind(beds)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    super::state_changes::add(&mut tx, unit_id, "observation_beds", beds).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("site.create", "observation_site", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Transfer {
    pub id: i64,
    pub quarantine_id: i64,
    pub resident_id: i64,
    pub site_id: i64,
    pub status: String,
    pub notified_at: i64,
    pub picked_up_at: Option<i64>,
    pub plate: Option<String>,
    pub admitted_at: Option<i64>,
    pub released_at: Option<i64>,
    pub note: String,
    pub version: i64,
}

const TRANSFER_SELECT: &str = "SELECT t.id, t.quarantine_id, t.resident_id, t.site_id, t.status, \
     t.notified_at, t.picked_up_at, t.plate, t.admitted_at, t.released_at, t.note, t.version FROM transfers t";

/// Notifies a transfer of the person of an open episode to a site.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn notify(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    quarantine_id: i64,
    site_id: i64,
    note: &str,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "SELECT resident_id, grid_id, status FROM quarantines WHERE id = $2 AND grid_id IN ({GRIDS_OF_USER})"
    );
    let (resident_id, grid_id, status): (i64, i64, String) =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(scope.user_id)
            .bind(quarantine_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
    if !QuarantineStatus::parse(&status).is_some_and(QuarantineStatus::is_open) {
        return Err(StoreError::Invalid {
            field: "quarantine_id",
            code: "quarantine_not_open",
        });
    }
    let reachable = sites(db, scope).await?.iter().any(|s| s.id == site_id);
    if !reachable {
        return Err(StoreError::Invalid {
            field: "site_id",
            code: "unknown_site",
        });
    }
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM transfers WHERE quarantine_id = $1 AND status <> 'released'",
    )
    .bind(quarantine_id)
    .fetch_one(&mut *tx)
    .await?;
    if open > 0 {
        return Err(StoreError::Invalid {
            field: "quarantine_id",
            code: "transfer_in_progress",
        });
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO transfers (quarantine_id, resident_id, grid_id, site_id, status, notified_at, note) \
         VALUES ($1, $2, $3, $4, 'notified', $5, $6) RETURNING id",
    )
    .bind(quarantine_id)
    .bind(resident_id)
    .bind(grid_id)
    .bind(site_id)
    .bind(now())
    .bind(note)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("transfer.notify", "transfer", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &Db, scope: &Scope, id: i64) -> StoreResult<Transfer> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TRANSFER_SELECT} WHERE t.id = $2 AND t.grid_id IN ({GRIDS_OF_USER})"
    )))
    .bind(scope.user_id)
    .bind(id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)
}

/// Moves a transfer one step on. Admission takes a bed (refused when the site is full) and makes
/// the episode a centralized one at that site; release frees the bed and ends the episode.
/// The next step of a transfer, with what it carries.
#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
    pub to: TransferStatus,
    /// The vehicle's plate, for the pick-up.
    pub plate: Option<&'a str>,
    /// The person's state of mind; empty keeps the last note.
    pub note: &'a str,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn advance(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    step: Step<'_>,
) -> StoreResult<()> {
    let Step { to, plate, note } = step;
    let mut tx = db.begin_write().await?;
    let t: Transfer = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TRANSFER_SELECT} WHERE t.id = $2 AND t.grid_id IN ({GRIDS_OF_USER})"
    )))
    .bind(scope.user_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    if t.version != version {
        return Err(StoreError::Conflict);
    }
    let from = TransferStatus::parse(&t.status).ok_or(StoreError::Invalid {
        field: "status",
        code: "unknown_status",
    })?;
    if from.next() != Some(to) {
        return Err(StoreError::Invalid {
            field: "status",
            code: "transition_not_allowed",
        });
    }
    // The step is claimed first, by one conditional update: of two people recording it at once
    // the second changes nothing (on PostgreSQL it waits for the first's commit, then finds the
    // version moved), instead of taking a second bed for the same person.
    let note = if note.is_empty() {
        t.note.clone()
    } else {
        note.to_string()
    };
    let claimed = sqlx::query(
        "UPDATE transfers SET status = $1, note = $2, version = version + 1 \
         WHERE id = $3 AND version = $4",
    )
    .bind(to.as_str())
    .bind(note)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    let at = now();
    match to {
        TransferStatus::PickedUp => picked_up(&mut tx, scope, id, plate, at).await?,
        TransferStatus::Admitted => admitted(&mut tx, scope, &t, at).await?,
        TransferStatus::Released => released(&mut tx, scope, &t, at).await?,
        TransferStatus::Notified => {}
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("transfer.advance", "transfer", id, to.as_str().to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The person is in the vehicle: when, by whom, and its plate (required).
async fn picked_up(
    tx: &mut Tx,
    scope: &Scope,
    id: i64,
    plate: Option<&str>,
    at: i64,
) -> StoreResult<()> {
    let Some(plate) = plate else {
        return Err(StoreError::Invalid {
            field: "plate",
            code: "required",
        });
    };
    sqlx::query(
        "UPDATE transfers SET picked_up_at = $1, picked_up_by = $2, plate = $3 WHERE id = $4",
    )
    .bind(at)
    .bind(scope.user_id)
    .bind(plate)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The person is admitted: a bed taken (refused when the site is full), the episode counted as
/// centralized from now, and a planned one started.
async fn admitted(tx: &mut Tx, scope: &Scope, t: &Transfer, at: i64) -> StoreResult<()> {
    let id = t.id;
    let bed = sqlx::query(
        "UPDATE observation_sites SET occupied = occupied + 1 WHERE id = $1 AND occupied < beds",
    )
    .bind(t.site_id)
    .execute(&mut **tx)
    .await?;
    if bed.rows_affected() != 1 {
        return Err(StoreError::Invalid {
            field: "site_id",
            code: "site_full",
        });
    }
    let site_unit = site_unit(tx, t.site_id).await?;
    super::state_changes::add(tx, site_unit, "observation_occupied", 1).await?;
    // An active episode kept at home or in hospital is counted as centralized from now.
    let (status, kind, grid_id): (String, String, i64) =
        sqlx::query_as("SELECT status, kind, grid_id FROM quarantines WHERE id = $1")
            .bind(t.quarantine_id)
            .fetch_one(&mut **tx)
            .await?;
    if status == "active" && kind != "centralized" {
        super::state_changes::add(tx, grid_id, &format!("quarantine_{kind}"), -1).await?;
        super::state_changes::add(tx, grid_id, "quarantine_centralized", 1).await?;
    }
    sqlx::query("UPDATE transfers SET admitted_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE quarantines SET kind = 'centralized', site_id = $1, version = version + 1, \
         updated_at = $2 WHERE id = $3",
    )
    .bind(t.site_id)
    .bind(at)
    .bind(t.quarantine_id)
    .execute(&mut **tx)
    .await?;
    // A planned episode starts when the person is admitted.
    let status: String = sqlx::query_scalar("SELECT status FROM quarantines WHERE id = $1")
        .bind(t.quarantine_id)
        .fetch_one(&mut **tx)
        .await?;
    if status == "planned" {
        super::quarantine::transition_in(
            tx,
            scope,
            t.quarantine_id,
            None,
            QuarantineStatus::Active,
            "admitted",
        )
        .await?;
    }
    Ok(())
}

/// The person leaves the site: the bed freed and the episode released.
async fn released(tx: &mut Tx, scope: &Scope, t: &Transfer, at: i64) -> StoreResult<()> {
    let id = t.id;
    let freed = sqlx::query(
        "UPDATE observation_sites SET occupied = occupied - 1 WHERE id = $1 AND occupied > 0",
    )
    .bind(t.site_id)
    .execute(&mut **tx)
    .await?;
    if freed.rows_affected() == 1 {
        let site_unit = site_unit(tx, t.site_id).await?;
        super::state_changes::add(tx, site_unit, "observation_occupied", -1).await?;
    }
    sqlx::query("UPDATE transfers SET released_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    super::quarantine::transition_in(
        tx,
        scope,
        t.quarantine_id,
        None,
        QuarantineStatus::Released,
        "released from the site",
    )
    .await?;
    Ok(())
}

/// The unit that runs site `site_id`.
async fn site_unit(tx: &mut Tx, site_id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT unit_id FROM observation_sites WHERE id = $1")
            .bind(site_id)
            .fetch_one(&mut **tx)
            .await?,
    )
}
