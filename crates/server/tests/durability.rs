//! SECURITY.md F: a write is acknowledged only once committed, so a server killed with SIGKILL
//! comes back with every acknowledged write — on SQLite (WAL, synchronous=FULL) and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(url: &str, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shouhu"))
        .args([
            "demo",
            "--database",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

#[tokio::test]
async fn acknowledged_writes_survive_a_sigkill() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let port = free_port();
        let mut server = start(&t.url, port).await;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let login: serde_json::Value = client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"username": "nanquan-grid1", "password": common::PW}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_string();
        let list: serde_json::Value = client
            .get(format!("{base}/api/v1/residents?per_page=30"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // One write acknowledged for certain, then concurrent ones still arriving at the kill.
        let first = &list["items"][0];
        let resp = client
            .patch(format!("{base}/api/v1/residents/{}", first["id"]))
            .bearer_auth(&token)
            .json(&json!({"note": "visited first", "version": first["version"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let mut acknowledged = vec![(first["id"].as_i64().unwrap(), "visited first".to_string())];
        let mut tasks = Vec::new();
        for (i, r) in list["items"].as_array().unwrap().iter().enumerate().skip(1) {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            let (id, version) = (r["id"].as_i64().unwrap(), r["version"].as_i64().unwrap());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i as u64 * 3)).await;
                let resp = client
                    .patch(format!("{base}/api/v1/residents/{id}"))
                    .bearer_auth(&token)
                    .json(&json!({"note": format!("visited {i}"), "version": version}))
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status() == 200 => Some((id, format!("visited {i}"))),
                    _ => None,
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(45)).await;
        server.kill().unwrap();
        server.wait().unwrap();
        for task in tasks {
            if let Some(done) = task.await.unwrap() {
                acknowledged.push(done);
            }
        }
        let mut server = start(&t.url, port).await;
        let token = {
            let v: serde_json::Value = client
                .post(format!("{base}/api/v1/session"))
                .json(&json!({"username": "nanquan-grid1", "password": common::PW}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["token"].as_str().unwrap().to_string()
        };
        for (id, note) in &acknowledged {
            let r: serde_json::Value = client
                .get(format!("{base}/api/v1/residents/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                r["note"].as_str(),
                Some(note.as_str()),
                "{}: resident {id}",
                t.name()
            );
        }
        server.kill().unwrap();
        server.wait().unwrap();
        let verdict = shouhu_server::db::audit::verify(&t.db).await.unwrap();
        assert!(
            matches!(verdict, shouhu_server::db::audit::Verdict::Intact { .. }),
            "{}: the audit chain survives the kill: {verdict:?}",
            t.name()
        );
    }
}

/// What the SIGKILL test cannot tell: a killed process's writes already handed to the kernel
/// survive whatever `synchronous` says; only a power loss or a crash of the machine would show
/// `OFF`. So every pooled SQLite connection is checked to run as the durability rule needs —
/// WAL, `synchronous = FULL` (2), foreign keys on.
#[tokio::test]
async fn every_sqlite_connection_syncs_each_commit() {
    let t = common::sqlite().await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut conn = t.db.pool.acquire().await.unwrap();
        let (mode, sync, fk): (String, i64, i64) = sqlx::query_as(
            "SELECT (SELECT journal_mode FROM pragma_journal_mode), \
             (SELECT synchronous FROM pragma_synchronous), \
             (SELECT foreign_keys FROM pragma_foreign_keys)",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
        held.push(conn);
    }
}
