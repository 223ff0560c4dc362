//! An import as the command line and the web page run it: load the file, plan and write the rows,
//! and describe what was refused in words and in a sheet the user can fix and send again.

use serde::Serialize;

use super::columns::Column;
use super::load::{LoadError, Loaded, load};
use super::rows::{Problem, Rejected};
use crate::db::import::{Summary, Target, import};
use crate::db::registry::Actor;
use crate::db::{Db, StoreError};
use crate::i18n::Tr;

/// What an import did, with what the user needs to fix.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub sheet: String,
    pub sheet_names: Vec<String>,
    #[serde(flatten)]
    pub summary: Summary,
    pub rejected_rows: Vec<Rejected>,
    /// Headers shouhu does not know: their columns were ignored.
    pub unknown_columns: Vec<String>,
    /// The columns found, by field name.
    pub columns: Vec<&'static str>,
    #[serde(skip)]
    loaded: Option<Loaded>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] LoadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Imports `bytes` into `target`. `source` names the file in the audit log.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: &Db,
    target: &Target,
    actor: &Actor,
    bytes: axum::body::Bytes,
    sheet: Option<&str>,
    source: &str,
    dry_run: bool,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Report, ImportError> {
    let today = crate::db::today();
    // Parsing a large workbook is seconds of CPU: off the threads that serve requests.
    let sheet_name = sheet.map(str::to_string);
    let mut loaded =
        tokio::task::spawn_blocking(move || load(&bytes, sheet_name.as_deref(), today))
            .await
            .map_err(|e| {
                StoreError::Database(sqlx::Error::Protocol(format!("import worker: {e}")))
            })??;
    let rows = std::mem::take(&mut loaded.rows);
    let (summary, rejected_rows) =
        import(db, target, actor, rows, source, dry_run, progress).await?;
    Ok(Report {
        sheet: loaded.sheet.name.clone(),
        sheet_names: loaded.sheet_names.clone(),
        summary,
        rejected_rows,
        unknown_columns: loaded.layout.unknown.clone(),
        columns: loaded.layout.columns.iter().map(|(_, c)| c.key()).collect(),
        loaded: Some(loaded),
    })
}

impl Report {
    /// The rejected rows as they were, each with a column saying what is wrong: fix, then import
    /// this file again.
    pub fn errors_xlsx(&self, tr: Tr) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let Some(loaded) = &self.loaded else {
            return super::write::xlsx("rejected", None, &[], std::iter::empty());
        };
        let header_cells = &loaded.sheet.rows[loaded.layout.header_row];
        let mut header: Vec<String> = header_cells.iter().map(|c| c.text()).collect();
        header.push(tr.t("import.row").to_string());
        header.push(tr.t("import.problem").to_string());
        let width = header_cells.len();
        let rows = self.rejected_rows.iter().map(|rej| {
            let cells = loaded
                .sheet
                .rows
                .get(rej.line - 1)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            let mut out: Vec<String> = (0..width)
                .map(|i| cells.get(i).map(|c| c.text()).unwrap_or_default())
                .collect();
            out.push(rej.line.to_string());
            out.push(describe(&rej.problems, tr));
            out
        });
        super::write::xlsx(tr.t("import.rejected_sheet"), None, &header, rows)
    }
}

/// "身份证号：…；联系电话：…" in the user's language.
pub fn describe(problems: &[Problem], tr: Tr) -> String {
    let sep = tr.t("import.separator");
    // Catalogue values are trimmed: an ASCII separator gets its space back here.
    let separator = if sep.is_ascii() {
        format!("{sep} ")
    } else {
        sep.to_string()
    };
    problems
        .iter()
        .map(|p| {
            let column = Column::ALL
                .into_iter()
                .find(|c| c.key() == p.column)
                .map(|c| tr.tk("column", c.key()))
                .unwrap_or_else(|| p.column.to_string());
            tr.t("import.problem_format")
                .replace("{column}", &column)
                .replace("{reason}", &tr.tk("invalid", p.code))
        })
        .collect::<Vec<_>>()
        .join(&separator)
}
