//! The audit log (SECURITY.md C): append-only, each entry chained to the previous by a SHA-256 hash.
//!
//! Appending reads the last hash and writes the next entry under the database's write lock (SQLite's
//! `BEGIN IMMEDIATE`, a PostgreSQL advisory lock), so concurrent writers cannot fork the chain. An entry
//! never holds a password, token, full ID number or phone.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Backend, Db, StoreResult, Tx, now};

/// Key of the PostgreSQL advisory lock that serialises appends to the chain.
const AUDIT_LOCK_KEY: i64 = 0x5348_4f55_4855_0001;
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An entry to append. `actor_id` is None for the system or an unknown sign-in name.
#[derive(Clone, Debug, Default)]
pub struct NewEntry {
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: &'static str,
    pub object_kind: &'static str,
    pub object_id: String,
    pub result: &'static str,
    pub address: String,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Entry {
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub object_kind: String,
    pub object_id: String,
    pub result: String,
    pub address: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

#[allow(clippy::too_many_arguments)]
fn entry_hash(
    prev: &str,
    id: i64,
    at: i64,
    actor_id: Option<i64>,
    actor: &str,
    action: &str,
    object_kind: &str,
    object_id: &str,
    result: &str,
    address: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    // Fields are length-prefixed so that moving text between fields changes the hash.
    for part in [
        prev,
        &id.to_string(),
        &at.to_string(),
        &actor_id.map(|a| a.to_string()).unwrap_or_default(),
        actor,
        action,
        object_kind,
        object_id,
        result,
        address,
        detail,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends within the caller's write transaction, so the entry commits or rolls back with the change.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn append(tx: &mut Tx, backend: Backend, e: &NewEntry) -> StoreResult<()> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(AUDIT_LOCK_KEY)
            .execute(&mut **tx)
            .await?;
    }
    let last = sqlx::query("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (prev_id, prev_hash) = match last {
        Some(row) => (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
        None => (0, GENESIS.to_string()),
    };
    let id = prev_id + 1;
    let at = now();
    let hash = entry_hash(
        &prev_hash,
        id,
        at,
        e.actor_id,
        &e.actor,
        e.action,
        e.object_kind,
        &e.object_id,
        e.result,
        &e.address,
        &e.detail,
    );
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, actor, action, object_kind, object_id, result, \
         address, detail, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
    )
    .bind(id)
    .bind(at)
    .bind(e.actor_id)
    .bind(&e.actor)
    .bind(e.action)
    .bind(e.object_kind)
    .bind(&e.object_id)
    .bind(e.result)
    .bind(&e.address)
    .bind(&e.detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Appends in a transaction of its own: sign-ins, refusals, reads of personal data.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record(db: &Db, e: &NewEntry) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    append(&mut tx, db.backend, e).await?;
    tx.commit().await?;
    Ok(())
}

/// A search of the log. Empty fields match everything.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_kind: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
}

const ENTRY_COLUMNS: &str = "id, at, actor_id, actor, action, object_kind, object_id, result, \
     address, detail, prev_hash, hash";

/// Newest first. Only the auditor reaches this (checked at the edge by the `ReadAudit` right).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    db: &Db,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> StoreResult<(Vec<Entry>, i64)> {
    let cond = "($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) \
         AND ($3 = '' OR object_kind = $3) AND ($4 = '' OR object_id = $4) \
         AND at >= $5 AND at <= $6";
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE {cond} ORDER BY id DESC {}",
        super::limit_offset(limit, offset)
    );
    let s = |v: &Option<String>| v.clone().unwrap_or_default();
    let items: Vec<Entry> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(s(&f.actor))
        .bind(s(&f.action))
        .bind(s(&f.object_kind))
        .bind(s(&f.object_id))
        .bind(f.from.unwrap_or(0))
        .bind(f.to.unwrap_or(i64::MAX))
        .fetch_all(&db.pool)
        .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM audit_log WHERE {cond}"
    )))
    .bind(s(&f.actor))
    .bind(s(&f.action))
    .bind(s(&f.object_kind))
    .bind(s(&f.object_id))
    .bind(f.from.unwrap_or(0))
    .bind(f.to.unwrap_or(i64::MAX))
    .fetch_one(&db.pool)
    .await?;
    Ok((items, total))
}

/// The outcome of checking the whole chain.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        entries: i64,
    },
    /// The first entry whose hash, link or position does not hold, and why.
    Broken {
        id: i64,
        reason: &'static str,
    },
}

/// Recomputes every hash in order. Reads in pages so a long log needs little memory.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify(db: &Db) -> StoreResult<Verdict> {
    let mut prev_hash = GENESIS.to_string();
    let mut expected_id = 1;
    let mut count = 0;
    loop {
        let page: Vec<Entry> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE id >= $1 ORDER BY id LIMIT 5000"
        )))
        .bind(expected_id)
        .fetch_all(&db.pool)
        .await?;
        if page.is_empty() {
            return Ok(Verdict::Intact { entries: count });
        }
        for e in page {
            if e.id != expected_id {
                return Ok(Verdict::Broken {
                    id: expected_id,
                    reason: "entry missing",
                });
            }
            if e.prev_hash != prev_hash {
                return Ok(Verdict::Broken {
                    id: e.id,
                    reason: "link to the previous entry broken",
                });
            }
            let h = entry_hash(
                &e.prev_hash,
                e.id,
                e.at,
                e.actor_id,
                &e.actor,
                &e.action,
                &e.object_kind,
                &e.object_id,
                &e.result,
                &e.address,
                &e.detail,
            );
            if h != e.hash {
                return Ok(Verdict::Broken {
                    id: e.id,
                    reason: "content altered",
                });
            }
            prev_hash = e.hash;
            expected_id += 1;
            count += 1;
        }
    }
}
