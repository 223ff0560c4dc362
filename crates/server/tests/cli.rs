//! The `shouhu` command line, run as a user would, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;

fn shouhu(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_shouhu"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn users_are_added_reset_and_disabled_from_the_command_line() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let db = t.url.as_str();
        let (code, out) = shouhu(&[
            "user",
            "add",
            "--database",
            db,
            "--username",
            "nanquan-grid3",
            "--display-name",
            "王芳",
            "--role",
            "grid_worker",
            "--unit",
            "650203002005001",
            "--unit",
            "650203002005002",
        ]);
        assert_eq!(code, 0, "{out}");
        let password = out
            .split("one-time password: ")
            .nth(1)
            .unwrap()
            .trim()
            .to_string();
        assert_eq!(password.len(), 16);
        let (u, hash) = shouhu_server::db::accounts::find_by_username(&t.db, "nanquan-grid3")
            .await
            .unwrap()
            .unwrap();
        assert!(u.must_change_password, "the first sign-in must change it");
        assert!(shouhu_server::db::accounts::verify_password(
            &hash, &password
        ));
        let units: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff_units WHERE user_id = $1")
            .bind(u.id)
            .fetch_one(&t.db.pool)
            .await
            .unwrap();
        assert_eq!(units, 2, "a person may serve several grids");
        let (code, out) = shouhu(&[
            "user",
            "add",
            "--database",
            db,
            "--username",
            "x",
            "--display-name",
            "x",
            "--role",
            "root",
        ]);
        assert_ne!(code, 0);
        assert!(out.contains("unknown role"), "{out}");
        let (code, out) = shouhu(&[
            "user",
            "reset-password",
            "--database",
            db,
            "--username",
            "nanquan-grid3",
        ]);
        assert_eq!(code, 0, "{out}");
        let (_, hash2) = shouhu_server::db::accounts::find_by_username(&t.db, "nanquan-grid3")
            .await
            .unwrap()
            .unwrap();
        assert!(!shouhu_server::db::accounts::verify_password(
            &hash2, &password
        ));
        let (code, _) = shouhu(&[
            "user",
            "disable",
            "--database",
            db,
            "--username",
            "nanquan-grid3",
        ]);
        assert_eq!(code, 0);
        let (u, _) = shouhu_server::db::accounts::find_by_username(&t.db, "nanquan-grid3")
            .await
            .unwrap()
            .unwrap();
        assert!(u.disabled);
        let (_, log) = (
            0,
            shouhu_server::db::audit::search(&t.db, &Default::default(), 50, 0)
                .await
                .unwrap()
                .0,
        );
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        for a in ["user.create", "user.password_reset", "user.disable"] {
            assert!(actions.contains(&a), "{a} audited ({})", t.name());
        }
    }
}

#[tokio::test]
async fn audit_verify_finds_a_row_altered_by_hand() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let db = t.url.as_str();
        let (code, out) = shouhu(&["audit", "verify", "--database", db]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("intact"));
        sqlx::query("UPDATE audit_log SET detail = 'nothing happened' WHERE id = 1")
            .execute(&t.db.pool)
            .await
            .unwrap();
        let (code, out) = shouhu(&["audit", "verify", "--database", db]);
        assert_eq!(code, 2, "{out}");
        assert!(out.contains("BROKEN at entry 1"), "{out}");
    }
}

#[tokio::test]
async fn migrate_creates_a_missing_sqlite_file_with_the_durable_settings() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/new.db", dir.path().display());
    let (code, out) = shouhu(&["migrate", "--database", &url]);
    assert_eq!(code, 0, "{out}");
    let db = shouhu_server::db::Db::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(
        (mode.as_str(), sync, fk),
        ("wal", 2, 1),
        "WAL, synchronous=FULL, foreign keys on"
    );
    assert!(busy >= 5000);
    let (code, out) = shouhu(&["migrate", "--database", "mysql://nowhere"]);
    assert_ne!(code, 0);
    assert!(out.contains("sqlite:// or postgres://"), "{out}");
}

#[tokio::test]
async fn purge_deletes_what_is_past_retention_and_a_dry_run_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/p.db", dir.path().display());
    let (code, out) = shouhu(&["migrate", "--database", &url]);
    assert_eq!(code, 0, "{out}");
    let db = shouhu_server::db::Db::connect(&url).await.unwrap();
    common::seed_demo(&db).await;
    // A gate scan of a year ago, written as the gate writes it.
    sqlx::query(
        "INSERT INTO gate_scans (gate_id, community_id, guard_id, direction, decision, day, at, \
         idempotency_key, request_hash) SELECT g.id, g.community_id, (SELECT MIN(id) FROM users), \
         'in', 'allow', '2025-01-01', 1735660800, 'k', 'h' FROM gates g LIMIT 1",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let (code, out) = shouhu(&["purge", "--database", &url, "--dry-run"]);
    assert_eq!((code, out.trim()), (0, "would delete: gate_scans=1"));
    let (code, out) = shouhu(&["purge", "--database", &url, "--retention-gate-days", "0"]);
    assert_ne!(code, 0, "{out}");
    let (code, out) = shouhu(&["purge", "--database", &url]);
    assert_eq!((code, out.trim()), (0, "deleted: gate_scans=1"));
    let (code, out) = shouhu(&["purge", "--database", &url]);
    assert_eq!((code, out.trim()), (0, "deleted: nothing past retention"));
}

/// A fresh PostgreSQL database next to the test one; returns its URL and the admin URL.
async fn fresh_pg_database(tag: &str) -> Option<(String, String)> {
    let base = std::env::var("SHOUHU_TEST_POSTGRES_URL").ok()?;
    let (server, _) = base.rsplit_once('/')?;
    let name = format!("shouhu_{tag}_{}", std::process::id());
    let admin = shouhu_server::db::Db::connect(&base).await.unwrap();
    let sql = format!("DROP DATABASE IF EXISTS {name}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&admin.pool)
        .await
        .unwrap();
    let sql = format!("CREATE DATABASE {name}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&admin.pool)
        .await
        .unwrap();
    admin.close().await;
    Some((format!("{server}/{name}"), base))
}

async fn drop_pg_database(url: &str, admin: &str) {
    let name = url.rsplit('/').next().unwrap();
    let admin = shouhu_server::db::Db::connect(admin).await.unwrap();
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&admin.pool)
        .await;
    admin.close().await;
}

/// Seeds `url`, backs it up, changes it, restores the backup into `target` and checks that the
/// restored database holds the state of the backup with an intact audit chain.
async fn round_trip(url: &str, target: &str, file: &std::path::Path) {
    let db = shouhu_server::db::Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    common::seed_demo(&db).await;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM residents")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    let (code, out) = shouhu(&["backup", "--database", url, "--out", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let (code, _) = shouhu(&["backup", "--database", url, "--out", file.to_str().unwrap()]);
    assert_ne!(code, 0, "an existing backup is never overwritten");
    sqlx::query("DELETE FROM sessions")
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE residents SET note = 'after the backup'")
        .execute(&db.pool)
        .await
        .unwrap();
    db.close().await;
    let (code, out) = shouhu(&[
        "restore",
        "--database",
        target,
        "--from",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let restored = shouhu_server::db::Db::connect(target).await.unwrap();
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM residents")
        .fetch_one(&restored.pool)
        .await
        .unwrap();
    let changed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM residents WHERE note = 'after the backup'")
            .fetch_one(&restored.pool)
            .await
            .unwrap();
    assert_eq!((after, changed), (before, 0));
    assert!(matches!(
        shouhu_server::db::audit::verify(&restored).await.unwrap(),
        shouhu_server::db::audit::Verdict::Intact { .. }
    ));
    restored.close().await;
    let (code, _) = shouhu(&[
        "restore",
        "--database",
        target,
        "--from",
        file.to_str().unwrap(),
    ]);
    assert_ne!(
        code, 0,
        "a restore never mixes into a database that has data"
    );
}

#[tokio::test]
async fn a_backup_restores_into_a_new_database_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let src = format!("sqlite://{}/live.db", dir.path().display());
    let dst = format!("sqlite://{}/restored.db", dir.path().display());
    round_trip(&src, &dst, &dir.path().join("backup.db")).await;
    match (
        fresh_pg_database("bksrc").await,
        fresh_pg_database("bkdst").await,
    ) {
        (Some((src, admin)), Some((dst, _))) => {
            round_trip(&src, &dst, &dir.path().join("backup.pgdump")).await;
            drop_pg_database(&src, &admin).await;
            drop_pg_database(&dst, &admin).await;
        }
        _ => eprintln!("SHOUHU_TEST_POSTGRES_URL unset: PostgreSQL backup test SKIPPED"),
    }
}

#[tokio::test]
async fn residents_export_and_import_from_the_command_line() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let dir = tempfile::tempdir().unwrap();
        let xlsx = dir.path().join("nanquan.xlsx");
        let (code, out) = shouhu(&[
            "export",
            "residents",
            "--database",
            &t.url,
            "--unit",
            "650203002005",
            "--out",
            xlsx.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{}: {out}", t.name());
        let n: u64 = out.split_whitespace().next().unwrap().parse().unwrap();
        let errors = dir.path().join("errors.xlsx");
        let (code, out) = shouhu(&[
            "import",
            "residents",
            xlsx.to_str().unwrap(),
            "--database",
            &t.url,
            "--community",
            "650203002005",
            "--dry-run",
            "--errors",
            errors.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{}: {out}", t.name());
        assert!(out.contains(&format!("unchanged {n}, rejected 0")), "{out}");
        assert!(
            out.contains("dry run") && out.contains("nothing to change"),
            "{out}"
        );
        assert!(errors.exists());
        // A file that is not a spreadsheet fails with the reason, and a wrong community by name.
        let junk = dir.path().join("junk.xlsx");
        std::fs::write(&junk, b"\x89PNG\r\n\x1a\n\0\0").unwrap();
        let (code, out) = shouhu(&[
            "import",
            "residents",
            junk.to_str().unwrap(),
            "--database",
            &t.url,
            "--community",
            "650203002005",
        ]);
        assert_ne!(code, 0);
        assert!(out.contains("不是表格文件"), "{out}");
        let (code, out) = shouhu(&[
            "import",
            "residents",
            xlsx.to_str().unwrap(),
            "--database",
            &t.url,
            "--community",
            "999",
        ]);
        assert_ne!(code, 0);
        assert!(out.contains("no community with the code 999"), "{out}");
    }
}

/// Every cell of the first sheet, as text.
fn cells(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn report_daily_writes_the_sheet_the_api_gives() {
    for t in common::each_backend().await {
        common::seed_demo(&t.db).await;
        let url = t.url.clone();
        let app = common::spawn_app(t, true).await;
        let leader = app.login("nanquan-leader").await;
        let (_, res) = app.get(&leader, "/api/v1/residents?per_page=5").await;
        for (i, r) in res["items"].as_array().unwrap().iter().enumerate() {
            app.send(&leader, reqwest::Method::POST, "/api/v1/health-checks",
                serde_json::json!({"resident_id": r["id"], "temperature": 38.0, "symptoms": [], "source": "door", "idempotency_key": format!("k{i}")}))
                .await;
        }
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive()
            .to_string();
        let api = app
            .client
            .get(app.url(&format!(
                "/api/v1/reports/daily?unit=650203002005&date={today}&format=xlsx"
            )))
            .bearer_auth(&leader)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("r.xlsx");
        let (code, text) = shouhu(&[
            "report",
            "daily",
            "--database",
            &url,
            "--unit",
            "650203002005",
            "--date",
            &today,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{text}");
        let cli = cells(std::fs::read(&out).unwrap());
        assert_eq!(cli, cells(api), "the same sheet");
        assert!(cli.iter().any(|row| row[0] == "合计"));
        // A bad date or an unknown unit: a clear message and a failing exit.
        let (code, text) = shouhu(&[
            "report",
            "daily",
            "--database",
            &url,
            "--unit",
            "650203002005",
            "--date",
            "2020-02-30",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(code != 0 && text.contains("2020-02-30"), "{text}");
        let (code, text) = shouhu(&[
            "report",
            "daily",
            "--database",
            &url,
            "--unit",
            "NOPE",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(code != 0 && text.contains("NOPE"), "{text}");
    }
}
