//! The import page (upload, preview with each row's problems, confirm) and the residents download.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shouhu_domain::Right;

use super::{Chrome, PageCaller, PageError, PageForm, PageUpload, page};
use crate::db::units;
use crate::service::residents::reauthenticate;
use crate::service::sheets::{export_file, run_import};
use crate::sheet::export::Values;
use crate::sheet::import::{Report, describe};
use crate::web::AppState;
use crate::web::error::AppError;

/// Rows of problems shown on the page; the downloadable sheet has them all.
const SHOWN_PROBLEMS: usize = 200;

#[derive(askama::Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Chrome,
    communities: Vec<(String, String)>,
    grids: Vec<(String, String)>,
    error: Option<String>,
    /// The preview (dry run) or the result.
    report: Option<Report>,
    problems: Vec<(usize, String)>,
    token: String,
    file_name: String,
    done: bool,
}

impl ImportPage {
    async fn new(state: &AppState, pc: PageCaller) -> Result<ImportPage, PageError> {
        let t = pc.t();
        let scope = pc.caller.scope();
        let communities = units::communities_of_grids(&state.db, &scope)
            .await
            .map_err(|e| PageError::new(t, e.into()))?;
        let grids = units::grids(&state.db, &scope)
            .await
            .map_err(|e| PageError::new(t, e.into()))?;
        Ok(ImportPage {
            c: pc.chrome,
            communities: communities.into_iter().map(|u| (u.code, u.name)).collect(),
            grids: grids.into_iter().map(|u| (u.code, u.name)).collect(),
            error: None,
            report: None,
            problems: Vec::new(),
            token: String::new(),
            file_name: String::new(),
            done: false,
        })
    }

    fn with_report(mut self, report: Report) -> ImportPage {
        let t = self.c.t;
        self.problems = report
            .rejected_rows
            .iter()
            .take(SHOWN_PROBLEMS)
            .map(|r| (r.line, describe(&r.problems, t)))
            .collect();
        self.report = Some(report);
        self
    }
}

fn error_text(pc_t: crate::i18n::Tr, e: &AppError) -> String {
    match e {
        AppError::Invalid { code, .. } => pc_t.invalid(code),
        AppError::PayloadTooLarge => pc_t.invalid("file_too_large"),
        _ => pc_t.t("error.title").to_string(),
    }
}

pub async fn import_page(State(state): State<AppState>, pc: PageCaller) -> Response {
    if let Err(e) = pc
        .require(&state, Right::ImportRegistry, "import.residents")
        .await
    {
        return e.into_response();
    }
    match ImportPage::new(&state, pc).await {
        Ok(p) => page(&p),
        Err(e) => e.into_response(),
    }
}

/// The upload: read the form, keep the file, show what importing it would do.
pub async fn upload(State(state): State<AppState>, form: PageUpload) -> Response {
    let t = form.pc.t();
    if let Err(e) = form
        .pc
        .require(&state, Right::ImportRegistry, "import.residents")
        .await
    {
        return e.into_response();
    }
    let (community, grid, sheet) = (
        form.field("community"),
        form.field("grid"),
        form.field("sheet"),
    );
    let PageUpload { pc, file, .. } = form;
    let user_id = pc.caller.session.user.id;
    let caller = pc.caller.clone();
    let mut p = match ImportPage::new(&state, pc).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let (file_name, bytes) = match file {
        Some(f) => f,
        None => {
            p.error = Some(t.invalid("file_empty"));
            return page(&p);
        }
    };
    let preview = run_import(
        &state,
        &caller,
        bytes.clone(),
        &community,
        Some(&grid),
        Some(&sheet),
        &file_name,
        true,
    )
    .await;
    match preview {
        Ok(report) => {
            p.token = state
                .uploads
                .put(user_id, bytes, file_name.clone(), community, grid, sheet);
            p.file_name = file_name;
            page(&p.with_report(report))
        }
        Err(e) => {
            p.error = Some(error_text(t, &e));
            page(&p)
        }
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {}

/// The confirmation: import the kept file for real (against the registry as it is now).
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PageForm { pc, form: _f }: PageForm<ConfirmForm>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .require(&state, Right::ImportRegistry, "import.residents")
        .await
    {
        return e.into_response();
    }
    let Some(up) = state.uploads.get(pc.caller.session.user.id, &token) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let caller = pc.caller.clone();
    let mut p = match ImportPage::new(&state, pc).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let result = run_import(
        &state,
        &caller,
        up.bytes.clone(),
        &up.community,
        Some(&up.grid),
        Some(&up.sheet),
        &up.file_name,
        false,
    )
    .await;
    match result {
        Ok(report) => {
            p.done = true;
            p.token = token;
            p.file_name = up.file_name;
            page(&p.with_report(report))
        }
        Err(e) => {
            p.error = Some(error_text(t, &e));
            page(&p)
        }
    }
}

/// The rejected rows of a kept upload, as a sheet to fix and import again.
pub async fn errors_sheet(
    State(state): State<AppState>,
    pc: PageCaller,
    Path(token): Path<String>,
) -> Response {
    let t = pc.t();
    let Some(up) = state.uploads.get(pc.caller.session.user.id, &token) else {
        return PageError::new(t, AppError::NotFound).into_response();
    };
    let report = match run_import(
        &state,
        &pc.caller,
        up.bytes.clone(),
        &up.community,
        Some(&up.grid),
        Some(&up.sheet),
        &up.file_name,
        true,
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return PageError::new(t, e).into_response(),
    };
    match report.errors_xlsx(t) {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"rejected-rows.xlsx\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => PageError::new(t, AppError::Internal(e.to_string())).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ExportForm {
    unit: String,
    format: String,
    /// Given: full values after re-authentication; empty: masked.
    #[serde(default)]
    password: String,
}

/// The download of the residents page.
pub async fn export(
    State(state): State<AppState>,
    PageForm { pc, form: f }: PageForm<ExportForm>,
) -> Response {
    let t = pc.t();
    if let Err(e) = pc
        .require(&state, Right::ExportRegistry, "export.residents")
        .await
    {
        return e.into_response();
    }
    let values = if f.password.is_empty() {
        Values::Masked
    } else {
        if let Err(e) = pc
            .require(&state, Right::Unmask, "export.residents.unmasked")
            .await
        {
            return e.into_response();
        }
        if let Err(e) = reauthenticate(&state, &pc.caller, Some(&f.password)).await {
            return PageError::new(t, e).into_response();
        }
        Values::Full
    };
    match export_file(&state, &pc.caller, &f.unit, Some(&f.format), values).await {
        Ok(r) => r.into_response(),
        Err(e) => PageError::new(t, e).into_response(),
    }
}
