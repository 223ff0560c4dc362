//! A batch of scans decided together: a handful of set queries for the whole batch (earlier answers
//! by key, what each code names, home isolation and the exits of the period), the decisions made in
//! order in memory (so two exits of one household in one batch see each other), and one multi-row
//! insert. The cost of a scan is then a share of a few statements and of one commit.

use std::collections::{HashMap, HashSet};

use shouhu_domain::{IdNumber, Phone, Temperature};

use super::Gate;
use super::scan::{Memo, NewScan, Place, Rules, Scanned, When};
use crate::db::value_set::{ints, ints_in, texts, texts_in};
use crate::db::{Backend, StoreError, StoreResult, Tx, now};

/// One scan of the batch.
pub struct Item<'a> {
    pub user_id: i64,
    pub when: &'a When,
    pub scan: &'a NewScan,
}

pub type Answer = StoreResult<(Scanned, bool)>;

/// Whom a code names, within the gate's community.
#[derive(Clone, Default)]
struct Holder {
    household_id: Option<i64>,
    resident_id: Option<i64>,
    visitor_id: Option<i64>,
    /// Where the scan counts: the household's grid (the host's, for a visitor).
    grid_id: Option<i64>,
    revoked: bool,
    /// A phone number or visitor code with no registration good today.
    unregistered_visitor: bool,
    place: Option<Place>,
}

/// The columns that say where a household (`h`) is and who heads it; `$NAME` is replaced by the
/// name to show.
const PLACE: &str = "$NAME, b.name, h.room, h.address FROM households h \
     LEFT JOIN residents hr ON hr.id = h.head_resident_id \
     LEFT JOIN building_units bu ON bu.id = h.building_unit_id LEFT JOIN buildings b ON b.id = bu.building_id";

fn place(
    name: Option<String>,
    building: Option<String>,
    room: String,
    address: String,
) -> Option<Place> {
    Some(Place {
        name,
        building,
        room,
        address,
    })
}

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

    // Earlier answers for these keys (retries), and repeats within the batch.
    let keys: Vec<&str> = items
        .iter()
        .map(|i| i.scan.idempotency_key.as_str())
        .collect();
    let rows: Vec<EarlierRow> = {
        // Each (guard, key) pair is one probe of the (guard_id, idempotency_key) index. On
        // PostgreSQL the probe is a LATERAL subquery of each pair (its LIMIT keeps the planner from
        // folding it into a join): the one plan whatever the log's size when it was made. With two
        // separate sets, or a join the planner may turn around, a plan made while the log was
        // empty read every scan of the guard on each batch.
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
        rows
    };
    let earlier: HashMap<(i64, String), (Scanned, String)> = rows
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
        .collect();
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

    let holders = holders(tx, backend, items, &gates).await?;
    let mut rules: HashMap<i64, Rules> = HashMap::new();
    for g in gates.iter().flatten() {
        if let std::collections::hash_map::Entry::Vacant(e) = rules.entry(g.community_id) {
            e.insert(memo.rules(tx, g.community_id).await?);
        }
    }

    // Home isolation and the exits of the period, for every household that may go out.
    let leaving: Vec<i64> = {
        let mut set = HashSet::new();
        for (i, it) in items.iter().enumerate() {
            if gates[i].is_some()
                && it.scan.direction == "out"
                && let Some(h) = holders[i].household_id
            {
                set.insert(h);
            }
        }
        let mut v: Vec<i64> = set.into_iter().collect();
        v.sort_unstable();
        v
    };
    let first_day = |it: &Item<'_>, r: &Rules| {
        let back = u64::try_from(r.period_days.max(1) - 1).unwrap_or(0);
        (it.when.today - chrono::Days::new(back)).to_string()
    };
    let mut isolated: HashSet<i64> = HashSet::new();
    let mut exits: HashMap<(i64, String), i64> = HashMap::new();
    if !leaving.is_empty() {
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
        isolated.extend(rows.into_iter().filter(|r| r.1 > 0).map(|r| r.0));
        let since = items
            .iter()
            .zip(&gates)
            .filter_map(|(it, g)| g.as_ref().map(|g| first_day(it, &rules[&g.community_id])))
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
            exits.insert((h, day), n);
        }
    }

    // The decisions, in order.
    let mut decided: Vec<(usize, Option<&'static str>)> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let Some(gate) = &gates[i] else { continue };
        let who = &holders[i];
        let r = &rules[&gate.community_id];
        let s = it.scan;
        let fever = s.temperature.is_some_and(Temperature::is_fever);
        let reason: Option<&'static str> =
            if who.unregistered_visitor || (who.visitor_id.is_some() && r.visitors_allowed == 0) {
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
                let since = first_day(it, r);
                let used: i64 = exits
                    .iter()
                    .filter(|((hh, day), _)| *hh == h && *day >= since)
                    .map(|(_, n)| n)
                    .sum();
                if isolated.contains(&h) {
                    Some("quarantine")
                } else if r.in_curfew(it.when.hour) {
                    Some("curfew")
                } else if r.exits_per_period > 0 && used >= r.exits_per_period {
                    Some("exit_quota")
                } else {
                    *exits.entry((h, it.when.day.clone())).or_default() += 1;
                    None
                }
            } else {
                None
            };
        decided.push((i, reason));
    }

    // One multi-row insert (in chunks), ids matched back by guard and key.
    let t = now();
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
            let (it, who) = (&items[*i], &holders[*i]);
            let gate = gates[*i].as_ref().ok_or(StoreError::NotFound)?;
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

    for (i, reason) in decided {
        let (it, who) = (&items[i], &holders[i]);
        let gate = gates[i].as_ref().ok_or(StoreError::NotFound)?;
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
            && let Some(h) = who.household_id
        {
            fever_alert(tx, h, who.resident_id, t).await?;
        }
        answers[i] = Some(Ok((
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
        )));
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

fn reused() -> StoreError {
    StoreError::Invalid {
        field: "idempotency_key",
        code: "idempotency_key_reused",
    }
}

/// An alert for the person with the fever, or the household's head when the pass does not say who.
async fn fever_alert(
    tx: &mut Tx,
    household: i64,
    resident: Option<i64>,
    t: i64,
) -> StoreResult<()> {
    let person: Option<i64> = match resident {
        Some(r) => Some(r),
        None => sqlx::query_scalar(
            "SELECT COALESCE(head_resident_id, (SELECT MIN(r.id) FROM residents r \
             WHERE r.household_id = households.id AND r.deleted_at IS NULL)) FROM households WHERE id = $1",
        )
        .bind(household)
        .fetch_one(&mut **tx)
        .await?,
    };
    if let Some(r) = person {
        crate::db::health::open_alert_once(tx, r, None, "fever at the gate", t).await?;
    }
    Ok(())
}

type Where = (Option<String>, Option<String>, String, String);
type PassRow = (
    String,
    i64,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
);
type ResidentRow = (
    String,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
);
type VisitorRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    String,
    String,
);

/// What each scan's code names: a pass, else a resident's ID number, else a visitor's code or
/// phone — each kind looked up for the whole batch at once.
async fn holders(
    tx: &mut Tx,
    backend: Backend,
    items: &[Item<'_>],
    gates: &[Option<Gate>],
) -> StoreResult<Vec<Holder>> {
    let mut out = vec![Holder::default(); items.len()];
    let live: Vec<usize> = (0..items.len()).filter(|i| gates[*i].is_some()).collect();
    if live.is_empty() {
        return Ok(out);
    }
    let community = |i: usize| gates[i].as_ref().map(|g| g.community_id).unwrap_or(0);
    let upper: Vec<String> = items
        .iter()
        .map(|it| it.scan.code.trim().to_ascii_uppercase())
        .collect();

    let codes: Vec<&str> = live.iter().map(|i| upper[*i].as_str()).collect();
    let sql = format!(
        "SELECT p.code, p.household_id, p.status, h.grid_id, g.parent_id, {} \
         JOIN household_passes p ON p.household_id = h.id JOIN org_units g ON g.id = h.grid_id \
         WHERE {} AND h.deleted_at IS NULL",
        PLACE.replace("$NAME", "hr.name"),
        texts_in(backend, "p.code", 1)
    );
    let passes: Vec<PassRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(texts(backend, &codes))
        .fetch_all(&mut **tx)
        .await?;
    let passes: HashMap<(String, i64), (i64, String, i64, Where)> = passes
        .into_iter()
        .map(|(code, h, status, grid, c, n, b, r, a)| ((code, c), (h, status, grid, (n, b, r, a))))
        .collect();
    let mut rest = Vec::new();
    for &i in &live {
        match passes.get(&(upper[i].clone(), community(i))) {
            Some((h, status, grid, (n, b, r, a))) => {
                out[i] = Holder {
                    household_id: Some(*h),
                    grid_id: Some(*grid),
                    revoked: status != "active",
                    place: place(n.clone(), b.clone(), r.clone(), a.clone()),
                    ..Holder::default()
                };
            }
            None => rest.push(i),
        }
    }

    // ID numbers, for residents without a pass.
    let mut by_id: Vec<(usize, String)> = Vec::new();
    let mut others = Vec::new();
    for i in rest {
        match IdNumber::parse(&items[i].scan.code, items[i].when.today) {
            Ok(id) => by_id.push((i, id.as_str().to_string())),
            Err(_) => others.push(i),
        }
    }
    if !by_id.is_empty() {
        // The resident's own name: the person standing at the gate.
        let sql = format!(
            "SELECT r.id_number, r.id, r.household_id, r.grid_id, g.parent_id, {} \
             JOIN residents r ON r.household_id = h.id JOIN org_units g ON g.id = r.grid_id \
             WHERE {} AND r.deleted_at IS NULL ORDER BY r.id",
            PLACE.replace("$NAME", "r.name"),
            texts_in(backend, "r.id_number", 1)
        );
        let numbers: Vec<&str> = by_id.iter().map(|(_, id)| id.as_str()).collect();
        let rows: Vec<ResidentRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(texts(backend, &numbers))
            .fetch_all(&mut **tx)
            .await?;
        let mut found: HashMap<(String, i64), (i64, i64, i64, Where)> = HashMap::new();
        for (number, r, h, grid, c, n, b, room, a) in rows {
            found
                .entry((number, c))
                .or_insert((r, h, grid, (n, b, room, a)));
        }
        for (i, id) in by_id {
            if let Some((r, h, grid, (n, b, room, a))) = found.get(&(id, community(i))) {
                out[i] = Holder {
                    household_id: Some(*h),
                    resident_id: Some(*r),
                    grid_id: Some(*grid),
                    place: place(n.clone(), b.clone(), room.clone(), a.clone()),
                    ..Holder::default()
                };
            }
        }
    }

    // Visitors, by code or by the phone they were registered with.
    if !others.is_empty() {
        let phones: Vec<Option<String>> = others
            .iter()
            .map(|i| {
                Phone::parse(&items[*i].scan.code)
                    .ok()
                    .map(|p| p.to_string())
            })
            .collect();
        let codes: Vec<&str> = others.iter().map(|i| upper[*i].as_str()).collect();
        let phone_list: Vec<&str> = phones.iter().flatten().map(String::as_str).collect();
        let sql = format!(
            "SELECT v.id, v.code, v.phone, v.day, v.community_id, h.grid_id, {} \
             JOIN gate_visitors v ON v.host_household_id = h.id WHERE {} OR {}",
            PLACE.replace("$NAME", "v.name"),
            texts_in(backend, "v.code", 1),
            texts_in(backend, "v.phone", 2)
        );
        let rows: Vec<VisitorRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(texts(backend, &codes))
            .bind(texts(backend, &phone_list))
            .fetch_all(&mut **tx)
            .await?;
        for (n, &i) in others.iter().enumerate() {
            let phone = phones[n].as_deref();
            let mut matches: Vec<&VisitorRow> = rows
                .iter()
                .filter(|v| v.4 == community(i) && (v.1 == upper[i] || Some(v.2.as_str()) == phone))
                .collect();
            // Today's registration first, then the latest.
            matches.sort_by_key(|v| (v.3 != items[i].when.day, -v.0));
            out[i] = match matches.first() {
                Some(v) if v.3 == items[i].when.day => Holder {
                    visitor_id: Some(v.0),
                    grid_id: Some(v.5),
                    place: place(v.6.clone(), v.7.clone(), v.8.clone(), v.9.clone()),
                    ..Holder::default()
                },
                Some(_) => Holder {
                    unregistered_visitor: true,
                    ..Holder::default()
                },
                None => Holder {
                    unregistered_visitor: phone.is_some(),
                    ..Holder::default()
                },
            };
        }
    }
    Ok(out)
}
