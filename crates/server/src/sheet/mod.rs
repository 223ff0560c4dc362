//! Spreadsheets in and out: reading what community workers keep in Excel, and writing what their
//! superiors ask for. Pure of the database; the registry's side is in `db::import`.

pub mod columns;
pub mod export;
pub mod import;
pub mod load;
pub mod read;
pub mod report;
pub mod rows;
pub mod write;
