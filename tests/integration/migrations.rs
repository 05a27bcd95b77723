//! Every migration's `down.sql` undoes its `up.sql`, on both engines: up, down, up again.

use diesel::connection::SimpleConnection;
use kinthread_server::db::{DatabaseUrl, Db, revert_all_migrations, run_migrations};
use kinthread_tests::{Engine, TestDatabase};

fn round_trip(engine: Engine) -> anyhow::Result<()> {
    let Some(database) = TestDatabase::new(engine)? else {
        return Ok(());
    };
    let db = Db::connect(&DatabaseUrl::parse(database.url())?, 2)?;
    let mut conn = db.write_conn()?;
    let applied = run_migrations(&mut conn)?;
    assert!(!applied.is_empty());
    conn.batch_execute("SELECT count(*) FROM contacts")?;
    let reverted = revert_all_migrations(&mut conn)?;
    assert_eq!(reverted.len(), applied.len());
    assert!(
        conn.batch_execute("SELECT count(*) FROM contacts").is_err(),
        "down.sql must drop what up.sql made"
    );
    let again = run_migrations(&mut conn)?;
    assert_eq!(again, applied);
    conn.batch_execute("SELECT count(*) FROM contacts, contact_participants, checkins, audit_log")?;
    Ok(())
}

#[test]
fn migrations_round_trip_sqlite() -> anyhow::Result<()> {
    round_trip(Engine::Sqlite)
}

#[test]
fn migrations_round_trip_postgres() -> anyhow::Result<()> {
    round_trip(Engine::Postgres)
}
