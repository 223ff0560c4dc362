//! The 24-hour service's figures of a day: help requests escalated, care calls (due, reached,
//! missed, escalated), the minutes of the day each community's roster left a group with nobody on
//! duty, and the median times to take and to resolve a request. Each is counted from the raw
//! records (help_escalations, care_calls, the roster, help_requests), never kept apart.

use serde::{Deserialize, Serialize};
use shouhu_domain::Span;

use super::{Live, UNDER};
use crate::db::report_stats::{day_bounds, time_zone};
use crate::db::{Db, StoreResult, roster};

/// Adds the day's service figures to the grids (and, for what belongs to a community, to its
/// own row) of `live`.
pub(super) async fn add(db: &Db, unit_id: i64, day: &str, l: &mut Live) -> StoreResult<()> {
    let Some((start, end)) = day_bounds(day) else {
        return Ok(());
    };
    // Requests that went past their deadline that day (a step beyond the first offer fired).
    let rows: Vec<(Option<i64>, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT h.grid_id, h.community_id, COUNT(*) FROM help_requests h WHERE EXISTS \
         (SELECT 1 FROM help_escalations e WHERE e.request_id = h.id AND e.step >= 1 \
         AND e.fired_at >= $2 AND e.fired_at < $3) \
         AND (h.grid_id IN ({UNDER}) OR h.community_id IN ({UNDER})) GROUP BY h.grid_id, h.community_id"
    )))
    .bind(unit_id)
    .bind(start)
    .bind(end)
    .fetch_all(&db.pool)
    .await?;
    for (g, c, n) in rows {
        let x = match g {
            Some(g) => l.grids.entry(g).or_default(),
            None => l.community_own.entry(c).or_default(),
        };
        x.add("help_escalated", n);
    }
    // The day's care calls: planned, reached by the day's end, not reached, escalated.
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT grid_id, COUNT(*), \
         CAST(SUM(CASE WHEN reached_at IS NOT NULL AND reached_at < $3 THEN 1 ELSE 0 END) AS BIGINT), \
         CAST(SUM(CASE WHEN escalated_at IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) \
         FROM care_calls WHERE day = $2 AND grid_id IN ({UNDER}) GROUP BY grid_id"
    )))
    .bind(unit_id)
    .bind(day)
    .bind(end)
    .fetch_all(&db.pool)
    .await?;
    for (g, due, reached, escalated) in rows {
        let x = l.grids.entry(g).or_default();
        x.add("care_calls_due", due);
        x.add("care_calls_reached", reached);
        x.add("care_calls_missed", due - reached);
        x.add("care_calls_escalated", escalated);
    }
    // Each community's roster of the day as it stood at the day's end (or now, for today).
    let communities: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM org_units WHERE kind = 'community' AND id IN ({UNDER})"
    )))
    .bind(unit_id)
    .fetch_all(&db.pool)
    .await?;
    let window = Span::new(start, end);
    let as_of = end.min(crate::db::now());
    for c in communities {
        let r = roster::read(db, c, Span::new(start - 86_400, end), as_of).await?;
        let duties = roster::expand(&r, time_zone(), window);
        let minutes: i64 = roster::group_gaps(&duties, window)
            .values()
            .flat_map(|spans| spans.iter().map(|s| s.seconds()))
            .sum::<i64>()
            / 60;
        l.community_own
            .entry(c)
            .or_default()
            .add("roster_gap_minutes", minutes);
    }
    Ok(())
}

/// The median minutes it took that day to take a request and to resolve one, over the unit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Times {
    /// Over the requests taken that day: from taken down to taken (acknowledged), in seconds.
    pub help_ack_median_seconds: Option<i64>,
    /// Over the requests resolved that day: from taken down to resolved, in seconds.
    pub help_resolve_median_seconds: Option<i64>,
    /// How long the longest-waiting household's need had waited at the day's end, in seconds.
    #[serde(default)]
    pub supply_oldest_wait_seconds: Option<i64>,
    /// The days the protective material lasts at the week's rate of use.
    #[serde(default)]
    pub protective_days_left: Option<i64>,
}

/// The middle value (the mean of the two middle ones, rounded down, for an even count).
pub fn median(mut v: Vec<i64>) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(match n % 2 {
        1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]).div_euclid(2),
    })
}

/// Medians can not be added up from parts, so they are counted over the unit's raw requests.
pub(super) async fn times(db: &Db, unit_id: i64, day: &str) -> StoreResult<Times> {
    let Some((start, end)) = day_bounds(day) else {
        return Ok(Times::default());
    };
    let of = |column: &str, resolved: bool| {
        format!(
            "SELECT {column} - created_at FROM help_requests WHERE {column} >= $2 AND {column} < $3 \
             {} AND (grid_id IN ({UNDER}) OR community_id IN ({UNDER}))",
            if resolved {
                "AND status = 'resolved'"
            } else {
                ""
            }
        )
    };
    let mut out = Times::default();
    for (sql, resolved) in [
        (of("acknowledged_at", false), false),
        (of("closed_at", true), true),
    ] {
        let v: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(unit_id)
            .bind(start)
            .bind(end)
            .fetch_all(&db.pool)
            .await?;
        match resolved {
            false => out.help_ack_median_seconds = median(v),
            true => out.help_resolve_median_seconds = median(v),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![7]), Some(7));
        assert_eq!(median(vec![30, 10, 20]), Some(20));
        assert_eq!(median(vec![40, 10, 20, 30]), Some(25));
        assert_eq!(median(vec![1, 2]), Some(1));
    }
}
