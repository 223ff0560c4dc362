//! Health checks (测温, symptoms) and the alerts they open for the community's medical group.
//!
//! A check is its own record of who took it and when, so it is not copied into the audit log (a city
//! records a million a day); closing an alert is audited.

use shouhu_domain::Temperature;

use super::audit;
use super::registry::Actor;
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, now};

/// A check as asked for, already validated.
#[derive(Clone, Debug)]
pub struct NewCheck {
    pub resident_id: i64,
    pub temperature: Temperature,
    pub symptoms: Vec<String>,
    pub source: String,
    pub idempotency_key: String,
    /// A digest of the request, to tell a retry from another request reusing its key.
    pub request_hash: String,
    /// The resident link a self-report came by; None when staff took the reading.
    pub via_link_id: Option<i64>,
    /// The phone's clock when the reading was taken (sent later from an offline queue); kept
    /// beside the server's `checked_at`.
    pub device_at: Option<i64>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Check {
    pub id: i64,
    pub resident_id: i64,
    pub grid_id: i64,
    pub temperature_tenths: i64,
    pub symptoms: String,
    pub source: String,
    pub fever: i64,
    pub day: String,
    pub checked_at: i64,
    pub recorded_by: i64,
    /// The alert this check opened or joined, if any.
    pub alert_id: Option<i64>,
    /// The phone's time, for a reading sent from an offline queue.
    pub device_at: Option<i64>,
}

/// A recorded check, and whether this request recorded it or an earlier one with the same key did.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub check: Check,
    pub replay: bool,
}

const CHECK_SELECT: &str = "SELECT c.id, c.resident_id, c.grid_id, c.temperature_tenths, c.symptoms, \
     c.source, c.fever, c.day, c.checked_at, c.recorded_by, c.device_at, \
     (SELECT MIN(a.id) FROM alerts a WHERE a.health_check_id = c.id) AS alert_id \
     FROM health_checks c";

/// Records one check in its own transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record(db: &Db, scope: &Scope, day: &str, c: &NewCheck) -> StoreResult<Recorded> {
    let mut tx = db.begin_write().await?;
    custom_plans(&mut tx, db).await?;
    let r = record_in(&mut tx, scope, day, c).await;
    match r {
        Ok(rec) => {
            tx.commit().await?;
            Ok(rec)
        }
        // Two retries at once on PostgreSQL: the second insert meets the key the first wrote.
        Err(StoreError::Database(e)) if is_unique_violation(&e) => {
            drop(tx);
            let mut tx = db.pool.begin().await?;
            replay(&mut tx, scope.user_id, c)
                .await?
                .ok_or(StoreError::Conflict)
        }
        Err(e) => Err(e),
    }
}

/// The service plans PostgreSQL statements once (`force_generic_plan`, set per connection), which
/// suits the lists; the checks table grows from nothing during a day, and a plan made while it was
/// empty scans it. These transactions plan with the table as it is.
pub(crate) async fn custom_plans(tx: &mut Tx, db: &Db) -> StoreResult<()> {
    if db.backend == super::Backend::Postgres {
        sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

async fn replay(tx: &mut Tx, user_id: i64, c: &NewCheck) -> StoreResult<Option<Recorded>> {
    let sql = format!("{CHECK_SELECT} WHERE c.recorded_by = $1 AND c.idempotency_key = $2");
    let found: Option<(Check, String)> = {
        let check: Option<Check> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(&c.idempotency_key)
            .fetch_optional(&mut **tx)
            .await?;
        match check {
            Some(ch) => {
                let hash: String =
                    sqlx::query_scalar("SELECT request_hash FROM health_checks WHERE id = $1")
                        .bind(ch.id)
                        .fetch_one(&mut **tx)
                        .await?;
                Some((ch, hash))
            }
            None => None,
        }
    };
    match found {
        None => Ok(None),
        Some((_, hash)) if hash != c.request_hash => Err(StoreError::Invalid {
            field: "idempotency_key",
            code: "idempotency_key_reused",
        }),
        Some((check, _)) => Ok(Some(Recorded {
            check,
            replay: true,
        })),
    }
}

/// Records a check inside `tx` (one of a batch, or alone).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_in(
    tx: &mut Tx,
    scope: &Scope,
    day: &str,
    c: &NewCheck,
) -> StoreResult<Recorded> {
    if let Some(r) = replay(tx, scope.user_id, c).await? {
        return Ok(r);
    }
    let sql = format!(
        "SELECT r.grid_id, r.household_id FROM residents r \
         WHERE r.id = $2 AND r.deleted_at IS NULL AND r.grid_id IN ({GRIDS_OF_USER})"
    );
    let (grid_id, household_id): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(c.resident_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let t = now();
    let fever = c.temperature.is_fever();
    let earlier_today: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM health_checks WHERE grid_id = $1 AND day = $2 AND resident_id = $3",
    )
    .bind(grid_id)
    .bind(day)
    .bind(c.resident_id)
    .fetch_one(&mut **tx)
    .await?;
    super::day_stats::add(
        tx,
        grid_id,
        day,
        1,
        i64::from(earlier_today == 0),
        i64::from(fever),
    )
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO health_checks (resident_id, grid_id, household_id, temperature_tenths, symptoms, \
         source, fever, day, checked_at, recorded_by, idempotency_key, request_hash, via_link_id, \
         device_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id",
    )
    .bind(c.resident_id)
    .bind(grid_id)
    .bind(household_id)
    .bind(c.temperature.tenths())
    .bind(c.symptoms.join(","))
    .bind(&c.source)
    .bind(i64::from(fever))
    .bind(day)
    .bind(t)
    .bind(scope.user_id)
    .bind(&c.idempotency_key)
    .bind(&c.request_hash)
    .bind(c.via_link_id)
    .bind(c.device_at)
    .fetch_one(&mut **tx)
    .await?;
    let mut alert_id = None;
    if fever || !c.symptoms.is_empty() {
        let reason = alert_reason(fever, &c.symptoms);
        alert_id = open_alert_once(tx, c.resident_id, Some(id), &reason, t).await?;
    }
    Ok(Recorded {
        check: Check {
            id,
            resident_id: c.resident_id,
            grid_id,
            temperature_tenths: c.temperature.tenths(),
            symptoms: c.symptoms.join(","),
            source: c.source.clone(),
            fever: i64::from(fever),
            day: day.to_string(),
            checked_at: t,
            recorded_by: scope.user_id,
            alert_id,
            device_at: c.device_at,
        },
        replay: false,
    })
}

/// Why a reading alerts: `fever`, and/or its symptoms (`fever,cough`), the same from one check or
/// a batch (a batch once kept only the fever, and the cough was lost to the medical group).
fn alert_reason(fever: bool, symptoms: &[String]) -> String {
    match (fever, symptoms.is_empty()) {
        (true, true) => "fever".to_string(),
        (true, false) => format!("fever,{}", symptoms.join(",")),
        (false, _) => symptoms.join(","),
    }
}

/// Opens an alert for the resident's community medical group unless one is already open for them:
/// one open alert per person, a second reading joins the one being followed. Every path that can
/// raise one (checks, follow-ups, survey answers, the gate) comes through here. Returns the new id.
pub(crate) async fn open_alert_once(
    tx: &mut Tx,
    resident_id: i64,
    health_check_id: Option<i64>,
    reason: &str,
    at: i64,
) -> StoreResult<Option<i64>> {
    let open: Option<i64> =
        sqlx::query_scalar("SELECT MIN(id) FROM alerts WHERE resident_id = $1 AND status = 'open'")
            .bind(resident_id)
            .fetch_one(&mut **tx)
            .await?;
    if open.is_some() {
        return Ok(None);
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO alerts (community_id, grid_id, resident_id, health_check_id, reason, status, opened_at) \
         SELECT COALESCE(g.parent_id, g.id), r.grid_id, r.id, $2, $3, 'open', $4 \
         FROM residents r JOIN org_units g ON g.id = r.grid_id WHERE r.id = $1 RETURNING id",
    )
    .bind(resident_id)
    .bind(health_check_id)
    .bind(reason)
    .bind(at)
    .fetch_optional(&mut **tx)
    .await?)
}

/// An alert with what the medical group needs to see.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Alert {
    pub id: i64,
    pub grid_id: i64,
    pub grid_code: String,
    pub resident_id: i64,
    pub resident_name: String,
    pub address: String,
    pub reason: String,
    pub temperature_tenths: Option<i64>,
    pub status: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub note: String,
    pub version: i64,
}

const ALERT_SELECT: &str = "SELECT a.id, a.grid_id, g.code AS grid_code, a.resident_id, \
     r.name AS resident_name, h.address, a.reason, c.temperature_tenths, a.status, a.opened_at, \
     a.closed_at, a.note, a.version \
     FROM alerts a JOIN org_units g ON g.id = a.grid_id JOIN residents r ON r.id = a.resident_id \
     JOIN households h ON h.id = r.household_id LEFT JOIN health_checks c ON c.id = a.health_check_id";

/// Alerts of the given grids, newest first; `status` None for all.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn alerts(
    db: &Db,
    grids: &[i64],
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Alert>, i64)> {
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let list = super::id_list(grids);
    let filter = format!("a.grid_id IN ({list}) AND ($1 = '' OR a.status = $1)");
    let items: Vec<Alert> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ALERT_SELECT} WHERE {filter} ORDER BY a.id DESC {}",
        super::limit_offset(limit, offset)
    )))
    .bind(status.unwrap_or(""))
    .fetch_all(&db.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM alerts a WHERE {filter}"
    )))
    .bind(status.unwrap_or(""))
    .fetch_one(&db.pool)
    .await?;
    Ok((items, total))
}

/// Closes an open alert with the follow-up's note; a stale version is a conflict.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn close_alert(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    note: &str,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "SELECT status, version FROM alerts WHERE id = $2 AND grid_id IN ({GRIDS_OF_USER})"
    );
    let (status, current): (String, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    if current != version {
        return Err(StoreError::Conflict);
    }
    if status != "open" {
        return Err(StoreError::Invalid {
            field: "status",
            code: "alert_closed",
        });
    }
    let closed = sqlx::query(
        "UPDATE alerts SET status = 'closed', closed_at = $1, closed_by = $2, note = $3, \
         version = version + 1 WHERE id = $4 AND version = $5",
    )
    .bind(now())
    .bind(scope.user_id)
    .bind(note)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    // Closed by someone else meanwhile (PostgreSQL lets both read it open).
    if closed.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("alert.close", "alert", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Residents not checked (resident id, grid code, name, address) and their total.
pub type NotChecked = (Vec<(i64, String, String, String)>, i64);

/// Residents of `grids` with no check on `day`, grid by grid. How many are left per grid comes
/// from the kept figures in one statement: each grid's residents less its residents checked that
/// day, the day's row probed per grid by a subquery (a join was planned as a scan of every grid's
/// day rows, which grow by a city's grids each day). The page is then read from one grid's index
/// range, stopping as soon as it is full: two round trips for a usual page, whatever the size.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn not_checked(
    db: &Db,
    grids: &[i64],
    day: &str,
    limit: i64,
    offset: i64,
) -> StoreResult<NotChecked> {
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let left = super::rounds::grids_left(db, grids, day).await?;
    let total: i64 = left.iter().map(|(_, n)| *n).sum();
    // Each resident of the page is one probe of the (grid, day, resident) index. As an anti-join
    // planned while the day's checks were few it ran as a nested loop over all of the grid's
    // checks for every resident: 7,411 rows compared for a page of twenty at mid-day.
    let probe = super::probe_each(db.backend);
    let mut items = Vec::new();
    let mut skip = offset;
    for (g, n) in left {
        if items.len() as i64 >= limit {
            break;
        }
        let n = n.max(0);
        if skip >= n {
            skip -= n;
            continue;
        }
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.id, g.code, r.name, h.address FROM residents r JOIN households h ON h.id = r.household_id \
             JOIN org_units g ON g.id = r.grid_id \
             WHERE r.id IN (SELECT r.id FROM residents r WHERE r.grid_id = $1 AND r.deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM health_checks c WHERE c.grid_id = r.grid_id AND c.day = $2 \
             AND c.resident_id = r.id{probe}) ORDER BY r.grid_id, r.deleted_at, r.id {}) \
             ORDER BY r.id",
            super::limit_offset(limit - items.len() as i64, skip)
        )))
        .bind(g)
        .bind(day)
        .fetch_all(&db.pool)
        .await?;
        skip = 0;
        items.extend(rows);
    }
    Ok((items, total))
}

/// What became of one item of a batch.
#[derive(Debug)]
pub enum BatchOutcome {
    Recorded(Recorded),
    Refused(StoreError),
}

/// Records many checks in one transaction with a handful of statements whatever their number:
/// earlier answers for the keys, the residents within scope, one multi-row insert of the checks,
/// one of the alerts. Items are independent: a resident out of scope or a reused key refuses that
/// item only.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_batch(
    db: &Db,
    scope: &Scope,
    day: &str,
    items: &[NewCheck],
) -> StoreResult<Vec<BatchOutcome>> {
    // Twice at most: a retry of this batch sent at the same moment may write one of its keys
    // between our look-up and our insert; the second round finds it and answers it as a replay.
    let mut round = 0;
    loop {
        round += 1;
        match record_batch_once(db, scope, day, items).await {
            Err(StoreError::Database(e)) if round < 3 && is_unique_violation(&e) => continue,
            other => return other,
        }
    }
}

async fn record_batch_once(
    db: &Db,
    scope: &Scope,
    day: &str,
    items: &[NewCheck],
) -> StoreResult<Vec<BatchOutcome>> {
    use std::collections::HashMap;
    // The earlier answers and the residents' places are read before the write transaction: on
    // SQLite writers take turns, and these two reads were a third of each turn (2 of 7 ms a
    // batch). The unique (recorder, key) index still decides a key raced in meanwhile (above); a
    // resident deleted or moved in the same instant keeps the check recorded as of the read.
    // A read transaction (on SQLite a deferred one, which takes no write lock) only so that on
    // PostgreSQL these reads too plan with the checks table as it is: with the connection's
    // generic plan, made while the table was empty, a batch's key look-up took 10-30 s by noon.
    let (earlier_by_key, hashes, places) = {
        let mut read = db.pool.begin().await?;
        custom_plans(&mut read, db).await?;
        let earlier = earlier_answers(&mut read, db, scope.user_id, items).await?;
        let places = places_of(&mut read, db, scope, items).await?;
        read.commit().await?;
        (earlier.0, earlier.1, places)
    };
    let mut tx = db.begin_write().await?;
    custom_plans(&mut tx, db).await?;
    let t = now();
    let mut outcomes: Vec<Option<BatchOutcome>> = (0..items.len()).map(|_| None).collect();
    let mut rows: Vec<Vec<super::bulk::Val>> = Vec::new();
    let mut fresh: Vec<usize> = Vec::new();
    let mut seen_keys: std::collections::HashSet<&str> = Default::default();
    for (i, c) in items.iter().enumerate() {
        if let Some(e) = earlier_by_key.get(&c.idempotency_key) {
            outcomes[i] = Some(if hashes.get(&e.id) == Some(&c.request_hash) {
                BatchOutcome::Recorded(Recorded {
                    check: e.clone(),
                    replay: true,
                })
            } else {
                BatchOutcome::Refused(StoreError::Invalid {
                    field: "idempotency_key",
                    code: "idempotency_key_reused",
                })
            });
            continue;
        }
        if !seen_keys.insert(c.idempotency_key.as_str()) {
            outcomes[i] = Some(BatchOutcome::Refused(StoreError::Invalid {
                field: "idempotency_key",
                code: "idempotency_key_reused",
            }));
            continue;
        }
        let Some((grid, household)) = places.get(&c.resident_id) else {
            outcomes[i] = Some(BatchOutcome::Refused(StoreError::NotFound));
            continue;
        };
        use super::bulk::Val;
        rows.push(vec![
            Val::from(c.resident_id),
            Val::from(*grid),
            Val::from(*household),
            Val::from(c.temperature.tenths()),
            Val::from(c.symptoms.join(",")),
            Val::from(c.source.as_str()),
            Val::from(i64::from(c.temperature.is_fever())),
            Val::from(day),
            Val::from(t),
            Val::from(scope.user_id),
            Val::from(c.idempotency_key.as_str()),
            Val::from(c.request_hash.as_str()),
            Val::from(c.device_at),
        ]);
        fresh.push(i);
    }
    let day_delta = day_figures(&mut tx, db, day, items, &fresh, &places).await?;
    // The new rows' ids, by key, from the insert itself.
    let new_ids: HashMap<String, i64> = super::bulk::insert_rows_returning(
        &mut tx,
        "health_checks",
        &[
            "resident_id",
            "grid_id",
            "household_id",
            "temperature_tenths",
            "symptoms",
            "source",
            "fever",
            "day",
            "checked_at",
            "recorded_by",
            "idempotency_key",
            "request_hash",
            "device_at",
        ],
        &rows,
        "idempotency_key",
    )
    .await?
    .into_iter()
    .collect();
    // Alerts for fevers and symptoms, one per person not already followed.
    let alerting: Vec<usize> = fresh
        .iter()
        .copied()
        .filter(|i| items[*i].temperature.is_fever() || !items[*i].symptoms.is_empty())
        .collect();
    let mut alert_of: HashMap<i64, i64> = HashMap::new();
    for i in alerting {
        let c = &items[i];
        let reason = alert_reason(c.temperature.is_fever(), &c.symptoms);
        let check_id = new_ids.get(&c.idempotency_key).copied();
        if let Some(id) = open_alert_once(&mut tx, c.resident_id, check_id, &reason, t).await? {
            alert_of.insert(c.resident_id, id);
        }
    }
    // The day's figures last: concurrent batches of one grid queue on its row, so it is held
    // from here to the commit only, not through the insert.
    for (grid, (checks, residents, fevers)) in day_delta {
        super::day_stats::add(&mut tx, grid, day, checks, residents, fevers).await?;
    }
    tx.commit().await?;
    for i in fresh {
        let c = &items[i];
        let (grid, _) = places[&c.resident_id];
        outcomes[i] = Some(BatchOutcome::Recorded(Recorded {
            check: Check {
                id: new_ids.get(&c.idempotency_key).copied().unwrap_or_default(),
                resident_id: c.resident_id,
                grid_id: grid,
                temperature_tenths: c.temperature.tenths(),
                symptoms: c.symptoms.join(","),
                source: c.source.clone(),
                fever: i64::from(c.temperature.is_fever()),
                day: day.to_string(),
                checked_at: t,
                recorded_by: scope.user_id,
                alert_id: alert_of.get(&c.resident_id).copied(),
                device_at: c.device_at,
            },
            replay: false,
        }));
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(BatchOutcome::Refused(StoreError::Conflict)))
        .collect())
}

/// What the batch adds to each grid's figures of `day`: (checks, residents checked, fevers). A
/// resident counts once a day, however often checked.
async fn day_figures(
    tx: &mut Tx,
    db: &Db,
    day: &str,
    items: &[NewCheck],
    fresh: &[usize],
    places: &std::collections::HashMap<i64, (i64, i64)>,
) -> StoreResult<std::collections::BTreeMap<i64, (i64, i64, i64)>> {
    if fresh.is_empty() {
        return Ok(Default::default());
    }
    let people: Vec<i64> = fresh.iter().map(|i| items[*i].resident_id).collect();
    let batch_grids: Vec<i64> = fresh
        .iter()
        .map(|i| places[&items[*i].resident_id].0)
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
        .collect();
    let already: std::collections::HashSet<i64> =
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT resident_id FROM health_checks WHERE {} AND day = $1 AND {}",
            super::value_set::ints_in(db.backend, "grid_id", 2),
            super::value_set::ints_in(db.backend, "resident_id", 3)
        )))
        .bind(day)
        .bind(super::value_set::ints(db.backend, &batch_grids))
        .bind(super::value_set::ints(db.backend, &people))
        .fetch_all(&mut **tx)
        .await?
        .into_iter()
        .collect();
    let mut counted: std::collections::HashSet<i64> = already;
    let mut delta: std::collections::BTreeMap<i64, (i64, i64, i64)> = Default::default();
    for i in fresh {
        let c = &items[*i];
        let d = delta.entry(places[&c.resident_id].0).or_default();
        d.0 += 1;
        d.1 += i64::from(counted.insert(c.resident_id));
        d.2 += i64::from(c.temperature.is_fever());
    }
    Ok(delta)
}

/// Checks already recorded under the batch's keys by this recorder (a retried batch): each by its
/// key, and each one's request digest by its id.
async fn earlier_answers(
    conn: &mut sqlx::AnyConnection,
    db: &Db,
    user_id: i64,
    items: &[NewCheck],
) -> StoreResult<(
    std::collections::HashMap<String, Check>,
    std::collections::HashMap<i64, String>,
)> {
    use std::collections::HashMap;
    let keys: Vec<&str> = items.iter().map(|c| c.idempotency_key.as_str()).collect();
    // Earlier answers for these keys: their ids and request digests, then the checks themselves.
    // The keys are one bound set: one statement text whatever the batch (a thousand placeholders
    // were parsed and planned anew each time: a sixth of a batch's time on PostgreSQL).
    // On PostgreSQL one probe of the unique (recorder, key) index per key (LATERAL): an `= ANY`
    // over the bound array read every check of the recorder whenever the table's statistics were
    // behind its growth (a day's first burst, before it is analysed) — 7 s a batch where a probe
    // each takes 4 ms. `OFFSET 0` keeps the planner from flattening the probe into a join, which
    // it would again plan from those statistics.
    let sql = match db.backend {
        super::Backend::Postgres => "SELECT h.id, h.idempotency_key, h.request_hash \
             FROM unnest(CAST($2 AS TEXT[])) AS k(key) CROSS JOIN LATERAL \
             (SELECT id, idempotency_key, request_hash FROM health_checks \
              WHERE recorded_by = $1 AND idempotency_key = k.key OFFSET 0) h"
            .to_string(),
        super::Backend::Sqlite => format!(
            "SELECT id, idempotency_key, request_hash FROM health_checks \
             WHERE recorded_by = $1 AND {}",
            super::value_set::texts_in(db.backend, "idempotency_key", 2)
        ),
    };
    let earlier: Vec<(i64, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(super::value_set::texts(db.backend, &keys))
        .fetch_all(&mut *conn)
        .await?;
    let mut checks: HashMap<i64, Check> = HashMap::new();
    if !earlier.is_empty() {
        let ids = earlier
            .iter()
            .map(|e| e.0.to_string())
            .collect::<Vec<_>>()
            .join(",");
        let rows: Vec<Check> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{CHECK_SELECT} WHERE c.id IN ({ids})"
        )))
        .fetch_all(&mut *conn)
        .await?;
        checks.extend(rows.into_iter().map(|c| (c.id, c)));
    }
    let hashes: HashMap<i64, String> = earlier.iter().map(|(id, _, h)| (*id, h.clone())).collect();
    let earlier_by_key: HashMap<String, Check> = earlier
        .into_iter()
        .filter_map(|(id, key, _)| checks.remove(&id).map(|c| (key, c)))
        .collect();
    Ok((earlier_by_key, hashes))
}

/// Where each resident of the batch lives — (grid, household) by resident — for those within the
/// caller's jurisdiction; the others are not found.
async fn places_of(
    conn: &mut sqlx::AnyConnection,
    db: &Db,
    scope: &Scope,
    items: &[NewCheck],
) -> StoreResult<std::collections::HashMap<i64, (i64, i64)>> {
    use std::collections::HashMap;
    // The residents of the batch within the caller's jurisdiction.
    let mut ids: Vec<i64> = items.iter().map(|c| c.resident_id).collect();
    ids.sort_unstable();
    ids.dedup();
    // Membership is checked here against the caller's grids: a city-wide recorder holds thousands,
    // and a list of them in the SQL cost more than the batch itself.
    let grids: std::collections::HashSet<i64> = super::scope::grids(db, scope)
        .await?
        .iter()
        .copied()
        .collect();
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id, grid_id, household_id FROM residents WHERE {} AND deleted_at IS NULL",
        super::value_set::ints_in(db.backend, "id", 1)
    )))
    .bind(super::value_set::ints(db.backend, &ids))
    .fetch_all(&mut *conn)
    .await?;
    let places: HashMap<i64, (i64, i64)> = rows
        .into_iter()
        .filter(|(_, g, _)| grids.contains(g))
        .map(|(id, g, h)| (id, (g, h)))
        .collect();
    Ok(places)
}
