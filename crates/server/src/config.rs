//! Configuration: flags with environment fallbacks and defaults that need no file.

use std::net::SocketAddr;

/// Where the data lives. `sqlite://shouhu.db` (created if missing) or `postgres://…`.
#[derive(clap::Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB.
    #[arg(
        long = "database",
        env = "SHOUHU_DATABASE_URL",
        default_value = "sqlite://shouhu.db"
    )]
    pub url: String,
}

/// How the web service runs.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on.
    #[arg(long, env = "SHOUHU_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Time zone of the local day (reports, "due today").
    #[arg(long, env = "SHOUHU_TIME_ZONE", default_value = "Asia/Shanghai")]
    pub time_zone: chrono_tz::Tz,
    /// Mark cookies Secure: set when served behind TLS.
    #[arg(long, env = "SHOUHU_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Adds `POST /bench/insert` (one single-row insert per request, no sign-in): the baseline of
    /// `bench/gate.sh`. Never for a real deployment.
    #[arg(
        long,
        env = "SHOUHU_BENCH_ENDPOINTS",
        default_value_t = false,
        hide = true
    )]
    pub bench_endpoints: bool,
    /// Each community's daily report is due by this local time (HH:MM) of its day.
    #[arg(long, env = "SHOUHU_REPORT_DEADLINE", default_value = "18:00", value_parser = parse_deadline)]
    pub report_deadline: chrono::NaiveTime,
    #[command(flatten)]
    pub retention: RetentionArgs,
    /// Minutes within which a new help request must be taken, by urgency: normal,urgent,critical.
    /// A request keeps the deadline it was given: changing this changes none already open.
    #[arg(long, env = "SHOUHU_HELP_ACK_MINUTES", default_value = "30,10,3", value_parser = parse_ack_minutes)]
    pub help_ack_minutes: AckMinutes,
    /// Missed tries (no answer, wrong number, refused) after which a day's care call escalates to
    /// a door visit.
    #[arg(long, env = "SHOUHU_CARE_MISSED_ATTEMPTS", default_value_t = 3,
        value_parser = clap::value_parser!(i64).range(1..=20))]
    pub care_missed_attempts: i64,
    /// Local time (HH:MM) by which each care call should have been tried: a call with no try by
    /// then escalates.
    #[arg(long, env = "SHOUHU_CARE_CALLS_BY", default_value = "20:00", value_parser = parse_deadline)]
    pub care_calls_by: chrono::NaiveTime,
    /// A JSON file mapping report figures and unit codes to DHIS2 data element and org unit ids:
    /// `{"data_elements": {"fevers": "…"}, "org_units": {"650203002005": "…"}}`.
    #[arg(long, env = "SHOUHU_DHIS2_MAPPING")]
    pub dhis2_mapping: Option<std::path::PathBuf>,
}

/// How long each kind of record is kept before the purge deletes it (SECURITY.md D), in days.
#[derive(clap::Args, Clone, Copy, Debug)]
pub struct RetentionArgs {
    /// Days health checks (and closed alerts) are kept.
    #[arg(long = "retention-health-days", env = "SHOUHU_RETENTION_HEALTH_DAYS", default_value_t = 180,
        value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub health_days: u32,
    /// Days gate scans and visitor registrations are kept.
    #[arg(long = "retention-gate-days", env = "SHOUHU_RETENTION_GATE_DAYS", default_value_t = 90,
        value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub gate_days: u32,
    /// Days an ended quarantine is kept, with its daily follow-ups, transfers and risk flags.
    #[arg(long = "retention-quarantine-days", env = "SHOUHU_RETENTION_QUARANTINE_DAYS",
        default_value_t = 180, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub quarantine_days: u32,
    /// Days a deleted resident can be brought back; then their personal data is erased.
    #[arg(long = "retention-deleted-residents-days",
        env = "SHOUHU_RETENTION_DELETED_RESIDENTS_DAYS", default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub deleted_resident_days: u32,
}

impl RetentionArgs {
    pub fn retention(&self) -> crate::db::purge::Retention {
        crate::db::purge::Retention {
            health_days: self.health_days,
            gate_days: self.gate_days,
            quarantine_days: self.quarantine_days,
            deleted_resident_days: self.deleted_resident_days,
        }
    }
}

/// Minutes within which a new help request must be taken, per urgency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckMinutes {
    pub normal: i64,
    pub urgent: i64,
    pub critical: i64,
}

impl Default for AckMinutes {
    fn default() -> AckMinutes {
        AckMinutes {
            normal: 30,
            urgent: 10,
            critical: 3,
        }
    }
}

impl AckMinutes {
    pub fn of(self, u: shouhu_domain::Urgency) -> i64 {
        match u {
            shouhu_domain::Urgency::Normal => self.normal,
            shouhu_domain::Urgency::Urgent => self.urgent,
            shouhu_domain::Urgency::Critical => self.critical,
        }
    }
}

fn parse_ack_minutes(s: &str) -> Result<AckMinutes, String> {
    let n: Vec<i64> = s
        .split(',')
        .map(|x| x.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| "three whole numbers of minutes: normal,urgent,critical".to_string())?;
    match n.as_slice() {
        [normal, urgent, critical] if n.iter().all(|m| (1..=1440).contains(m)) => Ok(AckMinutes {
            normal: *normal,
            urgent: *urgent,
            critical: *critical,
        }),
        _ => Err("three numbers of minutes from 1 to 1440: normal,urgent,critical".into()),
    }
}

fn parse_deadline(s: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| "a time is HH:MM".to_string())
}

/// Settings the running service needs, resolved once at start.
#[derive(Clone, Debug)]
pub struct Settings {
    pub time_zone: chrono_tz::Tz,
    pub secure_cookies: bool,
    /// Demo accounts skip the forced password change only when started by `shouhu demo`.
    pub demo_mode: bool,
    pub bench_endpoints: bool,
    pub report_deadline: chrono::NaiveTime,
    pub help_ack_minutes: AckMinutes,
    pub care_missed_attempts: i64,
    pub care_calls_by: chrono::NaiveTime,
    /// Loaded at start; None maps figures and units by their own names and codes.
    pub dhis2: Option<Dhis2Mapping>,
}

#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Dhis2Mapping {
    #[serde(default)]
    pub data_elements: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub org_units: std::collections::BTreeMap<String, String>,
}

impl Settings {
    pub fn from_serve(args: &ServeArgs, demo_mode: bool) -> Settings {
        Settings {
            time_zone: args.time_zone,
            secure_cookies: args.secure_cookies,
            demo_mode,
            bench_endpoints: args.bench_endpoints,
            report_deadline: args.report_deadline,
            help_ack_minutes: args.help_ack_minutes,
            care_missed_attempts: args.care_missed_attempts,
            care_calls_by: args.care_calls_by,
            dhis2: None,
        }
    }

    /// Today's date in the configured time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.time_zone)
            .date_naive()
    }

    /// The local day a record counts on: the phone's time when plausible, else now (a record
    /// taken offline before midnight and sent after counts on the day it was taken).
    pub fn day_of(&self, device_at: Option<i64>) -> chrono::NaiveDate {
        let now = chrono::Utc::now().timestamp();
        let at = shouhu_domain::device_clock::DeviceClock::counts_at(device_at, now);
        chrono::DateTime::from_timestamp(at, 0)
            .map(|t| t.with_timezone(&self.time_zone).date_naive())
            .unwrap_or_else(|| self.today())
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            time_zone: chrono_tz::Asia::Shanghai,
            secure_cookies: false,
            demo_mode: false,
            bench_endpoints: false,
            report_deadline: chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
            help_ack_minutes: AckMinutes::default(),
            care_missed_attempts: 3,
            care_calls_by: chrono::NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default(),
            dhis2: None,
        }
    }
}
