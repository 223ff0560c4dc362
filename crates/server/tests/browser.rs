//! The browser test: headless Chromium (driven by chromedriver over WebDriver) signs in as
//! `nanquan-grid1` on a 360-pixel-wide window, opens the residents list and sees only grid 1.
//!
//! Runs when `SHOUHU_TEST_BROWSER=1` (set by `.ci/run`, which installs Debian's chromium and
//! chromium-driver); otherwise it says it was skipped.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_driver() -> (Driver, String) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (apt-get install chromium-driver)");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if reqwest::get(format!("{url}/status")).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (Driver(child), url)
}

#[tokio::test]
async fn a_grid_worker_signs_in_on_a_phone_and_sees_only_grid_one() {
    if std::env::var("SHOUHU_TEST_BROWSER").as_deref() != Ok("1") {
        eprintln!("SHOUHU_TEST_BROWSER unset: browser test SKIPPED");
        return;
    }
    let db = common::sqlite().await;
    common::seed_demo(&db.db).await;
    let app = common::spawn_app(db, true).await;
    let (_driver, driver_url) = start_driver().await;
    let profile = tempfile::tempdir().unwrap();
    let caps = serde_json::json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=360,800",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }
    });
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&driver_url)
        .await
        .expect("a Chromium session");
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
