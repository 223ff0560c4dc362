//! A batch of scans decided together: a handful of set queries for the whole batch (earlier answers
//! by key, what each code names, home isolation and the exits of the period), the decisions made in
//! order in memory (so two exits of one household in one batch see each other), and one multi-row
//! insert. The cost of a scan is then a share of a few statements and of one commit.

use std::collections::{HashMap, HashSet};

use shouhu_domain::Temperature;

use super::Gate;
use super::holders::{Holder, holders};
use super::scan::{Memo, NewScan, Rules, Scanned, When};
use crate::db::value_set::{ints, ints_in, texts, texts_in};
use crate::db::{Backend, StoreError, StoreResult, Tx, now};

/// One scan of the batch.
pub struct Item<'a> {
    pub user_id: i64,
    pub when: &'a When,
    pub scan: &'a NewScan,
}

pub type Answer = StoreResult<(Scanned, bool)>;

/// `$from, $from+1, …` for `n` values.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

type EarlierRow = (
    i64,
    String,
    Option<String>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
    i64,
    String,
);

/// Decides the batch in `tx`; database errors fail the whole batch, the rest answer per scan.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn decide(
    tx: &mut Tx,
    memo: &mut Memo,
    backend: Backend,
    items: &[Item<'_>],
) -> StoreResult<Vec<Answer>> {
    let mut answers: Vec<Option<Answer>> = (0..items.len()).map(|_| None).collect();
    let earlier = earlier_answers(tx, backend, items).await?;
    let (gates, repeats) = sort_out(tx, memo, items, &earlier, &mut answers).await?;
    let holders = holders(tx, backend, items, &gates).await?;
    let mut rules: HashMap<i64, Rules> = HashMap::new();
    for g in gates.iter().flatten() {
        if let std::collections::hash_map::Entry::Vacant(e) = rules.entry(g.community_id) {
            e.insert(memo.rules(tx, g.community_id).await?);
        }
    }
    let batch = Batch {
        items,
        gates: &gates,
        holders: &holders,
        rules: &rules,
    };
    let mut period = batch.period(tx, backend).await?;
    let decided = batch.decisions(&mut period);
    let t = now();
    let ids = batch.insert(tx, &decided, t).await?;
    for (i, reason) in decided {
        answers[i] = Some(Ok(batch.settle(tx, memo, &ids, i, reason, t).await?));
    }
    // A key sent twice within the batch: the second is a retry of the first.
    for (i, f) in repeats {
        let same = items[i].scan.request_hash == items[f].scan.request_hash;
        answers[i] = Some(match &answers[f] {
            Some(Ok((s, _))) if same => Ok((s.clone(), true)),
            Some(Ok(_)) => Err(reused()),
            Some(Err(StoreError::NotFound)) | None => Err(StoreError::NotFound),
            Some(Err(_)) => Err(reused()),
        });
    }
    Ok(answers
        .into_iter()
        .map(|a| a.unwrap_or(Err(StoreError::NotFound)))
        .collect())
}

/// The scans already decided under these (guard, key) pairs: retries, answered as before.
async fn earlier_answers(
    tx: &mut Tx,
    backend: Backend,
    items: &[Item<'_>],
) -> StoreResult<HashMap<(i64, String), (Scanned, String)>> {
    let keys: Vec<&str> = items
        .iter()
        .map(|i| i.scan.idempotency_key.as_str())
        .collect();
    // Each (guard, key) pair is one probe of the (guard_id, idempotency_key) index. On PostgreSQL
    // the probe is a LATERAL subquery of each pair (its LIMIT keeps the planner from folding it
    // into a join): the one plan whatever the log's size when it was made. With two separate
    // sets, or a join the planner may turn around, a plan made while the log was empty read every
    // scan of the guard on each batch.
    let guards: Vec<i64> = items.iter().map(|i| i.user_id).collect();
    let columns = "s.id, s.decision, s.reason, s.household_id, s.resident_id, s.visitor_id, \
                   s.request_hash, s.guard_id, s.idempotency_key";
    let sql = match backend {
        Backend::Postgres => format!(
            "SELECT {columns} FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS TEXT[])) AS k(guard_id, idempotency_key) \
             CROSS JOIN LATERAL (SELECT * FROM gate_scans g WHERE g.guard_id = k.guard_id \
             AND g.idempotency_key = k.idempotency_key LIMIT 1) s"
        ),
        Backend::Sqlite => format!(
            "SELECT {columns} FROM gate_scans s WHERE {} AND {}",
            ints_in(backend, "s.guard_id", 1),
            texts_in(backend, "s.idempotency_key", 2)
        ),
    };
    let mut rows: Vec<EarlierRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ints(backend, &guards))
        .bind(texts(backend, &keys))
        .fetch_all(&mut **tx)
        .await?;
    // A key sent twice in the batch meets its earlier scan twice.
    rows.sort_unstable_by_key(|r| r.0);
    rows.dedup_by_key(|r| r.0);
    Ok(rows
        .into_iter()
        .map(
            |(id, decision, reason, household_id, resident_id, visitor_id, hash, guard, key)| {
                let s = Scanned {
                    id,
                    decision,
                    reason,
                    household_id,
                    resident_id,
                    visitor_id,
                    place: None,
                };
                ((guard, key), (s, hash))
            },
        )
        .collect())
}

/// Each scan's gate, for the scans to decide now; a retry is answered at once, a repeat within the
/// batch is listed as (repeat, first) to be answered as its first, an unknown gate refused.
async fn sort_out(
    tx: &mut Tx,
    memo: &mut Memo,
    items: &[Item<'_>],
    earlier: &HashMap<(i64, String), (Scanned, String)>,
    answers: &mut [Option<Answer>],
) -> StoreResult<(Vec<Option<Gate>>, Vec<(usize, usize)>)> {
    let mut first_in_batch: HashMap<(i64, &str), usize> = HashMap::new();
    let mut repeats: Vec<(usize, usize)> = Vec::new();
    let mut gates: Vec<Option<Gate>> = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        let k = (it.user_id, it.scan.idempotency_key.clone());
        if let Some((first, hash)) = earlier.get(&k) {
            answers[i] = Some(if *hash == it.scan.request_hash {
                Ok((first.clone(), true))
            } else {
                Err(reused())
            });
            gates.push(None);
            continue;
        }
        if let Some(&f) = first_in_batch.get(&(it.user_id, it.scan.idempotency_key.as_str())) {
            repeats.push((i, f));
            gates.push(None);
            continue;
        }
        first_in_batch.insert((it.user_id, it.scan.idempotency_key.as_str()), i);
        match memo.gate(tx, it.user_id, it.scan.gate_id).await {
            Ok(g) => gates.push(Some(g)),
            Err(StoreError::NotFound) => {
                answers[i] = Some(Err(StoreError::NotFound));
                gates.push(None);
            }
            Err(e) => return Err(e),
        }
    }
    Ok((gates, repeats))
}

/// What the period's rules need of the households going out: which are under home isolation, and
/// their allowed exits per day.
#[derive(Default)]
struct Period {
    isolated: HashSet<i64>,
    exits: HashMap<(i64, String), i64>,
}

/// The batch's scans to decide, with what was looked up for them (by the scan's index).
struct Batch<'a, 'b> {
    items: &'a [Item<'b>],
    gates: &'a [Option<Gate>],
    holders: &'a [Holder],
    rules: &'a HashMap<i64, Rules>,
}

impl Batch<'_, '_> {
    /// The first day of the exit period that scan `i` counts in.
    fn first_day(&self, i: usize, r: &Rules) -> String {
        let back = u64::try_from(r.period_days.max(1) - 1).unwrap_or(0);
        (self.items[i].when.today - chrono::Days::new(back)).to_string()
    }

    /// Home isolation and the exits of the period, for every household that may go out.
    async fn period(&self, tx: &mut Tx, backend: Backend) -> StoreResult<Period> {
        let mut leaving: Vec<i64> = (0..self.items.len())
            .filter(|&i| self.gates[i].is_some() && self.items[i].scan.direction == "out")
            .filter_map(|i| self.holders[i].household_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        leaving.sort_unstable();
        let mut period = Period::default();
        if leaving.is_empty() {
            return Ok(period);
        }
        let households = ints(backend, &leaving);
        // Members under home isolation, per household. On PostgreSQL the same statement locks the
        // households: exits of one household through two servers at once, the second waits for
        // the first and then counts it; in id order, so that two batches never wait on each other.
        let sql = match backend {
            Backend::Postgres => format!(
                "SELECT h.id, (SELECT COUNT(*) FROM quarantines q WHERE q.household_id = h.id AND q.kind = 'home' \
                 AND q.status = 'active') FROM households h WHERE {} ORDER BY h.id FOR UPDATE OF h",
                ints_in(backend, "h.id", 1)
            ),
            Backend::Sqlite => format!(
                "SELECT household_id, COUNT(*) FROM quarantines WHERE {} \
                 AND kind = 'home' AND status = 'active' GROUP BY household_id",
                ints_in(backend, "household_id", 1)
            ),
        };
        let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&households)
            .fetch_all(&mut **tx)
            .await?;
        period
            .isolated
            .extend(rows.into_iter().filter(|r| r.1 > 0).map(|r| r.0));
        let since = (0..self.items.len())
            .filter_map(|i| {
                let g = self.gates[i].as_ref()?;
                Some(self.first_day(i, &self.rules[&g.community_id]))
            })
            .min()
            .unwrap_or_default();
        // Per household, through the (household, direction, decision, day) index; on PostgreSQL
        // as a LATERAL subquery per household, for the reason the earlier keys are.
        let sql = match backend {
            Backend::Postgres => "SELECT k.household_id, s.day, s.n FROM unnest(CAST($1 AS BIGINT[])) AS k(household_id) \
                 CROSS JOIN LATERAL (SELECT g.day, COUNT(*) AS n FROM gate_scans g \
                 WHERE g.household_id = k.household_id AND g.direction = 'out' AND g.decision = 'allow' \
                 AND g.day >= $2 GROUP BY g.day) s"
                .to_string(),
            Backend::Sqlite => format!(
                "SELECT household_id, day, COUNT(*) FROM gate_scans WHERE {} \
                 AND direction = 'out' AND decision = 'allow' AND day >= $2 GROUP BY household_id, day",
                ints_in(backend, "household_id", 1)
            ),
        };
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(&households)
            .bind(since)
            .fetch_all(&mut **tx)
            .await?;
        for (h, day, n) in rows {
            period.exits.insert((h, day), n);
        }
        Ok(period)
    }

    /// The decisions, in order: an allowed exit counts against the exits of later scans of the
    /// same household in this batch.
    fn decisions(&self, period: &mut Period) -> Vec<(usize, Option<&'static str>)> {
        let mut decided = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            let Some(gate) = &self.gates[i] else { continue };
            let who = &self.holders[i];
            let r = &self.rules[&gate.community_id];
            let s = it.scan;
            let fever = s.temperature.is_some_and(Temperature::is_fever);
            let reason: Option<&'static str> = if who.unregistered_visitor
                || (who.visitor_id.is_some() && r.visitors_allowed == 0)
            {
                Some("visitor_not_registered")
            } else if who.household_id.is_none() && who.visitor_id.is_none() {
                Some("unknown_code")
            } else if who.revoked {
                Some("revoked_pass")
            } else if fever {
                Some("fever")
            } else if s.plate.is_some() && r.vehicles_allowed == 0 {
                Some("vehicle_not_allowed")
            } else if s.direction == "out"
                && let Some(h) = who.household_id
            {
                let since = self.first_day(i, r);
                let used: i64 = period
                    .exits
                    .iter()
                    .filter(|((hh, day), _)| *hh == h && *day >= since)
                    .map(|(_, n)| n)
                    .sum();
                if period.isolated.contains(&h) {
                    Some("quarantine")
                } else if r.in_curfew(it.when.hour) {
                    Some("curfew")
                } else if r.exits_per_period > 0 && used >= r.exits_per_period {
                    Some("exit_quota")
                } else {
                    *period.exits.entry((h, it.when.day.clone())).or_default() += 1;
                    None
                }
            } else {
                None
            };
            decided.push((i, reason));
        }
        decided
    }

    /// One multi-row insert (in chunks); the new ids by guard and key.
    async fn insert(
        &self,
        tx: &mut Tx,
        decided: &[(usize, Option<&'static str>)],
        t: i64,
    ) -> StoreResult<HashMap<(i64, String), i64>> {
        let mut ids: HashMap<(i64, String), i64> = HashMap::new();
        for chunk in decided.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO gate_scans (gate_id, community_id, guard_id, household_id, resident_id, visitor_id, direction, \
                 temperature_tenths, plate, decision, reason, day, at, idempotency_key, request_hash) VALUES ",
            );
            for (n, _) in chunk.iter().enumerate() {
                if n > 0 {
                    sql.push(',');
                }
                sql.push('(');
                sql.push_str(&placeholders(n * 15 + 1, 15));
                sql.push(')');
            }
            sql.push_str(" RETURNING id, guard_id, idempotency_key");
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for (i, reason) in chunk {
                let (it, who) = (&self.items[*i], &self.holders[*i]);
                let gate = self.gates[*i].as_ref().ok_or(StoreError::NotFound)?;
                q = q
                    .bind(gate.id)
                    .bind(gate.community_id)
                    .bind(it.user_id)
                    .bind(who.household_id)
                    .bind(who.resident_id)
                    .bind(who.visitor_id)
                    .bind(it.scan.direction.clone())
                    .bind(it.scan.temperature.map(Temperature::tenths))
                    .bind(it.scan.plate.clone())
                    .bind(if reason.is_some() { "deny" } else { "allow" })
                    .bind(*reason)
                    .bind(it.when.day.clone())
                    .bind(t)
                    .bind(it.scan.idempotency_key.clone())
                    .bind(it.scan.request_hash.clone());
            }
            let rows: Vec<(i64, i64, String)> = q.fetch_all(&mut **tx).await?;
            for (id, guard, key) in rows {
                ids.insert((guard, key), id);
            }
        }
        Ok(ids)
    }

    /// Scan `i`'s answer, once inserted: counted in the day's figures, and a fever alerted.
    async fn settle(
        &self,
        tx: &mut Tx,
        memo: &mut Memo,
        ids: &HashMap<(i64, String), i64>,
        i: usize,
        reason: Option<&'static str>,
        t: i64,
    ) -> StoreResult<(Scanned, bool)> {
        let (it, who) = (&self.items[i], &self.holders[i]);
        let gate = self.gates[i].as_ref().ok_or(StoreError::NotFound)?;
        let id = ids
            .get(&(it.user_id, it.scan.idempotency_key.clone()))
            .copied()
            .ok_or_else(|| StoreError::Database(sqlx::Error::RowNotFound))?;
        let kind = match reason {
            Some(r) => format!("refused:{r}"),
            None => it.scan.direction.clone(),
        };
        memo.count(
            gate.community_id,
            who.grid_id.unwrap_or(0),
            &it.when.day,
            &kind,
        );
        if reason == Some("fever")
            && let (Some(h), Some(temperature)) = (who.household_id, it.scan.temperature)
        {
            let fever = GateFever {
                household: h,
                resident: who.resident_id,
                guard: it.user_id,
                scan_id: id,
                day: &it.when.day,
                temperature,
            };
            fever.record(tx, t).await?;
        }
        Ok((
            Scanned {
                id,
                decision: if reason.is_some() { "deny" } else { "allow" }.into(),
                reason: reason.map(str::to_string),
                household_id: who.household_id,
                resident_id: who.resident_id,
                visitor_id: who.visitor_id,
                place: who.place.clone(),
            },
            false,
        ))
    }
}

fn reused() -> StoreError {
    StoreError::Invalid {
        field: "idempotency_key",
        code: "idempotency_key_reused",
    }
}

/// A resident's fever at the gate: kept as that person's health check of the day (source `gate`,
/// the temperature as measured), so it counts in the day's fevers and checks like one taken at the
/// door, and the alert it opens shows it. The person is the pass's, or the household's head when
/// the pass does not say who. A visitor's fever is a refusal only: a visitor is no one's resident.
struct GateFever<'a> {
    household: i64,
    resident: Option<i64>,
    guard: i64,
    scan_id: i64,
    day: &'a str,
    temperature: Temperature,
}

impl GateFever<'_> {
    async fn record(&self, tx: &mut Tx, t: i64) -> StoreResult<()> {
        let person: Option<(i64, i64)> = sqlx::query_as(
            "SELECT r.id, r.grid_id FROM residents r WHERE r.deleted_at IS NULL AND r.id = \
             COALESCE($1, (SELECT COALESCE(h.head_resident_id, (SELECT MIN(m.id) FROM residents m \
             WHERE m.household_id = h.id AND m.deleted_at IS NULL)) FROM households h WHERE h.id = $2))",
        )
        .bind(self.resident)
        .bind(self.household)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((resident, grid)) = person else {
            return Ok(());
        };
        let earlier_today: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM health_checks WHERE grid_id = $1 AND day = $2 AND resident_id = $3",
        )
        .bind(grid)
        .bind(self.day)
        .bind(resident)
        .fetch_one(&mut **tx)
        .await?;
        crate::db::day_stats::add(tx, grid, self.day, 1, i64::from(earlier_today == 0), 1).await?;
        // The scan's own id keys the check: a replayed scan never reaches here, and the key
        // cannot meet one a recorder chose (theirs come from the client).
        let key = format!("gate-scan:{}", self.scan_id);
        let check: i64 = sqlx::query_scalar(
            "INSERT INTO health_checks (resident_id, grid_id, household_id, temperature_tenths, \
             symptoms, source, fever, day, checked_at, recorded_by, idempotency_key, request_hash) \
             SELECT r.id, r.grid_id, r.household_id, $2, '', 'gate', 1, $3, $4, $5, $6, $6 \
             FROM residents r WHERE r.id = $1 RETURNING id",
        )
        .bind(resident)
        .bind(self.temperature.tenths())
        .bind(self.day)
        .bind(t)
        .bind(self.guard)
        .bind(&key)
        .fetch_one(&mut **tx)
        .await?;
        crate::db::health::open_alert_once(tx, resident, Some(check), "fever at the gate", t)
            .await?;
        Ok(())
    }
}
