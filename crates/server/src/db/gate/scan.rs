//! The scan's terms: what a guard sends, what it answers, when it happens, the community's rules,
//! and what one batch of scans shares. The decisions are made in `batch.rs`.

use shouhu_domain::Temperature;

use super::{GATE_COLUMNS, GATE_FROM, Gate, of_users_communities};
use crate::db::{StoreError, StoreResult, Tx};

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

/// Where the holder of a code lives (or, for a visitor, whom they visit), and the name to show.
#[derive(Clone, Debug, Default)]
pub struct Place {
    /// The household's head, or the visitor; unmasked here, masked by the web edge.
    pub name: Option<String>,
    pub building: Option<String>,
    pub room: String,
    pub address: String,
}

/// A scan's answer, with what the guard needs to see.
#[derive(Clone, Debug)]
pub struct Scanned {
    pub id: i64,
    pub decision: String,
    pub reason: Option<String>,
    pub household_id: Option<i64>,
    pub resident_id: Option<i64>,
    pub visitor_id: Option<i64>,
    /// None for a retry's answer (looked up again by the caller when needed).
    pub place: Option<Place>,
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

#[derive(sqlx::FromRow)]
struct GateWithRules {
    #[sqlx(flatten)]
    gate: Gate,
    exits_per_period: Option<i64>,
    period_days: Option<i64>,
    curfew_start: Option<i64>,
    curfew_end: Option<i64>,
    vehicles_allowed: Option<i64>,
    visitors_allowed: Option<i64>,
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
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn of(tx: &mut Tx, community_id: i64) -> StoreResult<Rules> {
        let r: Option<Rules> = sqlx::query_as(
            "SELECT exits_per_period, period_days, curfew_start, curfew_end, vehicles_allowed, visitors_allowed \
             FROM gate_rules WHERE community_id = $1",
        )
        .bind(community_id)
        .fetch_optional(&mut **tx)
        .await?;
        Ok(r.unwrap_or_else(Rules::none))
    }

    /// No limits: what a community without rules has.
    pub fn none() -> Rules {
        Rules {
            vehicles_allowed: 1,
            visitors_allowed: 1,
            period_days: 1,
            ..Rules::default()
        }
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

/// What one batch of scans shares: gates and rules looked up once per batch, and the day's figures
/// added up in memory and written once per grid and kind at the end (see `writer.rs`).
#[derive(Default)]
pub struct Memo {
    gates: std::collections::HashMap<(i64, i64), Gate>,
    rules: std::collections::HashMap<i64, Rules>,
    /// (community, grid or 0, day, kind) → scans.
    counts: std::collections::HashMap<(i64, i64, String, String), i64>,
}

impl Memo {
    pub(super) async fn gate(
        &mut self,
        tx: &mut Tx,
        user_id: i64,
        gate_id: i64,
    ) -> StoreResult<Gate> {
        if let Some(g) = self.gates.get(&(user_id, gate_id)) {
            return Ok(g.clone());
        }
        // The gate with its community's rules, in one trip.
        let row: Option<GateWithRules> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {GATE_COLUMNS}, r.exits_per_period, r.period_days, r.curfew_start, r.curfew_end, \
             r.vehicles_allowed, r.visitors_allowed {GATE_FROM} \
             LEFT JOIN gate_rules r ON r.community_id = g.community_id WHERE g.id = $2 AND {}",
            of_users_communities()
        )))
        .bind(user_id)
        .bind(gate_id)
        .fetch_optional(&mut **tx)
        .await?;
        let row = row.ok_or(StoreError::NotFound)?;
        let g = row.gate;
        // A community without a rules row has no limits (as `Rules::of` answers).
        let rules = match (
            row.exits_per_period,
            row.period_days,
            row.curfew_start,
            row.curfew_end,
            row.vehicles_allowed,
            row.visitors_allowed,
        ) {
            (Some(e), Some(p), Some(cs), Some(ce), Some(v), Some(vi)) => Rules {
                exits_per_period: e,
                period_days: p,
                curfew_start: cs,
                curfew_end: ce,
                vehicles_allowed: v,
                visitors_allowed: vi,
            },
            _ => Rules::none(),
        };
        self.rules.entry(g.community_id).or_insert(rules);
        self.gates.insert((user_id, gate_id), g.clone());
        Ok(g)
    }

    pub(super) async fn rules(&mut self, tx: &mut Tx, community_id: i64) -> StoreResult<Rules> {
        if let Some(r) = self.rules.get(&community_id) {
            return Ok(r.clone());
        }
        let r = Rules::of(tx, community_id).await?;
        self.rules.insert(community_id, r.clone());
        Ok(r)
    }

    /// Counts one scan for the day's figures of its grid (0: none) and kind (`in`, `out`,
    /// `refused:<reason>`).
    pub fn count(&mut self, community_id: i64, grid_id: i64, day: &str, kind: &str) {
        *self
            .counts
            .entry((community_id, grid_id, day.to_string(), kind.to_string()))
            .or_default() += 1;
    }

    /// Writes the batch's figures: one upsert per grid, day and kind.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn flush(&mut self, tx: &mut Tx) -> StoreResult<()> {
        // In one order for every writer, so that two batches never wait on each other's rows;
        // one statement for up to 100 of them (a batch spans many grids).
        let mut counts: Vec<_> = self.counts.drain().collect();
        counts.sort();
        for chunk in counts.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO gate_day_stats (community_id, grid_id, day, kind, n) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                let b = i * 5;
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5
                ));
            }
            sql.push_str(
                " ON CONFLICT (community_id, day, grid_id, kind) DO UPDATE SET n = gate_day_stats.n + excluded.n",
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ((community, grid, day, kind), n) in chunk {
                q = q
                    .bind(*community)
                    .bind(*grid)
                    .bind(day.clone())
                    .bind(kind.clone())
                    .bind(*n);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }
}
