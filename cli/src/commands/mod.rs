//! One module per command group; each turns parsed arguments into API calls and output.

pub mod admin;
pub mod auth;
#[cfg(feature = "demo")]
pub mod demo;
pub mod export;
pub mod family;
pub mod follow_up;
pub mod import;
pub mod log;
pub mod offline;
pub mod privacy;
pub mod reminders;
pub mod reports;
pub mod roster;
pub mod timeline;
pub mod voice;
