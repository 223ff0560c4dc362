//! The 24-hour service in the daily report, on SQLite and PostgreSQL: help requests escalated, care
//! calls due / reached / missed / escalated and the roster's gap minutes each equal a direct count
//! over the raw records at grid, community and district; the median times to take and to resolve
//! equal a median computed here; a submitted report keeps them frozen.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};
use shouhu_server::db::reports::{ReportUnit, daily};

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
const JINHUA: &str = "650203100001";
const NANQUAN: &str = "650203002005";

fn day(offset: i64) -> String {
    (chrono::Utc::now().with_timezone(&TZ).date_naive() + chrono::Duration::days(offset))
        .to_string()
}

fn bounds(d: &str) -> (i64, i64) {
    let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let start = date
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_local_timezone(TZ)
        .unwrap()
        .timestamp();
    (start, start + 86_400)
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

fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort();
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]).div_euclid(2)),
    }
}

#[tokio::test]
async fn service_figures_equal_direct_counts_and_freeze_on_submission() {
    for app in common::each_demo_app().await {
        let db = &app.db.db;
        let today = day(0);
        let (start, end) = bounds(&today);
        // The night's waiting request escalates; a few more are taken and resolved at known times.
        shouhu_server::service::dispatch::tick(db, TZ, shouhu_server::db::now())
            .await
            .unwrap();
        let grid1 = app.login("nanquan-grid1").await;
        let medic = app.login("nanquan-medical").await;
        let (_, res) = app.get(&grid1, "/api/v1/residents?per_page=1").await;
        let h = res["items"][0]["household_id"].as_i64().unwrap();
        for (n, ago) in [(0, 600), (1, 1500), (2, 2400)] {
            let (_, r) = app
                .send(&grid1, Method::POST, "/api/v1/help-requests", json!({"household_id": h, "category": "food", "urgency": "normal", "idempotency_key": format!("m{n}")}))
                .await;
            let id = r["id"].as_i64().unwrap();
            app.send(
                &medic,
                Method::POST,
                &format!("/api/v1/help-requests/{id}/claim"),
                Value::Null,
            )
            .await;
            if n < 2 {
                app.send(
                    &medic,
                    Method::POST,
                    &format!("/api/v1/help-requests/{id}/transition"),
                    json!({"to": "resolved", "version": 2, "note": "送到"}),
                )
                .await;
            }
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE help_requests SET created_at = created_at - {ago} WHERE id = {id}"
            )))
            .execute(&db.pool)
            .await
            .unwrap();
        }
        for unit in [JINHUA, "650203100001001", NANQUAN, "650203"] {
            let under = format!(
                "(SELECT c.descendant_id FROM unit_closure c JOIN org_units u ON u.id = c.ancestor_id WHERE u.code = '{unit}')"
            );
            let r = report(&app, unit, &today).await;
            let f = &r["figures"];
            let calls = |cond: &str| {
                format!(
                    "SELECT COUNT(*) FROM care_calls WHERE day = '{today}' AND grid_id IN {under}{cond}"
                )
            };
            let due = scalar(&app, calls("")).await;
            let reached = scalar(
                &app,
                calls(&format!(
                    " AND reached_at IS NOT NULL AND reached_at < {end}"
                )),
            )
            .await;
            let escalated = scalar(&app, calls(" AND escalated_at IS NOT NULL")).await;
            let help_escalated = scalar(&app, format!(
                "SELECT COUNT(*) FROM help_requests h WHERE (h.grid_id IN {under} OR h.community_id IN {under}) \
                 AND EXISTS (SELECT 1 FROM help_escalations e WHERE e.request_id = h.id AND e.step >= 1 \
                 AND e.fired_at >= {start} AND e.fired_at < {end})"
            )).await;
            assert_eq!(
                f["care_calls_due"].as_i64().unwrap(),
                due,
                "{unit} {}",
                app.db.name()
            );
            assert_eq!(f["care_calls_reached"].as_i64().unwrap(), reached, "{unit}");
            assert_eq!(
                f["care_calls_missed"].as_i64().unwrap(),
                due - reached,
                "{unit}"
            );
            assert_eq!(
                f["care_calls_escalated"].as_i64().unwrap(),
                escalated,
                "{unit}"
            );
            assert_eq!(
                f["help_escalated"].as_i64().unwrap(),
                help_escalated,
                "{unit}"
            );
            let times = |column: &str, resolved: &str| {
                format!(
                    "SELECT {column} - created_at FROM help_requests WHERE {column} >= {start} AND {column} < {end} \
                 {resolved} AND (grid_id IN {under} OR community_id IN {under})"
                )
            };
            let ack: Vec<i64> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(times("acknowledged_at", "")))
                    .fetch_all(&db.pool)
                    .await
                    .unwrap();
            let res: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(times(
                "closed_at",
                "AND status = 'resolved'",
            )))
            .fetch_all(&db.pool)
            .await
            .unwrap();
            assert_eq!(
                r["times"]["help_ack_median_seconds"].as_i64(),
                median(ack.clone()),
                "{unit}"
            );
            assert_eq!(
                r["times"]["help_resolve_median_seconds"].as_i64(),
                median(res),
                "{unit}"
            );
            if unit == NANQUAN {
                assert!(
                    ack.len() >= 3 && help_escalated >= 1,
                    "{ack:?} {help_escalated}"
                );
            }
            if unit == JINHUA {
                assert!(due > 0 && reached > 0, "the demo's calls");
            }
        }
        // The roster: 金华社区 covered all today, but for the medic's evening off in two days (four
        // hours); 南泉社区 has nobody in two groups all day.
        assert_eq!(
            report(&app, JINHUA, &today).await["figures"]["roster_gap_minutes"],
            0
        );
        assert_eq!(
            report(&app, JINHUA, &day(2)).await["figures"]["roster_gap_minutes"],
            240
        );
        assert_eq!(
            report(&app, NANQUAN, &day(2)).await["figures"]["roster_gap_minutes"],
            2 * 1440
        );
        // The district holds the two: the sum of theirs.
        assert_eq!(
            report(&app, "650203", &day(2)).await["figures"]["roster_gap_minutes"],
            240 + 2 * 1440
        );

        // Submitted: a later call does not change the frozen figures.
        let leader = app.login("jinhua-leader").await;
        let free = scalar(&app, format!(
            "SELECT MIN(r.id) FROM residents r JOIN org_units g ON g.id = r.grid_id JOIN org_units c \
             ON c.id = g.parent_id WHERE c.code = '{JINHUA}' AND NOT EXISTS (SELECT 1 FROM care_assignments a \
             WHERE a.resident_id = r.id AND a.ended_at IS NULL)"
        )).await;
        let home1 = scalar(
            &app,
            "SELECT id FROM users WHERE username = 'jinhua-home1'".into(),
        )
        .await;
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/care/assignments",
                json!({"resident_id": free, "primary_user_id": home1}),
            )
            .await;
        assert_eq!(s, 201);
        shouhu_server::service::care::plan(db, &today)
            .await
            .unwrap();
        let (s, sub) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/reports/daily/submit",
                json!({"unit": JINHUA, "date": today, "remark": "已核实"}),
            )
            .await;
        assert_eq!(s, 200, "{sub}");
        let frozen = report(&app, JINHUA, &today).await;
        let call = scalar(
            &app,
            format!(
                "SELECT MIN(c.id) FROM care_calls c WHERE c.day = '{today}' AND c.status = 'due'"
            ),
        )
        .await;
        let carer = scalar(
            &app,
            format!("SELECT assignee_id FROM care_calls WHERE id = {call}"),
        )
        .await;
        let name: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT username FROM users WHERE id = {carer}"
        )))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        let who = app.login(&name).await;
        let (s, v) = app
            .send(
                &who,
                Method::POST,
                &format!("/api/v1/care/calls/{call}/attempts"),
                json!({"outcome": "reached_well", "idempotency_key": "late"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let after = report(&app, JINHUA, &today).await;
        assert_eq!(after["figures"], frozen["figures"]);
        assert_eq!(after["times"], frozen["times"]);
        assert_eq!(after["status"], "submitted");
    }
}
