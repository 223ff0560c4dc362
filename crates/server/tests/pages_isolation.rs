//! Isolation in the pages (隔离), on both backends: a leader starts home isolation from the
//! person's page, a refused start keeps what was typed and names every field at fault, the person
//! is taken to an observation point step by step (the medical group may move the steps, not start
//! one), and the episode ends. Someone outside the caller's jurisdiction is not found.
#![allow(clippy::unwrap_used)]

mod common;

async fn page(c: &reqwest::Client, app: &common::TestApp, path: &str) -> (u16, String) {
    let r = c.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post(
    c: &reqwest::Client,
    app: &common::TestApp,
    path: &str,
    csrf: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    let r = c.post(app.url(path)).form(&form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The `value="…"` of the hidden `name` inside the form with `id`.
fn hidden(html: &str, form: &str, name: &str) -> String {
    let at = html.find(&format!("id=\"{form}\"")).unwrap();
    let rest = &html[at..];
    let f = rest.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
    rest[f..].split('"').next().unwrap().to_string()
}

async fn one(app: &common::TestApp, sql: &'static str, id: i64) -> (String, String) {
    sqlx::query_as(sql)
        .bind(id)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_leader_isolates_a_person_and_takes_them_to_an_observation_point() {
    for app in common::each_demo_app().await {
        let token = app.login("nanquan-leader").await;
        let (_, res) = app.get(&token, "/api/v1/residents?per_page=3").await;
        let rid = res["items"][1]["id"].as_i64().unwrap();
        let hid = res["items"][1]["household_id"].as_i64().unwrap();
        let path = format!("/residents/{rid}/isolation");
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let (s, card) = page(&leader, &app, &format!("/residents/{rid}")).await;
        assert_eq!(s, 200);
        assert!(
            card.contains(&format!("href=\"{path}\"")),
            "the card links the page"
        );
        let (_, p) = page(&leader, &app, &path).await;
        assert!(p.contains("id=\"no-episode\"") && p.contains("id=\"start\""));
        let csrf = common::csrf_of(&p);

        // Refused: no reason, an end before the start — both named, the choices kept.
        let (s, refused) = post(
            &leader,
            &app,
            &path,
            &csrf,
            &[
                ("kind", "centralized"),
                ("reason", " "),
                ("start_date", "2026-12-01"),
                ("planned_end_date", "2026-11-20"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            refused.contains("value=\"centralized\" checked"),
            "the kind kept"
        );
        assert!(refused.contains("value=\"2026-11-20\""), "the end kept");
        let faults = refused.matches("class=\"field-error\"").count();
        assert_eq!(faults, 2, "reason and end named: {refused}");
        assert!(refused.contains("此项必填") && refused.contains("结束日期早于开始日期"));
        let none: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM quarantines WHERE resident_id = $1")
                .bind(rid)
                .fetch_one(&app.db.db.pool)
                .await
                .unwrap();
        assert_eq!(none, 0, "{}", app.db.name());
        // The API names them all too, in `errors`, the first also as `field`.
        let (s, body) = app
            .send(&token, reqwest::Method::POST, "/api/v1/quarantines", serde_json::json!({"resident_id": rid, "kind": "cellar", "reason": "", "start_date": "2026-13-01"}))
            .await;
        assert_eq!(s, 422);
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["kind", "reason", "start_date"], "{body}");
        assert_eq!(body["field"], "kind");

        // Home isolation from today: the gate now holds the household in.
        let (s, _) = post(
            &leader,
            &app,
            &path,
            &csrf,
            &[
                ("kind", "home"),
                ("reason", "密接"),
                ("start_date", &common_today()),
                ("planned_end_date", ""),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (_, iso) = app
            .get(&token, &format!("/api/v1/households/{hid}/isolation"))
            .await;
        assert_eq!(iso["home_isolation"], true);
        let (_, p) = page(&leader, &app, &format!("{path}?done=1")).await;
        assert!(p.contains("id=\"isolation-saved\""));
        assert!(p.contains("data-status=\"active\"") && p.contains("居家隔离"));

        // To an observation point: notified by the leader, the steps by the medical group.
        let (_, sites) = app.get(&token, "/api/v1/observation-sites").await;
        let site = sites["items"][0].clone();
        let site_id = site["id"].as_i64().unwrap().to_string();
        let to_site = format!("{path}/{}/transfer", qid_of(&p));
        let (s, _) = post(
            &leader,
            &app,
            &to_site,
            &csrf,
            &[("site_id", ""), ("note", "情绪稳定")],
        )
        .await;
        assert_eq!(s, 422, "no site chosen");
        let (s, _) = post(
            &leader,
            &app,
            &to_site,
            &csrf,
            &[("site_id", &site_id), ("note", "情绪稳定")],
        )
        .await;
        assert_eq!(s, 303);
        let medical = common::sign_in_page(&app, "nanquan-medical").await;
        let (_, m) = page(&medical, &app, &path).await;
        assert!(
            !m.contains("id=\"start\"") && !m.contains("id=\"end\""),
            "no start or end for the medical group"
        );
        assert!(m.contains("id=\"transfer\" data-status=\"notified\""));
        let step = |html: &str| {
            let at = html.find("id=\"transfer-step\"").unwrap();
            let a = html[..at].rfind("action=\"").unwrap() + 8;
            html[a..].split('"').next().unwrap().to_string()
        };
        let action = step(&m);
        let mcsrf = common::csrf_of(&m);
        let version = hidden(&m, "transfer-step", "version");
        let (s, bad) = post(
            &medical,
            &app,
            &action,
            &mcsrf,
            &[
                ("to", "picked_up"),
                ("version", &version),
                ("plate", "京"),
                ("note", ""),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            bad.contains("value=\"京\"") && bad.contains("车牌号不对"),
            "the plate named and kept"
        );
        for (to, plate) in [
            ("picked_up", "新J·A1234"),
            ("admitted", ""),
            ("released", ""),
        ] {
            let (_, m) = page(&medical, &app, &path).await;
            let version = hidden(&m, "transfer-step", "version");
            let (s, body) = post(
                &medical,
                &app,
                &step(&m),
                &mcsrf,
                &[
                    ("to", to),
                    ("version", &version),
                    ("plate", plate),
                    ("note", ""),
                ],
            )
            .await;
            assert_eq!(s, 303, "{to}: {body}");
        }
        let (status, kind) = one(
            &app,
            "SELECT status, kind FROM quarantines WHERE resident_id = $1",
            rid,
        )
        .await;
        assert_eq!(
            (status.as_str(), kind.as_str()),
            ("released", "centralized"),
            "{}",
            app.db.name()
        );
        let (_, after) = page(&leader, &app, &path).await;
        assert!(after.contains("id=\"no-episode\"") && after.contains("id=\"past\""));
    }
}

/// The episode id in the page's forms (`/isolation/<id>`).
fn qid_of(html: &str) -> String {
    let at = html.find("id=\"end\"").unwrap();
    let a = html[..at].rfind("/isolation/").unwrap() + 11;
    html[a..].split('"').next().unwrap().to_string()
}

fn common_today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string()
}

#[tokio::test]
async fn ending_an_isolation_is_kept_with_its_note_and_a_stale_page_changes_nothing() {
    for app in common::each_demo_app().await {
        let worker_token = app.login("nanquan-grid1").await;
        let (_, res) = app.get(&worker_token, "/api/v1/residents?per_page=3").await;
        let rid = res["items"][2]["id"].as_i64().unwrap();
        let path = format!("/residents/{rid}/isolation");
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let (_, p) = page(&leader, &app, &path).await;
        let csrf = common::csrf_of(&p);
        let (s, _) = post(
            &leader,
            &app,
            &path,
            &csrf,
            &[
                ("kind", "home"),
                ("reason", "武汉返回"),
                ("start_date", &common_today()),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (_, p) = page(&leader, &app, &path).await;
        let end = format!("{path}/{}", qid_of(&p));
        let version = hidden(&p, "end", "version");
        let (s, _) = post(
            &leader,
            &app,
            &end,
            &csrf,
            &[
                ("to", "released"),
                ("version", &version),
                ("note", "期满解除"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        // The same page sent again (its version is old): a conflict, in words, nothing changed.
        let (s, body) = post(
            &leader,
            &app,
            &end,
            &csrf,
            &[("to", "transferred"), ("version", &version), ("note", "x")],
        )
        .await;
        assert_eq!(s, 409, "{body}");
        assert!(body.contains("记录已被他人修改"), "{body}");
        let (status, _) = one(
            &app,
            "SELECT status, reason FROM quarantines WHERE resident_id = $1",
            rid,
        )
        .await;
        assert_eq!(status, "released", "{}", app.db.name());
        let note: String = sqlx::query_scalar("SELECT note FROM quarantine_events WHERE to_status = 'released' AND quarantine_id = (SELECT id FROM quarantines WHERE resident_id = $1)")
            .bind(rid)
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(note, "期满解除");
        // A grid worker reads the page but cannot start one; someone of another community is not
        // found.
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let (s, w) = page(&worker, &app, &path).await;
        assert_eq!(s, 200);
        assert!(w.contains("id=\"past\"") && !w.contains("id=\"start\""));
        let (s, _) = post(
            &worker,
            &app,
            &path,
            &common::csrf_of(&w),
            &[
                ("kind", "home"),
                ("reason", "x"),
                ("start_date", &common_today()),
            ],
        )
        .await;
        assert_eq!(s, 403);
        let outsider: i64 = sqlx::query_scalar("SELECT MIN(r.id) FROM residents r JOIN org_units g ON g.id = r.grid_id WHERE g.code NOT LIKE '650203002005%'")
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        let (s, _) = page(&leader, &app, &format!("/residents/{outsider}/isolation")).await;
        assert_eq!(s, 404);
    }
}
