//! The command line: `serve`, `demo`, `migrate`, `user`, `import`, `export`, `backup`, `restore`,
//! `purge`, `audit verify`.

mod report;
mod sheets;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use shouhu_domain::Role;

use crate::config::{DatabaseArgs, ServeArgs, Settings};
use crate::db::{Db, accounts, audit, units};
use crate::web::AppState;

#[derive(Parser)]
#[command(
    name = "shouhu",
    version,
    about = "守护 shouhu — community epidemic prevention and resident care"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web pages and the API.
    Serve(ServeArgs),
    /// Seed a synthetic Karamay into an empty database, then serve it with the demo accounts.
    Demo(DemoArgs),
    /// Apply the database migrations and exit (serve and demo also migrate at start).
    Migrate(DatabaseArgs),
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Write a consistent backup of the database to a new file (SQLite: VACUUM INTO; PostgreSQL:
    /// pg_dump's custom format).
    Backup {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The backup file to write; it must not exist.
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Restore a backup into a new, empty database (a new SQLite file or PostgreSQL database).
    Restore {
        #[command(flatten)]
        database: DatabaseArgs,
        /// The backup file to read.
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Import residents from a spreadsheet.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Export residents to a spreadsheet.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Reports: `report daily --unit CODE --date YYYY-MM-DD --out FILE.xlsx`.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Delete the health, gate and quarantine records past their retention now (the service also
    /// does it on its own every six hours). Prints what was deleted.
    Purge {
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        retention: crate::config::RetentionArgs,
        /// Count what would be deleted, and delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(clap::Args)]
struct DemoArgs {
    #[command(flatten)]
    serve: ServeArgs,
    /// Households in all (the three seed communities hold 3,900; more adds communities of 2,400).
    #[arg(long, default_value_t = crate::demo::DEFAULT_HOUSEHOLDS, value_parser = clap::value_parser!(u32).range(3..=500_000))]
    households: u32,
    /// Seed of the generator: the same seed gives the same demo.
    #[arg(long, default_value_t = 2020)]
    seed: u64,
    /// Seed and exit without serving.
    #[arg(long)]
    seed_only: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. Prints a one-time password that must be changed at first sign-in.
    Add {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// street_officer, community_leader, grid_worker, gate_guard, team_member, system_admin,
        /// security_admin or auditor.
        #[arg(long)]
        role: String,
        /// Code of a unit the person serves; repeat for several grids.
        #[arg(long = "unit")]
        units: Vec<String>,
    },
    /// Set a new one-time password and end the account's sessions.
    ResetPassword {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[command(flatten)]
        database: DatabaseArgs,
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Residents and their households, matched by ID number: re-importing a file changes nothing.
    Residents(sheets::ImportArgs),
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Residents of a unit, with the import's columns.
    Residents(sheets::ExportArgs),
}

#[derive(Subcommand)]
enum ReportCommand {
    /// The daily report (日报) of a unit and day, as .xlsx, .csv or .json.
    Daily(report::DailyArgs),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; report the first broken entry.
    Verify(DatabaseArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("cannot open the database {url}"))?;
    db.migrate().await.context("cannot migrate the database")?;
    Ok(db)
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => {
            let db = open(&args.database.url).await?;
            serve(db, &args, false).await?;
        }
        Command::Demo(args) => {
            let db = open(&args.serve.database.url).await?;
            if crate::demo::is_empty(&db).await? {
                eprintln!("seeding the demo: {} households …", args.households);
                let report = crate::demo::seed(
                    &db,
                    &crate::demo::Options {
                        households: args.households,
                        seed: args.seed,
                        progress: true,
                    },
                )
                .await?;
                eprintln!(
                    "seeded {} households and {} residents in {:.1} s ({:.0} residents/s)",
                    report.households,
                    report.residents,
                    report.seconds,
                    report.residents as f64 / report.seconds.max(0.001)
                );
            } else {
                eprintln!("the database already holds data: serving it as it is");
            }
            if !args.seed_only {
                print_banner(&args.serve);
                // A fresh one each start: the token is shown only when issued.
                if let Some((address, path)) = crate::demo::resident_link(&db).await? {
                    println!(
                        "a household's own page (居民端, {address}): http://{}{path}",
                        args.serve.listen
                    );
                }
                serve(db, &args.serve, true).await?;
            }
        }
        Command::Migrate(args) => {
            open(&args.url).await?;
            println!("migrations applied");
        }
        Command::User { command } => user(command).await?,
        Command::Import {
            command: ImportCommand::Residents(args),
        } => return sheets::import(args).await,
        Command::Export {
            command: ExportCommand::Residents(args),
        } => return sheets::export(args).await,
        Command::Report {
            command: ReportCommand::Daily(args),
        } => report::daily(args).await?,
        Command::Backup { database, out } => {
            let db = open(&database.url).await?;
            crate::db::backup::backup(&db, &database.url, &out).await?;
            println!("backup written to {}", out.display());
        }
        Command::Restore { database, from } => {
            crate::db::backup::restore(&database.url, &from)?;
            open(&database.url).await?;
            println!("restored {} into {}", from.display(), database.url);
        }
        Command::Purge {
            database,
            retention,
            dry_run,
        } => {
            let db = open(&database.url).await?;
            let purged =
                crate::db::purge::purge(&db, &retention.retention(), crate::db::now(), dry_run)
                    .await?;
            let what = crate::db::purge::describe(&purged);
            match dry_run {
                true => println!("would delete: {what}"),
                false => println!("deleted: {what}"),
            }
        }
        Command::Audit {
            command: AuditCommand::Verify(args),
        } => {
            let db = open(&args.url).await?;
            return Ok(match audit::verify(&db).await? {
                audit::Verdict::Intact { entries } => {
                    println!("audit log intact: {entries} entries");
                    ExitCode::SUCCESS
                }
                audit::Verdict::Broken { id, reason } => {
                    println!("audit log BROKEN at entry {id}: {reason}");
                    ExitCode::from(2)
                }
            });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_banner(args: &ServeArgs) {
    println!("守护 shouhu demo: http://{}/", args.listen);
    println!("demo accounts (password {}):", crate::demo::DEMO_PASSWORD);
    for (name, role) in crate::demo::accounts() {
        println!("  {name:<20} {}", role.as_str());
    }
}

async fn serve(db: Db, args: &ServeArgs, demo_mode: bool) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!(address = %args.listen, "serving");
    if args.bench_endpoints {
        crate::db::bench::prepare(&db).await?;
    }
    let mut settings = Settings::from_serve(args, demo_mode);
    if let Some(path) = &args.dhis2_mapping {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        settings.dhis2 = Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a DHIS2 mapping", path.display()))?,
        );
    }
    crate::db::purge::schedule(db.clone(), args.retention.retention());
    crate::service::dispatch::schedule(db.clone(), settings.time_zone, settings.care_calls_by);
    let state = AppState::new(db, settings);
    crate::web::serve(state, listener).await
}

fn cli_entry(action: &'static str, id: i64, detail: String) -> audit::NewEntry {
    audit::NewEntry {
        actor: "cli".into(),
        action,
        object_kind: "user",
        object_id: id.to_string(),
        result: "ok",
        detail,
        ..Default::default()
    }
}

async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            database,
            username,
            display_name,
            role,
            units: unit_codes,
        } => {
            let db = open(&database.url).await?;
            let role = Role::parse(&role).with_context(|| format!("unknown role {role}"))?;
            let username = username.trim().to_string();
            anyhow::ensure!(
                accounts::valid_username(&username),
                "a user name is 1 to 64 letters, digits, '-', '_' or '.'"
            );
            anyhow::ensure!(
                role.is_system() || !unit_codes.is_empty(),
                "a {} serves at least one unit: add --unit CODE",
                role.as_str()
            );
            let mut unit_ids = Vec::new();
            for code in &unit_codes {
                let u = units::find_unscoped(&db, code)
                    .await?
                    .with_context(|| format!("no unit {code}"))?;
                unit_ids.push(u.id);
            }
            let password = accounts::one_time_password();
            let hash = accounts::hash_password(&password)?;
            let mut tx = db.begin_write().await?;
            let id =
                accounts::create_user(&mut tx, &username, display_name.trim(), role, &hash, true)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            for u in unit_ids {
                accounts::assign_unit(&mut tx, id, u).await?;
            }
            audit::append(
                &mut tx,
                db.backend,
                &cli_entry("user.create", id, format!("role={}", role.as_str())),
            )
            .await?;
            tx.commit().await?;
            println!(
                "created {username} ({}); one-time password: {password}",
                role.as_str()
            );
        }
        UserCommand::ResetPassword { database, username } => {
            let db = open(&database.url).await?;
            let (user, _) = accounts::find_by_username(&db, &username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let password = accounts::one_time_password();
            let hash = accounts::hash_password(&password)?;
            let mut tx = db.begin_write().await?;
            accounts::set_password(&mut tx, user.id, &hash, true).await?;
            accounts::end_all_sessions(&mut tx, user.id).await?;
            audit::append(
                &mut tx,
                db.backend,
                &cli_entry("user.password_reset", user.id, String::new()),
            )
            .await?;
            tx.commit().await?;
            println!("new one-time password for {username}: {password}");
        }
        UserCommand::Disable { database, username } => {
            let db = open(&database.url).await?;
            let (user, _) = accounts::find_by_username(&db, &username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let mut tx = db.begin_write().await?;
            accounts::set_disabled(&mut tx, user.id, true).await?;
            audit::append(
                &mut tx,
                db.backend,
                &cli_entry("user.disable", user.id, String::new()),
            )
            .await?;
            tx.commit().await?;
            println!("disabled {username}; their sessions have ended");
        }
    }
    Ok(())
}
