//! Dispatch and escalation of help requests, driven by an injected clock (no sleeps), on SQLite and
//! PostgreSQL: offered at once to the first of the group on duty, then at each deadline to the
//! group's others, the duty leader, the community's leaders; each step once, however often the
//! clock is run; steps missed while the service was down fire together; a claimed request stops;
//! a reopened one escalates afresh; a changed setting changes no request already open.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};
use shouhu_server::config::{AckMinutes, Settings};
use shouhu_server::service::dispatch::tick;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

async fn exec(app: &common::TestApp, sql: String) {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&app.db.db.pool)
        .await
        .unwrap();
}

async fn steps(app: &common::TestApp, id: i64) -> Vec<(i64, i64, i64)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT round, step, recipients FROM help_escalations WHERE request_id = {id} ORDER BY round, step"
    )))
    .fetch_all(&app.db.db.pool)
    .await
    .unwrap()
}

async fn offered_to(app: &common::TestApp, id: i64, round: i64, step: i64) -> Vec<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT u.username FROM help_offers o JOIN users u ON u.id = o.user_id \
         WHERE o.request_id = {id} AND o.round = {round} AND o.step = {step} ORDER BY u.id"
    )))
    .fetch_all(&app.db.db.pool)
    .await
    .unwrap()
}

async fn critical(app: &common::TestApp, token: &str, key: &str) -> Value {
    let (_, res) = app.get(token, "/api/v1/residents?per_page=1").await;
    let h = res["items"][0]["household_id"].as_i64().unwrap();
    let body = json!({"household_id": h, "category": "medical", "urgency": "critical", "words": "胸闷", "idempotency_key": key});
    let (s, v) = app
        .send(token, Method::POST, "/api/v1/help-requests", body)
        .await;
    assert_eq!(s, 201, "{v}");
    v
}

#[tokio::test]
async fn a_request_escalates_step_by_step_once_each_and_afresh_when_reopened() {
    for app in common::each_demo_app().await {
        let db = &app.db.db;
        // A second medic on duty around the clock in 南泉社区, so the group has "others".
        exec(
            &app,
            "INSERT INTO team_members (team_id, user_id) SELECT t.id, u.id FROM teams t \
             JOIN org_units c ON c.id = t.community_id, users u WHERE c.code = '650203002005' \
             AND t.kind = 'medical' AND u.username = 'nanquan-logistics'"
                .into(),
        )
        .await;
        exec(&app, "INSERT INTO duty_patterns (community_id, duty_group, user_id, weekday, start_minute, \
             minutes, created_by, created_at) SELECT p.community_id, 'medical', u.id, p.weekday, 0, 1440, \
             p.created_by, p.created_at FROM duty_patterns p, users u WHERE p.duty_group = 'logistics' \
             AND u.username = 'nanquan-logistics' AND p.user_id = u.id".into()).await;
        let grid1 = app.login("nanquan-grid1").await;
        let r = critical(&app, &grid1, "night-1").await;
        let id = r["id"].as_i64().unwrap();
        let t0 = r["created_at"].as_i64().unwrap();
        assert_eq!(
            r["ack_due_at"].as_i64().unwrap(),
            t0 + 180,
            "critical: 3 minutes"
        );

        // Offered at once to the first medic on duty, and only once however often the clock runs.
        tick(db, TZ, t0).await.unwrap();
        tick(db, TZ, t0 + 1).await.unwrap();
        assert_eq!(steps(&app, id).await, [(0, 0, 1)], "{}", app.db.name());
        assert_eq!(offered_to(&app, id, 0, 0).await, ["nanquan-medical"]);
        let medic = app.login("nanquan-medical").await;
        let (_, mine) = app.get(&medic, "/api/v1/help-requests?view=offered").await;
        assert!(
            mine["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id),
            "{mine}"
        );

        // Not taken by the deadline: the group's other medic, not a second before.
        tick(db, TZ, t0 + 179).await.unwrap();
        assert_eq!(steps(&app, id).await.len(), 1);
        tick(db, TZ, t0 + 180).await.unwrap();
        assert_eq!(offered_to(&app, id, 0, 1).await, ["nanquan-logistics"]);

        // The service was down past two more deadlines: both steps fire when it returns, once.
        tick(db, TZ, t0 + 3 * 180 + 30).await.unwrap();
        tick(db, TZ, t0 + 3 * 180 + 31).await.unwrap();
        assert_eq!(
            steps(&app, id).await,
            [(0, 0, 1), (0, 1, 1), (0, 2, 1), (0, 3, 1)]
        );
        assert_eq!(
            offered_to(&app, id, 0, 2).await,
            ["nanquan-leader"],
            "duty leader"
        );
        assert_eq!(
            offered_to(&app, id, 0, 3).await,
            ["nanquan-leader"],
            "the community's leader"
        );
        let (_, d) = app
            .get(&medic, &format!("/api/v1/help-requests/{id}"))
            .await;
        assert_eq!(d["escalations"].as_array().unwrap().len(), 4, "{d}");
        assert_eq!(d["escalations"][0]["offered_to"], "南泉社区医疗保障组");

        // Taken: nothing more, however late; resolved, then reopened: a new round from now.
        let claim = format!("/api/v1/help-requests/{id}/claim");
        let (s, _) = app.send(&medic, Method::POST, &claim, Value::Null).await;
        assert_eq!(s, 200);
        tick(db, TZ, t0 + 86_400).await.unwrap();
        assert_eq!(steps(&app, id).await.len(), 4);
        let step = format!("/api/v1/help-requests/{id}/transition");
        let (s, v) = app
            .send(
                &medic,
                Method::POST,
                &step,
                json!({"to": "resolved", "version": 2, "note": "已送医"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = app
            .send(
                &medic,
                Method::POST,
                &step,
                json!({"to": "acknowledged", "version": 3, "note": "又不舒服"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let reopened: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT round_started_at FROM help_requests WHERE id = {id}"
        )))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        tick(db, TZ, reopened).await.unwrap();
        assert_eq!(
            steps(&app, id).await.last(),
            Some(&(1, 0, 1)),
            "round 1 begins"
        );
        tick(db, TZ, reopened + 180).await.unwrap();
        assert_eq!(steps(&app, id).await.last(), Some(&(1, 1, 1)));
        // Taken in hand again: round 1 stops.
        let (s, _) = app
            .send(
                &medic,
                Method::POST,
                &step,
                json!({"to": "in_progress", "version": 4}),
            )
            .await;
        assert_eq!(s, 200);
        tick(db, TZ, reopened + 86_400).await.unwrap();
        assert_eq!(steps(&app, id).await.len(), 6);
        let audited: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'help.escalate' AND object_id = '{id}'"
        )))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        assert_eq!(audited, 6);
    }
}

#[tokio::test]
async fn a_changed_setting_changes_no_request_already_open() {
    for app in common::each_demo_app().await {
        let db = app.db.db.clone();
        let grid1 = app.login("nanquan-grid1").await;
        let a = critical(&app, &grid1, "before").await;
        // The service restarted with critical requests given an hour.
        let slow = common::spawn_app_with(
            common::TestDb::wrap(db.clone(), app.db.url.clone()),
            Settings {
                demo_mode: true,
                help_ack_minutes: AckMinutes {
                    normal: 120,
                    urgent: 90,
                    critical: 60,
                },
                ..Settings::default()
            },
        )
        .await;
        let token = slow.login("nanquan-grid1").await;
        let b = critical(&slow, &token, "after").await;
        let (ta, tb) = (
            a["created_at"].as_i64().unwrap(),
            b["created_at"].as_i64().unwrap(),
        );
        assert_eq!(b["ack_due_at"].as_i64().unwrap(), tb + 3600);
        let at = ta.max(tb) + 181;
        tick(&db, TZ, at).await.unwrap();
        let (ida, idb) = (a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap());
        assert_eq!(steps(&app, ida).await.len(), 2, "A keeps its 3 minutes");
        assert_eq!(steps(&app, idb).await.len(), 1, "B has its hour");
    }
}
