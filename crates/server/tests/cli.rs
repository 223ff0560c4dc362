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
