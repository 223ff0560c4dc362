//! Everything the service holds about one resident beyond their card (PIPL 45: a person's data is
//! listed on request): health checks, alerts, quarantines with their daily follow-ups, transfers to
//! observation, risk flags and gate scans. The caller has found the resident in their jurisdiction
//! first; each part is read by the resident's own index, newest first, at most 1,000 of each (more
//! than retention keeps of one person).

use serde::Serialize;

use crate::db::{Db, StoreResult};

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CheckRecord {
    pub id: i64,
    /// Unix seconds.
    pub checked_at: i64,
    pub day: String,
    pub temperature_tenths: i64,
    pub symptoms: String,
    pub source: String,
    pub fever: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AlertRecord {
    pub id: i64,
    pub reason: String,
    pub status: String,
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    pub note: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct QuarantineRecord {
    pub id: i64,
    pub kind: String,
    pub reason: String,
    pub start_date: String,
    pub planned_end_date: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FollowUpRecord {
    pub quarantine_id: i64,
    pub day: String,
    pub temperature_tenths: i64,
    pub symptoms: String,
    pub needs: String,
    pub note: String,
    pub breach: i64,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TransferRecord {
    pub id: i64,
    pub quarantine_id: i64,
    pub status: String,
    pub notified_at: i64,
    pub admitted_at: Option<i64>,
    pub released_at: Option<i64>,
    pub note: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RiskFlagRecord {
    pub id: i64,
    pub reason: String,
    pub measure: String,
    pub status: String,
    pub created_at: i64,
    pub decided_at: Option<i64>,
    pub decision_reason: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ScanRecord {
    /// Unix seconds.
    pub at: i64,
    pub gate_id: i64,
    pub direction: String,
    pub decision: String,
    pub reason: Option<String>,
}

/// A resident's records, each kind newest first.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Records {
    pub health_checks: Vec<CheckRecord>,
    pub alerts: Vec<AlertRecord>,
    pub quarantines: Vec<QuarantineRecord>,
    pub follow_ups: Vec<FollowUpRecord>,
    pub transfers: Vec<TransferRecord>,
    pub risk_flags: Vec<RiskFlagRecord>,
    pub gate_scans: Vec<ScanRecord>,
}

/// Rows of one kind, `binds` at `$1`, `$2`….
async fn rows<T>(db: &Db, sql: &'static str, binds: &[i64]) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut query = sqlx::query_as::<_, T>(sql);
    for b in binds {
        query = query.bind(*b);
    }
    Ok(query.fetch_all(&db.pool).await?)
}

/// The records of a resident of `household_id`, found in the caller's jurisdiction beforehand:
/// the health parts when `health` (the right to see health records), the gate's scans when `gate`
/// (the right to read the gate's log).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn records(
    db: &Db,
    resident_id: i64,
    household_id: i64,
    health: bool,
    gate: bool,
) -> StoreResult<Records> {
    let mut r = Records::default();
    if gate {
        // The scans that name them (a household's pass names no one); the household's index
        // finds them.
        r.gate_scans = rows(
            db,
            "SELECT at, gate_id, direction, decision, reason FROM gate_scans \
             WHERE household_id = $2 AND resident_id = $1 ORDER BY at DESC, id DESC LIMIT 1000",
            &[resident_id, household_id],
        )
        .await?;
    }
    if !health {
        return Ok(r);
    }
    r.health_checks = rows(
        db,
        "SELECT id, checked_at, day, temperature_tenths, symptoms, source, fever \
         FROM health_checks WHERE resident_id = $1 ORDER BY checked_at DESC, id DESC LIMIT 1000",
        &[resident_id],
    )
    .await?;
    r.alerts = rows(
        db,
        "SELECT id, reason, status, opened_at, closed_at, note FROM alerts \
         WHERE resident_id = $1 ORDER BY opened_at DESC, id DESC LIMIT 1000",
        &[resident_id],
    )
    .await?;
    r.quarantines = rows(
        db,
        "SELECT id, kind, reason, start_date, planned_end_date, status, created_at, updated_at \
         FROM quarantines WHERE resident_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1000",
        &[resident_id],
    )
    .await?;
    r.follow_ups = rows(
        db,
        "SELECT f.quarantine_id, f.day, f.temperature_tenths, f.symptoms, f.needs, f.note, \
         f.breach FROM follow_ups f JOIN quarantines q ON q.id = f.quarantine_id \
         WHERE q.resident_id = $1 ORDER BY f.day DESC, f.id DESC LIMIT 1000",
        &[resident_id],
    )
    .await?;
    r.transfers = rows(
        db,
        "SELECT t.id, t.quarantine_id, t.status, t.notified_at, t.admitted_at, t.released_at, \
         t.note FROM transfers t JOIN quarantines q ON q.id = t.quarantine_id \
         WHERE q.resident_id = $1 ORDER BY t.notified_at DESC, t.id DESC LIMIT 1000",
        &[resident_id],
    )
    .await?;
    r.risk_flags = rows(
        db,
        "SELECT id, reason, measure, status, created_at, decided_at, decision_reason \
         FROM risk_flags WHERE resident_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1000",
        &[resident_id],
    )
    .await?;
    Ok(r)
}
