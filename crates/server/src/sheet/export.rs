//! Residents written as the import reads them: the same columns, Chinese headers, so that exporting
//! a community and importing the file again changes nothing.

use shouhu_domain::{Tags, mask};

use super::columns::Column;
use super::rows::tag_label;
use crate::db::export::ExportRow;

/// Whether full ID numbers and phones are written, or masked ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    Full,
    Masked,
}

pub fn header() -> Vec<String> {
    Column::ALL.iter().map(|c| c.header().to_string()).collect()
}

/// One resident as the cells of a row, in `Column::ALL` order.
pub fn cells(r: &ExportRow, values: Values) -> Vec<String> {
    let (id, phone) = match values {
        Values::Full => (r.id_number.clone(), r.phone.clone().unwrap_or_default()),
        Values::Masked => (
            mask::id_number(&r.id_number),
            r.phone.as_deref().map(mask::phone).unwrap_or_default(),
        ),
    };
    // Sex and birth date as the ID number says: the registry never trusts them over it, and a
    // stored value that drifted (the data checks list those) must not make the file contradict itself.
    let parsed = shouhu_domain::IdNumber::parse(&r.id_number, crate::db::today()).ok();
    let (sex, birth) = match &parsed {
        Some(id) => (id.sex().as_str(), id.birth_date().to_string()),
        None => (r.sex.as_str(), r.birth_date.clone()),
    };
    let sex = match sex {
        "male" => "男",
        "female" => "女",
        other => other,
    };
    let tags = Tags::from_stored(&r.tags)
        .names()
        .map(|t| tag_label(t).unwrap_or(t).to_string())
        .collect::<Vec<_>>()
        .join("、");
    Column::ALL
        .iter()
        .map(|c| match c {
            Column::Grid => r.grid.clone(),
            Column::Building => r.building.clone(),
            Column::Unit => r.unit.clone(),
            Column::Room => r.room.clone(),
            Column::Address => r.address.clone(),
            Column::Name => r.name.clone(),
            Column::IdNumber => id.clone(),
            Column::Sex => sex.to_string(),
            Column::BirthDate => birth.clone(),
            Column::Phone => phone.clone(),
            Column::Relation => r.relation.clone(),
            Column::Tags => tags.clone(),
            Column::Note => r.note.clone(),
        })
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    pub fn of_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// The file's bytes. `title` heads an `.xlsx` sheet (the import skips it).
pub fn write(
    rows: &[ExportRow],
    values: Values,
    format: Format,
    title: &str,
) -> anyhow::Result<Vec<u8>> {
    let rows = rows.iter().map(|r| cells(r, values));
    Ok(match format {
        Format::Xlsx => super::write::xlsx("居民", Some(title), &header(), rows)?,
        Format::Csv => super::write::csv(&header(), rows)?,
    })
}
