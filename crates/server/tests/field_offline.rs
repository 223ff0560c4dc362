//! Records sent late from a phone's offline queue, on SQLite and PostgreSQL: the phone's time kept
//! beside the server's, counted on its own day when plausible and flagged when not; a survey visit
//! replayed changes nothing more, and one overtaken by someone else's is a 409, not a silent
//! overwrite.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::json;
use shouhu_server::config::Settings;

async fn scalar(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

async fn text(app: &common::TestApp, sql: &str) -> String {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

/// The local date of `at` in the service's time zone.
fn local_day(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap()
        .with_timezone(&Settings::default().time_zone)
        .date_naive()
        .to_string()
}

async fn residents(app: &common::TestApp, n: usize) -> Vec<i64> {
    let (_, v) = app
        .get(
            &app.login("nanquan-grid1").await,
            "/api/v1/residents?per_page=20",
        )
        .await;
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .take(n)
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_late_reading_counts_on_the_day_it_was_taken_and_a_wrong_clock_is_flagged() {
    for app in common::each_demo_app().await {
        let grid = app.login("nanquan-grid1").await;
        let people = residents(&app, 4).await;
        let now = chrono::Utc::now().timestamp();
        let cases = [
            // Taken yesterday on the staircase, sent today.
            (
                now - 86_400,
                serde_json::Value::Null,
                local_day(now - 86_400),
            ),
            // A phone an hour ahead: not believed.
            (now + 3600, json!("future"), local_day(now)),
            // Three days in a queue: counted now, flagged for a look.
            (now - 3 * 86_400, json!("old"), local_day(now)),
        ];
        for (i, (device, flag, day)) in cases.iter().enumerate() {
            let (s, v) = app
                .send(
                    &grid,
                    Method::POST,
                    "/api/v1/health-checks",
                    json!({"resident_id": people[i], "temperature": 36.5, "source": "door",
                           "idempotency_key": format!("late-{i}"), "device_time": device}),
                )
                .await;
            assert_eq!(s, 201, "{v}");
            assert_eq!(v["device_time"], *device, "{}", app.db.name());
            assert_eq!(v["device_time_flag"], *flag, "{v}");
            assert_eq!(v["day"], day.as_str(), "{} {v}", app.db.name());
            let id = v["id"].as_i64().unwrap();
            assert_eq!(
                scalar(
                    &app,
                    &format!("SELECT device_at FROM health_checks WHERE id = {id}")
                )
                .await,
                *device
            );
            assert!(
                v["checked_at"].as_i64().unwrap() >= now,
                "the server's time is kept too"
            );
        }
        // One batch from a queue that spans midnight: each reading on its own day.
        let (s, v) = app
            .send(
                &grid,
                Method::POST,
                "/api/v1/health-checks/batch",
                json!({"items": [
                    {"resident_id": people[3], "temperature": 36.7, "source": "door",
                     "idempotency_key": "b-1", "device_time": now - 86_400},
                    {"resident_id": people[3], "temperature": 36.6, "source": "door",
                     "idempotency_key": "b-2"}
                ]}),
            )
            .await;
        assert_eq!((s, v["recorded"].clone()), (200, json!(2)), "{v}");
        let days: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT day FROM health_checks WHERE resident_id = {} ORDER BY idempotency_key",
            people[3]
        )))
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(days, [local_day(now - 86_400), local_day(now)]);
        assert_eq!(v["items"][0]["check"]["day"], local_day(now - 86_400));
    }
}

#[tokio::test]
async fn a_visit_replayed_changes_nothing_and_one_overtaken_is_a_conflict() {
    for app in common::each_demo_app().await {
        let worker = app.login("nanquan-grid1").await;
        let leader = app.login("nanquan-leader").await;
        let survey = scalar(&app, "SELECT MIN(id) FROM surveys WHERE status = 'open'").await;
        let (_, list) = app
            .get(
                &worker,
                &format!("/api/v1/surveys/{survey}/households?per_page=5"),
            )
            .await;
        let household = list["items"][0]["household_id"]
            .as_i64()
            .unwrap_or_else(|| {
                panic!("{list}");
            });
        let path = format!("/api/v1/surveys/{survey}/households/{household}");
        let (_, shown) = app.get(&worker, &path).await;
        let seen = shown["updated_at"].as_i64().unwrap();
        let body = json!({"status": "nobody_home", "idempotency_key": "visit-1",
                          "seen_updated_at": seen, "device_time": chrono::Utc::now().timestamp() - 600});
        let (s, first) = app.send(&worker, Method::PUT, &path, body.clone()).await;
        assert_eq!(s, 200, "{first}");
        assert_eq!(first["attempts"], 1);
        // The same send again (its answer was lost): the second attempt is not counted.
        let (s, again) = app.send(&worker, Method::PUT, &path, body.clone()).await;
        assert_eq!(s, 200);
        assert_eq!(again["attempts"], 1, "{} {again}", app.db.name());
        assert_eq!(again["updated_at"], first["updated_at"]);
        // The leader, who saw the worker's save, records that they refused.
        let (_, now_shown) = app.get(&leader, &path).await;
        let (s, _) = app
            .send(
                &leader,
                Method::PUT,
                &path,
                json!({"status": "refused", "idempotency_key": "lead-1",
                       "seen_updated_at": now_shown["updated_at"]}),
            )
            .await;
        assert_eq!(s, 200);
        // The worker's next queued send was made before that: a conflict, the leader's stands.
        let (s, v) = app
            .send(
                &worker,
                Method::PUT,
                &path,
                json!({"status": "nobody_home", "idempotency_key": "visit-2", "seen_updated_at": seen}),
            )
            .await;
        assert_eq!(s, 409, "{v}");
        let status = text(
            &app,
            &format!(
                "SELECT status FROM survey_visits WHERE survey_id = {survey} AND household_id = {household}"
            ),
        )
        .await;
        assert_eq!(status, "refused");
        // Having looked again, the worker saves over it knowingly.
        let (_, latest) = app.get(&worker, &path).await;
        let (s, v) = app
            .send(
                &worker,
                Method::PUT,
                &path,
                json!({"status": "nobody_home", "idempotency_key": "visit-3",
                       "seen_updated_at": latest["updated_at"]}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        // The phone's time is kept with the visit.
        assert!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM survey_visits WHERE survey_id = {survey} AND household_id = {household} AND idempotency_key = 'visit-3'")
            )
            .await
                == 1
        );
    }
}
