//! The gate log of a community and day: in and out per gate and hour, refusals by reason, who is
//! out now, and every scan for the export. Counts come from `gate_day_stats` and the indexes on
//! `gate_scans` (community, day), never from a scan of the whole log.

use crate::db::scope::GRIDS_OF_USER;
use crate::db::{Db, Scope, StoreError, StoreResult};

/// The community, when it holds one of the caller's grids.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn community_in_scope(db: &Db, scope: &Scope, code: &str) -> StoreResult<(i64, String)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.id, c.name FROM org_units c WHERE c.code = $2 AND c.kind = 'community' \
         AND c.id IN (SELECT u.parent_id FROM org_units u WHERE u.id IN ({GRIDS_OF_USER}))"
    )))
    .bind(scope.user_id)
    .bind(code)
    .fetch_optional(&db.pool)
    .await?
    .ok_or(StoreError::NotFound)
}

#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct HourCount {
    pub gate_id: i64,
    pub gate: String,
    /// Local hour, 0–23.
    pub hour: i64,
    pub direction: String,
    pub n: i64,
}

/// Allowed scans per gate, local hour and direction. `utc_offset` in seconds (the zone's offset
/// on that day).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn hourly(
    db: &Db,
    community_id: i64,
    day: &str,
    utc_offset: i64,
) -> StoreResult<Vec<HourCount>> {
    Ok(sqlx::query_as(
        "SELECT s.gate_id, g.name AS gate, ((s.at + $3) / 3600) % 24 AS hour, s.direction, COUNT(*) AS n \
         FROM gate_scans s JOIN gates g ON g.id = s.gate_id \
         WHERE s.community_id = $1 AND s.day = $2 AND s.decision = 'allow' \
         GROUP BY s.gate_id, g.name, ((s.at + $3) / 3600) % 24, s.direction ORDER BY 1, 3, 4",
    )
    .bind(community_id)
    .bind(day)
    .bind(utc_offset)
    .fetch_all(&db.pool)
    .await?)
}

/// The day's figures of the community: allowed in, allowed out, and refusals by reason.
#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct DayCounts {
    pub gate_in: i64,
    pub gate_out: i64,
    pub gate_refused: i64,
    pub refused_by_reason: std::collections::BTreeMap<String, i64>,
}

impl DayCounts {
    pub fn add(&mut self, kind: &str, n: i64) {
        match kind.strip_prefix("refused:") {
            Some(reason) => {
                self.gate_refused += n;
                *self
                    .refused_by_reason
                    .entry(reason.to_string())
                    .or_default() += n;
            }
            None if kind == "in" => self.gate_in += n,
            None => self.gate_out += n,
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn day_counts(db: &Db, community_id: i64, day: &str) -> StoreResult<DayCounts> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind, CAST(SUM(n) AS BIGINT) FROM gate_day_stats WHERE community_id = $1 AND day = $2 GROUP BY kind",
    )
    .bind(community_id)
    .bind(day)
    .fetch_all(&db.pool)
    .await?;
    let mut c = DayCounts::default();
    for (kind, n) in rows {
        c.add(&kind, n);
    }
    Ok(c)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OutNow {
    pub household_id: i64,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: String,
    pub head: Option<String>,
    pub gate: String,
    pub at: i64,
}

/// Households whose last allowed scan since `since` (a local day) was an exit: out and not back.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn out_now(db: &Db, community_id: i64, since: &str) -> StoreResult<Vec<OutNow>> {
    Ok(sqlx::query_as(
        "SELECT s.household_id, b.name AS building, bu.name AS unit, h.room, hr.name AS head, g.name AS gate, s.at \
         FROM gate_scans s JOIN gates g ON g.id = s.gate_id JOIN households h ON h.id = s.household_id \
         LEFT JOIN building_units bu ON bu.id = h.building_unit_id LEFT JOIN buildings b ON b.id = bu.building_id \
         LEFT JOIN residents hr ON hr.id = h.head_resident_id \
         WHERE s.community_id = $1 AND s.day >= $2 AND s.decision = 'allow' AND s.direction = 'out' \
         AND NOT EXISTS (SELECT 1 FROM gate_scans t WHERE t.household_id = s.household_id \
             AND t.decision = 'allow' AND t.day >= $2 AND t.id > s.id) \
         ORDER BY s.at",
    )
    .bind(community_id)
    .bind(since)
    .fetch_all(&db.pool)
    .await?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LoggedScan {
    pub at: i64,
    pub gate: String,
    pub guard: String,
    pub direction: String,
    pub decision: String,
    pub reason: Option<String>,
    pub temperature_tenths: Option<i64>,
    pub plate: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: Option<String>,
    pub head: Option<String>,
    pub visitor: Option<String>,
}

/// Every scan of the community on `day`, in order: what the export holds.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn scans(db: &Db, community_id: i64, day: &str) -> StoreResult<Vec<LoggedScan>> {
    Ok(sqlx::query_as(
        "SELECT s.at, g.name AS gate, u.username AS guard, s.direction, s.decision, s.reason, s.temperature_tenths, \
         s.plate, b.name AS building, bu.name AS unit, COALESCE(h.room, vh.room) AS room, hr.name AS head, \
         v.name AS visitor FROM gate_scans s JOIN gates g ON g.id = s.gate_id JOIN users u ON u.id = s.guard_id \
         LEFT JOIN gate_visitors v ON v.id = s.visitor_id \
         LEFT JOIN households h ON h.id = s.household_id LEFT JOIN households vh ON vh.id = v.host_household_id \
         LEFT JOIN building_units bu ON bu.id = COALESCE(h.building_unit_id, vh.building_unit_id) \
         LEFT JOIN buildings b ON b.id = bu.building_id LEFT JOIN residents hr ON hr.id = h.head_resident_id \
         WHERE s.community_id = $1 AND s.day = $2 ORDER BY s.at, s.id",
    )
    .bind(community_id)
    .bind(day)
    .fetch_all(&db.pool)
    .await?)
}

/// The communities holding the caller's grids, by code.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn communities(db: &Db, scope: &Scope) -> StoreResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.code, c.name FROM org_units c WHERE c.kind = 'community' \
         AND c.id IN (SELECT u.parent_id FROM org_units u WHERE u.id IN ({GRIDS_OF_USER})) ORDER BY c.code"
    )))
    .bind(scope.user_id)
    .fetch_all(&db.pool)
    .await?)
}
