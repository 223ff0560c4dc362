//! The service: what the people of shouhu can do, below both edges. The JSON API (`web::api`) and
//! the pages (`web::pages`) call it; it calls the store (`db`) and the domain. Nothing here knows
//! of HTTP: it takes the caller and plain values and answers views or an `AppError`.

pub mod audit;
pub mod caller;
pub mod care;
pub mod checks;
pub mod dashboard;
pub mod dispatch;
pub mod error;
pub mod gate_log;
pub mod health;
pub mod help;
pub mod households;
pub mod notice_receipts;
pub mod notices;
pub mod observation;
pub mod paging;
pub mod quarantine;
pub mod reports;
pub mod resident_links;
pub mod resident_self;
pub mod residents;
pub mod roster;
pub mod session;
pub mod session_cache;
pub mod sheets;
pub mod supplies;
pub mod supply_deliveries;
pub mod supply_donations;
pub mod supply_needs;
pub mod supply_purchases;
pub mod surveys;
pub mod units;
pub mod uploads;
pub mod users;
pub mod validate;

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub sessions: Arc<session_cache::SessionCache>,
    pub uploads: Arc<uploads::Uploads>,
    /// Commits concurrent gate scans together (see `db::gate::writer`).
    pub scans: Arc<crate::db::gate::writer::ScanWriter>,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> AppState {
        crate::db::report_stats::set_time_zone(settings.time_zone);
        AppState {
            db,
            settings: Arc::new(settings),
            sessions: Arc::default(),
            uploads: Arc::default(),
            scans: Arc::default(),
        }
    }
}

/// A file to hand to the person who asked for it: an export, a printout.
pub struct Download {
    pub mime: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
}
