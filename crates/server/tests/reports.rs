//! The daily report on SQLite and PostgreSQL: random records through the API, then every figure of
//! a community's, a street's and the city's report against a direct count over the raw tables;
//! rows add up; a submitted report stays frozen; a correction is a new version with its reason;
//! the street returns one; the sheet's layout; scope and bad input.
#![allow(clippy::unwrap_used)]

mod common;

use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Value, json};

const NANQUAN: &str = "650203002005";
const STREET: &str = "650203002000";
const CITY: &str = "650200";

fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string()
}

/// The local day's bounds in Unix seconds (Asia/Shanghai has no summer time: UTC+8).
fn day_bounds() -> (i64, i64) {
    let d = chrono::NaiveDate::parse_from_str(&today(), "%Y-%m-%d").unwrap();
    let start = d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp() - 8 * 3600;
    (start, start + 86_400)
}

/// Direct counts over the raw tables for the unit with `code`, the way a clerk would count.
async fn direct(app: &common::TestApp, code: &str) -> Vec<(&'static str, i64)> {
    let under = format!(
        "(SELECT c.descendant_id FROM unit_closure c JOIN org_units u ON u.id = c.ancestor_id WHERE u.code = '{code}')"
    );
    let (start, end) = day_bounds();
    let d = today();
    let queries: Vec<(&'static str, String)> = vec![
        (
            "residents",
            format!(
                "SELECT COUNT(*) FROM residents WHERE deleted_at IS NULL AND grid_id IN {under}"
            ),
        ),
        (
            "households",
            format!(
                "SELECT COUNT(*) FROM households WHERE deleted_at IS NULL AND grid_id IN {under}"
            ),
        ),
        (
            "health_checks",
            format!("SELECT COUNT(*) FROM health_checks WHERE day = '{d}' AND grid_id IN {under}"),
        ),
        (
            "fevers",
            format!(
                "SELECT COUNT(*) FROM health_checks WHERE day = '{d}' AND fever = 1 AND grid_id IN {under}"
            ),
        ),
        (
            "quarantine_active",
            format!(
                "SELECT COUNT(*) FROM quarantines WHERE status = 'active' AND grid_id IN {under}"
            ),
        ),
        (
            "quarantine_home",
            format!(
                "SELECT COUNT(*) FROM quarantines WHERE status = 'active' AND kind = 'home' AND grid_id IN {under}"
            ),
        ),
        (
            "quarantine_new",
            format!(
                "SELECT COUNT(*) FROM quarantine_events e JOIN quarantines q ON q.id = e.quarantine_id WHERE e.to_status = 'active' AND e.at >= {start} AND e.at < {end} AND q.grid_id IN {under}"
            ),
        ),
        (
            "quarantine_released",
            format!(
                "SELECT COUNT(*) FROM quarantine_events e JOIN quarantines q ON q.id = e.quarantine_id WHERE e.to_status = 'released' AND e.at >= {start} AND e.at < {end} AND q.grid_id IN {under}"
            ),
        ),
        (
            "at_risk",
            format!(
                "SELECT COUNT(*) FROM risk_flags WHERE status = 'pending' AND grid_id IN {under}"
            ),
        ),
        (
            "gate_in",
            format!(
                "SELECT COUNT(*) FROM gate_scans WHERE day = '{d}' AND decision = 'allow' AND direction = 'in' AND community_id IN {under}"
            ),
        ),
        (
            "gate_out",
            format!(
                "SELECT COUNT(*) FROM gate_scans WHERE day = '{d}' AND decision = 'allow' AND direction = 'out' AND community_id IN {under}"
            ),
        ),
        (
            "gate_refused",
            format!(
                "SELECT COUNT(*) FROM gate_scans WHERE day = '{d}' AND decision = 'deny' AND community_id IN {under}"
            ),
        ),
        (
            "refused_exit_quota",
            format!(
                "SELECT COUNT(*) FROM gate_scans WHERE day = '{d}' AND reason = 'exit_quota' AND community_id IN {under}"
            ),
        ),
        (
            "refused_unknown_code",
            format!(
                "SELECT COUNT(*) FROM gate_scans WHERE day = '{d}' AND reason = 'unknown_code' AND community_id IN {under}"
            ),
        ),
        (
            "refused_quarantine",
            format!(
                "SELECT COUNT(*) FROM gate_scans WHERE day = '{d}' AND reason = 'quarantine' AND community_id IN {under}"
            ),
        ),
        (
            "observation_beds",
            format!(
                "SELECT CAST(COALESCE(SUM(beds), 0) AS BIGINT) FROM observation_sites WHERE unit_id IN {under}"
            ),
        ),
    ];
    let mut out = Vec::new();
    for (k, sql) in queries {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        out.push((k, n));
    }
    out
}

fn assert_adds_up(r: &Value) {
    let keys: Vec<String> = r["figures"].as_object().unwrap().keys().cloned().collect();
    for k in keys {
        let sum: i64 = r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["figures"][&k].as_i64().unwrap())
            .sum();
        assert_eq!(sum, r["figures"][&k].as_i64().unwrap(), "rows add up: {k}");
    }
}

async fn report(app: &common::TestApp, token: &str, unit: &str) -> Value {
    let (s, r) = app
        .get(
            token,
            &format!("/api/v1/reports/daily?unit={unit}&date={}", today()),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    r
}

#[tokio::test]
async fn every_figure_equals_a_direct_count_and_a_submitted_report_stays_frozen() {
    for app in common::each_demo_app().await {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let leader = app.login("nanquan-leader").await;
        let street = app.login("kunlun-street").await;
        let guard = app.login("nanquan-gate-east").await;
        let (_, res) = app.get(&leader, "/api/v1/residents?per_page=100").await;
        let residents: Vec<Value> = res["items"].as_array().unwrap().clone();
        // Checks, some with fever, some residents twice.
        for i in 0..60 {
            let r = &residents[rng.random_range(0..residents.len())];
            let t = if rng.random_bool(0.2) { 38.2 } else { 36.6 };
            let (s, _) = app.send(&leader, Method::POST, "/api/v1/health-checks",
                json!({"resident_id": r["id"], "temperature": t, "symptoms": [], "source": "door", "idempotency_key": format!("c{i}")})).await;
            assert_eq!(s, 201);
        }
        // Home isolation for a few, one released the same day.
        let mut started = Vec::new();
        for r in residents.iter().skip(40).take(4) {
            let (s, q) = app.send(&leader, Method::POST, "/api/v1/quarantines",
                json!({"resident_id": r["id"], "kind": "home", "reason": "密接", "start_date": today()})).await;
            assert_eq!(s, 201, "{q}");
            started.push(q);
        }
        let (s, e) = app
            .send(
                &leader,
                Method::POST,
                &format!("/api/v1/quarantines/{}/transition", started[0]["id"]),
                json!({"to": "released", "version": started[0]["version"], "note": "期满"}),
            )
            .await;
        assert_eq!((s, e["status"].as_str()), (200, Some("released")), "{e}");
        // Gate scans: passes, unknown codes, isolation refusals.
        let (_, gates) = app.get(&guard, "/api/v1/gates").await;
        let gate = gates["items"][0]["id"].as_i64().unwrap();
        let mut codes = Vec::new();
        for r in residents.iter().skip(30).take(15) {
            let (_, p) = app
                .get(
                    &leader,
                    &format!("/api/v1/households/{}/pass", r["household_id"]),
                )
                .await;
            codes.push(p["code"].as_str().unwrap().to_string());
        }
        for i in 0..50 {
            let code = if rng.random_bool(0.1) {
                "NOSUCHCODE".to_string()
            } else {
                codes[rng.random_range(0..codes.len())].clone()
            };
            let dir = if rng.random_bool(0.5) { "in" } else { "out" };
            let (s, _) = app.send(&guard, Method::POST, "/api/v1/gate/scans",
                json!({"gate_id": gate, "code": code, "direction": dir, "idempotency_key": format!("g{i}")})).await;
            assert_eq!(s, 200);
        }
        for unit in [NANQUAN, STREET, CITY] {
            // No demo account serves the whole city: its report straight from the store.
            let r = match unit {
                NANQUAN => report(&app, &leader, unit).await,
                STREET => report(&app, &street, unit).await,
                _ => {
                    let u: shouhu_server::db::reports::ReportUnit = sqlx::query_as(
                        "SELECT id, code, name, kind, parent_id FROM org_units WHERE code = $1",
                    )
                    .bind(unit)
                    .fetch_one(&app.db.db.pool)
                    .await
                    .unwrap();
                    let r = shouhu_server::db::reports::daily(&app.db.db, &u, &today())
                        .await
                        .unwrap();
                    serde_json::to_value(r).unwrap()
                }
            };
            assert_adds_up(&r);
            for (k, n) in direct(&app, unit).await {
                assert_eq!(
                    r["figures"][k].as_i64().unwrap(),
                    n,
                    "{unit} {k} on {}",
                    app.db.name()
                );
            }
        }
        let r = report(&app, &leader, NANQUAN).await;
        assert!(
            r["figures"]["fevers"].as_i64().unwrap() > 0
                && r["figures"]["quarantine_released"] == 1
        );
        assert_eq!(r["status"], "live");

        // Submitted: frozen. Later records change the live figures, not the report.
        let (s, sub) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/reports/daily/submit",
                json!({"unit": NANQUAN, "date": today(), "remark": "已核实"}),
            )
            .await;
        assert_eq!((s, sub["version"].as_i64()), (200, Some(1)), "{sub}");
        let frozen = report(&app, &leader, NANQUAN).await;
        assert_eq!(
            (frozen["status"].as_str(), frozen["submitted_by"].as_str()),
            (Some("submitted"), Some("nanquan-leader"))
        );
        app.send(&leader, Method::POST, "/api/v1/health-checks",
            json!({"resident_id": residents[0]["id"], "temperature": 39.0, "symptoms": [], "source": "door", "idempotency_key": "late"})).await;
        let after = report(&app, &leader, NANQUAN).await;
        assert_eq!(after["figures"], frozen["figures"], "frozen");
        // The street sees it submitted, with the snapshot's figures in its own total.
        let (_, board) = app
            .get(
                &street,
                &format!(
                    "/api/v1/reports/completeness?unit={STREET}&date={}",
                    today()
                ),
            )
            .await;
        let nq = board["communities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == NANQUAN)
            .unwrap()
            .clone();
        assert!(
            nq["status"] == "on_time" || nq["status"] == "late",
            "{board}"
        );
        let counted: u64 = ["on_time", "late", "returned", "missing"]
            .iter()
            .map(|k| board[*k].as_u64().unwrap())
            .sum();
        assert_eq!(
            counted as usize,
            board["communities"].as_array().unwrap().len()
        );
        // A correction needs its reason; then version 2 with the new figures, version 1 kept.
        let (s, e) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/reports/daily/submit",
                json!({"unit": NANQUAN, "date": today()}),
            )
            .await;
        assert_eq!((s, e["field"].as_str()), (422, Some("correction_reason")));
        let (s, v2) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/reports/daily/submit",
                json!({"unit": NANQUAN, "date": today(), "correction_reason": "补录一例发热"}),
            )
            .await;
        assert_eq!((s, v2["version"].as_i64()), (200, Some(2)));
        let corrected = report(&app, &leader, NANQUAN).await;
        assert_eq!(
            corrected["figures"]["fevers"].as_i64().unwrap(),
            frozen["figures"]["fevers"].as_i64().unwrap() + 1
        );
        assert_eq!(corrected["correction_reason"], "补录一例发热");
        let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM daily_reports")
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(versions, 2);
        // Returned by the street: live again, with the reason; the leader cannot return.
        let body = json!({"unit": NANQUAN, "date": today(), "reason": "请核对隔离人数"});
        assert_eq!(
            app.send(
                &leader,
                Method::POST,
                "/api/v1/reports/daily/return",
                body.clone()
            )
            .await
            .0,
            403
        );
        assert_eq!(
            app.send(&street, Method::POST, "/api/v1/reports/daily/return", body)
                .await
                .0,
            204
        );
        let returned = report(&app, &leader, NANQUAN).await;
        assert_eq!(
            (
                returned["status"].as_str(),
                returned["return_reason"].as_str()
            ),
            (Some("returned"), Some("请核对隔离人数"))
        );
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('report.submit','report.return') AND result = 'ok'",
        )
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(audited, 3);

        // Scope and bad input.
        let grid1 = app.login("nanquan-grid1").await;
        assert_eq!(
            app.get(
                &grid1,
                &format!("/api/v1/reports/daily?unit=650203100001&date={}", today())
            )
            .await
            .0,
            404
        );
        assert_eq!(
            app.get(
                &grid1,
                &format!(
                    "/api/v1/reports/daily?unit=650203002005001&date={}",
                    today()
                )
            )
            .await
            .0,
            200
        );
        for (q, status) in [
            ("date=2020-02-30", 422),
            ("date=yesterday", 422),
            ("date=2999-01-01", 422),
            ("format=pdf", 422),
        ] {
            assert_eq!(
                app.get(
                    &leader,
                    &format!("/api/v1/reports/daily?unit={NANQUAN}&{q}")
                )
                .await
                .0,
                status,
                "{q}"
            );
        }
        assert_eq!(
            app.get(&leader, "/api/v1/reports/daily?unit=NO-SUCH")
                .await
                .0,
            404
        );
    }
}

#[tokio::test]
async fn the_sheet_has_a_title_chinese_headers_a_row_per_part_a_total_and_the_submitter() {
    use calamine::{Data, Reader, Xlsx};
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        app.send(
            &leader,
            Method::POST,
            "/api/v1/reports/daily/submit",
            json!({"unit": NANQUAN, "date": today()}),
        )
        .await;
        let r = report(&app, &leader, NANQUAN).await;
        let bytes = app
            .client
            .get(app.url(&format!(
                "/api/v1/reports/daily?unit={NANQUAN}&date={}&format=xlsx",
                today()
            )))
            .bearer_auth(&leader)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = book.worksheet_range("日报").unwrap();
        let cell = |row: u32, col: u32| sheet.get_value((row, col)).cloned().unwrap_or(Data::Empty);
        let title = cell(0, 0).to_string();
        assert!(
            title.contains("南泉社区") && title.contains(&today()),
            "{title}"
        );
        assert_eq!(cell(1, 0).to_string(), "单位");
        assert_eq!(cell(1, 2).to_string(), "居民数");
        let rows = r["rows"].as_array().unwrap();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                cell(2 + i as u32, 0).to_string(),
                row["name"].as_str().unwrap()
            );
        }
        let total = 2 + rows.len() as u32;
        assert_eq!(cell(total, 0).to_string(), "合计");
        assert_eq!(
            cell(total, 2),
            Data::Float(r["figures"]["residents"].as_f64().unwrap())
        );
        assert!(
            cell(total + 2, 0)
                .to_string()
                .contains("上报人：nanquan-leader")
        );
        // CSV: the same rows.
        let csv = app
            .client
            .get(app.url(&format!(
                "/api/v1/reports/daily?unit={NANQUAN}&date={}&format=csv",
                today()
            )))
            .bearer_auth(&leader)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert_eq!(csv.lines().count(), rows.len() + 4);
        // DHIS2: one value per part and figure.
        let (_, d) = app
            .get(
                &leader,
                &format!(
                    "/api/v1/reports/daily/dhis2?unit={NANQUAN}&date={}",
                    today()
                ),
            )
            .await;
        let values = d["dataValues"].as_array().unwrap();
        assert!(!values.is_empty());
        assert_eq!(values[0]["period"], today().replace('-', ""));
    }
}

async fn html(c: &reqwest::Client, app: &common::TestApp, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

#[tokio::test]
async fn the_dashboard_draws_charts_submits_and_the_street_returns() {
    for app in common::each_demo_app().await {
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        // Due today on the home page until it is submitted.
        let home = html(&leader, &app, "/").await;
        assert!(
            home.contains("id=\"home-report\"") && home.contains("data-status=\"missing\""),
            "{home}"
        );
        let page = html(&leader, &app, &format!("/reports?unit={NANQUAN}")).await;
        assert_eq!(
            page.matches("<svg class=\"chart\"").count(),
            3,
            "three charts"
        );
        assert!(page.contains("data-status=\"live\"") && page.contains("id=\"submit\""));
        assert!(!page.contains("<script"), "no script needed");
        let r = leader
            .post(app.url("/reports/submit"))
            .form(&[
                ("csrf", common::csrf_of(&page)),
                ("unit", NANQUAN.into()),
                ("date", today()),
                ("remark", "无异常".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let page = html(&leader, &app, &format!("/reports?unit={NANQUAN}")).await;
        assert!(page.contains("data-status=\"submitted\"") && page.contains("无异常"));
        assert!(
            page.contains("徐刚 · ") && !page.contains("nanquan-leader · "),
            "submitted by the person's name, not the account's"
        );
        let home = html(&leader, &app, "/").await;
        assert!(!home.contains("data-status=\"missing\""), "no longer due");
        // A second submission without a reason is refused and changes nothing.
        let r = leader
            .post(app.url("/reports/submit"))
            .form(&[
                ("csrf", common::csrf_of(&page)),
                ("unit", NANQUAN.into()),
                ("date", today()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"correction-error\""));
        let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM daily_reports")
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(versions, 1);
        // The street's board shows it submitted and returns it.
        let street = common::sign_in_page(&app, "kunlun-street").await;
        let board = html(&street, &app, &format!("/reports?unit={STREET}")).await;
        assert!(board.contains("id=\"board\""));
        let r = street
            .post(app.url("/reports/return"))
            .form(&[
                ("csrf", common::csrf_of(&board)),
                ("from", STREET.into()),
                ("unit", NANQUAN.into()),
                ("date", today()),
                ("reason", "数字有误".into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let board = html(&street, &app, &format!("/reports?unit={STREET}")).await;
        assert!(board.contains("data-status=\"returned\""), "{board}");
    }
}

/// The figures of state — the ones a report reads as they stand now rather than as counts of the
/// day — and one count of the day (`quarantine_new`), which must not reach yesterday either.
const STATE_KEYS: [&str; 10] = [
    "residents",
    "households",
    "at_risk",
    "quarantine_active",
    "quarantine_home",
    "quarantine_centralized",
    "quarantine_hospital",
    "observation_beds",
    "observation_occupied",
    "quarantine_new",
];

fn state(r: &Value) -> Vec<(&'static str, i64)> {
    STATE_KEYS
        .iter()
        .map(|k| (*k, r["figures"][*k].as_i64().unwrap()))
        .collect()
}

fn yesterday() -> String {
    let d = chrono::NaiveDate::parse_from_str(&today(), "%Y-%m-%d").unwrap();
    (d - chrono::Duration::days(1)).to_string()
}

async fn report_of(app: &common::TestApp, token: &str, unit: &str, day: &str) -> Value {
    let (s, r) = app
        .get(
            token,
            &format!("/api/v1/reports/daily?unit={unit}&date={day}"),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_adds_up(&r);
    r
}

#[tokio::test]
async fn a_past_day_reads_its_state_as_it_stood_at_its_end() {
    for app in common::each_demo_app().await {
        let leader = app.login("nanquan-leader").await;
        let street = app.login("kunlun-street").await;
        let grid1 = app.login("nanquan-grid1").await;
        let medical = app.login("nanquan-medical").await;
        let reports = || async {
            (
                report_of(&app, &leader, NANQUAN, &yesterday()).await,
                report_of(&app, &street, STREET, &yesterday()).await,
                report_of(&app, &leader, NANQUAN, &today()).await,
            )
        };
        let (y_before, street_before, t_before) = reports().await;

        // Today, every kind of change of state: a household and two residents, one of them deleted
        // again; two home isolations, one released; the other taken to an observation site (it
        // counts as centralized from then on); a site opened; a survey answer that puts someone at
        // risk, confirmed into a home isolation.
        let (s, h) = app.send(&grid1, Method::POST, "/api/v1/households", json!({"grid_code": "650203002005001", "building": "98号楼", "building_unit": "1单元", "room": "101", "address": "南泉社区98号楼1单元101室"})).await;
        assert_eq!(s, 201, "{h}");
        let mut added = Vec::new();
        for (name, id_number) in [
            ("周桂兰", "65020319450302002X"),
            ("周建国", "65020319700101001X"),
        ] {
            let (s, r) = app.send(&grid1, Method::POST, "/api/v1/residents", json!({"household_id": h["id"], "name": name, "id_number": id_number, "relation": "户主"})).await;
            assert_eq!(s, 201, "{r}");
            added.push(r);
        }
        let (s, e) = app
            .send(
                &grid1,
                Method::DELETE,
                &format!(
                    "/api/v1/residents/{}?version={}",
                    added[1]["id"], added[1]["version"]
                ),
                json!({}),
            )
            .await;
        assert!(s == 200 || s == 204, "{s} {e}");
        let (_, res) = app.get(&leader, "/api/v1/residents?per_page=100").await;
        let people = res["items"].as_array().unwrap();
        let mut episodes = Vec::new();
        for p in people.iter().skip(50).take(2) {
            let (s, q) = app.send(&leader, Method::POST, "/api/v1/quarantines", json!({"resident_id": p["id"], "kind": "home", "reason": "密接", "start_date": today()})).await;
            assert_eq!(s, 201, "{q}");
            episodes.push(q);
        }
        let (s, e) = app
            .send(
                &leader,
                Method::POST,
                &format!("/api/v1/quarantines/{}/transition", episodes[0]["id"]),
                json!({"to": "released", "version": episodes[0]["version"], "note": "期满"}),
            )
            .await;
        assert_eq!(s, 200, "{e}");
        let (s, site) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/observation-sites",
                json!({"unit": NANQUAN, "name": "南泉社区临时观察室", "beds": 3}),
            )
            .await;
        assert_eq!(s, 201, "{site}");
        let (s, t) = app
            .send(
                &leader,
                Method::POST,
                "/api/v1/transfers",
                json!({"quarantine_id": episodes[1]["id"], "site_id": site["id"]}),
            )
            .await;
        assert_eq!(s, 201, "{t}");
        let path = format!("/api/v1/transfers/{}/advance", t["id"]);
        let (s, t) = app
            .send(
                &medical,
                Method::POST,
                &path,
                json!({"to": "picked_up", "version": t["version"], "plate": "新J·12345"}),
            )
            .await;
        assert_eq!(s, 200, "{t}");
        let (s, t) = app
            .send(
                &medical,
                Method::POST,
                &path,
                json!({"to": "admitted", "version": t["version"]}),
            )
            .await;
        assert_eq!(s, 200, "{t}");
        let (_, list) = app.get(&grid1, "/api/v1/surveys").await;
        let sid = list["items"][0]["id"].as_i64().unwrap();
        let (_, hh) = app
            .get(
                &grid1,
                &format!("/api/v1/surveys/{sid}/households?status=not_visited&per_page=50"),
            )
            .await;
        // Two households back from a risk area: one flag confirmed, the other left pending.
        let mut flagged = 0;
        for h in hh["items"].as_array().unwrap() {
            let path = format!("/api/v1/surveys/{sid}/households/{}", h["household_id"]);
            let (_, v) = app.get(&grid1, &path).await;
            let Some(member) = v["members"][0]["id"].as_i64() else {
                continue;
            };
            let answers = json!({"travel_members": [member], "travel_place": "湖北武汉", "back_date": today(), "people_now": 2});
            let (s, v) = app
                .send(
                    &grid1,
                    Method::PUT,
                    &path,
                    json!({"status": "done", "answers": answers}),
                )
                .await;
            assert_eq!(s, 200, "{v}");
            flagged += 1;
            if flagged == 2 {
                break;
            }
        }
        let (_, flags) = app.get(&leader, "/api/v1/risk-flags?status=pending").await;
        assert_eq!((flagged, flags["total"].as_i64()), (2, Some(2)), "{flags}");
        // The leader confirms one while someone else dismisses it: one decision stands.
        let flag = &flags["items"][0];
        let decide = |how: &str| {
            let path = format!("/api/v1/risk-flags/{}/{how}", flag["id"]);
            let body = json!({"version": flag["version"], "reason": "行程早于划定"});
            let (app, leader) = (&app, leader.clone());
            async move { app.send(&leader, Method::POST, &path, body).await }
        };
        let (confirmed, dismissed) = tokio::join!(decide("confirm"), decide("dismiss"));
        let wins = [confirmed.0, dismissed.0];
        assert!(
            wins.iter().filter(|s| **s == 200 || **s == 204).count() == 1
                && wins.iter().any(|s| *s == 409 || *s == 422),
            "{wins:?} on {}",
            app.db.name()
        );
        let c = i64::from(confirmed.0 == 200);
        let (y_after, street_after, t_after) = reports().await;

        // Yesterday is as it was; today moved by exactly what was done.
        assert_eq!(
            state(&y_after),
            state(&y_before),
            "yesterday on {}",
            app.db.name()
        );
        assert_eq!(
            state(&street_after),
            state(&street_before),
            "the street's yesterday on {}",
            app.db.name()
        );
        for row in y_after["rows"].as_array().unwrap() {
            let was = y_before["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["code"] == row["code"]);
            if let Some(was) = was {
                assert_eq!(
                    state(row),
                    state(was),
                    "{} yesterday on {}",
                    row["code"],
                    app.db.name()
                );
            } else {
                assert!(
                    state(row).iter().all(|(_, n)| *n == 0),
                    "a part new today shows nothing yesterday: {row}"
                );
            }
        }
        let moved: Vec<(&str, i64)> = state(&t_after)
            .into_iter()
            .zip(state(&t_before))
            .map(|((k, a), (_, b))| (k, a - b))
            .collect();
        assert_eq!(
            moved,
            vec![
                ("residents", 1),
                ("households", 1),
                ("at_risk", 1),
                ("quarantine_active", 1 + c),
                ("quarantine_home", c),
                ("quarantine_centralized", 1),
                ("quarantine_hospital", 0),
                ("observation_beds", 3),
                ("observation_occupied", 1),
                ("quarantine_new", 2 + c),
            ],
            "today on {}",
            app.db.name()
        );
        // Today's figures are still the direct counts.
        for (k, n) in direct(&app, NANQUAN).await {
            assert_eq!(
                t_after["figures"][k].as_i64().unwrap(),
                n,
                "{k} on {}",
                app.db.name()
            );
        }
    }
}
