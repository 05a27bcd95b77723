//! Turning what people type into ids: a family by id or name, a person by id, display name or
//! role (`mother`, `grandma`, 妈妈), a moment by RFC 3339, local time or `--ago 2h`.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use kinthread_shared::api::{Family, Page, Person, Program, User};
use kinthread_shared::{FamilyId, FamilyRole, PersonId, ProgramId, UserId};

use crate::client::Api;
use crate::error::{CliError, CliResult};

/// Every page of a list endpoint.
pub async fn all_pages<T: serde::de::DeserializeOwned>(
    api: &mut Api,
    path: &str,
) -> CliResult<Vec<T>> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "200".to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let page: Page<T> = api.get(path, &query).await?;
        items.extend(page.items);
        match page.next_cursor {
            // A server that repeats its cursor must not keep us here forever.
            Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
            _ => return Ok(items),
        }
    }
}

/// All families the user may see, every page.
pub async fn all_families(api: &mut Api) -> CliResult<Vec<Family>> {
    all_pages(api, "/families").await
}

/// All programs the user may see (admins: every one; staff: their own).
pub async fn all_programs(api: &mut Api) -> CliResult<Vec<Program>> {
    all_pages(api, "/programs").await
}

/// The one item whose name is `given` (trimmed, case folded), or a clear refusal.
fn one_by_name<'a, T>(
    items: &'a [T],
    given: &str,
    (what, whats): (&str, &str),
    name_of: impl Fn(&T) -> &str,
    id_of: impl Fn(&T) -> String,
) -> CliResult<&'a T> {
    let wanted = given.trim().to_lowercase();
    let matches: Vec<&T> = items
        .iter()
        .filter(|item| name_of(item).trim().to_lowercase() == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::not_found(format!(
            "no {what} `{}` that you can see",
            given.trim()
        ))),
        several => Err(CliError::usage(format!(
            "{} {whats} are called `{}`; give the id: {}",
            several.len(),
            given.trim(),
            several
                .iter()
                .map(|item| id_of(item))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The program meant by `--program`: an id, or a name (河南留守儿童关爱项目).
pub async fn program(api: &mut Api, given: &str) -> CliResult<Program> {
    if let Ok(id) = given.trim().parse::<ProgramId>() {
        return api.get(&format!("/programs/{id}"), &[]).await;
    }
    let programs = all_programs(api).await?;
    one_by_name(
        &programs,
        given,
        ("program", "programs"),
        |p| &p.name,
        |p| p.id.to_string(),
    )
    .cloned()
}

/// The account meant by `given`: an id or a username (admins).
pub async fn user(api: &mut Api, given: &str) -> CliResult<User> {
    let users: Vec<User> = all_pages(api, "/users").await?;
    if let Ok(id) = given.trim().parse::<UserId>() {
        return users
            .into_iter()
            .find(|u| u.id == id)
            .ok_or_else(|| CliError::not_found(format!("no account {id}")));
    }
    one_by_name(
        &users,
        given,
        ("account", "accounts"),
        |u| &u.username,
        |u| u.id.to_string(),
    )
    .cloned()
}

/// The family meant by `--family` (an id, or a name), or the user's only family.
pub async fn family(api: &mut Api, given: Option<&str>) -> CliResult<Family> {
    if let Some(text) = given
        && let Ok(id) = text.trim().parse::<FamilyId>()
    {
        return api.get(&format!("/families/{id}"), &[]).await;
    }
    if given.is_none()
        && let Some(own) = api.user().family_id
    {
        return api.get(&format!("/families/{own}"), &[]).await;
    }
    let families = all_families(api).await?;
    match given {
        None => match families.as_slice() {
            [only] => Ok(only.clone()),
            [] => Err(CliError::not_found("you can see no family")),
            _ => Err(CliError::usage(
                "you can see several families; choose one with --family ID|NAME (see `kinthread family list`)",
            )),
        },
        Some(name) => one_by_name(
            &families,
            name,
            ("family", "families"),
            |f| &f.display_name,
            |f| f.id.to_string(),
        )
        .cloned(),
    }
}

pub async fn persons(api: &mut Api, family: FamilyId) -> CliResult<Vec<Person>> {
    let page: Page<Person> = api.get(&format!("/families/{family}/persons"), &[]).await?;
    Ok(page.items)
}

/// Role words people use for each role, English and Chinese.
pub fn role_of_word(word: &str) -> Option<FamilyRole> {
    if let Ok(role) = word.parse::<FamilyRole>() {
        return Some(role);
    }
    Some(match word {
        "mom" | "mum" | "mama" | "妈妈" | "母亲" | "妈" => FamilyRole::Mother,
        "dad" | "papa" | "爸爸" | "父亲" | "爸" => FamilyRole::Father,
        "kid" | "son" | "daughter" | "孩子" | "儿子" | "女儿" => FamilyRole::Child,
        "grandma" | "granny" | "奶奶" | "外婆" | "姥姥" => FamilyRole::Grandmother,
        "grandpa" | "爷爷" | "外公" | "姥爷" => FamilyRole::Grandfather,
        "caregiver" => FamilyRole::OtherCaregiver,
        _ => return None,
    })
}

/// The person meant by `given`: an id, a display name, or a role that one person has.
pub fn person<'a>(people: &'a [Person], given: &str) -> CliResult<&'a Person> {
    let text = given.trim();
    if let Ok(id) = text.parse::<PersonId>() {
        return people
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| CliError::not_found(format!("no person {id} in this family")));
    }
    let folded = text.to_lowercase();
    let by_name: Vec<&Person> = people
        .iter()
        .filter(|p| p.display_name.to_lowercase() == folded)
        .collect();
    let candidates = if by_name.is_empty() {
        match role_of_word(&folded) {
            Some(role) => people.iter().filter(|p| p.role == role).collect(),
            None => Vec::new(),
        }
    } else {
        by_name
    };
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::usage(format!(
            "no person `{given}` in this family; choose one of: {}",
            describe(people)
        ))),
        several => Err(CliError::usage(format!(
            "`{given}` could be {}; give the name or id",
            describe_refs(several)
        ))),
    }
}

fn describe(people: &[Person]) -> String {
    describe_refs(&people.iter().collect::<Vec<_>>())
}

fn describe_refs(people: &[&Person]) -> String {
    people
        .iter()
        .map(|p| format!("{} ({})", p.display_name, p.role))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The family's IANA time zone.
pub fn time_zone(family: &Family) -> Tz {
    family.time_zone.tz()
}

/// A length like `90s`, `5m`, `2h`, `3d`, `1w`.
pub fn parse_duration(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| format!("`{text}` needs a unit: s, m, h, d or w (e.g. 2h)"))?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` does not start with a whole number"))?;
    let seconds = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => {
            return Err(format!(
                "unknown unit `{unit}` in `{text}`; use s, m, h, d or w"
            ));
        }
    };
    n.checked_mul(seconds)
        .and_then(chrono::Duration::try_seconds)
        .ok_or_else(|| format!("`{text}` is too long"))
}

/// A moment: RFC 3339 (`2026-03-01T20:15:00+08:00`) keeps its offset; a local date and time
/// (`2026-03-01 20:15`, `2026-03-01`) is read in the family's time zone.
pub fn parse_moment(text: &str, tz: Tz) -> CliResult<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at);
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .ok_or_else(|| {
        CliError::usage(format!(
            "`{text}` is not a time; use RFC 3339 (2026-03-01T20:15:00+08:00) or `2026-03-01 20:15`"
        ))
    })?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|at| at.fixed_offset())
        .ok_or_else(|| CliError::usage(format!("`{text}` does not exist in {tz}")))
}

/// `now` in the family's time zone, the offset a phone there would report.
pub fn in_zone(at: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
    let offset = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
    at.with_timezone(&offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn someone(name: &str, role: FamilyRole) -> Person {
        Person {
            id: PersonId::new(),
            family_id: FamilyId::new(),
            display_name: name.into(),
            role,
            lives_away: false,
            away_location: None,
            away_since: None,
            birth_year: None,
            birth_date: None,
            phone: None,
            phones: vec![],
            created_at: Utc::now(),
        }
    }

    #[test]
    fn persons_by_id_name_or_role() {
        let people = vec![
            someone("李梅", FamilyRole::Mother),
            someone("Xiao Hong", FamilyRole::Child),
            someone("Nainai", FamilyRole::Grandmother),
            someone("Yeye", FamilyRole::Grandfather),
            someone("Ming", FamilyRole::Sibling),
            someone("Li", FamilyRole::Sibling),
        ];
        let name = |given: &str| person(&people, given).map(|p| p.display_name.clone());
        assert_eq!(name("mother"), Ok("李梅".into()));
        assert_eq!(name("妈妈"), Ok("李梅".into()));
        assert_eq!(name("xiao hong"), Ok("Xiao Hong".into()));
        assert_eq!(name("grandma"), Ok("Nainai".into()));
        assert_eq!(name(&people[3].id.to_string()), Ok("Yeye".into()));
        assert!(name("sibling").is_err_and(|e| e.message.contains("could be")));
        assert!(name("uncle").is_err_and(|e| e.message.contains("choose one of")));
    }

    #[test]
    fn durations_and_moments() {
        assert_eq!(parse_duration("2h"), Ok(chrono::Duration::hours(2)));
        assert_eq!(parse_duration("90s"), Ok(chrono::Duration::seconds(90)));
        assert!(parse_duration("2").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999w").is_err());
        let tz = kinthread_shared::gaps::DEFAULT_TIME_ZONE;
        let local = parse_moment("2026-03-01 20:15", tz).map(|m| m.to_rfc3339());
        assert_eq!(local.ok().as_deref(), Some("2026-03-01T20:15:00+08:00"));
        let given = parse_moment("2026-03-01T12:00:00Z", tz).map(|m| m.to_rfc3339());
        assert_eq!(given.ok().as_deref(), Some("2026-03-01T12:00:00+00:00"));
        assert!(parse_moment("yesterday", tz).is_err());
    }
}
