//! Care in the pages, on both backends: the leader's coverage view shows who has no one and gives
//! a resident to a carer (a refused pick is named, nothing written); the carer's "today" holds the
//! call, a door visit asked is marked done from there.
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

async fn scalar(app: &common::TestApp, sql: String) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_leader_gives_a_resident_to_a_carer_and_the_carer_sees_the_call() {
    for app in common::each_demo_app().await {
        let leader = common::sign_in_page(&app, "jinhua-leader").await;
        let (s, html) = page(&leader, &app, "/care?unassigned=1").await;
        assert_eq!(s, 200);
        assert!(html.contains("id=\"care-totals\""), "{}", app.db.name());
        let csrf = common::csrf_of(&html);
        let free = scalar(
            &app,
            "SELECT MIN(r.id) FROM residents r JOIN org_units g ON g.id = r.grid_id \
             WHERE g.code = '650203100001001' AND NOT EXISTS (SELECT 1 FROM care_assignments a \
             WHERE a.resident_id = r.id AND a.ended_at IS NULL)"
                .into(),
        )
        .await;
        let home1 = scalar(
            &app,
            "SELECT id FROM users WHERE username = 'jinhua-home1'".into(),
        )
        .await;
        let before = scalar(&app, "SELECT COUNT(*) FROM care_assignments".into()).await;
        // The same person as carer and backup: refused in words, nothing written.
        let (free_s, home1_s) = (free.to_string(), home1.to_string());
        let (s, refused) = post(
            &leader,
            &app,
            "/care/assign",
            &[
                ("csrf", &csrf),
                ("resident", &free_s),
                ("primary", &home1_s),
                ("backup", &home1_s),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(
            refused.contains("id=\"care-error\"") && refused.contains("换班要交给另一个人"),
            "{refused}"
        );
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM care_assignments".into()).await,
            before
        );
        let (s, _) = post(
            &leader,
            &app,
            "/care/assign",
            &[
                ("csrf", &csrf),
                ("resident", &free_s),
                ("primary", &home1_s),
                ("backup", ""),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let day = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
            .to_string();
        shouhu_server::service::care::plan(&app.db.db, &day)
            .await
            .unwrap();
        let call = scalar(
            &app,
            format!("SELECT id FROM care_calls WHERE resident_id = {free} AND day = '{day}'"),
        )
        .await;
        let carer = common::sign_in_page(&app, "jinhua-home1").await;
        let (_, html) = page(&carer, &app, "/today").await;
        assert!(
            html.contains(&format!("id=\"call-{call}\"")),
            "the call is on the carer's list"
        );
        // A door visit asked of the carer: marked done from "today".
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE care_calls SET status = 'escalated', escalation_reason = 'missed', visit_user_id = {home1} WHERE id = {call}"
        )))
        .execute(&app.db.db.pool)
        .await
        .unwrap();
        let (_, html) = page(&carer, &app, "/today").await;
        assert!(html.contains("id=\"today-visits\""));
        let (s, _) = post(
            &carer,
            &app,
            "/today/visits",
            &[
                ("csrf", &common::csrf_of(&html)),
                ("key", "k1"),
                ("resident", &free_s),
                ("call", &call.to_string()),
                ("kind", "door_visit"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let done = scalar(
            &app,
            format!(
                "SELECT COUNT(*) FROM care_calls WHERE id = {call} AND visit_done_at IS NOT NULL"
            ),
        )
        .await;
        assert_eq!(done, 1);
        // Away tomorrow: a date before the first is refused in words; a good one is kept.
        let (_, html) = page(&carer, &app, "/today").await;
        let csrf = common::csrf_of(&html);
        let (s, refused) = post(
            &carer,
            &app,
            "/today/leave",
            &[
                ("csrf", &csrf),
                ("first_day", &day),
                ("last_day", "2020-01-01"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(refused.contains("id=\"today-error\""), "{refused}");
        let (s, _) = post(
            &carer,
            &app,
            "/today/leave",
            &[
                ("csrf", &csrf),
                ("first_day", &day),
                ("last_day", &day),
                ("note", "发烧"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let kept = scalar(
            &app,
            format!(
                "SELECT COUNT(*) FROM staff_leave WHERE user_id = {home1} AND first_day = '{day}'"
            ),
        )
        .await;
        assert_eq!(kept, 1);
    }
}
