//! Help requests (求助) of the 24-hour service: taken, claimed by one person with a
//! compare-and-set, moved on, every move kept with who and when (`help_request_events`).
//!
//! A request is seen by the staff whose jurisdiction holds its grid (a household's request, or
//! one a grid worker took) or its community (a place outside the registry, taken at community
//! level).

use shouhu_domain::{HelpCategory, HelpStatus, Urgency};

use super::registry::Actor;
use super::scope::UNITS_OF_USER;
use super::{Db, Scope, StoreError, StoreResult, Tx, audit, now};

/// The caller (`$1`) may see the request `h`.
fn visible() -> String {
    format!("(h.grid_id IN ({UNITS_OF_USER}) OR h.community_id IN ({UNITS_OF_USER}))")
}

/// A request as it is read, with the names people know.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HelpRequest {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: Option<i64>,
    pub household_id: Option<i64>,
    /// The household's address, or the place typed.
    pub place: String,
    pub category: String,
    pub team_kind: String,
    pub urgency: String,
    pub words: String,
    pub contact_phone: Option<String>,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub outcome: String,
    pub duplicate_of: Option<i64>,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at: i64,
    pub ack_due_at: i64,
    pub acknowledged_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub version: i64,
}

const SELECT: &str = "SELECT h.id, h.community_id, h.grid_id, h.household_id, \
     CASE WHEN h.household_id IS NULL THEN h.place ELSE COALESCE(hh.address, h.place) END AS place, \
     h.category, h.team_kind, h.urgency, h.words, h.contact_phone, h.status, h.assignee_id, \
     a.display_name AS assignee_name, h.outcome, h.duplicate_of, h.created_by, \
     c.display_name AS created_by_name, h.created_at, h.ack_due_at, h.acknowledged_at, h.closed_at, \
     h.version FROM help_requests h LEFT JOIN households hh ON hh.id = h.household_id \
     LEFT JOIN users a ON a.id = h.assignee_id JOIN users c ON c.id = h.created_by";

/// One move of a request, with who made it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct HelpEvent {
    pub from_status: Option<String>,
    pub to_status: String,
    pub assignee_name: Option<String>,
    pub by_name: String,
    pub at: i64,
    pub note: String,
}

/// A request as taken down.
#[derive(Clone, Debug)]
pub struct NewHelpRequest {
    /// A household of the caller's jurisdiction, or none for a place typed.
    pub household_id: Option<i64>,
    /// Where a request without a household counts: a grid or community of the jurisdiction.
    pub unit_id: Option<i64>,
    pub place: String,
    pub category: HelpCategory,
    pub urgency: Urgency,
    pub words: String,
    pub contact_phone: Option<String>,
    /// The minutes it may wait to be taken (the setting of its urgency now).
    pub ack_minutes: i64,
    pub idempotency_key: String,
    pub request_hash: String,
    /// The resident link it came by; None when staff took it down (on the caller's behalf).
    pub via_link_id: Option<i64>,
}

/// Where a new request counts: (community, grid) of its household or of the unit given.
async fn place_of(
    tx: &mut Tx,
    scope: &Scope,
    r: &NewHelpRequest,
) -> StoreResult<(i64, Option<i64>)> {
    let (sql, id) = match (r.household_id, r.unit_id) {
        (Some(h), _) => (
            format!(
                "SELECT COALESCE(g.parent_id, g.id), g.id FROM households hh \
                 JOIN org_units g ON g.id = hh.grid_id WHERE hh.id = $2 AND hh.deleted_at IS NULL \
                 AND hh.grid_id IN ({UNITS_OF_USER})"
            ),
            h,
        ),
        (None, Some(u)) => (
            format!(
                "SELECT CASE WHEN u.kind = 'grid' THEN u.parent_id ELSE u.id END, \
                 CASE WHEN u.kind = 'grid' THEN u.id END FROM org_units u \
                 WHERE u.id = $2 AND u.kind IN ('grid', 'community') AND u.id IN ({UNITS_OF_USER})"
            ),
            u,
        ),
        (None, None) => {
            return Err(StoreError::Invalid {
                field: "household_id",
                code: "required",
            });
        }
    };
    let found: Option<(i64, Option<i64>)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    found.ok_or(StoreError::NotFound)
}

/// One move, as `help_request_events` keeps it.
struct Event<'a> {
    request: i64,
    from: Option<&'a str>,
    to: &'a str,
    assignee: Option<i64>,
    by: i64,
    at: i64,
    note: &'a str,
}

impl Event<'_> {
    async fn record(&self, tx: &mut Tx) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO help_request_events (request_id, from_status, to_status, assignee_id, by_user, at, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.request)
        .bind(self.from)
        .bind(self.to)
        .bind(self.assignee)
        .bind(self.by)
        .bind(self.at)
        .bind(self.note)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Takes a request down; the same key again answers the first (`true`: a replay), another body
/// under it is refused.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    r: &NewHelpRequest,
) -> StoreResult<(i64, bool)> {
    let mut tx = db.begin_write().await?;
    let earlier: Option<(i64, String)> = sqlx::query_as(
        "SELECT id, request_hash FROM help_requests WHERE created_by = $1 AND idempotency_key = $2",
    )
    .bind(actor.user_id)
    .bind(&r.idempotency_key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, hash)) = earlier {
        if hash != r.request_hash {
            return Err(StoreError::Invalid {
                field: "idempotency_key",
                code: "idempotency_key_reused",
            });
        }
        return Ok((id, true));
    }
    let (community, grid) = place_of(&mut tx, scope, r).await?;
    let t = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO help_requests (community_id, grid_id, household_id, place, category, team_kind, \
         urgency, words, contact_phone, status, created_by, created_at, ack_due_at, idempotency_key, \
         request_hash, ack_minutes, round_started_at, via_link_id) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,'new',$10,$11,$12,$13,$14,$15,$11,$16) RETURNING id",
    )
    .bind(community)
    .bind(grid)
    .bind(r.household_id)
    .bind(&r.place)
    .bind(r.category.as_str())
    .bind(r.category.team_kind())
    .bind(r.urgency.as_str())
    .bind(&r.words)
    .bind(&r.contact_phone)
    .bind(actor.user_id)
    .bind(t)
    .bind(t + r.ack_minutes * 60)
    .bind(&r.idempotency_key)
    .bind(&r.request_hash)
    .bind(r.ack_minutes)
    .bind(r.via_link_id)
    .fetch_one(&mut *tx)
    .await?;
    Event {
        request: id,
        from: None,
        to: "new",
        assignee: None,
        by: actor.user_id,
        at: t,
        note: "",
    }
    .record(&mut tx)
    .await?;
    let detail = format!(
        "category={} urgency={}",
        r.category.as_str(),
        r.urgency.as_str()
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("help.create", "help_request", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok((id, false))
}

/// A request of the caller's jurisdiction, or NotFound.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(db: &Db, scope: &Scope, id: i64) -> StoreResult<HelpRequest> {
    let sql = format!("{SELECT} WHERE h.id = $2 AND {}", visible());
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or(StoreError::NotFound)
}

/// A request's moves, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn history(db: &Db, id: i64) -> StoreResult<Vec<HelpEvent>> {
    Ok(sqlx::query_as(
        "SELECT e.from_status, e.to_status, a.display_name AS assignee_name, b.display_name AS by_name, \
         e.at, e.note FROM help_request_events e LEFT JOIN users a ON a.id = e.assignee_id \
         JOIN users b ON b.id = e.by_user WHERE e.request_id = $1 ORDER BY e.id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?)
}

/// What a claim came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    Won,
    /// Someone has it already: their name (or the request is no longer new).
    TakenBy(Option<String>),
}

/// Claims a new request for the caller: one update that only a request still new passes, so of
/// two people taking it at once exactly one wins and the other learns who has it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim(db: &Db, scope: &Scope, actor: &Actor, id: i64) -> StoreResult<Claim> {
    let current = get(db, scope, id).await?;
    let mut tx = db.begin_write().await?;
    let t = now();
    let done = sqlx::query(
        "UPDATE help_requests SET status = 'acknowledged', assignee_id = $1, acknowledged_at = $2, \
         version = version + 1 WHERE id = $3 AND status = 'new'",
    )
    .bind(actor.user_id)
    .bind(t)
    .bind(current.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        drop(tx);
        let now_held = get(db, scope, id).await?;
        return Ok(Claim::TakenBy(now_held.assignee_name));
    }
    Event {
        request: id,
        from: Some("new"),
        to: "acknowledged",
        assignee: Some(actor.user_id),
        by: actor.user_id,
        at: t,
        note: "",
    }
    .record(&mut tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("help.claim", "help_request", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(Claim::Won)
}

/// A move of a request other than claiming it.
#[derive(Clone, Debug)]
pub struct Move<'a> {
    pub to: HelpStatus,
    pub version: i64,
    /// The outcome (resolved), the reason (cancelled, reopened), or a note.
    pub note: &'a str,
    /// The request this one repeats (duplicate).
    pub duplicate_of: Option<i64>,
}

/// Moves a request on if the move is allowed from where it stands and the version is the one
/// read; else Conflict (version) or `transition_not_allowed`, and nothing changes. Reopening gives
/// it back to whoever had it, or to the caller, and starts its dispatch afresh (a new round: it
/// escalates again until taken in hand).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn transition(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    m: &Move<'_>,
) -> StoreResult<()> {
    let cur = get(db, scope, id).await?;
    let from = HelpStatus::parse(&cur.status).ok_or(StoreError::Conflict)?;
    if cur.version != m.version {
        return Err(StoreError::Conflict);
    }
    if !from.can_become(m.to) {
        return Err(StoreError::Invalid {
            field: "to",
            code: "transition_not_allowed",
        });
    }
    if m.to == HelpStatus::Duplicate {
        let of = m
            .duplicate_of
            .filter(|o| *o != id)
            .ok_or(StoreError::Invalid {
                field: "duplicate_of",
                code: "required",
            })?;
        let other = get(db, scope, of).await.map_err(|_| StoreError::Invalid {
            field: "duplicate_of",
            code: "unknown_request",
        })?;
        if other.community_id != cur.community_id {
            return Err(StoreError::Invalid {
                field: "duplicate_of",
                code: "unknown_request",
            });
        }
    }
    let t = now();
    let assignee = match m.to {
        HelpStatus::Acknowledged => Some(cur.assignee_id.unwrap_or(actor.user_id)),
        _ => cur.assignee_id,
    };
    let closing = !m.to.is_open();
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(
        "UPDATE help_requests SET status = $1, assignee_id = $2, \
         outcome = CASE WHEN $3 THEN $4 ELSE outcome END, \
         duplicate_of = CASE WHEN $1 = 'duplicate' THEN $5 ELSE duplicate_of END, \
         closed_at = CASE WHEN $3 THEN $6 ELSE NULL END, \
         acknowledged_at = COALESCE(acknowledged_at, CASE WHEN $1 = 'acknowledged' THEN $6 END), \
         round = round + CASE WHEN $1 = 'acknowledged' THEN 1 ELSE 0 END, \
         round_started_at = CASE WHEN $1 = 'acknowledged' THEN $6 ELSE round_started_at END, \
         version = version + 1 WHERE id = $7 AND version = $8",
    )
    .bind(m.to.as_str())
    .bind(assignee)
    .bind(closing)
    .bind(m.note)
    .bind(m.duplicate_of)
    .bind(t)
    .bind(id)
    .bind(m.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict);
    }
    Event {
        request: id,
        from: Some(from.as_str()),
        to: m.to.as_str(),
        assignee,
        by: actor.user_id,
        at: t,
        note: m.note,
    }
    .record(&mut tx)
    .await?;
    let detail = format!("{}→{}", from.as_str(), m.to.as_str());
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("help.transition", "help_request", id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Which requests a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Open and the caller's.
    Mine,
    /// Still waiting for someone, and offered to the caller by dispatch this round.
    Offered,
    /// Open, for a special group the caller is in, in its community.
    Group,
    /// Open, all of the jurisdiction.
    Open,
    /// New and past the time to be taken.
    Overdue,
    /// Every request of one household, newest first.
    Household(i64),
    /// Closed ones (resolved, cancelled, duplicates), newest first.
    Closed,
}

/// The condition and order of a list.
fn list_filter(view: View, at: i64) -> (String, &'static str) {
    const OPEN: &str = "h.status IN ('new','acknowledged','in_progress')";
    const URGENT_FIRST: &str =
        "CASE h.urgency WHEN 'critical' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, h.id";
    match view {
        View::Mine => (format!("{OPEN} AND h.assignee_id = $1"), URGENT_FIRST),
        View::Offered => (
            format!(
                "h.id IN (SELECT o.request_id FROM help_offers o WHERE o.user_id = $1) AND {} \
                 AND EXISTS (SELECT 1 FROM help_offers o WHERE o.request_id = h.id \
                 AND o.user_id = $1 AND o.round = h.round)",
                super::dispatch::WAITING
            ),
            URGENT_FIRST,
        ),
        View::Group => (
            format!(
                "{OPEN} AND EXISTS (SELECT 1 FROM teams t JOIN team_members tm ON tm.team_id = t.id \
                 WHERE tm.user_id = $1 AND t.community_id = h.community_id AND t.kind = h.team_kind)"
            ),
            URGENT_FIRST,
        ),
        View::Open => (OPEN.to_string(), URGENT_FIRST),
        View::Overdue => (
            format!("h.status = 'new' AND h.ack_due_at < {at}"),
            URGENT_FIRST,
        ),
        View::Household(hid) => (format!("h.household_id = {hid}"), "h.id DESC"),
        View::Closed => (
            "h.status IN ('resolved','cancelled','duplicate')".to_string(),
            "h.id DESC",
        ),
    }
}

/// Requests of the caller's jurisdiction, most urgent and oldest first for open ones, without
/// counting them all (the "today" list shows the first few).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn items(
    db: &Db,
    scope: &Scope,
    view: View,
    at: i64,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<HelpRequest>> {
    let (cond, order) = list_filter(view, at);
    let sql = format!(
        "{SELECT} WHERE {} AND {cond} ORDER BY {order} {}",
        visible(),
        super::limit_offset(limit, offset)
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?)
}

#[derive(sqlx::FromRow)]
struct InPart {
    part: i64,
    #[sqlx(flatten)]
    request: HelpRequest,
}

/// The first `limit` requests the caller has and the first `limit` offered to them and still
/// waiting, in one statement (the "today" list shows both on every load).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine_and_offered(
    db: &Db,
    scope: &Scope,
    at: i64,
    limit: i64,
) -> StoreResult<(Vec<HelpRequest>, Vec<HelpRequest>)> {
    let part = |n: i64, view: View| {
        let (cond, order) = list_filter(view, at);
        let columns = SELECT.trim_start_matches("SELECT ");
        format!(
            "SELECT * FROM (SELECT {n} AS part, {columns} WHERE {} AND {cond} ORDER BY {order} {}) p{n}",
            visible(),
            super::limit_offset(limit, 0)
        )
    };
    let sql = format!(
        "SELECT * FROM ({} UNION ALL {}) u ORDER BY u.part, CASE u.urgency WHEN 'critical' THEN 0 \
         WHEN 'urgent' THEN 1 ELSE 2 END, u.id",
        part(0, View::Mine),
        part(1, View::Offered)
    );
    let rows: Vec<InPart> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .fetch_all(&db.pool)
        .await?;
    let (mine, offered): (Vec<InPart>, Vec<InPart>) = rows.into_iter().partition(|r| r.part == 0);
    let requests = |v: Vec<InPart>| v.into_iter().map(|r| r.request).collect();
    Ok((requests(mine), requests(offered)))
}

/// A page of requests of the caller's jurisdiction, and how many there are in all.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    db: &Db,
    scope: &Scope,
    view: View,
    at: i64,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<HelpRequest>, i64)> {
    let items = items(db, scope, view, at, limit, offset).await?;
    let (cond, _) = list_filter(view, at);
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM help_requests h WHERE {} AND {cond}",
        visible()
    )))
    .bind(scope.user_id)
    .fetch_one(&db.pool)
    .await?;
    Ok((items, total))
}
