//! `bench/notices.sh`: a notice to every grid worker of a city (10,000 by default, spread over
//! the city's grids) and its receipts page — totals per community and the first 500 people, the
//! missing first — against a bare GROUP BY of the same receipts (target ≤ 2), median of REPS.
//!
//!   run DB REPS RECIPIENTS
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use shouhu_domain::Role;
use shouhu_server::db::notices::{self, NewNotice};
use shouhu_server::db::registry::Actor;
use shouhu_server::db::{Backend, Db, Scope};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).expect("missing argument");
    let rt = tokio::runtime::Runtime::new().unwrap();
    match arg(0) {
        "run" => rt.block_on(run(
            arg(1),
            arg(2).parse().unwrap(),
            arg(3).parse().unwrap(),
        )),
        other => panic!("unknown phase {other}"),
    }
}

async fn exec(db: &Db, sql: &str) -> u64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&db.pool)
        .await
        .unwrap()
        .rows_affected()
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A city account and `recipients` grid workers, as many in each grid as it takes, in bulk.
async fn populate(db: &Db, recipients: i64) -> i64 {
    exec(
        db,
        "INSERT INTO users (username, display_name, role, password_hash, must_change_password, \
         disabled, created_at) SELECT 'bench-city', '市级通知员', 'street_officer', password_hash, \
         0, 0, 0 FROM users WHERE username = 'jinhua-grid1'",
    )
    .await;
    exec(
        db,
        "INSERT INTO staff_units (user_id, unit_id) SELECT u.id, o.id FROM users u, org_units o \
         WHERE u.username = 'bench-city' AND o.parent_id IS NULL",
    )
    .await;
    let grids = scalar(db, "SELECT COUNT(*) FROM org_units WHERE kind = 'grid'").await;
    let per_grid = (recipients + grids - 1) / grids;
    // The grid rides in the phone column for a moment, to staff each worker where it was made.
    exec(
        db,
        &format!(
            "INSERT INTO users (username, display_name, role, password_hash, must_change_password, \
             disabled, created_at, phone) \
             WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {per_grid}) \
             SELECT 'bench-gw-' || g.id || '-' || k.n, '网格员' || g.id || '-' || k.n, 'grid_worker', \
             (SELECT password_hash FROM users WHERE username = 'jinhua-grid1'), 0, 0, 0, \
             CAST(g.id AS TEXT) FROM org_units g, k WHERE g.kind = 'grid' ORDER BY g.id, k.n \
             LIMIT {recipients}"
        ),
    )
    .await;
    exec(
        db,
        "INSERT INTO staff_units (user_id, unit_id) SELECT id, CAST(phone AS BIGINT) FROM users \
         WHERE username LIKE 'bench-gw-%'",
    )
    .await;
    exec(
        db,
        "UPDATE users SET phone = NULL WHERE username LIKE 'bench-gw-%'",
    )
    .await;
    scalar(db, "SELECT id FROM users WHERE username = 'bench-city'").await
}

async fn run(url: &str, reps: usize, recipients: i64) {
    let db = Db::connect(url).await.unwrap();
    let city = populate(&db, recipients).await;
    let root = scalar(&db, "SELECT id FROM org_units WHERE parent_id IS NULL").await;
    let actor = Actor {
        user_id: city,
        username: "bench-city".into(),
        address: String::new(),
    };
    let n = NewNotice {
        title: "关于进一步加强社区防控工作的通知".into(),
        body: "全体网格员今晚学习。".into(),
        deadline: shouhu_server::db::now() + 3600,
        roles: vec!["grid_worker"],
        unit_ids: vec![root],
        to_residents: false,
        idempotency_key: "bench".into(),
        request_hash: "bench".into(),
    };
    let t = Instant::now();
    let (id, _) = notices::publish(&db, &actor, &n).await.unwrap();
    let published = t.elapsed().as_secs_f64();
    let got = scalar(
        &db,
        &format!("SELECT COUNT(*) FROM notice_recipients WHERE notice_id = {id}"),
    )
    .await;
    let all = scalar(
        &db,
        "SELECT COUNT(*) FROM users WHERE role = 'grid_worker' AND disabled = 0",
    )
    .await;
    assert_eq!(got, all, "every grid worker of the city");
    // Two in five have studied it, one in five only read it.
    exec(
        &db,
        &format!(
            "UPDATE notice_recipients SET status = CASE WHEN user_id % 5 < 2 THEN 'confirmed' \
             WHEN user_id % 5 = 2 THEN 'read' ELSE 'delivered' END WHERE notice_id = {id}"
        ),
    )
    .await;
    if db.backend == Backend::Postgres {
        exec(&db, "ANALYZE notice_recipients, users, org_units").await;
    }
    let scope = Scope {
        user_id: city,
        role: Role::StreetOfficer,
        grids: None,
    };
    let (mut page, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        let (head, totals) = notices::receipts(&db, &scope, id).await.unwrap();
        page.push(t.elapsed().as_secs_f64());
        assert_eq!(head.notice.recipients, got);
        let t = Instant::now();
        let direct: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT community_id, COUNT(*), \
             CAST(SUM(CASE WHEN status <> 'delivered' THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END) AS BIGINT) \
             FROM notice_recipients WHERE notice_id = $1 GROUP BY community_id",
        )
        .bind(id)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        bare.push(t.elapsed().as_secs_f64());
        let listed = totals.iter().fold((0, 0, 0), |a, t| {
            (a.0 + t.recipients, a.1 + t.read, a.2 + t.confirmed)
        });
        let counted = direct
            .iter()
            .fold((0, 0, 0), |a, r| (a.0 + r.1, a.1 + r.2, a.2 + r.3));
        assert_eq!(
            listed, counted,
            "the page adds up what the bare GROUP BY does"
        );
    }
    // One community's people, the missing first, as its leader or the publisher opens them.
    let community = scalar(
        &db,
        &format!(
            "SELECT community_id FROM notice_recipients WHERE notice_id = {id} \
             GROUP BY community_id ORDER BY COUNT(*) DESC, community_id LIMIT 1"
        ),
    )
    .await;
    let mut people_page = Vec::new();
    let mut listed = 0;
    for _ in 0..reps {
        let t = Instant::now();
        let (head, _) = notices::receipts(&db, &scope, id).await.unwrap();
        let people = notices::receipt_people(&db, &scope, &head, Some(community), 500)
            .await
            .unwrap();
        people_page.push(t.elapsed().as_secs_f64());
        listed = people.len();
    }
    let c = median(people_page);
    let (p, b) = (median(page), median(bare));
    println!(
        "one community's people ({listed} listed) with the totals: {:.1} ms; ratio to the bare GROUP BY {:.2}",
        c * 1e3,
        c / b
    );
    println!(
        "published to {got} grid workers in {:.0} ms ({:.0} recipients/s)",
        published * 1e3,
        got as f64 / published
    );
    println!(
        "receipts page ({got} recipients): {:.1} ms; bare GROUP BY {:.1} ms; ratio {:.2} (target ≤ 2)",
        p * 1e3,
        b * 1e3,
        p / b
    );
}
