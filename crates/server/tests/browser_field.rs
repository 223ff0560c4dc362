//! Field work offline (离线采集) in headless Chromium on a 360-pixel phone: a grid worker records
//! temperatures on the round and a survey visit with the network cut; they wait on the phone. The
//! community's leader then signs in on the same browser and visits the same household: the
//! worker's queue is neither sent nor deleted. The worker returns: the readings are recorded exactly
//! once (also when the queue is sent again), and the visit, overtaken by the leader's, is not
//! written over but waits under "needs attention".
//!
//! Runs when `SHOUHU_TEST_BROWSER=1` was set at build (see tests/browser.rs).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::browser::{Relay, chromium, screenshot, sign_in, start_driver};
use fantoccini::Locator;
use fantoccini::error::CmdError;

async fn scalar(app: &common::TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

/// The worker's queue as the phone holds it: how many records wait.
async fn waiting(client: &fantoccini::Client, user: i64) -> Result<u64, CmdError> {
    let n = client
        .execute(
            &format!(
                "return JSON.parse(localStorage.getItem('shouhu.field.queue.{user}') || '[]')\
                 .reduce((n, e) => n + (e.n || 1), 0);"
            ),
            vec![],
        )
        .await?;
    Ok(n.as_u64().unwrap_or(0))
}

async fn wait_waiting(client: &fantoccini::Client, user: i64, n: u64) -> Result<u64, CmdError> {
    let mut last = waiting(client, user).await?;
    for _ in 0..150 {
        if last == n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        last = waiting(client, user).await?;
    }
    Ok(last)
}

#[tokio::test]
#[cfg_attr(
    not(shouhu_test_browser),
    ignore = "needs SHOUHU_TEST_BROWSER=1 at build"
)]
async fn a_round_and_a_visit_made_offline_are_sent_once_by_their_own_worker() {
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    let relay = Relay::start(&app.base).await;
    let worker = scalar(
        &app,
        "SELECT id FROM users WHERE username = 'nanquan-grid1'",
    )
    .await;
    let leader = scalar(
        &app,
        "SELECT id FROM users WHERE username = 'nanquan-leader'",
    )
    .await;
    let grid: String = sqlx::query_scalar(
        "SELECT g.code FROM org_units g JOIN staff_units su ON su.unit_id = g.id \
         JOIN users u ON u.id = su.user_id WHERE u.username = 'nanquan-grid1' ORDER BY g.code",
    )
    .fetch_one(&app.db.db.pool)
    .await
    .unwrap();
    let survey = scalar(&app, "SELECT MIN(id) FROM surveys WHERE status = 'open'").await;
    let household = scalar(
        &app,
        &format!(
            "SELECT MIN(h.id) FROM households h JOIN org_units g ON g.id = h.grid_id \
             WHERE g.code = '{grid}' AND h.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM \
             survey_visits v WHERE v.household_id = h.id AND v.survey_id = {survey})"
        ),
    )
    .await;
    let visit_page = format!("{}/surveys/{survey}/households/{household}", relay.base);
    let checks_before = scalar(&app, "SELECT COUNT(*) FROM health_checks").await;

    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = chromium(&driver_url, &profile).await;
    let result = async {
        sign_in(&client, &relay.base, "nanquan-grid1").await?;
        // Two pages open on the phone while there is signal: the visit and the round.
        client.goto(&visit_page).await?;
        client.wait().for_element(Locator::Id("visit")).await?;
        let visit_tab = client.window().await?;
        let round_tab = client.new_window(true).await?.handle;
        client.switch_to_window(round_tab.clone()).await?;
        client
            .goto(&format!("{}/health/round?grid={grid}", relay.base))
            .await?;
        client.wait().for_element(Locator::Id("round-form")).await?;

        // On the staircase: no signal.
        relay.cut();
        let inputs = client
            .find_all(Locator::Css("#round-form input[inputmode=decimal]"))
            .await?;
        inputs[0].send_keys("36.6").await?;
        inputs[1].send_keys("38.1").await?;
        client
            .find(Locator::Id("round-submit"))
            .await?
            .click()
            .await?;
        assert_eq!(
            wait_waiting(&client, worker, 2).await?,
            2,
            "two readings kept"
        );
        client
            .wait()
            .for_element(Locator::Css("#field-saved:not([hidden])"))
            .await?;
        let shown = client
            .find(Locator::Id("field-waiting"))
            .await?
            .text()
            .await?;
        assert!(shown.contains('2'), "{shown}");
        screenshot(&client, "field-round-offline-360").await?;
        // The people just kept cannot be taken twice from this page.
        assert_eq!(inputs[0].attr("disabled").await?.as_deref(), Some("true"));

        client.switch_to_window(visit_tab.clone()).await?;
        client
            .find(Locator::Css("input[name=status][value=nobody_home]"))
            .await?
            .click()
            .await?;
        client
            .find(Locator::Id("save-visit"))
            .await?
            .click()
            .await?;
        assert_eq!(wait_waiting(&client, worker, 3).await?, 3, "and the visit");
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            checks_before,
            "nothing reached the server"
        );
        let kept = client
            .execute(
                &format!("return localStorage.getItem('shouhu.field.queue.{worker}');"),
                vec![],
            )
            .await?;

        // The worker's pages are left; the leader signs in on the same phone, with signal, and
        // visits the same household (the household was visited meanwhile by someone else).
        client.goto("about:blank").await?;
        client.close_window().await?;
        client.switch_to_window(round_tab).await?;
        client.goto("about:blank").await?;
        relay.restore();
        sign_in(&client, &relay.base, "nanquan-leader").await?;
        client.goto(&visit_page).await?;
        client.wait().for_element(Locator::Id("visit")).await?;
        client
            .find(Locator::Css("input[name=status][value=refused]"))
            .await?
            .click()
            .await?;
        client
            .find(Locator::Id("save-visit"))
            .await?
            .click()
            .await?;
        // Saved: the page's script follows the server to the survey. Wait for it, or that
        // navigation would leave the next page under the test's feet.
        let mut saved = false;
        for _ in 0..100 {
            if client.current_url().await?.query() == Some("saved=1") {
                saved = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(saved, "the leader's visit was saved");
        // A few of the page's replay rounds pass on the leader's round page.
        client
            .goto(&format!("{}/health/round?grid={grid}", relay.base))
            .await?;
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert_eq!(waiting(&client, leader).await?, 0);
        assert_eq!(
            waiting(&client, worker).await?,
            3,
            "another worker neither sends nor deletes it"
        );
        let hidden = client
            .find(Locator::Id("field-queue"))
            .await?
            .attr("hidden")
            .await?;
        assert!(hidden.is_some(), "and does not see it");
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            checks_before
        );

        // The worker is back: the queue goes, each record once.
        sign_in(&client, &relay.base, "nanquan-grid1").await?;
        client
            .goto(&format!("{}/health/round?grid={grid}", relay.base))
            .await?;
        assert_eq!(
            wait_waiting(&client, worker, 0).await?,
            0,
            "the queue drains"
        );
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            checks_before + 2
        );
        // Both clocks are kept.
        assert_eq!(
            scalar(
                &app,
                &format!(
                    "SELECT COUNT(*) FROM health_checks WHERE recorded_by = {worker} \
                     AND device_at IS NOT NULL AND device_at <= checked_at"
                )
            )
            .await,
            2
        );
        // The visit was overtaken: the leader's stands, the worker's waits for them, in words.
        let by = scalar(
            &app,
            &format!(
                "SELECT updated_by FROM survey_visits WHERE survey_id = {survey} \
                 AND household_id = {household}"
            ),
        )
        .await;
        assert_eq!(by, leader);
        let attention = client
            .wait()
            .for_element(Locator::Css("#field-attention:not([hidden]) li"))
            .await?
            .text()
            .await?;
        assert!(attention.contains("其他人走访"), "{attention}");
        screenshot(&client, "field-attention-360").await?;
        // The same queue sent again (an answer lost on the way): nothing is recorded twice.
        client
            .execute(
                &format!("localStorage.setItem('shouhu.field.queue.{worker}', arguments[0]);"),
                vec![kept],
            )
            .await?;
        assert_eq!(wait_waiting(&client, worker, 0).await?, 0);
        assert_eq!(
            scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
            checks_before + 2,
            "exactly once"
        );
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
}

/// A resident's phone: the household's link opened in Chromium with no account, a temperature
/// tapped in, the page says it was reported and by whom.
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_browser),
    ignore = "needs SHOUHU_TEST_BROWSER=1 at build"
)]
async fn a_resident_reports_a_temperature_through_the_household_link() {
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    let worker = app.login("nanquan-grid1").await;
    let household = scalar(
        &app,
        "SELECT MIN(h.id) FROM households h JOIN staff_units su ON su.unit_id = h.grid_id \
         JOIN users u ON u.id = su.user_id WHERE u.username = 'nanquan-grid1' \
         AND EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id AND r.deleted_at IS NULL)",
    )
    .await;
    let (s, link) = app
        .send(
            &worker,
            reqwest::Method::POST,
            &format!("/api/v1/households/{household}/resident-link"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 201);
    let path = link["path"].as_str().unwrap().to_string();
    let before = scalar(&app, "SELECT COUNT(*) FROM health_checks").await;
    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let client = chromium(&driver_url, &profile).await;
    let result = async {
        client.goto(&app.url(&path)).await?;
        let row = client
            .wait()
            .for_element(Locator::Css("#members li.row"))
            .await?;
        let field = row.find(Locator::Css("input[name=temperature]")).await?;
        field.clear().await?;
        field.send_keys("37.9").await?;
        row.find(Locator::Css("button[type=submit]"))
            .await?
            .click()
            .await?;
        let sent = client.wait().for_element(Locator::Id("sent")).await?;
        assert!(sent.text().await?.contains("体温已上报"));
        let reported = client
            .find(Locator::Css("#members li.row .self-reading"))
            .await?
            .text()
            .await?;
        assert!(reported.contains("37.9°C"), "{reported}");
        assert!(reported.contains("本人上报"), "{reported}");
        assert!(reported.contains("发热"), "{reported}");
        screenshot(&client, "resident-self-report-360").await?;
        Ok::<(), CmdError>(())
    }
    .await;
    let _ = client.close().await;
    result.unwrap();
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM health_checks").await,
        before + 1
    );
    let alerts = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM alerts a JOIN residents r ON r.id = a.resident_id \
             WHERE r.household_id = {household} AND a.status = 'open'"
        ),
    )
    .await;
    assert!(alerts >= 1, "the fever reached the medical group");
}
