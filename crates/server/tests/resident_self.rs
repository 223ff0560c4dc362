//! Resident self-service (居民端) on SQLite and PostgreSQL: the household link's scope (its own
//! household only; revoked or replaced links refused; guessing rate-limited), self-reports kept
//! once and saying who acted for whom, help and supplies requests in the staff's queues, and
//! correction requests in the grid worker's data checks.
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

/// Households of nanquan-grid1's grids with at least two members, first by id.
async fn households(app: &common::TestApp) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT h.id FROM households h JOIN staff_units su ON su.unit_id = h.grid_id \
         JOIN users u ON u.id = su.user_id WHERE u.username = 'nanquan-grid1' \
         AND h.deleted_at IS NULL AND (SELECT COUNT(*) FROM residents r \
         WHERE r.household_id = h.id AND r.deleted_at IS NULL) >= 2 ORDER BY h.id",
    )
    .fetch_all(&app.db.db.pool)
    .await
    .unwrap()
}

async fn members(app: &common::TestApp, household: i64) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM residents WHERE household_id = {household} AND deleted_at IS NULL ORDER BY id"
    )))
    .fetch_all(&app.db.db.pool)
    .await
    .unwrap()
}

async fn issue(app: &common::TestApp, staff: &str, household: i64) -> String {
    let (s, v) = app
        .send(
            staff,
            Method::POST,
            &format!("/api/v1/households/{household}/resident-link"),
            json!({}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    assert_eq!(v["path"], format!("/h/{token}"));
    token
}

async fn as_household(
    app: &common::TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value, bool) {
    let mut r = app
        .client
        .request(method, app.url(path))
        .header("x-household-token", token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    (status, r.json().await.unwrap_or(Value::Null), replayed)
}

#[tokio::test]
async fn a_link_opens_its_own_household_and_nothing_else() {
    for app in common::each_demo_app().await {
        let grid = app.login("nanquan-grid1").await;
        let hs = households(&app).await;
        let (mine, other) = (hs[0], hs[1]);
        let token = issue(&app, &grid, mine).await;
        // Only the hash is kept.
        let kept = scalar(
            &app,
            &format!("SELECT COUNT(*) FROM resident_links WHERE token_hash = '{token}'"),
        )
        .await;
        assert_eq!(kept, 0, "{}", app.db.name());

        let (s, v, _) = as_household(&app, &token, Method::GET, "/api/v1/self", None).await;
        assert_eq!(s, 200, "{v}");
        let mut shown: Vec<i64> = v["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        shown.sort();
        assert_eq!(shown, members(&app, mine).await, "{}", app.db.name());
        // Names masked as for staff lists.
        let full: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM residents WHERE id = {}",
            v["members"][0]["id"]
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_ne!(v["members"][0]["name"], full);
        assert!(v["pass_code"].as_str().is_some_and(|c| c.len() == 20));

        // Another household's member, reached with this link: refused, nothing written.
        let stranger = members(&app, other).await[0];
        let before = scalar(&app, "SELECT COUNT(*) FROM health_checks").await;
        let (s, v, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/checks",
            Some(json!({"resident_id": stranger, "temperature": 36.5, "idempotency_key": "x1"})),
        )
        .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["errors"][0]["field"], "resident_id", "{v}");
        let (s, _, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/corrections",
            Some(json!({"resident_id": stranger, "words": "名字错了", "idempotency_key": "x2"})),
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            before
        );
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM resident_corrections").await,
            0
        );

        // A worker cannot issue a link for a household outside their jurisdiction.
        let jinhua = app.login("jinhua-grid1").await;
        let (s, _) = app
            .send(
                &jinhua,
                Method::POST,
                &format!("/api/v1/households/{mine}/resident-link"),
                json!({}),
            )
            .await;
        assert_eq!(s, 404);
        // Nor can a gate guard (no right to edit the registry).
        let gate = app.login("nanquan-gate-east").await;
        let (s, _) = app
            .send(
                &gate,
                Method::POST,
                &format!("/api/v1/households/{mine}/resident-link"),
                json!({}),
            )
            .await;
        assert_eq!(s, 403);
        // A staff session is not a household link.
        let (s, _) = app.get(&grid, "/api/v1/self").await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn a_revoked_or_replaced_link_opens_nothing() {
    for app in common::each_demo_app().await {
        let grid = app.login("nanquan-grid1").await;
        let h = households(&app).await[0];
        let first = issue(&app, &grid, h).await;
        // A lost sheet: issued anew, the first stops at once.
        let second = issue(&app, &grid, h).await;
        assert_ne!(first, second);
        let (s, _, _) = as_household(&app, &first, Method::GET, "/api/v1/self", None).await;
        assert_eq!(s, 404, "{}", app.db.name());
        let (s, _, _) = as_household(&app, &second, Method::GET, "/api/v1/self", None).await;
        assert_eq!(s, 200);
        let (s, v) = app
            .get(&grid, &format!("/api/v1/households/{h}/resident-link"))
            .await;
        assert_eq!((s, v["active"].clone()), (200, json!(true)));
        let (s, _) = app
            .send(
                &grid,
                Method::DELETE,
                &format!("/api/v1/households/{h}/resident-link"),
                json!({}),
            )
            .await;
        assert_eq!(s, 204);
        let (s, _, _) = as_household(&app, &second, Method::GET, "/api/v1/self", None).await;
        assert_eq!(s, 404);
        let page = app
            .client
            .get(app.url(&format!("/h/{second}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 404);
        assert!(page.text().await.unwrap().contains("网格员"));
        let (s, v) = app
            .get(&grid, &format!("/api/v1/households/{h}/resident-link"))
            .await;
        assert_eq!((s, v["active"].clone()), (200, json!(false)));
        // Revoking again: there is none working.
        let (s, _) = app
            .send(
                &grid,
                Method::DELETE,
                &format!("/api/v1/households/{h}/resident-link"),
                json!({}),
            )
            .await;
        assert_eq!(s, 404);
        // Both steps are in the audit log, without the token.
        let audited = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM audit_log WHERE action IN ('resident_link.issue', \
                 'resident_link.revoke') AND object_id = '{h}' AND detail NOT LIKE '%{second}%'"
            ),
        )
        .await;
        assert_eq!(audited, 3);
    }
}

#[tokio::test]
async fn guessing_tokens_is_rate_limited() {
    for app in common::each_demo_app().await {
        let grid = app.login("nanquan-grid1").await;
        let h = households(&app).await[0];
        let token = issue(&app, &grid, h).await;
        let mut statuses = Vec::new();
        for i in 0..25 {
            // Well-formed guesses and junk alike count as misses.
            let guess = if i % 2 == 0 {
                format!("{:0>43}", i)
            } else {
                format!("x{i}")
            };
            let (s, _, _) = as_household(&app, &guess, Method::GET, "/api/v1/self", None).await;
            statuses.push(s);
        }
        assert!(statuses[..20].iter().all(|s| *s == 404), "{statuses:?}");
        assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
        // While the limit holds, a right token from there is refused too: a guess that hits is
        // not told apart.
        let (s, _, _) = as_household(&app, &token, Method::GET, "/api/v1/self", None).await;
        assert_eq!(s, 429, "{}", app.db.name());
        let page = app
            .client
            .get(app.url(&format!("/h/{token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 429);
        // Staff sign-in from the same address is not locked by the misses.
        app.login("nanquan-grid2").await;
    }
}

#[tokio::test]
async fn a_self_report_is_kept_once_and_says_who_acted_for_whom() {
    for app in common::each_demo_app().await {
        let grid = app.login("nanquan-grid1").await;
        let h = households(&app).await[0];
        let people = members(&app, h).await;
        let token = issue(&app, &grid, h).await;
        let link: i64 = scalar(
            &app,
            &format!(
                "SELECT id FROM resident_links WHERE household_id = {h} AND status = 'active'"
            ),
        )
        .await;
        let before = scalar(&app, "SELECT COUNT(*) FROM health_checks").await;
        let body =
            json!({"resident_id": people[0], "temperature": 38.2, "idempotency_key": "tap-1"});
        let (s, first, replayed) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/checks",
            Some(body.clone()),
        )
        .await;
        assert_eq!((s, replayed), (201, false), "{first}");
        assert_eq!(first["fever"], true);
        // The second tap of the same button.
        let (s, again, replayed) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/checks",
            Some(body),
        )
        .await;
        assert_eq!((s, replayed), (201, true));
        assert_eq!(again["id"], first["id"]);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            before + 1,
            "{}",
            app.db.name()
        );
        let id = first["id"].as_i64().unwrap();
        let (source, via, by): (String, Option<i64>, String) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT c.source, c.via_link_id, u.username FROM health_checks c \
                 JOIN users u ON u.id = c.recorded_by WHERE c.id = {id}"
            )))
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(
            (source.as_str(), via, by.as_str()),
            ("self", Some(link), "nanquan-grid1")
        );
        // The fever reaches the medical group as any reading does.
        let alerts = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM alerts WHERE resident_id = {} AND status = 'open'",
                people[0]
            ),
        )
        .await;
        assert_eq!(alerts, 1);
        // The same key with another temperature is not a retry.
        let (s, v, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/checks",
            Some(
                json!({"resident_id": people[0], "temperature": 36.4, "idempotency_key": "tap-1"}),
            ),
        )
        .await;
        assert_eq!(s, 422, "{v}");
        // Bad input is named and writes nothing.
        for (bad, field) in [
            (
                json!({"resident_id": people[1], "temperature": 52.0, "idempotency_key": "k"}),
                "temperature",
            ),
            (
                json!({"resident_id": people[1], "temperature": 36.5, "idempotency_key": ""}),
                "idempotency_key",
            ),
        ] {
            let (s, v, _) =
                as_household(&app, &token, Method::POST, "/api/v1/self/checks", Some(bad)).await;
            assert_eq!(s, 422, "{v}");
            assert_eq!(v["errors"][0]["field"], field, "{v}");
        }
        let (s, _, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/checks",
            Some(json!({"resident_id": people[1], "temperature": 36.5, "idempotency_key": "k", "by": 1})),
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            before + 1
        );

        // The other member has no phone: the grid worker records for them (代录).
        let (s, v) = app
            .send(
                &grid,
                Method::POST,
                "/api/v1/health-checks",
                json!({"resident_id": people[1], "temperature": 36.6, "source": "door",
                       "idempotency_key": "door-1"}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let (_, me, _) = as_household(&app, &token, Method::GET, "/api/v1/self", None).await;
        let row = |rid: i64| {
            me["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == rid)
                .cloned()
                .unwrap()
        };
        assert_eq!(row(people[0])["today"]["by_self"], true);
        assert_eq!(row(people[0])["today"]["temperature"], 38.2);
        let proxy = row(people[1])["today"].clone();
        assert_eq!(proxy["by_self"], false);
        let worker: String =
            sqlx::query_scalar("SELECT display_name FROM users WHERE username = 'nanquan-grid1'")
                .fetch_one(&app.db.db.pool)
                .await
                .unwrap();
        assert_eq!(proxy["recorded_by"], worker.as_str());
    }
}

#[tokio::test]
async fn help_and_supplies_requests_reach_the_staff() {
    for app in common::each_demo_app().await {
        let grid = app.login("nanquan-grid1").await;
        let h = households(&app).await[0];
        let token = issue(&app, &grid, h).await;
        let help = json!({"category": "medicine", "urgency": "urgent",
            "words": "降压药吃完了", "idempotency_key": "help-1"});
        let (s, v, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/help",
            Some(help.clone()),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (s, again, replayed) =
            as_household(&app, &token, Method::POST, "/api/v1/self/help", Some(help)).await;
        assert_eq!((s, replayed, again["id"].as_i64()), (201, true, Some(id)));
        // In the 24-hour service's queue, for this household, taken as any other.
        let leader = app.login("nanquan-leader").await;
        let (s, v) = app
            .get(&leader, &format!("/api/v1/help-requests/{id}"))
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["household_id"], h, "{v}");
        assert_eq!(v["status"], "new");
        // An emergency is a call to 120, not a form; bad fields are all named.
        let (s, v, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/help",
            Some(json!({"category": "emergency", "urgency": "critical",
                "contact_phone": "123", "idempotency_key": "help-2"})),
        )
        .await;
        assert_eq!(s, 422);
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["field"].as_str())
            .collect();
        assert_eq!(fields, ["category", "urgency", "contact_phone"], "{v}");
        assert_eq!(
            scalar(&app, &format!("SELECT COUNT(*) FROM help_requests WHERE household_id = {h} AND via_link_id IS NOT NULL")).await,
            1,
            "{}",
            app.db.name()
        );

        let item: i64 = scalar(
            &app,
            "SELECT MIN(id) FROM supply_items WHERE retired_at IS NULL",
        )
        .await;
        let (s, v, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/needs",
            Some(json!({"item_id": item, "quantity": 2, "idempotency_key": "need-1"})),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        let need = v["id"].as_i64().unwrap();
        let (paid, via, status): (i64, Option<i64>, String) = sqlx::query_as(sqlx::AssertSqlSafe(
            format!("SELECT paid, via_link_id, status FROM supply_needs WHERE id = {need}"),
        ))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(
            (paid, via.is_some(), status.as_str()),
            (1, true, "requested")
        );
        for bad in [
            json!({"item_id": item, "quantity": 0, "idempotency_key": "need-2"}),
            json!({"item_id": item, "quantity": 101, "idempotency_key": "need-3"}),
            json!({"item_id": 999_999, "quantity": 1, "idempotency_key": "need-4"}),
        ] {
            let (s, v, _) =
                as_household(&app, &token, Method::POST, "/api/v1/self/needs", Some(bad)).await;
            assert_eq!(s, 422, "{v}");
        }
        // The household sees both, sent by itself.
        let (_, me, _) = as_household(&app, &token, Method::GET, "/api/v1/self", None).await;
        assert_eq!(me["help"][0]["id"], id);
        assert_eq!(me["help"][0]["by_self"], true);
        assert_eq!(me["needs"][0]["id"], need);
        assert_eq!(me["needs"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_correction_request_lands_in_the_data_checks_until_answered() {
    for app in common::each_demo_app().await {
        let grid = app.login("nanquan-grid1").await;
        let h = households(&app).await[0];
        let person = members(&app, h).await[0];
        let token = issue(&app, &grid, h).await;
        let (s, v, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/corrections",
            Some(
                json!({"resident_id": person, "words": "电话号码换了，新号13912345678",
                "idempotency_key": "c-1"}),
            ),
        )
        .await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (s, v, _) = as_household(
            &app,
            &token,
            Method::POST,
            "/api/v1/self/corrections",
            Some(json!({"words": "  ", "idempotency_key": "c-2"})),
        )
        .await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["errors"][0]["field"], "words");

        let (s, v) = app
            .get(&grid, "/api/v1/checks?kind=correction_requested")
            .await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["total"], 1, "{} {v}", app.db.name());
        assert_eq!(v["items"][0]["household_id"], h);
        assert_eq!(v["items"][0]["resident_id"], person);
        assert_eq!(
            v["items"][0]["link"],
            format!("/households/{h}#corrections")
        );
        // Another community's worker does not see it, nor can answer it.
        let jinhua = app.login("jinhua-grid1").await;
        let (_, v) = app
            .get(&jinhua, "/api/v1/checks?kind=correction_requested")
            .await;
        assert_eq!(v["total"], 0);
        let path = format!("/api/v1/corrections/{id}/answer");
        let (s, _) = app
            .send(&jinhua, Method::POST, &path, json!({"status": "corrected"}))
            .await;
        assert_eq!(s, 404);
        // Declined needs a reason; an unknown status is named.
        let (s, v) = app
            .send(&grid, Method::POST, &path, json!({"status": "declined"}))
            .await;
        assert_eq!((s, v["errors"][0]["field"].clone()), (422, json!("answer")));
        let (s, v) = app
            .send(&grid, Method::POST, &path, json!({"status": "done"}))
            .await;
        assert_eq!((s, v["errors"][0]["field"].clone()), (422, json!("status")));
        let (s, _) = app
            .send(
                &grid,
                Method::POST,
                &path,
                json!({"status": "corrected", "answer": "已改为新号码"}),
            )
            .await;
        assert_eq!(s, 204);
        let (s, _) = app
            .send(
                &grid,
                Method::POST,
                &path,
                json!({"status": "declined", "answer": "x"}),
            )
            .await;
        assert_eq!(s, 409);
        let (_, v) = app
            .get(&grid, "/api/v1/checks?kind=correction_requested")
            .await;
        assert_eq!(v["total"], 0);
        let (_, me, _) = as_household(&app, &token, Method::GET, "/api/v1/self", None).await;
        assert_eq!(me["corrections"][0]["status"], "corrected");
        assert_eq!(me["corrections"][0]["answer"], "已改为新号码");
    }
}

#[tokio::test]
async fn links_issued_at_once_leave_one_working() {
    for app in common::each_demo_app().await {
        let grid = app.login("nanquan-grid1").await;
        let h = households(&app).await[0];
        let path = format!("/api/v1/households/{h}/resident-link");
        let sends = (0..8).map(|_| app.send(&grid, Method::POST, &path, json!({})));
        let answers = futures::future::join_all(sends).await;
        let issued: Vec<String> = answers
            .iter()
            .filter(|(s, _)| *s == 201)
            .map(|(_, v)| v["token"].as_str().unwrap().to_string())
            .collect();
        assert!(
            answers.iter().all(|(s, _)| *s == 201 || *s == 409),
            "{} {:?}",
            app.db.name(),
            answers.iter().map(|a| a.0).collect::<Vec<_>>()
        );
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM resident_links WHERE household_id = {h} AND status = 'active'")
            )
            .await,
            1
        );
        // Exactly one of the tokens handed out opens the household.
        let mut working = Vec::new();
        for token in &issued {
            let (s, _, _) = as_household(&app, token, Method::GET, "/api/v1/self", None).await;
            if s == 200 {
                working.push(token.clone());
            }
        }
        assert_eq!(working.len(), 1, "{}", app.db.name());
        // The same correction sent twice at once is kept once.
        let token = &working[0];
        let person = members(&app, h).await[0];
        let body = json!({"resident_id": person, "words": "电话错了", "idempotency_key": "twice"});
        let (a, b) = tokio::join!(
            as_household(
                &app,
                token,
                Method::POST,
                "/api/v1/self/corrections",
                Some(body.clone())
            ),
            as_household(
                &app,
                token,
                Method::POST,
                "/api/v1/self/corrections",
                Some(body)
            )
        );
        assert_eq!((a.0, b.0), (201, 201));
        assert_eq!(a.1["id"], b.1["id"]);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM resident_corrections").await,
            1
        );
    }
}
