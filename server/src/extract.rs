//! The JSON body extractor of every endpoint: `application/json` only, within the body limit,
//! and no NUL character in any text.
//!
//! A NUL (U+0000) is refused at the edge with 422 rather than stored: PostgreSQL's text
//! cannot hold one (it answered 500 and dropped a whole batch), and SQLite stored it into
//! bundles that could then never be imported. JSON can carry a NUL only as the escape
//! `\u0000`, so the raw body is scanned for that escape before it is parsed: one pass, no
//! allocation, whatever the body's type.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A request body read as `T`.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
            mime.subtype() == actix_web::mime::JSON || mime.suffix() == Some(actix_web::mime::JSON)
        });
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType.into());
            }
            // Too large or cut off: the error goes through the envelope (413, 400).
            let bytes = body.await?;
            if has_nul_escape(&bytes) {
                return Err(ApiError::validation(
                    "(text)",
                    "text must not contain NUL characters (U+0000)",
                )
                .into());
            }
            serde_json::from_slice(&bytes)
                .map(Json)
                .map_err(|e| ApiError::InvalidBody(e.to_string()).into())
        })
    }
}

/// Whether a JSON text holds the escape `\u0000` (a backslash that is not itself escaped,
/// then `u0000`).
pub fn has_nul_escape(json: &[u8]) -> bool {
    let mut backslashes = 0_usize;
    for (index, &byte) in json.iter().enumerate() {
        if byte == b'\\' {
            backslashes += 1;
            continue;
        }
        if byte == b'u' && backslashes % 2 == 1 && json.get(index + 1..index + 5) == Some(b"0000") {
            return true;
        }
        backslashes = 0;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::has_nul_escape;

    #[test]
    fn finds_the_nul_escape_and_nothing_else() {
        let cases: &[(&str, bool)] = &[
            (r#"{"note":"a\u0000b"}"#, true),
            (r#"{"note":"\u0000"}"#, true),
            (r#"{"note":"\\\u0000"}"#, true),
            // An escaped backslash followed by the letters u0000 is text, not a NUL.
            (r#"{"note":"\\u0000"}"#, false),
            (r#"{"note":"\u00001"}"#, true),
            (r#"{"note":"\u0001"}"#, false),
            (r#"{"note":"u0000"}"#, false),
            (r#"{"note":"\u000"}"#, false),
            ("", false),
        ];
        for &(json, expected) in cases {
            assert_eq!(has_nul_escape(json.as_bytes()), expected, "{json}");
        }
    }
}
