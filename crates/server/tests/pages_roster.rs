//! The duty roster in the pages, on both backends: the demo's week of 金华社区 shows its one gap and
//! the stand-in without a phone; the leader adds a night shift that closes the gap (a refused form
//! names the field); a member asks for a swap and the other takes it with one tap.
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

async fn user_id(app: &common::TestApp, username: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM users WHERE username = '{username}'"
    )))
    .fetch_one(&app.db.db.pool)
    .await
    .unwrap()
}

/// A local datetime-local value `days` from today at `hour`.
fn local_at(days: i64, hour: u32) -> String {
    let tz = chrono_tz::Asia::Shanghai;
    let d = chrono::Utc::now().with_timezone(&tz).date_naive() + chrono::Duration::days(days);
    format!("{}T{hour:02}:00", d)
}

#[tokio::test]
async fn the_leader_sees_the_gap_fills_it_and_a_swap_is_taken_in_the_pages() {
    for app in common::each_demo_app().await {
        let leader = common::sign_in_page(&app, "jinhua-leader").await;
        let (s, html) = page(&leader, &app, "/roster").await;
        assert_eq!(s, 200);
        assert!(
            html.contains("id=\"roster-gap-hours\""),
            "{}",
            app.db.name()
        );
        assert!(html.contains("共 4 小时无人值班"), "the demo's one gap");
        assert!(html.contains("id=\"roster-unreachable\"") && html.contains("孙建新"));
        let csrf = common::csrf_of(&html);
        let medic1 = user_id(&app, "jinhua-medical1").await;
        let person = format!("medical:{medic1}");
        // An end before the start: refused, the field named, nothing added.
        let (s, _, refused) = post(
            &leader,
            &app,
            "/roster/shifts",
            &[
                ("csrf", &csrf),
                ("community", "650203100001"),
                ("person", &person),
                ("kind", "on"),
                ("start", &local_at(2, 23)),
                ("end", &local_at(2, 20)),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(refused.contains("data-field=\"ends_at\""), "{refused}");
        // The day medic stays on for the evening: the gap closes.
        let (s, to, _) = post(
            &leader,
            &app,
            "/roster/shifts",
            &[
                ("csrf", &csrf),
                ("community", "650203100001"),
                ("person", &person),
                ("kind", "on"),
                ("start", &local_at(2, 20)),
                ("end", &local_at(3, 0)),
                ("note", "加班"),
            ],
        )
        .await;
        assert_eq!(
            (s, to.as_str()),
            (303, "/roster?community=650203100001&saved=1")
        );
        let (_, html) = page(&leader, &app, &to).await;
        assert!(html.contains("id=\"roster-no-gaps\""), "gap closed");

        // The night medic asks the day medic to take tomorrow night; the day medic takes it.
        let medic2 = common::sign_in_page(&app, "jinhua-medical2").await;
        let (_, html) = page(&medic2, &app, "/roster").await;
        let csrf2 = common::csrf_of(&html);
        let (s, _, body) = post(
            &medic2,
            &app,
            "/roster/swaps",
            &[
                ("csrf", &csrf2),
                ("community", "650203100001"),
                ("person", &person),
                ("start", &local_at(1, 20)),
                ("end", &local_at(2, 8)),
            ],
        )
        .await;
        assert_eq!(s, 303, "{body}");
        let day = common::sign_in_page(&app, "jinhua-medical1").await;
        let (_, html) = page(&day, &app, "/roster").await;
        assert!(
            html.contains("id=\"roster-asked\""),
            "the swap waits for an answer"
        );
        let at = html.find("/roster/swaps/").unwrap() + "/roster/swaps/".len();
        let id: String = html[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let (s, _, _) = post(
            &day,
            &app,
            &format!("/roster/swaps/{id}/decide"),
            &[
                ("csrf", &common::csrf_of(&html)),
                ("community", "650203100001"),
                ("version", "1"),
                ("decision", "accept"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let status: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT status FROM duty_swaps WHERE id = {id}"
        )))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(status, "accepted");
    }
}
