//! Dispatch of help requests as kept: the steps fired (`help_escalations`, one row per request,
//! round and step, so a step fires once however many times it is tried, by however many
//! services), and to whom each offered the request (`help_offers`).
//!
//! A request waits — and escalates — while it is new, or, once reopened (round > 0), until its
//! assignee takes it in hand again (in progress).

use super::registry::Actor;
use super::{Db, StoreResult, audit};

/// The condition of a request `h` still waiting for someone.
pub const WAITING: &str = "(h.status = 'new' OR (h.status = 'acknowledged' AND h.round > 0))";

/// A waiting request and how far its dispatch has gone this round.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Waiting {
    pub id: i64,
    pub community_id: i64,
    pub team_kind: String,
    pub round: i64,
    pub round_started_at: i64,
    pub ack_minutes: i64,
    /// The last step fired this round; -1 for none.
    pub fired: i64,
}

impl Waiting {
    /// When step `k` of this round is due: offered at once, then one deadline apart.
    pub fn due(&self, k: i64) -> i64 {
        self.round_started_at + k * self.ack_minutes * 60
    }
}

/// The last step of dispatch: the community's leaders.
pub const LAST_STEP: i64 = 3;

/// Every waiting request with a step due by `at` not yet fired.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn due(db: &Db, at: i64) -> StoreResult<Vec<Waiting>> {
    let sql = format!(
        "SELECT h.id, h.community_id, h.team_kind, h.round, h.round_started_at, h.ack_minutes, \
         COALESCE((SELECT MAX(e.step) FROM help_escalations e WHERE e.request_id = h.id \
         AND e.round = h.round), -1) AS fired FROM help_requests h WHERE {WAITING} \
         AND h.round_started_at <= $1 ORDER BY h.id"
    );
    let all: Vec<Waiting> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(at)
        .fetch_all(&db.pool)
        .await?;
    Ok(all
        .into_iter()
        .filter(|w| w.fired < LAST_STEP && w.due(w.fired + 1) <= at)
        .collect())
}

/// Fires step `step` of the request's current round, offering it to `recipients`: once only, and
/// only while the request still waits in that round. `false`: fired before, or no longer waiting.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fire(
    db: &Db,
    w: &Waiting,
    step: i64,
    at: i64,
    recipients: &[i64],
) -> StoreResult<bool> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "INSERT INTO help_escalations (request_id, round, step, due_at, fired_at, recipients) \
         SELECT h.id, h.round, $2, $3, $4, $5 FROM help_requests h \
         WHERE h.id = $1 AND h.round = $6 AND {WAITING} \
         ON CONFLICT (request_id, round, step) DO NOTHING"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(w.id)
        .bind(step)
        .bind(w.due(step))
        .bind(at)
        .bind(recipients.len() as i64)
        .bind(w.round)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    for user in recipients {
        sqlx::query(
            "INSERT INTO help_offers (request_id, user_id, round, step, at) VALUES ($1,$2,$3,$4,$5) \
             ON CONFLICT (request_id, user_id, round, step) DO NOTHING",
        )
        .bind(w.id)
        .bind(user)
        .bind(w.round)
        .bind(step)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    let actor = Actor {
        user_id: 0,
        username: "dispatch".into(),
        address: String::new(),
    };
    let detail = format!(
        "round={} step={step} to={}",
        w.round,
        recipients
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("help.escalate", "help_request", w.id, detail),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// A step as shown on a request's page: when, to whom.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Fired {
    pub round: i64,
    pub step: i64,
    pub due_at: i64,
    pub fired_at: i64,
    /// The names offered to, joined with "、"; empty when nobody could be found.
    pub names: String,
}

/// The steps fired for a request, oldest first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fired(db: &Db, request: i64) -> StoreResult<Vec<Fired>> {
    let rows: Vec<(i64, i64, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT e.round, e.step, e.due_at, e.fired_at, u.display_name FROM help_escalations e \
         LEFT JOIN help_offers o ON o.request_id = e.request_id AND o.round = e.round AND o.step = e.step \
         LEFT JOIN users u ON u.id = o.user_id WHERE e.request_id = $1 \
         ORDER BY e.round, e.step, u.id",
    )
    .bind(request)
    .fetch_all(&db.pool)
    .await?;
    let mut out: Vec<Fired> = Vec::new();
    for (round, step, due_at, fired_at, name) in rows {
        match out.last_mut() {
            Some(f) if f.round == round && f.step == step => {
                if let Some(n) = name {
                    f.names = format!("{}、{n}", f.names);
                }
            }
            _ => out.push(Fired {
                round,
                step,
                due_at,
                fired_at,
                names: name.unwrap_or_default(),
            }),
        }
    }
    Ok(out)
}

/// The community's leaders (the last step).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn leaders(db: &Db, community: i64) -> StoreResult<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT u.id FROM staff_units su JOIN users u ON u.id = su.user_id \
         WHERE su.unit_id = $1 AND u.role = 'community_leader' AND u.disabled = 0 ORDER BY u.id",
    )
    .bind(community)
    .fetch_all(&db.pool)
    .await?)
}
