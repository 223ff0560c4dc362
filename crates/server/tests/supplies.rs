//! Supplies (物资) on SQLite and PostgreSQL: the catalogue, a community store's ledger through the
//! API (goods in and out, a late entry that would have left the store short, reversals, stocktakes
//! freezing the past, idempotent creation, bad input naming its field with nothing written, who may
//! work which store), the last units taken by many at once, and random sequences of movements
//! against a model of the rule (never below nothing at any instant; the kept balance equal to the
//! ledger).
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};
use shouhu_domain::supplies::MovementKind;
use shouhu_server::db::Db;
use shouhu_server::db::registry::Actor;
use shouhu_server::db::supplies::ledger::{self, NewMovement};

const JINHUA: &str = "650203100001";

async fn scalar(db: &Db, sql: String) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

async fn jinhua(db: &Db) -> i64 {
    scalar(
        db,
        format!("SELECT id FROM org_units WHERE code = '{JINHUA}'"),
    )
    .await
}

async fn actor(db: &Db, username: &str) -> Actor {
    Actor {
        user_id: scalar(
            db,
            format!("SELECT id FROM users WHERE username = '{username}'"),
        )
        .await,
        username: username.into(),
        address: String::new(),
    }
}

async fn movements(db: &Db) -> i64 {
    scalar(db, "SELECT COUNT(*) FROM supply_movements".into()).await
}

/// The kept balance and the ledger's own sum of an item of a store.
async fn kept_and_summed(db: &Db, community: i64, item: i64) -> (i64, i64) {
    let kept = scalar(
        db,
        format!(
            "SELECT COALESCE((SELECT balance FROM supply_stock WHERE community_id = {community} \
             AND item_id = {item}), 0)"
        ),
    )
    .await;
    (kept, ledger::ledger_sum(db, community, item).await.unwrap())
}

/// The lowest the store held at any instant, the ledger read in time order.
async fn lowest(db: &Db, community: i64, item: i64) -> i64 {
    let rows: Vec<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT quantity FROM supply_movements WHERE community_id = {community} \
         AND item_id = {item} ORDER BY at, id"
    )))
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut balance = 0;
    let mut low = 0;
    for (q,) in rows {
        balance += q;
        low = low.min(balance);
    }
    low
}

async fn new_item(app: &common::TestApp, token: &str, name: &str) -> i64 {
    let (s, v) = app
        .send(
            token,
            Method::POST,
            "/api/v1/supplies/items",
            json!({"name": name, "category": "protective", "unit": "个", "usual_quantity": 10}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

async fn movement(app: &common::TestApp, token: &str, body: Value) -> (u16, Value) {
    app.send(token, Method::POST, "/api/v1/supplies/movements", body)
        .await
}

#[tokio::test]
async fn the_catalogue_is_kept_by_leaders_and_read_by_staff() {
    for app in common::each_demo_app().await {
        let leader = app.login("jinhua-leader").await;
        let grid = app.login("jinhua-grid1").await;
        let guard = app.login("nanquan-gate-east").await;
        let id = new_item(&app, &leader, "医用口罩").await;
        // The one name is shared by every community.
        let (s, v) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/supplies/items",
                json!({"name": "医用口罩", "category": "protective", "unit": "个"}),
            )
            .await;
        assert_eq!(
            (s, v["field"].as_str(), v["error"].as_str()),
            (422, Some("name"), Some("duplicate_item")),
            "{v}"
        );
        for (body, field) in [
            (
                json!({"name": "消毒液", "category": "weapons", "unit": "瓶"}),
                "category",
            ),
            (
                json!({"name": "", "category": "daily", "unit": "瓶"}),
                "name",
            ),
            (
                json!({"name": "大米", "category": "daily", "unit": ""}),
                "unit",
            ),
            (
                json!({"name": "大米", "category": "daily", "unit": "袋", "usual_quantity": 0}),
                "usual_quantity",
            ),
        ] {
            let before = scalar(&app.db.db, "SELECT COUNT(*) FROM supply_items".into()).await;
            let (s, v) = app
                .send(&leader, Method::POST, "/api/v1/supplies/items", body)
                .await;
            assert_eq!((s, v["field"].as_str()), (422, Some(field)), "{v}");
            assert_eq!(
                scalar(&app.db.db, "SELECT COUNT(*) FROM supply_items".into()).await,
                before
            );
        }
        let (s, _) = app
            .send(
                &grid,
                Method::POST,
                "/api/v1/supplies/items",
                json!({"name": "体温计", "category": "protective", "unit": "支"}),
            )
            .await;
        assert_eq!(
            s, 403,
            "a grid worker reads the catalogue, does not keep it"
        );
        let (s, v) = app.get(&grid, "/api/v1/supplies/items").await;
        assert_eq!(s, 200);
        assert!(v.as_array().unwrap().iter().any(|i| i["id"] == id));
        let (s, _) = app.get(&guard, "/api/v1/supplies/items").await;
        assert_eq!(s, 403);
        // Retired with the version read; a stale version is a conflict.
        let (s, _) = app
            .send(
                &leader,
                Method::PUT,
                &format!("/api/v1/supplies/items/{id}/retired"),
                json!({"retired": true, "version": 1}),
            )
            .await;
        assert_eq!(s, 204);
        let (s, _) = app
            .send(
                &leader,
                Method::PUT,
                &format!("/api/v1/supplies/items/{id}/retired"),
                json!({"retired": false, "version": 1}),
            )
            .await;
        assert_eq!(s, 409);
    }
}

#[tokio::test]
async fn the_ledger_refuses_what_would_leave_the_store_short_at_any_instant() {
    for app in common::each_demo_app().await {
        let db = app.db.db.clone();
        let leader = app.login("jinhua-leader").await;
        let community = jinhua(&db).await;
        let item = new_item(&app, &leader, "N95口罩").await;
        let now = chrono::Utc::now().timestamp();
        let mv = |kind: &str, quantity: i64, at: i64, key: &str| {
            json!({"community_id": community, "item_id": item, "kind": kind, "quantity": quantity,
                   "at": at, "reason": "test", "idempotency_key": key})
        };
        // 100 in three hours ago, 80 out an hour ago: 20 left.
        assert_eq!(
            movement(&app, &leader, mv("purchase_in", 100, now - 3 * 3600, "a"))
                .await
                .0,
            201
        );
        assert_eq!(
            movement(&app, &leader, mv("staff_out", 80, now - 3600, "b"))
                .await
                .0,
            201
        );
        // 30 out two hours ago, written only now: there were 100 then, but the 80 an hour ago would
        // have found 70. Refused, nothing written.
        let before = movements(&db).await;
        let (s, v) = movement(&app, &leader, mv("staff_out", 30, now - 2 * 3600, "c")).await;
        assert_eq!(
            (s, v["field"].as_str(), v["error"].as_str()),
            (422, Some("quantity"), Some("insufficient_stock")),
            "{v}"
        );
        assert_eq!(movements(&db).await, before);
        // 20 of them was possible.
        assert_eq!(
            movement(&app, &leader, mv("staff_out", 20, now - 2 * 3600, "d"))
                .await
                .0,
            201
        );
        assert_eq!(kept_and_summed(&db, community, item).await, (0, 0));
        assert_eq!(lowest(&db, community, item).await, 0);
        // Nothing left: one more out is refused.
        let (s, v) = movement(&app, &leader, mv("loss", 1, now, "e")).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("insufficient_stock")),
            "{v}"
        );

        // Bad input names its field and writes nothing.
        for (body, field) in [
            (mv("staff_out", 0, now, "f1"), "quantity"),
            (mv("staff_out", -5, now, "f2"), "quantity"),
            (mv("stocktake", 5, now, "f3"), "kind"),
            (mv("purchase_in", 5, now + 86_400, "f4"), "at"),
            (mv("adjustment", 0, now, "f5"), "quantity"),
            (
                json!({"community_id": community, "item_id": item, "kind": "loss", "quantity": 1, "idempotency_key": "f6"}),
                "reason",
            ),
            (
                json!({"community_id": community, "item_id": 999_999, "kind": "purchase_in", "quantity": 1, "idempotency_key": "f7"}),
                "item_id",
            ),
            (
                json!({"community_id": community, "item_id": item, "kind": "purchase_in", "quantity": 1, "idempotency_key": ""}),
                "idempotency_key",
            ),
        ] {
            let before = movements(&db).await;
            let (s, v) = movement(&app, &leader, body).await;
            assert_eq!((s, v["field"].as_str()), (422, Some(field)), "{v}");
            assert_eq!(movements(&db).await, before, "{field}: nothing written");
        }

        // The same key again answers the first; with another body it is refused.
        let r = app
            .client
            .post(app.url("/api/v1/supplies/movements"))
            .bearer_auth(&leader)
            .json(&mv("donation_in", 50, now, "g"))
            .send()
            .await
            .unwrap();
        let first: Value = r.json().await.unwrap();
        let r = app
            .client
            .post(app.url("/api/v1/supplies/movements"))
            .bearer_auth(&leader)
            .json(&mv("donation_in", 50, now, "g"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()
                .get("idempotent-replayed")
                .map(|h| h.to_str().unwrap()),
            Some("true")
        );
        let again: Value = r.json().await.unwrap();
        assert_eq!(first["id"], again["id"]);
        let (s, v) = movement(&app, &leader, mv("donation_in", 60, now, "g")).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("idempotency_key_reused")),
            "{v}"
        );
        assert_eq!(kept_and_summed(&db, community, item).await, (50, 50));

        // A mistake is undone by its opposite, once; the ledger keeps both.
        let (s, v) = movement(&app, &leader, mv("staff_out", 10, now, "h")).await;
        assert_eq!(s, 201, "{v}");
        let out = v["id"].as_i64().unwrap();
        let reverse = |id: i64, key: &str| {
            let path = format!("/api/v1/supplies/movements/{id}/reverse");
            let body =
                json!({"community_id": community, "reason": "记错了", "idempotency_key": key});
            (path, body)
        };
        let (path, body) = reverse(out, "r1");
        let (s, v) = app.send(&leader, Method::POST, &path, body).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(kept_and_summed(&db, community, item).await, (50, 50));
        let (path, body) = reverse(out, "r2");
        let (s, v) = app.send(&leader, Method::POST, &path, body).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("already_reversed")),
            "{v}"
        );
        // Undoing goods that came in, once they are given out, would leave the store short. (The
        // reversal above is dated when it was written, a moment after `now`: 40 were there at
        // `now`.)
        assert_eq!(
            movement(&app, &leader, mv("staff_out", 40, now, "i"))
                .await
                .0,
            201
        );
        let (path, body) = reverse(first["id"].as_i64().unwrap(), "r3");
        let (s, v) = app.send(&leader, Method::POST, &path, body).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("insufficient_stock")),
            "{v}"
        );

        // A stocktake sets the count and freezes what came before it.
        let (s, v) = app
            .send(&leader, Method::POST, "/api/v1/supplies/stocktakes",
                json!({"community_id": community, "item_id": item, "counted": 3, "idempotency_key": "s1"}))
            .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(kept_and_summed(&db, community, item).await, (3, 3));
        let (s, v) = movement(&app, &leader, mv("purchase_in", 5, now - 60, "j")).await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("before_stocktake")),
            "{v}"
        );
        let (path, body) = reverse(out + 1, "r4");
        let (s, v) = app.send(&leader, Method::POST, &path, body).await;
        assert_eq!((s, v["field"].as_str()), (422, Some("movement")), "{v}");

        // The stock shows it, low when under the community's minimum.
        let (s, _) = app
            .send(
                &leader,
                Method::PUT,
                &format!("/api/v1/supplies/stock/{community}/limits/{item}"),
                json!({"household_cap": 20, "min_stock": 10}),
            )
            .await;
        assert_eq!(s, 204);
        let (s, v) = app
            .get(&leader, &format!("/api/v1/supplies/stock/{community}"))
            .await;
        assert_eq!(s, 200, "{v}");
        let line = v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["item_id"] == item)
            .unwrap()
            .clone();
        assert_eq!(
            (line["balance"].as_i64(), line["low"].as_bool()),
            (Some(3), Some(true)),
            "{line}"
        );
        assert!(v["low"].as_u64().unwrap() >= 1);
        let (s, v) = app
            .get(
                &leader,
                &format!("/api/v1/supplies/movements?community_id={community}&item_id={item}"),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            v["total"].as_i64(),
            Some(
                scalar(
                    &db,
                    format!("SELECT COUNT(*) FROM supply_movements WHERE item_id = {item}")
                )
                .await
            )
        );
        let reversed = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == out)
            .unwrap()
            .clone();
        assert!(reversed["reversed_by"].is_i64(), "{reversed}");

        // The ledger itself refuses to be changed.
        let changed = sqlx::query("UPDATE supply_movements SET quantity = 1000 WHERE id = $1")
            .bind(out)
            .execute(&db.pool)
            .await;
        assert!(changed.is_err(), "the ledger is append-only");
        let gone = sqlx::query("DELETE FROM supply_movements WHERE id = $1")
            .bind(out)
            .execute(&db.pool)
            .await;
        assert!(gone.is_err(), "the ledger is append-only");
    }
}

#[tokio::test]
async fn only_those_who_work_a_store_move_its_goods() {
    for app in common::each_demo_app().await {
        let db = app.db.db.clone();
        let leader = app.login("jinhua-leader").await;
        let community = jinhua(&db).await;
        let item = new_item(&app, &leader, "消毒液").await;
        let body = |key: &str| json!({"community_id": community, "item_id": item, "kind": "purchase_in", "quantity": 5, "idempotency_key": key});
        // The community's logistics group works its store.
        let logistics = app.login("jinhua-logistics1").await;
        assert_eq!(movement(&app, &logistics, body("l1")).await.0, 201);
        // Its medical group and a grid worker see it but do not move goods.
        for (user, status) in [("jinhua-medical1", 403), ("jinhua-grid1", 403)] {
            let token = app.login(user).await;
            let before = movements(&db).await;
            assert_eq!(movement(&app, &token, body(user)).await.0, status, "{user}");
            assert_eq!(movements(&db).await, before);
            let (s, v) = app
                .get(&token, &format!("/api/v1/supplies/stock/{community}"))
                .await;
            assert_eq!(
                (s, v["may_work"].as_bool()),
                (200, Some(false)),
                "{user}: {v}"
            );
        }
        // A street sees the stores of its communities and moves no goods; 金华 is not of 昆仑路街道.
        let street = app.login("kunlun-street").await;
        let nanquan = scalar(
            &db,
            "SELECT id FROM org_units WHERE code = '650203002005'".into(),
        )
        .await;
        let (s, v) = app
            .get(&street, &format!("/api/v1/supplies/stock/{nanquan}"))
            .await;
        assert_eq!((s, v["may_work"].as_bool()), (200, Some(false)), "{v}");
        let mut other_store = body("s1");
        other_store["community_id"] = json!(nanquan);
        assert_eq!(movement(&app, &street, other_store).await.0, 403);
        assert_eq!(
            app.get(&street, &format!("/api/v1/supplies/stock/{community}"))
                .await
                .0,
            404
        );
        // Another community's leader: not theirs to see.
        let other = app.login("nanquan-leader").await;
        assert_eq!(movement(&app, &other, body("n1")).await.0, 404);
        assert_eq!(
            app.get(&other, &format!("/api/v1/supplies/stock/{community}"))
                .await
                .0,
            404
        );
        assert_eq!(
            app.get(
                &other,
                &format!("/api/v1/supplies/movements?community_id={community}")
            )
            .await
            .0,
            404
        );
        assert_eq!(kept_and_summed(&db, community, item).await, (5, 5));
    }
}

#[tokio::test]
async fn many_taking_the_last_units_at_once_one_each_wins() {
    for app in common::each_demo_app().await {
        let db = app.db.db.clone();
        let community = jinhua(&db).await;
        let leader = actor(&db, "jinhua-leader").await;
        let item = shouhu_server::db::supplies::create_item(
            &db,
            &leader,
            &shouhu_server::db::supplies::NewItem {
                name: "温度计".into(),
                category: shouhu_domain::supplies::ItemCategory::Protective,
                unit: "支".into(),
                usual_quantity: None,
            },
        )
        .await
        .unwrap();
        let m = |kind, quantity, key: String| NewMovement {
            community_id: community,
            item_id: item,
            kind,
            quantity,
            at: chrono::Utc::now().timestamp(),
            reason: String::new(),
            idempotency_key: key,
            request_hash: "h".into(),
            purchase_id: None,
            donation_id: None,
            delivery_id: None,
        };
        ledger::post(&db, &leader, &m(MovementKind::PurchaseIn, 100, "in".into()))
            .await
            .unwrap();
        let leader = Arc::new(leader);
        let mut tasks = Vec::new();
        for i in 0..60 {
            let (db, leader) = (db.clone(), leader.clone());
            let m = m(MovementKind::StaffOut, -5, format!("out-{i}"));
            tasks.push(tokio::spawn(
                async move { ledger::post(&db, &leader, &m).await },
            ));
        }
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => won += 1,
                Err(shouhu_server::db::StoreError::Invalid {
                    code: "insufficient_stock",
                    ..
                }) => {}
                Err(e) => panic!("{}: {e}", app.db.name()),
            }
        }
        assert_eq!(won, 20, "{}: 100 units, 5 each", app.db.name());
        assert_eq!(kept_and_summed(&db, community, item).await, (0, 0));
        assert_eq!(lowest(&db, community, item).await, 0);
    }
}

/// Random movements — on time and late, in and out, reversals and stocktakes — each accepted
/// exactly when the model says the store would never fall below nothing; after each, the kept
/// balance equals the ledger and the lowest point of the ledger is not below nothing.
#[tokio::test]
async fn random_sequences_keep_every_balance_at_or_above_nothing_and_equal_to_the_ledger() {
    for app in common::each_demo_app().await {
        let db = app.db.db.clone();
        let community = jinhua(&db).await;
        let leader = actor(&db, "jinhua-leader").await;
        for seed in 0..6u64 {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let item = shouhu_server::db::supplies::create_item(
                &db,
                &leader,
                &shouhu_server::db::supplies::NewItem {
                    name: format!("随机物资{seed}"),
                    category: shouhu_domain::supplies::ItemCategory::Daily,
                    unit: "个".into(),
                    usual_quantity: None,
                },
            )
            .await
            .unwrap();
            let start = chrono::Utc::now().timestamp() - 100_000;
            // The model: every accepted movement (time, quantity), and the freeze point.
            let mut model: Vec<(i64, i64)> = Vec::new();
            let mut frozen = i64::MIN;
            let mut written: Vec<(i64, i64, i64)> = Vec::new(); // (id, at, quantity)
            for step in 0..40 {
                let key = format!("{seed}-{step}");
                let roll = rng.random_range(0..10);
                let result = if roll < 7 {
                    let at = start + rng.random_range(0..90_000);
                    let q = rng.random_range(-12..=15i64);
                    let q = if q == 0 { 1 } else { q };
                    let kind = if q > 0 {
                        MovementKind::PurchaseIn
                    } else {
                        MovementKind::StaffOut
                    };
                    let expected = at >= frozen && admits_model(&model, at, q);
                    let m = NewMovement {
                        community_id: community,
                        item_id: item,
                        kind,
                        quantity: q,
                        at,
                        reason: String::new(),
                        idempotency_key: key,
                        request_hash: "h".into(),
                        purchase_id: None,
                        donation_id: None,
                        delivery_id: None,
                    };
                    let r = ledger::post(&db, &leader, &m).await;
                    assert_eq!(
                        r.is_ok(),
                        expected,
                        "seed {seed} step {step}: {:?} at {at} q {q}",
                        r.err()
                    );
                    if let Ok((id, _)) = r {
                        model.push((at, q));
                        written.push((id, at, q));
                    }
                    Some(())
                } else if roll < 9 && !written.is_empty() {
                    let pick = rng.random_range(0..written.len());
                    let (id, at, q) = written[pick];
                    let now = chrono::Utc::now().timestamp();
                    let expected = at >= frozen && admits_model(&model, now, -q);
                    let r = ledger::reverse(&db, &leader, community, id, "随机", &key, "h").await;
                    assert_eq!(
                        r.is_ok(),
                        expected,
                        "seed {seed} step {step}: reverse {id}: {:?}",
                        r.err()
                    );
                    if r.is_ok() {
                        model.push((now, -q));
                        written.remove(pick);
                    }
                    Some(())
                } else {
                    let counted = rng.random_range(0..30);
                    let count = ledger::Count {
                        community_id: community,
                        item_id: item,
                        counted,
                        reason: String::new(),
                        idempotency_key: key,
                        request_hash: "h".into(),
                    };
                    let r = ledger::stocktake(&db, &leader, &count).await;
                    let (id, _) = r.unwrap();
                    let (at, q): (i64, i64) =
                        sqlx::query_as("SELECT at, quantity FROM supply_movements WHERE id = $1")
                            .bind(id)
                            .fetch_one(&db.pool)
                            .await
                            .unwrap();
                    model.push((at, q));
                    frozen = at;
                    written.retain(|&(_, t, _)| t >= at);
                    Some(())
                };
                assert!(result.is_some());
                let (kept, summed) = kept_and_summed(&db, community, item).await;
                assert_eq!(
                    kept, summed,
                    "seed {seed} step {step}: kept balance = ledger"
                );
                assert_eq!(summed, model.iter().map(|(_, q)| q).sum::<i64>());
                assert!(
                    lowest(&db, community, item).await >= 0,
                    "seed {seed} step {step}"
                );
            }
        }
    }
}

/// The rule by brute force: with (at, quantity) added after every movement of its time or earlier,
/// the running balance in time order never falls below nothing.
fn admits_model(model: &[(i64, i64)], at: i64, q: i64) -> bool {
    let mut all: Vec<(i64, usize, i64)> = model
        .iter()
        .enumerate()
        .map(|(i, &(t, d))| (t, i, d))
        .collect();
    all.push((at, model.len(), q));
    all.sort();
    let mut balance = 0;
    all.iter().all(|&(_, _, d)| {
        balance += d;
        balance >= 0
    })
}
