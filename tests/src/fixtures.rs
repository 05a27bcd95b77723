//! A small world built through the real API: two programs, two families, and an account for
//! every role, so that tests can try each role against a family it may and may not reach.

use kinthread_server::auth::Passwords;
use kinthread_server::db::{DatabaseUrl, Db};
use kinthread_server::store;
use kinthread_shared::api::{Family, NewUser, Person, Program, TokenResponse};
use kinthread_shared::bundle::{Bundle, BundleContact};
use kinthread_shared::{AccountRole, ContactId, FamilyId, PersonId, ProgramId};
use serde_json::json;

use crate::TestApp;

pub const PASSWORD: &str = "correct horse battery";

/// Creates an admin the way `kinthread-server create-admin` does, and signs in.
pub async fn admin_token(app: &TestApp) -> anyhow::Result<String> {
    let url = DatabaseUrl::parse(&app.db_url)?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let db = Db::connect(&url, 2)?;
        let mut conn = db.write_conn()?;
        let hash = Passwords::new(kinthread_server::app::cheap_password_cost())?
            .hash(PASSWORD)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let new = NewUser {
            username: "admin".into(),
            password: PASSWORD.into(),
            role: AccountRole::Admin,
            display_name: Some("Administrator".into()),
            family_id: None,
            person_id: None,
            program_ids: vec![],
        };
        store::users::insert(&mut conn, &new, &hash)?;
        Ok(())
    })
    .await??;
    login(app, "admin").await
}

pub async fn login(app: &TestApp, username: &str) -> anyhow::Result<String> {
    let tokens: TokenResponse = app
        .post_ok(
            "/api/v1/auth/login",
            None,
            &json!({"username": username, "password": PASSWORD}),
            200,
        )
        .await?;
    Ok(tokens.access_token)
}

/// One family with its people.
#[derive(Clone, Debug)]
pub struct SeedFamily {
    pub id: FamilyId,
    pub mother: PersonId,
    pub father: PersonId,
    pub child: PersonId,
    pub grandmother: PersonId,
}

#[derive(Debug)]
pub struct World {
    pub admin: String,
    pub program_a: ProgramId,
    pub program_b: ProgramId,
    /// In program A; notes not shared with staff.
    pub f: SeedFamily,
    /// In program B; notes shared with staff.
    pub g: SeedFamily,
    pub parent_f: String,
    pub caregiver_f: String,
    pub child_f: String,
    pub parent_g: String,
    pub staff_a: String,
    pub staff_b: String,
}

async fn family(
    app: &TestApp,
    admin: &str,
    name: &str,
    program: ProgramId,
    share_notes: bool,
) -> anyhow::Result<SeedFamily> {
    let family: Family = app
        .post_ok(
            "/api/v1/families",
            Some(admin),
            &json!({
                "display_name": name,
                "program_id": program,
                "consent": {"guardian_consent": true, "share_notes_with_staff": share_notes,
                            "child_account": true},
            }),
            201,
        )
        .await?;
    let path = format!("/api/v1/families/{}/persons", family.id);
    let person = async |body: serde_json::Value| -> anyhow::Result<PersonId> {
        let p: Person = app.post_ok(&path, Some(admin), &body, 201).await?;
        Ok(p.id)
    };
    let mother = person(
        json!({"display_name": "Mother", "role": "mother", "lives_away": true,
        "away_location": "Shanghai", "phone": "+86 138 0013 8000"}),
    )
    .await?;
    let father =
        person(json!({"display_name": "Father", "role": "father", "lives_away": true})).await?;
    let child =
        person(json!({"display_name": "Child", "role": "child", "birth_year": 2012})).await?;
    let grandmother = person(json!({"display_name": "Grandmother", "role": "grandmother"})).await?;
    Ok(SeedFamily {
        id: family.id,
        mother,
        father,
        child,
        grandmother,
    })
}

async fn account(app: &TestApp, admin: &str, body: serde_json::Value) -> anyhow::Result<String> {
    let username = body["username"].as_str().unwrap_or_default().to_owned();
    let _: serde_json::Value = app
        .post_ok("/api/v1/users", Some(admin), &body, 201)
        .await?;
    login(app, &username).await
}

impl World {
    pub async fn build(app: &TestApp) -> anyhow::Result<Self> {
        let admin = admin_token(app).await?;
        let program_a: Program = app
            .post_ok(
                "/api/v1/programs",
                Some(&admin),
                &json!({"name": "Program A"}),
                201,
            )
            .await?;
        let program_b: Program = app
            .post_ok(
                "/api/v1/programs",
                Some(&admin),
                &json!({"name": "Program B", "target_cadence_days": 14}),
                201,
            )
            .await?;
        let f = family(app, &admin, "Family F", program_a.id, false).await?;
        let g = family(app, &admin, "Family G", program_b.id, true).await?;
        let member = |name: &str, role: &str, fam: &SeedFamily, person: PersonId| {
            json!({"username": name, "password": PASSWORD, "role": role,
                   "family_id": fam.id, "person_id": person})
        };
        let parent_f = account(app, &admin, member("parent-f", "parent", &f, f.mother)).await?;
        let caregiver_f = account(
            app,
            &admin,
            member("caregiver-f", "caregiver", &f, f.grandmother),
        )
        .await?;
        let child_f = account(app, &admin, member("child-f", "child", &f, f.child)).await?;
        let parent_g = account(app, &admin, member("parent-g", "parent", &g, g.mother)).await?;
        let staff_a = account(
            app,
            &admin,
            json!({"username": "staff-a", "password": PASSWORD, "role": "staff", "program_ids": [program_a.id]}),
        )
        .await?;
        let staff_b = account(
            app,
            &admin,
            json!({"username": "staff-b", "password": PASSWORD, "role": "staff", "program_ids": [program_b.id]}),
        )
        .await?;
        Ok(Self {
            admin,
            program_a: program_a.id,
            program_b: program_b.id,
            f,
            g,
            parent_f,
            caregiver_f,
            child_f,
            parent_g,
            staff_a,
            staff_b,
        })
    }
}

/// The server's JSON body limit, which [`grow_first_family`] makes bundles larger than.
pub use kinthread_server::app::MAX_JSON_BODY_BYTES;

/// Grows the first family of a complete bundle to `contacts` contact records: copies of its
/// newest contact with ids and client ids of their own, an hour apart going back, each with a
/// note of about 300 bytes, as years of logging make them. 6,000 make a bundle over the 8 MiB
/// JSON body limit; 30,000 make about 22 MiB. Kept in the order an export writes them.
pub fn grow_first_family(bundle: &mut Bundle, contacts: usize) -> anyhow::Result<()> {
    let record = bundle
        .families
        .first_mut()
        .ok_or_else(|| anyhow::anyhow!("the bundle has no family"))?;
    let template = record
        .contacts
        .iter()
        .filter(|c| c.superseded_by.is_none() && c.supersedes.is_none())
        .max_by_key(|c| c.started_at)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the family has no contact to copy"))?;
    let note = "今天打电话问了学习，也问了吃饭和睡觉，奶奶说他最近很乖，周末想去看他。".repeat(3);
    let more = contacts.saturating_sub(record.contacts.len());
    for n in 1..=more {
        let earlier = chrono::Duration::hours(i64::try_from(n)?);
        record.contacts.push(BundleContact {
            id: ContactId::new(),
            client_id: uuid::Uuid::now_v7(),
            started_at: template.started_at - earlier,
            ended_at: template.ended_at.map(|end| end - earlier),
            content: Some(note.clone()),
            recorded_at: template.recorded_at - earlier,
            ..template.clone()
        });
    }
    record.contacts.sort_by_key(|c| (c.started_at, c.id));
    Ok(())
}
