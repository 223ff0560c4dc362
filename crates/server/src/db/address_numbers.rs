//! Where the numbers of a household's address begin, kept so that an address search which begins
//! with a number (1号楼2单元, 3-2-301) is a range of an index instead of a read of every address of
//! the jurisdiction. A search finds a number only whole (1号楼 is not 11号楼), so it always begins
//! where a number of the address begins: at one of these tails.

use super::bulk::{Val, insert_rows};
use super::{Db, StoreResult, Tx};

pub const TABLE: &str = "address_numbers";
pub const COLUMNS: [&str; 3] = ["household_id", "grid_id", "tail"];

/// The settings key the migration leaves when households stored before it have no tails yet.
const PENDING: &str = "address_numbers_pending";

/// Households whose tails are written per statement when filling them in after the migration.
const FILL_BATCH: i64 = 5_000;

/// Numbers of one address kept at most. A real address has a handful (building, unit, room, a
/// street number); an address typed as "1a1a1a…" would otherwise store a hundred tails of up to
/// 200 characters. A search that begins with a number past these does not find the address; no
/// real address has that many.
const MAX_TAILS: usize = 16;

/// The address from each place where a number begins (a digit after anything but a digit), Latin
/// letters in capitals so that a search minds no case: 南泉社区80号楼3单元502室 gives
/// 80号楼3单元502室, 3单元502室 and 502室. At most [`MAX_TAILS`] of them.
pub fn tails(address: &str) -> Vec<String> {
    let folded = fold(address);
    let mut out = Vec::new();
    let mut after_digit = false;
    for (i, c) in folded.char_indices() {
        let digit = c.is_ascii_digit();
        if digit && !after_digit {
            if out.len() == MAX_TAILS {
                break;
            }
            out.push(folded[i..].to_string());
        }
        after_digit = digit;
    }
    out
}

/// What a search and a tail are compared in: Latin letters in capitals, all else as typed.
pub fn fold(s: &str) -> String {
    s.to_ascii_uppercase()
}

/// The rows of one household's tails, for [`insert_rows`].
pub fn rows(household_id: i64, grid_id: i64, address: &str) -> impl Iterator<Item = Vec<Val>> {
    tails(address)
        .into_iter()
        .map(move |t| vec![Val::from(household_id), Val::from(grid_id), Val::from(t)])
}

/// Writes a household's tails anew, after its address was written.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn write(tx: &mut Tx, household_id: i64, grid_id: i64, address: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM address_numbers WHERE household_id = $1")
        .bind(household_id)
        .execute(&mut **tx)
        .await?;
    let rows: Vec<Vec<Val>> = rows(household_id, grid_id, address).collect();
    insert_rows(tx, TABLE, &COLUMNS, &rows).await
}

/// Writes the tails of the households stored before the table existed, once, when the migration
/// has left its mark; in batches of households, in one transaction with removing the mark.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn fill_if_pending(db: &Db) -> StoreResult<()> {
    let pending: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(PENDING)
        .fetch_optional(&db.pool)
        .await?;
    if pending.is_none() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    // Taking the mark first: a second server starting at the same moment waits here for the
    // first's commit, then finds the mark gone and leaves the work done.
    let taken = sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(PENDING)
        .execute(&mut *tx)
        .await?;
    if taken.rows_affected() == 0 {
        return Ok(());
    }
    sqlx::query("DELETE FROM address_numbers")
        .execute(&mut *tx)
        .await?;
    // A city's households take seconds (500,000 in 4 s on SQLite, 15 s on PostgreSQL): say why
    // the start waits.
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM households")
        .fetch_one(&mut *tx)
        .await?;
    if stored > 0 {
        tracing::info!(
            households = stored,
            "keeping the numbers of the stored addresses for address searches (once)"
        );
    }
    let started = std::time::Instant::now();
    let mut after = i64::MIN;
    loop {
        let batch: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT id, grid_id, address FROM households WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(FILL_BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        let rows: Vec<Vec<Val>> = batch
            .iter()
            .flat_map(|(id, grid, address)| rows(*id, *grid, address))
            .collect();
        insert_rows(&mut tx, TABLE, &COLUMNS, &rows).await?;
    }
    tx.commit().await?;
    if stored > 0 {
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "address numbers kept"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tail_begins_where_a_number_begins() {
        assert_eq!(
            tails("南泉社区80号楼3单元502室"),
            ["80号楼3单元502室", "3单元502室", "502室"]
        );
        assert_eq!(tails("12-3-401"), ["12-3-401", "3-401", "401"]);
        assert_eq!(
            tails("1号楼9单元102室 b座"),
            ["1号楼9单元102室 B座", "9单元102室 B座", "102室 B座"]
        );
        assert!(tails("友谊路东侧平房").is_empty());
        // Full-width digits are not numbers to a search either (its classes are 0-9).
        assert!(tails("１号楼").is_empty());
        let typed = "1a".repeat(100);
        let kept = tails(&typed);
        assert_eq!(kept.len(), MAX_TAILS);
        assert_eq!(kept[MAX_TAILS - 1].len(), typed.len() - 2 * (MAX_TAILS - 1));
    }
}
