//! Supplies in the daily report, on SQLite and PostgreSQL: needs recorded and delivered, households
//! waiting (and the oldest wait), deliveries to isolated households, donations received and the
//! protective material's stock and week of use each equal a direct count over the needs, the
//! deliveries and the ledger, at community and district; a past day counts what stood at its end;
//! a submitted report keeps them frozen.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};
use shouhu_server::db::reports::{ReportUnit, daily};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
/// 南泉社区: the demo seeds supplies in 金华社区 only, so these figures are the test's alone.
const NANQUAN: &str = "650203002005";

fn day(offset: i64) -> String {
    (chrono::Utc::now().with_timezone(&TZ).date_naive() + chrono::Duration::days(offset))
        .to_string()
}

async fn scalar(app: &common::TestApp, sql: String) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

async fn report(app: &common::TestApp, unit: &str, d: &str) -> Value {
    let u = ReportUnit::by_code(&app.db.db, unit)
        .await
        .unwrap()
        .unwrap();
    serde_json::to_value(daily(&app.db.db, &u, d).await.unwrap()).unwrap()
}

async fn created(app: &common::TestApp, token: &str, path: &str, body: Value) -> i64 {
    let (s, v) = app.send(token, Method::POST, path, body).await;
    assert_eq!(s, 201, "{path}: {v}");
    v["id"].as_i64().unwrap()
}

async fn step(app: &common::TestApp, token: &str, community: i64, id: i64, body: Value) {
    let version = scalar(
        app,
        format!("SELECT version FROM supply_deliveries WHERE id = {id}"),
    )
    .await;
    let mut b = body;
    b["community_id"] = json!(community);
    b["version"] = json!(version);
    let (s, v) = app
        .send(
            token,
            Method::POST,
            &format!("/api/v1/supplies/deliveries/{id}/transition"),
            b,
        )
        .await;
    assert_eq!(s, 204, "{v}");
}

#[tokio::test]
async fn supplies_figures_equal_direct_counts_and_freeze_on_submission() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let logistics = app.login("nanquan-logistics").await;
        let grid = app.login("nanquan-grid1").await;
        let community = scalar(
            &app,
            format!("SELECT id FROM org_units WHERE code = '{NANQUAN}'"),
        )
        .await;
        let in_jinhua = format!("community_id = {community}");
        let masks = created(
            &app,
            &leader,
            "/api/v1/supplies/items",
            json!({"name": "报表口罩", "category": "protective", "unit": "个"}),
        )
        .await;
        let rice = created(
            &app,
            &leader,
            "/api/v1/supplies/items",
            json!({"name": "报表大米", "category": "daily", "unit": "袋"}),
        )
        .await;
        // A donation three days ago; masks given to staff two days ago and one of the needs.
        let now = chrono::Utc::now().timestamp();
        created(
            &app,
            &logistics,
            "/api/v1/supplies/donations",
            json!({"community_id": community, "donor": "联点单位", "received_at": now - 3 * 86_400,
                "lines": [{"item_id": masks, "quantity": 700}, {"item_id": rice, "quantity": 50}],
                "idempotency_key": "d"}),
        )
        .await;
        created(
            &app,
            &logistics,
            "/api/v1/supplies/movements",
            json!({"community_id": community, "item_id": masks, "kind": "staff_out", "quantity": 60,
                "at": now - 2 * 86_400, "idempotency_key": "s"}),
        )
        .await;
        // Needs of four households of grid 1; two are delivered today, one to an isolated home.
        let hh: Vec<i64> = sqlx::query_scalar(
            "SELECT h.id FROM households h JOIN org_units g ON g.id = h.grid_id \
             WHERE g.code = '650203002005001' AND h.deleted_at IS NULL ORDER BY h.id LIMIT 4",
        )
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        let mut needs = Vec::new();
        for (i, h) in hh.iter().enumerate() {
            needs.push(created(&app, &grid, "/api/v1/supplies/needs",
                json!({"household_id": h, "item_id": if i % 2 == 0 { masks } else { rice }, "quantity": 10,
                    "paid": false, "idempotency_key": format!("n{i}")})).await);
        }
        let (resident, g): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.id, h.grid_id FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE r.household_id = {} ORDER BY r.id LIMIT 1",
            hh[0]
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO quarantines (resident_id, grid_id, household_id, kind, reason, start_date, \
             planned_end_date, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'home', '密接', '2020-02-01', '2020-02-15', 'active', 1, 0, 0)",
        )
        .bind(resident)
        .bind(g)
        .bind(hh[0])
        .execute(&app.db.db.pool)
        .await
        .unwrap();
        for (i, item) in [(0, masks), (1, rice)] {
            let d = created(&app, &logistics, "/api/v1/supplies/deliveries",
                json!({"community_id": community, "household_id": hh[i], "scheduled_for": now,
                    "lines": [{"item_id": item, "quantity": 10, "need_id": needs[i]}], "idempotency_key": format!("k{i}")})).await;
            step(&app, &logistics, community, d, json!({"to": "out"})).await;
            step(
                &app,
                &logistics,
                community,
                d,
                json!({"to": "delivered", "received_by": "户主", "phone_confirmed": true}),
            )
            .await;
        }
        // A third goes out and fails: its goods come back, its household still waits.
        let d = created(&app, &logistics, "/api/v1/supplies/deliveries",
            json!({"community_id": community, "household_id": hh[2], "scheduled_for": now,
                "lines": [{"item_id": masks, "quantity": 10, "need_id": needs[2]}], "idempotency_key": "k2"})).await;
        step(&app, &logistics, community, d, json!({"to": "out"})).await;
        step(
            &app,
            &logistics,
            community,
            d,
            json!({"to": "failed", "failure": "nobody_home"}),
        )
        .await;

        let today = day(0);
        let r = report(&app, NANQUAN, &today).await;
        let f = &r["figures"];
        let (start, end) = shouhu_server::db::report_stats::day_bounds(&today).unwrap();
        let direct = [
            (
                "supply_needs_recorded",
                format!(
                    "SELECT COUNT(*) FROM supply_needs WHERE {in_jinhua} AND created_at >= {start} AND created_at < {end}"
                ),
            ),
            (
                "supply_needs_delivered",
                format!(
                    "SELECT COUNT(*) FROM supply_needs WHERE {in_jinhua} AND status = 'delivered'"
                ),
            ),
            (
                "supply_households_waiting",
                format!(
                    "SELECT COUNT(DISTINCT household_id) FROM supply_needs WHERE {in_jinhua} AND status IN ('requested','committed','in_transit')"
                ),
            ),
            (
                "supply_deliveries_isolated",
                format!(
                    "SELECT COUNT(*) FROM supply_deliveries WHERE {in_jinhua} AND status = 'delivered' AND isolated = 1"
                ),
            ),
            (
                "supply_donations",
                format!(
                    "SELECT COUNT(*) FROM supply_donations WHERE {in_jinhua} AND received_at >= {start} AND received_at < {end}"
                ),
            ),
            (
                "protective_stock",
                format!(
                    "SELECT CAST(COALESCE(SUM(s.balance), 0) AS BIGINT) FROM supply_stock s JOIN supply_items i ON i.id = s.item_id WHERE s.{in_jinhua} AND i.category = 'protective'"
                ),
            ),
        ];
        for (key, sql) in &direct {
            assert_eq!(
                f[key].as_i64(),
                Some(scalar(&app, sql.clone()).await),
                "{key} ({})",
                app.db.name()
            );
        }
        // The figures themselves, as the test set them up.
        assert_eq!(
            [
                f["supply_needs_recorded"].as_i64(),
                f["supply_needs_delivered"].as_i64(),
                f["supply_households_waiting"].as_i64(),
                f["supply_deliveries_isolated"].as_i64(),
                f["supply_donations"].as_i64(),
                f["protective_stock"].as_i64(),
                f["protective_used_week"].as_i64()
            ],
            [
                Some(4),
                Some(2),
                Some(2),
                Some(1),
                Some(0),
                Some(630),
                Some(70)
            ]
        );
        // 630 at 70 a week: 63 days.
        assert_eq!(r["times"]["protective_days_left"].as_i64(), Some(63));
        let oldest = r["times"]["supply_oldest_wait_seconds"].as_i64().unwrap();
        let waited = chrono::Utc::now().timestamp() - scalar(&app, format!("SELECT MIN(created_at) FROM supply_needs WHERE {in_jinhua} AND status IN ('requested','committed')")).await;
        assert!((oldest - waited).abs() <= 5, "{oldest} vs {waited}");
        // The district adds up its communities.
        let district = report(&app, "650203", &today).await;
        let jinhua = report(&app, "650203100001", &today).await;
        for key in [
            "supply_needs_recorded",
            "supply_needs_delivered",
            "supply_households_waiting",
            "protective_stock",
            "protective_used_week",
        ] {
            assert_eq!(
                district["figures"][key].as_i64().unwrap(),
                f[key].as_i64().unwrap() + jinhua["figures"][key].as_i64().unwrap(),
                "{key}: 南泉 and the demo's 金华"
            );
        }
        // Three days ago: the donation arrived; nobody was waiting yet, 700 masks in the store.
        let past = report(&app, NANQUAN, &day(-3)).await;
        assert_eq!(
            [
                past["figures"]["supply_donations"].as_i64(),
                past["figures"]["supply_households_waiting"].as_i64(),
                past["figures"]["protective_stock"].as_i64()
            ],
            [Some(1), Some(0), Some(700)]
        );

        // Submitted: later needs and deliveries do not change the frozen figures.
        let (s, sub) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/reports/daily/submit",
                json!({"unit": NANQUAN, "date": today, "remark": "已核实"}),
            )
            .await;
        assert_eq!(s, 200, "{sub}");
        let frozen = report(&app, NANQUAN, &today).await;
        created(&app, &grid, "/api/v1/supplies/needs",
            json!({"household_id": hh[3], "item_id": masks, "quantity": 1, "paid": false, "idempotency_key": "late"})).await;
        let after = report(&app, NANQUAN, &today).await;
        assert_eq!(after["figures"], frozen["figures"]);
        assert_eq!(after["times"], frozen["times"]);
        assert_eq!(after["status"], "submitted");
    }
}
