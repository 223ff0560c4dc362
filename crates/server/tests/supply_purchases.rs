//! Purchase runs (采购) on SQLite and PostgreSQL: planned at 2 a.m. with cash advanced in fen,
//! lines written down while shopping, the goods entering the store's ledger on return (once), and
//! reconciliation refused unless the cash balances; every move allowed and refused, bad input
//! named with nothing written, who may run them.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};

async fn scalar(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

async fn go(app: &common::TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.send(
        token,
        Method::POST,
        &format!("/api/v1/supplies/purchases/{id}/transition"),
        body,
    )
    .await
}

async fn version(app: &common::TestApp, id: i64) -> i64 {
    scalar(
        app,
        &format!("SELECT version FROM supply_purchases WHERE id = {id}"),
    )
    .await
}

#[tokio::test]
async fn a_run_to_the_market_at_two_in_the_morning_balances_to_the_fen() {
    for app in common::each_demo_app().await {
        let leader = app.login("jinhua-leader").await;
        let logistics = app.login("jinhua-logistics2").await;
        let community = scalar(&app, "SELECT id FROM org_units WHERE code = '650203100001'").await;
        let mut items = Vec::new();
        for name in ["白菜", "土豆"] {
            let (s, v) = app
                .send(
                    &leader,
                    Method::POST,
                    "/api/v1/supplies/items",
                    json!({"name": name, "category": "vegetables", "unit": "斤"}),
                )
                .await;
            assert_eq!(s, 201, "{v}");
            items.push(v["id"].as_i64().unwrap());
        }
        let two_am = chrono::Utc::now().timestamp() + 3600;
        let plan = |key: &str, cash: i64| {
            json!({"community_id": community, "place": "九鼎农资批发市场",
            "buyers": "马红梅、司机老王", "planned_for": two_am, "cash_advanced_fen": cash, "idempotency_key": key})
        };
        let runs = scalar(&app, "SELECT COUNT(*) FROM supply_purchases").await;
        // Bad input: named, nothing written.
        for (body, field) in [
            (plan("b1", -1), "cash_advanced_fen"),
            (
                json!({"community_id": community, "place": "", "buyers": "x", "planned_for": two_am, "cash_advanced_fen": 1, "idempotency_key": "b2"}),
                "place",
            ),
        ] {
            let (s, v) = app
                .send(&logistics, Method::POST, "/api/v1/supplies/purchases", body)
                .await;
            assert_eq!((s, v["field"].as_str()), (422, Some(field)), "{v}");
        }
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM supply_purchases").await,
            runs
        );
        // A grid worker does not run the store; another community's leader does not see it.
        let grid = app.login("jinhua-grid1").await;
        assert_eq!(
            app.send(
                &grid,
                Method::POST,
                "/api/v1/supplies/purchases",
                plan("g", 100)
            )
            .await
            .0,
            403
        );
        let other = app.login("nanquan-leader").await;
        assert_eq!(
            app.send(
                &other,
                Method::POST,
                "/api/v1/supplies/purchases",
                plan("o", 100)
            )
            .await
            .0,
            404
        );

        // ¥1,000.00 advanced.
        let (s, v) = app
            .send(
                &logistics,
                Method::POST,
                "/api/v1/supplies/purchases",
                plan("p1", 100_000),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (s, again) = app
            .send(
                &logistics,
                Method::POST,
                "/api/v1/supplies/purchases",
                plan("p1", 100_000),
            )
            .await;
        assert_eq!(
            (s, &again["id"]),
            (201, &v["id"]),
            "a retried plan makes one"
        );
        // Returning with nothing written down is refused.
        assert_eq!(go(&app, &logistics, id, json!({"community_id": community, "to": "returned", "version": version(&app, id).await})).await.0, 422);
        assert_eq!(go(&app, &logistics, id, json!({"community_id": community, "to": "shopping", "version": version(&app, id).await})).await.0, 204);
        // 300 斤 of cabbage at ¥1.35 and 200 of potatoes for ¥236.50 on the receipt: ¥641.50.
        let lines =
            |v: i64, lines: Value| json!({"community_id": community, "version": v, "lines": lines});
        let (s, v) = app
            .send(
                &logistics,
                Method::PUT,
                &format!("/api/v1/supplies/purchases/{id}/lines"),
                lines(
                    version(&app, id).await,
                    json!([{"item_id": items[0], "quantity": 300, "unit_price_fen": 135},
                {"item_id": items[0], "quantity": 1, "unit_price_fen": 1}]),
                ),
            )
            .await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("duplicate_item")),
            "{v}"
        );
        let (s, v) = app
            .send(
                &logistics,
                Method::PUT,
                &format!("/api/v1/supplies/purchases/{id}/lines"),
                lines(
                    version(&app, id).await,
                    json!([{"item_id": items[0], "quantity": 0, "unit_price_fen": 135}]),
                ),
            )
            .await;
        assert_eq!((s, v["field"].as_str()), (422, Some("lines")), "{v}");
        let (s, v) = app
            .send(
                &logistics,
                Method::PUT,
                &format!("/api/v1/supplies/purchases/{id}/lines"),
                lines(
                    version(&app, id).await,
                    json!([{"item_id": items[0], "quantity": 300, "unit_price_fen": 135},
                {"item_id": items[1], "quantity": 200, "unit_price_fen": 118, "total_fen": 23650}]),
                ),
            )
            .await;
        assert_eq!(s, 204, "{v}");
        let (s, v) = app
            .get(&logistics, &format!("/api/v1/supplies/purchases/{id}"))
            .await;
        assert_eq!((s, v["lines_fen"].as_i64()), (200, Some(64_150)), "{v}");
        // Reconciling before the goods are in: not yet.
        assert_eq!(go(&app, &logistics, id, json!({"community_id": community, "to": "reconciled", "version": version(&app, id).await, "change_returned_fen": 35_850})).await.0, 422);
        let movements = scalar(&app, "SELECT COUNT(*) FROM supply_movements").await;
        assert_eq!(go(&app, &logistics, id, json!({"community_id": community, "to": "returned", "version": version(&app, id).await})).await.0, 204);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM supply_movements").await,
            movements + 2
        );
        assert_eq!(scalar(&app, &format!("SELECT balance FROM supply_stock WHERE community_id = {community} AND item_id = {}", items[0])).await, 300);
        assert_eq!(scalar(&app, &format!("SELECT COUNT(*) FROM supply_movements WHERE purchase_id = {id} AND kind = 'purchase_in'")).await, 2);
        // Lines are closed once back; returning twice is refused and moves nothing more.
        let (s, _) = app
            .send(
                &logistics,
                Method::PUT,
                &format!("/api/v1/supplies/purchases/{id}/lines"),
                lines(version(&app, id).await, json!([])),
            )
            .await;
        assert_eq!(s, 422);
        assert_eq!(go(&app, &logistics, id, json!({"community_id": community, "to": "returned", "version": version(&app, id).await})).await.0, 422);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM supply_movements").await,
            movements + 2
        );
        // ¥1,000.00 = ¥641.50 + change: ¥358.49 does not balance, ¥358.50 does.
        let (s, v) = go(&app, &logistics, id, json!({"community_id": community, "to": "reconciled", "version": version(&app, id).await, "change_returned_fen": 35_849})).await;
        assert_eq!(
            (s, v["field"].as_str(), v["error"].as_str()),
            (
                422,
                Some("change_returned_fen"),
                Some("cash_does_not_balance")
            ),
            "{v}"
        );
        let (s, v) = go(&app, &logistics, id, json!({"community_id": community, "to": "reconciled", "version": version(&app, id).await})).await;
        assert_eq!(
            (s, v["field"].as_str()),
            (422, Some("change_returned_fen")),
            "{v}"
        );
        assert_eq!(go(&app, &logistics, id, json!({"community_id": community, "to": "reconciled", "version": 1, "change_returned_fen": 35_850})).await.0, 409);
        let (s, v) = go(&app, &logistics, id, json!({"community_id": community, "to": "reconciled", "version": version(&app, id).await, "change_returned_fen": 35_850, "receipts_note": "小票 2 张，马红梅收"})).await;
        assert_eq!(s, 204, "{v}");
        let (_, v) = app
            .get(&leader, &format!("/api/v1/supplies/purchases/{id}"))
            .await;
        assert_eq!(
            (
                v["status"].as_str(),
                v["spent_fen"].as_i64(),
                v["change_returned_fen"].as_i64()
            ),
            (Some("reconciled"), Some(64_150), Some(35_850)),
            "{v}"
        );
        assert_eq!(go(&app, &logistics, id, json!({"community_id": community, "to": "cancelled", "version": version(&app, id).await})).await.0, 422);
        // A store's runs; another community's leader: not there.
        let (s, v) = app
            .get(
                &leader,
                &format!("/api/v1/supplies/purchases?community_id={community}"),
            )
            .await;
        assert_eq!(
            (s, v.as_array().map(Vec::len)),
            (200, Some(runs as usize + 1))
        );
        assert_eq!(
            app.get(&other, &format!("/api/v1/supplies/purchases/{id}"))
                .await
                .0,
            404
        );
        // The database itself refuses a reconciled run whose cash does not balance.
        let broken =
            sqlx::query("UPDATE supply_purchases SET change_returned_fen = 1 WHERE id = $1")
                .bind(id)
                .execute(&app.db.db.pool)
                .await;
        assert!(broken.is_err());
    }
}
