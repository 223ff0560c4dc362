//! SQLite on a disk that fills up: the database lives on a small tmpfs, a file takes the rest of
//! it, and temperatures are recorded until the disk refuses. Every refusal is a 503 to try again
//! (never a 500), nothing refused is kept, everything acknowledged is; when the file goes, writes
//! succeed again without a restart, on every connection of the pool.
//!
//! Needs root to mount the tmpfs: runs when `SHOUHU_TEST_DISK_FULL=1` was set at build (`.ci/run`
//! sets it), otherwise listed as ignored.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

/// A tmpfs mounted on a fresh directory, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(megabytes: u32) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a tmpfs needs root");
        Tmpfs(dir)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

/// Fills the file system at `path` to the last byte with a file of its own; returns the file.
fn fill(path: &std::path::Path) -> std::path::PathBuf {
    let filler = path.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    let mut small = vec![0u8; 512];
    loop {
        if f.write_all(&chunk).is_err() {
            break;
        }
    }
    // What is left after the last whole chunk.
    while f.write_all(&small).is_ok() {}
    small.truncate(1);
    while f.write_all(&small).is_ok() {}
    let _ = f.sync_all();
    filler
}

async fn checks_kept(app: &common::TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM health_checks")
        .fetch_one(&app.db.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
#[cfg_attr(
    not(shouhu_test_disk_full),
    ignore = "needs SHOUHU_TEST_DISK_FULL=1 at build (and root)"
)]
async fn a_full_disk_is_a_503_keeps_nothing_refused_and_heals_when_space_returns() {
    let disk = Tmpfs::mount(48);
    let url = format!("sqlite://{}/shouhu.db", disk.0.path().display());
    let db = shouhu_server::db::Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    common::seed_demo(&db).await;
    let t = common::TestDb::wrap(db, url);
    let app = common::spawn_app(t, true).await;
    let grid1 = app.login("nanquan-grid1").await;
    let people = app.get(&grid1, "/api/v1/residents?per_page=100").await.1["items"]
        .as_array()
        .unwrap()
        .clone();
    let batch = |round: usize| -> Value {
        let items: Vec<Value> = people
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({"resident_id": r["id"], "temperature": 36.5, "source": "door",
                       "idempotency_key": format!("round{round}-{i}")})
            })
            .collect();
        json!({ "items": items })
    };
    let before = checks_kept(&app).await;
    let filler = fill(disk.0.path());

    // Until the disk refuses: each answer is a success or a 503, never anything else.
    let (mut acknowledged, mut refused, mut round) = (0i64, 0, 0);
    while refused < 8 && round < 400 {
        round += 1;
        let (s, r) = app
            .send(
                &grid1,
                Method::POST,
                "/api/v1/health-checks/batch",
                batch(round),
            )
            .await;
        match s {
            200 => acknowledged += r["recorded"].as_i64().unwrap(),
            503 => refused += 1,
            other => panic!("round {round}: {other} {r}"),
        }
    }
    assert!(
        refused >= 8,
        "the full disk refused writes ({round} rounds)"
    );
    assert_eq!(
        checks_kept(&app).await - before,
        acknowledged,
        "what was acknowledged is kept, and nothing else"
    );

    // Space returns: writes succeed again — on every pooled connection, without a restart.
    std::fs::remove_file(filler).unwrap();
    for extra in 0..24 {
        let (s, r) = app
            .send(
                &grid1,
                Method::POST,
                "/api/v1/health-checks/batch",
                batch(10_000 + extra),
            )
            .await;
        assert_eq!(s, 200, "after space returned, write {extra}: {r}");
        acknowledged += r["recorded"].as_i64().unwrap();
    }
    assert_eq!(checks_kept(&app).await - before, acknowledged);
    let (s, _) = app.get(&grid1, "/api/v1/residents?per_page=1").await;
    assert_eq!(s, 200);
}
