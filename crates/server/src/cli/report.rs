//! `shouhu report daily`: the same file the API gives, written from the command line (for a
//! district's clerk with the database at hand, or a cron job that mails it).

use std::path::PathBuf;

use anyhow::Context;

use crate::config::DatabaseArgs;
use crate::db::reports::{self, ReportUnit};

#[derive(clap::Args)]
pub struct DailyArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The unit's code (any level: grid to city).
    #[arg(long)]
    unit: String,
    /// YYYY-MM-DD; today (in the time zone) when absent.
    #[arg(long)]
    date: Option<String>,
    /// The file to write: .xlsx, .csv or .json.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, env = "SHOUHU_TIME_ZONE", default_value = "Asia/Shanghai")]
    time_zone: chrono_tz::Tz,
}

pub async fn daily(args: DailyArgs) -> anyhow::Result<()> {
    let db = super::open(&args.database.url).await?;
    crate::db::report_stats::set_time_zone(args.time_zone);
    let today = chrono::Utc::now()
        .with_timezone(&args.time_zone)
        .date_naive();
    let day = match args.date.as_deref() {
        Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .with_context(|| format!("{d} is not a date (YYYY-MM-DD)"))?,
        None => today,
    };
    anyhow::ensure!(day <= today, "{day} has not come yet");
    let unit = ReportUnit::by_code(&db, args.unit.trim())
        .await?
        .with_context(|| format!("no unit has the code {}", args.unit.trim()))?;
    let report = reports::daily(&db, &unit, &day.to_string()).await?;
    let ext = args
        .out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = match ext.as_str() {
        "xlsx" => crate::sheet::report::xlsx(&report, args.time_zone)?,
        "csv" => crate::sheet::report::csv(&report, args.time_zone),
        "json" => serde_json::to_vec_pretty(&report)?,
        _ => anyhow::bail!("the file must end in .xlsx, .csv or .json"),
    };
    std::fs::write(&args.out, bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "{} {} ({}): {} rows written to {}",
        report.unit_name,
        report.date,
        report.status,
        report.rows.len(),
        args.out.display()
    );
    Ok(())
}
