//! Phases of `bench/report.sh`:
//!
//!   populate DB DAY       a check for every resident and two gate scans each on DAY (bulk
//!                         INSERT … SELECT), then that day's per-grid figures, as the write paths
//!                         keep them, built from those rows in one GROUP BY each
//!   measure DB DAY REPS   the city's report for DAY against a bare one-day GROUP BY over the raw
//!                         tables (median of REPS each); checks that both give the same figures
//!   writes DB             what keeping the figures adds to writing: checks and scans inserted
//!                         bare, and with the per-grid upserts the store makes, in the same run
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use shouhu_server::db::bulk::{Val, insert_rows};
use shouhu_server::db::gate::scan::Memo;
use shouhu_server::db::reports::{self, ReportUnit};
use shouhu_server::db::{Db, day_stats};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).expect("missing argument");
    let rt = tokio::runtime::Runtime::new().unwrap();
    match arg(0) {
        "populate" => rt.block_on(populate(arg(1), arg(2))),
        "measure" => rt.block_on(measure(arg(1), arg(2), arg(3).parse().unwrap())),
        "writes" => rt.block_on(writes(arg(1))),
        other => panic!("unknown phase {other}"),
    }
}

async fn exec(db: &Db, sql: &'static str, day: &str) -> u64 {
    sqlx::query(sql)
        .bind(day)
        .execute(&db.pool)
        .await
        .unwrap()
        .rows_affected()
}

async fn populate(url: &str, day: &str) {
    let db = Db::connect(url).await.unwrap();
    let t = Instant::now();
    sqlx::query(
        "INSERT INTO gates (community_id, name, kind) SELECT id, '东门', 'both' FROM org_units \
         WHERE kind = 'community' AND id NOT IN (SELECT community_id FROM gates)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let checks = exec(
        &db,
        "INSERT INTO health_checks (resident_id, grid_id, household_id, temperature_tenths, symptoms, source, fever, \
         day, checked_at, recorded_by, idempotency_key, request_hash) \
         SELECT id, grid_id, household_id, CASE WHEN id % 50 = 0 THEN 382 ELSE 362 + id % 8 END, '', 'door', \
         CASE WHEN id % 50 = 0 THEN 1 ELSE 0 END, $1, 0, 1, 'rb-' || id, 'x' FROM residents WHERE deleted_at IS NULL",
        day,
    )
    .await;
    let scans = exec(
        &db,
        "INSERT INTO gate_scans (gate_id, community_id, guard_id, household_id, resident_id, direction, decision, \
         reason, day, at, idempotency_key, request_hash) \
         SELECT (SELECT MIN(g.id) FROM gates g WHERE g.community_id = c.id), c.id, 1, r.household_id, r.id, d.dir, \
         CASE WHEN r.id % 40 = 0 AND d.dir = 'out' THEN 'deny' ELSE 'allow' END, \
         CASE WHEN r.id % 40 = 0 AND d.dir = 'out' THEN 'exit_quota' END, $1, 0, 'rb-' || d.dir || '-' || r.id, 'x' \
         FROM residents r JOIN org_units gr ON gr.id = r.grid_id JOIN org_units c ON c.id = gr.parent_id \
         CROSS JOIN (SELECT 'in' AS dir UNION ALL SELECT 'out' AS dir) d WHERE r.deleted_at IS NULL",
        day,
    )
    .await;
    exec(
        &db,
        "INSERT INTO day_stats (grid_id, day, health_checks, residents_checked, fevers) \
         SELECT grid_id, day, COUNT(*), COUNT(DISTINCT resident_id), SUM(fever) FROM health_checks WHERE day = $1 \
         GROUP BY grid_id, day",
        day,
    )
    .await;
    exec(
        &db,
        "INSERT INTO gate_day_stats (community_id, grid_id, day, kind, n) \
         SELECT s.community_id, COALESCE(h.grid_id, 0), s.day, \
         CASE WHEN s.decision = 'allow' THEN s.direction ELSE 'refused:' || s.reason END, COUNT(*) \
         FROM gate_scans s LEFT JOIN households h ON h.id = s.household_id WHERE s.day = $1 \
         GROUP BY s.community_id, COALESCE(h.grid_id, 0), s.day, CASE WHEN s.decision = 'allow' THEN s.direction ELSE 'refused:' || s.reason END",
        day,
    )
    .await;
    if db.backend == shouhu_server::db::Backend::Postgres {
        sqlx::query("ANALYZE").execute(&db.pool).await.unwrap();
    }
    println!(
        "populated: {checks} checks and {scans} scans on {day} in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64()
}

async fn measure(url: &str, day: &str, reps: usize) {
    let db = Db::connect(url).await.unwrap();
    let city: ReportUnit = sqlx::query_as(
        "SELECT id, code, name, kind, parent_id FROM org_units WHERE kind = 'city' ORDER BY id LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let mut report_times = Vec::new();
    let mut bare_times = Vec::new();
    let mut report = None;
    let mut bare = (0i64, 0i64, HashMap::<(String, String), i64>::new());
    // Alternated, so that drift on a shared machine falls on both alike.
    for _ in 0..reps {
        let t = Instant::now();
        report = Some(reports::daily(&db, &city, day).await.unwrap());
        report_times.push(t.elapsed());
        let t = Instant::now();
        let checks: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT grid_id, COUNT(*), CAST(SUM(fever) AS BIGINT) FROM health_checks WHERE day = $1 GROUP BY grid_id",
        )
        .bind(day)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let scans: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT community_id, direction, decision, COUNT(*) FROM gate_scans WHERE day = $1 \
             GROUP BY community_id, direction, decision",
        )
        .bind(day)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        bare_times.push(t.elapsed());
        let mut gate = HashMap::new();
        for (_, dir, decision, n) in scans {
            *gate.entry((dir, decision)).or_default() += n;
        }
        bare = (
            checks.iter().map(|c| c.1).sum(),
            checks.iter().map(|c| c.2).sum(),
            gate,
        );
    }
    let r = report.unwrap();
    let f = |k: &str| r.figures.get(k);
    let g = |d: &str, x: &str| {
        bare.2
            .get(&(d.to_string(), x.to_string()))
            .copied()
            .unwrap_or(0)
    };
    let same = f("health_checks") == bare.0
        && f("fevers") == bare.1
        && f("gate_in") == g("in", "allow")
        && f("gate_out") == g("out", "allow")
        && f("gate_refused") == g("in", "deny") + g("out", "deny");
    let (rt, bt) = (median(report_times), median(bare_times));
    println!(
        "city report {day}: {:.4} s (median of {reps}); bare one-day GROUP BY: {:.4} s; ratio report/bare: {:.4}; \
         figures match: {same} ({} checks, {} fevers, {} in, {} out, {} refused; {} residents)",
        rt,
        bt,
        rt / bt,
        f("health_checks"),
        f("fevers"),
        f("gate_in"),
        f("gate_out"),
        f("gate_refused"),
        f("residents"),
    );
    assert!(same, "the report's figures differ from the direct count");
}

/// Residents in id order, as (id, grid, household, community).
async fn people(db: &Db, n: usize) -> Vec<(i64, i64, i64, i64)> {
    let mut v: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT r.id, r.grid_id, r.household_id, g.parent_id FROM residents r JOIN org_units g ON g.id = r.grid_id \
         WHERE r.deleted_at IS NULL ORDER BY r.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    v.truncate(n);
    v
}

const CHECK_COLUMNS: [&str; 12] = [
    "resident_id",
    "grid_id",
    "household_id",
    "temperature_tenths",
    "symptoms",
    "source",
    "fever",
    "day",
    "checked_at",
    "recorded_by",
    "idempotency_key",
    "request_hash",
];
const SCAN_COLUMNS: [&str; 12] = [
    "gate_id",
    "community_id",
    "guard_id",
    "household_id",
    "resident_id",
    "direction",
    "decision",
    "reason",
    "day",
    "at",
    "idempotency_key",
    "request_hash",
];

/// Writes the checks (and with `figures`, the per-grid upserts of each transaction) in
/// transactions of `per_tx` rows.
async fn write_checks(
    db: &Db,
    who: &[(i64, i64, i64, i64)],
    day: &str,
    per_tx: usize,
    figures: bool,
) -> f64 {
    let t = Instant::now();
    for chunk in who.chunks(per_tx) {
        let rows: Vec<Vec<Val>> = chunk
            .iter()
            .map(|(id, grid, hh, _)| {
                vec![
                    Val::from(*id),
                    Val::from(*grid),
                    Val::from(*hh),
                    Val::from(365i64),
                    Val::from(""),
                    Val::from("door"),
                    Val::from(0i64),
                    Val::from(day),
                    Val::from(0i64),
                    Val::from(1i64),
                    Val::from(format!("w-{day}-{id}")),
                    Val::from("x"),
                ]
            })
            .collect();
        let mut tx = db.begin_write().await.unwrap();
        insert_rows(&mut tx, "health_checks", &CHECK_COLUMNS, &rows)
            .await
            .unwrap();
        if figures {
            let mut per_grid: HashMap<i64, i64> = HashMap::new();
            for (_, grid, _, _) in chunk {
                *per_grid.entry(*grid).or_default() += 1;
            }
            for (grid, n) in per_grid {
                day_stats::add(&mut tx, grid, day, n, n, 0).await.unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    t.elapsed().as_secs_f64()
}

async fn write_scans(
    db: &Db,
    who: &[(i64, i64, i64, i64)],
    gates: &HashMap<i64, i64>,
    day: &str,
    per_tx: usize,
    figures: bool,
) -> f64 {
    let t = Instant::now();
    for chunk in who.chunks(per_tx) {
        let rows: Vec<Vec<Val>> = chunk
            .iter()
            .map(|(id, _, hh, community)| {
                vec![
                    Val::from(gates[community]),
                    Val::from(*community),
                    Val::from(1i64),
                    Val::from(*hh),
                    Val::from(*id),
                    Val::from("in"),
                    Val::from("allow"),
                    Val::T(None),
                    Val::from(day),
                    Val::from(0i64),
                    Val::from(format!("w-{day}-{id}")),
                    Val::from("x"),
                ]
            })
            .collect();
        let mut tx = db.begin_write().await.unwrap();
        insert_rows(&mut tx, "gate_scans", &SCAN_COLUMNS, &rows)
            .await
            .unwrap();
        if figures {
            let mut memo = Memo::default();
            for (_, grid, _, community) in chunk {
                memo.count(*community, *grid, day, "in");
            }
            memo.flush(&mut tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }
    t.elapsed().as_secs_f64()
}

async fn writes(url: &str) {
    let db = Db::connect(url).await.unwrap();
    let who = people(&db, 100_000).await;
    let single = &who[..2_000];
    let gates: HashMap<i64, i64> = sqlx::query_as::<_, (i64, i64)>(
        "SELECT community_id, MIN(id) FROM gates GROUP BY community_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    // Each measured twice, in the order bare, with, with, bare, each on days of its own.
    let mut report = Vec::new();
    for (what, per_tx, set, m) in [
        ("checks, 1,000 a transaction", 1000, &who[..], 1),
        ("checks, one a transaction", 1, single, 2),
    ] {
        let b1 = write_checks(&db, set, &format!("2000-0{m}-01"), per_tx, false).await;
        let a1 = write_checks(&db, set, &format!("2000-0{m}-02"), per_tx, true).await;
        let a2 = write_checks(&db, set, &format!("2000-0{m}-03"), per_tx, true).await;
        let b2 = write_checks(&db, set, &format!("2000-0{m}-04"), per_tx, false).await;
        report.push((what, set.len(), b1 + b2, a1 + a2));
    }
    for (what, per_tx, set, m) in [
        ("gate scans, 1,000 a transaction", 1000, &who[..], 1),
        ("gate scans, one a transaction", 1, single, 2),
    ] {
        let b1 = write_scans(&db, set, &gates, &format!("2000-0{m}-01"), per_tx, false).await;
        let a1 = write_scans(&db, set, &gates, &format!("2000-0{m}-02"), per_tx, true).await;
        let a2 = write_scans(&db, set, &gates, &format!("2000-0{m}-03"), per_tx, true).await;
        let b2 = write_scans(&db, set, &gates, &format!("2000-0{m}-04"), per_tx, false).await;
        report.push((what, set.len(), b1 + b2, a1 + a2));
    }
    for (what, n, bare, with) in report {
        println!(
            "{what}: {n} rows ×2: bare {bare:.2} s, with the day's figures {with:.2} s; ratio with/bare: {:.3}",
            with / bare
        );
    }
}
