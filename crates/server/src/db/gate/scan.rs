//! The scan: what a code names (a household's pass, a visitor's code, a resident's ID number), the
//! community's rules, the decision, and the log — in the caller's transaction, so that the writer
//! (`writer.rs`) can commit many scans together.

use shouhu_domain::{IdNumber, Phone, Temperature};

use super::{Gate, gate_in_scope};
use crate::db::{Backend, StoreError, StoreResult, Tx, now};

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
    pub visitor_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Earlier {
    #[sqlx(flatten)]
    scanned: Scanned,
    request_hash: String,
}

/// When the scan happens, in the community's local terms.
#[derive(Clone, Debug)]
pub struct When {
    pub day: String,
    /// The local date (`day` as a date).
    pub today: chrono::NaiveDate,
    pub hour: u32,
}

impl When {
    pub fn at(local: chrono::DateTime<chrono_tz::Tz>) -> When {
        use chrono::Timelike;
        let today = local.date_naive();
        When {
            day: today.to_string(),
            today,
            hour: local.hour(),
        }
    }
}

/// A community's gate rules; a community without any has no limits.
#[derive(Clone, Debug, Default, sqlx::FromRow, serde::Serialize)]
pub struct Rules {
    pub exits_per_period: i64,
    pub period_days: i64,
    pub curfew_start: i64,
    pub curfew_end: i64,
    pub vehicles_allowed: i64,
    pub visitors_allowed: i64,
}

impl Rules {
    pub async fn of(tx: &mut Tx, community_id: i64) -> StoreResult<Rules> {
        let r: Option<Rules> = sqlx::query_as(
            "SELECT exits_per_period, period_days, curfew_start, curfew_end, vehicles_allowed, visitors_allowed \
             FROM gate_rules WHERE community_id = $1",
        )
        .bind(community_id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(r.unwrap_or(Rules {
            vehicles_allowed: 1,
            visitors_allowed: 1,
            period_days: 1,
            ..Rules::default()
        }))
    }

    /// Exits are refused from `curfew_start` until `curfew_end` (local hours; across midnight when
    /// start > end; no curfew when equal).
    pub fn in_curfew(&self, hour: u32) -> bool {
        let (start, end, hour) = (self.curfew_start, self.curfew_end, i64::from(hour));
        if start == end {
            false
        } else if start < end {
            (start..end).contains(&hour)
        } else {
            hour >= start || hour < end
        }
    }
}

/// Whom a code names, within the gate's community.
#[derive(Default)]
struct Holder {
    household_id: Option<i64>,
    resident_id: Option<i64>,
    visitor: Option<(i64, String)>,
    revoked: bool,
    /// A phone number or visitor code with no registration good today.
    unregistered_visitor: bool,
}

async fn holder(tx: &mut Tx, gate: &Gate, code: &str, when: &When) -> StoreResult<Holder> {
    let upper = code.trim().to_ascii_uppercase();
    let pass: Option<(i64, String)> = sqlx::query_as(
        "SELECT p.household_id, p.status FROM household_passes p JOIN households h ON h.id = p.household_id \
         JOIN org_units g ON g.id = h.grid_id WHERE p.code = $1 AND g.parent_id = $2 AND h.deleted_at IS NULL",
    )
    .bind(&upper)
    .bind(gate.community_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((h, status)) = pass {
        return Ok(Holder {
            household_id: Some(h),
            revoked: status != "active",
            ..Holder::default()
        });
    }
    if let Ok(id) = IdNumber::parse(code, when.today) {
        let r: Option<(i64, i64)> = sqlx::query_as(
            "SELECT r.id, r.household_id FROM residents r JOIN org_units g ON g.id = r.grid_id \
             WHERE r.id_number = $1 AND g.parent_id = $2 AND r.deleted_at IS NULL ORDER BY r.id LIMIT 1",
        )
        .bind(id.as_str())
        .bind(gate.community_id)
        .fetch_optional(&mut **tx)
        .await?;
        return Ok(match r {
            Some((rid, h)) => Holder {
                household_id: Some(h),
                resident_id: Some(rid),
                ..Holder::default()
            },
            None => Holder::default(),
        });
    }
    // A visitor's code, or the phone number a visitor was registered with.
    let phone = Phone::parse(code).ok().map(|p| p.to_string());
    let visitor: Option<(i64, String, String)> = sqlx::query_as(
        "SELECT id, day, code FROM gate_visitors WHERE community_id = $1 AND (code = $2 OR phone = $3) \
         ORDER BY (day = $4) DESC, id DESC LIMIT 1",
    )
    .bind(gate.community_id)
    .bind(&upper)
    .bind(phone.as_deref().unwrap_or(""))
    .bind(&when.day)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match visitor {
        Some((id, day, _)) if day == when.day => Holder {
            visitor: Some((id, day)),
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
    })
}

/// Decides and logs a scan in `tx`. A retry with the same key returns the first answer (true).
/// Every refusal is decided before anything is written, so an error leaves `tx` as it was.
pub async fn scan_in(
    tx: &mut Tx,
    backend: Backend,
    user_id: i64,
    when: &When,
    s: &NewScan,
) -> StoreResult<(Scanned, bool)> {
    let earlier: Option<Earlier> = sqlx::query_as(
        "SELECT id, decision, reason, household_id, resident_id, visitor_id, request_hash FROM gate_scans \
         WHERE guard_id = $1 AND idempotency_key = $2",
    )
    .bind(user_id)
    .bind(&s.idempotency_key)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(e) = earlier {
        if e.request_hash != s.request_hash {
            return Err(StoreError::Invalid {
                field: "idempotency_key",
                code: "idempotency_key_reused",
            });
        }
        return Ok((e.scanned, true));
    }
    let gate = gate_in_scope(tx, user_id, s.gate_id).await?;
    let who = holder(tx, &gate, &s.code, when).await?;
    let rules = Rules::of(tx, gate.community_id).await?;
    let fever = s.temperature.is_some_and(Temperature::is_fever);
    let reason: Option<&'static str> =
        if who.unregistered_visitor || (who.visitor.is_some() && rules.visitors_allowed == 0) {
            Some("visitor_not_registered")
        } else if who.household_id.is_none() && who.visitor.is_none() {
            Some("unknown_code")
        } else if who.revoked {
            Some("revoked_pass")
        } else if fever {
            Some("fever")
        } else if s.plate.is_some() && rules.vehicles_allowed == 0 {
            Some("vehicle_not_allowed")
        } else if s.direction == "out"
            && let Some(h) = who.household_id
        {
            if backend == Backend::Postgres {
                // Two exits of one household at two servers at once: the second waits for the first,
                // then counts it. (SQLite's writers already take turns, and so do one server's scans.)
                sqlx::query("SELECT id FROM households WHERE id = $1 FOR UPDATE")
                    .bind(h)
                    .execute(&mut **tx)
                    .await?;
            }
            exit_refusal(tx, &rules, h, when).await?
        } else {
            None
        };
    let t = now();
    let decision = if reason.is_some() { "deny" } else { "allow" };
    let visitor_id = who.visitor.as_ref().map(|v| v.0);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO gate_scans (gate_id, community_id, guard_id, household_id, resident_id, visitor_id, direction, \
         temperature_tenths, plate, decision, reason, day, at, idempotency_key, request_hash) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING id",
    )
    .bind(gate.id)
    .bind(gate.community_id)
    .bind(user_id)
    .bind(who.household_id)
    .bind(who.resident_id)
    .bind(visitor_id)
    .bind(&s.direction)
    .bind(s.temperature.map(Temperature::tenths))
    .bind(s.plate.as_deref())
    .bind(decision)
    .bind(reason)
    .bind(&when.day)
    .bind(t)
    .bind(&s.idempotency_key)
    .bind(&s.request_hash)
    .fetch_one(&mut **tx)
    .await?;
    let kind = match reason {
        Some(r) => format!("refused:{r}"),
        None => s.direction.clone(),
    };
    count(tx, &gate, who.household_id, visitor_id, &when.day, &kind).await?;
    if fever && let Some(h) = who.household_id {
        // The person with the fever, or the household's head when the pass does not say who.
        let person: Option<i64> = match who.resident_id {
            Some(r) => Some(r),
            None => sqlx::query_scalar(
                "SELECT COALESCE(head_resident_id, (SELECT MIN(r.id) FROM residents r \
                 WHERE r.household_id = households.id AND r.deleted_at IS NULL)) FROM households WHERE id = $1",
            )
            .bind(h)
            .fetch_one(&mut **tx)
            .await?,
        };
        if let Some(r) = person {
            crate::db::health::open_alert_once(tx, r, None, "fever at the gate", t).await?;
        }
    }
    Ok((
        Scanned {
            id,
            decision: decision.into(),
            reason: reason.map(str::to_string),
            household_id: who.household_id,
            resident_id: who.resident_id,
            visitor_id,
        },
        false,
    ))
}

/// Adds the scan to its grid's figures of the day (grid 0 when it names no household); a visitor
/// counts for the host's grid.
async fn count(
    tx: &mut Tx,
    gate: &Gate,
    household_id: Option<i64>,
    visitor_id: Option<i64>,
    day: &str,
    kind: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO gate_day_stats (community_id, grid_id, day, kind, n) VALUES ($1, \
         COALESCE((SELECT grid_id FROM households WHERE id = COALESCE($2, \
         (SELECT host_household_id FROM gate_visitors WHERE id = $3))), 0), $4, $5, 1) \
         ON CONFLICT (community_id, day, grid_id, kind) DO UPDATE SET n = gate_day_stats.n + 1",
    )
    .bind(gate.community_id)
    .bind(household_id)
    .bind(visitor_id)
    .bind(day)
    .bind(kind)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Why an exit is refused, if it is: a member under home isolation, the curfew, the exit quota.
async fn exit_refusal(
    tx: &mut Tx,
    rules: &Rules,
    household_id: i64,
    when: &When,
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
    if rules.in_curfew(when.hour) {
        return Ok(Some("curfew"));
    }
    if rules.exits_per_period > 0 {
        let back = u64::try_from(rules.period_days.max(1) - 1).unwrap_or(0);
        let first = when.today - chrono::Days::new(back);
        let exits: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM gate_scans WHERE household_id = $1 AND direction = 'out' AND decision = 'allow' AND day >= $2",
        )
        .bind(household_id)
        .bind(first.to_string())
        .fetch_one(&mut **tx)
        .await?;
        if exits >= rules.exits_per_period {
            return Ok(Some("exit_quota"));
        }
    }
    Ok(None)
}
