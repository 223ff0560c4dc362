//! Pure types and rules of shouhu: no database, no web, no async.
//!
//! Every value that comes from outside (a form, JSON, an Excel cell, a CLI flag) is parsed into one of
//! these types at the edge, so that inside the service a `Phone` is always a valid phone.

pub mod address;
pub mod care;
pub mod delivery;
pub mod device_clock;
pub mod health;
pub mod help;
pub mod id_number;
pub mod mask;
pub mod normalize;
pub mod notice;
pub mod phone;
pub mod plate;
pub mod role;
pub mod roster;
pub mod supplies;
pub mod tags;
pub mod unit_kind;

pub use health::{QuarantineKind, QuarantineStatus, Temperature, TransferStatus};
pub use help::{HelpCategory, HelpStatus, Urgency};
pub use id_number::{IdNumber, IdNumberError, Sex};
pub use phone::{Phone, PhoneError};
pub use plate::{Plate, PlateError};
pub use role::{Right, Role};
pub use roster::{DutyGroup, Span};
pub use tags::{Tag, TagError, Tags};
pub use unit_kind::UnitKind;
