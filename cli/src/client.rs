//! The HTTP client of the kinthread API: JSON in and out with the shared wire types, the
//! bearer token attached, and the access token refreshed by itself.
//!
//! A refresh happens before a request when the access token has expired, and once more when
//! a request answers 401 anyway (the server may have restarted with a new key). Refresh
//! tokens are single use, so the rotated one is saved at once.

use std::time::Duration;

use chrono::Utc;
use kinthread_shared::api::{LoginRequest, RefreshRequest, TokenResponse, User};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{CliError, CliResult, Kind};
use crate::session::{Session, SessionStore};

const TIMEOUT: Duration = Duration::from_secs(60);

/// The base URL as typed, without a trailing slash or `/api/v1`.
pub fn normalize_server(raw: &str) -> CliResult<String> {
    let given = raw.trim();
    let with_scheme = if given.contains("://") {
        given.to_owned()
    } else {
        format!("http://{given}")
    };
    let url = reqwest::Url::parse(&with_scheme)
        .map_err(|e| CliError::usage(format!("`{raw}` is not a server address: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(CliError::usage(format!(
            "`{raw}` is not an http:// or https:// server address"
        )));
    }
    let base = with_scheme.trim_end_matches('/');
    Ok(base.strip_suffix("/api/v1").unwrap_or(base).to_owned())
}

fn http() -> CliResult<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .user_agent(concat!("kinthread-cli/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(CliError::from)
}

fn session_from(server: String, tokens: TokenResponse) -> Session {
    Session {
        server,
        access_expires_at: Utc::now() + chrono::Duration::seconds(tokens.expires_in.max(0)),
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        user: tokens.user,
    }
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> CliResult<T> {
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    if !(200..300).contains(&status) {
        return Err(CliError::from_response(status, &bytes));
    }
    // A 204 has no body; `()` and `Option` read it as JSON null.
    let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
    serde_json::from_slice(bytes).map_err(|e| {
        CliError::other(
            "bad_response",
            format!("the server's answer does not match this kinthread version: {e}"),
        )
    })
}

/// Signs in and returns the new session (not yet saved).
pub async fn login(server: &str, username: &str, password: &str) -> CliResult<Session> {
    let response = http()?
        .post(format!("{server}/api/v1/auth/login"))
        .json(&LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        })
        .send()
        .await?;
    let tokens: TokenResponse = decode(response).await?;
    Ok(session_from(server.to_owned(), tokens))
}

/// A signed-in client.
pub struct Api {
    http: reqwest::Client,
    session: Session,
    store: SessionStore,
}

impl Api {
    /// The client for the remembered session, or "not signed in".
    pub fn from_store(store: SessionStore) -> CliResult<Self> {
        let session = store.load()?.ok_or_else(CliError::not_signed_in)?;
        Ok(Self {
            http: http()?,
            session,
            store,
        })
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn user(&self) -> &User {
        &self.session.user
    }

    /// Takes a new token pair the server answered with (a password change ends every other
    /// session, this one's old tokens included) and saves it.
    pub fn adopt(&mut self, tokens: TokenResponse) -> CliResult<()> {
        self.session = session_from(self.session.server.clone(), tokens);
        self.store.save(&self.session)
    }

    /// Trades the refresh token for a new pair and saves it before anything else happens.
    async fn refresh(&mut self) -> CliResult<()> {
        let _lock = self.store.lock_refresh().await?;
        // Another run may have refreshed while this one waited: its tokens serve us too.
        if let Some(saved) = self.store.load()?
            && saved.server == self.session.server
            && saved.refresh_token != self.session.refresh_token
        {
            self.session = saved;
            if !self.session.access_expired(Utc::now()) {
                return Ok(());
            }
        }
        let response = self
            .http
            .post(format!("{}/api/v1/auth/refresh", self.session.server))
            .json(&RefreshRequest {
                refresh_token: self.session.refresh_token.clone(),
            })
            .send()
            .await?;
        let tokens: TokenResponse = decode(response).await.map_err(|e| {
            if e.kind == Kind::Auth {
                CliError::new(
                    Kind::Auth,
                    "session_expired",
                    "the saved login has expired or was revoked; run `kinthread login`",
                )
            } else {
                e
            }
        })?;
        self.session = session_from(self.session.server.clone(), tokens);
        self.store.save(&self.session)
    }

    async fn send_once(
        &self,
        method: &Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> CliResult<reqwest::Response> {
        let mut request = self
            .http
            .request(
                method.clone(),
                format!("{}/api/v1{path}", self.session.server),
            )
            .bearer_auth(&self.session.access_token);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        Ok(request.send().await?)
    }

    /// Sends a request as the signed-in user and decodes the answer.
    pub async fn request<T: DeserializeOwned>(
        &mut self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
    ) -> CliResult<T> {
        let mut refreshed = false;
        if self.session.access_expired(Utc::now()) {
            self.refresh().await?;
            refreshed = true;
        }
        let mut response = self.send_once(&method, path, query, body).await?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED && !refreshed {
            self.refresh().await?;
            response = self.send_once(&method, path, query, body).await?;
        }
        decode(response).await
    }

    pub async fn get<T: DeserializeOwned>(
        &mut self,
        path: &str,
        query: &[(&str, String)],
    ) -> CliResult<T> {
        self.request(Method::GET, path, query, None).await
    }

    /// Every item of a paged list, following `next_cursor` to the last page.
    pub async fn get_all<T: DeserializeOwned>(&mut self, path: &str) -> CliResult<Vec<T>> {
        self.get_all_with(path, &[]).await
    }

    /// [`Api::get_all`] with more query parameters on every page.
    pub async fn get_all_with<T: DeserializeOwned>(
        &mut self,
        path: &str,
        extra: &[(&str, String)],
    ) -> CliResult<Vec<T>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("limit", "200".to_owned())];
            query.extend(extra.iter().cloned());
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let page: kinthread_shared::api::Page<T> = self.get(path, &query).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok(items),
            }
        }
    }

    pub async fn post<T: DeserializeOwned>(
        &mut self,
        path: &str,
        body: &impl Serialize,
    ) -> CliResult<T> {
        let body =
            serde_json::to_value(body).map_err(|e| CliError::other("internal", e.to_string()))?;
        self.request(Method::POST, path, &[], Some(&body)).await
    }

    pub async fn patch<T: DeserializeOwned>(
        &mut self,
        path: &str,
        body: &impl Serialize,
    ) -> CliResult<T> {
        let body =
            serde_json::to_value(body).map_err(|e| CliError::other("internal", e.to_string()))?;
        self.request(Method::PATCH, path, &[], Some(&body)).await
    }

    /// Revokes the refresh token on the server. The caller forgets the session either way.
    pub async fn logout(&mut self) -> CliResult<()> {
        let body = RefreshRequest {
            refresh_token: self.session.refresh_token.clone(),
        };
        let () = self.post("/auth/logout", &body).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_normalized() {
        let ok = |raw: &str| normalize_server(raw).unwrap_or_default();
        assert_eq!(ok("http://127.0.0.1:8080/"), "http://127.0.0.1:8080");
        assert_eq!(ok("localhost:8080"), "http://localhost:8080");
        assert_eq!(ok("https://kt.example/api/v1"), "https://kt.example");
        assert!(normalize_server("ftp://x").is_err());
        assert!(normalize_server("http://").is_err());
    }
}
