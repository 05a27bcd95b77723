//! The deployer's commands with the real `kinthread` binary against the real server, on
//! SQLite and (with `KINTHREAD_TEST_POSTGRES_URL`) PostgreSQL: programs, families and persons
//! by name, duplicate names refused unless allowed, accounts over their life, and a CSV
//! roster imported after a dry run, its one-time passwords working at once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test that cannot go on should stop loudly"
)]

use kinthread_shared::api::{Family, Page, Program, User};
use kinthread_shared::reminders::{Reminder, ReminderKind};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::Value;

mod common;
use common::{Run, Terminal};

const PROGRAM: &str = "河南留守儿童关爱项目";
const NEW_PASSWORD: &str = "my own long password";

fn assert_exit(run: &Run, code: i32, stderr_prefix: &str) {
    assert_eq!(run.code, code, "{run:?}");
    assert!(
        run.stderr.starts_with(stderr_prefix) && run.stderr.trim_end().lines().count() == 1,
        "stderr should be one line starting with {stderr_prefix:?}: {run:?}"
    );
}

/// The value of `name` in the row whose first field is `first`.
fn column(rows: &[Vec<String>], name: &str, first: &str) -> String {
    let index = rows[0].iter().position(|h| h == name).unwrap();
    rows.iter().find(|r| r[0] == first).unwrap()[index].clone()
}

/// Signs in at a fresh terminal with a password given on standard input.
fn sign_in(app: &TestApp, username: &str, password: &str) -> (Terminal, Run) {
    let terminal = Terminal::new();
    let run = terminal.run_with_stdin(
        &[
            "login",
            "--server",
            &app.base_url,
            "--username",
            username,
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    (terminal, run)
}

async fn families_in(app: &TestApp, admin: &str, program: &Program) -> anyhow::Result<Vec<Family>> {
    let page: Page<Family> = app.get_ok("/api/v1/families?limit=200", admin).await?;
    Ok(page
        .items
        .into_iter()
        .filter(|f| f.program_id == Some(program.id))
        .collect())
}

const ROSTER: &str = "family,name,role,lives_away,where,birth_date,phone,username\n\
李家,李梅,mother,yes,上海,,13800138000,li.mei\n\
李家,小雨,child,no,,2012-06-11,,xiaoyu\n\
李家,王秀英,奶奶,no,,,,\n\
张家,张伟,father,yes,深圳,,,zhang.wei\n\
张家,小刚,child,no,,2018-09-01,,\n";

async fn a_deployer_sets_up_a_program(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let admin = Terminal::new();
    admin.login(&app, "admin");

    // Programs by name; a name twice is refused.
    let created: Program = admin.json(&["admin", "program", "create", "--name", PROGRAM]);
    assert_eq!(created.name, PROGRAM);
    assert_eq!(created.target_cadence_days.days(), 7);
    let again = admin.run(&["admin", "program", "create", "--name", PROGRAM]);
    assert_exit(&again, 5, "kinthread: duplicate_name: ");
    let listed = admin.ok(&["program", "list"]);
    for name in [PROGRAM, "Program A", "Program B"] {
        assert!(listed.contains(name), "{name}: {listed}");
    }
    // A retention period, set by name, shown, and cleared; out of range is a usage error.
    let kept: Program = admin.json(&[
        "admin",
        "program",
        "retention",
        "--program",
        PROGRAM,
        "--months",
        "24",
    ]);
    assert_eq!(kept.retention_months, Some(24));
    let rows = common::parse_csv(&admin.ok(&["program", "list", "-f", "csv"]));
    let at = rows[0]
        .iter()
        .position(|h| h == "retention_months")
        .unwrap();
    assert!(
        rows.iter().any(|r| r[0] == PROGRAM && r[at] == "24"),
        "{rows:?}"
    );
    let wrong = admin.run(&[
        "admin",
        "program",
        "retention",
        "--program",
        PROGRAM,
        "--months",
        "601",
    ]);
    assert_eq!(wrong.code, 2, "{wrong:?}");
    let cleared: Program = admin.json(&[
        "admin",
        "program",
        "retention",
        "--program",
        PROGRAM,
        "--keep-everything",
    ]);
    assert_eq!(cleared.retention_months, None);
    let staff_sees: Vec<Program> = {
        let staff = Terminal::new();
        staff.login(&app, "staff-b");
        let refused = staff.run(&[
            "admin",
            "program",
            "retention",
            "--program",
            "Program B",
            "--months",
            "12",
        ]);
        assert_exit(&refused, 4, "kinthread: forbidden: ");
        staff.json(&["program", "list"])
    };
    assert_eq!(
        staff_sees
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["Program B"]
    );

    // The roster: a dry run creates nothing; a bad roster says every problem by line.
    let roster = admin.path("roster.csv");
    std::fs::write(&roster, ROSTER)?;
    let roster = roster.display().to_string();
    let dry = admin.ok(&[
        "admin",
        "roster",
        "import",
        &roster,
        "--program",
        PROGRAM,
        "--child-accounts",
        "--dry-run",
    ]);
    assert!(
        dry.contains("dry run: 2 families, 5 persons and 3 accounts would be created"),
        "{dry}"
    );
    assert!(dry.contains("li.mei") && dry.contains("王秀英"), "{dry}");
    assert!(families_in(&app, &world.admin, &created).await?.is_empty());

    let bad = admin.path("bad.csv");
    std::fs::write(
        &bad,
        "family,name,role,username\n李家,李梅,aunt,admin\n李家,小雨,child,xiaoyu\n",
    )?;
    let run = admin.run(&[
        "admin",
        "roster",
        "import",
        &bad.display().to_string(),
        "--program",
        PROGRAM,
    ]);
    assert_exit(&run, 2, "kinthread: usage: the roster has 1 problem");
    assert!(run.stdout.contains("line 2: role `aunt`"), "{run:?}");
    // With the file right, the server's records are checked: a taken username, a child too
    // young or of unknown age for an account.
    std::fs::write(
        &bad,
        "family,name,role,birth_year,username\n李家,李梅,mother,,admin\n李家,小雨,child,,xiaoyu\n\
         李家,小明,child,2020,xiaoming\n",
    )?;
    let run = admin.run(&[
        "admin",
        "roster",
        "import",
        &bad.display().to_string(),
        "--program",
        PROGRAM,
        "--child-accounts",
    ]);
    assert_exit(&run, 2, "kinthread: usage: the roster has 3 problems");
    for expected in [
        "line 2: the username `admin` is taken",
        "line 3: a child's account needs the birth year or date",
        "line 4: child accounts are for age 10 and up",
    ] {
        assert!(run.stdout.contains(expected), "{expected}: {run:?}");
    }
    assert!(families_in(&app, &world.admin, &created).await?.is_empty());

    // The import itself: every account with a one-time password that works at once.
    // A child's account needs a guardian's consent to it.
    let run = admin.run(&["admin", "roster", "import", &roster, "--program", PROGRAM]);
    assert_exit(&run, 2, "kinthread: usage: the roster has 1 problem");
    assert!(
        run.stdout
            .contains("a child's account needs a guardian's consent"),
        "{run:?}"
    );
    let report: Value = admin.json(&[
        "admin",
        "roster",
        "import",
        &roster,
        "--program",
        PROGRAM,
        "--child-accounts",
    ]);
    let families = report["families"].as_array().unwrap();
    assert_eq!(families.len(), 2);
    let li = &families[0];
    assert_eq!(li["name"], "李家");
    let mother = &li["persons"][0];
    assert_eq!(mother["username"], "li.mei");
    assert_eq!(mother["account_role"], "parent");
    let password = mother["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(password.len(), 19);
    assert!(li["persons"][2].get("one_time_password").is_none());
    assert_eq!(families_in(&app, &world.admin, &created).await?.len(), 2);
    let (parent, run) = sign_in(&app, "li.mei", &password);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("kinthread passwd"), "{run:?}");
    // A one-time password: nothing but the change until she chose her own.
    let run = parent.run(&["reminders"]);
    assert_exit(&run, 4, "kinthread: password_change_required: ");
    let run = parent.run_with_stdin(
        &["passwd", "--password-stdin"],
        &format!("wrong password\n{NEW_PASSWORD}\n"),
    );
    assert_exit(&run, 4, "kinthread: wrong_password: ");
    let run = parent.run_with_stdin(
        &["passwd", "--password-stdin"],
        &format!("{password}\n{NEW_PASSWORD}\n"),
    );
    assert_eq!(run.code, 0, "{run:?}");
    // She is reminded of 小雨, whose birth date came with the roster.
    let reminders: Vec<Reminder> = parent.json(&["reminders"]);
    assert!(
        reminders
            .iter()
            .any(|r| r.kind == ReminderKind::ContactDue && r.child_name == "小雨"),
        "{reminders:?}"
    );
    let persons = parent.ok(&["family", "show"]);
    assert!(persons.contains("2012-06-11"), "{persons}");
    // The one-time password is spent; her own works.
    let (_, run) = sign_in(&app, "li.mei", &password);
    assert_exit(&run, 3, "kinthread: bad_credentials: ");
    let (_, run) = sign_in(&app, "li.mei", NEW_PASSWORD);
    assert_eq!(run.code, 0, "{run:?}");
    // The same roster again: its families are in the program already, its usernames taken.
    let run = admin.run(&[
        "admin",
        "roster",
        "import",
        &roster,
        "--program",
        PROGRAM,
        "--child-accounts",
    ]);
    assert_exit(&run, 2, "kinthread: usage: the roster has 5 problems");
    assert!(
        run.stdout.contains("a family called `李家` already"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("the username `li.mei` is taken"),
        "{run:?}"
    );

    // Families by hand: a duplicate name in the program is refused unless allowed.
    let run = admin.run(&[
        "admin",
        "family",
        "create",
        "--name",
        "李家",
        "--program",
        PROGRAM,
    ]);
    assert_exit(&run, 5, "kinthread: duplicate_name: ");
    admin.ok(&[
        "admin",
        "family",
        "create",
        "--name",
        "李家",
        "--program",
        PROGRAM,
        "--allow-duplicate",
    ]);
    // In another program the name is free.
    admin.ok(&[
        "admin",
        "family",
        "create",
        "--name",
        "李家",
        "--program",
        "Program A",
    ]);
    let run = admin.run(&[
        "admin", "person", "add", "--family", "李家", "--name", "x", "--role", "sibling",
    ]);
    assert_exit(
        &run,
        2,
        "kinthread: usage: 3 families are called `李家`; give the id",
    );
    let listed = admin.csv(&["admin", "family", "list", "--program", PROGRAM]);
    assert_eq!(listed.len(), 4, "{listed:?}");
    admin.ok(&[
        "admin",
        "person",
        "add",
        "--family",
        "张家",
        "--name",
        "小刚的姐姐",
        "--role",
        "sibling",
        "--birth-date",
        "2010-02-03",
    ]);
    // A father comes home and gets a second number; only what is given changes.
    let person: Value = admin.json(&[
        "admin",
        "person",
        "update",
        "--family",
        "张家",
        "father",
        "--lives-away",
        "no",
        "--phone",
        "13900139000",
        "--phone",
        "447700900123",
    ]);
    assert_eq!(person["lives_away"], false);
    assert_eq!(person["away_location"], "深圳");
    assert_eq!(
        person["phones"],
        serde_json::json!(["+8613900139000", "+447700900123"])
    );
    let person: Value = admin.json(&[
        "admin",
        "person",
        "update",
        "--family",
        "张家",
        "张伟",
        "--where",
        "",
        "--no-phones",
    ]);
    assert_eq!(person["away_location"], Value::Null);
    assert_eq!(person["phones"], serde_json::json!([]));
    let run = admin.run(&["admin", "person", "update", "--family", "张家", "张伟"]);
    assert_exit(&run, 2, "kinthread: usage: nothing to change");
    // Withdrawn from the program and enrolled again.
    let family: Family = admin.json(&["admin", "family", "withdraw", "张家"]);
    assert_eq!(family.program_id, None);
    assert_eq!(families_in(&app, &world.admin, &created).await?.len(), 2);
    let family: Family = admin.json(&["admin", "family", "enrol", "张家", "--program", PROGRAM]);
    assert_eq!(family.program_id, Some(created.id));
    let family: Family = admin.json(&["admin", "family", "update", "张家", "--cadence", "14"]);
    assert_eq!(family.target_cadence_days.days(), 14);

    // Names where ids were: the export and the caseload of a program by its name.
    let bundle = admin.path("henan.json");
    admin.ok(&[
        "export",
        "--program",
        PROGRAM,
        "--out",
        &bundle.display().to_string(),
    ]);
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&bundle)?)?;
    assert_eq!(exported["families"].as_array().unwrap().len(), 3);
    let caseload = admin.ok(&["gaps", "--program", PROGRAM]);
    assert!(
        caseload.contains("张家") && !caseload.contains("Family F"),
        "{caseload}"
    );
    let run = admin.run(&["gaps", "--program", "no such program"]);
    assert_exit(
        &run,
        4,
        "kinthread: not_found: no program `no such program`",
    );

    // Accounts over their life, by username.
    let made: Value = admin.json(&[
        "admin",
        "user",
        "create",
        "--username",
        "wang.staff",
        "--role",
        "staff",
        "--program",
        PROGRAM,
        "--display-name",
        "王老师",
    ]);
    let staff_password = made["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(made["program_ids"][0], created.id.to_string());
    let (_, run) = sign_in(&app, "wang.staff", &staff_password);
    assert_eq!(run.code, 0, "{run:?}");
    let disabled: User = admin.json(&["admin", "user", "disable", "wang.staff"]);
    assert!(disabled.disabled);
    let (_, run) = sign_in(&app, "wang.staff", &staff_password);
    assert_exit(&run, 3, "kinthread: ");
    let enabled: User = admin.json(&["admin", "user", "enable", "wang.staff"]);
    assert!(!enabled.disabled);
    let (_, run) = sign_in(&app, "wang.staff", &staff_password);
    assert_eq!(run.code, 0, "{run:?}");
    // A forgotten password: a new one-time password, the old one no longer works.
    let reset: Value = admin.json(&["admin", "user", "reset-password", "wang.staff"]);
    let reset_password = reset["one_time_password"].as_str().unwrap().to_owned();
    assert_ne!(reset_password, staff_password);
    assert_eq!(reset["must_change_password"], true);
    let (_, run) = sign_in(&app, "wang.staff", &staff_password);
    assert_exit(&run, 3, "kinthread: bad_credentials: ");
    let (_, run) = sign_in(&app, "wang.staff", &reset_password);
    assert_eq!(run.code, 0, "{run:?}");
    let unlocked: User = admin.json(&["admin", "user", "unlock", "wang.staff"]);
    assert!(!unlocked.login_locked);
    let moved: User = admin.json(&[
        "admin",
        "user",
        "programs",
        "wang.staff",
        "--program",
        PROGRAM,
        "--program",
        "Program A",
    ]);
    assert_eq!(moved.program_ids.len(), 2);
    let users = admin.csv(&["admin", "user", "list"]);
    let row = users.iter().find(|r| r[0] == "wang.staff").unwrap();
    assert_eq!(column(&users, "must_change", "wang.staff"), "yes");
    assert!(row.contains(&"王老师".to_owned()), "{row:?}");
    // A family account by family and person names, its password from standard input.
    let run = admin.run_with_stdin(
        &[
            "admin",
            "user",
            "create",
            "--username",
            "wang.jun",
            "--role",
            "parent",
            "--family",
            "Family F",
            "--person",
            "father",
            "--password-stdin",
        ],
        "a long passphrase here\n",
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("(as given)"), "{run:?}");
    let (_, run) = sign_in(&app, "wang.jun", "a long passphrase here");
    assert_eq!(run.code, 0, "{run:?}");

    // Only admins: a parent is refused by the server.
    let run = parent.run(&["admin", "family", "create", "--name", "王家"]);
    assert_exit(&run, 4, "kinthread: forbidden: ");
    let run = parent.run(&["program", "list"]);
    assert_exit(&run, 4, "kinthread: forbidden: ");
    Ok(())
}

engine_tests!(a_deployer_sets_up_a_program);
