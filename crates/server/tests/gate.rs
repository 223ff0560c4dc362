//! Gate control through the API, on SQLite and PostgreSQL: passes, the built-in refusals, the exit
//! quota (also under two scans at once), retries, and the log.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};

fn day(offset: i64) -> String {
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    (today + chrono::Duration::days(offset)).to_string()
}

async fn count(app: &common::TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

struct Gate<'a> {
    app: &'a common::TestApp,
    guard: String,
    gate: i64,
}

impl Gate<'_> {
    async fn scan(&self, code: &str, direction: &str, temperature: f64, key: &str) -> (u16, Value) {
        let body = json!({"gate_id": self.gate, "code": code, "direction": direction, "temperature": temperature, "idempotency_key": key});
        self.app
            .send(&self.guard, Method::POST, "/api/v1/gate/scans", body)
            .await
    }
}

/// A resident's fever at the gate is a fever reading of the day like one taken at the door: the
/// report's fevers and its fever refusals then tell the same story, and the alert shows the
/// temperature the guard measured.
#[tokio::test]
async fn a_fever_at_the_gate_counts_as_a_reading_and_the_alert_shows_its_temperature() {
    const NANQUAN: &str = "650203002005";
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let guard = app.login("nanquan-gate-east").await;
        let (_, gates) = app.get(&guard, "/api/v1/gates").await;
        let g = Gate {
            app: &app,
            guard,
            gate: gates["items"][0]["id"].as_i64().unwrap(),
        };
        let figures = |key: &'static str| {
            let (app, leader) = (&app, leader.clone());
            async move {
                let (s, r) = app
                    .get(
                        &leader,
                        &format!("/api/v1/reports/daily?unit={NANQUAN}&date={}", day(0)),
                    )
                    .await;
                assert_eq!(s, 200, "{r}");
                r["figures"][key].as_i64().unwrap()
            }
        };
        let (fevers, refused, checks) = (
            figures("fevers").await,
            figures("refused_fever").await,
            figures("health_checks").await,
        );
        let (_, res) = app.get(&leader, "/api/v1/residents?per_page=5").await;
        let person = &res["items"][0];
        let (_, pass) = app
            .get(
                &leader,
                &format!("/api/v1/households/{}/pass", person["household_id"]),
            )
            .await;
        let code = pass["code"].as_str().unwrap();
        // Refused twice (the person tries again); the retried first scan adds nothing.
        assert_eq!(g.scan(code, "in", 38.6, "f1").await.1["reason"], "fever");
        assert_eq!(g.scan(code, "in", 38.2, "f2").await.1["reason"], "fever");
        assert_eq!(g.scan(code, "in", 38.6, "f1").await.1["reason"], "fever");
        assert_eq!(figures("fevers").await, fevers + 2, "{}", app.db.name());
        assert_eq!(figures("refused_fever").await, refused + 2);
        assert_eq!(figures("health_checks").await, checks + 2);
        // Against a direct count of the day's readings and the gate's refusals.
        let direct: (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT (SELECT COUNT(*) FROM health_checks WHERE fever = 1 AND source = 'gate' AND day = '{d}'), \
                    (SELECT COUNT(*) FROM gate_scans WHERE reason = 'fever' AND day = '{d}')",
            d = day(0)
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(direct, (2, 2), "{}", app.db.name());
        // One alert for the person, showing the first temperature measured.
        let medical = app.login("nanquan-medical").await;
        let (_, open) = app.get(&medical, "/api/v1/alerts?status=open").await;
        let gate_alerts: Vec<&Value> = open["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["reason"] == "fever at the gate")
            .collect();
        assert_eq!(gate_alerts.len(), 1, "{open}");
        assert_eq!(gate_alerts[0]["temperature"], 38.6, "{open}");
        let household: i64 = sqlx::query_scalar("SELECT household_id FROM residents WHERE id = $1")
            .bind(gate_alerts[0]["resident_id"].as_i64().unwrap())
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(Some(household), person["household_id"].as_i64());
    }
}

#[tokio::test]
async fn the_gate_applies_each_rule_and_logs_every_scan() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let guard = app.login("nanquan-gate-east").await;
        let (_, gates) = app.get(&guard, "/api/v1/gates").await;
        assert_eq!(gates["items"].as_array().unwrap().len(), 3, "{gates}");
        assert!(
            gates["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["community_code"] == "650203002005")
        );
        let g = Gate {
            app: &app,
            guard: guard.clone(),
            gate: gates["items"][0]["id"].as_i64().unwrap(),
        };
        let (_, res) = app.get(&leader, "/api/v1/residents?per_page=100").await;
        let items = res["items"].as_array().unwrap();
        let households: Vec<i64> = {
            let mut h: Vec<i64> = items
                .iter()
                .map(|r| r["household_id"].as_i64().unwrap())
                .collect();
            h.dedup();
            h
        };
        let pass = |h: i64| {
            let (app, leader) = (&app, leader.clone());
            async move {
                app.get(&leader, &format!("/api/v1/households/{h}/pass"))
                    .await
                    .1["code"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }
        };
        let c1 = pass(households[0]).await;
        assert_eq!(c1.len(), 20);
        assert_eq!(pass(households[0]).await, c1, "the same pass until revoked");
        // Out, back in, out again the same day: the quota (one exit every two days) refuses it.
        assert_eq!(g.scan(&c1, "out", 36.5, "a").await.1["decision"], "allow");
        assert_eq!(g.scan(&c1, "in", 36.4, "b").await.1["decision"], "allow");
        let (_, third) = g.scan(&c1, "out", 36.5, "c").await;
        assert_eq!(
            (third["decision"].as_str(), third["reason"].as_str()),
            (Some("deny"), Some("exit_quota"))
        );
        assert!(
            third["name"].as_str().unwrap().contains('*'),
            "masked: {third}"
        );
        // The same key again: the first answer, nothing logged; with another body: 422.
        let before = count(&app, "SELECT COUNT(*) FROM gate_scans").await;
        assert_eq!(g.scan(&c1, "out", 36.5, "a").await.1["decision"], "allow");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM gate_scans").await, before);
        assert_eq!(g.scan(&c1, "in", 36.5, "a").await.0, 422);
        // Yesterday's exit still counts today (a two-day period); the day before yesterday does not.
        let c2 = pass(households[1]).await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO gate_scans (gate_id, community_id, guard_id, household_id, direction, decision, day, at, idempotency_key, request_hash) \
             SELECT {}, g.community_id, 1, {}, 'out', 'allow', '{}', 0, 'old', 'x' FROM gates g WHERE g.id = {}",
            g.gate, households[1], day(-1), g.gate
        )))
        .execute(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(
            g.scan(&c2, "out", 36.5, "d").await.1["reason"],
            "exit_quota"
        );
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE gate_scans SET day = '{}' WHERE idempotency_key = 'old'",
            day(-2)
        )))
        .execute(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(g.scan(&c2, "out", 36.5, "e").await.1["decision"], "allow");
        // Home isolation of a member: the household cannot go out, but may come in.
        let h3 = households[2];
        let member = items.iter().find(|r| r["household_id"] == h3).unwrap()["id"].clone();
        app.send(
            &leader,
            Method::POST,
            "/api/v1/quarantines",
            json!({"resident_id": member, "kind": "home", "reason": "密接", "start_date": day(0)}),
        )
        .await;
        let c3 = pass(h3).await;
        assert_eq!(
            g.scan(&c3, "out", 36.5, "f").await.1["reason"],
            "quarantine"
        );
        assert_eq!(g.scan(&c3, "in", 36.5, "g").await.1["decision"], "allow");
        // A fever is refused and raises an alert.
        let c4 = pass(households[3]).await;
        let alerts = count(&app, "SELECT COUNT(*) FROM alerts").await;
        assert_eq!(g.scan(&c4, "in", 38.6, "h").await.1["reason"], "fever");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM alerts").await, alerts + 1);
        // A revoked pass is refused; the household gets a new one.
        let c5 = pass(households[4]).await;
        let (s, _) = app
            .send(
                &leader,
                Method::POST,
                &format!("/api/v1/households/{}/pass/revoke", households[4]),
                json!({}),
            )
            .await;
        assert_eq!(s, 204);
        assert_eq!(
            g.scan(&c5, "out", 36.5, "i").await.1["reason"],
            "revoked_pass"
        );
        assert_ne!(pass(households[4]).await, c5);
        // Issuing each pass and revoking one are audited; asking again for a pass changes nothing.
        assert_eq!(pass(households[4]).await, pass(households[4]).await);
        let actions: Vec<String> = sqlx::query_scalar(
            "SELECT action FROM audit_log WHERE object_kind = 'household' AND object_id = $1 \
             AND action LIKE 'pass.%' ORDER BY id",
        )
        .bind(households[4].to_string())
        .fetch_all(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(
            actions,
            ["pass.issue", "pass.revoke", "pass.issue"],
            "{}",
            app.db.name()
        );
        // Unknown codes; an ID number stands in for a pass.
        let (_, unknown) = g.scan("NOPE", "out", 36.5, "j").await;
        assert_eq!(unknown["reason"], "unknown_code", "{unknown}");
        // Codes that would break a hand-written list (quotes, backslashes, commas, braces, a
        // NULL) are only codes: unknown, and logged as refused.
        for (n, hostile) in [
            r#"A"B"#,
            r"C\D",
            "E,F",
            "{G}",
            "NULL",
            "'); DROP TABLE x; --",
        ]
        .into_iter()
        .enumerate()
        {
            let (status, answer) = g.scan(hostile, "out", 36.5, &format!("hostile-{n}")).await;
            assert_eq!(status, 200, "{hostile}: {answer}");
            assert_eq!(answer["reason"], "unknown_code", "{hostile}: {answer}");
        }
        let (_, card) = app
            .send(
                &leader,
                Method::POST,
                &format!("/api/v1/residents/{}/unmask", items[60]["id"]),
                json!({"password": common::PW}),
            )
            .await;
        let id_number = card["id_number"].as_str().unwrap().to_string();
        let (_, by_id) = g.scan(&id_number, "in", 36.5, "k").await;
        assert_eq!(
            (by_id["decision"].as_str(), by_id["household_id"].clone()),
            (Some("allow"), items[60]["household_id"].clone()),
            "{by_id}"
        );
        // Bad input, and another community's gate.
        for (body, field) in [
            (
                json!({"gate_id": g.gate, "code": c1, "direction": "up", "idempotency_key": "x1"}),
                "direction",
            ),
            (
                json!({"gate_id": g.gate, "code": c1, "direction": "in", "temperature": 80, "idempotency_key": "x2"}),
                "temperature",
            ),
            (
                json!({"gate_id": g.gate, "code": c1, "direction": "in", "plate": "新J123456", "idempotency_key": "x3"}),
                "plate",
            ),
            (
                json!({"gate_id": g.gate, "code": c1, "direction": "in"}),
                "idempotency_key",
            ),
        ] {
            let (s, e) = app
                .send(&guard, Method::POST, "/api/v1/gate/scans", body)
                .await;
            assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{e}");
        }
        let jinhua = app.login("jinhua-leader").await;
        let (_, jg) = app.get(&jinhua, "/api/v1/gates").await;
        let (s, _) = app
            .send(&guard, Method::POST, "/api/v1/gate/scans", json!({"gate_id": jg["items"][0]["id"], "code": c1, "direction": "in", "idempotency_key": "x4"}))
            .await;
        assert_eq!(s, 404);
        assert_eq!(
            app.get(
                &jinhua,
                &format!("/api/v1/households/{}/pass", households[0])
            )
            .await
            .0,
            404
        );
        // Two exits of one household at once, at two gates: one allowed.
        let c6 = pass(households[5]).await;
        let g2 = Gate {
            app: &app,
            guard: guard.clone(),
            gate: gates["items"][1]["id"].as_i64().unwrap(),
        };
        let (a, b) = tokio::join!(
            g.scan(&c6, "out", 36.5, "y1"),
            g2.scan(&c6, "out", 36.5, "y2")
        );
        let mut d = [
            a.1["decision"].as_str().unwrap().to_string(),
            b.1["decision"].as_str().unwrap().to_string(),
        ];
        d.sort();
        assert_eq!(d, ["allow", "deny"], "{}", app.db.name());
    }
}
