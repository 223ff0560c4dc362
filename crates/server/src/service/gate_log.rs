//! The community's gate rules, visitors registered at the gate, and the gate log with its export.
//! The views and operations shared by the API (`web::api::gate_log`, which adds the handlers) and
//! the pages.

use crate::db::gate::log::{self, DayCounts, HourCount};
use crate::db::gate::visitors::NewVisitor;
use crate::db::gate::{self, Rules};
use crate::service::AppState;
use crate::service::caller::Caller;
use crate::service::error::{ApiResult, AppError, Faults};
use crate::service::validate;
use chrono::Offset;
use serde::{Deserialize, Serialize};
use shouhu_domain::{Plate, mask};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommunityQuery {
    /// The community's code.
    pub community: String,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesBody {
    /// Exits allowed per household in `period_days` days; 0 for no limit.
    pub exits_per_period: i64,
    pub period_days: i64,
    /// Local hours 0–23; exits refused from start until end; equal for no curfew.
    pub curfew_start: i64,
    pub curfew_end: i64,
    pub vehicles_allowed: bool,
    pub visitors_allowed: bool,
}

impl RulesBody {
    pub fn from_rules(r: &Rules) -> RulesBody {
        RulesBody {
            exits_per_period: r.exits_per_period,
            period_days: r.period_days,
            curfew_start: r.curfew_start,
            curfew_end: r.curfew_end,
            vehicles_allowed: r.vehicles_allowed != 0,
            visitors_allowed: r.visitors_allowed != 0,
        }
    }

    /// Checked here so that the page and the API refuse the same things.
    pub fn to_rules(&self) -> Result<Rules, AppError> {
        let range = |field: &'static str, v: i64, lo: i64, hi: i64| {
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(AppError::invalid(
                    field,
                    "out_of_range",
                    format!("{field} is {lo}–{hi}"),
                ))
            }
        };
        Ok(Rules {
            exits_per_period: range("exits_per_period", self.exits_per_period, 0, 100)?,
            period_days: range("period_days", self.period_days, 1, 30)?,
            curfew_start: range("curfew_start", self.curfew_start, 0, 23)?,
            curfew_end: range("curfew_end", self.curfew_end, 0, 23)?,
            vehicles_allowed: i64::from(self.vehicles_allowed),
            visitors_allowed: i64::from(self.visitors_allowed),
        })
    }
}

/// Sets and audits the rules; shared with the rules page.
pub async fn store_rules(
    state: &AppState,
    caller: &Caller,
    community: &str,
    new: &Rules,
) -> ApiResult<()> {
    let (id, old) = gate::rules(&state.db, &caller.scope(), community).await?;
    gate::set_rules(&state.db, &caller.scope(), community, new).await?;
    let detail = format!(
        "{} → {}",
        serde_json::to_string(&old).unwrap_or_default(),
        serde_json::to_string(new).unwrap_or_default()
    );
    crate::db::audit::record(
        &state.db,
        &caller
            .actor()
            .entry("gate.rules.set", "org_unit", id, detail),
    )
    .await?;
    Ok(())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorBody {
    pub gate_id: i64,
    /// The host household, or `host_building` + `host_room` (+ `host_unit` when rooms repeat).
    pub host_household_id: Option<i64>,
    pub host_building: Option<String>,
    pub host_unit: Option<String>,
    pub host_room: Option<String>,
    pub name: String,
    pub phone: String,
    pub purpose: String,
    pub plate: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VisitorView {
    pub id: i64,
    /// Good at this community's gates for `valid_on` only; the phone number works as well.
    pub code: String,
    pub valid_on: String,
    pub host_household_id: i64,
}

pub fn visitor_from(b: &VisitorBody) -> Result<NewVisitor, AppError> {
    let opt =
        |field: &'static str, v: &Option<String>, max: usize| -> Result<Option<String>, AppError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => validate::text(field, s, max, true).map(Some),
            }
        };
    // Every field is checked, so that the guard hears of all the mistakes at once.
    let mut f = Faults::default();
    let plate = match f.take(opt("plate", &b.plate, 16))?.flatten() {
        None => None,
        Some(p) => f.take(
            Plate::parse(&p)
                .map(|p| p.to_string())
                .map_err(|e| AppError::invalid("plate", "invalid_plate", e.to_string())),
        )?,
    };
    let host_building = f.take(opt("host_building", &b.host_building, 40))?;
    let host_unit = f.take(opt("host_unit", &b.host_unit, 20))?;
    let host_room = f.take(opt("host_room", &b.host_room, 20))?;
    let name = f.take(validate::text("name", &b.name, 40, true))?;
    let phone = f.take(validate::phone("phone", &b.phone))?;
    let purpose = f.take(validate::text("purpose", &b.purpose, 100, true))?;
    f.into_result()?;
    let (
        Some(host_building),
        Some(host_unit),
        Some(host_room),
        Some(name),
        Some(phone),
        Some(purpose),
    ) = (host_building, host_unit, host_room, name, phone, purpose)
    else {
        return Err(AppError::Internal("a value missing without a fault".into()));
    };
    Ok(NewVisitor {
        gate_id: b.gate_id,
        host_household_id: b.host_household_id,
        host_building,
        host_unit,
        host_room,
        name,
        phone: phone.to_string(),
        purpose,
        plate,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    pub community: String,
    /// YYYY-MM-DD; today when absent.
    pub date: Option<String>,
    /// json (default) or xlsx: every scan of the day.
    pub format: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OutNowView {
    pub household_id: i64,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub room: String,
    /// The household's head, masked.
    pub name: Option<String>,
    pub gate: String,
    /// When they went out (Unix seconds).
    pub since: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct GateLog {
    pub community: String,
    pub date: String,
    pub counts: DayCounts,
    pub hours: Vec<HourCount>,
    /// Households out and not back, over the last seven days.
    pub out_now: Vec<OutNowView>,
}

/// The log's figures, shared with the log page.
pub async fn read_log(
    state: &AppState,
    community_id: i64,
    community: &str,
    day: chrono::NaiveDate,
    names: crate::service::caller::Names,
) -> ApiResult<GateLog> {
    let tz = state.settings.time_zone;
    let offset = i64::from(
        chrono::TimeZone::offset_from_utc_date(&tz, &day)
            .fix()
            .local_minus_utc(),
    );
    let d = day.to_string();
    let since = (day - chrono::Days::new(6)).to_string();
    let out = log::out_now(&state.db, community_id, &since).await?;
    Ok(GateLog {
        community: community.to_string(),
        date: d.clone(),
        counts: log::day_counts(&state.db, community_id, &d).await?,
        hours: log::hourly(&state.db, community_id, &d, offset).await?,
        out_now: out
            .into_iter()
            .map(|o| OutNowView {
                household_id: o.household_id,
                building: o.building,
                unit: o.unit,
                room: o.room,
                name: o.head.map(|n| names.show(&n)),
                gate: o.gate,
                since: o.at,
            })
            .collect(),
    })
}

/// Every scan of the day as a sheet: time, gate, guard, direction, decision, reason, temperature,
/// plate, building, unit, room, masked name.
pub(crate) async fn export(
    state: &AppState,
    community_id: i64,
    name: &str,
    day: &str,
) -> ApiResult<Vec<u8>> {
    let scans = log::scans(&state.db, community_id, day).await?;
    let tz = state.settings.time_zone;
    // The sheet goes upward in Chinese whatever the reader's language.
    let zh = crate::i18n::Tr::new(crate::i18n::Lang::Zh);
    let header: Vec<String> = [
        "时间",
        "门岗",
        "值守人",
        "方向",
        "结果",
        "原因",
        "体温",
        "车牌",
        "楼栋",
        "单元",
        "房号",
        "姓名",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    let rows = scans.into_iter().map(move |s| {
        let at = chrono::DateTime::from_timestamp(s.at, 0)
            .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default();
        vec![
            at,
            s.gate,
            s.guard,
            if s.direction == "in" { "进" } else { "出" }.to_string(),
            if s.decision == "allow" {
                "放行"
            } else {
                "拒绝"
            }
            .to_string(),
            s.reason
                .as_deref()
                .map(|r| zh.tk("gate.reason", r))
                .unwrap_or_default(),
            s.temperature_tenths
                .map(|t| format!("{}.{}", t / 10, t % 10))
                .unwrap_or_default(),
            s.plate.unwrap_or_default(),
            s.building.unwrap_or_default(),
            s.unit.unwrap_or_default(),
            s.room.unwrap_or_default(),
            // A file leaves the service: names masked, as in every export without the unmask right.
            s.visitor
                .or(s.head)
                .map(|n| mask::name(&n))
                .unwrap_or_default(),
        ]
    });
    let title = format!("{name} 门岗记录 {day}");
    crate::sheet::write::xlsx("门岗记录", Some(&title), &header, rows)
        .map_err(|e| AppError::Internal(e.to_string()))
}
