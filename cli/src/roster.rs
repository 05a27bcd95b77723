//! A program's roster as a CSV file: one line per person, grouped into families by the
//! `family` column, with an account for each person who has a `username`. Read and checked
//! here, without a server (`kinthread admin roster import` then checks it against one).
//!
//! ```text
//! family,name,role,lives_away,where,away_since,birth_date,birth_year,phone,username,time_zone
//! 李家,李梅,mother,yes,上海,2019-03-01,,,13800138000,li.mei,
//! 李家,小雨,child,no,,,2012-06-11,,,xiaoyu,
//! 李家,王秀英,grandmother,no,,,,,,,
//! ```
//!
//! `family`, `name` and `role` are required; the other columns may be left out or empty.
//! Roles are the API's (`mother`, `grandmother`, `other_caregiver` …) or the words the CLI
//! knows (妈妈, 奶奶, `grandma` …). Several phone numbers of one person are separated by `;`. The account's role follows the person's: parents for
//! mothers and fathers, `child` for children (10 and up, the server checks), caregivers for
//! the rest.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use kinthread_shared::api::NewPerson;
use kinthread_shared::values::Username;
use kinthread_shared::{AccountRole, FamilyRole, TimeZoneName, phone, validate};

/// Every column a roster may have; `family`, `name` and `role` must be there.
pub const COLUMNS: &[&str] = &[
    "family",
    "name",
    "role",
    "lives_away",
    "where",
    "away_since",
    "birth_date",
    "birth_year",
    "phone",
    "username",
    "time_zone",
];

/// One person of the roster, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct RosterPerson {
    /// The line of the file it came from (the header is line 1).
    pub line: usize,
    pub person: NewPerson,
    /// The account to make for this person, if any.
    pub username: Option<String>,
}

impl RosterPerson {
    /// The role of the person's account.
    pub fn account_role(&self) -> AccountRole {
        account_role(self.person.role)
    }
}

/// One family of the roster, in the order of its first line.
#[derive(Clone, Debug, PartialEq)]
pub struct RosterFamily {
    pub name: String,
    pub time_zone: Option<TimeZoneName>,
    pub persons: Vec<RosterPerson>,
}

/// The account role that fits a person's role in the family.
pub fn account_role(role: FamilyRole) -> AccountRole {
    match role {
        FamilyRole::Mother | FamilyRole::Father => AccountRole::Parent,
        FamilyRole::Child => AccountRole::Child,
        FamilyRole::Grandmother
        | FamilyRole::Grandfather
        | FamilyRole::OtherCaregiver
        | FamilyRole::Sibling => AccountRole::Caregiver,
    }
}

/// Reads and checks a roster: every problem found, each with its line, or the families.
pub fn parse(text: &str, today: NaiveDate) -> Result<Vec<RosterFamily>, Vec<String>> {
    let rows = read_csv(text).map_err(|e| vec![e])?;
    let mut problems = Vec::new();
    let Some((header, body)) = rows.split_first() else {
        return Err(vec!["the file is empty: it needs a header line".to_owned()]);
    };
    let header: Vec<String> = header
        .1
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    for name in &header {
        if !COLUMNS.contains(&name.as_str()) {
            problems.push(format!(
                "line 1: unknown column `{name}`; the columns are {}",
                COLUMNS.join(", ")
            ));
        }
    }
    for required in ["family", "name", "role"] {
        if !header.iter().any(|h| h == required) {
            problems.push(format!("line 1: the column `{required}` is missing"));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let column = |name: &str| header.iter().position(|h| h == name);

    let mut families: Vec<RosterFamily> = Vec::new();
    let mut usernames: HashMap<String, usize> = HashMap::new();
    let mut names_in_family: HashSet<(String, String)> = HashSet::new();
    let mut zones: BTreeMap<String, (usize, Option<TimeZoneName>)> = BTreeMap::new();
    for (line, cells) in body {
        let line = *line;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if cells.len() != header.len() {
            problems.push(format!(
                "line {line}: {} fields, the header has {}",
                cells.len(),
                header.len()
            ));
            continue;
        }
        let cell = |name: &str| -> &str {
            column(name)
                .and_then(|i| cells.get(i))
                .map_or("", |c| c.trim())
        };
        let mut problem = |message: String| problems.push(format!("line {line}: {message}"));

        let family = cell("family").to_owned();
        let name = cell("name").to_owned();
        for (field, value) in [("family", &family), ("name", &name)] {
            if let Err(e) = validate::check_name(field, value, 200) {
                problem(format!("{field} {}", e.message));
            }
        }
        let role = match role_of(cell("role")) {
            Some(role) => Some(role),
            None => {
                problem(format!(
                    "role `{}` is not one of mother, father, child, grandmother, grandfather, \
                     other_caregiver, sibling",
                    cell("role")
                ));
                None
            }
        };
        let lives_away = match yes_no(cell("lives_away")) {
            Some(value) => value,
            None => {
                problem(format!(
                    "lives_away `{}` is not yes or no",
                    cell("lives_away")
                ));
                false
            }
        };
        let mut date = |field: &str| -> Option<NaiveDate> {
            let text = cell(field);
            if text.is_empty() {
                return None;
            }
            match text.parse::<NaiveDate>() {
                Ok(date) => Some(date),
                Err(_) => {
                    problem(format!("{field} `{text}` is not a date (YYYY-MM-DD)"));
                    None
                }
            }
        };
        let away_since = date("away_since");
        let birth_date = date("birth_date");
        let birth_year = match cell("birth_year") {
            "" => None,
            text => match text.parse::<i32>() {
                Ok(year) => Some(year),
                Err(_) => {
                    problem(format!("birth_year `{text}` is not a year"));
                    None
                }
            },
        };
        // A date alone gives the year too, as the server would.
        let birth_year = match validate::check_birth(birth_year, birth_date, today) {
            Ok(year) => year,
            Err(found) => {
                for e in found {
                    problem(format!("{} {}", e.field, e.message));
                }
                birth_year
            }
        };
        // Several numbers of one person are separated by `;`.
        let mut phones = Vec::new();
        for raw in cell("phone")
            .split(';')
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            match phone::normalize(raw, phone::DEFAULT_COUNTRY_CODE) {
                Ok(_) => phones.push(raw.to_owned()),
                Err(e) => problem(format!("phone: {e}")),
            }
        }
        let username = match cell("username") {
            "" => None,
            raw => match Username::parse(raw) {
                Ok(username) => {
                    let username = username.as_str().to_owned();
                    if let Some(first) = usernames.insert(username.clone(), line) {
                        problem(format!("username `{username}` is on line {first} already"));
                    }
                    Some(username)
                }
                Err(e) => {
                    problem(format!("username `{raw}`: {e}"));
                    None
                }
            },
        };
        let time_zone = match cell("time_zone") {
            "" => None,
            text => match text.parse::<TimeZoneName>() {
                Ok(zone) => Some(zone),
                Err(e) => {
                    problem(e.to_string());
                    None
                }
            },
        };
        let family_key = family.trim().to_lowercase();
        if !names_in_family.insert((family_key.clone(), name.trim().to_lowercase())) {
            problem(format!(
                "`{name}` is in family `{family}` twice; persons of a family need names of \
                 their own"
            ));
        }
        if let Some(zone) = time_zone {
            match zones.get(&family_key) {
                Some((first, Some(other))) if *other != zone => problem(format!(
                    "time_zone {zone} differs from {other} on line {first} of the same family"
                )),
                Some(_) => {}
                None => {
                    zones.insert(family_key.clone(), (line, Some(zone)));
                }
            }
        }
        let Some(role) = role else { continue };
        let entry = RosterPerson {
            line,
            person: NewPerson {
                display_name: name,
                role,
                lives_away,
                away_location: Some(cell("where").to_owned()).filter(|w| !w.is_empty()),
                away_since,
                birth_year,
                birth_date,
                phone: None,
                phones,
            },
            username,
        };
        match families
            .iter_mut()
            .find(|f| f.name.trim().to_lowercase() == family_key)
        {
            Some(existing) => {
                existing.time_zone = existing.time_zone.or(time_zone);
                existing.persons.push(entry);
            }
            None => families.push(RosterFamily {
                name: family.trim().to_owned(),
                time_zone,
                persons: vec![entry],
            }),
        }
    }
    if families.is_empty() && problems.is_empty() {
        problems.push("the roster has no person".to_owned());
    }
    if problems.is_empty() {
        Ok(families)
    } else {
        Err(problems)
    }
}

fn role_of(text: &str) -> Option<FamilyRole> {
    crate::resolve::role_of_word(&text.trim().to_lowercase())
}

fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" | "no" | "n" | "false" | "0" | "否" => Some(false),
        "yes" | "y" | "true" | "1" | "是" => Some(true),
        _ => None,
    }
}

/// The records of an RFC 4180 file (quotes, doubled quotes, line breaks inside quotes; `\n`
/// or `\r\n`), each with the line it starts on.
fn read_csv(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut row_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push((row_line, std::mem::take(&mut row)));
                line += 1;
                row_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {row_line}: a quoted field is not closed"));
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push((row_line, row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2026-12-07".parse().unwrap()
    }

    const GOOD: &str = "\u{feff}family,name,role,lives_away,where,away_since,birth_date,birth_year,phone,username,time_zone\r\n\
李家,李梅,mother,yes,上海,2019-03-01,,,13800138000,Li.Mei,\r\n\
李家,小雨,child,no,,,2012-06-11,,,xiaoyu,Asia/Shanghai\r\n\
李家,王秀英,奶奶,,,,,,,,\r\n\
\r\n\
\"张家, 东村\",张伟,father,是,\"Shenzhen, \"\"Futian\"\"\",,,,,zhang.wei,\r\n";

    #[test]
    fn a_good_roster() {
        let families = parse(GOOD, today()).unwrap();
        assert_eq!(families.len(), 2);
        let li = &families[0];
        assert_eq!(li.name, "李家");
        assert_eq!(li.time_zone, "Asia/Shanghai".parse().ok());
        let names: Vec<&str> = li
            .persons
            .iter()
            .map(|p| p.person.display_name.as_str())
            .collect();
        assert_eq!(names, ["李梅", "小雨", "王秀英"]);
        let mother = &li.persons[0];
        assert_eq!(mother.line, 2);
        assert!(mother.person.lives_away);
        assert_eq!(mother.person.away_location.as_deref(), Some("上海"));
        assert_eq!(mother.username.as_deref(), Some("li.mei"));
        assert_eq!(mother.account_role(), AccountRole::Parent);
        let child = &li.persons[1];
        assert_eq!(child.person.birth_date, "2012-06-11".parse().ok());
        assert_eq!(child.person.birth_year, Some(2012));
        assert_eq!(child.account_role(), AccountRole::Child);
        assert_eq!(li.persons[2].person.role, FamilyRole::Grandmother);
        assert_eq!(li.persons[2].username, None);
        let zhang = &families[1];
        assert_eq!(zhang.name, "张家, 东村");
        assert_eq!(zhang.persons[0].line, 6);
        assert_eq!(
            zhang.persons[0].person.away_location.as_deref(),
            Some("Shenzhen, \"Futian\"")
        );
        assert!(zhang.persons[0].person.lives_away);
    }

    #[test]
    fn every_problem_is_named_with_its_line() {
        let bad = "family,name,role,birth_year,birth_date,username,lives_away,phone,time_zone\n\
李家,李梅,aunt,,,li,,,\n\
李家,小雨,child,2013,2012-06-11,xiaoyu,maybe,,\n\
李家,小雨,child,,2030-01-01,XiaoYu,,12,Mars/Base\n\
,,child,,,,,,\n\
李家,x\n";
        let problems = parse(bad, today()).unwrap_err();
        let expected = [
            "line 2: role `aunt`",
            "line 2: username `li`",
            "line 3: lives_away `maybe`",
            "line 3: birth_year must agree",
            "line 4: birth_date must be",
            "line 4: phone",
            "line 4: username `xiaoyu` is on line 3",
            "line 4: unknown time zone",
            "line 4: `小雨` is in family `李家` twice",
            "line 5: family must not be empty",
            "line 5: name must not be empty",
            "line 6: 2 fields, the header has 9",
        ];
        for start in expected {
            assert!(
                problems.iter().any(|p| p.starts_with(start)),
                "{start}: {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
    }

    #[test]
    fn header_problems() {
        let problems = parse("family,name,age\n李家,小雨,12\n", today()).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("unknown column `age`"));
        assert!(problems[1].contains("`role` is missing"));
        assert!(parse("", today()).is_err());
        assert!(parse("family,name,role\n", today()).is_err());
        assert!(parse("family,name,role\n\"李家,小雨,child\n", today()).is_err());
    }

    #[test]
    fn time_zones_of_a_family_agree() {
        let text = "family,name,role,time_zone\n\
李家,李梅,mother,Asia/Shanghai\n\
李家,小雨,child,Asia/Urumqi\n";
        let problems = parse(text, today()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("line 3: time_zone Asia/Urumqi differs"));
    }
}
