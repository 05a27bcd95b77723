//! Phone numbers in backups: the shared normalisation, so that imported numbers match the
//! persons' numbers the server stored with the same rules.

pub use kinthread_shared::phone::*;
