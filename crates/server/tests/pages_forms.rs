//! Forms refused by the server keep what was typed and name every field at fault, on both
//! backends: a new member, a resident's edit (also when someone else saved first), a new campaign,
//! a report's correction. The built-in questionnaire reads in English in English mode.
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
    fields: &[(&str, &str)],
) -> (u16, String) {
    let r = c.post(app.url(path)).form(fields).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn faults(html: &str) -> usize {
    html.matches("class=\"field-error\"").count()
}

async fn count(app: &common::TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_refused_member_or_edit_keeps_the_input_and_names_every_field() {
    for app in common::each_demo_app().await {
        let token = app.login("nanquan-grid1").await;
        let (_, res) = app.get(&token, "/api/v1/residents?per_page=2").await;
        let (rid, hid) = (
            res["items"][0]["id"].as_i64().unwrap(),
            res["items"][0]["household_id"].as_i64().unwrap(),
        );
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let (_, h) = page(&worker, &app, &format!("/households/{hid}")).await;
        let csrf = common::csrf_of(&h);
        let before = count(&app, "SELECT COUNT(*) FROM residents").await;
        let (s, body) = post(
            &worker,
            &app,
            &format!("/households/{hid}/residents"),
            &[
                ("csrf", &csrf),
                ("name", " "),
                ("id_number", "65020319800101123"),
                ("phone", "1380013800"),
                ("relation", "子女"),
                ("tags", "独居老人"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(faults(&body), 3, "name, ID number and phone named");
        for kept in [
            "value=\"65020319800101123\"",
            "value=\"1380013800\"",
            "value=\"子女\"",
            "value=\"独居老人\"",
        ] {
            assert!(body.contains(kept), "{kept} kept");
        }
        assert_eq!(count(&app, "SELECT COUNT(*) FROM residents").await, before);

        // The card's edit: two faults named, the typed values kept.
        let path = format!("/residents/{rid}");
        let (_, card) = page(&worker, &app, &path).await;
        let at = card.find("name=\"version\" value=\"").unwrap() + 22;
        let version: String = card[at..].split('"').next().unwrap().to_string();
        let masked_id = {
            let a = card
                .find("id=\"f-id_number\" name=\"id_number\" value=\"")
                .unwrap()
                + 41;
            card[a..].split('"').next().unwrap().to_string()
        };
        let (s, body) = post(
            &worker,
            &app,
            &path,
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("name", "林新名"),
                ("id_number", &masked_id),
                ("phone", "12345"),
                ("relation", "户主"),
                ("tags", ""),
                ("emergency_contact_name", ""),
                ("emergency_contact_phone", "999"),
                ("note", "新的备注"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(faults(&body), 2, "both phones named");
        assert!(body.contains("value=\"林新名\"") && body.contains(">新的备注</textarea>"));

        // Someone else saves first: the page says so, shows their record, keeps what this
        // person typed against the version now stored.
        let (s, _) = app
            .send(&token, reqwest::Method::PATCH, &format!("/api/v1/residents/{rid}"), serde_json::json!({"version": version.parse::<i64>().unwrap(), "note": "别人的改动"}))
            .await;
        assert_eq!(s, 200);
        let (s, body) = post(
            &worker,
            &app,
            &path,
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("name", "林新名"),
                ("id_number", &masked_id),
                ("phone", ""),
                ("relation", "户主"),
                ("tags", ""),
                ("emergency_contact_name", ""),
                ("emergency_contact_phone", ""),
                ("note", "我的备注"),
            ],
        )
        .await;
        assert_eq!(s, 409);
        assert!(body.contains(">我的备注</textarea>"), "the typed note kept");
        assert!(body.contains("别人的改动"), "their note shown");
        let newer = (version.parse::<i64>().unwrap() + 1).to_string();
        assert!(
            body.contains(&format!("name=\"version\" value=\"{newer}\"")),
            "against the stored version"
        );
        let note: String = sqlx::query_scalar("SELECT note FROM residents WHERE id = $1")
            .bind(rid)
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(note, "别人的改动", "{}", app.db.name());
    }
}

#[tokio::test]
async fn a_refused_campaign_or_correction_keeps_the_input() {
    for app in common::each_demo_app().await {
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let (_, list) = page(&leader, &app, "/surveys").await;
        let csrf = common::csrf_of(&list);
        let first_grid = {
            let a = list.find("name=\"grid\" value=\"").unwrap() + 19;
            list[a..].split('"').next().unwrap().to_string()
        };
        let surveys = count(&app, "SELECT COUNT(*) FROM surveys").await;
        // No name, an unknown grid beside a real one: both named, the real one still ticked.
        let (s, body) = post(
            &leader,
            &app,
            "/surveys",
            &[
                ("csrf", &csrf),
                ("name", ""),
                ("grid", &first_grid),
                ("grid", "999"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(faults(&body), 2, "{body}");
        assert!(body.contains(&format!("value=\"{first_grid}\" checked")));
        assert!(body.matches("name=\"grid\"").count() > 1);
        assert_eq!(
            body.matches("\" checked>").count(),
            1,
            "the others not ticked"
        );
        assert_eq!(count(&app, "SELECT COUNT(*) FROM surveys").await, surveys);

        // A report submitted, then corrected without a reason: the remark typed stays.
        let (_, r) = page(&leader, &app, "/reports").await;
        let field = |name: &str| {
            let at = r.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
            r[at..].split('"').next().unwrap().to_string()
        };
        let (unit, date) = (field("unit"), field("date"));
        let rcsrf = common::csrf_of(&r);
        let ok = leader
            .post(app.url("/reports/submit"))
            .form(&[
                ("csrf", rcsrf.as_str()),
                ("unit", &unit),
                ("date", &date),
                ("remark", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 303);
        let (s, body) = post(
            &leader,
            &app,
            "/reports/submit",
            &[
                ("csrf", &rcsrf),
                ("unit", &unit),
                ("date", &date),
                ("remark", "复核后更正发热人次"),
                ("correction_reason", " "),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            body.contains(">复核后更正发热人次</textarea>"),
            "the remark kept"
        );
        assert!(body.contains("id=\"correction-error\""));
        let versions = count(&app, "SELECT COUNT(*) FROM daily_reports").await;
        assert_eq!(versions, 1, "{}", app.db.name());
    }
}

#[tokio::test]
async fn the_built_in_questionnaire_reads_in_english() {
    for app in common::each_demo_app().await {
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        worker.get(app.url("/lang/en")).send().await.unwrap();
        let (_, list) = page(&worker, &app, "/surveys").await;
        let at = list.find("href=\"/surveys/").unwrap() + 6;
        let survey: String = list[at..].split('"').next().unwrap().to_string();
        let (_, households) = page(&worker, &app, &survey).await;
        let at = households
            .find(&format!("href=\"{survey}/households/"))
            .unwrap()
            + 6;
        let visit: String = households[at..].split('"').next().unwrap().to_string();
        let (_, form) = page(&worker, &app, &visit).await;
        assert!(form.contains("People living here now"), "{form}");
        assert!(!form.contains("现在住在这里的人数"));
    }
}

/// A data-check finding says how to fix it and opens the card at the place to do it; a sex and
/// birth date that contradict the ID number are set right from it with one tap.
#[tokio::test]
async fn a_finding_says_how_to_fix_it_and_a_contradiction_is_set_right() {
    for app in common::each_demo_app().await {
        let token = app.login("nanquan-grid1").await;
        let (_, res) = app.get(&token, "/api/v1/residents?per_page=1").await;
        let rid = res["items"][0]["id"].as_i64().unwrap();
        let stored: (String, String) =
            sqlx::query_as("SELECT sex, birth_date FROM residents WHERE id = $1")
                .bind(rid)
                .fetch_one(&app.db.db.pool)
                .await
                .unwrap();
        let other = if stored.0 == "male" { "female" } else { "male" };
        sqlx::query("UPDATE residents SET sex = $1, birth_date = '1901-01-01' WHERE id = $2")
            .bind(other)
            .bind(rid)
            .execute(&app.db.db.pool)
            .await
            .unwrap();
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let (_, checks) = page(&worker, &app, "/checks?kind=contradicts_id_number").await;
        let link = format!("/residents/{rid}#id-contradiction");
        assert!(checks.contains(&format!("href=\"{link}\"")), "{checks}");
        assert!(checks.contains("按身份证号更正"), "how to fix it, in words");
        let (_, card) = page(&worker, &app, &format!("/residents/{rid}")).await;
        assert!(card.contains("id=\"id-contradiction\"") && card.contains("1901-01-01"));
        let at = card.find("/match-id").unwrap();
        let v = card[at..].find("name=\"version\" value=\"").unwrap() + at + 22;
        let version: String = card[v..].split('"').next().unwrap().to_string();
        let r = worker
            .post(app.url(&format!("/residents/{rid}/match-id")))
            .form(&[
                ("csrf", common::csrf_of(&card).as_str()),
                ("version", &version),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let now: (String, String) =
            sqlx::query_as("SELECT sex, birth_date FROM residents WHERE id = $1")
                .bind(rid)
                .fetch_one(&app.db.db.pool)
                .await
                .unwrap();
        assert_eq!(now, stored, "{}", app.db.name());
        let (_, checks) = page(&worker, &app, "/checks?kind=contradicts_id_number").await;
        assert!(!checks.contains(&link));
        let (_, card) = page(&worker, &app, &format!("/residents/{rid}")).await;
        assert!(!card.contains("id=\"id-contradiction\""));
        // Other kinds open at their field: an adult without a phone, at the phone.
        sqlx::query("UPDATE residents SET phone = NULL WHERE id = $1")
            .bind(rid)
            .execute(&app.db.db.pool)
            .await
            .unwrap();
        let (_, phones) = page(&worker, &app, "/checks?kind=resident_without_phone").await;
        assert!(
            phones.contains(&format!("href=\"/residents/{rid}#f-phone\"")),
            "{phones}"
        );
    }
}

/// The health page's forms keep what was typed when refused: an alert's closing note when someone
/// closed it first, a follow-up's needs beside a temperature out of range.
#[tokio::test]
async fn the_health_page_keeps_a_refused_note_and_follow_up() {
    for app in common::each_demo_app().await {
        let token = app.login("nanquan-grid1").await;
        let (_, res) = app.get(&token, "/api/v1/residents?per_page=2").await;
        let rid = res["items"][0]["id"].as_i64().unwrap();
        app.send(&token, reqwest::Method::POST, "/api/v1/health-checks", serde_json::json!({"resident_id": rid, "temperature": 38.6, "source": "door", "idempotency_key": "kept-1"})).await;
        let medical = common::sign_in_page(&app, "nanquan-medical").await;
        let (_, health) = page(&medical, &app, "/health").await;
        let at = health.find("action=\"/alerts/").unwrap() + 8;
        let action: String = health[at..].split('"').next().unwrap().to_string();
        let v = health[at..].find("name=\"version\" value=\"").unwrap() + at + 22;
        let version: String = health[v..].split('"').next().unwrap().to_string();
        let csrf = common::csrf_of(&health);
        // Someone else closes it first.
        let alert_id: i64 = action
            .trim_start_matches("/alerts/")
            .trim_end_matches("/close")
            .parse()
            .unwrap();
        let other = app.login("nanquan-medical").await;
        let (s, _) = app.send(&other, reqwest::Method::POST, &format!("/api/v1/alerts/{alert_id}/close"), serde_json::json!({"version": version.parse::<i64>().unwrap(), "note": "已电话联系"})).await;
        assert_eq!(s, 204);
        let (s, body) = post(
            &medical,
            &app,
            &action,
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("note", "已送发热门诊"),
            ],
        )
        .await;
        assert_eq!(s, 409, "{body}");
        assert!(body.contains("id=\"health-error\""));
        // The alert is closed, so its form is gone; the refusal is said, and nothing changed.
        let note: String = sqlx::query_scalar("SELECT note FROM alerts WHERE id = $1")
            .bind(alert_id)
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(note, "已电话联系", "{}", app.db.name());

        // A follow-up with a temperature out of range: the needs typed stay.
        let leader = app.login("nanquan-leader").await;
        app.send(&leader, reqwest::Method::POST, "/api/v1/quarantines", serde_json::json!({"resident_id": rid, "kind": "home", "reason": "密接", "start_date": chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string()})).await;
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let (_, health) = page(&worker, &app, "/health").await;
        let at = health.find("/follow-up\"").unwrap();
        let a = health[..at].rfind("action=\"").unwrap() + 8;
        let follow: String = health[a..].split('"').next().unwrap().to_string();
        let qid = follow
            .trim_start_matches("/quarantines/")
            .trim_end_matches("/follow-up")
            .to_string();
        let (s, body) = post(
            &worker,
            &app,
            &follow,
            &[
                ("csrf", &common::csrf_of(&health)),
                ("temperature", "3.65"),
                ("needs", "降压药两盒"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            body.contains(&format!(
                "id=\"fu-n-{qid}\" name=\"needs\" value=\"降压药两盒\""
            )),
            "the needs kept"
        );
        assert!(body.contains(&format!(
            "id=\"fu-t-{qid}\" name=\"temperature\" value=\"3.65\""
        )));
    }
}

/// A grid or community is named in words where people read it (the campaign's progress, the
/// teams), not by its 15-digit code.
#[tokio::test]
async fn grids_and_communities_are_named_not_coded() {
    for app in common::each_demo_app().await {
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let (_, list) = page(&leader, &app, "/surveys").await;
        let at = list.find("href=\"/surveys/").unwrap() + 6;
        let survey: String = list[at..].split('"').next().unwrap().to_string();
        let (_, s) = page(&leader, &app, &survey).await;
        assert!(s.contains("<td>南泉社区第1网格</td>"), "{s}");
        assert!(!s.contains("<td>650203002005001</td>"));
        let (_, staff) = page(&leader, &app, "/staff").await;
        assert!(
            staff.contains("南泉社区") && !staff.contains(">650203002005<"),
            "{}",
            app.db.name()
        );
    }
}
