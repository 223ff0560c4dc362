//! Care of vulnerable residents (包干到人) through the API, on SQLite and PostgreSQL: the coverage
//! view, assignment and reassignment (one active primary), the plan made once however often it is
//! asked, the "today" list, call attempts (reached completes; the third miss escalates to a door
//! visit by whoever is on duty; reached and in need opens a help request), leave moving calls to
//! the backup, the service's escalation of a day with no call (injected clock), bad input and
//! jurisdiction.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&TZ)
        .date_naive()
        .to_string()
}

async fn scalar(app: &common::TestApp, sql: String) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

async fn user_id(app: &common::TestApp, username: &str) -> i64 {
    scalar(
        app,
        format!("SELECT id FROM users WHERE username = '{username}'"),
    )
    .await
}

/// The first resident of 金华社区 no one has.
async fn unassigned(app: &common::TestApp, _leader: &str) -> i64 {
    scalar(
        app,
        "SELECT MIN(r.id) FROM residents r JOIN org_units g ON g.id = r.grid_id \
         JOIN org_units c ON c.id = g.parent_id WHERE c.code = '650203100001' \
         AND r.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM care_assignments a \
         WHERE a.resident_id = r.id AND a.ended_at IS NULL)"
            .into(),
    )
    .await
}

const NO_FAMILY: &str = "SELECT COUNT(*) FROM residents r JOIN org_units g ON g.id = r.grid_id \
     JOIN org_units c ON c.id = g.parent_id WHERE c.code = '650203100001' \
     AND (',' || r.tags || ',') LIKE '%,elderly_no_family,%' AND r.deleted_at IS NULL";

async fn attempt(
    app: &common::TestApp,
    token: &str,
    call: i64,
    outcome: &str,
    key: &str,
) -> (u16, Value) {
    app.send(
        token,
        Method::POST,
        &format!("/api/v1/care/calls/{call}/attempts"),
        json!({"outcome": outcome, "idempotency_key": key}),
    )
    .await
}

#[tokio::test]
async fn the_demo_gives_those_with_no_family_to_named_staff_and_shows_the_rest_first() {
    for app in common::each_demo_app().await {
        let leader = app.login("jinhua-leader").await;
        let (s, v) = app.get(&leader, "/api/v1/care/coverage").await;
        assert_eq!(s, 200, "{v}");
        let direct = scalar(
            &app,
            "SELECT COUNT(*) FROM residents r JOIN org_units g ON g.id = r.grid_id \
             JOIN org_units c ON c.id = g.parent_id WHERE c.code = '650203100001' \
             AND (',' || r.tags || ',') LIKE '%,elderly_alone,%' AND r.deleted_at IS NULL"
                .into(),
        )
        .await;
        assert_eq!(v["total"], direct, "{}", app.db.name());
        let assigned = scalar(
            &app,
            "SELECT COUNT(*) FROM care_assignments WHERE ended_at IS NULL".into(),
        )
        .await;
        let no_family = scalar(&app, NO_FAMILY.into()).await;
        assert!(no_family > 0);
        assert_eq!(
            assigned, no_family,
            "each with no family nearby has someone"
        );
        assert_eq!(v["unassigned"].as_i64().unwrap(), direct - no_family);
        if direct > no_family {
            assert!(v["items"][0]["primary_name"].is_null(), "no one first");
        }
        // Every assigned resident has today's call, on its carer's list.
        let (_, t) = app
            .get(&app.login("jinhua-grid1").await, "/api/v1/today")
            .await;
        assert!(!t["calls"].as_array().unwrap().is_empty(), "{t}");
        // 南泉社区's leader has none of 金华's.
        let other = app.login("nanquan-leader").await;
        let (_, v) = app.get(&other, "/api/v1/care/coverage").await;
        assert_eq!(
            v["unassigned"].as_i64().unwrap(),
            v["total"].as_i64().unwrap()
        );
        let call = scalar(&app, "SELECT MIN(id) FROM care_calls".into()).await;
        let (s, _) = app.get(&other, &format!("/api/v1/care/calls/{call}")).await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn assigned_planned_called_escalated_and_moved_on_leave() {
    for app in common::each_demo_app().await {
        let db = &app.db.db;
        let leader = app.login("jinhua-leader").await;
        let r = unassigned(&app, &leader).await;
        let (grid1, home1, home2) = (
            user_id(&app, "jinhua-grid1").await,
            user_id(&app, "jinhua-home1").await,
            user_id(&app, "jinhua-home2").await,
        );
        // Bad input: every field named, nothing written.
        let stranger = user_id(&app, "nanquan-grid1").await;
        let before = scalar(&app, "SELECT COUNT(*) FROM care_assignments".into()).await;
        let (s, v) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/care/assignments",
                json!({"resident_id": r, "primary_user_id": stranger, "backup_user_id": stranger}),
            )
            .await;
        assert_eq!(s, 422);
        let codes: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["not_a_carer", "same_person"], "{v}");
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM care_assignments".into()).await,
            before
        );
        // A grid worker may not assign; another community's leader does not find the resident.
        let worker = app.login("jinhua-grid1").await;
        let body = json!({"resident_id": r, "primary_user_id": grid1, "backup_user_id": home1});
        let (s, _) = app
            .send(
                &worker,
                Method::POST,
                "/api/v1/care/assignments",
                body.clone(),
            )
            .await;
        assert_eq!(s, 403);
        let nanquan = app.login("nanquan-leader").await;
        let (s, _) = app
            .send(
                &nanquan,
                Method::POST,
                "/api/v1/care/assignments",
                body.clone(),
            )
            .await;
        assert_eq!(s, 404);

        let (s, v) = app
            .send(&leader, Method::POST, "/api/v1/care/assignments", body)
            .await;
        assert_eq!(s, 201, "{v}");
        // The plan, asked twice: one call for the resident today.
        let day = today();
        shouhu_server::service::care::plan(db, &day).await.unwrap();
        assert_eq!(
            shouhu_server::service::care::plan(db, &day).await.unwrap(),
            0
        );
        let calls =
            format!("SELECT COUNT(*) FROM care_calls WHERE resident_id = {r} AND day = '{day}'");
        assert_eq!(scalar(&app, calls.clone()).await, 1);
        // Reassigned to home2: the old one ends, the call moves.
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/care/assignments",
                json!({"resident_id": r, "primary_user_id": home2}),
            )
            .await;
        assert_eq!(s, 201);
        let active = format!(
            "SELECT COUNT(*) FROM care_assignments WHERE resident_id = {r} AND ended_at IS NULL"
        );
        assert_eq!(scalar(&app, active).await, 1);
        let call = scalar(
            &app,
            format!("SELECT id FROM care_calls WHERE resident_id = {r} AND day = '{day}'"),
        )
        .await;
        let carer = app.login("jinhua-home2").await;
        let (_, t) = app.get(&carer, "/api/v1/today").await;
        assert!(
            t["calls"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["id"] == call),
            "{t}"
        );

        // Three misses escalate to a door visit by the home-coordination member on duty now.
        let (s, v) = attempt(&app, &carer, call, "no_answer", "a1").await;
        assert_eq!((s, v["call"]["status"].as_str()), (201, Some("due")), "{v}");
        // A retry of the same send is the same attempt.
        let (s, v) = attempt(&app, &carer, call, "no_answer", "a1").await;
        assert_eq!((s, v["replayed"].as_bool()), (201, Some(true)));
        attempt(&app, &carer, call, "wrong_number", "a2").await;
        let (_, v) = attempt(&app, &carer, call, "refused", "a3").await;
        assert_eq!(v["call"]["status"], "escalated", "{v}");
        assert_eq!(v["call"]["attempts"], 3);
        let (_, duty) = app
            .get(&leader, "/api/v1/on-duty?group=home_coordination")
            .await;
        assert_eq!(
            v["call"]["visit_user_id"], duty["items"][0]["user_id"],
            "{duty}"
        );
        // Reached at last: the day is complete, and nothing more is taken.
        let (s, v) = attempt(&app, &carer, call, "reached_well", "a4").await;
        assert_eq!((s, v["call"]["status"].as_str()), (201, Some("reached")));
        let (s, v) = attempt(&app, &carer, call, "no_answer", "a5").await;
        assert_eq!((s, v["error"].as_str()), (422, Some("call_completed")));
        let (s, v) = attempt(&app, &carer, call, "busy", "a6").await;
        assert_eq!(
            (s, v["errors"][0]["field"].as_str()),
            (422, Some("outcome"))
        );

        // Another resident reached and in need: one tap opens a help request for the household.
        let r2 = unassigned(&app, &leader).await;
        app.send(
            &leader,
            Method::POST,
            "/api/v1/care/assignments",
            json!({"resident_id": r2, "primary_user_id": home1, "backup_user_id": grid1}),
        )
        .await;
        shouhu_server::service::care::plan(db, &day).await.unwrap();
        let call2 = scalar(
            &app,
            format!("SELECT id FROM care_calls WHERE resident_id = {r2} AND day = '{day}'"),
        )
        .await;
        let h1 = app.login("jinhua-home1").await;
        let (s, v) = app
            .send(&h1, Method::POST, &format!("/api/v1/care/calls/{call2}/attempts"), json!({"outcome": "reached_needs_help", "note": "降压药吃完了", "help_category": "medicine", "idempotency_key": "n1"}))
            .await;
        assert_eq!(s, 201, "{v}");
        let help = v["help_request_id"].as_i64().unwrap();
        let (_, hr) = app.get(&h1, &format!("/api/v1/help-requests/{help}")).await;
        assert_eq!(hr["household_id"], v["call"]["household_id"], "{hr}");
        assert_eq!(hr["category"], "medicine");

        // home1 away today: the third resident's call goes to the backup.
        let r3 = unassigned(&app, &leader).await;
        app.send(
            &leader,
            Method::POST,
            "/api/v1/care/assignments",
            json!({"resident_id": r3, "primary_user_id": home1, "backup_user_id": grid1}),
        )
        .await;
        shouhu_server::service::care::plan(db, &day).await.unwrap();
        let (s, v) = app
            .send(
                &h1,
                Method::POST,
                "/api/v1/care/leave",
                json!({"first_day": day, "last_day": day, "note": "发烧"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let who = scalar(
            &app,
            format!(
                "SELECT assignee_id FROM care_calls WHERE resident_id = {r3} AND day = '{day}'"
            ),
        )
        .await;
        assert_eq!(who, grid1);
        let (s, v) = app
            .send(
                &h1,
                Method::POST,
                "/api/v1/care/leave",
                json!({"first_day": day, "last_day": "2020-01-01"}),
            )
            .await;
        assert_eq!(
            (s, v["errors"][0]["code"].as_str()),
            (422, Some("before_start"))
        );
    }
}

#[tokio::test]
async fn a_day_with_no_call_escalates_once_by_the_service_clock() {
    for app in common::each_demo_app().await {
        let db = &app.db.db;
        let day = today();
        // One more resident given to someone, so that today has a call no one tried.
        let leader = app.login("jinhua-leader").await;
        let r = unassigned(&app, &leader).await;
        let home1 = user_id(&app, "jinhua-home1").await;
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/care/assignments",
                json!({"resident_id": r, "primary_user_id": home1}),
            )
            .await;
        assert_eq!(s, 201);
        let r2 = unassigned(&app, &leader).await;
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/care/assignments",
                json!({"resident_id": r2, "primary_user_id": home1}),
            )
            .await;
        assert_eq!(s, 201);
        shouhu_server::service::care::plan(db, &day).await.unwrap();
        // Tried once without an answer: not escalated at 20:00 (it was tried), but tomorrow.
        let tried = scalar(
            &app,
            format!("SELECT id FROM care_calls WHERE resident_id = {r} AND day = '{day}'"),
        )
        .await;
        let h1 = app.login("jinhua-home1").await;
        let (s, _) = attempt(&app, &h1, tried, "no_answer", "t1").await;
        assert_eq!(s, 201);
        let due = format!(
            "SELECT COUNT(*) FROM care_calls WHERE day = '{day}' AND status = 'due' AND attempts = 0"
        );
        let untried = scalar(&app, due.clone()).await;
        assert!(untried > 0, "{}", app.db.name());
        let escalated =
            format!("SELECT COUNT(*) FROM care_calls WHERE day = '{day}' AND status = 'escalated'");
        let before = scalar(&app, escalated.clone()).await;
        // 19:59 local: calling hours still on.
        let (from, _) = {
            let d = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap();
            let start = d
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_local_timezone(TZ)
                .unwrap()
                .timestamp();
            (start, start + 86_400)
        };
        let by = chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap();
        let care_tick = shouhu_server::service::care::tick;
        assert_eq!(
            care_tick(db, TZ, by, from + 20 * 3600 - 60, true)
                .await
                .unwrap(),
            0
        );
        // 20:00: every call with no try escalates, once.
        let n = care_tick(db, TZ, by, from + 20 * 3600, true).await.unwrap();
        assert_eq!(n as i64, untried);
        assert_eq!(
            care_tick(db, TZ, by, from + 20 * 3600 + 60, true)
                .await
                .unwrap(),
            0
        );
        assert_eq!(scalar(&app, escalated).await, before + untried);
        let reasons = format!(
            "SELECT COUNT(*) FROM care_calls WHERE day = '{day}' AND escalation_reason = 'none'"
        );
        assert_eq!(scalar(&app, reasons).await, untried);
        // The next day's plan is made by the service's own round, once.
        let next = care_tick(db, TZ, by, from + 86_400 + 60, true)
            .await
            .unwrap();
        assert_eq!(
            next, 1,
            "yesterday's call tried but never answered escalates"
        );
        let missed = format!("SELECT escalation_reason FROM care_calls WHERE id = {tried}");
        let reason: String = sqlx::query_scalar(sqlx::AssertSqlSafe(missed))
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(reason, "missed");
        let tomorrow = (chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").unwrap()
            + chrono::Duration::days(1))
        .to_string();
        let planned = format!("SELECT COUNT(*) FROM care_calls WHERE day = '{tomorrow}'");
        let active = scalar(
            &app,
            "SELECT COUNT(*) FROM care_assignments WHERE ended_at IS NULL".into(),
        )
        .await;
        assert_eq!(scalar(&app, planned.clone()).await, active);
        care_tick(db, TZ, by, from + 86_400 + 120, true)
            .await
            .unwrap();
        assert_eq!(scalar(&app, planned).await, active);
    }
}
