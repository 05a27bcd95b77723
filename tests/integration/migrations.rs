//! Every migration's `down.sql` undoes its `up.sql`, on both engines: for each migration in
//! order, the schema dumped before it is applied equals the schema dumped after its down.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use kinthread_server::db::{
    DatabaseUrl, Db, DbConnection, revert_last_migration, run_next_migration,
};
use kinthread_tests::{Engine, TestDatabase};

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// SQLite's schema: every table, index, view and trigger with its SQL as SQLite keeps it
/// (which holds the columns, their types, nullability and defaults, and the constraints),
/// and the columns once more as SQLite reads them.
const SQLITE_SCHEMA: &str = "
    SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '') AS line
    FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'
    UNION ALL
    SELECT 'column ' || m.name || '.' || c.name || ' ' || c.type
        || CASE c.\"notnull\" WHEN 1 THEN ' NOT NULL' ELSE '' END
        || coalesce(' DEFAULT ' || c.dflt_value, '') || ' pk=' || c.pk AS line
    FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table'
    ORDER BY line";

/// PostgreSQL's schema, of the test's own schema only: tables and views, columns (in order,
/// with types, nullability and defaults), indexes, constraints, sequences, triggers,
/// functions and types.
const POSTGRES_SCHEMA: &str = "
    SELECT 'table ' || table_name || ' ' || table_type AS line
    FROM information_schema.tables WHERE table_schema = current_schema()
    UNION ALL
    SELECT 'column ' || table_name || '.' || column_name
        || ' #' || row_number() OVER (PARTITION BY table_name ORDER BY ordinal_position)
        || ' ' || data_type || ' ' || udt_name
        || coalesce('(' || character_maximum_length || ')', '')
        || CASE is_nullable WHEN 'NO' THEN ' NOT NULL' ELSE '' END
        || coalesce(' DEFAULT ' || column_default, '')
    FROM information_schema.columns WHERE table_schema = current_schema()
    UNION ALL
    SELECT 'index ' || tablename || '.' || indexname || ': ' || indexdef
    FROM pg_indexes WHERE schemaname = current_schema()
    UNION ALL
    SELECT 'constraint ' || conrelid::regclass::text || '.' || conname || ': '
        || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'sequence ' || sequence_name || ' ' || data_type
    FROM information_schema.sequences WHERE sequence_schema = current_schema()
    UNION ALL
    SELECT 'trigger ' || event_object_table || '.' || trigger_name || ' '
        || event_manipulation || ' ' || action_timing || ' ' || action_statement
    FROM information_schema.triggers WHERE trigger_schema = current_schema()
    UNION ALL
    SELECT 'function ' || p.proname || '(' || pg_get_function_arguments(p.oid) || '): '
        || md5(pg_get_functiondef(p.oid))
    FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'type ' || t.typname || ' ' || t.typtype::text
    FROM pg_type t
    WHERE t.typnamespace = current_schema()::regnamespace
      AND t.typtype IN ('e', 'd', 'r', 'm')
    ORDER BY line";

fn schema(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let lines: Vec<Line> = match conn {
        DbConnection::Sqlite(lite) => diesel::sql_query(SQLITE_SCHEMA).load(lite)?,
        DbConnection::Postgres(pg) => diesel::sql_query(POSTGRES_SCHEMA).load(pg)?,
    };
    // diesel's own table appears with the first migration and stays.
    Ok(lines
        .into_iter()
        .map(|l| l.line)
        .filter(|line| !line.contains("__diesel_schema_migrations"))
        .collect())
}

/// What is in one dump and not the other, for the failure message.
fn difference(before: &[String], after: &[String]) -> String {
    let gone = before.iter().filter(|l| !after.contains(l));
    let new = after.iter().filter(|l| !before.contains(l));
    gone.map(|l| format!("- {l}"))
        .chain(new.map(|l| format!("+ {l}")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn round_trip(engine: Engine) -> anyhow::Result<()> {
    let Some(database) = TestDatabase::new(engine)? else {
        return Ok(());
    };
    let db = Db::connect(&DatabaseUrl::parse(database.url())?, 2)?;
    let mut conn = db.write_conn()?;
    let mut applied = Vec::new();
    loop {
        let before = schema(&mut conn)?;
        let Some(version) = run_next_migration(&mut conn)? else {
            break;
        };
        let up = schema(&mut conn)?;
        assert_ne!(before, up, "{engine:?} {version}: up.sql changed nothing");
        assert_eq!(revert_last_migration(&mut conn)?, version);
        let down = schema(&mut conn)?;
        assert!(
            before == down,
            "{engine:?} {version}: down.sql does not undo up.sql:\n{}",
            difference(&before, &down)
        );
        // Up again, and on to the next one.
        assert_eq!(run_next_migration(&mut conn)?, Some(version.clone()));
        assert_eq!(schema(&mut conn)?, up, "{engine:?} {version}: up twice");
        applied.push(version);
    }
    assert!(applied.len() >= 2, "{applied:?}");
    conn.batch_execute("SELECT count(*) FROM contacts, contact_participants, checkins, audit_log")?;
    Ok(())
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    phone: Option<String>,
}

fn numbers(conn: &mut DbConnection, sql: &str) -> anyhow::Result<Vec<Option<String>>> {
    let rows: Vec<Number> = match conn {
        DbConnection::Sqlite(lite) => diesel::sql_query(sql).load(lite)?,
        DbConnection::Postgres(pg) => diesel::sql_query(sql).load(pg)?,
    };
    Ok(rows.into_iter().map(|r| r.phone).collect())
}

/// The migration to several numbers per person moves each stored number into
/// `person_phones`, and its down puts it back.
fn phones_move_with_the_migration(engine: Engine) -> anyhow::Result<()> {
    let Some(database) = TestDatabase::new(engine)? else {
        return Ok(());
    };
    let db = Db::connect(&DatabaseUrl::parse(database.url())?, 2)?;
    let mut conn = db.write_conn()?;
    loop {
        let version = run_next_migration(&mut conn)?.expect("the phones migration exists");
        if version.contains("000200") {
            break;
        }
    }
    conn.batch_execute(
        "INSERT INTO families (id, display_name, time_zone, guardian_consent,
             share_notes_with_staff, child_feedback_visible_to_parents, created_at, updated_at)
         VALUES ('f', 'Wang', 'Asia/Shanghai', TRUE, FALSE, FALSE, 1, 1);
         INSERT INTO persons (family_id, id, display_name, role, lives_away, phone_e164, created_at)
         VALUES ('f', 'm', 'Mother', 'mother', TRUE, '+8613800138000', 1),
                ('f', 'c', 'Child', 'child', FALSE, NULL, 1);",
    )?;
    let version = run_next_migration(&mut conn)?.unwrap_or_default();
    assert!(version.contains("000201"), "{version}");
    assert_eq!(
        numbers(
            &mut conn,
            "SELECT phone_e164 AS phone FROM person_phones WHERE family_id = 'f' AND person_id = 'm'"
        )?,
        vec![Some("+8613800138000".to_owned())]
    );
    assert_eq!(
        numbers(
            &mut conn,
            "SELECT phone_e164 AS phone FROM person_phones WHERE person_id = 'c'"
        )?,
        Vec::<Option<String>>::new()
    );
    assert_eq!(
        numbers(
            &mut conn,
            "SELECT phone_e164 AS phone FROM persons ORDER BY id"
        )?,
        vec![None, None]
    );
    // A second number, then down: the first goes back to the person.
    conn.batch_execute(
        "INSERT INTO person_phones (family_id, person_id, phone_e164, position, created_at)
         VALUES ('f', 'm', '+447700900123', 1, 2)",
    )?;
    revert_last_migration(&mut conn)?;
    assert_eq!(
        numbers(
            &mut conn,
            "SELECT phone_e164 AS phone FROM persons WHERE id = 'm'"
        )?,
        vec![Some("+8613800138000".to_owned())]
    );
    Ok(())
}

#[test]
fn phones_move_with_the_migration_sqlite() -> anyhow::Result<()> {
    phones_move_with_the_migration(Engine::Sqlite)
}

#[test]
fn phones_move_with_the_migration_postgres() -> anyhow::Result<()> {
    phones_move_with_the_migration(Engine::Postgres)
}

#[test]
fn migrations_round_trip_sqlite() -> anyhow::Result<()> {
    round_trip(Engine::Sqlite)
}

#[test]
fn migrations_round_trip_postgres() -> anyhow::Result<()> {
    round_trip(Engine::Postgres)
}
