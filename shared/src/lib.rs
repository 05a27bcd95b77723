//! kinthread's shared core: the domain model, the wire types spoken between server and
//! clients, and the pure logic of contact gaps and conversation depth.
//!
//! Nothing here does I/O or knows about HTTP or a database; the server and the CLI build on it.

pub mod api;
pub mod attention;
pub mod bundle;
pub mod depth;
pub mod gaps;
pub mod ids;
pub mod model;
pub mod phone;
pub mod prompts;
pub mod reminders;
pub mod reports;
pub mod retention;
#[cfg(feature = "diesel")]
pub mod storage;
pub mod validate;
pub mod values;

pub use ids::*;
pub use model::*;
pub use values::{TargetCadence, TimeZoneName, Username};
