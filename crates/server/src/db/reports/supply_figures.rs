//! The supplies' figures of a day: needs recorded and delivered, households still waiting at the
//! day's end (and the oldest wait, over the unit), deliveries to isolated households, donations
//! received, and the protective material in each store with what the week used of it (the days it
//! lasts at that rate follow from the two, at any level, because both add up). Each is counted from
//! the raw records — needs and their moves, deliveries, donations, the stock ledger.

use super::{Live, UNDER};
use crate::db::report_stats::day_bounds;
use crate::db::{Db, StoreResult};

const WEEK: i64 = 7 * 86_400;

/// A need still waiting at `$3` (the day's end): recorded before it (and from `$2`, bound to the
/// beginning of time) and not delivered or cancelled before it.
const WAITING_AT_END: &str = "n.created_at >= $2 AND n.created_at < $3 AND NOT EXISTS (SELECT 1 FROM supply_need_events e \
     WHERE e.need_id = n.id AND e.to_status IN ('delivered','cancelled') AND e.at < $3)";

/// Adds the day's supplies figures to the grids and communities of `live`.
pub(super) async fn add(db: &Db, unit_id: i64, day: &str, l: &mut Live) -> StoreResult<()> {
    let Some((start, end)) = day_bounds(day) else {
        return Ok(());
    };
    // Each binds the unit, where its window starts (`$2`) and the day's end (`$3`); a state at the
    // day's end starts from the beginning of time.
    let per_grid: [(&str, i64, String); 4] = [
        (
            "supply_needs_recorded",
            start,
            format!(
                "SELECT n.grid_id, COUNT(*) FROM supply_needs n WHERE n.created_at >= $2 \
                 AND n.created_at < $3 AND n.grid_id IN ({UNDER}) GROUP BY n.grid_id"
            ),
        ),
        (
            "supply_needs_delivered",
            start,
            format!(
                "SELECT n.grid_id, COUNT(*) FROM supply_needs n JOIN supply_need_events e \
                 ON e.need_id = n.id WHERE e.to_status = 'delivered' AND e.at >= $2 AND e.at < $3 \
                 AND n.grid_id IN ({UNDER}) GROUP BY n.grid_id"
            ),
        ),
        (
            "supply_households_waiting",
            i64::MIN,
            format!(
                "SELECT n.grid_id, COUNT(DISTINCT n.household_id) FROM supply_needs n \
                 WHERE {WAITING_AT_END} AND n.grid_id IN ({UNDER}) \
                 GROUP BY n.grid_id"
            ),
        ),
        (
            "supply_deliveries_isolated",
            start,
            format!(
                "SELECT d.grid_id, COUNT(*) FROM supply_deliveries d WHERE d.isolated = 1 \
                 AND d.status = 'delivered' AND d.delivered_at >= $2 AND d.delivered_at < $3 \
                 AND d.grid_id IN ({UNDER}) GROUP BY d.grid_id"
            ),
        ),
    ];
    for (key, from, sql) in per_grid {
        let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(unit_id)
            .bind(from)
            .bind(end)
            .fetch_all(&db.pool)
            .await?;
        for (g, n) in rows {
            l.grids.entry(g).or_default().add(key, n);
        }
    }
    // What belongs to each community's store itself.
    let per_community: [(&str, i64, String); 3] = [
        (
            "supply_donations",
            start,
            format!(
                "SELECT community_id, COUNT(*) FROM supply_donations WHERE received_at >= $2 \
                 AND received_at < $3 AND community_id IN ({UNDER}) GROUP BY community_id"
            ),
        ),
        (
            "protective_stock",
            i64::MIN,
            format!(
                "SELECT m.community_id, CAST(SUM(m.quantity) AS BIGINT) FROM supply_movements m \
                 JOIN supply_items i ON i.id = m.item_id WHERE i.category = 'protective' \
                 AND m.at >= $2 AND m.at < $3 AND m.community_id IN ({UNDER}) \
                 GROUP BY m.community_id"
            ),
        ),
        (
            "protective_used_week",
            end - WEEK,
            format!(
                "SELECT m.community_id, CAST(-SUM(m.quantity) AS BIGINT) FROM supply_movements m \
                 JOIN supply_items i ON i.id = m.item_id WHERE i.category = 'protective' \
                 AND m.kind IN ('delivery_out','delivery_return','staff_out','loss') \
                 AND m.at >= $2 AND m.at < $3 AND m.community_id IN ({UNDER}) GROUP BY m.community_id"
            ),
        ),
    ];
    for (key, from, sql) in per_community {
        let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(unit_id)
            .bind(from)
            .bind(end)
            .fetch_all(&db.pool)
            .await?;
        for (c, n) in rows {
            l.community_own.entry(c).or_default().add(key, n);
        }
    }
    Ok(())
}

/// How long the unit's longest-waiting household had waited at the day's end (now, for today), in
/// seconds: a maximum does not add up from parts, so it is read over the unit's raw needs.
pub(super) async fn oldest_wait(db: &Db, unit_id: i64, day: &str) -> StoreResult<Option<i64>> {
    let Some((_, end)) = day_bounds(day) else {
        return Ok(None);
    };
    let now = crate::db::now();
    let as_of = end.min(now);
    // Needs recorded in this very second still count as waiting.
    let until = end.min(now + 1);
    let sql = format!(
        "SELECT MIN(n.created_at) FROM supply_needs n WHERE {WAITING_AT_END} AND n.grid_id IN ({UNDER})"
    );
    let first: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(unit_id)
        .bind(i64::MIN)
        .bind(until)
        .fetch_one(&db.pool)
        .await?;
    Ok(first.map(|t| (as_of - t).max(0)))
}

/// The days a unit's protective material lasts at the week's rate of use, from its figures.
pub fn protective_days_left(stock: i64, used_week: i64) -> Option<i64> {
    (used_week > 0).then(|| stock.max(0) * 7 / used_week)
}

#[cfg(test)]
mod tests {
    use super::protective_days_left;

    #[test]
    fn days_left_at_the_weeks_rate() {
        assert_eq!(protective_days_left(700, 70), Some(70));
        assert_eq!(protective_days_left(100, 700), Some(1));
        assert_eq!(protective_days_left(5, 700), Some(0));
        assert_eq!(protective_days_left(100, 0), None, "nothing used: no rate");
    }
}
