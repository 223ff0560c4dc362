//! Browser test support: chromedriver and a headless Chromium on a phone-sized window, signing in,
//! screenshots kept as artifacts, and a relay that cuts the network under a page.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::error::CmdError;
use fantoccini::{ClientBuilder, Locator};

pub struct Driver(Child);

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

pub async fn start_driver() -> (Driver, String) {
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

/// A headless Chromium on a 360-pixel-wide window with a fresh profile.
pub async fn chromium(driver_url: &str, profile: &tempfile::TempDir) -> fantoccini::Client {
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
    ClientBuilder::new(connector)
        .capabilities(caps.as_object().unwrap().clone())
        .connect(driver_url)
        .await
        .expect("a Chromium session")
}

/// Keeps what the phone showed as a test artifact (`target/screenshots/NAME.png`, not committed),
/// for a person to look at after the run.
pub async fn screenshot(client: &fantoccini::Client, name: &str) -> Result<(), CmdError> {
    let png = client.screenshot().await?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    Ok(())
}

pub async fn sign_in(client: &fantoccini::Client, base: &str, user: &str) -> Result<(), CmdError> {
    client.goto(&format!("{base}/login")).await?;
    client
        .find(Locator::Id("username"))
        .await?
        .send_keys(user)
        .await?;
    client
        .find(Locator::Id("password"))
        .await?
        .send_keys(super::PW)
        .await?;
    client
        .find(Locator::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    client.wait().for_element(Locator::Id("due-today")).await?;
    Ok(())
}

/// A loopback TCP relay in front of the server that can be cut: connections open through it are
/// closed and new ones refused, as when a guard's phone loses the network.
pub struct Relay {
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    pub base: String,
}

impl Relay {
    pub async fn start(target: &str) -> Relay {
        let target: std::net::SocketAddr = target.trim_start_matches("http://").parse().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (u, l) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !u.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                l.lock().unwrap().push(link);
            }
        });
        Relay { up, links, base }
    }

    pub fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    pub fn restore(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
