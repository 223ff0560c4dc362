//! Help requests in the pages, as a phone uses them, on both backends: a call written down from a
//! household's card (a refused form keeps what was typed), taken by the logistics group (a second
//! taker is told who has it), resolved with its outcome, its history shown.
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

fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_call_is_written_down_taken_and_resolved_in_the_pages() {
    for app in common::each_demo_app().await {
        let token = app.login("nanquan-grid1").await;
        let (_, res) = app.get(&token, "/api/v1/residents?per_page=1").await;
        let hid = res["items"][0]["household_id"].as_i64().unwrap();
        let worker = common::sign_in_page(&app, "nanquan-grid1").await;
        let (_, card) = page(&worker, &app, &format!("/households/{hid}")).await;
        let link = format!("/help/new?household={hid}");
        assert!(card.contains(&format!("href=\"{link}\"")));
        let (s, form) = page(&worker, &app, &link).await;
        assert_eq!(s, 200);
        let (csrf, key) = (common::csrf_of(&form), hidden(&form, "key"));
        let hid_s = hid.to_string();
        // No category, a bad phone: both named, the words kept, nothing taken down.
        let (s, _, refused) = post(
            &worker,
            &app,
            "/help",
            &[
                ("csrf", &csrf),
                ("key", &key),
                ("household", &hid_s),
                ("urgency", "urgent"),
                ("words", "凌晨4点出院，需要车接回"),
                ("contact_phone", "12345"),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert_eq!(
            refused.matches("class=\"field-error\"").count(),
            2,
            "{refused}"
        );
        assert!(refused.contains(">凌晨4点出院，需要车接回</textarea>"));
        assert!(refused.contains("value=\"urgent\" checked"));
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM help_requests WHERE idempotency_key LIKE 'page-%'",
        )
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(n, 0, "nothing taken down");
        // Sent right, twice (a double tap): one request.
        let fields = [
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("household", hid_s.as_str()),
            ("category", "ride"),
            ("urgency", "urgent"),
            ("words", "凌晨4点出院，需要车接回"),
            ("contact_phone", "13800138000"),
        ];
        let (s, to, _) = post(&worker, &app, "/help", &fields).await;
        assert_eq!(s, 303);
        let (_, again, _) = post(&worker, &app, "/help", &fields).await;
        assert_eq!(again, to, "{}", app.db.name());
        let (_, r) = page(&worker, &app, &to).await;
        assert!(r.contains("data-status=\"new\"") && r.contains("id=\"help-claim\""));
        // The logistics group finds it in its list and takes it; the medical group is told who has it.
        let logistics = common::sign_in_page(&app, "nanquan-logistics").await;
        let (_, list) = page(&logistics, &app, "/help?view=group").await;
        assert!(list.contains(&format!("href=\"{to}\"")), "{list}");
        let (_, r) = page(&logistics, &app, &to).await;
        let (s, _, _) = post(
            &logistics,
            &app,
            &format!("{to}/claim"),
            &[("csrf", &common::csrf_of(&r))],
        )
        .await;
        assert_eq!(s, 303);
        let medical = common::sign_in_page(&app, "nanquan-medical").await;
        let (_, m) = page(&medical, &app, &to).await;
        assert!(
            !m.contains("id=\"help-claim\""),
            "already taken: no claim button"
        );
        let (s, _, late) = post(
            &medical,
            &app,
            &format!("{to}/claim"),
            &[("csrf", &common::csrf_of(&m))],
        )
        .await;
        assert_eq!(s, 409);
        assert!(late.contains("已由 南泉社区后勤保障组 接单"), "{late}");
        // Resolved: without the outcome refused (named), with it done; the history says who.
        let (_, r) = page(&logistics, &app, &to).await;
        let (csrf, version) = (common::csrf_of(&r), hidden(&r, "version"));
        let (s, _, body) = post(
            &logistics,
            &app,
            &format!("{to}/move"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("to", "resolved"),
                ("note", ""),
            ],
        )
        .await;
        assert_eq!(s, 422);
        assert!(body.contains("请写明原因"), "{body}");
        let (s, _, _) = post(
            &logistics,
            &app,
            &format!("{to}/move"),
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("to", "resolved"),
                ("note", "已接回家"),
            ],
        )
        .await;
        assert_eq!(s, 303);
        let (_, done) = page(&worker, &app, &to).await;
        assert!(done.contains("data-status=\"resolved\"") && done.contains("已接回家"));
        let history = &done[done.find("id=\"help-history\"").unwrap()..];
        for said in ["待接单", "已接单", "已解决", "南泉社区后勤保障组"] {
            assert!(history.contains(said), "{said} in the history");
        }
        let (_, closed) = page(&worker, &app, "/help?view=closed").await;
        assert!(closed.contains(&format!("href=\"{to}\"")));
    }
}
