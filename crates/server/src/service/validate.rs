//! Turning outside values into domain values at the edge, with the field named when refused.
//! Shared by the JSON API and the pages' forms.

use chrono::NaiveDate;
use shouhu_domain::{IdNumber, Phone, Tags, mask};

use super::error::{AppError, Faults};
use super::residents::{NewResidentBody, ResidentPatch};
use crate::db::registry::{Changes, Contact, NewResident, Resident};

pub fn path_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .ok_or_else(|| AppError::invalid("id", "invalid_id", "an id is a positive whole number"))
}

pub fn search_text(q: Option<&str>) -> Result<String, AppError> {
    let q = shouhu_domain::normalize::half_width(q.unwrap_or(""));
    if q.chars().count() > 50 {
        return Err(AppError::invalid(
            "q",
            "too_long",
            "search for at most 50 characters",
        ));
    }
    plain("q", &q)?;
    Ok(q)
}

/// Refuses control characters (a NUL byte would be refused by PostgreSQL itself, as a 500).
pub fn plain(field: &str, v: &str) -> Result<(), AppError> {
    if v.chars().any(char::is_control) {
        return Err(AppError::invalid(
            field,
            "control_characters",
            format!("{field} holds control characters"),
        ));
    }
    Ok(())
}

/// A short free text: trimmed, no control characters, at most `max` characters.
pub fn text(field: &'static str, v: &str, max: usize, required: bool) -> Result<String, AppError> {
    let t = v.trim();
    if required && t.is_empty() {
        return Err(AppError::invalid(
            field,
            "required",
            format!("{field} is required"),
        ));
    }
    if t.chars().count() > max {
        return Err(AppError::invalid(
            field,
            "too_long",
            format!("{field} has at most {max} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid(
            field,
            "control_characters",
            format!("{field} holds control characters"),
        ));
    }
    Ok(t.to_string())
}

pub fn id_number(field: &'static str, v: &str, today: NaiveDate) -> Result<IdNumber, AppError> {
    IdNumber::parse(v, today).map_err(|e| AppError::invalid(field, e.code(), e.to_string()))
}

pub fn phone(field: &'static str, v: &str) -> Result<Phone, AppError> {
    Phone::parse(v).map_err(|e| AppError::invalid(field, "invalid_phone", e.to_string()))
}

/// An optional phone: empty clears it.
pub fn optional_phone(field: &'static str, v: &str) -> Result<Option<Phone>, AppError> {
    if v.trim().is_empty() {
        Ok(None)
    } else {
        phone(field, v).map(Some)
    }
}

pub fn tags(v: &[String]) -> Result<Tags, AppError> {
    if v.len() > 20 {
        return Err(AppError::invalid("tags", "too_many", "at most 20 tags"));
    }
    Tags::parse_list(v).map_err(|e| AppError::invalid("tags", "invalid_tag", e.to_string()))
}

pub fn contacts(v: &[Contact]) -> Result<Vec<Contact>, AppError> {
    if v.len() > 10 {
        return Err(AppError::invalid(
            "family_contacts",
            "too_many",
            "at most 10 contacts",
        ));
    }
    v.iter()
        .map(|c| {
            Ok(Contact {
                name: text("family_contacts.name", &c.name, 50, true)?,
                relation: text("family_contacts.relation", &c.relation, 20, false)?,
                phone: phone("family_contacts.phone", &c.phone)?.to_string(),
            })
        })
        .collect()
}

/// A value that still holds masking stars is accepted only when it is the current value's mask,
/// and then means "unchanged": a masked placeholder never overwrites the real value.
fn masked_unchanged(
    field: &'static str,
    sent: &str,
    current_masked: Option<String>,
) -> Result<bool, AppError> {
    if !mask::is_masked(sent) {
        return Ok(false);
    }
    if current_masked.as_deref() == Some(sent.trim()) {
        Ok(true)
    } else {
        Err(AppError::invalid(
            field,
            "masked_value",
            "send the full value or leave the field out",
        ))
    }
}

pub fn resident_changes(
    p: &ResidentPatch,
    cur: &Resident,
    today: NaiveDate,
) -> Result<Changes, AppError> {
    // Every field is checked, so that a form can mark all those at fault at once.
    let mut f = Faults::default();
    let mut c = Changes {
        household_id: p.household_id,
        ..Changes::default()
    };
    if let Some(n) = &p.name {
        c.name = f.take(text("name", n, 50, true))?;
    }
    if let Some(v) = &p.id_number
        && f.take(masked_unchanged(
            "id_number",
            v,
            Some(mask::id_number(&cur.id_number)),
        ))? == Some(false)
    {
        c.id_number = f.take(id_number("id_number", v, today))?;
    }
    if let Some(v) = &p.phone
        && f.take(masked_unchanged(
            "phone",
            v,
            cur.phone.as_deref().map(mask::phone),
        ))? == Some(false)
    {
        c.phone = f.take(optional_phone("phone", v))?;
    }
    if let Some(v) = &p.relation {
        c.relation = f.take(text("relation", v, 20, false))?;
    }
    if let Some(v) = &p.tags {
        c.tags = f.take(tags(v))?;
    }
    if let Some(v) = &p.family_contacts {
        // Contacts sent back masked keep the stored phone of the contact at the same place.
        let stored = cur.contacts();
        let mut merged = Vec::with_capacity(v.len());
        for (i, sent) in v.iter().enumerate() {
            let mut sent = sent.clone();
            if mask::is_masked(&sent.phone) {
                match stored
                    .get(i)
                    .filter(|s| mask::phone(&s.phone) == sent.phone)
                {
                    Some(s) => sent.phone = s.phone.clone(),
                    None => {
                        f.add(
                            "family_contacts.phone",
                            "masked_value",
                            "send the full value or leave the field out",
                        );
                    }
                }
            }
            merged.push(sent);
        }
        c.family_contacts = f.take(contacts(&merged))?;
    }
    if let Some(v) = &p.emergency_contact_name {
        c.emergency_contact_name = f.take(text("emergency_contact_name", v, 50, false))?;
    }
    if let Some(v) = &p.emergency_contact_phone
        && f.take(masked_unchanged(
            "emergency_contact_phone",
            v,
            cur.emergency_contact_phone.as_deref().map(mask::phone),
        ))? == Some(false)
    {
        c.emergency_contact_phone = f.take(optional_phone("emergency_contact_phone", v))?;
    }
    if let Some(v) = &p.note {
        c.note = f.take(text("note", v, 500, false))?;
    }
    f.into_result()?;
    Ok(c)
}

pub fn new_resident(b: &NewResidentBody, today: NaiveDate) -> Result<NewResident, AppError> {
    // Every field is checked, so that a form can mark all those at fault at once.
    let mut f = Faults::default();
    let optional = |field: &'static str, p: &Option<String>| match p {
        Some(p) => optional_phone(field, p),
        None => Ok(None),
    };
    let name = f.take(text("name", &b.name, 50, true))?;
    let id_number = f.take(id_number("id_number", &b.id_number, today))?;
    let phone = f.take(optional("phone", &b.phone))?;
    let relation = f.take(text("relation", &b.relation, 20, false))?;
    let tags = f.take(tags(&b.tags))?;
    let family_contacts = f.take(contacts(&b.family_contacts))?;
    let emergency_contact_name = f.take(text(
        "emergency_contact_name",
        &b.emergency_contact_name,
        50,
        false,
    ))?;
    let emergency_contact_phone = f.take(optional(
        "emergency_contact_phone",
        &b.emergency_contact_phone,
    ))?;
    let note = f.take(text("note", &b.note, 500, false))?;
    f.into_result()?;
    match (
        name,
        id_number,
        phone,
        relation,
        tags,
        family_contacts,
        emergency_contact_name,
        emergency_contact_phone,
        note,
    ) {
        (
            Some(name),
            Some(id_number),
            Some(phone),
            Some(relation),
            Some(tags),
            Some(family_contacts),
            Some(emergency_contact_name),
            Some(emergency_contact_phone),
            Some(note),
        ) => Ok(NewResident {
            household_id: b.household_id,
            name,
            id_number,
            phone,
            relation,
            tags,
            family_contacts,
            emergency_contact_name,
            emergency_contact_phone,
            note,
        }),
        // Each `None` noted its fault above.
        _ => Err(AppError::Internal("a value missing without a fault".into())),
    }
}

/// A calendar date, `YYYY-MM-DD` (2020-02-30 is refused, not rolled over).
pub fn date(field: &'static str, v: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid(field, "invalid_date", "a date is YYYY-MM-DD"))
}
