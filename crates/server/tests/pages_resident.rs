//! The household's own pages (居民端) and the grid worker's side of them, as a phone's browser uses
//! them, on both backends: the link issued from the household's page, the temperature tapped in,
//! a help request, the held data masked, a correction request answered from the household's page.
#![allow(clippy::unwrap_used)]

mod common;

async fn scalar(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

async fn household(app: &common::TestApp) -> i64 {
    scalar(
        app,
        "SELECT MIN(h.id) FROM households h JOIN staff_units su ON su.unit_id = h.grid_id \
         JOIN users u ON u.id = su.user_id WHERE u.username = 'nanquan-grid1' \
         AND h.deleted_at IS NULL AND (SELECT COUNT(*) FROM residents r \
         WHERE r.household_id = h.id AND r.deleted_at IS NULL) >= 2",
    )
    .await
}

/// A form field's value in a page: the first `name="…" value="…"` after `after`.
fn field_after(html: &str, after: &str, name: &str) -> String {
    let from = html.find(after).unwrap();
    let rest = &html[from..];
    let at = rest.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
    rest[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_household_uses_its_link_and_the_worker_answers_it() {
    for app in common::each_demo_app().await {
        let h = household(&app).await;
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let page = worker
            .get(app.url(&format!("/households/{h}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"link-none\""), "no link yet");
        let csrf = common::csrf_of(&page);
        // Without the form's token: refused, nothing issued.
        let r = worker
            .post(app.url(&format!("/households/{h}/link")))
            .form(&[("csrf", "forged")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(scalar(&app, "SELECT COUNT(*) FROM resident_links").await, 0);
        let r = worker
            .post(app.url(&format!("/households/{h}/link")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let issued = r.text().await.unwrap();
        assert!(issued.contains("<svg"), "the QR code to print");
        let url_at = issued.find("id=\"link-url\">").unwrap() + 14;
        let url = issued[url_at..].split('<').next().unwrap().to_string();
        let path = url[url.find("/h/").unwrap()..].to_string();

        // The household opens it on a phone: no account, no cookie.
        let phone = common::browser();
        let home = phone.get(app.url(&path)).send().await.unwrap();
        assert_eq!(home.status(), 200, "{}", app.db.name());
        let home = home.text().await.unwrap();
        let member: i64 = field_after(&home, "id=\"members\"", "resident_id")
            .parse()
            .unwrap();
        let key = field_after(&home, &format!("id=\"m{member}\""), "key");
        assert!(home.contains("今天未上报"));

        // A temperature typed with a full-width comma, as phones do.
        let before = scalar(&app, "SELECT COUNT(*) FROM health_checks").await;
        let tap = [
            ("resident_id", member.to_string()),
            ("temperature", "36，8".to_string()),
            ("key", key.clone()),
        ];
        for _ in 0..2 {
            let r = phone
                .post(app.url(&format!("{path}/checks")))
                .form(&tap)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            assert_eq!(
                r.headers()["location"].to_str().unwrap(),
                format!("{path}?sent=check")
            );
        }
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            before + 1,
            "a double tap records once"
        );
        let home = phone
            .get(app.url(&format!("{path}?sent=check")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("体温已上报"));
        assert!(home.contains("36.8°C"));
        assert!(home.contains("本人上报"));

        // Out of range: the page again with the words, nothing kept.
        let r = phone
            .post(app.url(&format!("{path}/checks")))
            .form(&[
                ("resident_id", member.to_string()),
                ("temperature", "3.68".to_string()),
                ("key", "other".to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("id=\"error\""));
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            before + 1
        );

        // A help request from the form lands in the service's queue.
        let r = phone
            .post(app.url(&format!("{path}/help")))
            .form(&[
                ("category", "food"),
                ("urgency", "normal"),
                ("words", "家里没菜了"),
                ("contact_phone", ""),
                ("key", "help-form-1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) FROM help_requests WHERE household_id = {h} AND category = 'food' AND via_link_id IS NOT NULL")
            )
            .await,
            1
        );

        // What is held: masked as for staff (no full ID number anywhere on the page).
        let info = phone
            .get(app.url(&format!("{path}/info")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let id_number: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id_number FROM residents WHERE id = {member}"
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert!(
            !info.contains(&id_number),
            "the full ID number is never shown"
        );
        assert!(info.contains(&id_number[id_number.len() - 4..]));
        let r = phone
            .post(app.url(&format!("{path}/corrections")))
            .form(&[
                ("resident_id", member.to_string()),
                ("words", "出生日期登记错了".to_string()),
                ("key", "corr-1".to_string()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);

        // The worker sees it on the household's page and answers it there.
        let page = worker
            .get(app.url(&format!("/households/{h}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("出生日期登记错了"));
        assert!(page.contains("id=\"link-active\""));
        let id = scalar(&app, "SELECT MAX(id) FROM resident_corrections").await;
        let csrf = common::csrf_of(&page);
        let answer = |status: &'static str, words: &'static str| {
            worker
                .post(app.url(&format!("/corrections/{id}/answer")))
                .form(&[
                    ("csrf", csrf.clone()),
                    ("household_id", h.to_string()),
                    ("status", status.to_string()),
                    ("answer", words.to_string()),
                ])
                .send()
        };
        let r = answer("declined", "").await.unwrap();
        assert_eq!(r.status(), 422, "declining needs a reason");
        let r = answer("corrected", "已按身份证更正").await.unwrap();
        assert_eq!(r.status(), 303);
        let home = phone
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(home.contains("已按身份证更正"));

        // A lost sheet: revoked from the page, the phone's link stops.
        let r = worker
            .post(app.url(&format!("/households/{h}/link/revoke")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = phone.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let r = phone
            .post(app.url(&format!("{path}/checks")))
            .form(&tap)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
}

#[tokio::test]
async fn the_pass_sheet_prints_a_link_for_each_household_without_one() {
    for app in common::each_demo_app().await {
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let grid: String = sqlx::query_scalar(
            "SELECT g.code FROM org_units g JOIN staff_units su ON su.unit_id = g.id \
             JOIN users u ON u.id = su.user_id WHERE u.username = 'nanquan-grid1'",
        )
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        let households = scalar(
            &app,
            &format!(
                "SELECT COUNT(*) FROM households h JOIN org_units g ON g.id = h.grid_id \
                 WHERE g.code = '{grid}' AND h.deleted_at IS NULL"
            ),
        )
        .await;
        // One household already has its link: it keeps it.
        let h = household(&app).await;
        let worker = app.login("nanquan-grid1").await;
        let (s, _) = app
            .send(
                &worker,
                reqwest::Method::POST,
                &format!("/api/v1/households/{h}/resident-link"),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(s, 201);
        let kept_hash: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT token_hash FROM resident_links WHERE household_id = {h} AND status = 'active'"
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        let page = leader
            .get(app.url(&format!("/gate/passes?grid={grid}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_of(&page);
        let r = leader
            .post(app.url("/gate/passes/links"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("grid", grid.as_str()),
                ("building", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let sheet = r.text().await.unwrap();
        assert_eq!(
            sheet.matches("class=\"pass-link\"").count() as i64,
            households - 1,
            "{}",
            app.db.name()
        );
        assert_eq!(
            scalar(
                &app,
                &format!(
                    "SELECT COUNT(*) FROM resident_links l JOIN households h ON h.id = l.household_id \
                     JOIN org_units g ON g.id = h.grid_id WHERE g.code = '{grid}' AND l.status = 'active'"
                )
            )
            .await,
            households
        );
        let still: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT token_hash FROM resident_links WHERE household_id = {h} AND status = 'active'"
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(still, kept_hash, "a working link is not replaced");
        // Printed again: nothing more to issue.
        let r = leader
            .post(app.url("/gate/passes/links"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("grid", grid.as_str()),
                ("building", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.text()
                .await
                .unwrap()
                .matches("class=\"pass-link\"")
                .count(),
            0
        );
    }
}
