//! The two migration sets are written by hand, one per dialect. This test migrates a fresh SQLite
//! and a fresh PostgreSQL database and compares what they hold — tables, columns (type class and
//! whether NULL is allowed), keys and unique constraints, named indexes and foreign keys — against
//! the list of differences that are meant, each with its reason. A difference not on the list
//! fails, and so does a listed one that is gone (the list stays true).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use shouhu_server::db::Db;

/// Differences meant to be, and why.
const INTENDED: &[(&str, &str)] = &[
    (
        "postgres only: index residents_name_c on residents",
        NAME_INDEX,
    ),
    ("sqlite only: index residents_name on residents", NAME_INDEX),
    (
        "sqlite only: foreign key gate_scans.community_id -> org_units",
        FK_GATE_SCANS,
    ),
    (
        "sqlite only: foreign key gate_scans.gate_id -> gates",
        FK_GATE_SCANS,
    ),
    (
        "sqlite only: foreign key gate_scans.guard_id -> users",
        FK_GATE_SCANS,
    ),
    (
        "sqlite only: foreign key gate_scans.household_id -> households",
        FK_GATE_SCANS,
    ),
    (
        "sqlite only: foreign key gate_scans.resident_id -> residents",
        FK_GATE_SCANS,
    ),
    (
        "sqlite only: foreign key gate_scans.visitor_id -> gate_visitors",
        FK_GATE_SCANS,
    ),
    (
        "sqlite only: foreign key health_checks.grid_id -> org_units",
        FK_HEALTH_CHECKS,
    ),
    (
        "sqlite only: foreign key health_checks.household_id -> households",
        FK_HEALTH_CHECKS,
    ),
    (
        "sqlite only: foreign key health_checks.recorded_by -> users",
        FK_HEALTH_CHECKS,
    ),
    (
        "sqlite only: foreign key health_checks.resident_id -> residents",
        FK_HEALTH_CHECKS,
    ),
];

const FK_HEALTH_CHECKS: &str = "PostgreSQL dropped them (0007): each took a share lock on the referenced row and concurrent batches of checks queued on one recorder's users row; the store checks every reference and nothing referenced is ever deleted. SQLite's checks take no row locks and its writers take turns anyway";
const FK_GATE_SCANS: &str = "PostgreSQL dropped them (0011): each took a share lock on the referenced gate, community and guard rows, shared by concurrent batches through multixacts; the batch reads every reference in its own transaction and nothing referenced is ever deleted. SQLite's checks take no row locks";
const NAME_INDEX: &str = "SQLite compares text in byte order, so its residents_name already serves a prefix as a range; PostgreSQL's is in byte order by COLLATE \"C\" (0014), which its default collation would not give";

/// The facts of one schema, each as a line that reads the same for both dialects.
async fn facts_sqlite(db: &Db) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for t in &tables {
        out.insert(format!("table {t}"));
        let cols: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(t)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let mut key: Vec<(i64, String)> = Vec::new();
        for (name, ty, notnull, pk) in cols {
            // SQLite lets a primary key column hold NULL unless told; an INTEGER PRIMARY KEY is the
            // rowid and cannot: both read as NOT NULL, as PostgreSQL makes every key column.
            let not_null = notnull == 1 || pk > 0;
            out.insert(format!(
                "column {t}.{name} {} {}",
                type_class(&ty),
                if not_null { "not null" } else { "null" }
            ));
            if pk > 0 {
                key.push((pk, name));
            }
        }
        key.sort();
        if !key.is_empty() {
            let cols: Vec<String> = key.into_iter().map(|(_, c)| c).collect();
            out.insert(format!("primary key {t}({})", cols.join(", ")));
        }
        let indexes: Vec<(String, i64, String, i64)> =
            sqlx::query_as("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
                .bind(t)
                .fetch_all(&db.pool)
                .await
                .unwrap();
        for (name, unique, origin, _) in indexes {
            match origin.as_str() {
                "pk" => {}
                "u" => {
                    let cols: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                            .bind(&name)
                            .fetch_all(&db.pool)
                            .await
                            .unwrap();
                    out.insert(format!("unique {t}({})", cols.join(", ")));
                }
                _ => {
                    out.insert(format!(
                        "index {name} on {t}{}",
                        if unique == 1 { " unique" } else { "" }
                    ));
                }
            }
        }
        let fks: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT \"from\", \"table\", COALESCE(\"to\", '') FROM pragma_foreign_key_list($1)",
        )
        .bind(t)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        for (from, to_table, _) in fks {
            out.insert(format!("foreign key {t}.{from} -> {to_table}"));
        }
    }
    out
}

async fn facts_postgres(db: &Db) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_type = 'BASE TABLE' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for t in &tables {
        out.insert(format!("table {t}"));
    }
    let cols: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns WHERE table_schema = current_schema() \
         AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (t, name, ty, nullable) in cols {
        if !tables.contains(&t) {
            continue;
        }
        out.insert(format!(
            "column {t}.{name} {} {}",
            type_class(&ty),
            if nullable == "NO" { "not null" } else { "null" }
        ));
    }
    // Keys and unique constraints with their columns in order.
    let constraints: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, c.contype::text, \
           string_agg(a.attname::text, ', ' ORDER BY k.ord) \
         FROM pg_constraint c \
         JOIN pg_namespace n ON n.oid = c.connamespace AND n.nspname = current_schema() \
         CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         WHERE c.contype IN ('p', 'u') GROUP BY c.oid, c.conrelid, c.contype",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (t, kind, cols) in constraints {
        if t == "_sqlx_migrations" {
            continue;
        }
        let kind = if kind == "p" { "primary key" } else { "unique" };
        out.insert(format!("{kind} {t}({cols})"));
    }
    // Indexes made by CREATE INDEX (not those behind a key or unique constraint).
    let indexes: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT i.relname::text, t.relname::text, x.indisunique FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema() \
         WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) \
         AND t.relname <> '_sqlx_migrations'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (name, t, unique) in indexes {
        out.insert(format!(
            "index {name} on {t}{}",
            if unique { " unique" } else { "" }
        ));
    }
    let fks: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.conrelid::regclass::text, a.attname::text, c.confrelid::regclass::text \
         FROM pg_constraint c \
         JOIN pg_namespace n ON n.oid = c.connamespace AND n.nspname = current_schema() \
         CROSS JOIN LATERAL unnest(c.conkey) AS k(attnum) \
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum \
         WHERE c.contype = 'f'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for (t, from, to_table) in fks {
        out.insert(format!("foreign key {t}.{from} -> {to_table}"));
    }
    out
}

/// A column's type as both dialects mean it: integer, real, text or bytes.
fn type_class(ty: &str) -> &'static str {
    let ty = ty.to_ascii_lowercase();
    if ty.contains("int") || ty == "boolean" {
        "integer"
    } else if ty.contains("real") || ty.contains("double") || ty.contains("numeric") {
        "real"
    } else if ty.contains("blob") || ty == "bytea" {
        "bytes"
    } else {
        "text"
    }
}

#[tokio::test]
#[cfg_attr(
    not(shouhu_test_postgres),
    ignore = "needs SHOUHU_TEST_POSTGRES_URL at build"
)]
async fn sqlite_and_postgresql_hold_the_same_schema_but_the_differences_meant() {
    let lite = common::sqlite().await;
    let pg = common::postgres().await.expect("PostgreSQL configured");
    let (a, b) = (facts_sqlite(&lite.db).await, facts_postgres(&pg.db).await);
    assert!(a.len() > 100, "SQLite's schema read: {}", a.len());
    let mut found: BTreeSet<String> = BTreeSet::new();
    for f in a.difference(&b) {
        found.insert(format!("sqlite only: {f}"));
    }
    for f in b.difference(&a) {
        found.insert(format!("postgres only: {f}"));
    }
    let meant: BTreeSet<String> = INTENDED.iter().map(|(d, _)| d.to_string()).collect();
    let unexplained: Vec<&String> = found.difference(&meant).collect();
    let gone: Vec<&String> = meant.difference(&found).collect();
    assert!(
        unexplained.is_empty() && gone.is_empty(),
        "differences not on the list:\n{}\n\nlisted but no longer there:\n{}",
        unexplained
            .iter()
            .map(|s| format!("    (\"{s}\", \"\"),"))
            .collect::<Vec<_>>()
            .join("\n"),
        gone.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
