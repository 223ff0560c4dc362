//! Notices in the pages, on both backends: a community leader publishes one from the form to the
//! grid workers of the community; a grid worker sees it on the home page, opens it (read) and
//! studies it in one tap; a stale tap after a new version is refused in words and asks again; the
//! leader sees who is missing and the files; bad input is named with nothing written.
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
) -> (u16, String, String) {
    let r = c.post(app.url(path)).form(fields).send().await.unwrap();
    let to = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), to, r.text().await.unwrap())
}

async fn scalar(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

/// Tomorrow at 21:00 as a datetime-local field (Asia/Shanghai, the default zone).
fn tomorrow_evening() -> String {
    let day = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .succ_opt()
        .unwrap();
    format!("{}T21:00", day.format("%Y-%m-%d"))
}

#[tokio::test]
async fn a_leader_publishes_and_a_grid_worker_studies_on_a_phone() {
    for app in common::each_demo_app().await {
        let nanquan = scalar(&app, "SELECT id FROM org_units WHERE code = '650203002005'").await;
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let (s, html) = page(&leader, &app, "/notices").await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"notice-form\""), "a leader may publish");
        let csrf = common::csrf_of(&html);
        let before = scalar(&app, "SELECT COUNT(*) FROM notices").await;
        let unit_field = format!("unit_{nanquan}");
        let deadline = tomorrow_evening();
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("key", "form-1"),
            ("title", "今晚学习新版测温要求"),
            ("body", "第一条。\n第二条。"),
            ("deadline", deadline.as_str()),
            ("role_grid_worker", "1"),
            (unit_field.as_str(), "1"),
        ];
        // No title: named in words, nothing written, the form kept.
        fields[2].1 = "";
        let (s, _, html) = post(&leader, &app, "/notices", &fields).await;
        assert_eq!(s, 422);
        assert!(html.contains("id=\"notice-error\""));
        assert!(html.contains("第一条。"), "what was typed is kept");
        assert_eq!(scalar(&app, "SELECT COUNT(*) FROM notices").await, before);
        fields[2].1 = "今晚学习新版测温要求";
        let (s, to, _) = post(&leader, &app, "/notices", &fields).await;
        assert_eq!(s, 303);
        let id: i64 = to
            .trim_start_matches("/notices/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        // A second tap of the same form: the same notice.
        let (s, to2, _) = post(&leader, &app, "/notices", &fields).await;
        assert_eq!((s, to2.as_str()), (303, to.as_str()));
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM notices").await,
            before + 1
        );
        let grid_workers = scalar(
            &app,
            &format!(
                "SELECT COUNT(DISTINCT u.id) FROM users u JOIN staff_units su ON su.user_id = u.id \
                 JOIN unit_closure c ON c.descendant_id = su.unit_id WHERE c.ancestor_id = {nanquan} \
                 AND u.role = 'grid_worker' AND u.disabled = 0"
            ),
        )
        .await;

        // The grid worker: on the home page, then opened (read), then studied.
        let grid = common::sign_in_page(&app, "nanquan-grid1").await;
        let (_, home) = page(&grid, &app, "/").await;
        assert!(
            home.contains("id=\"home-notices\""),
            "notices to study on the home page"
        );
        let (s, html) = page(&grid, &app, &format!("/notices/{id}")).await;
        assert_eq!(s, 200);
        assert!(html.contains("第一条。\n第二条。"));
        assert!(html.contains("id=\"study-form\""));
        assert!(
            !html.contains("id=\"receipts-total\""),
            "no receipts for a reader"
        );
        let me = scalar(
            &app,
            "SELECT id FROM users WHERE username = 'nanquan-grid1'",
        )
        .await;
        let status = |app: &common::TestApp| {
            let sql = format!(
                "SELECT CASE status WHEN 'delivered' THEN 0 WHEN 'read' THEN 1 ELSE 2 END \
                 FROM notice_recipients WHERE notice_id = {id} AND user_id = {me}"
            );
            let app = app.db.db.pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&app)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(status(&app).await, 1, "opened is read");
        let csrf = common::csrf_of(&html);
        // A new version comes out while the page is open: the stale tap is refused in words.
        let (_, lhtml) = page(&leader, &app, &format!("/notices/{id}")).await;
        let lcsrf = common::csrf_of(&lhtml);
        let (s, to, _) = post(
            &leader,
            &app,
            &format!("/notices/{id}/revise"),
            &[
                ("csrf", lcsrf.as_str()),
                ("version", "1"),
                ("title", "今晚学习新版测温要求"),
                ("body", "第一条（改）。"),
                ("deadline", deadline.as_str()),
            ],
        )
        .await;
        assert_eq!(
            (s, to.as_str()),
            (303, format!("/notices/{id}?saved=1").as_str())
        );
        let (s, _, html) = post(
            &grid,
            &app,
            &format!("/notices/{id}/study"),
            &[("csrf", csrf.as_str()), ("version", "1")],
        )
        .await;
        assert_eq!(s, 409);
        assert!(html.contains("id=\"notice-error\""));
        assert!(
            html.contains("第一条（改）。"),
            "the new text is shown to read"
        );
        let (s, _, _) = post(
            &grid,
            &app,
            &format!("/notices/{id}/study"),
            &[("csrf", csrf.as_str()), ("version", "2")],
        )
        .await;
        assert_eq!(s, 303);
        assert_eq!(status(&app).await, 2, "studied");
        let (_, html) = page(&grid, &app, &format!("/notices/{id}")).await;
        assert!(html.contains("data-status=\"confirmed\""));

        // The leader: one of all studied, the rest listed by name, studied last.
        let (_, html) = page(&leader, &app, &format!("/notices/{id}")).await;
        assert!(
            html.contains(&format!("<strong>1</strong> / {grid_workers} ")),
            "1 of {grid_workers}"
        );
        let missing = html.find("data-status=\"delivered\"").unwrap();
        let studied = html.find("data-person=\"").unwrap();
        assert!(studied <= missing || grid_workers == 1);
        assert!(html.contains("南泉社区网格员一"));
        assert!(html.contains("id=\"receipts-xlsx\""));
        // Not the form of a leader for the worker.
        let (_, html) = page(&grid, &app, "/notices").await;
        assert!(!html.contains("id=\"notice-form\""));
        // Without the token: refused.
        let (s, _, _) = post(
            &grid,
            &app,
            &format!("/notices/{id}/study"),
            &[("version", "2")],
        )
        .await;
        assert_eq!(s, 403);
        // Another community's worker: not found.
        let other = common::sign_in_page(&app, "jinhua-grid1").await;
        let (s, _) = page(&other, &app, &format!("/notices/{id}")).await;
        assert_eq!(s, 404);
    }
}

#[tokio::test]
async fn a_file_is_added_from_the_page_and_downloaded_by_a_reader() {
    for app in common::each_demo_app().await {
        let id = scalar(
            &app,
            "SELECT MIN(n.id) FROM notices n JOIN users u ON u.id = n.created_by \
             WHERE u.username = 'nanquan-leader'",
        )
        .await;
        let leader = common::sign_in_page(&app, "nanquan-leader").await;
        let (_, html) = page(&leader, &app, &format!("/notices/{id}")).await;
        let csrf = common::csrf_of(&html);
        let part =
            reqwest::multipart::Part::bytes(b"%PDF-1.4 test".to_vec()).file_name("测温要求.pdf");
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .part("file", part);
        let r = leader
            .post(app.url(&format!("/notices/{id}/files")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let grid = common::sign_in_page(&app, "nanquan-grid1").await;
        let (_, html) = page(&grid, &app, &format!("/notices/{id}")).await;
        assert!(html.contains("测温要求.pdf"));
        let file = scalar(
            &app,
            &format!("SELECT MAX(id) FROM notice_attachments WHERE notice_id = {id}"),
        )
        .await;
        let r = grid
            .get(app.url(&format!("/notices/{id}/files/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 test");
    }
}
