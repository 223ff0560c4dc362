//! Gate control beyond the scan itself, on SQLite and PostgreSQL: visitors with one-day codes, the
//! rules (API and page), the vehicle rule, the log's counts against the raw scans, who is out,
//! the export, many guards scanning at once (committed together), and the pass sheet.
#![allow(clippy::unwrap_used)]

mod common;

use reqwest::Method;
use serde_json::{Value, json};

const NANQUAN: &str = "650203002005";

async fn count(app: &common::TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

async fn scan(app: &common::TestApp, guard: &str, body: Value) -> (u16, Value) {
    app.send(guard, Method::POST, "/api/v1/gate/scans", body)
        .await
}

#[tokio::test]
async fn visitors_rules_and_the_log_add_up() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let guard = app.login("nanquan-gate-east").await;
        let (_, gates) = app.get(&guard, "/api/v1/gates").await;
        let gate = gates["items"][0]["id"].as_i64().unwrap();
        let (_, res) = app.get(&leader, "/api/v1/residents?per_page=100").await;
        let mut households: Vec<i64> = res["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["household_id"].as_i64().unwrap())
            .collect();
        households.dedup();
        let (_, h) = app
            .get(&leader, &format!("/api/v1/households/{}", households[0]))
            .await;

        // A visitor registered for a household by building and room gets a code good today.
        let (s, v) = app
            .send(
                &guard,
                Method::POST,
                "/api/v1/gate/visitors",
                json!({"gate_id": gate, "host_household_id": households[0], "name": "王五",
                       "phone": "13912345678", "purpose": "送药", "plate": null}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let code = v["code"].as_str().unwrap().to_string();
        let (_, ok) = scan(
            &app,
            &guard,
            json!({"gate_id": gate, "code": code, "direction": "in", "idempotency_key": "v1"}),
        )
        .await;
        assert_eq!(
            (ok["decision"].as_str(), ok["visitor"].as_bool()),
            (Some("allow"), Some(true)),
            "{ok}"
        );
        assert_eq!(ok["name"], "王*", "{ok}");
        // The phone serves too; an unregistered phone is a visitor not registered.
        let (_, by_phone) = scan(&app, &guard, json!({"gate_id": gate, "code": "13912345678", "direction": "out", "idempotency_key": "v2"})).await;
        assert_eq!(by_phone["decision"], "allow", "{by_phone}");
        let (_, stranger) = scan(&app, &guard, json!({"gate_id": gate, "code": "13700000000", "direction": "in", "idempotency_key": "v3"})).await;
        assert_eq!(stranger["reason"], "visitor_not_registered");
        // Yesterday's code is no longer good.
        sqlx::query("UPDATE gate_visitors SET day = '2020-02-01'")
            .execute(&app.db.db.pool)
            .await
            .unwrap();
        let (_, old) = scan(
            &app,
            &guard,
            json!({"gate_id": gate, "code": code, "direction": "in", "idempotency_key": "v4"}),
        )
        .await;
        assert_eq!(old["reason"], "visitor_not_registered");
        // A host that does not exist, bad phone: 422 naming the field, nothing registered.
        let before = count(&app, "SELECT COUNT(*) FROM gate_visitors").await;
        for (body, field) in [
            (
                json!({"gate_id": gate, "host_building": "99号楼", "host_room": "9901", "name": "甲", "phone": "13912345678", "purpose": "x"}),
                "host_room",
            ),
            (
                json!({"gate_id": gate, "host_household_id": households[0], "name": "甲", "phone": "12345", "purpose": "x"}),
                "phone",
            ),
            (
                json!({"gate_id": gate, "name": "甲", "phone": "13912345678", "purpose": "x"}),
                "host_household_id",
            ),
            (
                json!({"gate_id": gate, "host_household_id": households[0], "name": "", "phone": "13912345678", "purpose": "x"}),
                "name",
            ),
        ] {
            let (s, e) = app
                .send(&guard, Method::POST, "/api/v1/gate/visitors", body)
                .await;
            assert_eq!((s, e["field"].as_str()), (422, Some(field)), "{e}");
        }
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM gate_visitors").await,
            before
        );

        // Rules: read, set (leader only), and the vehicle rule applies at once.
        let (s, r) = app
            .get(&leader, &format!("/api/v1/gate/rules?community={NANQUAN}"))
            .await;
        assert_eq!(
            (s, r["exits_per_period"].as_i64(), r["period_days"].as_i64()),
            (200, Some(1), Some(2))
        );
        let new = json!({"exits_per_period": 1, "period_days": 2, "curfew_start": 0, "curfew_end": 0,
                         "vehicles_allowed": false, "visitors_allowed": true});
        let path = format!("/api/v1/gate/rules?community={NANQUAN}");
        assert_eq!(
            app.send(&guard, Method::PUT, &path, new.clone()).await.0,
            403
        );
        assert_eq!(app.send(&leader, Method::PUT, &path, new).await.0, 200);
        let bad = json!({"exits_per_period": 1, "period_days": 2, "curfew_start": 25, "curfew_end": 0,
                         "vehicles_allowed": false, "visitors_allowed": true});
        let (s, e) = app.send(&leader, Method::PUT, &path, bad).await;
        assert_eq!((s, e["field"].as_str()), (422, Some("curfew_start")));
        let jinhua = app.login("jinhua-leader").await;
        assert_eq!(app.get(&jinhua, &path).await.0, 404);
        let pass = app
            .get(
                &leader,
                &format!("/api/v1/households/{}/pass", households[1]),
            )
            .await
            .1["code"]
            .as_str()
            .unwrap()
            .to_string();
        let (_, car) = scan(&app, &guard, json!({"gate_id": gate, "code": pass, "direction": "in", "plate": "新J·12345", "idempotency_key": "c1"})).await;
        assert_eq!(car["reason"], "vehicle_not_allowed", "{car}");
        let (_, walk) = scan(
            &app,
            &guard,
            json!({"gate_id": gate, "code": pass, "direction": "out", "idempotency_key": "c2"}),
        )
        .await;
        assert_eq!(walk["decision"], "allow");

        // The log: counts equal the raw scans of the day; the household that went out is out.
        let (s, log) = app
            .get(&leader, &format!("/api/v1/gate/log?community={NANQUAN}"))
            .await;
        assert_eq!(s, 200, "{log}");
        for (field, sql) in [
            (
                "gate_in",
                "SELECT COUNT(*) FROM gate_scans WHERE decision = 'allow' AND direction = 'in'",
            ),
            (
                "gate_out",
                "SELECT COUNT(*) FROM gate_scans WHERE decision = 'allow' AND direction = 'out'",
            ),
            (
                "gate_refused",
                "SELECT COUNT(*) FROM gate_scans WHERE decision = 'deny'",
            ),
        ] {
            assert_eq!(
                log["counts"][field].as_i64().unwrap(),
                count(&app, sql).await,
                "{field}: {log}"
            );
        }
        assert_eq!(
            log["counts"]["refused_by_reason"]["visitor_not_registered"],
            2
        );
        let hours: i64 = log["hours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["n"].as_i64().unwrap())
            .sum();
        assert_eq!(
            hours,
            log["counts"]["gate_in"].as_i64().unwrap()
                + log["counts"]["gate_out"].as_i64().unwrap()
        );
        let out: Vec<i64> = log["out_now"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["household_id"].as_i64().unwrap())
            .collect();
        assert_eq!(out, vec![households[1]], "{log}");
        // The leader reads the registry: the name in full; the guard, who does not, masked.
        let full = log["out_now"][0]["name"].as_str().unwrap().to_string();
        assert!(!full.contains('*'), "{full}");
        let (_, seen_by_guard) = app
            .get(&guard, &format!("/api/v1/gate/log?community={NANQUAN}"))
            .await;
        assert_eq!(
            seen_by_guard["out_now"][0]["name"].as_str().unwrap(),
            shouhu_domain::mask::name(&full)
        );
        let _ = h;
        // Back in: nobody out.
        scan(
            &app,
            &guard,
            json!({"gate_id": gate, "code": pass, "direction": "in", "idempotency_key": "c3"}),
        )
        .await;
        let (_, log) = app
            .get(&guard, &format!("/api/v1/gate/log?community={NANQUAN}"))
            .await;
        assert!(log["out_now"].as_array().unwrap().is_empty(), "{log}");
        // The export is a sheet; bad dates and formats are 4xx.
        let r = app
            .client
            .get(app.url(&format!("/api/v1/gate/log?community={NANQUAN}&format=xlsx")))
            .bearer_auth(&leader)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK");
        assert_eq!(
            app.get(
                &leader,
                &format!("/api/v1/gate/log?community={NANQUAN}&date=2020-02-30")
            )
            .await
            .0,
            422
        );
        assert_eq!(
            app.get(
                &leader,
                &format!("/api/v1/gate/log?community={NANQUAN}&format=pdf")
            )
            .await
            .0,
            422
        );
        assert_eq!(
            app.get(&jinhua, &format!("/api/v1/gate/log?community={NANQUAN}"))
                .await
                .0,
            404
        );
    }
}

#[tokio::test]
async fn many_guards_scanning_at_once_are_each_logged_once() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let guard = app.login("nanquan-gate-east").await;
        let (_, gates) = app.get(&guard, "/api/v1/gates").await;
        let gate = gates["items"][0]["id"].as_i64().unwrap();
        let (_, res) = app.get(&leader, "/api/v1/residents?per_page=100").await;
        let mut households: Vec<i64> = res["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["household_id"].as_i64().unwrap())
            .collect();
        households.dedup();
        let mut codes = Vec::new();
        for h in households.iter().take(20) {
            codes.push(
                app.get(&leader, &format!("/api/v1/households/{h}/pass"))
                    .await
                    .1["code"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        // 20 households out twice each, plus every request sent twice (a retry): 80 requests at once.
        let mut calls = Vec::new();
        for (i, c) in codes.iter().enumerate() {
            for n in 0..2 {
                for _ in 0..2 {
                    let body = json!({"gate_id": gate, "code": c, "direction": "out", "idempotency_key": format!("k{i}-{n}")});
                    calls.push(scan(&app, &guard, body));
                }
            }
        }
        let answers = futures::future::join_all(calls).await;
        assert!(answers.iter().all(|(s, _)| *s == 200));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM gate_scans").await, 40);
        // One exit each allowed, the other refused by the quota, whatever the order.
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM gate_scans WHERE decision = 'allow'"
            )
            .await,
            20
        );
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM gate_scans WHERE reason = 'exit_quota'"
            )
            .await,
            20
        );
        assert_eq!(
            count(
                &app,
                "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM gate_day_stats"
            )
            .await,
            40
        );
    }
}

async fn html(c: &reqwest::Client, app: &common::TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn the_gate_pages_print_passes_set_rules_and_show_the_log() {
    for app in common::each_demo_app().await {
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let (s, sheet) = html(&leader, &app, "/gate/passes?grid=650203002005001").await;
        assert_eq!(s, 200);
        let households = count(&app, "SELECT COUNT(*) FROM households h JOIN org_units g ON g.id = h.grid_id WHERE g.code = '650203002005001' AND h.deleted_at IS NULL").await;
        assert_eq!(sheet.matches("class=\"pass\"").count() as i64, households);
        assert_eq!(
            sheet.matches("<svg").count() as i64,
            households,
            "a QR code each"
        );
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM household_passes").await,
            households,
            "issued in one go"
        );
        // Printing again issues nothing new and shows the same codes.
        let (_, again) = html(&leader, &app, "/gate/passes?grid=650203002005001").await;
        assert_eq!(
            count(&app, "SELECT COUNT(*) FROM household_passes").await,
            households
        );
        assert_eq!(
            sheet.split("data-code=").nth(1),
            again.split("data-code=").nth(1)
        );
        assert!(!sheet.contains("id_number"));
        // Another community's grid: not found. A guard cannot print.
        assert_eq!(
            html(&leader, &app, "/gate/passes?grid=650203002006001")
                .await
                .0,
            404
        );
        let guard = common::sign_in_page(&app, "nanquan-gate-east").await;
        assert_eq!(
            html(&guard, &app, "/gate/passes?grid=650203002005001")
                .await
                .0,
            403
        );
        // The guard's page lists the guard's gates and loads its script.
        let (s, page) = html(&guard, &app, "/gate").await;
        assert_eq!(s, 200);
        assert!(page.contains("id=\"scan-form\"") && page.contains("东门"));
        assert_eq!(html(&guard, &app, "/static/gate.js").await.0, 200);
        // Rules through the form: saved, audited; a bad hour is refused and changes nothing.
        let (_, form) = html(&leader, &app, "/gate/rules").await;
        let at = form.find("name=\"csrf\" value=\"").unwrap() + 19;
        let csrf = form[at..].split('"').next().unwrap().to_string();
        let post = |f: Vec<(&'static str, String)>| {
            let leader = leader.clone();
            let url = app.url("/gate/rules");
            async move { leader.post(url).form(&f).send().await.unwrap() }
        };
        let base = |curfew: &str| {
            vec![
                ("csrf", csrf.clone()),
                ("community", NANQUAN.to_string()),
                ("exits_per_period", "2".into()),
                ("period_days", "1".into()),
                ("curfew_start", curfew.to_string()),
                ("curfew_end", "6".into()),
                ("visitors_allowed", "1".into()),
            ]
        };
        let r = post(base("22")).await;
        assert_eq!(r.status(), 303);
        let rules: (i64, i64, i64, i64, i64) = sqlx::query_as("SELECT exits_per_period, period_days, curfew_start, vehicles_allowed, visitors_allowed FROM gate_rules r JOIN org_units o ON o.id = r.community_id WHERE o.code = '650203002005'")
            .fetch_one(&app.db.db.pool).await.unwrap();
        assert_eq!(rules, (2, 1, 22, 0, 1));
        assert_eq!(
            count(
                &app,
                "SELECT COUNT(*) FROM audit_log WHERE action = 'gate.rules.set'"
            )
            .await,
            1
        );
        let r = post(base("24")).await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("id=\"error\""));
        let curfew: i64 = sqlx::query_scalar("SELECT curfew_start FROM gate_rules")
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(curfew, 22);
        // The log page, empty and then with a scan.
        let (s, log) = html(&leader, &app, "/gate/log").await;
        assert_eq!(s, 200);
        assert!(log.contains("id=\"gate-in\">0<"), "{log}");
        assert_eq!(
            html(&leader, &app, "/gate/log?date=2020-13-01").await.0,
            422
        );
    }
}
