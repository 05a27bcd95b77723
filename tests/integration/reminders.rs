//! A parent's reminders (`GET /me/reminders`) and what they are computed from: a child's date
//! of birth on the person.

use kinthread_shared::api::{Page, Person};
use kinthread_tests::fixtures::World;
use kinthread_tests::{TestApp, engine_tests};
use serde_json::json;

/// POST persons takes a date of birth: alone it sets the birth year, with a year they must
/// agree; it is read back as given.
async fn a_person_has_a_birth_date(app: TestApp) -> anyhow::Result<()> {
    let world = World::build(&app).await?;
    let path = format!("/api/v1/families/{}/persons", world.f.id);
    let alone: Person = app
        .post_ok(
            &path,
            Some(&world.admin),
            &json!({"display_name": "小雨", "role": "child", "birth_date": "2012-06-11"}),
            201,
        )
        .await?;
    assert_eq!(alone.birth_date, "2012-06-11".parse().ok());
    assert_eq!(alone.birth_year, Some(2012));
    let both: Person = app
        .post_ok(
            &path,
            Some(&world.admin),
            &json!({"display_name": "小明", "role": "child", "birth_year": 2015,
                    "birth_date": "2015-01-31"}),
            201,
        )
        .await?;
    assert_eq!(both.birth_year, Some(2015));

    for (body, field) in [
        (
            json!({"display_name": "x", "role": "child", "birth_year": 2013, "birth_date": "2012-06-11"}),
            "birth_year",
        ),
        (
            json!({"display_name": "x", "role": "child", "birth_date": "2999-01-01"}),
            "birth_date",
        ),
        (
            json!({"display_name": "x", "role": "child", "birth_date": "1899-12-31"}),
            "birth_date",
        ),
    ] {
        let (status, answer) = app.post(&path, Some(&world.admin), &body).await?;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["code"], json!("validation_failed"));
        assert_eq!(
            answer["error"]["fields"][0]["field"],
            json!(field),
            "{answer}"
        );
    }
    let (status, answer) = app
        .post(
            &path,
            Some(&world.admin),
            &json!({"display_name": "x", "role": "child", "birth_date": "11 June 2012"}),
        )
        .await?;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (400, &json!("invalid_body"))
    );

    let persons: Page<Person> = app.get_ok(&path, &world.parent_f).await?;
    let xiaoyu = persons
        .items
        .iter()
        .find(|p| p.id == alone.id)
        .ok_or_else(|| anyhow::anyhow!("小雨 is listed"))?;
    assert_eq!(xiaoyu.birth_date, alone.birth_date);
    let older = persons
        .items
        .iter()
        .find(|p| p.id == world.f.child)
        .ok_or_else(|| anyhow::anyhow!("the child is listed"))?;
    assert_eq!(older.birth_date, None);
    Ok(())
}

engine_tests!(a_person_has_a_birth_date);
