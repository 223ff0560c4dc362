//! Phases of `bench/resident.sh` (each prints `seconds=… rows=…`):
//!
//!   links DB N FILE            household links for N households of 南泉社区 (tokens to FILE, one
//!                              line each: token and the members' ids)
//!   self URL FILE CONC         every member's temperature through its household's link
//!                              (`POST /api/v1/self/checks`, one reading a request), CONC at a time
//!   staff URL TOKEN DB N CONC  N other residents' readings by a worker, one a request
//!                              (`POST /api/v1/health-checks`), CONC at a time
//!   batch URL TOKEN DB N       N more in the round's batches (`/batch`, 100 a request, 4 at a time)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use shouhu_server::db::Db;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).expect("missing argument");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (seconds, rows) = match arg(0) {
        "links" => rt.block_on(links(arg(1), arg(2).parse().unwrap(), arg(3))),
        "self" => rt.block_on(self_reports(arg(1), arg(2), arg(3).parse().unwrap())),
        "staff" => rt.block_on(staff(
            arg(1),
            arg(2),
            arg(3),
            arg(4).parse().unwrap(),
            arg(5).parse().unwrap(),
        )),
        "batch" => rt.block_on(batch(arg(1), arg(2), arg(3), arg(4).parse().unwrap())),
        other => panic!("unknown phase {other}"),
    };
    println!("seconds={seconds:.4} rows={rows}");
}

const NANQUAN: &str = "650203002005";

async fn links(url: &str, n: i64, file: &str) -> (f64, usize) {
    let db = Db::connect(url).await.unwrap();
    let households: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT h.id, MIN(su.user_id) FROM households h JOIN org_units g ON g.id = h.grid_id \
         JOIN org_units c ON c.id = g.parent_id JOIN staff_units su ON su.unit_id = g.id \
         WHERE c.code = $1 AND h.deleted_at IS NULL \
         AND EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id AND r.deleted_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM resident_links l WHERE l.household_id = h.id AND l.status = 'active') \
         GROUP BY h.id ORDER BY h.id LIMIT $2",
    )
    .bind(NANQUAN)
    .bind(n)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let t = Instant::now();
    let mut out = String::new();
    let mut rng = rand::rng();
    for (h, issuer) in &households {
        let mut raw = [0u8; 32];
        rng.fill_bytes(&mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        sqlx::query(
            "INSERT INTO resident_links (household_id, token_hash, status, issued_at, issued_by) \
             VALUES ($1, $2, 'active', 0, $3)",
        )
        .bind(h)
        .bind(hex::encode(Sha256::digest(token.as_bytes())))
        .bind(issuer)
        .execute(&db.pool)
        .await
        .unwrap();
        let members: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM residents WHERE household_id = $1 AND deleted_at IS NULL",
        )
        .bind(h)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let ids: Vec<String> = members.iter().map(i64::to_string).collect();
        out.push_str(&format!("{token} {}\n", ids.join(",")));
    }
    std::fs::write(file, out).unwrap();
    (t.elapsed().as_secs_f64(), households.len())
}

/// Sends `requests` CONC at a time; each is (path, header name, header value, body).
async fn drive(
    base: &str,
    requests: Vec<(String, String, String, serde_json::Value)>,
    conc: usize,
) -> (f64, usize) {
    let client = reqwest::Client::new();
    let queue = Arc::new(tokio::sync::Mutex::new(requests.into_iter()));
    let t = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..conc {
        let (queue, client, base) = (queue.clone(), client.clone(), base.to_string());
        workers.push(tokio::spawn(async move {
            let mut done = 0usize;
            loop {
                let Some((path, name, value, body)) = queue.lock().await.next() else {
                    break;
                };
                let r = client
                    .post(format!("{base}{path}"))
                    .header(name.as_str(), value.as_str())
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                assert!(
                    status.is_success(),
                    "{path}: {status} {}",
                    r.text().await.unwrap()
                );
                let v: serde_json::Value = r.json().await.unwrap();
                done += v["recorded"].as_u64().map_or(1, |n| n as usize);
            }
            done
        }));
    }
    let mut rows = 0;
    for w in workers {
        rows += w.await.unwrap();
    }
    (t.elapsed().as_secs_f64(), rows)
}

fn temperature(id: i64) -> f64 {
    36.2 + (id % 8) as f64 / 10.0
}

async fn self_reports(base: &str, file: &str, conc: usize) -> (f64, usize) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut requests = Vec::new();
    for line in text.lines() {
        let (token, ids) = line.split_once(' ').unwrap();
        for id in ids.split(',').filter_map(|s| s.parse::<i64>().ok()) {
            requests.push((
                "/api/v1/self/checks".to_string(),
                "x-household-token".to_string(),
                token.to_string(),
                serde_json::json!({"resident_id": id, "temperature": temperature(id),
                    "idempotency_key": format!("self-{id}")}),
            ));
        }
    }
    drive(base, requests, conc).await
}

/// Residents of 南泉 outside the households with links, `n` of them.
async fn others(url: &str, n: i64, skip: i64) -> Vec<i64> {
    let db = Db::connect(url).await.unwrap();
    sqlx::query_scalar(
        "SELECT r.id FROM residents r JOIN org_units g ON g.id = r.grid_id \
         JOIN org_units c ON c.id = g.parent_id WHERE c.code = $1 AND r.deleted_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM resident_links l WHERE l.household_id = r.household_id) \
         ORDER BY r.id LIMIT $2 OFFSET $3",
    )
    .bind(NANQUAN)
    .bind(n)
    .bind(skip)
    .fetch_all(&db.pool)
    .await
    .unwrap()
}

async fn staff(base: &str, token: &str, url: &str, n: i64, conc: usize) -> (f64, usize) {
    let requests = others(url, n, 0)
        .await
        .into_iter()
        .map(|id| {
            (
                "/api/v1/health-checks".to_string(),
                "authorization".to_string(),
                format!("Bearer {token}"),
                serde_json::json!({"resident_id": id, "temperature": temperature(id),
                    "source": "door", "idempotency_key": format!("one-{id}")}),
            )
        })
        .collect();
    drive(base, requests, conc).await
}

async fn batch(base: &str, token: &str, url: &str, n: i64) -> (f64, usize) {
    let ids = others(url, n, n).await;
    let requests = ids
        .chunks(100)
        .map(|chunk| {
            let items: Vec<serde_json::Value> = chunk
                .iter()
                .map(|id| {
                    serde_json::json!({"resident_id": id, "temperature": temperature(*id),
                        "source": "door", "idempotency_key": format!("batch-{id}")})
                })
                .collect();
            (
                "/api/v1/health-checks/batch".to_string(),
                "authorization".to_string(),
                format!("Bearer {token}"),
                serde_json::json!({ "items": items }),
            )
        })
        .collect();
    drive(base, requests, 4).await
}
