//! Test support: a fresh database of each backend per test, a seeded small demo, and a running server.
//!
//! SQLite tests use a temporary file. PostgreSQL tests read `SHOUHU_TEST_POSTGRES_URL` and give each
//! test a schema of its own, dropped when the test ends. When the variable is unset at build time the
//! tests run on SQLite only, and every test binary lists `postgres_backend_is_reachable` as ignored
//! with the reason (see build.rs); when it is set, a PostgreSQL that cannot be reached fails them.
#![allow(dead_code)]

pub mod browser;

use shouhu_server::config::Settings;
use shouhu_server::db::{Backend, Db};
use shouhu_server::web::AppState;

pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    /// A database opened elsewhere (a file the test placed itself), migrated already.
    pub fn wrap(db: Db, url: String) -> TestDb {
        TestDb {
            db,
            url,
            _dir: None,
            pg_schema: None,
        }
    }

    pub fn name(&self) -> &'static str {
        match self.db.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, schema)) = self.pg_schema.take() {
            // Drop from a detached thread: Drop cannot await, and blocking here would stall the
            // test's runtime while its pool still holds connections. Schemas a finished process
            // left behind are swept by `sweep_old_schemas` at the next run.
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(db) = Db::connect(&base).await {
                            let sql = format!(
                                "SET lock_timeout = '10s'; DROP SCHEMA IF EXISTS {schema} CASCADE"
                            );
                            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                                .execute(&db.pool)
                                .await;
                            db.close().await;
                        }
                    });
                }
            });
        }
    }
}

/// Drops test schemas more than an hour old (named `shouhu_t_<unix seconds>_<random>`).
async fn sweep_old_schemas(admin: &Db) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'shouhu_t_%'",
    )
    .fetch_all(&admin.pool)
    .await
    .unwrap_or_default();
    let cutoff = chrono::Utc::now().timestamp() - 3600;
    for name in names {
        let born: i64 = name
            .split('_')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if born < cutoff {
            let sql = format!("DROP SCHEMA IF EXISTS {name} CASCADE");
            let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&admin.pool)
                .await;
        }
    }
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let db = Db::connect(&url).await.expect("open sqlite");
    db.migrate().await.expect("migrate sqlite");
    TestDb {
        db,
        url,
        _dir: Some(dir),
        pg_schema: None,
    }
}

/// This file's tests ran on PostgreSQL too: listed as ignored when they could not.
#[tokio::test]
#[cfg_attr(
    not(shouhu_test_postgres),
    ignore = "SHOUHU_TEST_POSTGRES_URL was unset at build: this file's tests ran on SQLite only"
)]
async fn postgres_backend_is_reachable() {
    let t = postgres().await.expect("SHOUHU_TEST_POSTGRES_URL is set");
    let one: i64 = sqlx::query_scalar("SELECT CAST(1 AS BIGINT)")
        .fetch_one(&t.db.pool)
        .await
        .expect("PostgreSQL answers");
    assert_eq!(one, 1);
}

/// A fresh PostgreSQL schema, or None when the PostgreSQL tests were not configured at build.
/// Configured but unset now, or unreachable, it panics: a missing database fails the run.
pub async fn postgres() -> Option<TestDb> {
    if cfg!(not(shouhu_test_postgres)) {
        return None;
    }
    let base = std::env::var("SHOUHU_TEST_POSTGRES_URL")
        .expect("SHOUHU_TEST_POSTGRES_URL was set when the tests were built");
    let schema = format!(
        "shouhu_t_{}_{}",
        chrono::Utc::now().timestamp(),
        uuid_like()
    );
    let admin = Db::connect(&base).await.expect("open postgres");
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let mut first = false;
    SWEPT.call_once(|| first = true);
    if first {
        sweep_old_schemas(&admin).await;
    }
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&admin.pool)
        .await
        .expect("create schema");
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let db = Db::connect(&url).await.expect("open postgres schema");
    db.migrate().await.expect("migrate postgres");
    Some(TestDb {
        db,
        url,
        _dir: None,
        pg_schema: Some((base, schema)),
    })
}

fn uuid_like() -> String {
    use rand::Rng;
    let mut r = rand::rng();
    (0..16)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[r.random_range(0..36)]))
        .collect()
}

/// A fresh database of each configured backend (PostgreSQL's absence is listed by
/// `postgres_backend_is_reachable`).
pub async fn each_backend() -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    out.extend(postgres().await);
    out
}

/// Seeds a small demo (about 120 households over the three communities).
pub async fn seed_demo(db: &Db) {
    shouhu_server::demo::seed(
        db,
        &shouhu_server::demo::Options {
            households: 120,
            seed: 7,
            progress: false,
        },
    )
    .await
    .expect("seed demo");
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

pub const PW: &str = "shouhu-demo-2020";

/// Serves `db` on a free loopback port. `demo_mode` exempts the demo accounts from the forced change.
pub async fn spawn_app(db: TestDb, demo_mode: bool) -> TestApp {
    let settings = Settings {
        demo_mode,
        ..Settings::default()
    };
    spawn_app_with(db, settings).await
}

/// Serves `db` with the settings given (a service restarted with other settings).
pub async fn spawn_app_with(db: TestDb, settings: Settings) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = AppState::new(db.db.clone(), settings);
    tokio::spawn(async move {
        let _ = shouhu_server::web::serve(state, listener).await;
    });
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        db,
    }
}

/// Each backend, seeded with the small demo and served in demo mode.
pub async fn each_demo_app() -> Vec<TestApp> {
    let mut out = Vec::new();
    for db in each_backend().await {
        seed_demo(&db.db).await;
        out.push(spawn_app(db, true).await);
    }
    out
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, user: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/session"))
            .json(&serde_json::json!({"username": user, "password": PW}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(r.status(), 200, "{user} signs in");
        let v: serde_json::Value = r.json().await.expect("json");
        v["token"].as_str().expect("token").to_string()
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, serde_json::Value) {
        let r = self
            .client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn send(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("send");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// A client that keeps cookies and does not follow redirects, as a page test's browser.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A browser signed in through the sign-in form.
pub async fn sign_in_page(app: &TestApp, user: &str) -> reqwest::Client {
    let c = browser();
    let r = c
        .post(app.url("/login"))
        .form(&[("username", user), ("password", PW)])
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), 303, "{user} signs in");
    c
}

/// The CSRF token of the first form on a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a form") + 19;
    html[at..].split('"').next().unwrap_or_default().to_string()
}

/// Every resident carries its household's address (the copy a page of residents reads): nothing
/// written since left one behind. One erased keeps none.
pub async fn assert_addresses_carried(db: &Db, name: &str) {
    let behind: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT r.id, r.address, h.address FROM residents r \
         JOIN households h ON h.id = r.household_id \
         WHERE r.address <> h.address AND r.erased_at IS NULL",
    )
    .fetch_all(&db.pool)
    .await
    .expect("residents' addresses");
    assert_eq!(
        behind,
        vec![],
        "{name}: residents whose address is not their household's"
    );
}

/// PostgreSQL: the server process behind a connection (a held transaction's, for
/// `wait_for_lock_waiters`).
pub async fn backend_pid(conn: &mut sqlx::AnyConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(conn)
        .await
        .expect("pg_backend_pid")
}

/// PostgreSQL: waits until `n` sessions are blocked by the session `holder`, directly or in a
/// queue behind it — the two sides of a
/// race test have met at its lock — and panics after 30 s, so a race that did not happen fails the
/// test instead of passing it as two writes one after the other.
pub async fn wait_for_lock_waiters(db: &Db, holder: i32, n: i64) {
    let mut waiting = 0;
    for _ in 0..600 {
        // Behind the holder directly, or behind one that waits for it: PostgreSQL queues a second
        // writer of a row on the first writer's tuple lock, not on the holder.
        waiting = sqlx::query_scalar(
            "WITH RECURSIVE behind(pid) AS ( \
               SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) \
               UNION SELECT a.pid FROM pg_stat_activity a JOIN behind b \
                 ON b.pid = ANY(pg_blocking_pids(a.pid))) \
             SELECT COUNT(*) FROM behind",
        )
        .bind(holder)
        .fetch_one(&db.pool)
        .await
        .expect("pg_stat_activity");
        if waiting >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{n} sessions should wait on the held lock, {waiting} do");
}
