//! Notices (通知) with read receipts on SQLite and PostgreSQL: the audience resolved from roles and
//! units and fixed at publication, receipts that only move forward, a new version asking everyone
//! again, the publisher's totals equal to direct counts, reminders and the leader told by an
//! injected clock, files, the spreadsheet read back, jurisdiction and bad input.
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

async fn exec(app: &common::TestApp, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&app.db.db.pool)
        .await
        .unwrap();
}

async fn unit(app: &common::TestApp, code: &str) -> i64 {
    scalar(
        app,
        &format!("SELECT id FROM org_units WHERE code = '{code}'"),
    )
    .await
}

const KUNLUN: &str = "650203002000";
const NANQUAN: &str = "650203002005";

/// Publishes a notice due in an hour and returns its id.
async fn publish(app: &common::TestApp, token: &str, body: Value) -> i64 {
    let (s, v) = app.send(token, Method::POST, "/api/v1/notices", body).await;
    assert_eq!(s, 201, "{v}");
    v["id"].as_i64().unwrap()
}

fn in_an_hour() -> i64 {
    chrono::Utc::now().timestamp() + 3600
}

async fn receipt(
    app: &common::TestApp,
    token: &str,
    id: i64,
    status: &str,
    version: i64,
) -> (u16, Value) {
    app.send(
        token,
        Method::POST,
        &format!("/api/v1/notices/{id}/receipt"),
        json!({"status": status, "version": version}),
    )
    .await
}

#[tokio::test]
async fn a_notice_reaches_exactly_its_audience_fixed_at_publication() {
    for app in common::each_demo_app().await {
        let street = app.login("kunlun-street").await;
        let kunlun = unit(&app, KUNLUN).await;
        // One grid worker of the street is away (disabled): not a recipient.
        exec(
            &app,
            "UPDATE users SET disabled = 1 WHERE username = 'nanquan-grid2'",
        )
        .await;
        let expected = scalar(
            &app,
            &format!(
                "SELECT COUNT(DISTINCT u.id) FROM users u JOIN staff_units su ON su.user_id = u.id \
                 JOIN unit_closure c ON c.descendant_id = su.unit_id \
                 WHERE c.ancestor_id = {kunlun} AND u.role = 'grid_worker' AND u.disabled = 0"
            ),
        )
        .await;
        assert!(expected >= 1);
        let id = publish(
            &app,
            &street,
            json!({"title": "关于加强夜间值守的通知", "body": "今晚起门岗两人值守。",
                "deadline": in_an_hour(), "roles": ["grid_worker"], "unit_ids": [kunlun],
                "idempotency_key": "n1"}),
        )
        .await;
        let recipients = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM notice_recipients WHERE notice_id = {id}"),
        )
        .await;
        assert_eq!(
            recipients, expected,
            "every enabled grid worker of the street"
        );
        let roles = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM notice_recipients r JOIN users u ON u.id = r.user_id \
                 WHERE r.notice_id = {id} AND (u.role <> 'grid_worker' OR u.disabled = 1)"
            ),
        )
        .await;
        assert_eq!(roles, 0, "no one of another role, no one disabled");

        // A grid worker of the street has it; one of another street, and a guard, do not.
        let grid = app.login("nanquan-grid1").await;
        let (s, v) = app.get(&grid, &format!("/api/v1/notices/{id}")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["my_status"], "delivered");
        assert_eq!(v["version"], 1);
        let (_, list) = app.get(&grid, "/api/v1/notices").await;
        assert_eq!(list["received"][0]["id"], id);
        for outsider in ["jinhua-grid1", "nanquan-gate-east"] {
            let t = app.login(outsider).await;
            let (s, _) = app.get(&t, &format!("/api/v1/notices/{id}")).await;
            assert_eq!(s, 404, "{outsider} does not see it");
            let (s, _) = receipt(&app, &t, id, "read", 1).await;
            assert_eq!(s, 404, "{outsider} cannot answer it");
        }

        // Back at work after publication: still not a recipient (the audience is fixed).
        exec(
            &app,
            "UPDATE users SET disabled = 0 WHERE username = 'nanquan-grid2'",
        )
        .await;
        let grid2 = app.login("nanquan-grid2").await;
        let (s, _) = app.get(&grid2, &format!("/api/v1/notices/{id}")).await;
        assert_eq!(s, 404);
        let after = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM notice_recipients WHERE notice_id = {id}"),
        )
        .await;
        assert_eq!(after, recipients);

        // Roles and a community: the leader's community's guards and team members only.
        let leader = app.login("nanquan-leader").await;
        let nanquan = unit(&app, NANQUAN).await;
        let id2 = publish(
            &app,
            &leader,
            json!({"title": "门岗与专项小组学习", "body": "见附件。", "deadline": in_an_hour(),
                "roles": ["gate_guard", "team_member"], "unit_ids": [nanquan],
                "idempotency_key": "n2"}),
        )
        .await;
        let expected = scalar(
            &app,
            &format!(
                "SELECT COUNT(DISTINCT u.id) FROM users u JOIN staff_units su ON su.user_id = u.id \
                 JOIN unit_closure c ON c.descendant_id = su.unit_id WHERE c.ancestor_id = {nanquan} \
                 AND u.role IN ('gate_guard','team_member') AND u.disabled = 0"
            ),
        )
        .await;
        let got = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM notice_recipients WHERE notice_id = {id2}"),
        )
        .await;
        assert_eq!(got, expected);
        let guard = app.login("nanquan-gate-east").await;
        let (s, v) = app.get(&guard, &format!("/api/v1/notices/{id2}")).await;
        assert_eq!(s, 200, "{v}");
    }
}

#[tokio::test]
async fn receipts_only_move_forward_and_a_new_version_asks_again() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let nanquan = unit(&app, NANQUAN).await;
        let id = publish(
            &app,
            &leader,
            json!({"title": "新版防控要求", "body": "第一版。", "deadline": in_an_hour(),
                "roles": ["grid_worker"], "unit_ids": [nanquan], "idempotency_key": "v"}),
        )
        .await;
        let grid = app.login("nanquan-grid1").await;
        let (s, v) = receipt(&app, &grid, id, "read", 1).await;
        assert_eq!(
            (s, v["status"].as_str(), v["changed"].as_bool()),
            (200, Some("read"), Some(true))
        );
        let (s, v) = receipt(&app, &grid, id, "confirmed", 1).await;
        assert_eq!(
            (s, v["status"].as_str(), v["changed"].as_bool()),
            (200, Some("confirmed"), Some(true))
        );
        // Never back: reading again leaves it studied.
        let (s, v) = receipt(&app, &grid, id, "read", 1).await;
        assert_eq!(
            (s, v["status"].as_str(), v["changed"].as_bool()),
            (200, Some("confirmed"), Some(false))
        );
        let (s, v) = receipt(&app, &grid, id, "delivered", 1).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["errors"][0]["field"], "status");

        // A new version: asked again; an answer to the old one is a conflict.
        let (s, v) = app
            .send(
                &leader,
                Method::PUT,
                &format!("/api/v1/notices/{id}"),
                json!({"title": "新版防控要求（修订）", "body": "第二版。", "deadline": in_an_hour(), "version": 1}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["version"], 2);
        let (s, _) = app
            .send(
                &leader,
                Method::PUT,
                &format!("/api/v1/notices/{id}"),
                json!({"title": "x", "body": "y", "deadline": in_an_hour(), "version": 1}),
            )
            .await;
        assert_eq!(s, 409, "a revision of a version no longer current");
        let (_, v) = app.get(&grid, &format!("/api/v1/notices/{id}")).await;
        assert_eq!(v["my_status"], "delivered");
        assert_eq!(v["body"], "第二版。");
        let (s, _) = receipt(&app, &grid, id, "confirmed", 1).await;
        assert_eq!(s, 409);
        let (s, v) = receipt(&app, &grid, id, "confirmed", 2).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("confirmed")));
        // Every step is kept: delivered, read, confirmed of version 1; delivered, confirmed of 2.
        let me = scalar(
            &app,
            "SELECT id FROM users WHERE username = 'nanquan-grid1'",
        )
        .await;
        let steps = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM notice_receipts WHERE notice_id = {id} AND user_id = {me}"
            ),
        )
        .await;
        assert_eq!(steps, 5);
        let (read_at, confirmed_at): (Option<i64>, Option<i64>) = sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT read_at, confirmed_at FROM notice_recipients WHERE notice_id = {id} AND user_id = {me}"),
        ))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert!(
            read_at.is_some() && confirmed_at.is_some(),
            "studied implies read"
        );
        // A grid worker may not publish or revise.
        let (s, _) = app
            .send(
                &grid,
                Method::PUT,
                &format!("/api/v1/notices/{id}"),
                json!({"title": "x", "body": "y", "deadline": in_an_hour(), "version": 2}),
            )
            .await;
        assert_eq!(s, 403);
        let audited = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE object_kind = 'notice' AND object_id = '{id}'"
            ),
        )
        .await;
        assert!(
            audited >= 5,
            "publication, revision and receipts audited: {audited}"
        );
    }
}

#[tokio::test]
async fn the_publisher_sees_who_is_missing_as_direct_counts_say() {
    use calamine::{Data, Reader, Xlsx};
    for app in common::each_demo_app().await {
        let street = app.login("kunlun-street").await;
        let kunlun = unit(&app, KUNLUN).await;
        let id = publish(
            &app,
            &street,
            json!({"title": "晚间学习", "body": "学习新要求。", "deadline": in_an_hour(),
                "roles": ["grid_worker", "community_leader", "team_member"], "unit_ids": [kunlun],
                "idempotency_key": "r"}),
        )
        .await;
        for (who, status) in [("nanquan-grid1", "confirmed"), ("nanquan-medical", "read")] {
            let t = app.login(who).await;
            let (s, v) = receipt(&app, &t, id, status, 1).await;
            assert_eq!(s, 200, "{v}");
        }
        let (s, v) = app
            .get(&street, &format!("/api/v1/notices/{id}/receipts"))
            .await;
        assert_eq!(s, 200, "{v}");
        let count = |cond: &str| {
            format!("SELECT COUNT(*) FROM notice_recipients WHERE notice_id = {id}{cond}")
        };
        let all = scalar(&app, &count("")).await;
        let read = scalar(&app, &count(" AND status <> 'delivered'")).await;
        let confirmed = scalar(&app, &count(" AND status = 'confirmed'")).await;
        assert_eq!(v["total"]["recipients"], all);
        assert_eq!(v["total"]["read"], read);
        assert_eq!(v["total"]["confirmed"], confirmed);
        assert_eq!(v["total"]["missing"], all - confirmed);
        assert_eq!((read, confirmed), (2, 1));
        let per_unit: i64 = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["recipients"].as_i64().unwrap())
            .sum();
        assert_eq!(per_unit, all);
        // Those not yet studied come first.
        let people = v["people"].as_array().unwrap();
        assert_eq!(people.len() as i64, all);
        assert_ne!(people[0]["status"], "confirmed");

        // The community's leader sees the receipts of 南泉's people only.
        let leader = app.login("nanquan-leader").await;
        let (s, v) = app
            .get(&leader, &format!("/api/v1/notices/{id}/receipts"))
            .await;
        assert_eq!(s, 200, "{v}");
        let nanquan = unit(&app, NANQUAN).await;
        let of_nanquan = scalar(&app, &count(&format!(" AND community_id = {nanquan}"))).await;
        assert_eq!(v["total"]["recipients"], of_nanquan);
        assert!(
            v["people"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["community_id"] == nanquan)
        );
        // Not a publisher: 403; another community's leader: 404.
        let grid = app.login("nanquan-grid1").await;
        let (s, _) = app
            .get(&grid, &format!("/api/v1/notices/{id}/receipts"))
            .await;
        assert_eq!(s, 403);
        let other = app.login("jinhua-leader").await;
        let (s, _) = app
            .get(&other, &format!("/api/v1/notices/{id}/receipts"))
            .await;
        assert_eq!(s, 404);

        // The export read back: a line per community, then one per person.
        let r = app
            .client
            .get(app.url(&format!("/api/v1/notices/{id}/receipts?format=xlsx")))
            .bearer_auth(&street)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = book.worksheet_range("回执").unwrap();
        let rows: Vec<Vec<String>> = sheet
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::String(s) => s.clone(),
                        Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        assert!(rows[0][0].contains("晚间学习"));
        let named: Vec<&Vec<String>> = rows.iter().filter(|r| !r[1].is_empty()).collect();
        // The header row names its column "姓名".
        assert_eq!(named.len() as i64, all + 1);
        let grid1 = named.iter().find(|r| r[1] == "南泉社区网格员一").unwrap();
        assert_eq!(grid1[4], "已学习");
        assert!(!grid1[6].is_empty(), "when it was studied");
    }
}

#[tokio::test]
async fn reminders_and_the_leader_told_follow_the_clock() {
    use shouhu_server::service::notices::tick;
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let nanquan = unit(&app, NANQUAN).await;
        let deadline = in_an_hour();
        // The demo's own notices have their reminders done first, up to past this test's clock,
        // so that what the ticks below report is this notice's alone.
        tick(&app.db.db, deadline + 5 * 3600).await.unwrap();
        let id = publish(
            &app,
            &leader,
            json!({"title": "今晚学习", "body": "…", "deadline": deadline,
                "roles": ["grid_worker", "team_member"], "unit_ids": [nanquan],
                "idempotency_key": "t"}),
        )
        .await;
        let all = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM notice_recipients WHERE notice_id = {id}"),
        )
        .await;
        let grid = app.login("nanquan-grid1").await;
        receipt(&app, &grid, id, "confirmed", 1).await;
        let db = &app.db.db;
        // Before the deadline: nothing.
        let (reminded, told) = tick(db, deadline - 1).await.unwrap();
        assert_eq!((reminded, told), (0, 0));
        // At the deadline: everyone not yet studied is reminded, once.
        let (reminded, told) = tick(db, deadline).await.unwrap();
        assert_eq!((reminded as i64, told), (all - 1, 0));
        assert_eq!(tick(db, deadline + 60).await.unwrap(), (0, 0));
        let medical = app.login("nanquan-medical").await;
        let (_, list) = app.get(&medical, "/api/v1/notices").await;
        let mine = list["received"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == id)
            .unwrap()
            .clone();
        assert_eq!(
            mine["overdue"], false,
            "the real clock is still before the deadline"
        );
        // One studies it late; two hours after the deadline the rest are reported, once.
        receipt(&app, &medical, id, "confirmed", 1).await;
        let late = deadline + shouhu_server::db::notices::TELL_LEADER_AFTER_SECS;
        let (reminded, told) = tick(db, late - 1).await.unwrap();
        assert_eq!((reminded, told), (0, 0));
        let (reminded, told) = tick(db, late).await.unwrap();
        assert_eq!((reminded as i64, told as i64), (0, all - 2));
        assert_eq!(tick(db, late + 3600).await.unwrap(), (0, 0));
        let reported = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM notice_recipients WHERE notice_id = {id} \
                 AND escalated_at IS NOT NULL AND status <> 'confirmed'"
            ),
        )
        .await;
        assert_eq!(reported, all - 2);
        let (s, v) = app
            .get(&leader, &format!("/api/v1/notices/{id}/receipts"))
            .await;
        assert_eq!(s, 200);
        let flagged = v["people"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["reported"] == true)
            .count() as i64;
        assert_eq!(flagged, all - 2);
        // A new version clears the reminders: it is asked afresh.
        let (s, _) = app
            .send(
                &leader,
                Method::PUT,
                &format!("/api/v1/notices/{id}"),
                json!({"title": "今晚学习", "body": "改", "deadline": in_an_hour(), "version": 1}),
            )
            .await;
        assert_eq!(s, 200);
        let left = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM notice_recipients WHERE notice_id = {id} \
                 AND (reminded_at IS NOT NULL OR escalated_at IS NOT NULL)"
            ),
        )
        .await;
        assert_eq!(left, 0);
    }
}

#[tokio::test]
async fn bad_input_is_named_and_writes_nothing() {
    for app in common::each_demo_app().await {
        let street = app.login("kunlun-street").await;
        let kunlun = unit(&app, KUNLUN).await;
        let jinhua = unit(&app, "650203100001").await;
        let good = json!({"title": "t", "body": "b", "deadline": in_an_hour(),
            "roles": ["grid_worker"], "unit_ids": [kunlun], "idempotency_key": "k"});
        let notices = scalar(&app, "SELECT COUNT(*) FROM notices").await;
        let recipients = scalar(&app, "SELECT COUNT(*) FROM notice_recipients").await;
        let cases = [
            ("title", json!({"title": " "})),
            ("title", json!({"title": "长".repeat(101)})),
            ("body", json!({"body": ""})),
            ("deadline", json!({"deadline": 1_000})),
            ("deadline", json!({"deadline": in_an_hour() + 400 * 86_400})),
            ("roles", json!({"roles": ["auditor"]})),
            ("roles", json!({"roles": ["grid_worker", "grid_worker"]})),
            ("roles", json!({"roles": []})),
            ("unit_ids", json!({"unit_ids": []})),
            ("unit_ids", json!({"unit_ids": [jinhua]})),
            ("unit_ids", json!({"unit_ids": [999_999]})),
            ("idempotency_key", json!({"idempotency_key": ""})),
        ];
        for (field, change) in cases {
            let mut body = good.clone();
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (s, v) = app
                .send(&street, Method::POST, "/api/v1/notices", body)
                .await;
            assert_eq!(s, 422, "{field}: {v}");
            assert_eq!(v["errors"][0]["field"], field, "{v}");
        }
        let (s, _) = app
            .send(
                &street,
                Method::POST,
                "/api/v1/notices",
                json!({"title": "t"}),
            )
            .await;
        assert_eq!(s, 422);
        assert_eq!(scalar(&app, "SELECT COUNT(*) FROM notices").await, notices);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM notice_recipients").await,
            recipients
        );
        // The same key again: the first; with something else: refused.
        let a = publish(&app, &street, good.clone()).await;
        let r = app
            .client
            .post(app.url("/api/v1/notices"))
            .bearer_auth(&street)
            .json(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()["idempotent-replayed"], "true");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["id"], a);
        let mut other = good.clone();
        other["title"] = json!("另一个");
        let (s, v) = app
            .send(&street, Method::POST, "/api/v1/notices", other)
            .await;
        assert_eq!(
            (s, v["errors"][0]["field"].as_str()),
            (422, Some("idempotency_key"))
        );
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM notices").await,
            notices + 1
        );
        // A grid worker may not publish; a gate guard may not either.
        for who in ["nanquan-grid1", "nanquan-gate-east"] {
            let t = app.login(who).await;
            let (s, _) = app
                .send(&t, Method::POST, "/api/v1/notices", good.clone())
                .await;
            assert_eq!(s, 403, "{who}");
        }
        let (s, v) = app.get(&street, "/api/v1/notices/abc").await;
        assert_eq!((s, v["errors"][0]["field"].as_str()), (422, Some("id")));
        let (s, _) = app.get(&street, "/api/v1/notices/99999").await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn files_are_kept_with_the_notice_for_its_readers_only() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let nanquan = unit(&app, NANQUAN).await;
        let id = publish(
            &app,
            &leader,
            json!({"title": "附件通知", "body": "见附件", "deadline": in_an_hour(),
                "roles": ["grid_worker"], "unit_ids": [nanquan], "idempotency_key": "f"}),
        )
        .await;
        let upload = |name: &str, bytes: Vec<u8>, token: &str| {
            app.client
                .post(app.url(&format!(
                    "/api/v1/notices/{id}/attachments?file_name={}",
                    form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
                )))
                .bearer_auth(token.to_string())
                .header("content-type", "application/pdf")
                .body(bytes)
                .send()
        };
        let pdf = b"%PDF-1.4 \xe9\x98\xb2\xe6\x8e\xa7".to_vec();
        let r = upload("防控要求.pdf", pdf.clone(), &leader).await.unwrap();
        assert_eq!(r.status(), 201);
        let file = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let grid = app.login("nanquan-grid1").await;
        let r = upload("x.pdf", pdf.clone(), &grid).await.unwrap();
        assert_eq!(r.status(), 403, "a reader adds no files");
        let r = upload("empty.pdf", Vec::new(), &leader).await.unwrap();
        assert_eq!(r.status(), 422);
        let r = upload("big.pdf", vec![0u8; 10 * 1024 * 1024 + 1], &leader)
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let (_, v) = app.get(&grid, &format!("/api/v1/notices/{id}")).await;
        assert_eq!(v["attachments"][0]["file_name"], "防控要求.pdf");
        let r = app
            .client
            .get(app.url(&format!("/api/v1/notices/{id}/attachments/{file}")))
            .bearer_auth(&grid)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        let cd = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cd.contains("filename*=UTF-8''%E9%98%B2"), "{cd}");
        assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
        let other = app.login("jinhua-grid1").await;
        let r = app
            .client
            .get(app.url(&format!("/api/v1/notices/{id}/attachments/{file}")))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        // At most ten files.
        for i in 1..10 {
            let r = upload(&format!("{i}.pdf"), pdf.clone(), &leader)
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        }
        let r = upload("11.pdf", pdf.clone(), &leader).await.unwrap();
        assert_eq!(r.status(), 422);
    }
}

fn local_day(offset: i64) -> String {
    (chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        + chrono::Duration::days(offset))
    .to_string()
}

async fn figures(app: &common::TestApp, unit: &str, day: &str) -> Value {
    use shouhu_server::db::reports::{ReportUnit, daily};
    let u = ReportUnit::by_code(&app.db.db, unit)
        .await
        .unwrap()
        .unwrap();
    serde_json::to_value(daily(&app.db.db, &u, day).await.unwrap()).unwrap()
}

#[tokio::test]
async fn the_daily_report_counts_receipts_due_studied_and_missing() {
    for app in common::each_demo_app().await {
        let nanquan = unit(&app, NANQUAN).await;
        // Direct counts over the receipts as they stand now, of notices due on `day`.
        let direct = |day: String, status: &'static str| {
            let (start, end) = shouhu_server::db::report_stats::day_bounds(&day).unwrap();
            format!(
                "SELECT COUNT(*) FROM notice_recipients r JOIN notices n ON n.id = r.notice_id \
                 JOIN org_units o ON o.id = r.unit_id WHERE n.deadline >= {start} AND n.deadline < {end} \
                 AND o.kind IN ('grid','community') AND r.unit_id IN \
                 (SELECT descendant_id FROM unit_closure WHERE ancestor_id = {nanquan}){status}"
            )
        };
        for offset in [-1, 0, 1] {
            let day = local_day(offset);
            let f = &figures(&app, NANQUAN, &day).await["figures"];
            let due = scalar(&app, &direct(day.clone(), "")).await;
            let confirmed = scalar(&app, &direct(day.clone(), " AND r.status = 'confirmed'")).await;
            assert_eq!(f["notices_due"].as_i64(), Some(due), "{day}");
            assert_eq!(f["notices_confirmed"].as_i64(), Some(confirmed), "{day}");
            assert_eq!(
                f["notices_missing"].as_i64(),
                Some(due - confirmed),
                "{day}"
            );
        }
        // Yesterday's study from the street: two of 南泉 missing at its end.
        let yesterday = local_day(-1);
        let before = figures(&app, NANQUAN, &yesterday).await["figures"].clone();
        assert_eq!(before["notices_missing"].as_i64(), Some(2));
        assert!(before["notices_due"].as_i64().unwrap() > 2);
        // One studies it today: yesterday's end does not change.
        let street_notice = scalar(
            &app,
            "SELECT MIN(n.id) FROM notices n JOIN users u ON u.id = n.created_by \
             WHERE u.username = 'kunlun-street'",
        )
        .await;
        let grid2 = app.login("nanquan-grid2").await;
        let (s, _) = receipt(&app, &grid2, street_notice, "confirmed", 1).await;
        assert_eq!(s, 200);
        let after = figures(&app, NANQUAN, &yesterday).await["figures"].clone();
        assert_eq!(after["notices_missing"], before["notices_missing"]);
        assert_eq!(after["notices_confirmed"], before["notices_confirmed"]);
        // The district adds up its communities.
        let district = figures(&app, "650203", &yesterday).await["figures"].clone();
        let jinhua = figures(&app, "650203100001", &yesterday).await["figures"].clone();
        for key in ["notices_due", "notices_confirmed", "notices_missing"] {
            assert_eq!(
                district[key].as_i64().unwrap(),
                after[key].as_i64().unwrap() + jinhua[key].as_i64().unwrap(),
                "{key}"
            );
        }

        // Today's, submitted: a study after it leaves the frozen figures as they were.
        let leader = app.login("nanquan-leader").await;
        let deadline = in_an_hour();
        let id = publish(
            &app,
            &leader,
            json!({"title": "报表测试", "body": "…", "deadline": deadline,
                "roles": ["grid_worker"], "unit_ids": [nanquan], "idempotency_key": "rep"}),
        )
        .await;
        let due_day = chrono::DateTime::from_timestamp(deadline, 0)
            .unwrap()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
            .to_string();
        let (s, sub) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/reports/daily/submit",
                json!({"unit": NANQUAN, "date": due_day, "remark": "已核实"}),
            )
            .await;
        assert_eq!(s, 200, "{sub}");
        let frozen = figures(&app, NANQUAN, &due_day).await["figures"].clone();
        let grid1 = app.login("nanquan-grid1").await;
        let (s, _) = receipt(&app, &grid1, id, "confirmed", 1).await;
        assert_eq!(s, 200);
        let later = figures(&app, NANQUAN, &due_day).await;
        assert_eq!(later["status"], "submitted");
        assert_eq!(later["figures"], frozen);
    }
}

#[tokio::test]
async fn hundreds_of_recipients_are_listed_a_community_at_a_time() {
    for app in common::each_demo_app().await {
        let grid = unit(&app, "650203002005001").await;
        // 600 more grid workers in one grid of 南泉.
        exec(
            &app,
            &format!(
                "INSERT INTO users (username, display_name, role, password_hash, must_change_password, \
                 disabled, created_at, phone) WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 \
                 FROM k WHERE n < 600) SELECT 'many-' || k.n, '网格员' || k.n, 'grid_worker', 'x', 0, 0, 0, \
                 '{grid}' FROM k"
            ),
        )
        .await;
        exec(
            &app,
            "INSERT INTO staff_units (user_id, unit_id) SELECT id, CAST(phone AS BIGINT) FROM users \
             WHERE username LIKE 'many-%'",
        )
        .await;
        let street = app.login("kunlun-street").await;
        let kunlun = unit(&app, KUNLUN).await;
        let id = publish(
            &app,
            &street,
            json!({"title": "全街道网格员", "body": "…", "deadline": in_an_hour(),
                "roles": ["grid_worker"], "unit_ids": [kunlun], "idempotency_key": "many"}),
        )
        .await;
        let (s, v) = app
            .get(&street, &format!("/api/v1/notices/{id}/receipts"))
            .await;
        assert_eq!(s, 200, "{v}");
        assert!(v["total"]["recipients"].as_i64().unwrap() > 600);
        assert_eq!(v["pick_community"], true);
        assert_eq!(v["people"].as_array().unwrap().len(), 0);
        let nanquan = unit(&app, NANQUAN).await;
        let (_, v) = app
            .get(
                &street,
                &format!("/api/v1/notices/{id}/receipts?community_id={nanquan}"),
            )
            .await;
        assert_eq!(v["pick_community"], false);
        assert_eq!(
            v["people"].as_array().unwrap().len(),
            500,
            "at most 500 at once"
        );
        assert!(
            v["people"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["community_id"] == nanquan)
        );
    }
}
