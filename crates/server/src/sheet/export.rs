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
    // stored value that drifted (the data checks list those) must not make the file contradict
    // itself. Stored numbers were validated on entry, so reading their digits is enough here.
    let (sex, birth) = match from_id(&r.id_number) {
        Some((sex, birth)) => (sex, birth),
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

/// Sex and birth date (YYYY-MM-DD) read off a stored 18-character ID number.
fn from_id(id: &str) -> Option<(&'static str, String)> {
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sex = if (b[16] - b'0') % 2 == 1 {
        "male"
    } else {
        "female"
    };
    Some((
        sex,
        format!("{}-{}-{}", &id[6..10], &id[10..12], &id[12..14]),
    ))
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

/// Exports the residents of `grids` while they are read: a writer thread turns each grid's rows
/// into the file as the next grid is fetched, so reading and writing overlap. Returns the file and
/// the number of residents.
pub async fn export_grids(
    db: &crate::db::Db,
    grids: &[i64],
    values: Values,
    format: Format,
    title: &str,
) -> anyhow::Result<(Vec<u8>, usize)> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ExportRow>>(2);
    let title = title.to_string();
    let writer = tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<u8>, usize)> {
        let count = std::cell::Cell::new(0usize);
        let rows = std::iter::from_fn(|| rx.blocking_recv())
            .flatten()
            .map(|r| {
                count.set(count.get() + 1);
                cells(&r, values)
            });
        let bytes = match format {
            Format::Xlsx => super::write::xlsx("居民", Some(&title), &header(), rows)?,
            Format::Csv => super::write::csv(&header(), rows)?,
        };
        Ok((bytes, count.get()))
    });
    let mut fetch_error = None;
    for grid in grids {
        match crate::db::export::grid_residents(db, *grid).await {
            // A closed channel means the writer failed; its error is the one to report.
            Ok(rows) => {
                if tx.send(rows).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                fetch_error = Some(e);
                break;
            }
        }
    }
    drop(tx);
    let written = writer.await?;
    match fetch_error {
        Some(e) => Err(e.into()),
        None => written,
    }
}
