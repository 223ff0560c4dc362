//! The duty roster (值班表) through the API, on SQLite and PostgreSQL: weekly patterns and the gaps
//! they leave, time off, a swap that applies only once accepted, who is on duty now, who cannot be
//! reached, bad input and jurisdiction.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};

/// The next local midnight (Asia/Shanghai, UTC+8 without summer time) after now.
fn next_midnight() -> i64 {
    let now = chrono::Utc::now().timestamp();
    let local = now + 8 * 3600;
    local - local.rem_euclid(86_400) + 86_400 - 8 * 3600
}

async fn user_id(app: &common::TestApp, username: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM users WHERE username = '{username}'"
    )))
    .fetch_one(&app.db.db.pool)
    .await
    .unwrap()
}

async fn count(app: &common::TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

fn gap_minutes(v: &Value, group: &str) -> i64 {
    v["gap_minutes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == group)
        .unwrap()["minutes"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn weekly_shifts_time_off_and_swaps_make_the_roster_and_its_gaps() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let medical = user_id(&app, "nanquan-medical").await;
        let logistics = user_id(&app, "nanquan-logistics").await;
        // From an empty roster of 南泉社区 (the demo keeps its groups on duty around the clock).
        sqlx::query(
            "DELETE FROM duty_patterns WHERE community_id = \
             (SELECT id FROM org_units WHERE code = '650203002005')",
        )
        .execute(&app.db.db.pool)
        .await
        .unwrap();
        // A second member of the medical group, to swap with.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO team_members (team_id, user_id) SELECT t.id, {logistics} FROM teams t \
             JOIN org_units c ON c.id = t.community_id WHERE c.code = '650203002005' AND t.kind = 'medical'"
        )))
        .execute(&app.db.db.pool)
        .await
        .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE users SET phone = CASE WHEN id = {medical} THEN '13800138000' END \
             WHERE id IN ({medical}, {logistics})"
        )))
        .execute(&app.db.db.pool)
        .await
        .unwrap();
        // The medical group's day shift, 08:00–20:00 every day of the week.
        for weekday in 1..=7 {
            let (s, v) = app
                .send(&leader, Method::POST, "/api/v1/roster/patterns", json!({"community": "650203002005", "group": "medical", "user_id": medical, "weekday": weekday, "start": "08:00", "end": "20:00"}))
                .await;
            assert_eq!(s, 201, "{v}");
        }
        let from = next_midnight();
        let (s, r) = app
            .get(
                &leader,
                &format!("/api/v1/roster?community=650203002005&from={from}"),
            )
            .await;
        assert_eq!(s, 200, "{r}");
        // Nights uncovered: 12 hours a day for 7 days; the other groups have nobody at all.
        assert_eq!(gap_minutes(&r, "medical"), 7 * 12 * 60, "{}", app.db.name());
        assert_eq!(gap_minutes(&r, "emergency"), 7 * 24 * 60);
        assert_eq!(r["duties"].as_array().unwrap().len(), 7);
        assert_eq!(r["gaps"].as_array().unwrap()[0]["group"], "duty_leader");
        assert!(r["unreachable"].as_array().unwrap().is_empty(), "{r}");

        // A morning off on the first day: four more hours uncovered.
        let day1_8 = from + 8 * 3600;
        let (s, v) = app
            .send(&leader, Method::POST, "/api/v1/roster/shifts", json!({"group": "medical", "user_id": medical, "kind": "off", "starts_at": day1_8, "ends_at": day1_8 + 4 * 3600, "note": "看病"}))
            .await;
        assert_eq!(s, 201, "{v}");
        let off_id = v["id"].as_i64().unwrap();
        let (_, r) = app
            .get(&leader, &format!("/api/v1/roster?from={from}"))
            .await;
        assert_eq!(gap_minutes(&r, "medical"), 7 * 12 * 60 + 240);

        // Who is on duty at 09:00 of day 1 (off) and at 13:00 (back, until 20:00).
        let (_, now) = app
            .get(
                &leader,
                &format!("/api/v1/on-duty?group=medical&at={}", from + 9 * 3600),
            )
            .await;
        assert_eq!(now["items"].as_array().unwrap().len(), 0, "{now}");
        assert_eq!(now["uncovered"], json!(["medical"]));
        let (_, now) = app
            .get(
                &leader,
                &format!("/api/v1/on-duty?group=medical&at={}", from + 13 * 3600),
            )
            .await;
        assert_eq!(now["items"][0]["user_id"], medical, "{now}");
        assert_eq!(now["items"][0]["until"], from + 20 * 3600);
        assert_eq!(now["items"][0]["phone"], "13800138000");

        // Day 2's shift handed to the other member: nothing changes until they accept.
        let day2_8 = from + 86_400 + 8 * 3600;
        let medic = app.login("nanquan-medical").await;
        let (s, v) = app
            .send(&medic, Method::POST, "/api/v1/roster/swaps", json!({"group": "medical", "to_user_id": logistics, "starts_at": day2_8, "ends_at": day2_8 + 12 * 3600}))
            .await;
        assert_eq!(s, 201, "{v}");
        let swap = v["id"].as_i64().unwrap();
        let at = format!("/api/v1/on-duty?group=medical&at={}", day2_8 + 3600);
        let (_, now) = app.get(&leader, &at).await;
        assert_eq!(now["items"][0]["user_id"], medical);
        // Only the person asked accepts: the one who asked cannot.
        let decide = format!("/api/v1/roster/swaps/{swap}/decide");
        let (s, _) = app
            .send(
                &medic,
                Method::POST,
                &decide,
                json!({"decision": "accept", "version": 1}),
            )
            .await;
        assert_eq!(s, 403);
        let other = app.login("nanquan-logistics").await;
        let (s, v) = app
            .send(
                &other,
                Method::POST,
                &decide,
                json!({"decision": "accept", "version": 2}),
            )
            .await;
        assert_eq!(s, 409, "a stale version: {v}");
        let (s, v) = app
            .send(
                &other,
                Method::POST,
                &decide,
                json!({"decision": "accept", "version": 1}),
            )
            .await;
        assert_eq!(s, 204, "{v}");
        let (_, now) = app.get(&leader, &at).await;
        assert_eq!(now["items"][0]["user_id"], logistics, "{now}");
        assert_eq!(now["items"].as_array().unwrap().len(), 1);
        // Decided once: a second decision is refused.
        let (s, v) = app
            .send(
                &other,
                Method::POST,
                &decide,
                json!({"decision": "decline", "version": 2}),
            )
            .await;
        assert_eq!(
            (s, v["error"].as_str()),
            (422, Some("transition_not_allowed"))
        );
        // The one taking over has no phone on record: the roster says so.
        let (_, r) = app
            .get(&leader, &format!("/api/v1/roster?from={from}"))
            .await;
        let unreachable = r["unreachable"].as_array().unwrap();
        assert_eq!(unreachable.len(), 1, "{r}");
        assert_eq!(unreachable[0]["user_id"], logistics);
        assert_eq!(gap_minutes(&r, "medical"), 7 * 12 * 60 + 240);

        // The morning off taken back: the gap closes again; a second removal finds nothing.
        let path = format!("/api/v1/roster/shifts/{off_id}");
        let (s, _) = app.send(&leader, Method::DELETE, &path, Value::Null).await;
        assert_eq!(s, 204);
        let (s, _) = app.send(&leader, Method::DELETE, &path, Value::Null).await;
        assert_eq!(s, 404);
        let (_, r) = app
            .get(&leader, &format!("/api/v1/roster?from={from}"))
            .await;
        assert_eq!(gap_minutes(&r, "medical"), 7 * 12 * 60);
        let audited = count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'roster.%'",
        )
        .await;
        // 7 patterns, the time off, the swap asked, refused (the asker accepting), accepted, and the
        // removal.
        assert_eq!(audited, 7 + 1 + 1 + 1 + 1 + 1, "{}", app.db.name());
    }
}

#[tokio::test]
async fn bad_roster_input_names_the_field_and_other_communities_are_not_found() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let medical = user_id(&app, "nanquan-medical").await;
        let before = count(&app, "SELECT COUNT(*) FROM duty_patterns").await;
        let shifts = count(&app, "SELECT COUNT(*) FROM duty_shifts").await;
        let (s, v) = app
            .send(&leader, Method::POST, "/api/v1/roster/patterns", json!({"group": "doctors", "user_id": medical, "weekday": 8, "start": "25:00", "end": "8"}))
            .await;
        assert_eq!(s, 422);
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["group", "weekday", "start", "end"], "{v}");
        // Someone not in the group.
        let grid1 = user_id(&app, "nanquan-grid1").await;
        let (s, v) = app
            .send(&leader, Method::POST, "/api/v1/roster/patterns", json!({"group": "medical", "user_id": grid1, "weekday": 1, "start": "08:00", "end": "20:00"}))
            .await;
        assert_eq!(
            (s, v["errors"][0]["code"].as_str()),
            (422, Some("not_in_group")),
            "{v}"
        );
        let (s, v) = app
            .send(&leader, Method::POST, "/api/v1/roster/shifts", json!({"group": "medical", "user_id": medical, "kind": "maybe", "starts_at": 2_000_000_000, "ends_at": 1_999_999_000}))
            .await;
        assert_eq!(s, 422);
        assert_eq!(v["errors"][0]["field"], "kind", "{v}");
        assert_eq!(v["errors"][1]["field"], "ends_at", "{v}");
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM duty_patterns").await,
            before
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM duty_shifts").await,
            shifts
        );
        // Another community's roster: not found; a team member may not change the roster.
        let jinhua = app.login("jinhua-leader").await;
        let (s, _) = app
            .get(&jinhua, "/api/v1/roster?community=650203002005")
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .get(&jinhua, "/api/v1/on-duty?community=650203002005")
            .await;
        assert_eq!(s, 404);
        let medic = app.login("nanquan-medical").await;
        let (s, _) = app
            .send(&medic, Method::POST, "/api/v1/roster/patterns", json!({"group": "medical", "user_id": medical, "weekday": 1, "start": "08:00", "end": "20:00"}))
            .await;
        assert_eq!(s, 403);
        // A grid worker sees their community's roster (who to call tonight).
        let g = app.login("nanquan-grid1").await;
        let (s, v) = app.get(&g, "/api/v1/on-duty").await;
        assert_eq!(
            (s, v["community"]["code"].as_str()),
            (200, Some("650203002005"))
        );
        let (s, v) = app.get(&g, "/api/v1/roster?days=0").await;
        assert_eq!((s, v["error"].as_str()), (422, Some("out_of_range")));
        // A gate guard has no business with the roster.
        let gate = app.login("nanquan-gate-east").await;
        let (s, _) = app.get(&gate, "/api/v1/roster").await;
        assert_eq!(s, 403);
    }
}
