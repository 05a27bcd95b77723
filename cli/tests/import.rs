//! The real `kinthread` binary importing phone backups and bundles against the real server,
//! on SQLite and (with `KINTHREAD_TEST_POSTGRES_URL`) PostgreSQL: the SBR fixtures twice (the
//! second run stores nothing), unknown numbers listed masked, a dry run writes nothing, a
//! file of another format is refused, a bundle moves to a second server without loss, and the
//! offline reports on the bundle equal the server's.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test that cannot go on should stop loudly"
)]

use std::path::Path;

use kinthread_shared::api::{Contact, Family, Page, Person};
use kinthread_shared::bundle::Bundle;
use kinthread_tests::fixtures::{MAX_JSON_BODY_BYTES, World, admin_token, grow_first_family};
use kinthread_tests::{Engine, TestApp, engine_tests};
use serde_json::{Value, json};

mod common;
use common::Terminal;

/// The reader's fixtures, kept with it in the import crate.
fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../import/testdata/sbr")
        .join(name)
        .display()
        .to_string()
}

/// A family whose numbers the fixtures use: the mother's mobile, the father's mobile, and a
/// landline the two grandparents share (so it matches no one person).
async fn phone_family(app: &TestApp, admin: &str) -> anyhow::Result<Family> {
    let family: Family = app
        .post_ok(
            "/api/v1/families",
            Some(admin),
            &json!({"display_name": "王家", "consent": {"guardian_consent": true}}),
            201,
        )
        .await?;
    let path = format!("/api/v1/families/{}/persons", family.id);
    for body in [
        json!({"display_name": "妈妈", "role": "mother", "lives_away": true, "phone": "138 0013 8000"}),
        json!({"display_name": "爸爸", "role": "father", "lives_away": true, "phone": "+86 139-1234-5678"}),
        json!({"display_name": "小明", "role": "child", "birth_year": 2013}),
        json!({"display_name": "奶奶", "role": "grandmother", "phone": "0371-6543-2109"}),
        json!({"display_name": "爷爷", "role": "grandfather", "phone": "0371 65432109"}),
    ] {
        let _: Person = app.post_ok(&path, Some(admin), &body, 201).await?;
    }
    Ok(family)
}

async fn contact_count(app: &TestApp, admin: &str, family: &Family) -> anyhow::Result<usize> {
    let page: Page<Contact> = app
        .get_ok(
            &format!("/api/v1/families/{}/contacts?limit=200", family.id),
            admin,
        )
        .await?;
    Ok(page.items.len())
}

async fn imports_phone_backups(app: TestApp) -> anyhow::Result<()> {
    let admin = admin_token(&app).await?;
    let family = phone_family(&app, &admin).await?;
    let family_id = family.id.to_string();
    let terminal = Terminal::new();
    terminal.login(&app, "admin");
    let files = [
        fixture("calls-all-types.xml"),
        fixture("sms-mixed.xml"),
        fixture("sms-mms.xml"),
    ];
    let import = |extra: &[&str]| {
        let mut args = vec!["import"];
        args.extend(files.iter().map(String::as_str));
        args.extend(["--family", &family_id, "--owner", "child"]);
        args.extend(extra);
        terminal.json::<Value>(&args)
    };
    let total = |summary: &Value, field: &str| -> u64 {
        summary
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f[field].as_u64().unwrap())
            .sum()
    };

    // A dry run says what would go and writes nothing.
    let dry = import(&["--dry-run"]);
    let would = total(&dry, "contacts");
    assert!(would > 0, "{dry}");
    assert_eq!(total(&dry, "imported"), 0);
    assert_eq!(contact_count(&app, &admin, &family).await?, 0);

    let first = import(&[]);
    let calls = &first[0];
    // calls-all-types: the mother's answered, outgoing and missed calls, the father's voicemail.
    assert_eq!(calls["imported"], 4, "{calls}");
    assert_eq!(calls["skipped"]["answered_elsewhere"], 1, "{calls}");
    assert_eq!(calls["skipped"]["unknown_type"], 1, "{calls}");
    assert_eq!(calls["skipped"]["withheld_number"], 5, "{calls}");
    let unknown: Vec<&Value> = calls["unknown_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    let shared = unknown
        .iter()
        .find(|n| n["reason"] == "shared_by_several")
        .unwrap_or_else(|| panic!("the grandparents' landline is listed: {calls}"));
    assert_eq!(shared["number"], "+*********2109");
    assert!(
        unknown
            .iter()
            .any(|n| n["reason"] == "service_number" && n["number"] == "*5588"),
        "{calls}"
    );
    assert_eq!(total(&first, "imported"), would);
    assert_eq!(total(&first, "refused_by_server"), 0, "{first}");
    // No number appears in full anywhere in the summary.
    let text = first.to_string();
    for full in ["13800138000", "95588", "65432109", "10086"] {
        assert!(!text.contains(full), "{full} in {text}");
    }
    let stored = contact_count(&app, &admin, &family).await?;
    assert_eq!(stored as u64, would);

    // The same files again: everything is already there, nothing new is stored.
    let second = import(&[]);
    assert_eq!(total(&second, "imported"), 0, "{second}");
    assert_eq!(total(&second, "already_there"), would);
    assert_eq!(contact_count(&app, &admin, &family).await?, stored);

    // The table names the unknown numbers, masked, with their counts.
    let mut args = vec![
        "import",
        files[1].as_str(),
        "--family",
        &family_id,
        "--owner",
        "小明",
    ];
    args.push("--dry-run");
    let table = terminal.ok(&args);
    assert!(table.contains("numbers that match no one"), "{table}");
    assert!(table.contains("*0086"), "{table}");

    // Malformed records are reported with their place and skipped.
    let malformed = terminal.json::<Value>(&[
        "import",
        &fixture("calls-malformed.xml"),
        "--family",
        &family_id,
        "--owner",
        "child",
    ]);
    let problems = malformed[0]["problems"].to_string();
    assert!(
        malformed[0]["malformed"].as_u64().unwrap() >= 5,
        "{malformed}"
    );
    assert!(problems.contains("record 2 (line 4"), "{problems}");

    // Another app's file, a JSON file that is no bundle, plain text: refused, nothing sent.
    let before = contact_count(&app, &admin, &family).await?;
    let text_file = terminal.path("notes.txt");
    std::fs::write(&text_file, "not a backup\n")?;
    for bad in [
        fixture("other-app.xml"),
        fixture("not-sbr.json"),
        text_file.display().to_string(),
    ] {
        let run = terminal.run(&[
            "import",
            &fixture("calls-old-minimal.xml"),
            &bad,
            "--family",
            &family_id,
            "--owner",
            "child",
        ]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            run.stderr.contains("SMS Backup & Restore") || run.stderr.contains("bundle"),
            "{run:?}"
        );
    }
    assert_eq!(contact_count(&app, &admin, &family).await?, before);

    // The mother's second SIM, from work abroad, written without `+` in the backup: unknown
    // until an admin adds it to her numbers, then hers.
    let second_sim = terminal.path("calls-second-sim.xml");
    std::fs::write(
        &second_sim,
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<calls count=\"1\">\n\
         <call number=\"447700900123\" duration=\"75\" date=\"1717300000000\" type=\"1\" />\n\
         </calls>\n",
    )?;
    let second = second_sim.display().to_string();
    let import_second = || {
        terminal.json::<Value>(&[
            "import", &second, "--family", &family_id, "--owner", "child",
        ])
    };
    let unknown = import_second();
    assert_eq!(unknown[0]["imported"], 0, "{unknown}");
    let persons: Page<Person> = app
        .get_ok(&format!("/api/v1/families/{family_id}/persons"), &admin)
        .await?;
    let mother = persons
        .items
        .iter()
        .find(|p| p.display_name == "妈妈")
        .unwrap();
    let (status, body) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/families/{family_id}/persons/{}", mother.id),
            Some(&admin),
            Some(&json!({"phones": ["+8613800138000", "+44 7700 900123"]})),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    let matched = import_second();
    assert_eq!(matched[0]["imported"], 1, "{matched}");
    let latest: Page<Contact> = app
        .get_ok(
            &format!("/api/v1/families/{family_id}/contacts?limit=200"),
            &admin,
        )
        .await?;
    assert!(
        latest
            .items
            .iter()
            .any(|c| c.initiator == mother.id && c.duration_seconds == Some(75)),
        "the call is the mother's"
    );
    Ok(())
}

async fn bundles_move_and_report_offline(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let contacts = format!("/api/v1/families/{}/contacts", f.id);
    for (days, note) in [
        (2, Some("想你了")),
        (5, None),
        (12, Some("吃饭了吗，好好学习")),
    ] {
        let started = chrono::Utc::now() - chrono::Duration::days(days);
        let _: Contact = app
            .post_ok(
                &contacts,
                Some(&world.parent_f),
                &json!({"client_id": uuid::Uuid::now_v7(), "kind": "call",
                        "participants": [f.mother, f.child], "initiator": f.mother,
                        "started_at": started.to_rfc3339(), "duration_seconds": 300,
                        "content": note}),
                201,
            )
            .await?;
    }
    let here = Terminal::new();
    here.login(&app, "admin");
    let family_id = f.id.to_string();
    let file = here.path("bundle.json");
    let file_arg = file.display().to_string();
    here.ok(&["export", "--family", &family_id, "--out", &file_arg]);
    let exported = Bundle::parse(&std::fs::read(&file)?)?;
    assert_eq!(exported.families.len(), 1);

    // A program's families, as staff may see them: content left out without consent.
    let staff = Terminal::new();
    staff.login(&app, "staff-a");
    let staff_file = staff.path("program.json");
    staff.ok(&[
        "export",
        "--program",
        &world.program_a.to_string(),
        "--out",
        &staff_file.display().to_string(),
    ]);
    let program = Bundle::parse(&std::fs::read(&staff_file)?)?;
    assert!(!program.is_complete());
    assert!(
        program.families[0]
            .contacts
            .iter()
            .all(|c| c.content.is_none())
    );

    // Into a second, fresh installation, twice.
    let engine = if app.db_url.starts_with("postgres") {
        Engine::Postgres
    } else {
        Engine::Sqlite
    };
    let Some(other) = TestApp::spawn(engine).await? else {
        return Ok(());
    };
    admin_token(&other).await?;
    let there = Terminal::new();
    there.login(&other, "admin");
    let imported = there.json::<Value>(&["import", &file_arg]);
    assert_eq!(imported["families"][0]["status"], "created", "{imported}");
    let again = there.json::<Value>(&["import", &file_arg]);
    assert_eq!(again["families"][0]["status"], "existing", "{again}");
    // A redacted bundle is refused by the server.
    let run = there.run(&["import", &staff_file.display().to_string()]);
    assert_eq!(run.code, 2, "{run:?}");
    let back = there.path("back.json");
    there.ok(&[
        "export",
        "--family",
        &family_id,
        "--out",
        &back.display().to_string(),
    ]);
    let mut back = Bundle::parse(&std::fs::read(&back)?)?;
    back.exported_at = exported.exported_at;
    assert_eq!(back, exported, "export → import → export loses nothing");

    // Offline reports equal the server's, as the same admin sees them.
    let as_of = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    for report in [
        vec!["gaps", "--family", &family_id],
        vec!["depth", "report", "--family", &family_id],
    ] {
        let mut online = report.clone();
        online.extend(["--as-of", &as_of]);
        let mut offline = online.clone();
        offline.extend(["--bundle", &file_arg]);
        let from_server = here.json::<Value>(&online);
        let from_bundle = Terminal::new().json::<Value>(&offline);
        assert_eq!(from_bundle, from_server, "{report:?}");
        let server_table = here.ok(&online);
        let bundle_table = Terminal::new().ok(&offline);
        assert_eq!(bundle_table, server_table, "{report:?}");
    }
    // A one-family bundle needs no --family.
    let alone = Terminal::new().json::<Value>(&["gaps", "--bundle", &file_arg, "--as-of", &as_of]);
    assert_eq!(alone["family"]["id"], family_id.as_str());
    let online_svg = here.path("online.svg");
    let offline_svg = here.path("offline.svg");
    here.ok(&[
        "timeline",
        "--family",
        &family_id,
        "--as-of",
        &as_of,
        "--out",
        &online_svg.display().to_string(),
    ]);
    Terminal::new().ok(&[
        "timeline",
        "--bundle",
        &file_arg,
        "--as-of",
        &as_of,
        "--out",
        &offline_svg.display().to_string(),
    ]);
    let offline = std::fs::read_to_string(&offline_svg)?;
    assert!(
        offline.starts_with("<svg") || offline.starts_with("<?xml"),
        "{offline}"
    );
    assert_eq!(offline, std::fs::read_to_string(&online_svg)?);

    // A damaged bundle is refused offline with a clear message.
    let broken = here.path("broken.json");
    std::fs::write(
        &broken,
        r#"{"format":"kinthread-bundle","version":1,"families":[{}"#,
    )?;
    let run = Terminal::new().run(&["gaps", "--bundle", &broken.display().to_string()]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("bad_bundle"), "{run:?}");
    Ok(())
}

/// An admin's export of a family larger than the server's JSON body limit moves with
/// `kinthread import` like any other.
async fn a_large_bundle_moves(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let f = &world.f;
    let _: Contact = app
        .post_ok(
            &format!("/api/v1/families/{}/contacts", f.id),
            Some(&world.parent_f),
            &json!({"client_id": uuid::Uuid::now_v7(), "kind": "call",
                    "participants": [f.mother, f.child], "initiator": f.mother,
                    "started_at": chrono::Utc::now().to_rfc3339(), "duration_seconds": 300,
                    "content": "想你了"}),
            201,
        )
        .await?;
    let here = Terminal::new();
    here.login(&app, "admin");
    let file = here.path("large.json");
    let file_arg = file.display().to_string();
    here.ok(&["export", "--family", &f.id.to_string(), "--out", &file_arg]);
    let mut large = Bundle::parse(&std::fs::read(&file)?)?;
    grow_first_family(&mut large, 12_000)?;
    let bytes = serde_json::to_vec_pretty(&large)?;
    assert!(bytes.len() > MAX_JSON_BODY_BYTES, "{} bytes", bytes.len());
    std::fs::write(&file, bytes)?;

    let engine = if app.db_url.starts_with("postgres") {
        Engine::Postgres
    } else {
        Engine::Sqlite
    };
    let Some(other) = TestApp::spawn(engine).await? else {
        return Ok(());
    };
    admin_token(&other).await?;
    let there = Terminal::new();
    there.login(&other, "admin");
    let imported = there.json::<Value>(&["import", &file_arg]);
    assert_eq!(imported["families"][0]["status"], "created", "{imported}");
    assert_eq!(imported["families"][0]["created"]["contacts"], 12_000);
    let back = there.path("back.json");
    there.ok(&[
        "export",
        "--family",
        &f.id.to_string(),
        "--out",
        &back.display().to_string(),
    ]);
    let mut back = Bundle::parse(&std::fs::read(&back)?)?;
    back.exported_at = large.exported_at;
    assert_eq!(back, large, "export → import → export loses nothing");
    Ok(())
}

engine_tests!(
    imports_phone_backups,
    bundles_move_and_report_offline,
    a_large_bundle_moves
);
