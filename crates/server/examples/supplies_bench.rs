//! Phases of `bench/supplies.sh`:
//!
//!   populate DB        one household in five asks for one item today (about 100,000 open needs at
//!                      500,000 households), a city account, and one store with 1,000,000 ledger
//!                      movements (goods in and out over nine items, never short) — in bulk
//!   measure DB REPS    the city's needs list of the day against a bare GROUP BY of the same rows
//!                      answering the same totals (households and free households per item);
//!                      1,000 concurrent issues against 100 units of one item (exactly 100 succeed,
//!                      the store ends at 0, the kept balance equals the ledger) against 1,000 bare
//!                      single-row inserts; the stock of every item of the store against a bare SUM
//!                      over its ledger (median of REPS each)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use shouhu_domain::Role;
use shouhu_domain::supplies::MovementKind;
use shouhu_server::db::registry::Actor;
use shouhu_server::db::supplies::{self, ledger, needs};
use shouhu_server::db::{Backend, Db, Scope};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const MOVEMENTS: i64 = 1_000_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).expect("missing argument");
    let rt = tokio::runtime::Runtime::new().unwrap();
    match arg(0) {
        "populate" => rt.block_on(populate(arg(1))),
        "measure" => rt.block_on(measure(arg(1), arg(2).parse().unwrap())),
        other => panic!("unknown phase {other}"),
    }
}

async fn run(db: &Db, sql: &str) -> u64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&db.pool)
        .await
        .unwrap()
        .rows_affected()
}

async fn id(db: &Db, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&db.pool).await.unwrap()
}

fn today() -> String {
    shouhu_server::db::report_stats::local_today()
}

/// The store of 金华社区 (the demo's catalogue is there).
async fn store(db: &Db) -> i64 {
    id(db, "SELECT id FROM org_units WHERE code = '650203100001'").await
}

async fn populate(url: &str) {
    let db = Db::connect(url).await.unwrap();
    let leader = id(&db, "SELECT id FROM users WHERE username = 'jinhua-leader'").await;
    let t = Instant::now();
    let n = run(
        &db,
        &format!(
            "INSERT INTO supply_needs (community_id, grid_id, household_id, item_id, day, quantity, \
             fulfilled, paid, note, status, created_by, created_at, updated_at, idempotency_key, \
             request_hash) SELECT g.parent_id, h.grid_id, h.id, \
             (SELECT MIN(id) FROM supply_items) + h.id % 9, '{}', 1 + h.id % 3, 0, h.id % 2, '', \
             'requested', {leader}, 0, 0, 'bench-need-' || h.id, '' FROM households h \
             JOIN org_units g ON g.id = h.grid_id WHERE h.id % 5 = 0 AND h.deleted_at IS NULL",
            today()
        ),
    )
    .await;
    println!(
        "open needs of the day: {n} in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    run(
        &db,
        "INSERT INTO users (username, display_name, role, password_hash, must_change_password, \
         disabled, created_at) SELECT 'bench-city', '市级查看', 'street_officer', password_hash, 0, 0, 0 \
         FROM users WHERE username = 'jinhua-grid1'",
    )
    .await;
    run(
        &db,
        "INSERT INTO staff_units (user_id, unit_id) SELECT u.id, o.id FROM users u, org_units o \
         WHERE u.username = 'bench-city' AND o.parent_id IS NULL",
    )
    .await;
    // The ledger: nine items in turn, each movement at its own second; of each item's movements
    // two in three bring goods in and the third takes one out, so the store is never short.
    let t = Instant::now();
    let community = store(&db).await;
    let mut done = 0;
    while done < MOVEMENTS {
        let batch = 100_000.min(MOVEMENTS - done);
        run(
            &db,
            &format!(
                "INSERT INTO supply_movements (community_id, item_id, kind, quantity, at, reason, \
                 recorded_by, recorded_at, idempotency_key, request_hash) \
                 WITH RECURSIVE s(n) AS (SELECT {start} UNION ALL SELECT n + 1 FROM s WHERE n < {end}) \
                 SELECT {community}, (SELECT MIN(id) FROM supply_items) + n % 9, \
                 CASE WHEN (n / 9) % 3 = 2 THEN 'staff_out' ELSE 'purchase_in' END, \
                 CASE WHEN (n / 9) % 3 = 2 THEN -1 ELSE 1 END, 1500000000 + n, '', {leader}, 0, \
                 'bench-move-' || n, '' FROM s",
                start = done + 1,
                end = done + batch,
            ),
        )
        .await;
        done += batch;
    }
    // The kept balances follow the ledger, as every write keeps them.
    run(
        &db,
        &format!(
            "INSERT INTO supply_stock (community_id, item_id, balance, last_at) \
             SELECT community_id, item_id, SUM(quantity), MAX(at) FROM supply_movements \
             WHERE community_id = {community} GROUP BY community_id, item_id \
             ON CONFLICT (community_id, item_id) DO UPDATE SET balance = excluded.balance, \
             last_at = excluded.last_at"
        ),
    )
    .await;
    if db.backend == Backend::Postgres {
        run(&db, "ANALYZE supply_needs, supply_movements, supply_stock").await;
    }
    println!(
        "ledger of {MOVEMENTS} movements in {:.1}s",
        t.elapsed().as_secs_f64()
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn measure(url: &str, reps: usize) {
    let db = Db::connect(url).await.unwrap();
    needs_list_vs_group_by(&db, reps).await;
    issues_vs_inserts(&db).await;
    stock_vs_sum(&db, reps).await;
}

async fn needs_list_vs_group_by(db: &Db, reps: usize) {
    let user = id(db, "SELECT id FROM users WHERE username = 'bench-city'").await;
    let scope = Scope {
        user_id: user,
        role: Role::StreetOfficer,
        grids: None,
    };
    let day = today();
    let (mut list, mut bare) = (Vec::new(), Vec::new());
    let mut rows = (0, 0);
    for _ in 0..reps {
        let t = Instant::now();
        let totals = needs::totals(db, &scope, None, &day).await.unwrap();
        list.push(t.elapsed().as_secs_f64());
        rows.0 = totals.iter().map(|t| t.requested).sum::<i64>();
        let t = Instant::now();
        let direct: Vec<(i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT item_id, CAST(SUM(quantity) AS BIGINT), CAST(SUM(quantity - fulfilled) AS BIGINT), \
             COUNT(DISTINCT household_id), COUNT(DISTINCT CASE WHEN paid = 0 THEN household_id END) \
             FROM supply_needs WHERE day = $1 \
             AND status IN ('requested','committed','in_transit') GROUP BY item_id",
        )
        .bind(&day)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        bare.push(t.elapsed().as_secs_f64());
        rows.1 = direct.iter().map(|r| r.1).sum::<i64>();
        // The same totals the list answers, free households included.
        let free: i64 = totals.iter().map(|t| t.free_households).sum();
        assert_eq!(free, direct.iter().map(|r| r.4).sum::<i64>());
    }
    assert_eq!(
        rows.0, rows.1,
        "the list adds up what the bare GROUP BY does"
    );
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM supply_needs WHERE day = $1 AND status = 'requested'",
    )
    .bind(&day)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let (l, b) = (median(list), median(bare));
    println!(
        "the city's needs list of the day ({open} open needs): {:.0} ms; bare GROUP BY {:.0} ms; \
         ratio {:.2} (target ≤ 2)",
        l * 1e3,
        b * 1e3,
        l / b
    );
}

async fn issues_vs_inserts(db: &Db) {
    let community = store(db).await;
    let leader = id(db, "SELECT id FROM users WHERE username = 'jinhua-leader'").await;
    let actor = Actor {
        user_id: leader,
        username: "jinhua-leader".into(),
        address: String::new(),
    };
    let item = supplies::create_item(
        db,
        &actor,
        &supplies::NewItem {
            name: format!("压测物资{}", shouhu_server::db::now()),
            category: shouhu_domain::supplies::ItemCategory::Protective,
            unit: "个".into(),
            usual_quantity: None,
        },
    )
    .await
    .unwrap();
    let mut m = ledger::NewMovement::plain(
        community,
        item,
        MovementKind::PurchaseIn,
        100,
        shouhu_server::db::now() - 60,
        String::new(),
    );
    m.idempotency_key = format!("bench-in-{item}");
    ledger::post(db, &actor, &m).await.unwrap();
    let actor = Arc::new(actor);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let (db, actor) = (db.clone(), actor.clone());
        tasks.push(tokio::spawn(async move {
            let mut m = ledger::NewMovement::plain(
                community,
                item,
                MovementKind::StaffOut,
                -1,
                shouhu_server::db::now(),
                String::new(),
            );
            m.idempotency_key = format!("bench-out-{item}-{i}");
            // A busy database may refuse outright ("try again"): counted as not issued.
            ledger::post(&db, &actor, &m).await.is_ok()
        }));
    }
    let mut issued = 0;
    for task in tasks {
        issued += usize::from(task.await.unwrap());
    }
    let issues = t.elapsed().as_secs_f64();
    let kept: i64 = sqlx::query_scalar(
        "SELECT balance FROM supply_stock WHERE community_id = $1 AND item_id = $2",
    )
    .bind(community)
    .bind(item)
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let ledger = ledger::ledger_sum(db, community, item).await.unwrap();
    let _ = run(db, "DROP TABLE IF EXISTS bench_rows").await;
    run(
        db,
        "CREATE TABLE bench_rows (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)",
    )
    .await;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..1000i64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query("INSERT INTO bench_rows (id, n) VALUES ($1, 1)")
                .bind(i)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let bare = t.elapsed().as_secs_f64();
    run(db, "DROP TABLE bench_rows").await;
    println!(
        "1,000 concurrent issues of 100 units: {issued} issued, {kept} left (ledger {ledger}); \
         {:.0} issues/s vs {:.0} bare single-row inserts/s; ratio {:.2}",
        1000.0 / issues,
        1000.0 / bare,
        bare / issues
    );
    assert_eq!(
        (issued, kept, ledger),
        (100, 0, 0),
        "exactly the 100 units, never fewer than none"
    );
}

async fn stock_vs_sum(db: &Db, reps: usize) {
    let community = store(db).await;
    let moved: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM supply_movements WHERE community_id = $1")
            .bind(community)
            .fetch_one(&db.pool)
            .await
            .unwrap();
    let (mut stock, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        let lines = supplies::stock(db, community).await.unwrap();
        stock.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        let sums: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT item_id, CAST(SUM(quantity) AS BIGINT) FROM supply_movements \
             WHERE community_id = $1 GROUP BY item_id",
        )
        .bind(community)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        bare.push(t.elapsed().as_secs_f64());
        for (item, sum) in sums {
            let kept = lines.iter().find(|l| l.item_id == item).map(|l| l.balance);
            assert_eq!(
                kept,
                Some(sum),
                "item {item}: the kept balance equals the ledger"
            );
        }
    }
    let (s, b) = (median(stock), median(bare));
    println!(
        "the store's stock of every item ({moved} movements): {:.2} ms; bare SUM over the ledger \
         {:.0} ms; ratio {:.4}",
        s * 1e3,
        b * 1e3,
        s / b
    );
}
