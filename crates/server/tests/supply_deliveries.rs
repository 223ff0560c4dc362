//! Donations (捐赠) and door deliveries (配送到户) on SQLite and PostgreSQL: a partner unit's gift
//! enters the store under its name and is followed to the household's door; a delivery takes its
//! goods from the ledger when it goes out and brings them back when it fails, moving the needs it
//! fills; an isolated household's delivery is contactless and confirmed by phone; bad input named
//! with nothing written; the kept balance always equals the ledger.
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

struct Store {
    community: i64,
    leader: String,
    logistics: String,
    grid: String,
    rice: i64,
    masks: i64,
}

async fn store(app: &common::TestApp) -> Store {
    let leader = app.login("jinhua-leader").await;
    let community = scalar(app, "SELECT id FROM org_units WHERE code = '650203100001'").await;
    let mut ids = Vec::new();
    for (name, category) in [("测试大米", "daily"), ("测试口罩", "protective")] {
        let (s, v) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/supplies/items",
                json!({"name": name, "category": category, "unit": "个", "usual_quantity": 5}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        ids.push(v["id"].as_i64().unwrap());
    }
    Store {
        community,
        leader,
        logistics: app.login("jinhua-logistics1").await,
        grid: app.login("jinhua-grid1").await,
        rice: ids[0],
        masks: ids[1],
    }
}

/// The first and second households of 金华社区's first grid.
async fn households(app: &common::TestApp) -> (i64, i64) {
    let sql = "SELECT h.id FROM households h JOIN org_units g ON g.id = h.grid_id \
         WHERE g.code = '650203100001001' AND h.deleted_at IS NULL ORDER BY h.id DESC LIMIT 2";
    let ids: Vec<i64> = sqlx::query_scalar(sql)
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
    (ids[0], ids[1])
}

async fn balance(app: &common::TestApp, s: &Store, item: i64) -> i64 {
    let kept = scalar(
        app,
        &format!(
            "SELECT COALESCE(MAX(balance), 0) FROM supply_stock WHERE community_id = {} AND item_id = {item}",
            s.community
        ),
    )
    .await;
    let ledger = scalar(
        app,
        &format!(
            "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM supply_movements \
             WHERE community_id = {} AND item_id = {item}",
            s.community
        ),
    )
    .await;
    assert_eq!(kept, ledger, "the kept balance equals the ledger");
    kept
}

async fn go(app: &common::TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.send(
        token,
        Method::POST,
        &format!("/api/v1/supplies/deliveries/{id}/transition"),
        body,
    )
    .await
}

async fn delivery(app: &common::TestApp, token: &str, id: i64) -> Value {
    let (s, v) = app
        .get(token, &format!("/api/v1/supplies/deliveries/{id}"))
        .await;
    assert_eq!(s, 200, "{v}");
    v
}

async fn need_status(app: &common::TestApp, id: i64) -> (String, i64) {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT status, fulfilled FROM supply_needs WHERE id = {id}"
    )))
    .fetch_one(&app.db.db.pool)
    .await
    .unwrap()
}

async fn donate(app: &common::TestApp, s: &Store, key: &str, rice: i64, masks: i64) -> i64 {
    let (st, v) = app
        .send(
            &s.logistics,
            Method::POST,
            "/api/v1/supplies/donations",
            json!({"community_id": s.community, "donor": "克拉玛依石化公司", "contact_name": "王经理",
                "contact_phone": "13999001234", "lines": [{"item_id": s.rice, "quantity": rice},
                {"item_id": s.masks, "quantity": masks}], "idempotency_key": key}),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    v["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_partner_units_gift_enters_the_store_under_its_name_and_is_thanked() {
    for app in common::each_demo_app().await {
        let s = store(&app).await;
        let body = |lines: Value, phone: &str, key: &str| {
            json!({"community_id": s.community, "donor": "克拉玛依石化公司", "contact_phone": phone,
                "lines": lines, "idempotency_key": key})
        };
        let movements = scalar(&app, "SELECT COUNT(*) FROM supply_movements").await;
        for (b, field) in [
            (body(json!([]), "", "b1"), "lines"),
            (
                body(json!([{"item_id": s.rice, "quantity": 0}]), "", "b2"),
                "lines",
            ),
            (
                body(json!([{"item_id": 999_999, "quantity": 3}]), "", "b3"),
                "lines",
            ),
            (
                body(
                    json!([{"item_id": s.rice, "quantity": 3}, {"item_id": s.rice, "quantity": 1}]),
                    "",
                    "b4",
                ),
                "lines",
            ),
            (
                body(json!([{"item_id": s.rice, "quantity": 3}]), "12345", "b5"),
                "contact_phone",
            ),
            (
                json!({"community_id": s.community, "donor": " ", "lines": [{"item_id": s.rice, "quantity": 3}], "idempotency_key": "b6"}),
                "donor",
            ),
        ] {
            let (st, v) = app
                .send(&s.logistics, Method::POST, "/api/v1/supplies/donations", b)
                .await;
            assert_eq!((st, v["field"].as_str()), (422, Some(field)), "{v}");
        }
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM supply_movements").await,
            movements,
            "nothing written"
        );
        // A grid worker does not work the store; another community's leader does not see it.
        let ok = body(json!([{"item_id": s.rice, "quantity": 3}]), "", "g");
        assert_eq!(
            app.send(
                &s.grid,
                Method::POST,
                "/api/v1/supplies/donations",
                ok.clone()
            )
            .await
            .0,
            403
        );
        let other = app.login("nanquan-leader").await;
        assert_eq!(
            app.send(&other, Method::POST, "/api/v1/supplies/donations", ok)
                .await
                .0,
            404
        );

        let id = donate(&app, &s, "d1", 40, 500).await;
        // Sent again: the same donation, the goods in once.
        let again = donate(&app, &s, "d1", 40, 500).await;
        assert_eq!(again, id);
        assert_eq!(balance(&app, &s, s.rice).await, 40);
        assert_eq!(balance(&app, &s, s.masks).await, 500);
        assert_eq!(
            scalar(
                &app,
                &format!(
                    "SELECT COUNT(*) FROM supply_movements WHERE donation_id = {id} AND kind = 'donation_in'"
                )
            )
            .await,
            2
        );
        let (st, v) = app
            .get(&s.leader, &format!("/api/v1/supplies/donations/{id}"))
            .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["donor"], "克拉玛依石化公司");
        assert_eq!(v["receipt_no"], format!("JZ-{}-{id:05}", s.community));
        assert_eq!(v["lines"].as_array().unwrap().len(), 2);
        assert!(
            v["lines"]
                .as_array()
                .unwrap()
                .iter()
                .all(|l| l["left"] == l["quantity"] && l["delivered"] == 0),
            "{v}"
        );
        // A grid worker of the community sees it; another community's leader does not.
        assert_eq!(
            app.get(&s.grid, &format!("/api/v1/supplies/donations/{id}"))
                .await
                .0,
            200
        );
        assert_eq!(
            app.get(&other, &format!("/api/v1/supplies/donations/{id}"))
                .await
                .0,
            404
        );
    }
}

#[tokio::test]
async fn a_delivery_takes_its_goods_out_brings_them_back_on_failure_and_moves_the_need() {
    for app in common::each_demo_app().await {
        let s = store(&app).await;
        let (hh, other_hh) = households(&app).await;
        let donation = donate(&app, &s, "d", 10, 100).await;
        // The household asked for 6 bags of rice.
        let (st, v) = app
            .send(
                &s.grid,
                Method::POST,
                "/api/v1/supplies/needs",
                json!({"household_id": hh, "item_id": s.rice, "quantity": 6, "paid": true, "idempotency_key": "n"}),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        let need = v["id"].as_i64().unwrap();
        let soon = chrono::Utc::now().timestamp() + 600;
        let plan = |lines: Value, key: &str| {
            json!({"community_id": s.community, "household_id": hh, "scheduled_for": soon,
                "courier": "志愿者小李", "due_fen": 12_000, "lines": lines, "idempotency_key": key})
        };
        // Bad input: named, nothing written.
        let deliveries = || scalar(&app, "SELECT COUNT(*) FROM supply_deliveries");
        let before = deliveries().await;
        for (b, field, code) in [
            (plan(json!([]), "b1"), "lines", "required"),
            (
                plan(json!([{"item_id": s.rice, "quantity": 11}]), "b2"),
                "lines",
                "insufficient_stock",
            ),
            (
                plan(
                    json!([{"item_id": s.rice, "quantity": 7, "need_id": need}]),
                    "b3",
                ),
                "lines",
                "more_than_needed",
            ),
            (
                plan(
                    json!([{"item_id": s.masks, "quantity": 1, "need_id": need}]),
                    "b4",
                ),
                "lines",
                "unknown_need",
            ),
            (
                plan(
                    json!([{"item_id": s.rice, "quantity": 1, "donation_id": 999_999}]),
                    "b5",
                ),
                "lines",
                "unknown_donation",
            ),
            (
                plan(json!([{"item_id": s.rice, "quantity": -1}]), "b6"),
                "lines",
                "out_of_range",
            ),
        ] {
            let (st, v) = app
                .send(&s.logistics, Method::POST, "/api/v1/supplies/deliveries", b)
                .await;
            assert_eq!(
                (st, v["field"].as_str(), v["error"].as_str()),
                (422, Some(field), Some(code)),
                "{v}"
            );
        }
        // Another household's need is not this one's.
        let mut b = plan(
            json!([{"item_id": s.rice, "quantity": 1, "need_id": need}]),
            "b7",
        );
        b["household_id"] = json!(other_hh);
        let (st, v) = app
            .send(&s.logistics, Method::POST, "/api/v1/supplies/deliveries", b)
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (422, Some("unknown_need")),
            "{v}"
        );
        assert_eq!(deliveries().await, before, "nothing written");

        let lines = json!([{"item_id": s.rice, "quantity": 6, "need_id": need, "donation_id": donation},
            {"item_id": s.masks, "quantity": 20}]);
        let (st, v) = app
            .send(
                &s.logistics,
                Method::POST,
                "/api/v1/supplies/deliveries",
                plan(lines.clone(), "k"),
            )
            .await;
        assert_eq!(st, 201, "{v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(need_status(&app, need).await.0, "committed");
        // The same need again: refused while this delivery is open.
        let (st, v) = app
            .send(
                &s.logistics,
                Method::POST,
                "/api/v1/supplies/deliveries",
                plan(
                    json!([{"item_id": s.rice, "quantity": 1, "need_id": need}]),
                    "k2",
                ),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (422, Some("need_already_scheduled")),
            "{v}"
        );
        // Scheduling takes nothing from the store yet.
        assert_eq!(balance(&app, &s, s.rice).await, 10);

        let d = delivery(&app, &s.leader, id).await;
        assert_eq!(d["lines"][0]["donor"], "克拉玛依石化公司", "{d}");
        assert_eq!(
            (d["isolated"].as_bool(), d["contactless"].as_bool()),
            (Some(false), Some(false))
        );
        // Delivered straight from scheduled: not allowed.
        let (st, v) = go(&app, &s.logistics, id, json!({"community_id": s.community, "to": "delivered", "version": d["version"], "received_by": "本人"})).await;
        assert_eq!((st, v["field"].as_str()), (422, Some("to")), "{v}");
        // Out: the goods leave the store, marked with the delivery and the donor.
        let (st, v) = go(
            &app,
            &s.logistics,
            id,
            json!({"community_id": s.community, "to": "out", "version": d["version"]}),
        )
        .await;
        assert_eq!(st, 204, "{v}");
        assert_eq!(balance(&app, &s, s.rice).await, 4);
        assert_eq!(balance(&app, &s, s.masks).await, 80);
        assert_eq!(
            scalar(&app, &format!("SELECT COUNT(*) FROM supply_movements WHERE delivery_id = {id} AND kind = 'delivery_out' AND ((item_id = {} AND donation_id = {donation}) OR (item_id = {} AND donation_id IS NULL))", s.rice, s.masks)).await,
            2
        );
        assert_eq!(need_status(&app, need).await.0, "in_transit");
        // Sent again with the old version: a conflict, nothing moves twice.
        let (st, _) = go(
            &app,
            &s.logistics,
            id,
            json!({"community_id": s.community, "to": "out", "version": d["version"]}),
        )
        .await;
        assert_eq!(st, 409);
        assert_eq!(balance(&app, &s, s.rice).await, 4);

        // Nobody home: why is required; the goods come back, the need waits again.
        let v1 = delivery(&app, &s.leader, id).await["version"].clone();
        let (st, v) = go(
            &app,
            &s.logistics,
            id,
            json!({"community_id": s.community, "to": "failed", "version": v1}),
        )
        .await;
        assert_eq!((st, v["field"].as_str()), (422, Some("failure")), "{v}");
        let (st, v) = go(
            &app,
            &s.logistics,
            id,
            json!({"community_id": s.community, "to": "failed", "version": v1, "failure": "away"}),
        )
        .await;
        assert_eq!((st, v["field"].as_str()), (422, Some("failure")), "{v}");
        let (st, v) = go(&app, &s.logistics, id, json!({"community_id": s.community, "to": "failed", "version": v1, "failure": "nobody_home"})).await;
        assert_eq!(st, 204, "{v}");
        assert_eq!(balance(&app, &s, s.rice).await, 10);
        assert_eq!(balance(&app, &s, s.masks).await, 100);
        assert_eq!(need_status(&app, need).await.0, "committed");
        // Rescheduled for tomorrow: when is required.
        let d = delivery(&app, &s.leader, id).await;
        assert_eq!(d["failure"], "nobody_home");
        let (st, v) = go(
            &app,
            &s.logistics,
            id,
            json!({"community_id": s.community, "to": "scheduled", "version": d["version"]}),
        )
        .await;
        assert_eq!(
            (st, v["field"].as_str()),
            (422, Some("scheduled_for")),
            "{v}"
        );
        let (st, _) = go(&app, &s.logistics, id, json!({"community_id": s.community, "to": "scheduled", "version": d["version"], "scheduled_for": soon + 86_400})).await;
        assert_eq!(st, 204);
        let d = delivery(&app, &s.leader, id).await;
        assert_eq!(
            (d["status"].as_str(), d["attempts"].as_i64()),
            (Some("scheduled"), Some(2))
        );
        let (st, _) = go(&app, &s.logistics, id, json!({"community_id": s.community, "to": "out", "version": d["version"], "courier": "志愿者小张"})).await;
        assert_eq!(st, 204);
        // Delivered by hand: to whom, and the money due collected.
        let d = delivery(&app, &s.leader, id).await;
        assert_eq!(d["courier"], "志愿者小张");
        for (b, field) in [
            (
                json!({"community_id": s.community, "to": "delivered", "version": d["version"], "collected_fen": 12_000}),
                "received_by",
            ),
            (
                json!({"community_id": s.community, "to": "delivered", "version": d["version"], "received_by": "户主"}),
                "collected_fen",
            ),
            (
                json!({"community_id": s.community, "to": "delivered", "version": d["version"], "received_by": "户主", "collected_fen": -5}),
                "collected_fen",
            ),
        ] {
            let (st, v) = go(&app, &s.logistics, id, b).await;
            assert_eq!((st, v["field"].as_str()), (422, Some(field)), "{v}");
        }
        let (st, v) = go(&app, &s.logistics, id, json!({"community_id": s.community, "to": "delivered", "version": d["version"], "received_by": "户主", "collected_fen": 12_000})).await;
        assert_eq!(st, 204, "{v}");
        assert_eq!(need_status(&app, need).await, ("delivered".to_string(), 6));
        let d = delivery(&app, &s.leader, id).await;
        assert_eq!(
            (d["status"].as_str(), d["collected_fen"].as_i64()),
            (Some("delivered"), Some(12_000))
        );
        // Delivered is final; the ledger's delivery movements cannot be undone by hand.
        let (st, _) = go(&app, &s.logistics, id, json!({"community_id": s.community, "to": "failed", "version": d["version"], "failure": "refused"})).await;
        assert_eq!(st, 422);
        let out = scalar(
            &app,
            &format!("SELECT MAX(id) FROM supply_movements WHERE delivery_id = {id}"),
        )
        .await;
        let (st, v) = app
            .send(
                &s.logistics,
                Method::POST,
                &format!("/api/v1/supplies/movements/{out}/reverse"),
                json!({"community_id": s.community, "reason": "x", "idempotency_key": "r"}),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (422, Some("not_reversible")),
            "{v}"
        );
        // The donation shows what reached households and what is left.
        let (_, v) = app
            .get(&s.leader, &format!("/api/v1/supplies/donations/{donation}"))
            .await;
        let rice = v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["item_id"] == s.rice)
            .unwrap()
            .clone();
        assert_eq!(
            (rice["delivered"].as_i64(), rice["left"].as_i64()),
            (Some(6), Some(4)),
            "{v}"
        );
        // A second delivery cannot take more of the donor's rice than is left of it.
        let (st, v) = app
            .send(
                &s.logistics,
                Method::POST,
                "/api/v1/supplies/deliveries",
                plan(
                    json!([{"item_id": s.rice, "quantity": 5, "donation_id": donation}]),
                    "k3",
                ),
            )
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (422, Some("donation_exhausted")),
            "{v}"
        );
        // The day's list shows it; a bad day or status is named.
        let day = chrono::DateTime::from_timestamp(soon + 86_400, 0)
            .unwrap()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        let (st, v) = app
            .get(
                &s.grid,
                &format!(
                    "/api/v1/supplies/deliveries?community_id={}&day={day}",
                    s.community
                ),
            )
            .await;
        assert_eq!(st, 200, "{v}");
        assert!(v.as_array().unwrap().iter().any(|d| d["id"] == id), "{v}");
        for (q, field) in [("day=2020-02-30", "day"), ("status=lost", "status")] {
            let (st, v) = app
                .get(
                    &s.grid,
                    &format!(
                        "/api/v1/supplies/deliveries?community_id={}&{q}",
                        s.community
                    ),
                )
                .await;
            assert_eq!((st, v["field"].as_str()), (422, Some(field)), "{v}");
        }
        // Moves are the store workers': a grid worker is refused, another community sees nothing.
        let other = app.login("nanquan-leader").await;
        assert_eq!(
            app.get(&other, &format!("/api/v1/supplies/deliveries/{id}"))
                .await
                .0,
            404
        );
        let (st, _) = go(
            &app,
            &s.grid,
            id,
            json!({"community_id": s.community, "to": "cancelled", "version": 1}),
        )
        .await;
        assert_eq!(st, 403);
    }
}

#[tokio::test]
async fn an_isolated_households_delivery_is_left_at_the_door_and_confirmed_by_phone() {
    for app in common::each_demo_app().await {
        let s = store(&app).await;
        let (_, hh) = households(&app).await;
        // The household goes into home isolation.
        let (resident, grid): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT r.id, h.grid_id FROM residents r JOIN households h ON h.id = r.household_id \
             WHERE r.household_id = {hh} ORDER BY r.id LIMIT 1"
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        let user = scalar(
            &app,
            "SELECT id FROM users WHERE username = 'jinhua-leader'",
        )
        .await;
        sqlx::query(
            "INSERT INTO quarantines (resident_id, grid_id, household_id, kind, reason, start_date, \
             planned_end_date, status, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, 'home', '密接', '2020-02-01', '2020-02-15', 'active', $4, 0, 0)",
        )
        .bind(resident)
        .bind(grid)
        .bind(hh)
        .bind(user)
        .execute(&app.db.db.pool)
        .await
        .unwrap();
        donate(&app, &s, "d", 10, 10).await;
        let (st, v) = app
            .send(&s.logistics, Method::POST, "/api/v1/supplies/deliveries",
                json!({"community_id": s.community, "household_id": hh, "scheduled_for": chrono::Utc::now().timestamp(),
                    "contactless": false, "lines": [{"item_id": s.masks, "quantity": 10}], "idempotency_key": "i"}))
            .await;
        assert_eq!(st, 201, "{v}");
        let id = v["id"].as_i64().unwrap();
        let d = delivery(&app, &s.leader, id).await;
        assert_eq!(
            (d["isolated"].as_bool(), d["contactless"].as_bool()),
            (Some(true), Some(true)),
            "{d}"
        );
        let (st, _) = go(
            &app,
            &s.logistics,
            id,
            json!({"community_id": s.community, "to": "out", "version": d["version"]}),
        )
        .await;
        assert_eq!(st, 204);
        let version = delivery(&app, &s.leader, id).await["version"].clone();
        // Handed to someone is not enough: the household must confirm by phone.
        let (st, v) = go(&app, &s.logistics, id, json!({"community_id": s.community, "to": "delivered", "version": version, "received_by": "门口"})).await;
        assert_eq!(
            (st, v["field"].as_str()),
            (422, Some("phone_confirmed")),
            "{v}"
        );
        let (st, v) = go(&app, &s.logistics, id, json!({"community_id": s.community, "to": "delivered", "version": version, "phone_confirmed": true})).await;
        assert_eq!(st, 204, "{v}");
        assert_eq!(balance(&app, &s, s.masks).await, 0);
        // The store is empty: another delivery of masks is refused when scheduled.
        let (st, v) = app
            .send(&s.logistics, Method::POST, "/api/v1/supplies/deliveries",
                json!({"community_id": s.community, "household_id": hh, "scheduled_for": 1_700_000_000,
                    "lines": [{"item_id": s.masks, "quantity": 1}], "idempotency_key": "i2"}))
            .await;
        assert_eq!(
            (st, v["error"].as_str()),
            (422, Some("insufficient_stock")),
            "{v}"
        );
    }
}

#[tokio::test]
async fn two_deliveries_going_out_with_the_last_units_one_goes() {
    for app in common::each_demo_app().await {
        let s = store(&app).await;
        let (a, b) = households(&app).await;
        donate(&app, &s, "d", 5, 1).await;
        let mut ids = Vec::new();
        for (hh, key) in [(a, "a"), (b, "b")] {
            // Both scheduled while 5 are in the store.
            let (st, v) = app
                .send(&s.logistics, Method::POST, "/api/v1/supplies/deliveries",
                    json!({"community_id": s.community, "household_id": hh, "scheduled_for": 1_700_000_000,
                        "lines": [{"item_id": s.rice, "quantity": 4}], "idempotency_key": key}))
                .await;
            assert_eq!(st, 201, "{v}");
            ids.push(v["id"].as_i64().unwrap());
        }
        let mut sends = Vec::new();
        for &id in &ids {
            let version = delivery(&app, &s.leader, id).await["version"].clone();
            sends.push(go(
                &app,
                &s.logistics,
                id,
                json!({"community_id": s.community, "to": "out", "version": version}),
            ));
        }
        let results = futures::future::join_all(sends).await;
        let codes: Vec<u16> = results.iter().map(|r| r.0).collect();
        assert_eq!(
            codes.iter().filter(|&&c| c == 204).count(),
            1,
            "{results:?}"
        );
        assert!(
            results
                .iter()
                .any(|(c, v)| *c == 422 && v["error"] == "insufficient_stock"),
            "{results:?}"
        );
        assert_eq!(balance(&app, &s, s.rice).await, 1);
        assert_eq!(
            scalar(
                &app,
                &format!(
                    "SELECT COUNT(*) FROM supply_deliveries WHERE status = 'out' AND id IN ({}, {})",
                    ids[0], ids[1]
                )
            )
            .await,
            1
        );
    }
}
