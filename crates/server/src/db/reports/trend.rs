//! Day-by-day figures of a unit over a span of days, for the dashboard's charts: three grouped
//! reads of the per-grid day tables, never of the records themselves.

use std::collections::BTreeMap;

use super::UNDER;
use crate::db::{Db, StoreResult};

/// Per day (`YYYY-MM-DD`, every day of the span present): figure → value.
pub type Trend = BTreeMap<String, BTreeMap<&'static str, i64>>;

#[tracing::instrument(level = "debug", skip_all)]
pub async fn trend(
    db: &Db,
    unit_id: i64,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
) -> StoreResult<Trend> {
    let mut t: Trend = first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d.to_string(), BTreeMap::new()))
        .collect();
    let (a, b) = (first.to_string(), last.to_string());
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT day, CAST(SUM(health_checks) AS BIGINT), CAST(SUM(fevers) AS BIGINT) FROM day_stats \
         WHERE day >= $2 AND day <= $3 AND grid_id IN ({UNDER}) GROUP BY day"
    )))
    .bind(unit_id)
    .bind(&a)
    .bind(&b)
    .fetch_all(&db.pool)
    .await?;
    for (day, checks, fevers) in rows {
        let e = t.entry(day).or_default();
        e.insert("health_checks", checks);
        e.insert("fevers", fevers);
    }
    let rows: Vec<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT day, key, CAST(SUM(n) AS BIGINT) FROM report_day_stats \
         WHERE day >= $2 AND day <= $3 AND grid_id IN ({UNDER}) GROUP BY day, key"
    )))
    .bind(unit_id)
    .bind(&a)
    .bind(&b)
    .fetch_all(&db.pool)
    .await?;
    for (day, key, n) in rows {
        if let Some(k) = super::KEYS.iter().find(|k| **k == key) {
            *t.entry(day).or_default().entry(k).or_default() += n;
        }
    }
    let rows: Vec<(String, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT day, kind, CAST(SUM(n) AS BIGINT) FROM gate_day_stats WHERE day >= $2 AND day <= $3 \
         AND (grid_id IN ({UNDER}) OR community_id IN ({UNDER})) GROUP BY day, kind"
    )))
    .bind(unit_id)
    .bind(&a)
    .bind(&b)
    .fetch_all(&db.pool)
    .await?;
    for (day, kind, n) in rows {
        let key = match kind.as_str() {
            "in" => "gate_in",
            "out" => "gate_out",
            _ => "gate_refused",
        };
        *t.entry(day).or_default().entry(key).or_default() += n;
    }
    Ok(t)
}
