//! The notices' figures of a day, per grid and community: receipts due that day (the recipients of
//! notices whose deadline falls on it), how many were studied by the day's end, and how many were
//! missing. Counted from the receipts' kept steps, so a past day shows its own end: a step after it
//! (a late study, or a new version asking again) does not change it.

use super::{Live, UNDER};
use crate::db::report_stats::day_bounds;
use crate::db::{Db, StoreResult};

/// Adds the day's notice figures to the grids and communities of `live`: a grid worker's receipt
/// counts in the grid, a community's leader's, guard's or group member's in the community's own.
pub(super) async fn add(db: &Db, unit_id: i64, day: &str, l: &mut Live) -> StoreResult<()> {
    let Some((start, end)) = day_bounds(day) else {
        return Ok(());
    };
    let sql = format!(
        "SELECT r.unit_id, o.kind, COUNT(*), CAST(COALESCE(SUM(CASE WHEN \
         (SELECT e.status FROM notice_receipts e WHERE e.notice_id = r.notice_id \
         AND e.user_id = r.user_id AND e.at < $3 ORDER BY e.at DESC, e.id DESC LIMIT 1) = 'confirmed' \
         THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM notice_recipients r JOIN notices n ON n.id = r.notice_id \
         JOIN org_units o ON o.id = r.unit_id \
         WHERE n.deadline >= $2 AND n.deadline < $3 AND r.unit_id IN ({UNDER}) \
         AND o.kind IN ('grid','community') GROUP BY r.unit_id, o.kind"
    );
    let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(unit_id)
        .bind(start)
        .bind(end)
        .fetch_all(&db.pool)
        .await?;
    for (unit, kind, due, confirmed) in rows {
        let x = if kind == "grid" {
            l.grids.entry(unit).or_default()
        } else {
            l.community_own.entry(unit).or_default()
        };
        x.add("notices_due", due);
        x.add("notices_confirmed", confirmed);
        x.add("notices_missing", due - confirmed);
    }
    Ok(())
}
