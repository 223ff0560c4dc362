//! The survey and health pages driven as a phone's browser would (forms and cookies), on both
//! backends: a visit puts a traveller at risk, the leader starts home isolation, the follow-up is
//! recorded.
#![allow(clippy::unwrap_used)]

mod common;

async fn html(c: &reqwest::Client, app: &common::TestApp, path: &str) -> String {
    let r = c.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The first `attr="…"` value after `marker`.
fn after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let a = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    Some(rest[a..].split('"').next()?.to_string())
}

#[tokio::test]
async fn a_visit_on_the_phone_page_leads_to_home_isolation_and_a_follow_up() {
    for app in common::each_demo_app().await {
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let list = html(&worker, &app, "/surveys").await;
        let survey = after(&list, "id=\"surveys\"", "href").unwrap();
        let households = html(&worker, &app, &survey).await;
        assert!(households.contains("id=\"households\""));
        // Find a household with members and open its form.
        let mut form = String::new();
        let mut action = String::new();
        let mut rest = households.as_str();
        while let Some(at) = rest.find("<a href=\"/surveys/") {
            let href: String = rest[at + 9..].split('"').next().unwrap().to_string();
            rest = &rest[at + 9..];
            let page = html(&worker, &app, &href).await;
            if page.contains("name=\"q.travel_members\"") {
                form = page;
                action = href;
                break;
            }
        }
        assert!(!form.is_empty(), "a household with members");
        let member = after(&form, "name=\"q.travel_members\"", "value").unwrap();
        let csrf = common::csrf_of(&form);
        // A refused answer comes back in words on the same form, nothing saved.
        let bad = worker
            .post(app.url(&action))
            .form(&[
                ("csrf", csrf.as_str()),
                ("status", "done"),
                ("q.people_now", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        let bad = bad.text().await.unwrap();
        assert!(bad.contains("id=\"visit-error\""));
        // The refusal names the question, not only "required".
        assert!(bad.contains("现在住在这里的人数：此项必填"), "{bad}");
        let back = chrono::Utc::now().date_naive() - chrono::Days::new(2);
        let ok = worker
            .post(app.url(&action))
            .form(&[
                ("csrf", csrf.as_str()),
                ("status", "done"),
                ("q.travel_members", member.as_str()),
                ("q.travel_place", "湖北省武汉市"),
                ("q.back_date", &back.to_string()),
                ("q.people_now", "2"),
                ("q.needs", "groceries"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 303, "{}", ok.text().await.unwrap());
        // The leader sees the resident at risk and starts home isolation.
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let health = html(&leader, &app, "/health").await;
        let flag = after(&health, "id=\"flags\"", "action").unwrap();
        let version = {
            let at = health.find("id=\"flags\"").unwrap();
            let v = health[at..].find("name=\"version\" value=\"").unwrap() + at + 22;
            health[v..].split('"').next().unwrap().to_string()
        };
        let r = leader
            .post(app.url(&flag))
            .form(&[
                ("csrf", common::csrf_of(&health).as_str()),
                ("version", version.as_str()),
                ("decision", "confirm"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        // The worker's follow-up is due, and recorded.
        let health = html(&worker, &app, "/health").await;
        let follow = after(&health, "id=\"due\"", "action").unwrap();
        assert!(follow.ends_with("/follow-up"), "{follow}");
        let r = worker
            .post(app.url(&follow))
            .form(&[
                ("csrf", common::csrf_of(&health).as_str()),
                ("temperature", "36.7"),
                ("needs", "蔬菜"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let health = html(&worker, &app, "/health").await;
        assert!(
            !health[health.find("id=\"due\"").unwrap()..].contains("/follow-up\""),
            "done for today"
        );
        // A temperature of the round, with a fever: an alert for the medical group.
        let round = html(&worker, &app, "/health/round").await;
        let at = round.find("data-resident=\"").unwrap() + 15;
        let resident: String = round[at..].split('"').next().unwrap().to_string();
        let key_at = round.find("name=\"key\" value=\"").unwrap() + 18;
        let key: String = round[key_at..].split('"').next().unwrap().to_string();
        let field = format!("t{resident}");
        for _ in 0..2 {
            let r = worker
                .post(app.url("/health/round"))
                .form(&[
                    ("csrf", common::csrf_of(&round).as_str()),
                    (field.as_str(), "38.2"),
                    ("key", key.as_str()),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
        }
        let checks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM health_checks")
            .fetch_one(&app.db.db.pool)
            .await
            .unwrap();
        assert_eq!(checks, 1, "{}: a double tap records once", app.db.name());
        let medical = common::sign_in_page(&app, "nanquan-medical").await;
        let health = html(&medical, &app, "/health").await;
        assert!(health.contains("38.2°C"), "{}", app.db.name());
    }
}

#[tokio::test]
async fn a_leader_starts_a_campaign_in_the_page_and_the_home_page_shows_alerts() {
    for app in common::each_demo_app().await {
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let page = html(&leader, &app, "/surveys").await;
        assert!(page.contains("id=\"new-survey\""));
        let title = &page[page.find("<title>").unwrap()..page.find("</title>").unwrap()];
        assert!(
            !title["<title>".len()..].contains('<'),
            "a plain title: {title}"
        );
        let csrf = common::csrf_of(&page);
        let empty = leader
            .post(app.url("/surveys"))
            .form(&[("csrf", csrf.as_str()), ("name", "复查")])
            .send()
            .await
            .unwrap();
        assert_eq!(empty.status(), 422, "no grid chosen: the form again");
        assert!(empty.text().await.unwrap().contains("role=\"alert\""));
        let r = leader
            .post(app.url("/surveys"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("name", "二月复查"),
                ("grid", "650203002005001"),
                ("grid", "650203002005002"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let survey = html(&leader, &app, r.headers()["location"].to_str().unwrap()).await;
        assert!(survey.contains("二月复查") && survey.contains("南泉社区第2网格"));
        // A grid worker cannot start one.
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let page = html(&worker, &app, "/surveys").await;
        assert!(!page.contains("id=\"new-survey\""));
        let r = worker
            .post(app.url("/surveys"))
            .form(&[
                ("csrf", common::csrf_of(&page).as_str()),
                ("name", "x"),
                ("grid", "650203002005001"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        // A fever recorded through the API shows on the medical group's home page.
        let token = app.login("nanquan-grid1").await;
        let (_, list) = app.get(&token, "/api/v1/residents?per_page=1").await;
        let rid = list["items"][0]["id"].clone();
        app.send(&token, reqwest::Method::POST, "/api/v1/health-checks", serde_json::json!({"resident_id": rid, "temperature": 39.1, "source": "door", "idempotency_key": "home-1"})).await;
        let medical = common::sign_in_page(&app, "nanquan-medical").await;
        let home = html(&medical, &app, "/").await;
        assert!(
            home.contains("id=\"home-health\"") && home.contains("39.1°C"),
            "{}",
            app.db.name()
        );
    }
}
