//! `shouhu import residents` and `shouhu export residents`: the spreadsheets of the command line,
//! run by whoever holds the machine (audited as `cli`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::DatabaseArgs;
use crate::db::registry::Actor;
use crate::db::{StoreError, audit, export};
use crate::i18n::{Lang, Tr};
use crate::sheet::export::{Format, Values};
use crate::sheet::import::{ImportError, describe};

#[derive(clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The .xlsx, .xls, .ods or .csv file.
    file: PathBuf,
    /// Code of the community the residents live in.
    #[arg(long)]
    community: String,
    /// Code (or name) of the grid for rows that name none.
    #[arg(long)]
    grid: Option<String>,
    /// The sheet to read; by default the first that has a header.
    #[arg(long)]
    sheet: Option<String>,
    /// Check everything and report, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the rejected rows, each with its problem, to this .xlsx file.
    #[arg(long)]
    errors: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Code of the unit (community, grid, street…) whose residents to write.
    #[arg(long)]
    unit: String,
    /// The file to write: .xlsx or .csv.
    #[arg(long)]
    out: PathBuf,
    /// Mask ID numbers and phones (for a file that leaves the office).
    #[arg(long)]
    masked: bool,
}

pub async fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let db = super::open(&args.database.url).await?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let target = match crate::db::import::target(&db, &args.community, args.grid.as_deref(), None)
        .await
    {
        Ok(t) => t,
        Err(StoreError::NotFound) => anyhow::bail!("no community with the code {}", args.community),
        Err(StoreError::Invalid { .. }) => anyhow::bail!(
            "no grid {} in the community {}",
            args.grid.as_deref().unwrap_or_default(),
            args.community
        ),
        Err(e) => return Err(e.into()),
    };
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let source = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tr = Tr::new(Lang::Zh);
    let report = match crate::sheet::import::run(
        &db,
        &target,
        &Actor::cli(),
        bytes.into(),
        args.sheet.as_deref(),
        &source,
        args.dry_run,
        &progress,
    )
    .await
    {
        Ok(r) => r,
        Err(ImportError::File(e)) => {
            anyhow::bail!(
                "{}: {} ({e})",
                args.file.display(),
                tr.tk("invalid", e.code())
            )
        }
        Err(ImportError::Store(e)) => return Err(e.into()),
    };
    bar.finish_and_clear();
    let s = &report.summary;
    for rej in &report.rejected_rows {
        println!("row {}: {}", rej.line, describe(&rej.problems, tr));
    }
    if !report.unknown_columns.is_empty() {
        println!("ignored columns: {}", report.unknown_columns.join(", "));
    }
    println!(
        "{}sheet {}: created {}, updated {}, unchanged {}, rejected {}, households created {}",
        if s.dry_run {
            "dry run (nothing written) — "
        } else {
            ""
        },
        report.sheet,
        s.created,
        s.updated,
        s.unchanged,
        s.rejected,
        s.households_created
    );
    if s.created + s.updated == 0 && s.rejected == 0 {
        println!("nothing to change: the registry already holds these rows");
    }
    if let Some(path) = &args.errors {
        std::fs::write(path, report.errors_xlsx(tr)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("rejected rows written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn export(args: ExportArgs) -> anyhow::Result<ExitCode> {
    let format = Format::of_path(&args.out)
        .with_context(|| format!("{}: the file must end in .xlsx or .csv", args.out.display()))?;
    let db = super::open(&args.database.url).await?;
    let (unit_id, unit_name) = match export::unit(&db, &args.unit, None).await {
        Ok(u) => u,
        Err(StoreError::NotFound) => anyhow::bail!("no unit with the code {}", args.unit),
        Err(e) => return Err(e.into()),
    };
    let grids = export::export_grids(&db, unit_id, None).await?;
    let values = if args.masked {
        Values::Masked
    } else {
        Values::Full
    };
    let title = format!(
        "{unit_name} 居民名单（{} 导出）",
        chrono::Local::now().format("%Y-%m-%d")
    );
    let (bytes, n) =
        crate::sheet::export::export_grids(&db, &grids, values, format, &title).await?;
    std::fs::write(&args.out, bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let mut tx = db.begin_write().await?;
    audit::append(
        &mut tx,
        db.backend,
        &Actor::cli().entry(
            if args.masked {
                "export.residents"
            } else {
                "export.residents.unmasked"
            },
            "org_unit",
            unit_id,
            format!("{n} residents to {}", args.out.display()),
        ),
    )
    .await?;
    tx.commit().await?;
    println!("{n} residents written to {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
