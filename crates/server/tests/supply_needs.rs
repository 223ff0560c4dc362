//! Needs (物资需求) on SQLite and PostgreSQL: a grid worker records them for households of their
//! grid (bad input named with nothing written, an unusual quantity or one over the cap asked once
//! for confirmation, a retried send making one), every move of a line allowed and refused, and the
//! day's needs list against a direct count, read back from its `.xlsx`.
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

/// The last household of 金华社区's first grid with no needs yet (the demo's are of the first
/// ones).
async fn household(app: &common::TestApp) -> i64 {
    scalar(
        app,
        "SELECT MAX(h.id) FROM households h JOIN org_units g ON g.id = h.grid_id \
         WHERE g.code = '650203100001001' AND h.deleted_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM supply_needs n WHERE n.household_id = h.id)",
    )
    .await
}

async fn item(app: &common::TestApp, leader: &str, name: &str, usual: i64) -> i64 {
    let (s, v) = app
        .send(
            leader,
            Method::POST,
            "/api/v1/supplies/items",
            json!({"name": name, "category": "daily", "unit": "袋", "usual_quantity": usual}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn need(app: &common::TestApp, token: &str, body: Value) -> (u16, Value) {
    app.send(token, Method::POST, "/api/v1/supplies/needs", body)
        .await
}

async fn needs(app: &common::TestApp) -> i64 {
    scalar(app, "SELECT COUNT(*) FROM supply_needs").await
}

#[tokio::test]
async fn a_grid_worker_records_needs_and_the_unusual_is_confirmed_once() {
    for app in common::each_demo_app().await {
        let leader = app.login("jinhua-leader").await;
        let grid = app.login("jinhua-grid1").await;
        let rice = item(&app, &leader, "大米", 1).await;
        let hh = household(&app).await;
        let body = |q: i64, key: &str| json!({"household_id": hh, "item_id": rice, "quantity": q, "paid": false, "idempotency_key": key});
        let (s, v) = need(&app, &grid, body(2, "a")).await;
        assert_eq!(s, 201, "{v}");
        // Retried: one need.
        let before = needs(&app).await;
        let (s, again) = need(&app, &grid, body(2, "a")).await;
        assert_eq!((s, &again["id"]), (201, &v["id"]));
        assert_eq!(needs(&app).await, before);
        // Bad input: named, nothing written.
        let other = scalar(
            &app,
            "SELECT MIN(h.id) FROM households h JOIN org_units g ON g.id = h.grid_id \
             WHERE g.code = '650203002005001'",
        )
        .await;
        for (b, field) in [
            (body(0, "b1"), "quantity"),
            (body(-3, "b2"), "quantity"),
            (
                json!({"household_id": hh, "item_id": 999_999, "quantity": 1, "paid": true, "idempotency_key": "b3"}),
                "item_id",
            ),
            (
                json!({"household_id": other, "item_id": rice, "quantity": 1, "paid": true, "idempotency_key": "b4"}),
                "household_id",
            ),
            (body(1, ""), "idempotency_key"),
        ] {
            let (s, v) = need(&app, &grid, b).await;
            assert_eq!((s, v["field"].as_str()), (422, Some(field)), "{v}");
            assert_eq!(needs(&app).await, before, "{field}: nothing written");
        }
        // Ten times the usual asks once for confirmation.
        let (s, v) = need(&app, &grid, body(11, "c")).await;
        assert_eq!(
            (s, v["error"].as_str(), v["field"].as_str()),
            (422, Some("needs_confirmation"), Some("quantity")),
            "{v}"
        );
        assert_eq!(needs(&app).await, before);
        let mut confirmed = body(11, "c2");
        confirmed["confirm"] = json!(true);
        let (s, v) = need(&app, &grid, confirmed).await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_i64().unwrap();
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT over_confirmed FROM supply_needs WHERE id = {id}")
            )
            .await,
            1
        );
        // A cap is the household's share of the day: 2 + 11 asked already, cap 14.
        let community = scalar(&app, "SELECT id FROM org_units WHERE code = '650203100001'").await;
        let (s, _) = app
            .send(
                &leader,
                Method::PUT,
                &format!("/api/v1/supplies/stock/{community}/limits/{rice}"),
                json!({"household_cap": 14, "min_stock": null}),
            )
            .await;
        assert_eq!(s, 204);
        assert_eq!(need(&app, &grid, body(1, "d1")).await.0, 201);
        let (s, v) = need(&app, &grid, body(1, "d2")).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("needs_confirmation")),
            "{v}"
        );
        // Someone without the right: refused.
        let guard = app.login("nanquan-gate-east").await;
        assert_eq!(need(&app, &guard, body(1, "e")).await.0, 403);
        // The household's needs, every day.
        let (s, v) = app
            .get(&grid, &format!("/api/v1/supplies/needs?household_id={hh}"))
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["total"].as_i64(), Some(3), "{v}");
    }
}

async fn version(app: &common::TestApp, id: i64) -> i64 {
    scalar(
        app,
        &format!("SELECT version FROM supply_needs WHERE id = {id}"),
    )
    .await
}

async fn go(
    app: &common::TestApp,
    token: &str,
    path: &str,
    to: &str,
    version: i64,
    extra: Value,
) -> (u16, Value) {
    let mut b = json!({"to": to, "version": version});
    if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    app.send(token, Method::POST, path, b).await
}

#[tokio::test]
async fn every_move_of_a_need_allowed_and_refused() {
    for app in common::each_demo_app().await {
        let leader = app.login("jinhua-leader").await;
        let grid = app.login("jinhua-grid1").await;
        let logistics = app.login("jinhua-logistics1").await;
        let oil = item(&app, &leader, "食用油", 2).await;
        let hh = household(&app).await;
        let new = |key: &str| json!({"household_id": hh, "item_id": oil, "quantity": 2, "paid": true, "note": "5L", "idempotency_key": key});
        let (_, v) = need(&app, &grid, new("n1")).await;
        let id = v["id"].as_i64().unwrap();
        let path = format!("/api/v1/supplies/needs/{id}/transition");
        // The grid worker records, the store commits.
        let (s, _) = go(
            &app,
            &grid,
            &path,
            "committed",
            version(&app, id).await,
            json!({}),
        )
        .await;
        assert_eq!(s, 403);
        let (s, v) = go(
            &app,
            &logistics,
            &path,
            "delivered",
            version(&app, id).await,
            json!({}),
        )
        .await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("not_allowed_now")),
            "{v}"
        );
        let (s, _) = go(
            &app,
            &logistics,
            &path,
            "committed",
            version(&app, id).await,
            json!({}),
        )
        .await;
        assert_eq!(s, 204);
        let (s, _) = go(&app, &logistics, &path, "in_transit", 1, json!({})).await;
        assert_eq!(s, 409, "a stale version");
        let (s, _) = go(
            &app,
            &logistics,
            &path,
            "in_transit",
            version(&app, id).await,
            json!({}),
        )
        .await;
        assert_eq!(s, 204);
        // Brought more than asked: confirmed, or refused.
        let (s, v) = go(
            &app,
            &logistics,
            &path,
            "delivered",
            version(&app, id).await,
            json!({"fulfilled": 3}),
        )
        .await;
        assert_eq!((s, v["field"].as_str()), (422, Some("fulfilled")), "{v}");
        let (s, _) = go(
            &app,
            &logistics,
            &path,
            "delivered",
            version(&app, id).await,
            json!({"fulfilled": 3, "confirm_over": true}),
        )
        .await;
        assert_eq!(s, 204);
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT fulfilled FROM supply_needs WHERE id = {id}")
            )
            .await,
            3
        );
        let (s, _) = go(
            &app,
            &logistics,
            &path,
            "cancelled",
            version(&app, id).await,
            json!({"note": "x"}),
        )
        .await;
        assert_eq!(s, 422, "delivered is final");
        // A second need: cancelled by the grid worker, with a reason.
        let (_, v) = need(&app, &grid, new("n2")).await;
        let id2 = v["id"].as_i64().unwrap();
        let p2 = format!("/api/v1/supplies/needs/{id2}/transition");
        let (s, v) = app
            .send(
                &grid,
                Method::POST,
                &p2,
                json!({"to": "cancelled", "version": 1}),
            )
            .await;
        assert_eq!((s, v["field"].as_str()), (422, Some("note")), "{v}");
        let (s, _) = app
            .send(
                &grid,
                Method::POST,
                &p2,
                json!({"to": "cancelled", "version": 1, "note": "家属已送"}),
            )
            .await;
        assert_eq!(s, 204);
        // Every move kept with who and when.
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM supply_need_events WHERE need_id = {id}")
            )
            .await,
            4
        );
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM supply_need_events WHERE need_id = {id2}")
            )
            .await,
            2
        );
        // Another community's leader: not there.
        let other = app.login("nanquan-leader").await;
        let (s, _) = app
            .send(
                &other,
                Method::POST,
                &p2,
                json!({"to": "requested", "version": 2}),
            )
            .await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn the_needs_list_adds_up_what_the_households_asked() {
    use calamine::{Data, Reader, Xlsx};
    for app in common::each_demo_app().await {
        let leader = app.login("jinhua-leader").await;
        let grid = app.login("jinhua-grid1").await;
        let masks = item(&app, &leader, "口罩(包)", 5).await;
        let veg = item(&app, &leader, "蔬菜包", 1).await;
        let households: Vec<i64> = sqlx::query_scalar(
            "SELECT h.id FROM households h JOIN org_units g ON g.id = h.grid_id \
             WHERE g.code = '650203100001001' AND h.deleted_at IS NULL ORDER BY h.id LIMIT 5",
        )
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        for (i, hh) in households.iter().enumerate() {
            let i = i as i64;
            for (it, q) in [(masks, 1 + i), (veg, 1)] {
                let (s, v) = need(
                    &app,
                    &grid,
                    json!({"household_id": hh, "item_id": it, "quantity": q,
                    "paid": i % 2 == 0, "idempotency_key": format!("{hh}-{it}")}),
                )
                .await;
                assert_eq!(s, 201, "{v}");
            }
        }
        // One cancelled: not on the list.
        let cancelled: i64 = scalar(
            &app,
            &format!("SELECT MAX(id) FROM supply_needs WHERE item_id = {veg}"),
        )
        .await;
        let (s, _) = app
            .send(
                &grid,
                Method::POST,
                &format!("/api/v1/supplies/needs/{cancelled}/transition"),
                json!({"to": "cancelled", "version": 1, "note": "不要了"}),
            )
            .await;
        assert_eq!(s, 204);
        for unit in ["650203100001", "650203100001001"] {
            let (s, v) = app
                .get(&leader, &format!("/api/v1/supplies/needs-list?unit={unit}"))
                .await;
            assert_eq!(s, 200, "{v}");
            for t in v["totals"].as_array().unwrap() {
                let it = t["item_id"].as_i64().unwrap();
                let direct = |what: &str| {
                    format!(
                        "SELECT {what} FROM supply_needs n WHERE n.item_id = {it} \
                         AND n.status IN ('requested','committed','in_transit') \
                         AND n.grid_id IN (SELECT descendant_id FROM unit_closure c \
                         JOIN org_units u ON u.id = c.ancestor_id WHERE u.code = '{unit}')"
                    )
                };
                assert_eq!(
                    t["outstanding"].as_i64().unwrap(),
                    scalar(
                        &app,
                        &direct("CAST(SUM(n.quantity - n.fulfilled) AS BIGINT)")
                    )
                    .await
                );
                assert_eq!(
                    t["households"].as_i64().unwrap(),
                    scalar(&app, &direct("COUNT(DISTINCT n.household_id)")).await
                );
            }
            let m = v["totals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["item_id"] == masks)
                .unwrap()
                .clone();
            assert_eq!(
                (
                    m["outstanding"].as_i64(),
                    m["households"].as_i64(),
                    m["free_households"].as_i64()
                ),
                (Some(15), Some(5), Some(2)),
                "{m}"
            );
            let g = v["totals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["item_id"] == veg)
                .unwrap()
                .clone();
            assert_eq!(g["households"].as_i64(), Some(4));
        }
        // The spreadsheet to take shopping: the totals, then every household's lines.
        let r = app
            .client
            .get(app.url("/api/v1/supplies/needs-list?unit=650203100001&format=xlsx"))
            .bearer_auth(&leader)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = book.worksheet_range("需求清单").unwrap();
        let cell = |row: u32, col: u32| {
            sheet
                .get_value((row, col))
                .cloned()
                .unwrap_or(Data::Empty)
                .to_string()
        };
        assert!(cell(0, 0).contains("金华社区"), "{}", cell(0, 0));
        assert_eq!(cell(1, 0), "物资");
        let rows: Vec<u32> = (2..sheet.height() as u32).collect();
        let total_row = rows
            .iter()
            .find(|&&r| cell(r, 0) == "口罩(包)" && !cell(r, 3).is_empty())
            .unwrap();
        assert_eq!(cell(*total_row, 3), "15");
        // The demo's own needs of the day are on the sheet too: only this test's items count.
        let lines = rows
            .iter()
            .filter(|&&r| {
                !cell(r, 6).is_empty()
                    && (0..6).any(|c| ["口罩(包)", "蔬菜包"].contains(&cell(r, c).as_str()))
            })
            .count();
        assert_eq!(lines, 9, "five households' masks and four vegetable packs");
        // Another community's leader cannot ask for this one's list.
        let other = app.login("nanquan-leader").await;
        let (s, v) = app
            .get(&other, "/api/v1/supplies/needs-list?unit=650203100001")
            .await;
        assert_eq!((s, v["field"].as_str()), (422, Some("unit")), "{v}");
        let (s, v) = app.get(&other, "/api/v1/supplies/needs-list").await;
        assert_eq!(s, 200);
        assert!(v["totals"].as_array().unwrap().is_empty(), "{v}");
    }
}

#[tokio::test]
async fn many_recording_at_once_cannot_pass_a_households_cap_together() {
    for app in common::each_demo_app().await {
        let leader = app.login("jinhua-leader").await;
        let grid = app.login("jinhua-grid1").await;
        let flour = item(&app, &leader, "面粉", 1000).await;
        let community = scalar(&app, "SELECT id FROM org_units WHERE code = '650203100001'").await;
        let (s, _) = app
            .send(
                &leader,
                Method::PUT,
                &format!("/api/v1/supplies/stock/{community}/limits/{flour}"),
                json!({"household_cap": 5, "min_stock": null}),
            )
            .await;
        assert_eq!(s, 204);
        let hh = household(&app).await;
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (client, url, token) = (
                app.client.clone(),
                app.url("/api/v1/supplies/needs"),
                grid.clone(),
            );
            tasks.push(tokio::spawn(async move {
                client.post(url).bearer_auth(token)
                    .json(&json!({"household_id": hh, "item_id": flour, "quantity": 1, "paid": true, "idempotency_key": format!("race-{i}")}))
                    .send().await.unwrap().status().as_u16()
            }));
        }
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                201 => won += 1,
                422 | 503 => {}
                other => panic!("{}: {other}", app.db.name()),
            }
        }
        assert_eq!(won, 5, "{}: a cap of 5, one each", app.db.name());
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM supply_needs WHERE item_id = {flour}")
            )
            .await,
            5
        );
    }
}
