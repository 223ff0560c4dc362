//! Health checks, alerts, quarantine episodes, follow-ups and observation sites through the API,
//! on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};

async fn residents_of(app: &common::TestApp, token: &str) -> Vec<Value> {
    app.get(token, "/api/v1/residents?per_page=100").await.1["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn count(app: &common::TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

fn day(offset: i64) -> String {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    (today + chrono::Duration::days(offset)).to_string()
}

#[tokio::test]
async fn a_fever_opens_one_alert_retries_record_nothing_and_bad_input_writes_nothing() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let medical = app.login("nanquan-medical").await;
        let leader = app.login("nanquan-leader").await;
        let mine = residents_of(&app, &grid1).await;
        let rid = mine[0]["id"].as_i64().unwrap();
        let body = json!({"resident_id": rid, "temperature": 38.4, "symptoms": ["cough"], "source": "door", "idempotency_key": "k-1"});
        let (s1, a) = app
            .send(&grid1, Method::POST, "/api/v1/health-checks", body.clone())
            .await;
        let (s2, b) = app
            .send(&grid1, Method::POST, "/api/v1/health-checks", body.clone())
            .await;
        assert_eq!((s1, s2), (201, 201), "{a}");
        assert_eq!(a["id"], b["id"]);
        assert_eq!(
            (a["fever"].as_bool(), a["alert_id"].is_i64()),
            (Some(true), true)
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM health_checks").await,
            1,
            "{}",
            app.db.name()
        );
        // The same key with another body is refused.
        let (s, e) = app
            .send(&grid1, Method::POST, "/api/v1/health-checks", json!({"resident_id": rid, "temperature": 36.5, "symptoms": [], "source": "door", "idempotency_key": "k-1"}))
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("idempotency_key")));
        // A second fever while the alert is open joins it.
        app.send(&grid1, Method::POST, "/api/v1/health-checks", json!({"resident_id": rid, "temperature": 38.0, "source": "door", "idempotency_key": "k-2"})).await;
        let (_, open) = app.get(&medical, "/api/v1/alerts?status=open").await;
        assert_eq!(open["total"], 1, "{open}");
        // The medical group reads the registry: the person named in full, as on the residents list,
        // so that two people of one room are not mistaken for each other.
        let name: String = sqlx::query_scalar("SELECT name FROM residents WHERE id = $1")
            .bind(rid)
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(open["items"][0]["resident_name"], name.as_str());
        // Bad input: named, and nothing written.
        let before = count(&app, "SELECT COUNT(*) FROM health_checks").await;
        for (bad, field) in [
            (
                json!({"resident_id": rid, "temperature": 50, "source": "door", "idempotency_key": "x1"}),
                "temperature",
            ),
            (
                json!({"resident_id": rid, "temperature": "abc", "source": "door", "idempotency_key": "x2"}),
                "temperature",
            ),
            (
                json!({"resident_id": rid, "temperature": 36.6, "symptoms": ["sneezing gold"], "source": "door", "idempotency_key": "x3"}),
                "symptoms",
            ),
            (
                json!({"resident_id": rid, "temperature": 36.6, "source": "drone", "idempotency_key": "x4"}),
                "source",
            ),
            (
                json!({"resident_id": rid, "temperature": 36.6, "source": "door", "idempotency_key": ""}),
                "idempotency_key",
            ),
        ] {
            let (s, e) = app
                .send(&grid1, Method::POST, "/api/v1/health-checks", bad)
                .await;
            assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{e}");
        }
        // Another grid's resident is not found.
        let other = residents_of(&app, &leader)
            .await
            .into_iter()
            .find(|r| r["grid_code"] != mine[0]["grid_code"])
            .unwrap();
        let (s, _) = app
            .send(&grid1, Method::POST, "/api/v1/health-checks", json!({"resident_id": other["id"], "temperature": 36.5, "source": "door", "idempotency_key": "x5"}))
            .await;
        assert_eq!(s, 404);
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM health_checks").await,
            before
        );
        // The alert is closed with a note, once; a stale version is a conflict.
        let alert = &open["items"][0];
        let path = format!("/api/v1/alerts/{}/close", alert["id"]);
        let (s, _) = app
            .send(
                &grid1,
                Method::POST,
                &path,
                json!({"note": "x", "version": alert["version"]}),
            )
            .await;
        assert_eq!(s, 403, "grid workers record, the medical group closes");
        let (s, _) = app
            .send(
                &medical,
                Method::POST,
                &path,
                json!({"note": "", "version": alert["version"]}),
            )
            .await;
        assert_eq!(s, 422);
        let (s, _) = app
            .send(
                &medical,
                Method::POST,
                &path,
                json!({"note": "复测36.8，嘱居家观察", "version": alert["version"]}),
            )
            .await;
        assert_eq!(s, 204);
        let (s, _) = app
            .send(
                &medical,
                Method::POST,
                &path,
                json!({"note": "again", "version": alert["version"]}),
            )
            .await;
        assert_eq!(s, 409);
        assert_eq!(
            app.get(&medical, "/api/v1/alerts?status=open").await.1["total"],
            0
        );
        // Not checked today: the checked resident is off the list.
        let (_, list) = app
            .get(&grid1, "/api/v1/health-checks/not-checked?per_page=500")
            .await;
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["resident_id"] != rid)
        );
        assert_eq!(
            list["total"].as_i64().unwrap() + 1,
            mine.len() as i64,
            "{}",
            app.db.name()
        );
        // A batch: valid items recorded, a bad one refused with its index.
        let items: Vec<Value> = mine[1..4]
            .iter()
            .enumerate()
            .map(|(i, r)| json!({"resident_id": r["id"], "temperature": 36.5, "source": "door", "idempotency_key": format!("b-{i}")}))
            .chain([json!({"resident_id": other["id"], "temperature": 36.5, "source": "door", "idempotency_key": "b-x"})])
            .collect();
        let (s, r) = app
            .send(
                &grid1,
                Method::POST,
                "/api/v1/health-checks/batch",
                json!({"items": items}),
            )
            .await;
        assert_eq!(
            (s, r["recorded"].as_i64(), r["refused"].as_i64()),
            (200, Some(3), Some(1)),
            "{r}"
        );
        assert_eq!(r["items"][3]["error"]["error"], "not_found");
    }
}

#[tokio::test]
async fn quarantine_states_move_only_as_allowed_and_follow_ups_come_due() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let grid1 = app.login("nanquan-grid1").await;
        let people = residents_of(&app, &grid1).await;
        let start = |rid: &Value, kind: &str, start: String| json!({"resident_id": rid, "kind": kind, "reason": "自武汉返回", "start_date": start});
        // Refusals first: nothing written.
        for (body, field) in [
            (
                json!({"resident_id": people[0]["id"], "kind": "bogus", "reason": "x", "start_date": day(0)}),
                "kind",
            ),
            (
                json!({"resident_id": people[0]["id"], "kind": "home", "reason": "x", "start_date": day(0), "planned_end_date": day(-3)}),
                "planned_end_date",
            ),
            (
                json!({"resident_id": people[0]["id"], "kind": "home", "reason": "", "start_date": day(0)}),
                "reason",
            ),
            (
                json!({"resident_id": people[0]["id"], "kind": "home", "reason": "x", "start_date": "2020-02-30"}),
                "start_date",
            ),
        ] {
            let (s, e) = app
                .send(&leader, Method::POST, "/api/v1/quarantines", body)
                .await;
            assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{e}");
        }
        let jinhua = app.login("jinhua-leader").await;
        let (s, _) = app
            .send(
                &jinhua,
                Method::POST,
                "/api/v1/quarantines",
                start(&people[0]["id"], "home", day(0)),
            )
            .await;
        assert_eq!(s, 404);
        let (s, _) = app
            .send(
                &grid1,
                Method::POST,
                "/api/v1/quarantines",
                start(&people[0]["id"], "home", day(0)),
            )
            .await;
        assert_eq!(s, 403);
        assert_eq!(count(&app, "SELECT COUNT(*) FROM quarantines").await, 0);
        // Started today: active, with a default end 14 days on; a second one for the same person is refused.
        let (s, a) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/quarantines",
                start(&people[0]["id"], "home", day(0)),
            )
            .await;
        assert_eq!(
            (s, a["status"].as_str(), a["planned_end_date"].as_str()),
            (201, Some("active"), Some(day(14).as_str())),
            "{a}"
        );
        let (s, e) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/quarantines",
                start(&people[0]["id"], "home", day(0)),
            )
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("resident_id")));
        // The household is isolated: one call, for the gate.
        let hh = a["household_id"].as_i64().unwrap();
        let (_, iso) = app
            .get(&leader, &format!("/api/v1/households/{hh}/isolation"))
            .await;
        assert_eq!(iso["home_isolation"], true);
        // Starting later: planned. Every transition, allowed or refused.
        let (_, p) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/quarantines",
                start(&people[1]["id"], "home", day(2)),
            )
            .await;
        assert_eq!(p["status"], "planned");
        let (_, old) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/quarantines",
                start(&people[2]["id"], "home", day(-2)),
            )
            .await;
        let cases = [
            ("planned", "planned", false),
            ("planned", "active", true),
            ("planned", "released", true),
            ("planned", "transferred", false),
            ("active", "planned", false),
            ("active", "active", false),
            ("active", "released", true),
            ("active", "transferred", true),
            ("released", "active", false),
            ("released", "planned", false),
            ("released", "transferred", false),
            ("transferred", "active", false),
            ("transferred", "released", false),
        ];
        for (n, (from, to, allowed)) in (3..).zip(cases) {
            // A fresh episode brought to `from` along allowed moves.
            let rid = &people[n]["id"];
            let begin = if from == "planned" { day(3) } else { day(0) };
            let (_, q) = app
                .send(
                    &leader,
                    Method::POST,
                    "/api/v1/quarantines",
                    start(rid, "home", begin),
                )
                .await;
            let mut q = q;
            if from == "released" || from == "transferred" {
                let (_, moved) = app
                    .send(
                        &leader,
                        Method::POST,
                        &format!("/api/v1/quarantines/{}/transition", q["id"]),
                        json!({"to": from, "version": q["version"]}),
                    )
                    .await;
                q = moved;
            }
            assert_eq!(q["status"], from, "{q}");
            let (s, r) = app
                .send(
                    &leader,
                    Method::POST,
                    &format!("/api/v1/quarantines/{}/transition", q["id"]),
                    json!({"to": to, "version": q["version"], "note": "t"}),
                )
                .await;
            if allowed {
                assert_eq!(
                    (s, r["status"].as_str()),
                    (200, Some(to)),
                    "{from} → {to}: {r}"
                );
            } else {
                assert_eq!(
                    (s, r["field"].as_str()),
                    (422, Some("status")),
                    "{from} → {to}: {r}"
                );
            }
        }
        // A stale version is a conflict.
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                &format!("/api/v1/quarantines/{}/transition", p["id"]),
                json!({"to": "active", "version": 99}),
            )
            .await;
        assert_eq!(s, 409);
        // Follow-ups: both active episodes are due; the one started two days ago is overdue.
        let (_, due) = app.get(&grid1, "/api/v1/follow-ups/due").await;
        let by_id = |id: &Value| {
            due["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["id"] == *id)
                .cloned()
        };
        assert_eq!(by_id(&a["id"]).unwrap()["overdue"], false, "{due}");
        assert_eq!(by_id(&old["id"]).unwrap()["overdue"], true);
        // Pages of one give each due episode once, every page with the same total; past the end
        // the total is still told.
        let total = due["total"].as_i64().unwrap();
        assert!(total >= 2, "{due}");
        let mut seen = std::collections::BTreeSet::new();
        for page in 1..=total {
            let (_, p) = app
                .get(
                    &grid1,
                    &format!("/api/v1/follow-ups/due?per_page=1&page={page}"),
                )
                .await;
            assert_eq!(p["total"], total, "{p}");
            assert!(seen.insert(p["items"][0]["id"].as_i64().unwrap()), "{p}");
        }
        let (_, past) = app
            .get(
                &grid1,
                &format!("/api/v1/follow-ups/due?per_page=1&page={}", total + 3),
            )
            .await;
        assert_eq!(
            (
                past["total"].as_i64(),
                past["items"].as_array().map(Vec::len)
            ),
            (Some(total), Some(0)),
            "{past}"
        );
        let fu = format!("/api/v1/quarantines/{}/follow-ups", a["id"]);
        let (s, _) = app
            .send(
                &grid1,
                Method::POST,
                &fu,
                json!({"temperature": 36.6, "needs": "买药", "breach": true}),
            )
            .await;
        assert_eq!(s, 201);
        let (s, _) = app
            .send(&grid1, Method::POST, &fu, json!({"temperature": 36.6}))
            .await;
        assert_eq!(s, 409, "one follow-up a day");
        // Audited once, with the day and the breach, not the readings.
        let details: Vec<String> = sqlx::query_scalar(
            "SELECT detail FROM audit_log WHERE action = 'quarantine.follow_up' AND object_id = $1",
        )
        .bind(a["id"].as_i64().unwrap().to_string())
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(
            details,
            vec![format!("{} breach", day(0))],
            "{}",
            app.db.name()
        );
        // Two workers record the other episode's follow-up at the same moment: one is kept, the
        // other is told it is already done (409), never a server error.
        let fu = format!("/api/v1/quarantines/{}/follow-ups", old["id"]);
        let body = json!({"temperature": 36.5});
        let (x, y) = tokio::join!(
            app.send(&grid1, Method::POST, &fu, body.clone()),
            app.send(&leader, Method::POST, &fu, body.clone()),
        );
        let mut answers = [x.0, y.0];
        answers.sort_unstable();
        assert_eq!(answers, [201, 409], "{} {} on {}", x.1, y.1, app.db.name());
        let (_, due) = app.get(&grid1, "/api/v1/follow-ups/due").await;
        assert!(
            due["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["id"] != a["id"])
        );
        let (s, _) = app
            .send(
                &grid1,
                Method::POST,
                &format!("/api/v1/quarantines/{}/follow-ups", p["id"]),
                json!({"temperature": 36.6}),
            )
            .await;
        assert_eq!(s, 422, "a planned episode has no follow-ups yet");
        let (_, active) = app.get(&leader, "/api/v1/quarantines?status=active").await;
        assert!(active["total"].as_i64().unwrap() >= 2);
        let (s, e) = app.get(&leader, "/api/v1/quarantines?status=nope").await;
        assert_eq!((s, e["field"].as_str()), (422, Some("status")));
    }
}

#[tokio::test]
async fn a_site_never_takes_more_people_than_beds() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let medical = app.login("nanquan-medical").await;
        let (_, sites) = app.get(&leader, "/api/v1/observation-sites").await;
        let small = sites["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["beds"] == 2)
            .unwrap()
            .clone();
        let people = residents_of(&app, &leader).await;
        // Three people notified and picked up for a site of two beds.
        let mut transfers = Vec::new();
        for p in &people[..3] {
            let (_, q) = app
                .send(&leader, Method::POST, "/api/v1/quarantines", json!({"resident_id": p["id"], "kind": "home", "reason": "密接", "start_date": day(0)}))
                .await;
            let (s, t) = app
                .send(
                    &leader,
                    Method::POST,
                    "/api/v1/transfers",
                    json!({"quarantine_id": q["id"], "site_id": small["id"], "note": "情绪稳定"}),
                )
                .await;
            assert_eq!(s, 201, "{t}");
            let path = format!("/api/v1/transfers/{}/advance", t["id"]);
            let (s, e) = app
                .send(
                    &medical,
                    Method::POST,
                    &path,
                    json!({"to": "admitted", "version": t["version"]}),
                )
                .await;
            assert_eq!(
                (s, e["field"].as_str()),
                (422, Some("status")),
                "no skipping the pick-up"
            );
            let (s, e) = app
                .send(
                    &medical,
                    Method::POST,
                    &path,
                    json!({"to": "picked_up", "version": t["version"]}),
                )
                .await;
            assert_eq!((s, e["field"].as_str()), (422, Some("plate")));
            let (s, e) = app
                .send(
                    &medical,
                    Method::POST,
                    &path,
                    json!({"to": "picked_up", "version": t["version"], "plate": "XYZ"}),
                )
                .await;
            assert_eq!((s, e["field"].as_str()), (422, Some("plate")));
            let (s, t) = app
                .send(
                    &medical,
                    Method::POST,
                    &path,
                    json!({"to": "picked_up", "version": t["version"], "plate": "新J·12345"}),
                )
                .await;
            assert_eq!(s, 200, "{t}");
            transfers.push(t);
        }
        let admit = |t: &Value| {
            let path = format!("/api/v1/transfers/{}/advance", t["id"]);
            let body = json!({"to": "admitted", "version": t["version"]});
            let app = &app;
            let token = medical.clone();
            async move { app.send(&token, Method::POST, &path, body).await }
        };
        let (s, _) = admit(&transfers[0]).await;
        assert_eq!(s, 200);
        // The last bed, asked for twice at once: one admission, one refusal.
        let (a, b) = tokio::join!(admit(&transfers[1]), admit(&transfers[2]));
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(statuses, [200, 422], "{}: {a:?} {b:?}", app.db.name());
        let refused = if a.0 == 422 { a.1 } else { b.1 };
        assert_eq!(refused["field"], "site_id");
        let (_, sites) = app.get(&leader, "/api/v1/observation-sites").await;
        let small = sites["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == small["id"])
            .unwrap()
            .clone();
        assert_eq!(
            (small["occupied"].as_i64(), small["free"].as_i64()),
            (Some(2), Some(0))
        );
        // Release frees the bed and ends the episode.
        let (_, t0) = app
            .get(
                &leader,
                &format!("/api/v1/transfers/{}", transfers[0]["id"]),
            )
            .await;
        let (s, t0) = app
            .send(
                &medical,
                Method::POST,
                &format!("/api/v1/transfers/{}/advance", t0["id"]),
                json!({"to": "released", "version": t0["version"], "note": "解除观察"}),
            )
            .await;
        assert_eq!(s, 200, "{t0}");
        let (_, q) = app
            .get(
                &leader,
                &format!("/api/v1/quarantines/{}", t0["quarantine_id"]),
            )
            .await;
        assert_eq!(
            (q["status"].as_str(), q["kind"].as_str()),
            (Some("released"), Some("centralized"))
        );
        let (_, sites) = app.get(&leader, "/api/v1/observation-sites").await;
        assert!(
            sites["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == small["id"] && s["occupied"] == 1)
        );
    }
}

#[tokio::test]
async fn a_survey_answer_puts_a_resident_at_risk_and_the_leader_starts_home_isolation() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let leader = app.login("nanquan-leader").await;
        let (_, list) = app.get(&grid1, "/api/v1/surveys").await;
        let survey = &list["items"][0];
        assert_eq!(
            survey["progress"].as_array().unwrap().len(),
            1,
            "a grid worker sees their grid: {list}"
        );
        let sid = survey["id"].as_i64().unwrap();
        let (_, hh) = app
            .get(
                &grid1,
                &format!("/api/v1/surveys/{sid}/households?status=not_visited"),
            )
            .await;
        let households = hh["items"].as_array().unwrap();
        // A household with at least one member.
        let mut target = None;
        for h in households {
            let (_, v) = app
                .get(
                    &grid1,
                    &format!("/api/v1/surveys/{sid}/households/{}", h["household_id"]),
                )
                .await;
            if !v["members"].as_array().unwrap().is_empty() {
                target = Some(v);
                break;
            }
        }
        let visit = target.unwrap();
        let hid = visit["household_id"].as_i64().unwrap();
        let member = visit["members"][0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/surveys/{sid}/households/{hid}");
        // Nobody home twice, then the visit.
        for _ in 0..2 {
            let (s, v) = app
                .send(&grid1, Method::PUT, &path, json!({"status": "nobody_home"}))
                .await;
            assert_eq!(s, 200, "{v}");
        }
        let (_, v) = app.get(&grid1, &path).await;
        assert_eq!(
            (v["status"].as_str(), v["attempts"].as_i64()),
            (Some("nobody_home"), Some(2))
        );
        let visits_audited = || async {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'survey.visit' AND object_id = $1",
            )
            .bind(hid.to_string())
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
            n
        };
        assert_eq!(visits_audited().await, 2, "each visit is audited");
        // Refused answers: named, nothing recorded.
        for (answers, _) in [
            (
                json!({"travel_members": [999999999], "people_now": 2}),
                "not_a_member",
            ),
            (json!({"travel_members": [member]}), "required"),
            (json!({"people_now": 2, "pets": 1}), "unknown_question"),
        ] {
            let (s, e) = app
                .send(
                    &grid1,
                    Method::PUT,
                    &path,
                    json!({"status": "done", "answers": answers}),
                )
                .await;
            assert_eq!((s, e["field"].as_str()), (422, Some("answers")), "{e}");
        }
        let (s, e) = app
            .send(&grid1, Method::PUT, &path, json!({"status": "maybe"}))
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("status")));
        let answers = json!({"travel_members": [member], "travel_place": "湖北武汉", "back_date": day(-3), "people_now": 2, "needs": ["groceries"]});
        let (s, v) = app
            .send(
                &grid1,
                Method::PUT,
                &path,
                json!({"status": "done", "answers": answers}),
            )
            .await;
        assert_eq!((s, v["status"].as_str()), (200, Some("done")), "{v}");
        assert_eq!(
            visits_audited().await,
            3,
            "refused answers write nothing; the visit is audited"
        );
        // Another grid's household is not found.
        let grid2 = app.login("nanquan-grid2").await;
        let (s, _) = app
            .send(&grid2, Method::PUT, &path, json!({"status": "refused"}))
            .await;
        assert_eq!(s, 404);
        // The leader's at-risk list, then home isolation.
        let (_, flags) = app.get(&leader, "/api/v1/risk-flags?status=pending").await;
        assert_eq!(flags["total"], 1, "{flags}");
        let flag = &flags["items"][0];
        assert_eq!(
            (flag["resident_id"].as_i64(), flag["measure"].as_str()),
            (Some(member), Some("home"))
        );
        // Two people confirm it at once: one starts the isolation, the other is told it is
        // decided, and the resident is isolated once.
        let path = format!("/api/v1/risk-flags/{}/confirm", flag["id"]);
        let body = json!({"version": flag["version"]});
        let (first, second) = tokio::join!(
            app.send(&leader, Method::POST, &path, body.clone()),
            app.send(&leader, Method::POST, &path, body.clone()),
        );
        let mut answers = [first.0, second.0];
        answers.sort_unstable();
        assert!(
            answers[0] == 200 && (answers[1] == 409 || answers[1] == 422),
            "{answers:?} on {}",
            app.db.name()
        );
        let c = if first.0 == 200 { first.1 } else { second.1 };
        let isolations: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM quarantines WHERE resident_id = $1 AND status = 'active'",
        )
        .bind(member)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(isolations, 1, "{}", app.db.name());
        let (_, q) = app
            .get(
                &leader,
                &format!("/api/v1/quarantines/{}", c["quarantine_id"]),
            )
            .await;
        assert_eq!(
            (q["status"].as_str(), q["kind"].as_str()),
            (Some("active"), Some("home"))
        );
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                &format!("/api/v1/risk-flags/{}/dismiss", flag["id"]),
                json!({"version": flag["version"], "reason": "x"}),
            )
            .await;
        assert_eq!(s, 409, "decided already (stale version)");
        let (_, due) = app.get(&grid1, "/api/v1/follow-ups/due").await;
        assert!(
            due["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == c["quarantine_id"])
        );
        // A trip outside the areas' dates, or long ago, flags nobody.
        let (_, hh) = app
            .get(
                &grid1,
                &format!("/api/v1/surveys/{sid}/households?status=not_visited&per_page=50"),
            )
            .await;
        for (i, h) in hh["items"].as_array().unwrap().iter().take(2).enumerate() {
            let p = format!("/api/v1/surveys/{sid}/households/{}", h["household_id"]);
            let (_, v) = app.get(&grid1, &p).await;
            let Some(m) = v["members"][0]["id"].as_i64() else {
                continue;
            };
            let back = if i == 0 { day(-30) } else { day(-1) };
            let place = if i == 0 { "湖北" } else { "北京" };
            let body = json!({"status": "done", "answers": {"travel_members": [m], "travel_place": place, "back_date": back, "people_now": 1}});
            assert_eq!(app.send(&grid1, Method::PUT, &p, body).await.0, 200);
        }
        let (_, flags) = app.get(&leader, "/api/v1/risk-flags").await;
        assert_eq!(flags["total"], 1, "{}", app.db.name());
        // Progress: one done household at least, attempts counted apart.
        let (_, s) = app.get(&leader, &format!("/api/v1/surveys/{sid}")).await;
        assert!(s["total"]["done"].as_i64().unwrap() >= 1);
        assert_eq!(
            s["total"]["households"].as_i64().unwrap(),
            s["total"]["done"].as_i64().unwrap()
                + s["total"]["nobody_home"].as_i64().unwrap()
                + s["total"]["refused"].as_i64().unwrap()
                + s["total"]["not_visited"].as_i64().unwrap()
        );
    }
}

#[tokio::test]
async fn a_batch_is_recorded_once_whatever_the_retries_and_fevers_open_one_alert_each() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let medical = app.login("nanquan-medical").await;
        let people = residents_of(&app, &grid1).await;
        let items: Vec<Value> = people[..10]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let t = if i < 2 { 38.5 } else { 36.4 };
                json!({"resident_id": r["id"], "temperature": t, "source": "door", "idempotency_key": format!("day1-{i}")})
            })
            .collect();
        let (s, first) = app
            .send(
                &grid1,
                Method::POST,
                "/api/v1/health-checks/batch",
                json!({"items": items.clone()}),
            )
            .await;
        assert_eq!((s, first["recorded"].as_i64()), (200, Some(10)), "{first}");
        let (_, again) = app
            .send(
                &grid1,
                Method::POST,
                "/api/v1/health-checks/batch",
                json!({"items": items.clone()}),
            )
            .await;
        for i in 0..10 {
            assert_eq!(
                first["items"][i]["check"]["id"],
                again["items"][i]["check"]["id"],
                "{}: item {i}",
                app.db.name()
            );
        }
        assert_eq!(count(&app, "SELECT COUNT(*) FROM health_checks").await, 10);
        assert_eq!(
            app.get(&medical, "/api/v1/alerts?status=open").await.1["total"],
            2
        );
        assert!(first["items"][0]["check"]["alert_id"].is_i64());
        // A key reused with another body, and twice within one batch: refused, the rest recorded.
        let mut changed = items[3].clone();
        changed["temperature"] = json!(36.9);
        let twice = json!({"resident_id": people[11]["id"], "temperature": 36.5, "source": "door", "idempotency_key": "dup"});
        let (_, r) = app
            .send(
                &grid1,
                Method::POST,
                "/api/v1/health-checks/batch",
                json!({"items": [changed, twice.clone(), twice]}),
            )
            .await;
        assert_eq!(r["items"][0]["error"]["field"], "idempotency_key", "{r}");
        assert!(r["items"][1]["check"]["id"].is_i64());
        assert_eq!(r["items"][2]["error"]["field"], "idempotency_key");
        let (s, e) = app
            .send(
                &grid1,
                Method::POST,
                "/api/v1/health-checks/batch",
                json!({"items": []}),
            )
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("items")));
    }
}

#[tokio::test]
async fn the_kept_day_figures_equal_a_direct_count_of_the_checks() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let people = residents_of(&app, &leader).await;
        // Singles and batches, some residents twice, some with fever, across grids.
        for (i, r) in people.iter().take(6).enumerate() {
            let t = if i % 3 == 0 { 38.1 } else { 36.5 };
            app.send(&leader, Method::POST, "/api/v1/health-checks", json!({"resident_id": r["id"], "temperature": t, "source": "door", "idempotency_key": format!("s-{i}")})).await;
        }
        let items: Vec<Value> = people
            .iter()
            .skip(3)
            .take(20)
            .chain(people.iter().skip(3).take(2))
            .enumerate()
            .map(|(i, r)| json!({"resident_id": r["id"], "temperature": if i % 5 == 0 { 37.5 } else { 36.3 }, "source": "gate", "idempotency_key": format!("b-{i}")}))
            .collect();
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/health-checks/batch",
                json!({"items": items}),
            )
            .await;
        assert_eq!(s, 200);
        let kept: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT grid_id, day, health_checks, residents_checked, fevers FROM day_stats ORDER BY grid_id, day",
        )
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        let direct: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT grid_id, day, COUNT(*), COUNT(DISTINCT resident_id), CAST(SUM(fever) AS BIGINT) FROM health_checks \
             GROUP BY grid_id, day ORDER BY grid_id, day",
        )
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(kept, direct, "{}", app.db.name());
        assert!(direct.len() >= 2);
        // And "not checked today" pages through every grid without gaps or repeats.
        let (_, first) = app
            .get(&leader, "/api/v1/health-checks/not-checked?per_page=7")
            .await;
        let total = first["total"].as_i64().unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for page in 1..=(total + 6) / 7 {
            let (_, p) = app
                .get(
                    &leader,
                    &format!("/api/v1/health-checks/not-checked?per_page=7&page={page}"),
                )
                .await;
            for r in p["items"].as_array().unwrap() {
                assert!(seen.insert(r["resident_id"].as_i64().unwrap()), "repeated");
            }
        }
        assert_eq!(seen.len() as i64, total, "{}", app.db.name());
        // Which equals a direct count of the leader's residents with no check today.
        let direct: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM residents r JOIN org_units g ON g.id = r.grid_id \
             JOIN org_units c ON c.id = g.parent_id WHERE c.code = '650203002005' AND r.deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM health_checks h WHERE h.resident_id = r.id AND h.day = $1)",
        )
        .bind(first["day"].as_str().unwrap())
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(total, direct, "{}", app.db.name());
    }
}

/// The same batch sent twice at the same moment (a phone retrying while the first is still in
/// flight): each check is kept once and both answers name the same checks.
#[tokio::test]
async fn a_batch_and_its_retry_at_the_same_moment_keep_each_check_once() {
    for app in common::each_demo_app().await {
        let grid1 = app.login("nanquan-grid1").await;
        let people = residents_of(&app, &grid1).await;
        let items: Vec<Value> = people
            .iter()
            .take(40)
            .enumerate()
            .map(|(i, r)| json!({"resident_id": r["id"], "temperature": 36.5, "source": "door", "idempotency_key": format!("race-{i}")}))
            .collect();
        let n = items.len();
        assert!(n >= 20, "a batch worth racing");
        let body = json!({ "items": items });
        for round in 0..5 {
            let body = json!({ "items": body["items"].as_array().unwrap().iter().map(|i| {
                let mut i = i.clone();
                i["idempotency_key"] = json!(format!("{}-{round}", i["idempotency_key"].as_str().unwrap()));
                i
            }).collect::<Vec<_>>() });
            let ((s1, a), (s2, b)) = tokio::join!(
                app.send(
                    &grid1,
                    Method::POST,
                    "/api/v1/health-checks/batch",
                    body.clone()
                ),
                app.send(
                    &grid1,
                    Method::POST,
                    "/api/v1/health-checks/batch",
                    body.clone()
                ),
            );
            assert_eq!((s1, s2), (200, 200), "{}: {a} {b}", app.db.name());
            for i in 0..n {
                assert!(a["items"][i]["check"]["id"].is_i64(), "{a}");
                assert_eq!(a["items"][i]["check"]["id"], b["items"][i]["check"]["id"]);
            }
            assert_eq!(
                (a["recorded"].as_u64(), b["recorded"].as_u64()),
                (Some(n as u64), Some(n as u64))
            );
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM health_checks").await,
            5 * n as i64,
            "{}: each check kept once",
            app.db.name()
        );
    }
}

#[tokio::test]
async fn the_campaigns_come_a_page_at_a_time_each_as_it_is_shown_alone() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        for name in ["复查一", "复查二"] {
            let (s, r) = app
                .send(
                    &leader,
                    Method::POST,
                    "/api/v1/surveys",
                    json!({"name": name, "grids": ["650203002005001", "650203002005002"]}),
                )
                .await;
            assert_eq!(s, 201, "{r}");
        }
        let (_, all) = app.get(&leader, "/api/v1/surveys").await;
        let total = all["total"].as_i64().unwrap();
        assert!(total >= 3, "{all}");
        assert_eq!(all["items"].as_array().unwrap().len() as i64, total);
        let mut ids = Vec::new();
        for page in 1..=total {
            let (s, p) = app
                .get(&leader, &format!("/api/v1/surveys?per_page=1&page={page}"))
                .await;
            assert_eq!((s, p["total"].as_i64()), (200, Some(total)), "{p}");
            let item = &p["items"][0];
            let (_, alone) = app
                .get(&leader, &format!("/api/v1/surveys/{}", item["id"]))
                .await;
            assert_eq!(item, &alone, "page {page}");
            ids.push(item["id"].as_i64().unwrap());
        }
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
        let (s, past) = app
            .get(
                &leader,
                &format!("/api/v1/surveys?per_page=1&page={}", total + 1),
            )
            .await;
        assert_eq!((s, past["total"].as_i64()), (200, Some(total)));
        assert!(past["items"].as_array().unwrap().is_empty());
        let (s, e) = app.get(&leader, "/api/v1/surveys?per_page=0").await;
        assert_eq!((s, e["field"].as_str()), (422, Some("per_page")));
    }
}
