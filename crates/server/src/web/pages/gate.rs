//! The gate pages: the guard's scan page (`/gate`, with `static/gate.js`), the printable pass sheet
//! (`/gate/passes`), the community's rules (`/gate/rules`) and the log (`/gate/log`).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::{Right, mask};

use super::{Chrome, PageCaller, PageError, PageForm, page};
use crate::db::gate::{self, log, print};
use crate::db::units;
use crate::service::gate_log::{GateLog, RulesBody, read_log, store_rules};
use crate::web::AppState;
use crate::web::error::AppError;

pub const REASONS: [&str; 8] = [
    "exit_quota",
    "quarantine",
    "fever",
    "curfew",
    "revoked_pass",
    "unknown_code",
    "visitor_not_registered",
    "vehicle_not_allowed",
];

#[derive(askama::Template)]
#[template(path = "gate.html")]
struct GatePage {
    c: Chrome,
    gates: Vec<gate::Gate>,
    /// The page script's words, as JSON: reasons and states in the reader's language.
    words: String,
}

pub async fn gate_page(State(state): State<AppState>, pc: PageCaller) -> Response {
    let t = pc.t();
    if let Err(e) = pc.require(&state, Right::ScanGate, "gate.page").await {
        return e.into_response();
    }
    let gates = match gate::gates(&state.db, &pc.caller.scope()).await {
        Ok(g) => g,
        Err(e) => return PageError::new(t, e.into()).into_response(),
    };
    let mut words = serde_json::Map::new();
    for r in REASONS {
        words.insert(r.into(), t.tk("gate.reason", r).into());
    }
    for k in [
        "allow",
        "deny",
        "queued",
        "replayed",
        "offline",
        "error",
        "no_camera",
        "pending",
    ] {
        words.insert(k.into(), t.tk("gate.word", k).into());
    }
    // A refusal in the guard's words: the codes the scan and the visitor's form can meet.
    for code in [
        "required",
        "too_long",
        "invalid_characters",
        "control_characters",
        "invalid_phone",
        "invalid_plate",
        "host_required",
        "host_not_found",
        "host_ambiguous",
        "visitors_not_allowed",
        "unknown_direction",
        "temperature_out_of_range",
        "idempotency_key_reused",
        "other",
    ] {
        words.insert(format!("invalid.{code}"), t.invalid(code).into());
    }
    page(&GatePage {
        c: pc.chrome,
        gates,
        words: serde_json::Value::Object(words).to_string(),
    })
}

pub async fn script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("../../../static/gate.js"),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
pub struct PassesQuery {
    grid: Option<String>,
    building: Option<String>,
}

pub struct Card {
    pub place: String,
    pub head: String,
    pub code: String,
    pub svg: String,
    /// The household link issued for this printing (its QR), if one was.
    pub link_svg: String,
}

#[derive(askama::Template)]
#[template(path = "gate_passes.html")]
struct PassesPage {
    c: Chrome,
    grids: Vec<(String, String)>,
    grid: String,
    buildings: Vec<String>,
    building: String,
    cards: Vec<Card>,
    /// The sheet was printed with household links: how many were issued now.
    links_issued: Option<usize>,
    can_issue_links: bool,
}

pub(super) fn qr_svg(code: &str) -> String {
    match qrcode::QrCode::new(code.as_bytes()) {
        Ok(q) => q
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(140, 140)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    }
}

/// The pass sheet of a grid (or one building of it), issuing the passes that are missing.
pub async fn passes_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<PassesQuery>,
) -> Response {
    passes(&state, pc, q, None).await
}

#[derive(Deserialize, Default)]
pub struct LinksForm {
    #[serde(default)]
    grid: String,
    #[serde(default)]
    building: String,
}

/// The pass sheet with a household link (居民端) for every household on it that has none: its QR
/// printed beside the pass, this once (only the link's hash is kept). Households whose link works
/// keep it; a lost one is issued anew from the household's page.
pub async fn passes_with_links(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    super::PageForm { pc, form }: super::PageForm<LinksForm>,
) -> Response {
    let q = PassesQuery {
        grid: Some(form.grid),
        building: Some(form.building),
    };
    passes(&state, pc, q, Some(&headers)).await
}

async fn passes(
    state: &AppState,
    pc: PageCaller,
    q: PassesQuery,
    links_for: Option<&axum::http::HeaderMap>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc.require(state, Right::ManageGates, "gate.passes").await {
        return e.into_response();
    }
    let scope = pc.caller.scope();
    let grids: Vec<(String, String)> = units::grids(&state.db, &scope)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let grid = q.grid.unwrap_or_default().trim().to_string();
    let building = q.building.unwrap_or_default().trim().to_string();
    let mut cards = Vec::new();
    let mut buildings = Vec::new();
    let mut links_issued = None;
    if !grid.is_empty() {
        let unit = match units::get_by_code(&state.db, &scope, &grid).await {
            Ok(u) if u.kind == "grid" => u,
            Ok(_) => return PageError::new(t, AppError::NotFound).into_response(),
            Err(e) => return PageError::new(t, e.into()).into_response(),
        };
        let all = match print::cards(&state.db, &scope, &pc.caller.actor(), unit.id, 0).await {
            Ok(c) => c,
            Err(e) => return PageError::new(t, e.into()).into_response(),
        };
        for c in &all {
            if let Some(b) = &c.building
                && buildings.last() != Some(b)
                && !buildings.contains(b)
            {
                buildings.push(b.clone());
            }
        }
        let shown: Vec<_> = all
            .into_iter()
            .filter(|c| building.is_empty() || c.building.as_deref() == Some(building.as_str()))
            .collect();
        let links = match links_for {
            Some(headers) => {
                let ids: Vec<i64> = shown.iter().map(|c| c.household_id).collect();
                match super::household_link::issue_missing(state, &pc.caller, headers, &ids).await {
                    Ok(l) => l,
                    Err(e) => return PageError::new(t, e).into_response(),
                }
            }
            None => Default::default(),
        };
        if links_for.is_some() {
            links_issued = Some(links.len());
        }
        cards = shown
            .into_iter()
            .map(|c| {
                let code = c.code.unwrap_or_default();
                let place = match (&c.building, &c.unit) {
                    (Some(b), Some(u)) => format!("{b} {u} {}", c.room),
                    _ => c.address.clone(),
                };
                Card {
                    place,
                    // Printed and handed door to door, a sheet can be lost: the head masked.
                    head: c.head.map(|h| mask::name(&h)).unwrap_or_default(),
                    svg: qr_svg(&code),
                    code,
                    link_svg: links
                        .get(&c.household_id)
                        .map(|u| qr_svg(u))
                        .unwrap_or_default(),
                }
            })
            .collect();
    }
    page(&PassesPage {
        can_issue_links: pc.caller.session.user.role.has(Right::EditRegistry),
        c: pc.chrome,
        grids,
        grid,
        buildings,
        building,
        cards,
        links_issued,
    })
}

#[derive(Deserialize, Default)]
pub struct CommunityQuery {
    community: Option<String>,
    date: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "gate_rules.html")]
struct RulesPage {
    c: Chrome,
    communities: Vec<(String, String)>,
    community: String,
    rules: Option<RulesBody>,
    can_edit: bool,
    error: Option<String>,
    saved: bool,
}

/// The first community of the caller's when none is named.
async fn pick_community(
    state: &AppState,
    pc: &PageCaller,
    named: Option<String>,
) -> Result<(Vec<(String, String)>, String), PageError> {
    let communities = log::communities(&state.db, &pc.caller.scope())
        .await
        .map_err(|e| PageError::new(pc.t(), e.into()))?;
    let community = named
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .or_else(|| communities.first().map(|c| c.0.clone()))
        .unwrap_or_default();
    Ok((communities, community))
}

pub async fn rules_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<CommunityQuery>,
) -> Response {
    if let Err(e) = pc
        .require(&state, Right::ReadGateLog, "gate.rules.page")
        .await
    {
        return e.into_response();
    }
    let (communities, community) = match pick_community(&state, &pc, q.community).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    render_rules(&state, pc, communities, community, None, q.date.is_some()).await
}

async fn render_rules(
    state: &AppState,
    pc: PageCaller,
    communities: Vec<(String, String)>,
    community: String,
    error: Option<String>,
    saved: bool,
) -> Response {
    let rules = if community.is_empty() {
        None
    } else {
        match gate::rules(&state.db, &pc.caller.scope(), &community).await {
            Ok((_, r)) => Some(RulesBody::from_rules(&r)),
            Err(e) => return PageError::new(pc.t(), e.into()).into_response(),
        }
    };
    page(&RulesPage {
        can_edit: pc.caller.session.user.role.has(Right::ManageGates),
        c: pc.chrome,
        communities,
        community,
        rules,
        error,
        saved,
    })
}

#[derive(Deserialize)]
pub struct RulesForm {
    community: String,
    exits_per_period: String,
    period_days: String,
    curfew_start: String,
    curfew_end: String,
    #[serde(default)]
    vehicles_allowed: Option<String>,
    #[serde(default)]
    visitors_allowed: Option<String>,
}

pub async fn save_rules(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<RulesForm>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .require(&state, Right::ManageGates, "gate.rules.set")
        .await
    {
        return e.into_response();
    }
    let num = |field: &'static str, v: &str| -> Result<i64, AppError> {
        v.trim()
            .parse()
            .map_err(|_| AppError::invalid(field, "not_a_number", "a whole number"))
    };
    let parsed = (|| -> Result<_, AppError> {
        RulesBody {
            exits_per_period: num("exits_per_period", &f.exits_per_period)?,
            period_days: num("period_days", &f.period_days)?,
            curfew_start: num("curfew_start", &f.curfew_start)?,
            curfew_end: num("curfew_end", &f.curfew_end)?,
            vehicles_allowed: f.vehicles_allowed.is_some(),
            visitors_allowed: f.visitors_allowed.is_some(),
        }
        .to_rules()
    })();
    let community = f.community.trim().to_string();
    let error = match parsed {
        Ok(r) => match store_rules(&state, &pc.caller, &community, &r).await {
            Ok(()) => {
                let q = serde_urlencoded::to_string([
                    ("community", community.as_str()),
                    ("date", "saved"),
                ])
                .unwrap_or_default();
                return Redirect::to(&format!("/gate/rules?{q}")).into_response();
            }
            Err(AppError::Invalid { field, .. }) => format!(
                "{}: {}",
                t.tk("gate.rules", &field),
                t.t("gate.rules.invalid")
            ),
            Err(e) => return PageError::new(t, e).into_response(),
        },
        Err(AppError::Invalid { field, .. }) => {
            format!(
                "{}: {}",
                t.tk("gate.rules", &field),
                t.t("gate.rules.invalid")
            )
        }
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let communities = log::communities(&state.db, &pc.caller.scope())
        .await
        .unwrap_or_default();
    render_rules(&state, pc, communities, community, Some(error), false).await
}

/// A gate's name and its (hour, in, out) rows.
type GateHours = (String, Vec<(i64, i64, i64)>);

#[derive(askama::Template)]
#[template(path = "gate_log.html")]
struct LogPage {
    c: Chrome,
    communities: Vec<(String, String)>,
    community: String,
    date: String,
    log: Option<GateLog>,
    gates: Vec<GateHours>,
    refusals: Vec<(String, i64)>,
    out_now: Vec<(String, String, String, String)>,
    export: String,
}

pub async fn log_page(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(q): Query<CommunityQuery>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .require(&state, Right::ReadGateLog, "gate.log.page")
        .await
    {
        return e.into_response();
    }
    let (communities, community) = match pick_community(&state, &pc, q.community).await {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let day = match q.date.as_deref().filter(|d| !d.trim().is_empty()) {
        Some(d) => match crate::service::validate::date("date", d) {
            Ok(d) => d,
            Err(e) => return PageError::new(t, e).into_response(),
        },
        None => state.settings.today(),
    };
    let log = if community.is_empty() {
        None
    } else {
        let id = match log::community_in_scope(&state.db, &pc.caller.scope(), &community).await {
            Ok((id, _)) => id,
            Err(e) => return PageError::new(t, e.into()).into_response(),
        };
        match read_log(&state, id, &community, day, pc.caller.names()).await {
            Ok(l) => Some(l),
            Err(e) => return PageError::new(t, e).into_response(),
        }
    };
    let mut gates: Vec<GateHours> = Vec::new();
    let mut refusals = Vec::new();
    let mut out_now = Vec::new();
    let tz = state.settings.time_zone;
    if let Some(l) = &log {
        for h in &l.hours {
            if gates.last().map(|g| &g.0) != Some(&h.gate) {
                gates.push((h.gate.clone(), Vec::new()));
            }
            if let Some((_, hours)) = gates.last_mut() {
                if hours.last().map(|x| x.0) != Some(h.hour) {
                    hours.push((h.hour, 0, 0));
                }
                if let Some(x) = hours.last_mut() {
                    if h.direction == "in" {
                        x.1 += h.n;
                    } else {
                        x.2 += h.n;
                    }
                }
            }
        }
        refusals = l
            .counts
            .refused_by_reason
            .iter()
            .map(|(r, n)| (t.tk("gate.reason", r), *n))
            .collect();
        out_now = l
            .out_now
            .iter()
            .map(|o| {
                let since = chrono::DateTime::from_timestamp(o.since, 0)
                    .map(|x| x.with_timezone(&tz).format("%m-%d %H:%M").to_string())
                    .unwrap_or_default();
                let place = [o.building.clone(), o.unit.clone(), Some(o.room.clone())]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                (
                    place,
                    o.name.clone().unwrap_or_default(),
                    o.gate.clone(),
                    since,
                )
            })
            .collect();
    }
    let export = serde_urlencoded::to_string([
        ("community", community.as_str()),
        ("date", &day.to_string()),
        ("format", "xlsx"),
    ])
    .unwrap_or_default();
    page(&LogPage {
        c: pc.chrome,
        communities,
        community,
        date: day.to_string(),
        log,
        gates,
        refusals,
        out_now,
        export: format!("/api/v1/gate/log?{export}"),
    })
}
