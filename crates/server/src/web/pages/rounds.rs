//! The temperature round (体温巡查): one grid's residents not yet checked today, chosen by
//! building and stairwell and laid out household by household in walking order, recorded with
//! one submit for the page (a household, a stairwell). A refused page records nothing and comes
//! back with every typed value kept and every faulty row named.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::health::SYMPTOMS;
use shouhu_domain::{Right, Temperature};

use super::{Chrome, PageCaller, PageError, PageForm, html};
use crate::db::health::{BatchOutcome, NewCheck};
use crate::db::rounds::{self, Unchecked};
use crate::db::units;
use crate::i18n::Tr;
use crate::service::health::parse_reading;
use crate::web::AppState;
use crate::web::error::AppError;

/// Residents per page: a stairwell or two, one thumb's scroll each.
const PER_PAGE: usize = 40;
/// The building choice for households with an address only.
const NO_BUILDING: &str = "none";

/// Which part of the round: a grid (by code), a building (by id, or `none`), a stairwell.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct RoundQuery {
    #[serde(default)]
    grid: String,
    #[serde(default)]
    building: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    page: String,
    /// After a save: how many were recorded, and how many of them had a fever.
    #[serde(default)]
    saved: String,
    #[serde(default)]
    fevers: String,
}

impl RoundQuery {
    fn page(&self) -> usize {
        self.page.parse().unwrap_or(1).max(1)
    }

    /// The page's address with `page` replaced.
    fn href(&self, page: usize) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("grid", &self.grid),
            ("building", &self.building),
            ("unit", &self.unit),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if page > 1 {
            q.append_pair("page", &page.to_string());
        }
        format!("/health/round?{}", q.finish())
    }

    fn matches(&self, u: &Unchecked) -> bool {
        let building = match (self.building.as_str(), u.building_id) {
            ("", _) => true,
            (NO_BUILDING, b) => b.is_none(),
            (chosen, Some(b)) => chosen == b.to_string(),
            (_, None) => false,
        };
        building && (self.unit.is_empty() || u.building_unit.as_deref() == Some(self.unit.as_str()))
    }
}

/// A choice among grids, buildings or stairwells: its link, words and what is left in it.
pub struct Choice {
    href: String,
    label: String,
    left: usize,
    chosen: bool,
}

/// One resident's row of the form, with what was typed when the page was refused.
pub struct Member {
    id: i64,
    name: String,
    typed: String,
    symptoms: Vec<(&'static str, String, bool)>,
    any_symptom: bool,
    error: Option<String>,
}

pub struct Household {
    place: String,
    members: Vec<Member>,
}

#[derive(askama::Template)]
#[template(path = "round.html")]
struct RoundPage {
    c: Chrome,
    can_record: bool,
    grids: Vec<Choice>,
    buildings: Vec<Choice>,
    units: Vec<Choice>,
    grid_name: Option<String>,
    households: Vec<Household>,
    /// Residents left in the chosen building or stairwell (all pages).
    left: i64,
    q: RoundQuery,
    prev: Option<String>,
    next: Option<String>,
    key: String,
    notice: Option<String>,
    error: Option<String>,
}

/// What the worker typed into a refused page, by resident.
#[derive(Default)]
struct Typed {
    values: HashMap<i64, (String, Vec<String>)>,
    errors: HashMap<i64, String>,
}

fn place_of(t: Tr, u: &Unchecked) -> String {
    match (&u.building, &u.building_unit) {
        (Some(b), Some(unit)) if !u.room.is_empty() => format!("{b} {unit} {}", u.room),
        (Some(b), Some(unit)) => format!("{b} {unit}"),
        _ if !u.address.is_empty() => u.address.clone(),
        _ => t.t("round.no_building").to_string(),
    }
}

async fn render(
    state: &AppState,
    pc: PageCaller,
    q: RoundQuery,
    typed: Typed,
    status: StatusCode,
) -> Response {
    let t = pc.t();
    let today = state.settings.today().to_string();
    let loaded = async {
        let grids = units::grids(&state.db, &pc.caller.scope()).await?;
        let left: HashMap<i64, i64> = rounds::grids_left(&state.db, &pc.caller.grids, &today)
            .await?
            .into_iter()
            .collect();
        // One grid is the round's ground: the chosen one, or the caller's only one.
        let chosen = grids
            .iter()
            .find(|g| g.code == q.grid)
            .or(if grids.len() == 1 {
                grids.first()
            } else {
                None
            })
            .cloned();
        let rows = match &chosen {
            Some(g) => rounds::unchecked(&state.db, g.id, &today).await?,
            None => Vec::new(),
        };
        Ok::<_, crate::db::StoreError>((grids, left, chosen, rows))
    }
    .await;
    let (grids, left, chosen, rows) = match loaded {
        Ok(x) => x,
        Err(e) => return PageError::new(t, e.into()).into_response(),
    };
    let mut q = q;
    if let Some(g) = &chosen {
        q.grid = g.code.clone();
    }
    let grid_choices = grids
        .iter()
        .map(|g| Choice {
            href: RoundQuery {
                grid: g.code.clone(),
                ..RoundQuery::default()
            }
            .href(1),
            label: g.name.clone(),
            left: usize::try_from(left.get(&g.id).copied().unwrap_or(0)).unwrap_or(0),
            chosen: chosen.as_ref().is_some_and(|c| c.id == g.id),
        })
        .collect();
    // Buildings in walking order (the rows are), each with what is left in it.
    let mut buildings: Vec<(String, String, usize)> = Vec::new();
    for u in &rows {
        let key = u
            .building_id
            .map_or_else(|| NO_BUILDING.to_string(), |b| b.to_string());
        match buildings.iter_mut().find(|b| b.0 == key) {
            Some(b) => b.2 += 1,
            None => buildings.push((
                key,
                u.building
                    .clone()
                    .unwrap_or_else(|| t.t("round.no_building").to_string()),
                1,
            )),
        }
    }
    let building_choices = buildings
        .into_iter()
        .map(|(key, label, n)| Choice {
            href: RoundQuery {
                grid: q.grid.clone(),
                building: key.clone(),
                ..RoundQuery::default()
            }
            .href(1),
            label,
            left: n,
            chosen: q.building == key,
        })
        .collect();
    let mut stairwells: Vec<(String, usize)> = Vec::new();
    if !q.building.is_empty() && q.building != NO_BUILDING {
        let in_building = RoundQuery {
            unit: String::new(),
            ..q.clone()
        };
        for u in rows.iter().filter(|u| in_building.matches(u)) {
            let Some(unit) = &u.building_unit else {
                continue;
            };
            match stairwells.iter_mut().find(|s| &s.0 == unit) {
                Some(s) => s.1 += 1,
                None => stairwells.push((unit.clone(), 1)),
            }
        }
    }
    let unit_choices = stairwells
        .into_iter()
        .map(|(unit, n)| Choice {
            href: RoundQuery {
                unit: unit.clone(),
                ..q.clone()
            }
            .href(1),
            chosen: q.unit == unit,
            label: unit,
            left: n,
        })
        .collect();
    let shown: Vec<&Unchecked> = rows.iter().filter(|u| q.matches(u)).collect();
    let total = shown.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = q.page().min(pages);
    let names = pc.caller.names();
    let mut households: Vec<Household> = Vec::new();
    let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
    for u in shown.iter().skip((page - 1) * PER_PAGE).take(PER_PAGE) {
        let (typed_value, typed_symptoms) = typed
            .values
            .get(&u.resident_id)
            .cloned()
            .unwrap_or_default();
        let member = Member {
            id: u.resident_id,
            name: names.show(&u.name),
            typed: typed_value,
            symptoms: SYMPTOMS
                .iter()
                .map(|s| {
                    (
                        *s,
                        t.tk("symptom", s),
                        typed_symptoms.iter().any(|x| x == s),
                    )
                })
                .collect(),
            any_symptom: !typed_symptoms.is_empty(),
            error: typed.errors.get(&u.resident_id).cloned(),
        };
        let at = *seen.entry(u.household_id).or_insert_with(|| {
            households.push(Household {
                place: place_of(t, u),
                members: Vec::new(),
            });
            households.len() - 1
        });
        households[at].members.push(member);
    }
    let notice = match (q.saved.parse::<usize>(), q.fevers.parse::<usize>()) {
        (Ok(n), Ok(f)) if f > 0 => Some(format!(
            "{} {}",
            t.tn("round.saved", n as i64),
            t.tn("round.saved_fevers", f as i64)
        )),
        (Ok(n), _) => Some(t.tn("round.saved", n as i64)),
        _ => None,
    };
    let error =
        (!typed.errors.is_empty()).then(|| t.tn("round.refused", typed.errors.len() as i64));
    let mut raw = [0u8; 12];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
    html(
        status,
        askama::Template::render(&RoundPage {
            can_record: pc.caller.session.user.role.has(Right::RecordHealth),
            grids: grid_choices,
            buildings: building_choices,
            units: unit_choices,
            grid_name: chosen.map(|g| g.name),
            households,
            left: total as i64,
            prev: (page > 1).then(|| q.href(page - 1)),
            next: (page < pages).then(|| q.href(page + 1)),
            q,
            key: hex::encode(raw),
            notice,
            error,
            c: pc.chrome,
        }),
    )
}

pub async fn round_page(
    State(state): State<AppState>,
    Query(q): Query<RoundQuery>,
    pc: PageCaller,
) -> Response {
    if let Err(e) = pc.require(&state, Right::ReadHealth, "health.round").await {
        return e.into_response();
    }
    render(&state, pc, q, Typed::default(), StatusCode::OK).await
}

/// The readings typed into a page: `t<id>` the temperature (blank: not measured), `s<id>` each
/// symptom ticked. Every row at fault is named; nothing is returned to record unless all are fine.
fn readings(t: Tr, fields: &[(String, String)]) -> (Vec<(i64, Temperature, Vec<String>)>, Typed) {
    let mut typed = Typed::default();
    for (k, v) in fields {
        if let Some(id) = k.strip_prefix('t').and_then(|id| id.parse::<i64>().ok()) {
            typed.values.entry(id).or_default().0 = v.trim().to_string();
        } else if let Some(id) = k.strip_prefix('s').and_then(|id| id.parse::<i64>().ok()) {
            typed.values.entry(id).or_default().1.push(v.clone());
        }
    }
    let mut out = Vec::new();
    for (id, (value, symptoms)) in &typed.values {
        if value.is_empty() {
            if !symptoms.is_empty() {
                typed
                    .errors
                    .insert(*id, t.t("round.symptoms_need_temperature").to_string());
            }
            continue;
        }
        let reading = Temperature::parse(value)
            .map_err(|_| AppError::invalid("temperature", "temperature_out_of_range", ""))
            .and_then(|c| parse_reading(c.celsius(), symptoms));
        match reading {
            Ok((temperature, symptoms)) => out.push((*id, temperature, symptoms)),
            Err(AppError::Invalid { code, .. }) => {
                typed.errors.insert(*id, t.invalid(&code));
            }
            Err(_) => {
                typed.errors.insert(*id, t.t("error.title").to_string());
            }
        }
    }
    out.sort_by_key(|r| r.0);
    (out, typed)
}

/// Records the page's readings in one batch, then shows the round again where it was.
pub async fn record_round(
    State(state): State<AppState>,
    PageForm { pc, form }: PageForm<Vec<(String, String)>>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .caller
        .require(&state, Right::RecordHealth, "health_check.create")
        .await
    {
        return PageError::new(t, e).into_response();
    }
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let q = RoundQuery {
        grid: field("grid"),
        building: field("building"),
        unit: field("unit"),
        page: field("page"),
        ..RoundQuery::default()
    };
    let key: String = field("key").chars().take(40).collect();
    // Set by the page's script when the round was taken with no signal and sent from its queue.
    let device_at = field("device_time").trim().parse::<i64>().ok();
    let (readings, typed) = readings(t, &form);
    if !typed.errors.is_empty() {
        return render(&state, pc, q, typed, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let items: Vec<NewCheck> = readings
        .iter()
        .map(|(id, temperature, symptoms)| NewCheck {
            resident_id: *id,
            temperature: *temperature,
            symptoms: symptoms.clone(),
            source: "door".into(),
            // The page's key and the person: a second tap of the same page records nothing more.
            idempotency_key: format!("round-{key}-{id}"),
            request_hash: format!("{id}:{}:{}", temperature.tenths(), symptoms.join(",")),
            via_link_id: None,
            device_at,
        })
        .collect();
    let outcomes = match crate::service::health::record_by_day(
        &state.db,
        &pc.caller.scope(),
        &state.settings,
        &items,
    )
    .await
    {
        Ok(o) => o,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let mut typed = Typed::default();
    let (mut saved, mut fevers) = (0, 0);
    for (item, outcome) in items.iter().zip(outcomes) {
        match outcome {
            BatchOutcome::Recorded(_) => {
                saved += 1;
                fevers += usize::from(item.temperature.is_fever());
            }
            BatchOutcome::Refused(e) => {
                let e = AppError::from(e);
                let message = match &e {
                    AppError::Invalid { code, .. } => t.invalid(code),
                    AppError::NotFound => t.t("error.not_found").to_string(),
                    _ => t.t("error.title").to_string(),
                };
                let text = form
                    .iter()
                    .find(|(k, _)| *k == format!("t{}", item.resident_id))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                typed
                    .values
                    .insert(item.resident_id, (text, item.symptoms.clone()));
                typed.errors.insert(item.resident_id, message);
            }
        }
    }
    if !typed.errors.is_empty() {
        return render(&state, pc, q, typed, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let back = q.href(q.page());
    let sep = if back.ends_with('?') { "" } else { "&" };
    Redirect::to(&format!("{back}{sep}saved={saved}&fevers={fevers}")).into_response()
}
