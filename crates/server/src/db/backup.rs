//! Backup and restore (SECURITY.md F). SQLite: `VACUUM INTO`, a consistent copy taken while the
//! service runs. PostgreSQL: `pg_dump` in its custom format, restored with `pg_restore`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use super::{Backend, Db};

/// Writes a backup of `db` to `out`, which must not exist yet.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn backup(db: &Db, url: &str, out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} exists already: choose a new file", out.display());
    }
    match db.backend {
        Backend::Sqlite => {
            let path = out.to_str().context("the backup path is not valid UTF-8")?;
            // VACUUM INTO takes a literal, not a parameter: quote it as SQL text.
            let sql = format!("VACUUM INTO '{}'", path.replace('\'', "''"));
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&db.pool)
                .await?;
        }
        Backend::Postgres => {
            let status = Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(out)
                .arg(url)
                .status()
                .context("pg_dump is needed to back up PostgreSQL (package postgresql-client)")?;
            if !status.success() {
                bail!("pg_dump failed ({status})");
            }
        }
    }
    Ok(())
}

/// Restores a backup into the database named by `url`, which must be empty (a new SQLite file or
/// a new PostgreSQL database), so that a restore never mixes two states.
pub fn restore(url: &str, from: &Path) -> anyhow::Result<()> {
    if !from.is_file() {
        bail!("no backup file {}", from.display());
    }
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let target = Path::new(rest.split('?').next().unwrap_or(rest));
        if target.exists() {
            bail!(
                "{} exists already: restore into a new file, then swap it in",
                target.display()
            );
        }
        std::fs::copy(from, target)
            .with_context(|| format!("cannot write {}", target.display()))?;
        return Ok(());
    }
    let status = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(url)
        .arg(from)
        .status()
        .context("pg_restore is needed to restore PostgreSQL (package postgresql-client)")?;
    if !status.success() {
        bail!("pg_restore failed ({status}); the target database must be new and empty");
    }
    Ok(())
}
