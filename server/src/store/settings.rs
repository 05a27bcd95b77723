//! Server-wide settings kept in the database, such as the token signing secret, so that every
//! server copy behind a load balancer signs and checks tokens alike with no extra setup.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::schema::server_settings;

/// Returns the stored value of `key`, storing `make()` first if there is none. Two servers
/// starting at once agree on one value: the insert of the second one is ignored.
pub fn get_or_init(
    conn: &mut DbConnection,
    key: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    if let Some(value) = get(conn, key)? {
        return Ok(value);
    }
    let inserted = diesel::insert_into(server_settings::table)
        .values((
            server_settings::key.eq(key),
            server_settings::value.eq(make()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {}
        Err(e) => return Err(e),
    }
    get(conn, key)?.ok_or(diesel::result::Error::NotFound)
}

pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    server_settings::table
        .filter(server_settings::key.eq(key))
        .select(server_settings::value)
        .first(conn)
        .optional()
}
