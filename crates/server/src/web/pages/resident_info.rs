//! What is held about a household's members (个人信息查询, PIPL), on the household's own pages
//! behind its link: every field masked as staff lists show it, and the form to ask for a
//! correction.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use super::html;
use super::lang_of;
use super::resident::link_of;
use crate::i18n::Tr;
use crate::service::resident_self::members;
use crate::web::AppState;

/// One member's record as held, masked as for staff: what PIPL lets the household see.
pub struct HeldRow {
    pub id: i64,
    pub fields: Vec<(&'static str, String)>,
}

#[derive(askama::Template)]
#[template(path = "self_info.html")]
struct InfoPage {
    t: Tr,
    base: String,
    address: String,
    members: Vec<HeldRow>,
    correction_key: String,
}

/// What is held about the household's members (个人信息查询), with the way to ask for a correction.
pub async fn info(
    State(state): State<AppState>,
    Path(token): Path<String>,
    parts: Parts,
) -> Response {
    let link = match link_of(&state, &token, &parts).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    let t = Tr::new(lang_of(&parts));
    let members = match members(&state, &link).await {
        Ok(m) => m,
        Err(e) => return super::PageError::new(t, e).into_response(),
    };
    let today = state.settings.today();
    let rows = members
        .into_iter()
        .map(|r| {
            let v = crate::service::residents::view(r, today);
            let contacts = v
                .family_contacts
                .iter()
                .map(|c| format!("{} {}", c.name, c.phone))
                .collect::<Vec<_>>()
                .join("；");
            HeldRow {
                id: v.id,
                fields: vec![
                    ("field.name", shouhu_domain::mask::name(&v.name)),
                    ("field.id_number", v.id_number),
                    ("resident.sex", t.tk("resident.sex", &v.sex)),
                    ("resident.birth_date", v.birth_date),
                    ("field.phone", v.phone.unwrap_or_default()),
                    ("field.relation", v.relation),
                    (
                        "field.tags",
                        v.tags
                            .iter()
                            .map(|g| t.tk("tag", g))
                            .collect::<Vec<_>>()
                            .join("、"),
                    ),
                    ("self.family_contacts", contacts),
                    (
                        "field.emergency_contact_name",
                        format!(
                            "{} {}",
                            v.emergency_contact.name,
                            v.emergency_contact.phone.unwrap_or_default()
                        )
                        .trim()
                        .to_string(),
                    ),
                    ("field.note", v.note),
                ],
            }
        })
        .collect();
    html(
        StatusCode::OK,
        askama::Template::render(&InfoPage {
            t,
            base: format!("/h/{token}"),
            address: link.address.clone(),
            members: rows,
            correction_key: super::form_key(),
        }),
    )
}
