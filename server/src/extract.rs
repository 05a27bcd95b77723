//! The JSON body extractor of every endpoint: `application/json` only, within the body limit,
//! and no NUL character in any text; and [`streamed_json`] for the one body allowed to be
//! larger (a bundle), parsed as it arrives.
//!
//! A NUL (U+0000) is refused at the edge with 422 rather than stored: PostgreSQL's text
//! cannot hold one (it answered 500 and dropped a whole batch), and SQLite stored it into
//! bundles that could then never be imported. JSON can carry a NUL only as the escape
//! `\u0000`, so the raw body is scanned for that escape before it is parsed: one pass, no
//! allocation, whatever the body's type.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_core::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::app::MAX_JSON_BODY_BYTES;
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
            let bytes = body.await.map_err(|err| body_error(&err))?;
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

/// The envelope's answer to a body that could not be read whole.
fn body_error(err: &actix_web::Error) -> actix_web::Error {
    match err.as_error::<PayloadError>() {
        Some(err) => payload_error(err, MAX_JSON_BODY_BYTES).into(),
        None => ApiError::UnreadableBody(err.to_string()).into(),
    }
}

/// What a failed read of a body (limited to `limit` bytes) tells the client.
pub fn payload_error(err: &PayloadError, limit: usize) -> ApiError {
    match err {
        PayloadError::Overflow => ApiError::PayloadTooLarge(limit),
        // `crate::edge` replaces this answer with its 408, which it logs (it knows the
        // deadline's terms).
        PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            ApiError::BadRequest("the request body arrived too slowly".to_owned())
        }
        PayloadError::Incomplete(_) => ApiError::UnreadableBody(
            "it ended early (cut off, or a malformed chunked encoding)".to_owned(),
        ),
        PayloadError::EncodingCorrupted => {
            ApiError::UnreadableBody("its transfer or content encoding is malformed".to_owned())
        }
        other => ApiError::UnreadableBody(other.to_string()),
    }
}

/// A large JSON body (a bundle) read as `T` while it arrives: parsed on a blocking thread from
/// the chunks as they come, so the text is never held whole and the async threads never
/// parse. `application/json` only, at most `limit` bytes (413 beyond, checked against
/// `Content-Length` before anything is read). Unlike [`Json`], the text is not scanned for
/// `\u0000`: the caller checks what it parsed (a bundle's `check` refuses NUL characters).
pub async fn streamed_json<T>(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<T, ApiError>
where
    T: DeserializeOwned + Send + 'static,
{
    let is_json = req.mime_type().ok().flatten().is_some_and(|mime| {
        mime.subtype() == actix_web::mime::JSON || mime.suffix() == Some(actix_web::mime::JSON)
    });
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    // A few chunks in flight: the parser keeps up, and a stalled parser stops the reading.
    let (chunks, received) = mpsc::channel::<web::Bytes>(16);
    let span = tracing::Span::current();
    let parsed = web::block(move || {
        let _entered = span.enter();
        let reader = std::io::BufReader::with_capacity(64 * 1024, ChunkReader::new(received));
        serde_json::from_reader::<_, T>(reader)
    });
    let mut read = 0_usize;
    let mut failure = None;
    while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut payload).poll_next(cx)).await {
        match chunk {
            Ok(chunk) => {
                read = read.saturating_add(chunk.len());
                if read > limit {
                    failure = Some(ApiError::PayloadTooLarge(limit));
                    break;
                }
                if chunks.send(chunk).await.is_err() {
                    // The parser stopped early: its error says why.
                    break;
                }
            }
            Err(err) => {
                failure = Some(payload_error(&err, limit));
                break;
            }
        }
    }
    // The parser sees the end of the text (or of what was read) and finishes.
    drop(chunks);
    let parsed = parsed.await;
    if let Some(failure) = failure {
        return Err(failure);
    }
    match parsed {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(ApiError::InvalidBody(err.to_string())),
        Err(err) => Err(ApiError::internal(format!(
            "the body parser stopped: {err}"
        ))),
    }
}

/// The chunks of a body as `std::io::Read`, for a parser on a blocking thread.
struct ChunkReader {
    chunks: mpsc::Receiver<web::Bytes>,
    current: web::Bytes,
}

impl ChunkReader {
    fn new(chunks: mpsc::Receiver<web::Bytes>) -> Self {
        Self {
            chunks,
            current: web::Bytes::new(),
        }
    }
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        let chunk = self.current.split_to(n);
        if let Some(into) = buf.get_mut(..n) {
            into.copy_from_slice(&chunk);
        }
        Ok(n)
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
