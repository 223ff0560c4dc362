//! Risk rules: risk areas with their dates (not written into the code: in 2020 it was Hubei), and
//! the residents a survey answer puts at risk, each with a recommended measure that a leader
//! confirms (a quarantine starts) or dismisses with a reason.

use std::collections::BTreeMap;

use serde_json::Value;
use shouhu_domain::QuarantineKind;

use super::audit;
use super::quarantine::{NewQuarantine, create_in};
use super::registry::Actor;
use super::{Db, Scope, StoreError, StoreResult, Tx, now};

/// A return counts within this many days.
pub const RETURN_WINDOW_DAYS: u64 = 14;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Area {
    pub id: i64,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn areas(db: &Db) -> StoreResult<Vec<Area>> {
    Ok(
        sqlx::query_as("SELECT id, name, starts_on, ends_on FROM risk_areas ORDER BY id")
            .fetch_all(&db.pool)
            .await?,
    )
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_area(
    db: &Db,
    actor: &Actor,
    name: &str,
    starts_on: &str,
    ends_on: &str,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO risk_areas (name, starts_on, ends_on, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(starts_on)
    .bind(ends_on)
    .bind(actor.user_id)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("risk_area.create", "risk_area", id, name.to_string()),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Flags the members a done visit names: travel from a risk area within 14 days (home isolation
/// recommended), contact with a case (centralized observation recommended); a member with fever or
/// cough now gets an alert for the medical group. A resident keeps one pending flag at most.
pub(crate) async fn evaluate(
    tx: &mut Tx,
    visit_id: i64,
    grid_id: i64,
    answers: &BTreeMap<String, Value>,
    today: chrono::NaiveDate,
) -> StoreResult<()> {
    let ids = |key: &str| -> Vec<i64> {
        answers
            .get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default()
    };
    let mut flags: Vec<(i64, String, &'static str)> = Vec::new();
    let travellers = ids("travel_members");
    if !travellers.is_empty() {
        let place = answers
            .get("travel_place")
            .and_then(Value::as_str)
            .unwrap_or("");
        // Without a date the return is taken as recent: the leader decides.
        let back = answers
            .get("back_date")
            .and_then(Value::as_str)
            .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or(today);
        let recent = back + chrono::Days::new(RETURN_WINDOW_DAYS) >= today && back <= today;
        let areas: Vec<(String, String, String)> =
            sqlx::query_as("SELECT name, starts_on, ends_on FROM risk_areas")
                .fetch_all(&mut **tx)
                .await?;
        let back_s = back.to_string();
        let hit = areas.iter().find(|(name, from, to)| {
            !place.is_empty()
                && (place.contains(name.as_str()) || name.contains(place))
                && from.as_str() <= back_s.as_str()
                && back_s.as_str() <= to.as_str()
        });
        if let (true, Some((name, _, _))) = (recent, hit) {
            for r in &travellers {
                flags.push((
                    *r,
                    format!("travel: {place} ({name}), back {back_s}"),
                    "home",
                ));
            }
        }
    }
    for r in ids("contact_members") {
        flags.retain(|f| f.0 != r);
        flags.push((
            r,
            "contact with a confirmed or suspected case".into(),
            "centralized",
        ));
    }
    let t = now();
    for (resident, reason, measure) in flags {
        let pending: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM risk_flags WHERE resident_id = $1 AND status = 'pending'",
        )
        .bind(resident)
        .fetch_one(&mut **tx)
        .await?;
        if pending > 0 {
            continue;
        }
        sqlx::query(
            "INSERT INTO risk_flags (resident_id, grid_id, survey_visit_id, reason, measure, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
        )
        .bind(resident)
        .bind(grid_id)
        .bind(visit_id)
        .bind(reason)
        .bind(measure)
        .bind(t)
        .execute(&mut **tx)
        .await?;
        super::state_changes::add(tx, grid_id, "at_risk", 1).await?;
    }
    for r in ids("symptom_members") {
        super::health::open_alert_once(tx, r, None, "survey: fever or cough", t).await?;
    }
    Ok(())
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Flag {
    pub id: i64,
    pub resident_id: i64,
    pub resident_name: String,
    pub address: String,
    pub grid_code: String,
    pub reason: String,
    pub measure: String,
    pub status: String,
    pub decision_reason: String,
    pub quarantine_id: Option<i64>,
    pub created_at: i64,
    pub version: i64,
}

const FLAG_SELECT: &str = "SELECT f.id, f.resident_id, r.name AS resident_name, h.address, g.code AS grid_code, \
     f.reason, f.measure, f.status, f.decision_reason, f.quarantine_id, f.created_at, f.version \
     FROM risk_flags f JOIN residents r ON r.id = f.resident_id JOIN households h ON h.id = r.household_id \
     JOIN org_units g ON g.id = f.grid_id";

#[tracing::instrument(level = "debug", skip_all)]
pub async fn flags(
    db: &Db,
    grids: &[i64],
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Flag>, i64)> {
    if grids.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let list = super::id_list(grids);
    let filter = format!("f.grid_id IN ({list}) AND ($1 = '' OR f.status = $1)");
    let items = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{FLAG_SELECT} WHERE {filter} ORDER BY f.id DESC {}",
        super::limit_offset(limit, offset)
    )))
    .bind(status.unwrap_or(""))
    .fetch_all(&db.pool)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM risk_flags f WHERE {filter}"
    )))
    .bind(status.unwrap_or(""))
    .fetch_one(&db.pool)
    .await?;
    Ok((items, total))
}

/// What a decision on a flag needs of it.
struct Decided {
    resident_id: i64,
    measure: String,
    reason: String,
}

/// Decides the flag `id`, pending at `version`, as `status` (`confirmed` or `dismissed`). The
/// decision is one conditional update made first, so that of two people deciding at once the
/// second finds it decided and changes nothing (PostgreSQL makes it wait for the first's commit).
async fn decide(
    tx: &mut Tx,
    scope: &Scope,
    id: i64,
    version: i64,
    status: &'static str,
    decision_reason: &str,
) -> StoreResult<Decided> {
    let sql = format!(
        "SELECT resident_id, measure, status, version, grid_id, reason FROM risk_flags \
         WHERE id = $2 AND grid_id IN ({})",
        super::scope::GRIDS_OF_USER
    );
    let (resident_id, measure, current_status, current, grid_id, reason): (
        i64,
        String,
        String,
        i64,
        i64,
        String,
    ) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.user_id)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    if current != version {
        return Err(StoreError::Conflict);
    }
    if current_status != "pending" {
        return Err(StoreError::Invalid {
            field: "status",
            code: "already_decided",
        });
    }
    let done = sqlx::query(
        "UPDATE risk_flags SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4, \
         version = version + 1 WHERE id = $5 AND status = 'pending' AND version = $6",
    )
    .bind(status)
    .bind(scope.user_id)
    .bind(now())
    .bind(decision_reason)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    super::state_changes::add(tx, grid_id, "at_risk", -1).await?;
    Ok(Decided {
        resident_id,
        measure,
        reason,
    })
}

/// Confirms a flag: the recommended measure (or `kind`) starts today, in the same transaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn confirm(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    kind: Option<QuarantineKind>,
    today: chrono::NaiveDate,
) -> StoreResult<i64> {
    let mut tx = db.begin_write().await?;
    let flag = decide(&mut tx, scope, id, version, "confirmed", "").await?;
    let kind = kind
        .or(QuarantineKind::parse(&flag.measure))
        .unwrap_or(QuarantineKind::Home);
    let q = NewQuarantine {
        resident_id: flag.resident_id,
        kind,
        reason: flag.reason,
        start_date: today.to_string(),
        planned_end_date: (today
            + chrono::Days::new(shouhu_domain::health::QUARANTINE_DEFAULT_DAYS))
        .to_string(),
    };
    let qid = create_in(&mut tx, scope, &q, &today.to_string()).await?;
    sqlx::query("UPDATE risk_flags SET quarantine_id = $1 WHERE id = $2")
        .bind(qid)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("risk_flag.confirm", "risk_flag", id, kind.as_str().into()),
    )
    .await?;
    tx.commit().await?;
    Ok(qid)
}

/// Dismisses a flag with the reason (e.g. the trip was before the area became one).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn dismiss(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    id: i64,
    version: i64,
    reason: &str,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    decide(&mut tx, scope, id, version, "dismissed", reason).await?;
    audit::append(
        &mut tx,
        db.backend,
        &actor.entry("risk_flag.dismiss", "risk_flag", id, String::new()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
