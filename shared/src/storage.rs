//! How ids and enums are stored: as text, through diesel's `ToSql`/`FromSql`, written once
//! here for every id newtype and every enum (behind the `diesel` feature, which only the
//! server turns on; clients compile without diesel).
//!
//! An id is stored as its hyphenated UUID, an enum as its stable spelling (`as_str`). Reading
//! a value that does not parse is a deserialisation error, which the server reports as an
//! internal error: it means a bug or a hand edit, never a client's mistake.
//!
//! SQLite and PostgreSQL get an impl each (an id's text is made on the fly, which the
//! backends take in different ways); the server's multi-engine backend forwards to them.

/// `ToSql`/`FromSql` as text for a UUID newtype.
#[doc(hidden)]
#[macro_export]
macro_rules! __text_id_sql {
    ($name:ident) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                                                    diesel::sql_types::Text,
                                                    DB,
                                                >>::from_sql(bytes)?;
                text.parse::<$name>().map_err(|_| {
                    format!(concat!("unreadable ", stringify!($name), " `{}`"), text).into()
                })
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.to_string());
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                use std::io::Write as _;
                write!(out, "{}", self.0.hyphenated())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }
    };
}

/// `ToSql`/`FromSql` as text for an enum with `as_str` and `FromStr`.
#[doc(hidden)]
#[macro_export]
macro_rules! __text_enum_sql {
    ($name:ident) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                                                    diesel::sql_types::Text,
                                                    DB,
                                                >>::from_sql(bytes)?;
                text.parse::<$name>().map_err(|e| e.to_string().into())
            }
        }

        // The spelling is `'static`, so one impl serves every backend.
        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }
    };
}

#[doc(hidden)]
pub use crate::__text_enum_sql as text_enum_sql;
#[doc(hidden)]
pub use crate::__text_id_sql as text_id_sql;
