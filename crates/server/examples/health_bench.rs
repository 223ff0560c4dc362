//! Phases of `bench/health.sh` (each prints `seconds=… rows=…`):
//!
//!   setup DB                  active home isolation for 2 % of 南泉社区's residents (test data)
//!   load URL TOKEN DB PART    one day's checks through `POST /api/v1/health-checks/batch`, 1,000
//!                             a request, 4 requests at a time, for the residents whose id % 2 = PART
//!   bare DB N                 the baseline: N rows of the same shape in 1,000-row multi-VALUES
//!                             inserts, one transaction each, into a copy of the table and its indexes
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use shouhu_server::db::Db;
use shouhu_server::db::bulk::{Val, insert_rows};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).expect("missing argument");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (seconds, rows) = match arg(0) {
        "setup" => rt.block_on(setup(arg(1))),
        "load" => rt.block_on(load(arg(1), arg(2), arg(3), arg(4).parse().unwrap())),
        "bare" => rt.block_on(bare(arg(1), arg(2).parse().unwrap())),
        other => panic!("unknown phase {other}"),
    };
    println!("seconds={seconds:.4} rows={rows}");
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

async fn setup(url: &str) -> (f64, usize) {
    let db = Db::connect(url).await.unwrap();
    let t = Instant::now();
    let start = (today() - chrono::Days::new(1)).to_string();
    let end = (today() + chrono::Days::new(13)).to_string();
    let leader: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'nanquan-leader'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let done = sqlx::query(
        "INSERT INTO quarantines (resident_id, grid_id, household_id, kind, reason, start_date, planned_end_date, \
         status, created_by, created_at, updated_at) \
         SELECT r.id, r.grid_id, r.household_id, 'home', 'bench', $1, $2, 'active', $3, 0, 0 \
         FROM residents r JOIN org_units g ON g.id = r.grid_id JOIN org_units c ON c.id = g.parent_id \
         WHERE c.code = '650203002005' AND r.id % 50 = 0",
    )
    .bind(start)
    .bind(end)
    .bind(leader)
    .execute(&db.pool)
    .await
    .unwrap();
    (t.elapsed().as_secs_f64(), done.rows_affected() as usize)
}

async fn load(base: &str, token: &str, url: &str, part: i64) -> (f64, usize) {
    let db = Db::connect(url).await.unwrap();
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM residents WHERE deleted_at IS NULL AND id % 2 = $1 ORDER BY id",
    )
    .bind(part)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let batches: Vec<Vec<i64>> = ids.chunks(1000).map(<[i64]>::to_vec).collect();
    let queue = Arc::new(tokio::sync::Mutex::new(batches.into_iter()));
    let t = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (queue, client, token, base) = (
            queue.clone(),
            client.clone(),
            token.to_string(),
            base.to_string(),
        );
        workers.push(tokio::spawn(async move {
            let mut recorded = 0usize;
            loop {
                let Some(batch) = queue.lock().await.next() else { break };
                let items: Vec<serde_json::Value> = batch
                    .iter()
                    .map(|id| {
                        // One in a thousand with a fever, as a screening day might find.
                        let t = if id % 1000 == 7 { 37.8 } else { 36.2 + (id % 8) as f64 / 10.0 };
                        serde_json::json!({"resident_id": id, "temperature": t, "source": "door", "idempotency_key": format!("bench-{id}")})
                    })
                    .collect();
                let r = client
                    .post(format!("{base}/api/v1/health-checks/batch"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"items": items}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let v: serde_json::Value = r.json().await.unwrap();
                recorded += v["recorded"].as_u64().unwrap() as usize;
            }
            recorded
        }));
    }
    let mut rows = 0;
    for w in workers {
        rows += w.await.unwrap();
    }
    (t.elapsed().as_secs_f64(), rows)
}

async fn bare(url: &str, n: usize) -> (f64, usize) {
    let db = Db::connect(url).await.unwrap();
    for sql in [
        "CREATE TABLE bench_checks AS SELECT * FROM health_checks WHERE 1 = 0",
        "CREATE UNIQUE INDEX bench_checks_key ON bench_checks(recorded_by, idempotency_key)",
        "CREATE INDEX bench_checks_grid_day ON bench_checks(grid_id, day, resident_id)",
        "CREATE INDEX bench_checks_resident ON bench_checks(resident_id, checked_at)",
    ] {
        sqlx::query(sql).execute(&db.pool).await.unwrap();
    }
    let ids: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT id, grid_id, household_id FROM residents WHERE deleted_at IS NULL ORDER BY id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let day = today().to_string();
    let rows: Vec<Vec<Val>> = ids
        .iter()
        .cycle()
        .take(n)
        .enumerate()
        .map(|(i, (id, grid, hh))| {
            vec![
                Val::from(*id),
                Val::from(*grid),
                Val::from(*hh),
                Val::from(362 + id % 8),
                Val::from(""),
                Val::from("door"),
                Val::from(0i64),
                Val::from(day.as_str()),
                Val::from(0i64),
                Val::from(1i64),
                Val::from(format!("bare-{i}")),
                Val::from("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            ]
        })
        .collect();
    let t = Instant::now();
    for chunk in rows.chunks(1000) {
        let mut tx = db.begin_write().await.unwrap();
        insert_rows(
            &mut tx,
            "bench_checks",
            &[
                "id",
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
            ][1..],
            chunk,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    (t.elapsed().as_secs_f64(), rows.len())
}
