//! Retention (SECURITY.md D; PIPL 19, 47): health, gate and quarantine records are kept for the days
//! their kind's setting says, then deleted. The service purges on its own a minute after it starts
//! and every six hours after; `shouhu purge` does it at once (or, with `--dry-run`, tells what it
//! would delete). The counts kept per day (day_stats, gate_day_stats, the daily reports) name no
//! one and stay. Residents and households are the registry, not records of an event: they stay,
//! but a resident deleted longer ago than its setting has their personal data erased (PIPL 47).

use std::collections::BTreeMap;
use std::time::Duration;

use super::audit::{self, NewEntry};
use super::{Backend, Db, StoreResult};

/// Days each kind of record is kept.
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    pub health_days: u32,
    pub gate_days: u32,
    pub quarantine_days: u32,
    /// Days a deleted resident can be brought back before their personal data is erased.
    pub deleted_resident_days: u32,
}

/// Rows deleted, by table.
pub type Purged = BTreeMap<&'static str, u64>;

#[derive(Clone, Copy)]
enum Kind {
    Health,
    Gate,
    Quarantine,
    DeletedResident,
}

/// One table's rows past retention: `cond` on the table aliased `x`, the cutoff bound at `$1` —
/// in unix seconds, or for `by_day` as the first local day kept (`YYYY-MM-DD`). In this order, so
/// that nothing left points at a deleted row (SQLite keeps these foreign keys): an alert before its
/// check, scans before their visitor, a quarantine's days, events, transfers and risk flags before
/// the quarantine.
struct Step {
    table: &'static str,
    kind: Kind,
    by_day: bool,
    cond: &'static str,
    /// On PostgreSQL, the ids by another way: a generic plan reads a bound day as matching a
    /// third of the table and scans all of it; one lateral probe per grid or gate keeps to the
    /// index however few are due.
    pg_ids: Option<&'static str>,
    /// Not deleted but erased ([`ERASE`]): the row stays, for the records that point at it.
    erase: bool,
}

/// What erasing a resident writes: every field that tells who they were blank, and when (`$2`).
/// The row stays so that the records pointing at it (checks, quarantines, the audit log's ids)
/// still hold together; it can no longer be brought back.
const ERASE: &str = "UPDATE residents SET name = '', id_number = '', id_last4 = '', sex = '', \
     birth_date = '', phone = NULL, phone_last4 = NULL, relation = '', tags = '', \
     family_contacts = '[]', emergency_contact_name = '', emergency_contact_phone = NULL, \
     note = '', address = '', erased_at = $2";

/// A quarantine (aliased `q`) that ended before the cutoff, with no transfer still under way.
macro_rules! ended_quarantine {
    () => {
        "q.status IN ('released', 'transferred') AND q.updated_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM transfers t WHERE t.quarantine_id = q.id \
         AND t.status <> 'released')"
    };
}

/// A row of a quarantine (`x.quarantine_id`) that ended before the cutoff.
const OF_ENDED_QUARANTINE: &str = concat!(
    "x.quarantine_id IN (SELECT q.id FROM quarantines q WHERE ",
    ended_quarantine!(),
    ")"
);

const STEPS: &[Step] = &[
    Step {
        table: "alerts",
        kind: Kind::Health,
        by_day: false,
        pg_ids: None,
        erase: false,
        cond: "x.status = 'closed' AND x.closed_at < $1",
    },
    Step {
        table: "health_checks",
        kind: Kind::Health,
        // Grid by grid and by day, through the index the checks have (a city writes a million a
        // day: an index of their times would cost every write). A check an alert still stands on
        // stays with the alert.
        by_day: true,
        pg_ids: Some(
            "SELECT c.id FROM org_units u CROSS JOIN LATERAL (SELECT x.id FROM health_checks x \
             WHERE x.grid_id = u.id AND x.day < $1 \
             AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.health_check_id = x.id) \
             LIMIT 5000) c WHERE u.kind = 'grid'",
        ),
        erase: false,
        cond: "x.grid_id IN (SELECT u.id FROM org_units u WHERE u.kind = 'grid') AND x.day < $1 \
               AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.health_check_id = x.id)",
    },
    Step {
        table: "gate_scans",
        kind: Kind::Gate,
        // Gate by gate and by day, through the index the scans have.
        by_day: true,
        pg_ids: Some(
            "SELECT s.id FROM gates g CROSS JOIN LATERAL (SELECT x.id FROM gate_scans x \
             WHERE x.gate_id = g.id AND x.day < $1 LIMIT 5000) s",
        ),
        erase: false,
        cond: "x.gate_id IN (SELECT g.id FROM gates g) AND x.day < $1",
    },
    Step {
        table: "gate_visitors",
        kind: Kind::Gate,
        by_day: false,
        pg_ids: None,
        erase: false,
        cond: "x.registered_at < $1 \
               AND NOT EXISTS (SELECT 1 FROM gate_scans s WHERE s.visitor_id = x.id)",
    },
    Step {
        table: "risk_flags",
        kind: Kind::Quarantine,
        by_day: false,
        pg_ids: None,
        erase: false,
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
        by_day: false,
        pg_ids: None,
        erase: false,
        cond: OF_ENDED_QUARANTINE,
    },
    Step {
        table: "quarantine_events",
        kind: Kind::Quarantine,
        by_day: false,
        pg_ids: None,
        erase: false,
        cond: OF_ENDED_QUARANTINE,
    },
    Step {
        table: "transfers",
        kind: Kind::Quarantine,
        by_day: false,
        pg_ids: None,
        erase: false,
        cond: OF_ENDED_QUARANTINE,
    },
    Step {
        table: "quarantines",
        kind: Kind::Quarantine,
        by_day: false,
        pg_ids: None,
        erase: false,
        // A risk flag still pending or recent keeps its quarantine.
        cond: concat!(
            "x.id IN (SELECT q.id FROM quarantines q WHERE ",
            ended_quarantine!(),
            ") AND NOT EXISTS (SELECT 1 FROM risk_flags f WHERE f.quarantine_id = x.id)"
        ),
    },
    Step {
        table: "residents",
        kind: Kind::DeletedResident,
        by_day: false,
        pg_ids: None,
        erase: true,
        cond: "x.deleted_at IS NOT NULL AND x.erased_at IS NULL AND x.deleted_at < $1",
    },
];

/// Where a step's records end: a time, or a day.
enum Cutoff {
    At(i64),
    Day(String),
}

impl Cutoff {
    fn bind<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        match self {
            Cutoff::At(at) => q.bind(at),
            Cutoff::Day(day) => q.bind(day),
        }
    }
}

/// Rows deleted per statement: each batch is a transaction of its own, so that the purge of a
/// city's months of gate scans never holds SQLite's writer (or PostgreSQL's locks) for long.
const BATCH: i64 = 5_000;

const DAY: i64 = 86_400;

/// Deletes what is past retention at `now` (unix seconds) and records one audit entry with the
/// counts when anything was deleted. `dry_run` does it all in one transaction and rolls it back:
/// the counts are exact, nothing changes.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn purge(db: &Db, r: &Retention, now: i64, dry_run: bool) -> StoreResult<Purged> {
    let cutoff = |step: &Step| {
        let days = match step.kind {
            Kind::Health => r.health_days,
            Kind::Gate => r.gate_days,
            Kind::Quarantine => r.quarantine_days,
            Kind::DeletedResident => r.deleted_resident_days,
        };
        let at = now - i64::from(days) * DAY;
        match step.by_day {
            false => Cutoff::At(at),
            // The day before the cutoff's UTC day: a day kept by its local date is then kept at
            // least the days set, whatever the time zone (at most two days longer).
            true => Cutoff::Day(
                chrono::DateTime::from_timestamp(at - DAY, 0)
                    .map(|t| t.date_naive().to_string())
                    .unwrap_or_default(),
            ),
        }
    };
    let mut purged = Purged::new();
    // A dry run deletes in one transaction and rolls it back: exact counts, nothing changed.
    let mut dry = match dry_run {
        true => Some(db.begin_write().await?),
        false => None,
    };
    for step in STEPS {
        let ids = match (db.backend, step.pg_ids) {
            (Backend::Postgres, Some(ids)) => ids.to_string(),
            _ => format!("SELECT x.id FROM {} x WHERE {}", step.table, step.cond),
        };
        let sql = match step.erase {
            // Checked on the row itself too: on PostgreSQL an undo committed meanwhile leaves the
            // row living, and only the row's own conditions are checked again after waiting for it.
            true => format!(
                "{ERASE} WHERE id IN ({ids} LIMIT {BATCH}) \
                 AND deleted_at IS NOT NULL AND erased_at IS NULL"
            ),
            false => format!(
                "DELETE FROM {} WHERE id IN ({ids} LIMIT {BATCH})",
                step.table
            ),
        };
        let mut n = 0;
        loop {
            let query = cutoff(step).bind(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())));
            let query = match step.erase {
                true => query.bind(now),
                false => query,
            };
            let done = match dry.as_mut() {
                Some(tx) => query.execute(&mut **tx).await?,
                None => {
                    let mut tx = db.begin_write().await?;
                    let done = query.execute(&mut *tx).await?;
                    tx.commit().await?;
                    done
                }
            };
            n += done.rows_affected();
            if done.rows_affected() < BATCH as u64 {
                break;
            }
        }
        purged.insert(
            if step.erase {
                "residents_erased"
            } else {
                step.table
            },
            n,
        );
    }
    if let Some(tx) = dry {
        tx.rollback().await?;
        return Ok(purged);
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
