//! Wire types (filled in with the API).
