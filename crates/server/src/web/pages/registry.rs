//! Residents list, resident card with edit and unmask, household card.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shouhu_domain::Right;

use super::{Chrome, PageCaller, PageError, PageForm, html, page};
use crate::db::registry::{self, Search};
use crate::db::units;
use crate::i18n::Tr;
use crate::service::households::{HouseholdView, NewHouseholdBody, household_view};
use crate::service::paging::Paging;
use crate::service::residents::{
    NewResidentBody, ResidentPatch, ResidentView, create_resident, fetch, reauthenticate,
    unit_filter, view,
};
use crate::service::validate;
use crate::web::AppState;
use crate::web::error::AppError;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    unit: Option<String>,
    page: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "residents.html")]
struct ResidentsPage {
    c: Chrome,
    can_edit: bool,
    can_import: bool,
    can_export: bool,
    can_unmask: bool,
    q: String,
    unit: String,
    units: Vec<(String, String)>,
    items: Vec<ResidentView>,
    total: i64,
    page: i64,
    pages: i64,
    prev: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

fn page_link(q: &str, unit: &str, page: i64) -> String {
    let query =
        serde_urlencoded::to_string([("q", q), ("unit", unit), ("page", &page.to_string())])
            .unwrap_or_default();
    format!("/residents?{query}")
}

pub async fn residents(
    State(state): State<AppState>,
    pc: PageCaller,
    Query(lq): Query<ListQuery>,
) -> Response {
    if let Err(e) = pc
        .require(&state, Right::ReadRegistry, "resident.list")
        .await
    {
        return e.into_response();
    }
    let t = pc.t();
    let page_no = lq
        .page
        .as_deref()
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let paging = Paging {
        page: page_no,
        per_page: 20,
    };
    let q = lq.q.unwrap_or_default();
    let unit = lq.unit.unwrap_or_default();
    let mut error = None;
    let unit_id = match unit_filter(&state, &pc.caller, Some(&unit)).await {
        Ok(u) => u,
        Err(AppError::Invalid { code, .. }) => {
            error = Some(t.invalid(&code));
            None
        }
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let q_clean = match validate::search_text(Some(&q)) {
        Ok(q) => q,
        Err(_) => {
            error = Some(t.invalid("too_long"));
            String::new()
        }
    };
    let scope = pc.caller.scope();
    let search = Search {
        q: q_clean,
        unit_id,
        ..Search::default()
    };
    let (rows, total) =
        match registry::search(&state.db, &scope, &search, paging.limit(), paging.offset()).await {
            Ok(r) => r,
            Err(e) => return PageError::new(t, e.into()).into_response(),
        };
    let grids = pc.caller.units(&state.db).await.unwrap_or_default();
    let today = state.settings.today();
    let pages = ((total + 19) / 20).max(1);
    let role = pc.caller.session.user.role;
    page(&ResidentsPage {
        can_edit: role.has(Right::EditRegistry),
        can_import: role.has(Right::ImportRegistry),
        can_export: role.has(Right::ExportRegistry),
        can_unmask: role.has(Right::Unmask),
        items: rows.into_iter().map(|r| view(r, today)).collect(),
        units: grids.into_iter().map(|u| (u.code, u.name)).collect(),
        prev: (page_no > 1).then(|| page_link(&q, &unit, page_no - 1)),
        next: (page_no < pages).then(|| page_link(&q, &unit, page_no + 1)),
        c: pc.chrome,
        q,
        unit,
        total,
        page: page_no,
        pages,
        error,
    })
}

#[derive(askama::Template)]
#[template(path = "resident.html")]
struct ResidentPage {
    c: Chrome,
    r: ResidentView,
    can_edit: bool,
    can_unmask: bool,
    /// May list everything held about the resident (PIPL 45).
    can_export: bool,
    /// (field, message) of a refused save.
    errors: Vec<(String, String)>,
    notice: Option<String>,
    unmasked: Option<(String, String)>,
    /// May reveal the phone alone, to call.
    can_call: bool,
    /// May open the person's isolation page.
    can_read_health: bool,
    /// The edit form's values: the stored ones, or what was typed into a refused save.
    form: ResidentForm,
    /// What the ID number says against what is registered, in words, when they differ.
    id_says: Option<String>,
    /// The phone revealed to call, when it was asked for.
    call: Option<String>,
}

impl ResidentPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn resident_page(
    state: &AppState,
    pc: PageCaller,
    id: &str,
    status: StatusCode,
    extra: Extra,
) -> Response {
    let t = pc.t();
    let id = match validate::path_id(id) {
        Ok(id) => id,
        Err(_) => return PageError::new(t, AppError::NotFound).into_response(),
    };
    let r = match fetch(state, &pc.caller, id).await {
        Ok(r) => r,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let id_says = contradiction(t, &r, state.settings.today());
    let v = view(r, state.settings.today());
    let role = pc.caller.session.user.role;
    // In words, as the hint asks them typed: a comma between, which English labels need.
    let tags_text = v
        .tags
        .iter()
        .map(|g| t.tag(g))
        .collect::<Vec<_>>()
        .join(match t.lang {
            crate::i18n::Lang::Zh => " ",
            crate::i18n::Lang::En => ", ",
        });
    let form = match extra.typed {
        // Refused (or overtaken by someone else's save): the typed values stay, against the
        // version now stored, so that saving them again is a deliberate act on the current record.
        Some(typed) => ResidentForm {
            version: v.version.to_string(),
            ..typed
        },
        None => ResidentForm {
            version: v.version.to_string(),
            name: v.name.clone(),
            id_number: v.id_number.clone(),
            phone: v.phone.clone().unwrap_or_default(),
            relation: v.relation.clone(),
            tags: tags_text,
            emergency_contact_name: v.emergency_contact.name.clone(),
            emergency_contact_phone: v.emergency_contact.phone.clone().unwrap_or_default(),
            note: v.note.clone(),
        },
    };
    html(
        status,
        askama::Template::render(&ResidentPage {
            form,
            id_says,
            r: v,
            can_edit: role.has(Right::EditRegistry),
            can_unmask: role.has(Right::Unmask),
            can_call: role.has(Right::CallResidents),
            can_read_health: role.has(Right::ReadHealth),
            can_export: role.has(Right::ExportRegistry),
            c: pc.chrome,
            errors: extra.errors,
            notice: extra.notice,
            unmasked: extra.unmasked,
            call: extra.call,
        }),
    )
}

/// The registered sex and birth date against those the ID number says, in words, when they differ
/// (the data checks' `contradicts_id_number`).
fn contradiction(
    t: Tr,
    r: &crate::db::registry::Resident,
    today: chrono::NaiveDate,
) -> Option<String> {
    let id = shouhu_domain::IdNumber::parse(&r.id_number, today).ok()?;
    let (sex, birth) = (id.sex().as_str(), id.birth_date().to_string());
    if sex == r.sex && birth == r.birth_date {
        return None;
    }
    Some(
        t.t("resident.id_contradiction")
            .replace("{sex}", &t.tk("resident.sex", sex))
            .replace("{birth}", &birth)
            .replace("{stored_sex}", &t.tk("resident.sex", &r.sex))
            .replace("{stored_birth}", &r.birth_date),
    )
}

/// Sets sex and birth date to what the ID number says (a save that changes nothing else).
pub async fn match_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<DeleteForm>,
) -> Response {
    let current =
        match resident_for_change(&state, &pc, Right::EditRegistry, "resident.update", &id).await {
            Ok(r) => r,
            Err(response) => return response,
        };
    let saved = registry::update(
        &state.db,
        &pc.caller.scope(),
        &pc.caller.actor(),
        current.id,
        f.version.parse().unwrap_or(-1),
        &crate::db::registry::Changes::default(),
    )
    .await;
    match saved.map_err(AppError::from) {
        Ok(()) => Redirect::to(&format!("/residents/{}?saved=1", current.id)).into_response(),
        Err(AppError::Conflict) => {
            let notice = Some(pc.t().t("resident.conflict").to_string());
            resident_page(
                &state,
                pc,
                &id,
                StatusCode::CONFLICT,
                Extra {
                    notice,
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e) => PageError::new(pc.t(), e).into_response(),
    }
}

#[derive(Default)]
struct Extra {
    /// What was typed into the edit form when it was refused (kept, over the stored values).
    typed: Option<ResidentForm>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
    unmasked: Option<(String, String)>,
    call: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    saved: Option<String>,
}

pub async fn resident(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(nq): Query<NoticeQuery>,
) -> Response {
    if let Err(e) = pc
        .require(&state, Right::ReadRegistry, "resident.read")
        .await
    {
        return e.into_response();
    }
    let notice = nq.saved.map(|_| pc.t().t("resident.saved").to_string());
    resident_page(
        &state,
        pc,
        &id,
        StatusCode::OK,
        Extra {
            notice,
            ..Extra::default()
        },
    )
    .await
}

#[derive(Clone, Default, Deserialize)]
pub struct ResidentForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    relation: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    emergency_contact_name: String,
    #[serde(default)]
    emergency_contact_phone: String,
    #[serde(default)]
    note: String,
}

pub async fn resident_save(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<ResidentForm>,
) -> Response {
    let current =
        match resident_for_change(&state, &pc, Right::EditRegistry, "resident.update", &id).await {
            Ok(r) => r,
            Err(response) => return response,
        };
    let (t, rid) = (pc.t(), current.id);
    let patch = ResidentPatch {
        version: f.version.parse().unwrap_or(-1),
        household_id: None,
        name: Some(f.name.clone()),
        id_number: Some(f.id_number.clone()),
        phone: Some(f.phone.clone()),
        relation: Some(f.relation.clone()),
        tags: Some(Tr::tags_typed(&f.tags)),
        family_contacts: None,
        emergency_contact_name: Some(f.emergency_contact_name.clone()),
        emergency_contact_phone: Some(f.emergency_contact_phone.clone()),
        note: Some(f.note.clone()),
    };
    let outcome = match validate::resident_changes(&patch, &current, state.settings.today()) {
        Ok(changes) => registry::update(
            &state.db,
            &pc.caller.scope(),
            &pc.caller.actor(),
            rid,
            patch.version,
            &changes,
        )
        .await
        .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Redirect::to(&format!("/residents/{rid}?saved=1")).into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            resident_page(
                &state,
                pc,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Extra {
                    errors: super::faults_in_words(t, &e, ""),
                    typed: Some(f),
                    ..Extra::default()
                },
            )
            .await
        }
        Err(AppError::Conflict) => {
            let notice = Some(t.t("resident.conflict").to_string());
            resident_page(
                &state,
                pc,
                &id,
                StatusCode::CONFLICT,
                Extra {
                    notice,
                    typed: Some(f),
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct UnmaskForm {
    #[serde(default)]
    password: String,
}

pub async fn resident_unmask(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<UnmaskForm>,
) -> Response {
    reveal(&state, pc, &id, &f.password, Reveal::Unmask).await
}

/// The phone alone, to call the person: for the medical group, who may not see ID numbers. The
/// password again, and audited like an unmasking.
pub async fn resident_call(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<UnmaskForm>,
) -> Response {
    reveal(&state, pc, &id, &f.password, Reveal::Call).await
}

/// What a re-authentication on the card shows.
#[derive(Clone, Copy)]
enum Reveal {
    /// The full ID number and phone.
    Unmask,
    /// The phone only.
    Call,
}

/// The card again with what was asked for, once the password is given again and the reveal is
/// audited; a wrong password shows the card with the error on its form and reveals nothing.
async fn reveal(
    state: &AppState,
    pc: PageCaller,
    id: &str,
    password: &str,
    what: Reveal,
) -> Response {
    let (right, action, field) = match what {
        Reveal::Unmask => (Right::Unmask, "resident.unmask", ""),
        Reveal::Call => (Right::CallResidents, "resident.call", "call."),
    };
    let r = match resident_for_change(state, &pc, right, action, id).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let t = pc.t();
    if let Err(AppError::Invalid { field: f, code, .. }) =
        reauthenticate(state, &pc.caller, Some(password)).await
    {
        let errors = vec![(format!("{field}{f}"), t.invalid(&code))];
        return resident_page(
            state,
            pc,
            id,
            StatusCode::UNPROCESSABLE_ENTITY,
            Extra {
                errors,
                ..Extra::default()
            },
        )
        .await;
    }
    let entry = pc
        .caller
        .actor()
        .entry(action, "resident", r.id, String::new());
    if let Err(e) = crate::db::audit::record(&state.db, &entry).await {
        return PageError::new(t, e.into()).into_response();
    }
    let phone = r.phone.clone().unwrap_or_default();
    let extra = match what {
        Reveal::Unmask => Extra {
            unmasked: Some((r.id_number.clone(), phone)),
            ..Extra::default()
        },
        Reveal::Call => Extra {
            call: Some(phone),
            ..Extra::default()
        },
    };
    resident_page(state, pc, id, StatusCode::OK, extra).await
}

#[derive(askama::Template)]
#[template(path = "household.html")]
struct HouseholdPage {
    c: Chrome,
    h: HouseholdView,
    members: Vec<ResidentView>,
    can_edit: bool,
    errors: Vec<(String, String)>,
    /// A member just deleted from here, offered back: id and name.
    undo: Option<(i64, String)>,
    /// Members deleted from here, each offered back: id, name and when (local time).
    deleted: Vec<(i64, String, String)>,
    /// What was typed into the new member's form when it was refused.
    member: MemberForm,
    /// Whether the household's link works, and since when.
    link: crate::service::resident_links::LinkState,
    link_issued: String,
    /// The residents' open correction requests: id, member, words, when.
    corrections: Vec<(i64, String, String, String)>,
}

impl HouseholdPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize)]
pub struct HouseholdQuery {
    /// The member deleted just before, whose deletion the page offers to undo.
    deleted: Option<String>,
}

pub async fn household(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(id): Path<String>,
    Query(q): Query<HouseholdQuery>,
) -> Response {
    let undo = q.deleted.as_deref().and_then(|d| validate::path_id(d).ok());
    household_page(
        &state,
        pc,
        &id,
        StatusCode::OK,
        (Vec::new(), MemberForm::default()),
        undo,
    )
    .await
}

/// `refused`: the faults of a refused new member, in words, and what was typed.
pub(super) async fn household_page(
    state: &AppState,
    pc: PageCaller,
    id: &str,
    status: StatusCode,
    refused: (Vec<(String, String)>, MemberForm),
    deleted: Option<i64>,
) -> Response {
    let (errors, member) = refused;
    if let Err(e) = pc
        .require(state, Right::ReadRegistry, "household.read")
        .await
    {
        return e.into_response();
    }
    let t = pc.t();
    let Ok(hid) = validate::path_id(id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let h = match crate::service::households::fetch(state, &pc.caller, hid).await {
        Ok(h) => h,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let search = Search {
        household_id: Some(hid),
        ..Search::default()
    };
    let members = match registry::search(&state.db, &pc.caller.scope(), &search, 100, 0).await {
        Ok((m, _)) => m,
        Err(e) => return PageError::new(t, e.into()).into_response(),
    };
    let can_edit = pc.caller.session.user.role.has(Right::EditRegistry);
    // Offered only to whoever may bring the member back, and only here, in their household: an id
    // typed into the address bar for someone else's record shows nothing.
    let undo = match deleted.filter(|_| can_edit) {
        Some(rid) => match registry::deleted(&state.db, &pc.caller.scope(), rid).await {
            Ok((name, household)) if household == hid => Some((rid, name)),
            _ => None,
        },
        None => None,
    };
    let deleted = match can_edit {
        true => match registry::deleted_members(&state.db, &pc.caller.scope(), hid).await {
            Ok(d) => d,
            Err(e) => return PageError::new(t, e.into()).into_response(),
        },
        false => Vec::new(),
    };
    let tz = &state.settings.time_zone;
    let deleted = deleted
        .into_iter()
        .map(|(id, name, at)| {
            let at = chrono::DateTime::from_timestamp(at, 0)
                .map(|x| x.with_timezone(tz).format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default();
            (id, name, at)
        })
        .collect();
    let link = match crate::service::resident_links::state_of(state, &pc.caller, hid).await {
        Ok(l) => l,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    let corrections =
        match crate::service::resident_links::open_corrections_of(state, &pc.caller, hid).await {
            Ok(c) => c,
            Err(e) => return PageError::new(t, e).into_response(),
        };
    let local = |at: i64| super::help::when(state, at);
    let today = state.settings.today();
    html(
        status,
        askama::Template::render(&HouseholdPage {
            link_issued: link.issued_at.map(local).unwrap_or_default(),
            link,
            corrections: corrections
                .into_iter()
                .map(|c| {
                    let who = c.resident_name.unwrap_or_default();
                    (c.id, who, c.words, local(c.created_at))
                })
                .collect(),
            h: household_view(&h, pc.caller.names()),
            members: members.into_iter().map(|r| view(r, today)).collect(),
            can_edit,
            c: pc.chrome,
            errors,
            undo,
            deleted,
            member,
        }),
    )
}

#[derive(Clone, Default, Deserialize)]
pub struct MemberForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    relation: String,
    #[serde(default)]
    tags: String,
}

/// Adds a member to a household from its card.
pub async fn add_member(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<MemberForm>,
) -> Response {
    let t = pc.t();
    let Ok(hid) = validate::path_id(&id) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let body = NewResidentBody {
        household_id: hid,
        name: f.name.clone(),
        id_number: f.id_number.clone(),
        phone: Some(f.phone.clone()),
        relation: f.relation.clone(),
        tags: Tr::tags_typed(&f.tags),
        family_contacts: Vec::new(),
        emergency_contact_name: String::new(),
        emergency_contact_phone: None,
        note: String::new(),
    };
    match create_resident(&state, &pc.caller, &body).await {
        Ok(rid) => Redirect::to(&format!("/residents/{rid}?saved=1")).into_response(),
        Err(e @ AppError::Invalid { .. }) => {
            household_page(
                &state,
                pc,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                (super::faults_in_words(t, &e, ""), f),
                None,
            )
            .await
        }
        Err(e) => PageError::new(t, e).into_response(),
    }
}

#[derive(askama::Template)]
#[template(path = "new_household.html")]
struct NewHouseholdPage {
    c: Chrome,
    grids: Vec<(String, String)>,
    error: Option<String>,
}

async fn new_household_page(
    state: &AppState,
    pc: PageCaller,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    if let Err(e) = pc
        .require(state, Right::EditRegistry, "household.create")
        .await
    {
        return e.into_response();
    }
    let grids = match units::grids(&state.db, &pc.caller.scope()).await {
        Ok(g) => g.into_iter().map(|u| (u.code, u.name)).collect(),
        Err(e) => return PageError::new(pc.t(), e.into()).into_response(),
    };
    html(
        status,
        askama::Template::render(&NewHouseholdPage {
            c: pc.chrome,
            grids,
            error,
        }),
    )
}

pub async fn new_household(State(state): State<AppState>, pc: PageCaller) -> Response {
    new_household_page(&state, pc, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct HouseholdForm {
    #[serde(default)]
    grid_code: String,
    #[serde(default)]
    building: String,
    #[serde(default)]
    building_unit: String,
    #[serde(default)]
    room: String,
    #[serde(default)]
    address: String,
}

pub async fn create_household(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<HouseholdForm>,
) -> Response {
    let body = NewHouseholdBody {
        grid_code: f.grid_code,
        building: f.building,
        building_unit: f.building_unit,
        room: f.room,
        address: f.address,
        note: String::new(),
    };
    match crate::service::households::create_household(&state, &pc.caller, &body).await {
        Ok(hid) => Redirect::to(&format!("/households/{hid}")).into_response(),
        Err(AppError::Invalid { code, .. }) => {
            let error = Some(pc.t().invalid(&code));
            new_household_page(&state, pc, StatusCode::UNPROCESSABLE_ENTITY, error).await
        }
        Err(e) => PageError::new(pc.t(), e).into_response(),
    }
}

/// What every form on a resident's card checks first (its token checked by `PageForm`): the right,
/// and that the resident lies in the caller's jurisdiction (else the not-found page).
async fn resident_for_change(
    state: &AppState,
    pc: &PageCaller,
    right: Right,
    what: &'static str,
    id: &str,
) -> Result<crate::db::registry::Resident, Response> {
    pc.require(state, right, what)
        .await
        .map_err(IntoResponse::into_response)?;
    let rid = validate::path_id(id)
        .map_err(|_| PageError::new(pc.t(), AppError::NotFound).into_response())?;
    fetch(state, &pc.caller, rid)
        .await
        .map_err(|e| PageError::new(pc.t(), e).into_response())
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    version: String,
}

/// Soft-deletes a resident from the card (the page asks once before sending).
pub async fn delete_resident(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageForm { pc, form: f }: PageForm<DeleteForm>,
) -> Response {
    let r =
        match resident_for_change(&state, &pc, Right::EditRegistry, "resident.delete", &id).await {
            Ok(r) => r,
            Err(response) => return response,
        };
    let (t, rid) = (pc.t(), r.id);
    let version = f.version.parse().unwrap_or(-1);
    match registry::delete(
        &state.db,
        &pc.caller.scope(),
        &pc.caller.actor(),
        rid,
        version,
    )
    .await
    {
        Ok(()) => {
            Redirect::to(&format!("/households/{}?deleted={rid}", r.household_id)).into_response()
        }
        Err(crate::db::StoreError::Conflict) => {
            let notice = Some(t.t("resident.conflict").to_string());
            resident_page(
                &state,
                pc,
                &id,
                StatusCode::CONFLICT,
                Extra {
                    notice,
                    ..Extra::default()
                },
            )
            .await
        }
        Err(e) => PageError::new(t, e.into()).into_response(),
    }
}
