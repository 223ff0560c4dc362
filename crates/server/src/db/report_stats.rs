//! Per grid and local day, the report's event figures that no other table keeps (see migration
//! 0009): moved in the same transaction as the record they count.

use std::sync::OnceLock;

use super::{StoreResult, Tx};

static TIME_ZONE: OnceLock<chrono_tz::Tz> = OnceLock::new();

/// The zone of the local day, set once at start (Asia/Shanghai unless configured).
pub fn set_time_zone(tz: chrono_tz::Tz) {
    let _ = TIME_ZONE.set(tz);
}

/// The configured zone of the local day.
pub fn time_zone() -> chrono_tz::Tz {
    TIME_ZONE
        .get()
        .copied()
        .unwrap_or(chrono_tz::Asia::Shanghai)
}

/// Today in the configured zone, `YYYY-MM-DD`: the day an event counts for.
pub fn local_today() -> String {
    let tz = TIME_ZONE
        .get()
        .copied()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    chrono::Utc::now()
        .with_timezone(&tz)
        .date_naive()
        .to_string()
}

/// The instants a local day (`YYYY-MM-DD`) of the configured zone starts and ends, as unix
/// seconds (half-open).
pub fn day_bounds(day: &str) -> Option<(i64, i64)> {
    let tz = TIME_ZONE
        .get()
        .copied()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let start = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)?
            .and_local_timezone(tz)
            .earliest()
            .map(|t| t.timestamp())
    };
    Some((start(d)?, start(d.succ_opt()?)?))
}

/// Adds `n` to a grid's `key` of `day`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add(tx: &mut Tx, grid_id: i64, day: &str, key: &str, n: i64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO report_day_stats (grid_id, day, key, n) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (grid_id, day, key) DO UPDATE SET n = report_day_stats.n + excluded.n",
    )
    .bind(grid_id)
    .bind(day)
    .bind(key)
    .bind(n)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
