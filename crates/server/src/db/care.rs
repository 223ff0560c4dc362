//! Care of vulnerable residents (包干到人) as kept: who each resident is given to (one active
//! primary, an optional backup), the daily call plan (one call per resident, day and slot), each
//! attempt with its outcome, escalations to a door visit, home services, and staff leave.
//!
//! A resident's care is seen by the staff whose jurisdiction holds the resident's grid.

use shouhu_domain::care::CallOutcome;

use super::registry::Actor;
use super::scope::GRIDS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, audit};

/// The tags that make a resident one to care for unless the leader names others.
pub const VULNERABLE: [&str; 2] = ["elderly_alone", "elderly_no_family"];

/// SQL: resident `r` carries one of `tags` (stored comma-separated).
pub fn has_any_tag(tags: &[String]) -> String {
    let parts: Vec<String> = tags
        .iter()
        .filter(|t| t.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map(|t| format!("(',' || r.tags || ',') LIKE '%,{t},%'"))
        .collect();
    match parts.is_empty() {
        true => "1 = 0".into(),
        false => format!("({})", parts.join(" OR ")),
    }
}

/// A resident of the coverage view: who has them and how today's call stands.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CareRow {
    pub resident_id: i64,
    pub name: String,
    pub address: String,
    pub tags: String,
    pub grid_id: i64,
    pub assignment_id: Option<i64>,
    pub primary_id: Option<i64>,
    pub primary_name: Option<String>,
    pub backup_id: Option<i64>,
    pub backup_name: Option<String>,
    pub call_id: Option<i64>,
    pub call_status: Option<String>,
    pub attempts: Option<i64>,
}

/// One call of the plan, with what the caller needs to make it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Call {
    pub id: i64,
    pub resident_id: i64,
    pub household_id: i64,
    pub name: String,
    pub address: String,
    pub phone: Option<String>,
    pub family_contacts: String,
    pub emergency_contact_name: String,
    pub emergency_contact_phone: Option<String>,
    pub grid_id: i64,
    pub community_id: i64,
    pub day: String,
    pub assignee_id: i64,
    pub assignee_name: String,
    pub status: String,
    pub attempts: i64,
    pub missed: i64,
    pub escalation_reason: Option<String>,
    pub visit_user_id: Option<i64>,
    pub visit_user_name: Option<String>,
    pub visit_done_at: Option<i64>,
    pub last_outcome: Option<String>,
    pub version: i64,
}

// The resident's own copy of the household's address (kept with every move) spares a join.
const CALL_SELECT: &str = "SELECT c.id, c.resident_id, r.household_id, r.name, r.address, r.phone, \
     r.family_contacts, r.emergency_contact_name, r.emergency_contact_phone, c.grid_id, \
     g.parent_id AS community_id, c.day, c.assignee_id, a.display_name AS assignee_name, c.status, \
     c.attempts, c.missed, c.escalation_reason, c.visit_user_id, v.display_name AS visit_user_name, \
     c.visit_done_at, (SELECT t.outcome FROM care_attempts t WHERE t.call_id = c.id \
     ORDER BY t.id DESC LIMIT 1) AS last_outcome, c.version \
     FROM care_calls c JOIN residents r ON r.id = c.resident_id \
     JOIN org_units g ON g.id = c.grid_id JOIN users a ON a.id = c.assignee_id LEFT JOIN users v ON v.id = c.visit_user_id";

/// A resident of the caller's jurisdiction: (grid, community), or NotFound.
pub async fn resident_place(db: &Db, scope: &Scope, resident: i64) -> StoreResult<(i64, i64)> {
    let sql = format!(
        "SELECT r.grid_id, g.parent_id FROM residents r JOIN org_units g ON g.id = r.grid_id \
         WHERE r.id = $2 AND r.deleted_at IS NULL AND r.grid_id IN ({GRIDS_OF_USER})"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(resident)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// Staff who may care for residents of `grid`: its grid workers, and the leaders and special
/// groups of its community.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn carers(db: &Db, grid: i64) -> StoreResult<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT DISTINCT u.id, u.display_name FROM staff_units su JOIN users u ON u.id = su.user_id \
         JOIN org_units g ON g.id = $1 WHERE (su.unit_id = g.id OR su.unit_id = g.parent_id) \
         AND u.role IN ('grid_worker', 'team_member', 'community_leader') AND u.disabled = 0 \
         ORDER BY u.id",
    )
    .bind(grid)
    .fetch_all(&db.pool)
    .await?)
}

/// A resident given to a staff member.
#[derive(Clone, Debug)]
pub struct NewAssignment {
    pub resident_id: i64,
    pub grid_id: i64,
    pub primary: i64,
    pub backup: Option<i64>,
    pub note: String,
}

/// Gives a resident to `primary` (and `backup`), ending any care they had; the calls still due
/// from today on move to the new primary. Two leaders assigning at once: one wins, the other gets
/// Conflict.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn assign(
    db: &Db,
    actor: &Actor,
    a: &NewAssignment,
    today: &str,
    at: i64,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "UPDATE care_assignments SET ended_at = $1, ended_by = $2 \
         WHERE resident_id = $3 AND ended_at IS NULL",
    )
    .bind(at)
    .bind(actor.user_id)
    .bind(a.resident_id)
    .execute(&mut *tx)
    .await?;
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO care_assignments (resident_id, grid_id, primary_user, backup_user, started_at, \
         created_by, note) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(a.resident_id)
    .bind(a.grid_id)
    .bind(a.primary)
    .bind(a.backup)
    .bind(at)
    .bind(actor.user_id)
    .bind(&a.note)
    .fetch_one(&mut *tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if super::health::is_unique_violation(&e) => return Err(StoreError::Conflict),
        Err(e) => return Err(e.into()),
    };
    sqlx::query(
        "UPDATE care_calls SET assignee_id = $1, assignment_id = $2, version = version + 1 \
         WHERE resident_id = $3 AND status = 'due' AND day >= $4",
    )
    .bind(a.primary)
    .bind(id)
    .bind(a.resident_id)
    .bind(today)
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "resident={} primary={} backup={}",
        a.resident_id,
        a.primary,
        a.backup.map(|b| b.to_string()).unwrap_or_default()
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("care.assign", "care_assignment", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends a resident's care (no one has them any more); NotFound outside the jurisdiction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end(db: &Db, scope: &Scope, actor: &Actor, id: i64, at: i64) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "UPDATE care_assignments SET ended_at = $2, ended_by = $3 WHERE id = $4 AND ended_at IS NULL \
         AND grid_id IN ({GRIDS_OF_USER})"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(at)
        .bind(actor.user_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("care.end", "care_assignment", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Makes the day's call plan of every active assignment, one call per resident, day and slot:
/// to the primary, or to the backup on the days the primary is on leave. Run again, it changes
/// nothing (answers how many calls it added).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn generate_plan(db: &Db, day: &str, at: i64) -> StoreResult<u64> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "INSERT INTO care_calls (resident_id, assignment_id, grid_id, day, slot, assignee_id, status, \
         created_at) SELECT a.resident_id, a.id, a.grid_id, $1, 1, \
         CASE WHEN a.backup_user IS NOT NULL AND EXISTS (SELECT 1 FROM staff_leave l \
         WHERE l.user_id = a.primary_user AND l.removed_at IS NULL AND l.first_day <= $1 \
         AND l.last_day >= $1) THEN a.backup_user ELSE a.primary_user END, 'due', $2 \
         FROM care_assignments a JOIN residents r ON r.id = a.resident_id \
         WHERE a.ended_at IS NULL AND r.deleted_at IS NULL \
         ON CONFLICT (resident_id, day, slot) DO NOTHING",
    )
    .bind(day)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // A city's plan adds tens of thousands of rows at once, before autovacuum notices: without
    // fresh statistics PostgreSQL plans the first "today" lists as if the day were empty (a
    // list's calls read in 61 ms at city scale; 2 ms with them).
    if db.backend == super::Backend::Postgres && done.rows_affected() > 10_000 {
        sqlx::query("ANALYZE care_calls").execute(&db.pool).await?;
    }
    Ok(done.rows_affected())
}

/// The care of the jurisdiction's vulnerable residents (carrying one of `tags`, or given to
/// someone) on `day`, a page of them in grid and address order; with the total and how many have
/// no one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn coverage(
    db: &Db,
    scope: &Scope,
    tags: &[String],
    day: &str,
    only_unassigned: bool,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<CareRow>, i64, i64)> {
    let filter = format!(
        "r.deleted_at IS NULL AND r.grid_id IN ({GRIDS_OF_USER}) AND ({} OR a.id IS NOT NULL)",
        has_any_tag(tags)
    );
    let from = "FROM residents r JOIN households hh ON hh.id = r.household_id \
         LEFT JOIN care_assignments a ON a.resident_id = r.id AND a.ended_at IS NULL";
    let only = if only_unassigned {
        " AND a.id IS NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT r.id AS resident_id, r.name, hh.address, r.tags, r.grid_id, a.id AS assignment_id, \
         a.primary_user AS primary_id, p.display_name AS primary_name, a.backup_user AS backup_id, \
         b.display_name AS backup_name, c.id AS call_id, c.status AS call_status, c.attempts \
         {from} LEFT JOIN users p ON p.id = a.primary_user LEFT JOIN users b ON b.id = a.backup_user \
         LEFT JOIN care_calls c ON c.resident_id = r.id AND c.day = $2 AND c.slot = 1 \
         WHERE {filter}{only} ORDER BY (a.id IS NOT NULL), r.grid_id, hh.address, r.id {}",
        super::limit_offset(limit, offset)
    );
    let rows: Vec<CareRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(day)
        .fetch_all(&db.pool)
        .await?;
    let (total, unassigned): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN a.id IS NULL THEN 1 ELSE 0 END), 0) {from} \
         WHERE {filter}{only} AND $2 = $2"
    )))
    .bind(scope.user_id)
    .bind(day)
    .fetch_one(&db.pool)
    .await?;
    Ok((rows, total, unassigned))
}

/// A call of the caller's jurisdiction, or NotFound.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn call(db: &Db, scope: &Scope, id: i64) -> StoreResult<Call> {
    let sql = format!("{CALL_SELECT} WHERE c.id = $2 AND c.grid_id IN ({GRIDS_OF_USER})");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// What is on a staff member's list for `day`: their calls, the door visits asked of them and not
/// yet done, and (for whoever holds the grids) the day's escalated calls of the jurisdiction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn today(db: &Db, scope: &Scope, day: &str, leader: bool) -> StoreResult<Vec<Call>> {
    // One indexed branch each (an OR of them would read every call); a branch leaves out what an
    // earlier one found, so UNION ALL needs no pass to drop a call found twice (mine, and a visit
    // asked of me).
    const MINE: &str = "c.assignee_id = $1 AND c.day = $2";
    const VISIT: &str = "c.visit_user_id = $1 AND c.visit_done_at IS NULL";
    let escalated = match leader {
        true => format!(
            " UNION ALL {CALL_SELECT} WHERE c.day = $2 AND c.status = 'escalated' \
             AND c.grid_id IN ({GRIDS_OF_USER}) AND NOT ({MINE}) \
             AND NOT (c.visit_user_id IS NOT NULL AND {VISIT})"
        ),
        false => String::new(),
    };
    let sql = format!(
        "SELECT * FROM ({CALL_SELECT} WHERE {MINE} \
         UNION ALL {CALL_SELECT} WHERE {VISIT} AND NOT ({MINE}){escalated}) x \
         ORDER BY CASE x.status WHEN 'escalated' THEN 0 WHEN 'due' THEN 1 ELSE 2 END, x.address, x.id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(day)
        .fetch_all(&db.pool)
        .await?)
}

/// An attempt to record.
#[derive(Clone, Debug)]
pub struct NewAttempt {
    pub outcome: CallOutcome,
    pub note: String,
    pub idempotency_key: String,
    /// The help request opened for a resident reached and in need.
    pub help_request_id: Option<i64>,
}

/// Records an attempt of a call still due. A reached resident completes the call; the `limit`th
/// miss escalates it: a door visit asked of `visit_user`, the family and the leader told through
/// their lists. The same key again answers the first attempt: (attempt, replayed).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attempt(
    db: &Db,
    actor: &Actor,
    call: &Call,
    a: &NewAttempt,
    limit: i64,
    visit_user: Option<i64>,
    at: i64,
) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    let earlier: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, call_id FROM care_attempts WHERE by_user = $1 AND idempotency_key = $2",
    )
    .bind(actor.user_id)
    .bind(&a.idempotency_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, call_id)) = earlier {
        if call_id != call.id {
            return Err(StoreError::Invalid {
                field: "idempotency_key",
                code: "idempotency_key_reused",
            });
        }
        return Ok((id, true));
    }
    let reached = a.outcome.reaches();
    // Only a call still due (or escalated and now reached) takes an attempt; one update decides.
    let done = sqlx::query(
        "UPDATE care_calls SET attempts = attempts + 1, \
         missed = missed + CASE WHEN $1 THEN 0 ELSE 1 END, \
         status = CASE WHEN $1 THEN 'reached' \
           WHEN status = 'due' AND missed + 1 >= $2 THEN 'escalated' ELSE status END, \
         reached_at = CASE WHEN $1 THEN $3 ELSE reached_at END, \
         escalated_at = CASE WHEN NOT $1 AND status = 'due' AND missed + 1 >= $2 THEN $3 ELSE escalated_at END, \
         escalation_reason = CASE WHEN NOT $1 AND status = 'due' AND missed + 1 >= $2 THEN 'missed' ELSE escalation_reason END, \
         visit_user_id = CASE WHEN NOT $1 AND status = 'due' AND missed + 1 >= $2 THEN $4 ELSE visit_user_id END, \
         version = version + 1 WHERE id = $5 AND status IN ('due', 'escalated')",
    )
    .bind(reached)
    .bind(limit)
    .bind(at)
    .bind(visit_user)
    .bind(call.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Invalid {
            field: "call",
            code: "call_completed",
        });
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO care_attempts (call_id, by_user, at, outcome, note, help_request_id, \
         idempotency_key) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id",
    )
    .bind(call.id)
    .bind(actor.user_id)
    .bind(at)
    .bind(a.outcome.as_str())
    .bind(&a.note)
    .bind(a.help_request_id)
    .bind(&a.idempotency_key)
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry(
            "care.attempt",
            "care_call",
            call.id,
            a.outcome.as_str().into(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

/// Calls of days before `today` still due, and today's with no attempt once the day's calling
/// hours are over (`day_over`): (call, community), to escalate.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn unanswered(db: &Db, today: &str, day_over: bool) -> StoreResult<Vec<(i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT c.id, g.parent_id, c.attempts FROM care_calls c JOIN org_units g ON g.id = c.grid_id \
         WHERE c.status = 'due' AND (c.day < $1 OR ($2 AND c.day = $1 AND c.attempts = 0)) ORDER BY c.id",
    )
    .bind(today)
    .bind(day_over)
    .fetch_all(&db.pool)
    .await?)
}

/// Escalates a call still due: `reason` `none` (no attempt that day) or `missed`; once only.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn escalate(
    db: &Db,
    call: i64,
    reason: &'static str,
    visit_user: Option<i64>,
    at: i64,
) -> StoreResult<bool> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE care_calls SET status = 'escalated', escalated_at = $1, escalation_reason = $2, \
         visit_user_id = $3, version = version + 1 WHERE id = $4 AND status = 'due'",
    )
    .bind(at)
    .bind(reason)
    .bind(visit_user)
    .bind(call)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    let actor = Actor {
        user_id: 0,
        username: "care".into(),
        address: String::new(),
    };
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("care.escalate", "care_call", call, reason.into()),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A home service or door visit to record.
#[derive(Clone, Debug)]
pub struct NewVisit {
    pub resident_id: i64,
    pub grid_id: i64,
    pub kind: &'static str,
    pub note: String,
    /// The escalated call this door visit answers.
    pub call_id: Option<i64>,
    pub idempotency_key: String,
}

/// Records a visit; a door visit for an escalated call marks the visit asked done. The same key
/// again answers the first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn visit(db: &Db, actor: &Actor, v: &NewVisit, at: i64) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    let earlier: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM care_visits WHERE by_user = $1 AND idempotency_key = $2",
    )
    .bind(actor.user_id)
    .bind(&v.idempotency_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = earlier {
        return Ok((id, true));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO care_visits (resident_id, grid_id, by_user, at, kind, note, call_id, \
         idempotency_key) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
    )
    .bind(v.resident_id)
    .bind(v.grid_id)
    .bind(actor.user_id)
    .bind(at)
    .bind(v.kind)
    .bind(&v.note)
    .bind(v.call_id)
    .bind(&v.idempotency_key)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(call) = v.call_id {
        sqlx::query(
            "UPDATE care_calls SET visit_done_at = $1, version = version + 1 \
             WHERE id = $2 AND resident_id = $3 AND visit_done_at IS NULL",
        )
        .bind(at)
        .bind(call)
        .bind(v.resident_id)
        .execute(&mut *tx)
        .await?;
    }
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("care.visit", "resident", v.resident_id, v.kind.into()),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

/// Days a staff member is away: from then on their calls of those days (still due) go to the
/// backup of each resident who has one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn leave(
    db: &Db,
    actor: &Actor,
    user: i64,
    first_day: &str,
    last_day: &str,
    note: &str,
    at: i64,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO staff_leave (user_id, first_day, last_day, note, created_by, created_at) \
         VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
    )
    .bind(user)
    .bind(first_day)
    .bind(last_day)
    .bind(note)
    .bind(actor.user_id)
    .bind(at)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE care_calls SET assignee_id = (SELECT a.backup_user FROM care_assignments a \
         WHERE a.id = care_calls.assignment_id), version = version + 1 \
         WHERE assignee_id = $1 AND status = 'due' AND day >= $2 AND day <= $3 \
         AND EXISTS (SELECT 1 FROM care_assignments a WHERE a.id = care_calls.assignment_id \
         AND a.backup_user IS NOT NULL)",
    )
    .bind(user)
    .bind(first_day)
    .bind(last_day)
    .execute(&mut *tx)
    .await?;
    let detail = format!("user={user} {first_day}..{last_day}");
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("care.leave", "user", user, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
