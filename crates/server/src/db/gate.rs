//! Gate control (门岗): the gates of a community, household passes, exit rules, and the scan — a
//! decision with its reason, logged whether it allows or refuses.

use rand::Rng;
use shouhu_domain::{IdNumber, Temperature};

use super::scope::GRIDS_OF_USER;
use super::{Backend, Db, Scope, StoreError, StoreResult, Tx, now};

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Gate {
    pub id: i64,
    pub community_id: i64,
    pub community_code: String,
    pub name: String,
    pub kind: String,
}

const GATE_SELECT: &str = "SELECT g.id, g.community_id, c.code AS community_code, g.name, g.kind \
     FROM gates g JOIN org_units c ON c.id = g.community_id";

/// The gates of the communities holding the caller's grids.
pub async fn gates(db: &Db, scope: &Scope) -> StoreResult<Vec<Gate>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{GATE_SELECT} WHERE g.community_id IN (SELECT u.parent_id FROM org_units u WHERE u.id IN ({GRIDS_OF_USER})) \
         ORDER BY g.community_id, g.id"
    )))
    .bind(scope.user_id)
    .fetch_all(&db.pool)
    .await?)
}

async fn gate_in_scope(tx: &mut Tx, scope: &Scope, id: i64) -> StoreResult<Gate> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{GATE_SELECT} WHERE g.id = $2 AND g.community_id IN (SELECT u.parent_id FROM org_units u WHERE u.id IN ({GRIDS_OF_USER}))"
    )))
    .bind(scope.user_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Pass {
    pub household_id: i64,
    pub code: String,
    pub status: String,
    pub issued_at: i64,
}

/// 20 characters from an alphabet without look-alikes (no 0/O, 1/I/L): about 98 bits.
fn new_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// The household's active pass, issued now if it has none.
pub async fn pass_for(db: &Db, scope: &Scope, household_id: i64) -> StoreResult<Pass> {
    let mut tx = db.begin_write().await?;
    let in_scope: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM households WHERE id = $2 AND deleted_at IS NULL AND grid_id IN ({GRIDS_OF_USER})"
    )))
    .bind(scope.user_id)
    .bind(household_id)
    .fetch_optional(&mut *tx)
    .await?;
    if in_scope.is_none() {
        return Err(StoreError::NotFound);
    }
    let existing: Option<Pass> = sqlx::query_as(
        "SELECT household_id, code, status, issued_at FROM household_passes WHERE household_id = $1 AND status = 'active'",
    )
    .bind(household_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(p) = existing {
        return Ok(p);
    }
    let pass = Pass {
        household_id,
        code: new_code(),
        status: "active".into(),
        issued_at: now(),
    };
    sqlx::query(
        "INSERT INTO household_passes (household_id, code, status, issued_at, issued_by) VALUES ($1, $2, 'active', $3, $4)",
    )
    .bind(household_id)
    .bind(&pass.code)
    .bind(pass.issued_at)
    .bind(scope.user_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(pass)
}

/// Revokes the household's active pass; the next request for it issues a new code.
pub async fn revoke_pass(db: &Db, scope: &Scope, household_id: i64) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE household_passes SET status = 'revoked', revoked_at = $3 WHERE household_id = $2 AND status = 'active' \
         AND household_id IN (SELECT id FROM households WHERE grid_id IN ({GRIDS_OF_USER}))"
    )))
    .bind(scope.user_id)
    .bind(household_id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Clone, Debug)]
pub struct NewScan {
    pub gate_id: i64,
    pub code: String,
    pub direction: String,
    pub temperature: Option<Temperature>,
    pub plate: Option<String>,
    pub idempotency_key: String,
    pub request_hash: String,
}

/// A scan's answer, with what the guard needs to see.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Scanned {
    pub id: i64,
    pub decision: String,
    pub reason: Option<String>,
    pub household_id: Option<i64>,
    pub resident_id: Option<i64>,
}

/// When the scan happens, in the community's local terms.
#[derive(Clone, Copy, Debug)]
pub struct When<'a> {
    pub day: &'a str,
    /// The local date (`day` as a date).
    pub today: chrono::NaiveDate,
    pub hour: u32,
}

/// Decides and logs a scan. A retry with the same key returns the first answer.
pub async fn scan(
    db: &Db,
    scope: &Scope,
    when: When<'_>,
    s: &NewScan,
) -> StoreResult<(Scanned, bool)> {
    let mut tx = db.begin_write().await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
            .execute(&mut *tx)
            .await?;
    }
    let earlier: Option<(Scanned, String)> = {
        let row: Option<Scanned> = sqlx::query_as(
            "SELECT id, decision, reason, household_id, resident_id FROM gate_scans \
             WHERE guard_id = $1 AND idempotency_key = $2",
        )
        .bind(scope.user_id)
        .bind(&s.idempotency_key)
        .fetch_optional(&mut *tx)
        .await?;
        match row {
            Some(r) => {
                let hash: String =
                    sqlx::query_scalar("SELECT request_hash FROM gate_scans WHERE id = $1")
                        .bind(r.id)
                        .fetch_one(&mut *tx)
                        .await?;
                Some((r, hash))
            }
            None => None,
        }
    };
    if let Some((first, hash)) = earlier {
        if hash != s.request_hash {
            return Err(StoreError::Invalid {
                field: "idempotency_key",
                code: "idempotency_key_reused",
            });
        }
        return Ok((first, true));
    }
    let gate = gate_in_scope(&mut tx, scope, s.gate_id).await?;
    // A pass code, or for a resident without one an ID number, within the gate's community.
    let pass: Option<(i64, String)> = sqlx::query_as(
        "SELECT p.household_id, p.status FROM household_passes p JOIN households h ON h.id = p.household_id \
         JOIN org_units g ON g.id = h.grid_id WHERE p.code = $1 AND g.parent_id = $2 AND h.deleted_at IS NULL",
    )
    .bind(s.code.trim().to_ascii_uppercase())
    .bind(gate.community_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (household_id, resident_id, revoked) = match pass {
        Some((h, status)) => (Some(h), None, status != "active"),
        None => match IdNumber::parse(&s.code, when.today) {
            Ok(id) => {
                let r: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT r.id, r.household_id FROM residents r JOIN org_units g ON g.id = r.grid_id \
                     WHERE r.id_number = $1 AND g.parent_id = $2 AND r.deleted_at IS NULL ORDER BY r.id LIMIT 1",
                )
                .bind(id.as_str())
                .bind(gate.community_id)
                .fetch_optional(&mut *tx)
                .await?;
                match r {
                    Some((rid, h)) => (Some(h), Some(rid), false),
                    None => (None, None, false),
                }
            }
            Err(_) => (None, None, false),
        },
    };
    let fever = s.temperature.is_some_and(Temperature::is_fever);
    let reason: Option<&str> = if household_id.is_none() {
        Some("unknown_code")
    } else if revoked {
        Some("revoked_pass")
    } else if fever {
        Some("fever")
    } else if s.direction == "out" {
        let h = household_id.unwrap_or_default();
        if db.backend == Backend::Postgres {
            // Two exits of one household at two gates at once: the second waits for the first, then
            // counts it. (SQLite's writers already take turns.)
            sqlx::query("SELECT id FROM households WHERE id = $1 FOR UPDATE")
                .bind(h)
                .execute(&mut *tx)
                .await?;
        }
        exit_refusal(&mut tx, &gate, h, when).await?
    } else {
        None
    };
    let t = now();
    let decision = if reason.is_some() { "deny" } else { "allow" };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO gate_scans (gate_id, community_id, guard_id, household_id, resident_id, direction, \
         temperature_tenths, plate, decision, reason, day, at, idempotency_key, request_hash) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id",
    )
    .bind(gate.id)
    .bind(gate.community_id)
    .bind(scope.user_id)
    .bind(household_id)
    .bind(resident_id)
    .bind(&s.direction)
    .bind(s.temperature.map(Temperature::tenths))
    .bind(s.plate.as_deref())
    .bind(decision)
    .bind(reason)
    .bind(when.day)
    .bind(t)
    .bind(&s.idempotency_key)
    .bind(&s.request_hash)
    .fetch_one(&mut *tx)
    .await?;
    if fever && let Some(h) = household_id {
        // The person with the fever, or the household's head when the pass does not say who.
        let who: Option<i64> = match resident_id {
            Some(r) => Some(r),
            None => sqlx::query_scalar("SELECT COALESCE(head_resident_id, (SELECT MIN(r.id) FROM residents r WHERE r.household_id = households.id AND r.deleted_at IS NULL)) FROM households WHERE id = $1")
                .bind(h)
                .fetch_one(&mut *tx)
                .await?,
        };
        if let Some(r) = who {
            super::health::open_alert_once(&mut tx, r, None, "fever at the gate", t).await?;
        }
    }
    tx.commit().await?;
    Ok((
        Scanned {
            id,
            decision: decision.into(),
            reason: reason.map(str::to_string),
            household_id,
            resident_id,
        },
        false,
    ))
}

/// Why an exit is refused, if it is: a member under home isolation, the curfew, the exit quota.
async fn exit_refusal(
    tx: &mut Tx,
    gate: &Gate,
    household_id: i64,
    when: When<'_>,
) -> StoreResult<Option<&'static str>> {
    let isolated: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM quarantines WHERE household_id = $1 AND kind = 'home' AND status = 'active'",
    )
    .bind(household_id)
    .fetch_one(&mut **tx)
    .await?;
    if isolated > 0 {
        return Ok(Some("quarantine"));
    }
    let rules: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT exits_per_period, period_days, curfew_start, curfew_end FROM gate_rules WHERE community_id = $1",
    )
    .bind(gate.community_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((quota, period, start, end)) = rules else {
        return Ok(None);
    };
    let hour = i64::from(when.hour);
    let in_curfew = if start == end {
        false
    } else if start < end {
        (start..end).contains(&hour)
    } else {
        hour >= start || hour < end
    };
    if in_curfew {
        return Ok(Some("curfew"));
    }
    if quota > 0 {
        let first = when.today - chrono::Days::new(u64::try_from(period.max(1) - 1).unwrap_or(0));
        let exits: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM gate_scans WHERE household_id = $1 AND direction = 'out' AND decision = 'allow' AND day >= $2",
        )
        .bind(household_id)
        .bind(first.to_string())
        .fetch_one(&mut **tx)
        .await?;
        if exits >= quota {
            return Ok(Some("exit_quota"));
        }
    }
    Ok(None)
}
