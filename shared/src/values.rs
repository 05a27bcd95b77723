//! Values that every layer passes around, checked once when they are made ("parse, don't
//! validate"): a target cadence, a time zone, a username. Each has a private field, one
//! constructor that checks, and serde that goes through it, so a value that exists is valid
//! on the wire, in storage and in the gap logic alike.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Days a family aims to go at most between contacts: 1 to 365, by default weekly, as the
/// Minor Protection Law (Art. 23) expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
    diesel(sql_type = diesel::sql_types::Integer)
)]
pub struct TargetCadence(i32);

/// A target cadence outside 1 to 365 days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the target cadence must be {min} to {max} days, got {0}", min = TargetCadence::MIN_DAYS, max = TargetCadence::MAX_DAYS)]
pub struct CadenceOutOfRange(pub i64);

impl TargetCadence {
    pub const MIN_DAYS: u32 = 1;
    /// Past a year every gap is `stale` anyway.
    pub const MAX_DAYS: u32 = 365;
    /// Weekly (Minor Protection Law, Art. 23).
    pub const DEFAULT: TargetCadence = TargetCadence(7);

    pub fn new(days: i64) -> Result<Self, CadenceOutOfRange> {
        if (i64::from(Self::MIN_DAYS)..=i64::from(Self::MAX_DAYS)).contains(&days) {
            // In range, so it fits.
            Ok(Self(days as i32))
        } else {
            Err(CadenceOutOfRange(days))
        }
    }

    pub fn days(self) -> u32 {
        self.0.unsigned_abs()
    }

    /// The target in force for a family: its own, else its program's, else weekly.
    pub fn in_force(family: Option<Self>, program: Option<Self>) -> Self {
        family.or(program).unwrap_or_default()
    }
}

impl Default for TargetCadence {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for TargetCadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for TargetCadence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i32(self.0)
    }
}

impl<'de> Deserialize<'de> for TargetCadence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let days = i64::deserialize(deserializer)?;
        Self::new(days).map_err(serde::de::Error::custom)
    }
}

/// An IANA time zone (`Asia/Shanghai`, the default), in which a family's days are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
    diesel(sql_type = diesel::sql_types::Text)
)]
pub struct TimeZoneName(Tz);

/// A name that is not an IANA time zone.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone `{0}`: use an IANA name such as Asia/Shanghai")]
pub struct UnknownTimeZone(pub String);

impl TimeZoneName {
    pub const DEFAULT: TimeZoneName = TimeZoneName(Tz::Asia__Shanghai);

    pub fn tz(self) -> Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl Default for TimeZoneName {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl From<Tz> for TimeZoneName {
    fn from(tz: Tz) -> Self {
        Self(tz)
    }
}

impl FromStr for TimeZoneName {
    type Err = UnknownTimeZone;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<Tz>()
            .map(Self)
            .map_err(|_| UnknownTimeZone(s.to_owned()))
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZoneName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// A sign-in name: 3 to 64 characters without spaces or control characters, compared
/// case-insensitively (kept folded to lower case).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
    diesel(sql_type = diesel::sql_types::Text)
)]
pub struct Username(String);

/// Why a username was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadUsername {
    #[error("a username has {min} to {max} characters", min = Username::MIN_CHARS, max = Username::MAX_CHARS)]
    Length,
    #[error("a username must not contain spaces or control characters")]
    Character,
}

impl Username {
    pub const MIN_CHARS: usize = 3;
    pub const MAX_CHARS: usize = 64;

    /// Trims and folds to lower case, then checks.
    pub fn parse(raw: &str) -> Result<Self, BadUsername> {
        let folded = raw.trim().to_lowercase();
        let chars = folded.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(BadUsername::Length);
        }
        if folded.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BadUsername::Character);
        }
        Ok(Self(folded))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Username {
    type Err = BadUsername;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Username {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// The schemas state the limits, so clients and the OpenAPI document know them.
#[cfg(feature = "openapi")]
mod schemas {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    use utoipa::{PartialSchema, ToSchema};

    use super::{TargetCadence, TimeZoneName, Username};

    impl PartialSchema for TargetCadence {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(TargetCadence::MIN_DAYS))
                .maximum(Some(TargetCadence::MAX_DAYS))
                .description(Some("Target days between contacts"))
                .into()
        }
    }
    impl ToSchema for TargetCadence {}

    impl PartialSchema for TimeZoneName {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("An IANA time zone name"))
                .examples(["Asia/Shanghai"])
                .into()
        }
    }
    impl ToSchema for TimeZoneName {}

    impl PartialSchema for Username {
        fn schema() -> RefOr<Schema> {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(Username::MIN_CHARS))
                .max_length(Some(Username::MAX_CHARS))
                .into()
        }
    }
    impl ToSchema for Username {}
}

#[cfg(feature = "diesel")]
mod storage {
    use diesel::backend::Backend;
    use diesel::deserialize::{self, FromSql};
    use diesel::serialize::{self, Output, ToSql};
    use diesel::sql_types::{Integer, Text};

    use super::{TargetCadence, TimeZoneName, Username};

    impl<DB: Backend> FromSql<Integer, DB> for TargetCadence
    where
        i32: FromSql<Integer, DB>,
    {
        fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
            let days = i32::from_sql(bytes)?;
            Ok(TargetCadence::new(i64::from(days))?)
        }
    }

    impl<DB: Backend> ToSql<Integer, DB> for TargetCadence
    where
        i32: ToSql<Integer, DB>,
    {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
            self.0.to_sql(out)
        }
    }

    impl<DB: Backend> FromSql<Text, DB> for TimeZoneName
    where
        String: FromSql<Text, DB>,
    {
        fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
            Ok(String::from_sql(bytes)?.parse::<TimeZoneName>()?)
        }
    }

    impl<DB: Backend> ToSql<Text, DB> for TimeZoneName
    where
        str: ToSql<Text, DB>,
    {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
            self.name().to_sql(out)
        }
    }

    impl<DB: Backend> FromSql<Text, DB> for Username
    where
        String: FromSql<Text, DB>,
    {
        fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
            // Stored names were checked when stored; a hand-made one (an imported
            // placeholder) is taken as it is rather than made unreadable.
            Ok(Username(String::from_sql(bytes)?))
        }
    }

    impl<DB: Backend> ToSql<Text, DB> for Username
    where
        str: ToSql<Text, DB>,
    {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
            self.0.as_str().to_sql(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cadence_range_is_checked_once() {
        for (days, ok) in [
            (0, false),
            (1, true),
            (7, true),
            (365, true),
            (366, false),
            (-3, false),
        ] {
            assert_eq!(TargetCadence::new(days).is_ok(), ok, "{days}");
        }
        assert_eq!(TargetCadence::default().days(), 7);
        assert!(serde_json::from_str::<TargetCadence>("400").is_err());
        assert_eq!(
            serde_json::from_str::<TargetCadence>("14").ok(),
            TargetCadence::new(14).ok()
        );
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(TimeZoneName::default().name(), "Asia/Shanghai");
        assert!("Europe/Nowhere".parse::<TimeZoneName>().is_err());
        assert!(serde_json::from_str::<TimeZoneName>("\"Mars/Olympus\"").is_err());
        let ny: TimeZoneName = serde_json::from_str("\"America/New_York\"").unwrap();
        assert_eq!(serde_json::to_string(&ny).unwrap(), "\"America/New_York\"");
    }

    #[test]
    fn usernames_fold_and_refuse() {
        assert_eq!(
            Username::parse("  Wang.Fang ").unwrap().as_str(),
            "wang.fang"
        );
        assert_eq!(Username::parse("王芳小雨").unwrap().as_str(), "王芳小雨");
        assert_eq!(Username::parse("王芳"), Err(BadUsername::Length));
        assert_eq!(Username::parse("ab"), Err(BadUsername::Length));
        assert_eq!(Username::parse("a b c"), Err(BadUsername::Character));
        assert_eq!(Username::parse("a\u{0}bc"), Err(BadUsername::Character));
        assert!(Username::parse(&"x".repeat(65)).is_err());
    }
}
