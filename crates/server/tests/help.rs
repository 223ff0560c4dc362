//! Help requests (求助) through the API, on SQLite and PostgreSQL: taken down once whatever the
//! retries, every move allowed and refused, the claim race (one winner, the others told who),
//! the lists, and jurisdiction.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};

async fn count(app: &common::TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

/// A household of grid 1 of 南泉社区.
async fn household(app: &common::TestApp, token: &str) -> i64 {
    let (_, res) = app.get(token, "/api/v1/residents?per_page=1").await;
    res["items"][0]["household_id"].as_i64().unwrap()
}

async fn new_request(app: &common::TestApp, token: &str, body: Value) -> (u16, Value) {
    app.send(token, Method::POST, "/api/v1/help-requests", body)
        .await
}

async fn step(app: &common::TestApp, token: &str, id: i64, body: Value) -> (u16, Value) {
    app.send(
        token,
        Method::POST,
        &format!("/api/v1/help-requests/{id}/transition"),
        body,
    )
    .await
}

#[tokio::test]
async fn a_request_is_taken_once_and_bad_input_names_every_field() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let h = household(&app, &grid1).await;
        // The demo's own night of requests is there already.
        let before = count(&app, "SELECT COUNT(*) FROM help_requests").await;
        let body = json!({"household_id": h, "category": "ride", "urgency": "urgent", "words": "凌晨4点从医院接回", "contact_phone": "13800138000", "idempotency_key": "call-1"});
        let (s, first) = new_request(&app, &grid1, body.clone()).await;
        assert_eq!(s, 201, "{first}");
        assert_eq!(first["status"], "new");
        assert_eq!(first["team_kind"], "logistics");
        assert_eq!(first["history"].as_array().unwrap().len(), 1);
        // The same call sent again (a retry): the same request, no second one.
        let (s, again) = new_request(&app, &grid1, body.clone()).await;
        assert_eq!((s, again["id"].clone()), (201, first["id"].clone()));
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM help_requests").await,
            before + 1,
            "{}",
            app.db.name()
        );
        let mut other = body.clone();
        other["words"] = json!("别的事");
        let (s, reused) = new_request(&app, &grid1, other).await;
        assert_eq!(
            (s, reused["error"].as_str()),
            (422, Some("idempotency_key_reused"))
        );
        // Every field at fault at once, nothing written.
        let (s, bad) = new_request(&app, &grid1, json!({"category": "taxi", "urgency": "", "contact_phone": "123", "idempotency_key": "call-2"})).await;
        assert_eq!(s, 422);
        let fields: Vec<&str> = bad["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["category", "urgency", "contact_phone", "place"],
            "{bad}"
        );
        // Another community's household is refused by name.
        let jinhua = app.login("jinhua-leader").await;
        let theirs = household(&app, &jinhua).await;
        let (s, e) = new_request(&app, &grid1, json!({"household_id": theirs, "category": "food", "urgency": "normal", "idempotency_key": "call-3"})).await;
        assert_eq!((s, e["field"].as_str()), (422, Some("household_id")));
        // A place outside the registry, taken at community level.
        let leader = app.login("nanquan-leader").await;
        let (s, street) = new_request(&app, &leader, json!({"place": "友谊路公交站", "category": "emergency", "urgency": "critical", "idempotency_key": "call-4"})).await;
        assert_eq!(s, 201, "{street}");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM help_requests").await,
            before + 2
        );
        // Outside the jurisdiction: not found, to read or to claim.
        let id = first["id"].as_i64().unwrap();
        assert_eq!(
            app.get(&jinhua, &format!("/api/v1/help-requests/{id}"))
                .await
                .0,
            404
        );
        let (s, _) = app
            .send(
                &jinhua,
                Method::POST,
                &format!("/api/v1/help-requests/{id}/claim"),
                json!({}),
            )
            .await;
        assert_eq!(s, 404);
        // A gate guard takes no requests.
        let guard = app.login("nanquan-gate-east").await;
        assert_eq!(app.get(&guard, "/api/v1/help-requests").await.0, 403);
    }
}

#[tokio::test]
async fn every_move_allowed_and_refused_is_kept_with_who_and_when() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let medical = app.login("nanquan-medical").await;
        let logistics = app.login("nanquan-logistics").await;
        let h = household(&app, &grid1).await;
        let total = |token: String, path: &'static str| {
            let app = &app;
            async move { app.get(&token, path).await.1["total"].as_i64().unwrap() }
        };
        let group = (
            total(logistics.clone(), "/api/v1/help-requests?view=group").await,
            total(medical.clone(), "/api/v1/help-requests?view=group").await,
        );
        let mine = total(logistics.clone(), "/api/v1/help-requests?view=mine").await;
        let closed = total(grid1.clone(), "/api/v1/help-requests?view=closed").await;
        let of_household = app
            .get(&grid1, &format!("/api/v1/help-requests?household_id={h}"))
            .await
            .1["total"]
            .as_i64()
            .unwrap();
        let (_, r) = new_request(&app, &grid1, json!({"household_id": h, "category": "medicine", "urgency": "normal", "words": "降压药", "idempotency_key": "m-1"})).await;
        let id = r["id"].as_i64().unwrap();
        // Not claimed yet: it cannot be started or resolved.
        let (s, e) = step(
            &app,
            &logistics,
            id,
            json!({"to": "in_progress", "version": 1}),
        )
        .await;
        assert_eq!(
            (s, e["error"].as_str()),
            (422, Some("transition_not_allowed"))
        );
        // The logistics group sees it as theirs; the medical group does not.
        assert_eq!(
            total(logistics.clone(), "/api/v1/help-requests?view=group").await,
            group.0 + 1
        );
        assert_eq!(
            total(medical.clone(), "/api/v1/help-requests?view=group").await,
            group.1
        );
        // Claimed by logistics; a second claim is told who has it.
        let (s, c) = app
            .send(
                &logistics,
                Method::POST,
                &format!("/api/v1/help-requests/{id}/claim"),
                json!({}),
            )
            .await;
        assert_eq!((s, c["status"].as_str()), (200, Some("acknowledged")));
        let (s, e) = app
            .send(
                &medical,
                Method::POST,
                &format!("/api/v1/help-requests/{id}/claim"),
                json!({}),
            )
            .await;
        assert_eq!((s, e["error"].as_str()), (409, Some("already_claimed")));
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("南泉社区后勤保障组"),
            "{e}"
        );
        assert_eq!(
            total(logistics.clone(), "/api/v1/help-requests?view=mine").await,
            mine + 1
        );
        let v = c["version"].as_i64().unwrap();
        // A stale version changes nothing; resolving needs the outcome.
        assert_eq!(
            step(
                &app,
                &logistics,
                id,
                json!({"to": "in_progress", "version": v - 1})
            )
            .await
            .0,
            409
        );
        let (s, r) = step(
            &app,
            &logistics,
            id,
            json!({"to": "in_progress", "version": v}),
        )
        .await;
        assert_eq!((s, r["status"].as_str()), (200, Some("in_progress")));
        let v = r["version"].as_i64().unwrap();
        let (s, e) = step(
            &app,
            &logistics,
            id,
            json!({"to": "resolved", "version": v, "note": " "}),
        )
        .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("note")));
        let (s, r) = step(
            &app,
            &logistics,
            id,
            json!({"to": "resolved", "version": v, "note": "药已送到门口"}),
        )
        .await;
        assert_eq!(
            (s, r["status"].as_str(), r["outcome"].as_str()),
            (200, Some("resolved"), Some("药已送到门口"))
        );
        let v = r["version"].as_i64().unwrap();
        // Closed: no more work on it, but it can be reopened, back to who had it.
        let (s, _) = step(
            &app,
            &logistics,
            id,
            json!({"to": "in_progress", "version": v}),
        )
        .await;
        assert_eq!(s, 422);
        let (s, r) = step(
            &app,
            &medical,
            id,
            json!({"to": "acknowledged", "version": v, "note": "家属说没收到"}),
        )
        .await;
        assert_eq!(
            (s, r["status"].as_str(), r["assignee_name"].as_str()),
            (200, Some("acknowledged"), Some("南泉社区后勤保障组"))
        );
        assert!(r["closed_at"].is_null());
        let v = r["version"].as_i64().unwrap();
        // A duplicate points at another request of the community.
        let (_, other) = new_request(&app, &grid1, json!({"household_id": h, "category": "medicine", "urgency": "normal", "idempotency_key": "m-2"})).await;
        let other_id = other["id"].as_i64().unwrap();
        let (s, e) = step(
            &app,
            &grid1,
            other_id,
            json!({"to": "duplicate", "version": 1}),
        )
        .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("duplicate_of")));
        let (s, e) = step(
            &app,
            &grid1,
            other_id,
            json!({"to": "duplicate", "version": 1, "duplicate_of": other_id}),
        )
        .await;
        assert_eq!(
            (s, e["field"].as_str()),
            (422, Some("duplicate_of")),
            "not itself"
        );
        let (s, d) = step(
            &app,
            &grid1,
            other_id,
            json!({"to": "duplicate", "version": 1, "duplicate_of": id}),
        )
        .await;
        assert_eq!((s, d["duplicate_of"].as_i64()), (200, Some(id)));
        // Cancelled with a reason.
        let (s, r) = step(
            &app,
            &logistics,
            id,
            json!({"to": "cancelled", "version": v, "note": "家属已自行解决"}),
        )
        .await;
        assert_eq!((s, r["status"].as_str()), (200, Some("cancelled")));
        // The whole history, with who made each move.
        let moves: Vec<(String, String)> = r["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["to_status"].as_str().unwrap().to_string(),
                    e["by_name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let to: Vec<&str> = moves.iter().map(|m| m.0.as_str()).collect();
        assert_eq!(
            to,
            [
                "new",
                "acknowledged",
                "in_progress",
                "resolved",
                "acknowledged",
                "cancelled"
            ],
            "{}",
            app.db.name()
        );
        assert_eq!(moves[3].1, "南泉社区后勤保障组");
        assert_eq!(moves[4].1, "南泉社区医疗保障组");
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'help.%'"
            )
            .await,
            8,
            "two taken, one claimed, five moves"
        );
        // The household's list holds both, the closed view both too.
        assert_eq!(
            app.get(&grid1, &format!("/api/v1/help-requests?household_id={h}"))
                .await
                .1["total"]
                .as_i64()
                .unwrap(),
            of_household + 2
        );
        assert_eq!(
            total(grid1.clone(), "/api/v1/help-requests?view=closed").await,
            closed + 2
        );
        assert_eq!(
            app.get(&grid1, "/api/v1/help-requests?view=someday")
                .await
                .0,
            422
        );
    }
}

#[tokio::test]
async fn of_many_claims_at_once_exactly_one_wins() {
    for app in common::each_demo_app().await {
        let people = [
            "nanquan-leader",
            "nanquan-grid1",
            "nanquan-medical",
            "nanquan-logistics",
        ];
        let mut tokens = Vec::new();
        for p in people {
            tokens.push(app.login(p).await);
        }
        let h = household(&app, &tokens[1]).await;
        for round in 0..3 {
            let (_, r) = new_request(&app, &tokens[1], json!({"household_id": h, "category": "food", "urgency": "urgent", "idempotency_key": format!("race-{round}")})).await;
            let id = r["id"].as_i64().unwrap();
            let path = format!("/api/v1/help-requests/{id}/claim");
            let claims = tokens
                .iter()
                .chain(tokens.iter())
                .map(|t| app.send(t, Method::POST, &path, json!({})));
            let answers = futures::future::join_all(claims).await;
            let winners = answers.iter().filter(|(s, _)| *s == 200).count();
            let told = answers
                .iter()
                .filter(|(s, e)| *s == 409 && e["error"] == "already_claimed")
                .count();
            assert_eq!((winners, told), (1, 7), "{answers:?} on {}", app.db.name());
            let acks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM help_request_events WHERE request_id = $1 AND to_status = 'acknowledged'")
                .bind(id)
                .fetch_one(&app.db.db.pool)
                .await
                .unwrap();
            assert_eq!(acks, 1);
        }
    }
}

#[tokio::test]
async fn overdue_is_computed_from_the_deadline_each_request_was_given() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let h = household(&app, &grid1).await;
        let overdue = || {
            let (app, grid1) = (&app, grid1.clone());
            async move {
                app.get(&grid1, "/api/v1/help-requests?view=overdue")
                    .await
                    .1["total"]
                    .as_i64()
                    .unwrap()
            }
        };
        // The demo's 04:00 request is waiting past its deadline already.
        let waiting = overdue().await;
        assert!(waiting >= 1);
        let (_, r) = new_request(&app, &grid1, json!({"household_id": h, "category": "medical", "urgency": "critical", "idempotency_key": "o-1"})).await;
        let id = r["id"].as_i64().unwrap();
        // Given the critical deadline (3 minutes by default) from when it was taken.
        assert_eq!(
            r["ack_due_at"].as_i64().unwrap() - r["created_at"].as_i64().unwrap(),
            180
        );
        assert_eq!(r["overdue"], false);
        assert_eq!(overdue().await, waiting);
        sqlx::query("UPDATE help_requests SET created_at = created_at - 600, ack_due_at = ack_due_at - 600 WHERE id = $1")
            .bind(id)
            .execute(&app.db.db.pool)
            .await
            .unwrap();
        let (_, over) = app.get(&grid1, "/api/v1/help-requests?view=overdue").await;
        assert_eq!(over["total"].as_i64(), Some(waiting + 1));
        assert!(
            over["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["overdue"] == true)
        );
        // Taken: no longer overdue.
        app.send(
            &grid1,
            Method::POST,
            &format!("/api/v1/help-requests/{id}/claim"),
            json!({}),
        )
        .await;
        assert_eq!(overdue().await, waiting, "{}", app.db.name());
    }
}

/// The daily report's help figures equal direct counts of the requests: taken down today,
/// resolved today, still open — for the community, one of its grids and the street above.
#[tokio::test]
async fn the_report_counts_help_requests_as_a_direct_count() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let leader = app.login("nanquan-leader").await;
        let h = household(&app, &grid1).await;
        let (_, a) = new_request(&app, &grid1, json!({"household_id": h, "category": "food", "urgency": "normal", "idempotency_key": "r-1"})).await;
        new_request(&app, &leader, json!({"place": "友谊路公交站", "category": "emergency", "urgency": "critical", "idempotency_key": "r-2"})).await;
        let id = a["id"].as_i64().unwrap();
        app.send(
            &grid1,
            Method::POST,
            &format!("/api/v1/help-requests/{id}/claim"),
            json!({}),
        )
        .await;
        step(
            &app,
            &grid1,
            id,
            json!({"to": "resolved", "version": 2, "note": "已送到"}),
        )
        .await;
        // One of yesterday's, still open: open counts it, taken-today does not.
        sqlx::query("UPDATE help_requests SET created_at = created_at - 86400, ack_due_at = ack_due_at - 86400 WHERE idempotency_key = 'r-2'")
            .execute(&app.db.db.pool)
            .await
            .unwrap();
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        let start = today
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_local_timezone(chrono_tz::Asia::Shanghai)
            .unwrap()
            .timestamp();
        for unit in ["650203002005", "650203002005001", "650203002000"] {
            let under = format!(
                "(SELECT c.descendant_id FROM unit_closure c JOIN org_units u ON u.id = c.ancestor_id WHERE u.code = '{unit}')"
            );
            let direct: (i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT \
                 (SELECT COUNT(*) FROM help_requests WHERE created_at >= {start} AND (grid_id IN {under} OR community_id IN {under})), \
                 (SELECT COUNT(*) FROM help_requests WHERE status = 'resolved' AND closed_at >= {start} AND (grid_id IN {under} OR community_id IN {under})), \
                 (SELECT COUNT(*) FROM help_requests WHERE closed_at IS NULL AND (grid_id IN {under} OR community_id IN {under}))"
            )))
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
            let token = if unit == "650203002000" {
                app.login("kunlun-street").await
            } else {
                leader.clone()
            };
            let (s, r) = app
                .get(
                    &token,
                    &format!("/api/v1/reports/daily?unit={unit}&date={today}"),
                )
                .await;
            assert_eq!(s, 200, "{r}");
            let f = &r["figures"];
            assert_eq!(
                (
                    f["help_opened"].as_i64().unwrap(),
                    f["help_resolved"].as_i64().unwrap(),
                    f["help_open"].as_i64().unwrap()
                ),
                direct,
                "{unit} on {}",
                app.db.name()
            );
            if unit == "650203002005" {
                assert!(
                    direct.0 >= 1 && direct.1 >= 1 && direct.2 >= 2,
                    "{direct:?}"
                );
            }
        }
    }
}
