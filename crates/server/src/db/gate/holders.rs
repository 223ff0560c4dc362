//! Whom each scan's code names — a pass, a resident's ID number, a visitor's code or phone — looked
//! up for the whole batch with one statement per kind.

use std::collections::HashMap;

use shouhu_domain::{IdNumber, Phone};

use super::Gate;
use super::batch::Item;
use super::scan::Place;
use crate::db::value_set::{texts, texts_in};
use crate::db::{Backend, StoreResult, Tx};

/// Whom a code names, within the gate's community.
#[derive(Clone, Default)]
pub(super) struct Holder {
    pub(super) household_id: Option<i64>,
    pub(super) resident_id: Option<i64>,
    pub(super) visitor_id: Option<i64>,
    /// Where the scan counts: the household's grid (the host's, for a visitor).
    pub(super) grid_id: Option<i64>,
    pub(super) revoked: bool,
    /// A phone number or visitor code with no registration good today.
    pub(super) unregistered_visitor: bool,
    pub(super) place: Option<Place>,
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
pub(super) async fn holders(
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
