//! Retention (SECURITY.md D; PIPL 19, 47): health, gate and quarantine records are kept for the days
//! their kind's setting says, then deleted. The service purges on its own a minute after it starts
//! and every six hours after; `shouhu purge` does it at once (or, with `--dry-run`, tells what it
//! would delete). The counts kept per day (day_stats, gate_day_stats, the daily reports) name no
//! one and stay. Residents and households are the registry, not records of an event: they stay.

use std::collections::BTreeMap;
use std::time::Duration;

use super::audit::{self, NewEntry};
use super::{Db, StoreResult};

/// Days each kind of record is kept.
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    pub health_days: u32,
    pub gate_days: u32,
    pub quarantine_days: u32,
}

/// Rows deleted, by table.
pub type Purged = BTreeMap<&'static str, u64>;

#[derive(Clone, Copy)]
enum Kind {
    Health,
    Gate,
    Quarantine,
}

/// One table's rows past retention: `cond` on the table aliased `x`, the cutoff (unix seconds)
/// bound at `$1`. In this order, so that nothing left points at a deleted row (SQLite keeps these
/// foreign keys): an alert before its check, scans before their visitor, a quarantine's days,
/// events, transfers and risk flags before the quarantine.
struct Step {
    table: &'static str,
    kind: Kind,
    cond: &'static str,
}

/// A quarantine (aliased `q`) that ended before the cutoff, with no transfer still under way.
macro_rules! ended_quarantine {
    () => {
        "q.status IN ('released', 'transferred') AND q.updated_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.quarantine_id = q.id \
         AND t.status <> 'released')"
    };
}

const STEPS: &[Step] = &[
    Step {
        table: "alerts",
        kind: Kind::Health,
        cond: "x.status = 'closed' AND x.closed_at < $1",
    },
    Step {
        table: "health_checks",
        kind: Kind::Health,
        // A check an alert still stands on stays with the alert.
        cond: "x.checked_at < $1 \
               AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.health_check_id = x.id)",
    },
    Step {
        table: "gate_scans",
        kind: Kind::Gate,
        cond: "x.at < $1",
    },
    Step {
        table: "gate_visitors",
        kind: Kind::Gate,
        cond: "x.registered_at < $1 \
               AND NOT EXISTS (SELECT 1 FROM gate_scans s WHERE s.visitor_id = x.id)",
    },
    Step {
        table: "risk_flags",
        kind: Kind::Quarantine,
        // Decided before the cutoff, and leading to no quarantine that stays.
        cond: concat!(
            "x.status <> 'pending' AND COALESCE(x.decided_at, x.created_at) < $1 \
             AND (x.quarantine_id IS NULL OR x.quarantine_id IN \
             (SELECT q.id FROM quarantines q WHERE ",
            ended_quarantine!(),
            "))"
        ),
    },
    Step {
        table: "follow_ups",
        kind: Kind::Quarantine,
        cond: concat!(
            "x.quarantine_id IN (SELECT q.id FROM quarantines q WHERE ",
            ended_quarantine!(),
            ")"
        ),
    },
    Step {
        table: "quarantine_events",
        kind: Kind::Quarantine,
        cond: concat!(
            "x.quarantine_id IN (SELECT q.id FROM quarantines q WHERE ",
            ended_quarantine!(),
            ")"
        ),
    },
    Step {
        table: "transfers",
        kind: Kind::Quarantine,
        cond: concat!(
            "x.quarantine_id IN (SELECT q.id FROM quarantines q WHERE ",
            ended_quarantine!(),
            ")"
        ),
    },
    Step {
        table: "quarantines",
        kind: Kind::Quarantine,
        // A risk flag still pending or recent keeps its quarantine.
        cond: concat!(
            "x.id IN (SELECT q.id FROM quarantines q WHERE ",
            ended_quarantine!(),
            ") AND NOT EXISTS (SELECT 1 FROM risk_flags f WHERE f.quarantine_id = x.id)"
        ),
    },
];

/// Rows deleted per statement: each batch is a transaction of its own, so that the purge of a
/// city's months of gate scans never holds SQLite's writer (or PostgreSQL's locks) for long.
const BATCH: i64 = 5_000;

const DAY: i64 = 86_400;

/// Deletes what is past retention at `now` (unix seconds) and records one audit entry with the
/// counts when anything was deleted. `dry_run` does it all in one transaction and rolls it back:
/// the counts are exact, nothing changes.
pub async fn purge(db: &Db, r: &Retention, now: i64, dry_run: bool) -> StoreResult<Purged> {
    let cutoff = |kind: Kind| {
        let days = match kind {
            Kind::Health => r.health_days,
            Kind::Gate => r.gate_days,
            Kind::Quarantine => r.quarantine_days,
        };
        now - i64::from(days) * DAY
    };
    let mut purged = Purged::new();
    if dry_run {
        let mut tx = db.begin_write().await?;
        for step in STEPS {
            let sql = format!(
                "DELETE FROM {} WHERE id IN (SELECT x.id FROM {} x WHERE {})",
                step.table, step.table, step.cond
            );
            let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(cutoff(step.kind))
                .execute(&mut *tx)
                .await?;
            purged.insert(step.table, done.rows_affected());
        }
        tx.rollback().await?;
        return Ok(purged);
    }
    for step in STEPS {
        let sql = format!(
            "DELETE FROM {} WHERE id IN (SELECT x.id FROM {} x WHERE {} LIMIT {BATCH})",
            step.table, step.table, step.cond
        );
        let mut n = 0;
        loop {
            let mut tx = db.begin_write().await?;
            let done = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(cutoff(step.kind))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            n += done.rows_affected();
            if done.rows_affected() < BATCH as u64 {
                break;
            }
        }
        purged.insert(step.table, n);
    }
    if purged.values().any(|n| *n > 0) {
        audit::record(
            db,
            &NewEntry {
                actor: "system".into(),
                action: "records.purge",
                object_kind: "retention",
                result: "ok",
                detail: describe(&purged),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(purged)
}

/// `table=n` for each table with rows deleted, for the audit log and the command line.
pub fn describe(purged: &Purged) -> String {
    let parts: Vec<String> = purged
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(table, n)| format!("{table}={n}"))
        .collect();
    match parts.is_empty() {
        true => "nothing past retention".into(),
        false => parts.join(" "),
    }
}

/// The purge the service runs on its own: a minute after start, then every six hours. A failed
/// run is logged and tried again at the next.
pub fn schedule(db: Db, r: Retention) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        loop {
            match purge(&db, &r, super::now(), false).await {
                Ok(p) => tracing::info!(purged = %describe(&p), "retention"),
                Err(e) => tracing::warn!(error = %e, "retention purge failed; trying again later"),
            }
            tokio::time::sleep(Duration::from_secs(6 * 3600)).await;
        }
    });
}
