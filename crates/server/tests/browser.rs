//! The browser test: headless Chromium (driven by chromedriver over WebDriver) signs in as
//! `nanquan-grid1` on a 360-pixel-wide window, opens the residents list and sees only grid 1.
//!
//! Runs when `SHOUHU_TEST_BROWSER=1` was set at build (`.ci/run` sets it and installs Debian's
//! chromium and chromium-driver); otherwise `cargo test` lists these tests as ignored.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::browser::{Relay, chromium, screenshot, sign_in, start_driver};
use fantoccini::Locator;
use fantoccini::error::CmdError;

#[tokio::test]
#[cfg_attr(
    not(shouhu_test_browser),
    ignore = "needs SHOUHU_TEST_BROWSER=1 at build"
)]
async fn a_grid_worker_signs_in_on_a_phone_and_sees_only_grid_one() {
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = chromium(&driver_url, &profile).await;
    let result = async {
        client.goto(&app.url("/residents")).await?;
        // Not signed in: the page sends the browser to sign in.
        assert!(client.current_url().await?.path().ends_with("/login"));
        client
            .find(Locator::Id("username"))
            .await?
            .send_keys("nanquan-grid1")
            .await?;
        client
            .find(Locator::Id("password"))
            .await?
            .send_keys(common::PW)
            .await?;
        client
            .find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Id("due-today")).await?;
        client.goto(&app.url("/residents")).await?;
        let rows = client.find_all(Locator::Css("#residents li.row")).await?;
        assert_eq!(rows.len(), 20);
        for row in &rows {
            assert_eq!(
                row.attr("data-grid").await?.as_deref(),
                Some("650203002005001")
            );
        }
        let total = client.find(Locator::Id("total")).await?.text().await?;
        assert!(total.starts_with('共'), "Chinese by default: {total}");
        // Usable at 360 px: nothing wider than the window.
        let overflow = client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await?;
        assert_eq!(
            overflow,
            serde_json::Value::Bool(true),
            "no horizontal scrolling on a phone"
        );
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
}

/// A visitor the service refuses: the guard reads why in words, each field at fault by its label.
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_browser),
    ignore = "needs SHOUHU_TEST_BROWSER=1 at build"
)]
async fn a_refused_visitor_is_explained_in_words_at_the_gate() {
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = chromium(&driver_url, &profile).await;
    let result = async {
        client.set_window_size(360, 640).await?;
        sign_in(&client, &app.base, "nanquan-gate-east").await?;
        client.goto(&app.url("/gate")).await?;
        client.find(Locator::Css("#visitor-form")).await?;
        client
            .execute(
                "document.querySelector('#visitor-form').closest('details').open = true;",
                vec![],
            )
            .await?;
        for (id, typed) in [
            ("v-name", "张三"),
            ("v-phone", "1380013"),
            ("v-building", "1号楼"),
            ("v-room", "101"),
            ("v-purpose", "探亲"),
            ("v-plate", "ABC"),
        ] {
            client.find(Locator::Id(id)).await?.send_keys(typed).await?;
        }
        client
            .find(Locator::Css("#visitor-form button[type=submit]"))
            .await?
            .click()
            .await?;
        let mut said = String::new();
        for _ in 0..100 {
            said = client
                .find(Locator::Id("visitor-answer"))
                .await?
                .text()
                .await?;
            if !said.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(said.contains("访客手机号：手机号应为"), "{said}");
        assert!(said.contains("车牌号不对"), "both faults: {said}");
        assert!(
            !said.is_ascii() && !said.contains("invalid"),
            "no codes or English: {said}"
        );
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
}

/// The night's request on a phone: the medical group finds the 04:00 call still waiting, opens it
/// and takes it with one tap; the page then names who has it.
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_browser),
    ignore = "needs SHOUHU_TEST_BROWSER=1 at build"
)]
async fn the_medical_group_takes_the_night_request_on_a_phone() {
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = chromium(&driver_url, &profile).await;
    let result = async {
        client.set_window_size(360, 640).await?;
        sign_in(&client, &app.base, "nanquan-medical").await?;
        client.goto(&app.url("/help?view=overdue")).await?;
        client
            .find(Locator::Css("#help-requests li[data-urgency=critical] a"))
            .await?
            .click()
            .await?;
        let claim = client.wait().for_element(Locator::Css("#help-claim button")).await?;
        screenshot(&client, "help-night-360").await?;
        // The button is on the first screen, under the thumb.
        let bottom = client
            .execute(
                "return document.querySelector('#help-claim button').getBoundingClientRect().bottom;",
                vec![],
            )
            .await?;
        assert!(bottom.as_f64().unwrap() <= 640.0, "the claim button is in view: {bottom}");
        claim.click().await?;
        let mut who = String::new();
        for _ in 0..100 {
            // The page is being replaced after the tap: an element found on the old page may be
            // gone by the time it is read (stale); look again.
            if let Ok(e) = client.find(Locator::Id("help-assignee")).await
                && let Ok(text) = e.text().await
            {
                who = text;
            }
            if who != "—" && !who.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(who, "南泉社区医疗保障组");
        let status = client.find(Locator::Id("help-request")).await?.attr("data-status").await?;
        assert_eq!(status.as_deref(), Some("acknowledged"));
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
}

/// A round of temperatures on a phone: after one person's reading is recorded the list moves up,
/// and Back must not put the typed reading into the field of the person who is now first.
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_browser),
    ignore = "needs SHOUHU_TEST_BROWSER=1 at build"
)]
async fn a_typed_temperature_is_never_restored_onto_another_person() {
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = chromium(&driver_url, &profile).await;
    let typed = r#"return [...document.querySelectorAll('#round-form input[inputmode]')]
        .filter(i => i.value !== '').length;"#;
    let result = async {
        client.set_window_size(360, 640).await?;
        sign_in(&client, &app.base, "nanquan-leader").await?;
        screenshot(&client, "leader-home-360").await?;
        // Boxes and dots sit before their words, not stretched across the line above them.
        client.goto(&app.url("/surveys")).await?;
        let boxes = client
            .execute(
                r#"return [...document.querySelectorAll('input[type=checkbox], input[type=radio]')].map(i => {
                    const b = i.getBoundingClientRect(), l = i.closest('label').getBoundingClientRect();
                    return [b.width, l.height];
                });"#,
                vec![],
            )
            .await?;
        let boxes: Vec<(f64, f64)> = serde_json::from_value(boxes).unwrap();
        assert!(!boxes.is_empty(), "the new survey's grids are checkboxes");
        for (width, line) in boxes {
            assert!(width < 40.0 && line < 60.0, "a box {width} px wide on a line {line} px high");
        }
        // The round: the leader picks a grid, then a building.
        client.goto(&app.url("/health/round")).await?;
        client.find(Locator::Css("#round-grids a")).await?.click().await?;
        client
            .wait()
            .for_element(Locator::Css("#round-buildings a + a"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Css("#round-form .reading")).await?;
        screenshot(&client, "health-round-360").await?;
        // The leader's menu, the longest, is one row on a phone: the page starts on the first screen.
        let menu = client
            .execute(
                "return document.querySelector('nav.menu').getBoundingClientRect().height;",
                vec![],
            )
            .await?;
        assert!(menu.as_f64().unwrap() <= 60.0, "the menu is {menu} px high");
        let overflow = client
            .execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await?;
        assert_eq!(overflow, serde_json::json!(true), "the page itself does not scroll sideways");
        let first = client.find(Locator::Css("#round-form .reading")).await?;
        let who = first.attr("data-resident").await?.unwrap_or_default();
        first
            .find(Locator::Css("input[inputmode]"))
            .await?
            .send_keys("36.6")
            .await?;
        client.find(Locator::Css("#round-submit")).await?.click().await?;
        // Recorded: the page says so and the person has left the list.
        client.wait().for_element(Locator::Css("#round-saved")).await?;
        let gone = format!(r#".reading[data-resident="{who}"]"#);
        assert!(client.find_all(Locator::Css(&gone)).await?.is_empty(), "recorded");
        // Back: the list is fetched afresh (the recorded person gone), never a picture of the old
        // one with the reading still typed in.
        client.back().await?;
        let fresh = format!(
            "return document.readyState === 'complete' && !!document.querySelector('#round-form') \
             && !document.querySelector('{gone}');"
        );
        let mut shown_fresh = false;
        for _ in 0..100 {
            if client.execute(&fresh, vec![]).await.ok() == Some(serde_json::json!(true)) {
                shown_fresh = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(shown_fresh, "Back shows the list as it is now");
        let restored = client.execute(typed, vec![]).await?;
        assert_eq!(restored, serde_json::json!(0), "no reading restored onto anyone");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
}

async fn scans_logged(app: &common::TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM gate_scans")
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

async fn queued(client: &fantoccini::Client) -> Result<u64, CmdError> {
    let n = client
        .execute(
            "return JSON.parse(localStorage.getItem('shouhu.gate.queue') || '[]').length;",
            vec![],
        )
        .await?;
    Ok(n.as_u64().unwrap_or(0))
}

/// Waits up to 20 s for `queued` to reach `n`.
async fn wait_queued(client: &fantoccini::Client, n: u64) -> Result<u64, CmdError> {
    let mut last = queued(client).await?;
    for _ in 0..100 {
        if last == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        last = queued(client).await?;
    }
    Ok(last)
}

#[tokio::test]
#[cfg_attr(
    not(shouhu_test_browser),
    ignore = "needs SHOUHU_TEST_BROWSER=1 at build"
)]
async fn scans_made_offline_at_the_gate_are_logged_once_when_the_network_returns() {
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    let relay = Relay::start(&app.base).await;
    let leader = app.login("nanquan-leader").await;
    let (_, res) = app.get(&leader, "/api/v1/residents?per_page=40").await;
    let mut households: Vec<i64> = res["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["household_id"].as_i64().unwrap())
        .collect();
    households.dedup();
    let mut codes = Vec::new();
    for h in households.iter().take(3) {
        let (_, p) = app
            .get(&leader, &format!("/api/v1/households/{h}/pass"))
            .await;
        codes.push(p["code"].as_str().unwrap().to_string());
    }
    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = chromium(&driver_url, &profile).await;
    let result = async {
        client.set_window_size(360, 640).await?;
        sign_in(&client, &relay.base, "nanquan-gate-east").await?;
        client.goto(&format!("{}/gate", relay.base)).await?;
        client.wait().for_element(Locator::Id("scan-form")).await?;
        // Online: the answer comes at once, large and green.
        let code = client.find(Locator::Id("code")).await?;
        code.send_keys(&format!("{}\u{E007}", codes[0])).await?;
        let answer = client
            .wait()
            .for_element(Locator::Css("#answer.allow"))
            .await?;
        assert!(answer.text().await?.contains("放行"));
        assert_eq!(scans_logged(&app).await, 1);
        // On a 360×640 phone the answer is in view without scrolling, the code field still within
        // thumb's reach, and every word of the answer (the holder's name above all) readable on
        // its colour: WCAG AA, a contrast of 4.5 at least.
        let seen = client
            .execute(
                r#"const lum = c => {
                       const v = c.match(/[\d.]+/g).slice(0, 3).map(Number).map(x => x / 255)
                           .map(x => x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4));
                       return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
                   };
                   const a = document.getElementById('answer'), r = a.getBoundingClientRect();
                   const code = document.getElementById('code').getBoundingClientRect();
                   const bg = lum(getComputedStyle(a).backgroundColor);
                   const contrast = [...a.querySelectorAll('strong, span')].filter(e => e.textContent).map(e => {
                       const fg = lum(getComputedStyle(e).color);
                       return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
                   });
                   return {top: r.top, bottom: r.bottom, height: innerHeight, code: code.bottom,
                           who: document.getElementById('answer-who').textContent, contrast};"#,
                vec![],
            )
            .await?;
        screenshot(&client, "gate-answer-360").await?;
        let inside = |k: &str| seen[k].as_f64().unwrap();
        assert!(inside("top") >= 0.0 && inside("bottom") <= inside("height"), "answer in view: {seen}");
        assert!(inside("code") <= inside("height"), "code field in view: {seen}");
        assert!(!seen["who"].as_str().unwrap().is_empty(), "the holder is named: {seen}");
        for c in seen["contrast"].as_array().unwrap() {
            assert!(c.as_f64().unwrap() >= 4.5, "contrast {c}: {seen}");
        }
        // The network drops: three scans wait in the page (one typed by a scanner ending in Enter).
        relay.cut();
        for (i, c) in codes.iter().enumerate() {
            let code = client.find(Locator::Id("code")).await?;
            code.send_keys(&format!("{c}\u{E007}")).await?;
            // Each is queued before the next is typed, as a guard scans one person at a time.
            assert_eq!(wait_queued(&client, i as u64 + 1).await?, i as u64 + 1);
        }
        assert_eq!(wait_queued(&client, 3).await?, 3, "three scans queued");
        client
            .wait()
            .for_element(Locator::Css("#answer.queued"))
            .await?;
        assert_eq!(scans_logged(&app).await, 1, "nothing reached the server");
        let kept = client
            .execute("return localStorage.getItem('shouhu.gate.queue');", vec![])
            .await?;
        // The network returns: the page sends them with their keys, each logged once.
        relay.restore();
        assert_eq!(wait_queued(&client, 0).await?, 0, "the queue drains");
        assert_eq!(scans_logged(&app).await, 4);
        // Sent again (a replay whose answer was lost): the keys make it change nothing.
        client
            .execute(
                "localStorage.setItem('shouhu.gate.queue', arguments[0]);",
                vec![kept],
            )
            .await?;
        assert_eq!(wait_queued(&client, 0).await?, 0);
        assert_eq!(scans_logged(&app).await, 4, "exactly once");
        // The first code went out online; its offline exit is refused by the quota, the others
        // were allowed: decisions were made when the scans arrived.
        let denied: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM gate_scans WHERE decision = 'deny' AND reason = 'exit_quota'",
        )
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
        assert_eq!(denied, 1);
        // A scan left in the queue at sign-out does not stay in the browser — even when the
        // sign-out itself cannot reach the server (the page clears it before it leaves).
        relay.cut();
        let code = client.find(Locator::Id("code")).await?;
        code.send_keys(&format!("{}\u{E007}", codes[1])).await?;
        assert_eq!(wait_queued(&client, 1).await?, 1);
        client
            .execute(
                "document.querySelector('form[action=\"/logout\"]').requestSubmit();",
                vec![],
            )
            .await?;
        // The browser has left the page (for the sign-out, which the cut network refuses).
        let mut left_gate = false;
        for _ in 0..100 {
            if client.current_url().await?.path().ends_with("/logout") {
                left_gate = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(left_gate, "the sign-out was submitted");
        relay.restore();
        client.goto(&format!("{}/login", relay.base)).await?;
        let left = client
            .execute("return localStorage.getItem('shouhu.gate.queue');", vec![])
            .await?;
        assert_eq!(left, serde_json::Value::Null, "queue cleared at sign-out");
        assert_eq!(scans_logged(&app).await, 4, "and never sent");
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
}

/// The daily call on a phone: a grid worker opens "today", the resident does not answer (one tap),
/// then answers (one tap): the call shows as reached, and the record holds both tries.
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_browser),
    ignore = "needs SHOUHU_TEST_BROWSER=1 at build"
)]
async fn a_grid_worker_logs_the_daily_call_on_a_phone() {
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    // One more resident given to the grid worker, so that today holds a call still to make.
    let leader = app.login("jinhua-leader").await;
    let free: i64 = sqlx::query_scalar(
        "SELECT MIN(r.id) FROM residents r JOIN org_units g ON g.id = r.grid_id \
         WHERE g.code = '650203100001001' AND NOT EXISTS (SELECT 1 FROM care_assignments a \
         WHERE a.resident_id = r.id AND a.ended_at IS NULL)",
    )
    .fetch_one(&app.db.db.pool)
    .await
    .unwrap();
    let worker: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'jinhua-grid1'")
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap();
    let (s, v) = app
        .send(
            &leader,
            reqwest::Method::POST,
            "/api/v1/care/assignments",
            serde_json::json!({"resident_id": free, "primary_user_id": worker}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
        .to_string();
    shouhu_server::service::care::plan(&app.db.db, &today)
        .await
        .unwrap();
    let call: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM care_calls WHERE resident_id = {free} AND day = '{today}'"
    )))
    .fetch_one(&app.db.db.pool)
    .await
    .unwrap();
    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = chromium(&driver_url, &profile).await;
    let row = format!("#call-{call}");
    let result = async {
        client.set_window_size(360, 640).await?;
        sign_in(&client, &app.base, "jinhua-grid1").await?;
        client.goto(&app.url("/today")).await?;
        client
            .find(Locator::Css(&format!("{row} button[value=no_answer]")))
            .await?
            .click()
            .await?;
        // Back on the list, the call still due, with its try counted.
        let mut status = None;
        for _ in 0..100 {
            if let Ok(e) = client.find(Locator::Css(&row)).await
                && let Ok(text) = e.text().await
                && text.contains("打了 1 次")
            {
                status = e.attr("data-status").await.ok().flatten();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status.as_deref(), Some("due"));
        screenshot(&client, "care-call-360").await?;
        client
            .find(Locator::Css(&format!("{row} button[value=reached_well]")))
            .await?
            .click()
            .await?;
        let mut status = None;
        for _ in 0..100 {
            if let Ok(e) = client.find(Locator::Css(&row)).await
                && let Ok(Some(s)) = e.attr("data-status").await
                && s == "reached"
            {
                status = Some(s);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(status.as_deref(), Some("reached"));
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
    let outcomes: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT outcome FROM care_attempts WHERE call_id = {call} ORDER BY id"
    )))
    .fetch_all(&app.db.db.pool)
    .await
    .unwrap();
    assert_eq!(outcomes, ["no_answer", "reached_well"]);
}
