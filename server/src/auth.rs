//! Sign-in: argon2id password hashes, short-lived JWT access tokens (HS256 pinned, `exp`
//! required), and refresh tokens that rotate on use and can be revoked.
//!
//! The signed-in user is an extractor (`AuthUser`), so a handler that takes one cannot be
//! reached without a valid token.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use chrono::Utc;
use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use kinthread_shared::{AccountRole, FamilyId, PersonId, UserId};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Db;
use crate::error::ApiError;

/// Argon2id cost. The defaults are OWASP's recommendation (19 MiB, two passes); tests may
/// lower them through configuration.
#[derive(Clone, Copy, Debug)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
        }
    }
}

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    /// A real hash of a random password, verified against when the username is unknown, so
    /// that a wrong username takes as long as a wrong password.
    dummy_hash: Arc<str>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthSetupError {
    #[error("invalid password hashing parameters: {0}")]
    Params(String),
}

impl Passwords {
    pub fn new(cost: PasswordCost) -> Result<Self, AuthSetupError> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|e| AuthSetupError::Params(e.to_string()))?;
        let mut passwords = Self {
            params,
            dummy_hash: Arc::from(""),
        };
        let dummy = passwords
            .hash(&random_token())
            .map_err(|e| AuthSetupError::Params(e.to_string()))?;
        passwords.dummy_hash = Arc::from(dummy);
        Ok(passwords)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn hash(&self, password: &str) -> Result<String, ApiError> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        self.argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(ApiError::internal)
    }

    /// Checks a password against a stored hash, or against the dummy hash when there is no
    /// user, so both failures take the same time. Blocking: call it off the async threads.
    pub fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let hash = stored.unwrap_or(&self.dummy_hash);
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let matches = self
            .argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        matches && stored.is_some()
    }
}

/// What an access token says about its holder.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub role: AccountRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fam: Option<FamilyId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<PersonId>,
    pub iat: i64,
    /// When it was issued, in epoch milliseconds: compared with the account's
    /// `tokens_valid_after`, which a second's precision would blur.
    #[serde(default)]
    pub iat_ms: i64,
    pub exp: i64,
    /// Issued to an account that must change its password first: such a token reaches only
    /// [`SignedIn`] handlers (change the password, read oneself, sign out).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pwc: bool,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_days: i64,
}

impl TokenKeys {
    pub fn new(secret: &SecretString, access_ttl_seconds: i64, refresh_ttl_days: i64) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        let mut validation = Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            access_ttl_seconds,
            refresh_ttl_days,
        }
    }

    /// An access token for `user`; `must_change_password` limits it to changing the password.
    pub fn issue(&self, user: &AuthUser, must_change_password: bool) -> Result<String, ApiError> {
        let issued = Utc::now();
        let now = issued.timestamp();
        let claims = Claims {
            sub: user.id,
            role: user.role,
            fam: user.family_id,
            per: user.person_id,
            iat: now,
            iat_ms: issued.timestamp_millis(),
            exp: now + self.access_ttl_seconds,
            pwc: must_change_password,
        };
        jsonwebtoken::encode(
            &Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &self.encoding,
        )
        .map_err(ApiError::internal)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::Unauthenticated("the access token has expired")
                }
                _ => ApiError::Unauthenticated("the access token is not valid"),
            })
    }
}

/// The signed-in user, taken from the bearer token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthUser {
    pub id: UserId,
    pub role: AccountRole,
    /// Parents, caregivers and children: their family and the person they are.
    pub family_id: Option<FamilyId>,
    pub person_id: Option<PersonId>,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    /// A valid token of an account in good standing that need not change its password.
    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let signed_in = signed_in(req);
        Box::pin(async move {
            let claims = signed_in.await?;
            if claims.pwc {
                return Err(ApiError::PasswordChangeRequired);
            }
            Ok(AuthUser::of(&claims))
        })
    }
}

impl AuthUser {
    fn of(claims: &Claims) -> Self {
        AuthUser {
            id: claims.sub,
            role: claims.role,
            family_id: claims.fam,
            person_id: claims.per,
        }
    }
}

/// Any valid token of an account in good standing, including one that must change its
/// password before anything else: for the few handlers such an account may reach (changing
/// the password, reading itself, signing out). Every other handler takes [`AuthUser`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedIn(pub AuthUser);

impl FromRequest for SignedIn {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let signed_in = signed_in(req);
        Box::pin(async move { Ok(SignedIn(AuthUser::of(&signed_in.await?))) })
    }
}

/// The claims of the request's bearer token, once its account's standing was checked.
fn signed_in(req: &HttpRequest) -> impl Future<Output = Result<Claims, ApiError>> + use<> {
    let state = req.app_data::<web::Data<crate::app::AppState>>().cloned();
    let claims = state
        .as_ref()
        .ok_or_else(|| ApiError::internal("application state is not configured"))
        .and_then(|state| authenticate(req, &state.tokens));
    async move {
        let (state, claims) = (state.ok_or(ApiError::Unauthenticated("no state"))?, claims?);
        state.standings.check(&state.db, &claims).await?;
        Ok(claims)
    }
}

/// How long an account's standing, once read, is trusted before it is read again: a
/// disabled account, or one whose sessions were ended, is refused within this time on every
/// server copy (at once on the copy that made the change).
pub const STANDING_TTL: Duration = Duration::from_secs(5);

/// An account's standing as stored: `(disabled, tokens_valid_after)`, `None` when gone.
type Standing = Option<(bool, i64)>;

/// The accounts' standing as last read, so that a request costs no query most of the time.
#[derive(Default)]
pub struct Standings {
    seen: Mutex<HashMap<UserId, (Instant, Standing)>>,
}

impl Standings {
    /// Refuses a token whose account is gone or disabled, or that was issued before its
    /// account's sessions were ended.
    async fn check(&self, db: &Db, claims: &Claims) -> Result<(), ApiError> {
        let user = claims.sub;
        let cached = self
            .seen
            .lock()
            .ok()
            .and_then(|seen| seen.get(&user).copied())
            .filter(|(at, _)| at.elapsed() < STANDING_TTL)
            .map(|(_, standing)| standing);
        let standing = match cached {
            Some(standing) => standing,
            None => {
                let standing = db
                    .read(move |conn| {
                        crate::store::users::standing(conn, user).map_err(ApiError::from)
                    })
                    .await?;
                if let Ok(mut seen) = self.seen.lock() {
                    // Bounded: a server with more signed-in accounts than this re-reads.
                    if seen.len() > 100_000 {
                        seen.clear();
                    }
                    seen.insert(user, (Instant::now(), standing));
                }
                standing
            }
        };
        match standing {
            None => Err(ApiError::Unauthenticated("the account no longer exists")),
            Some((true, _)) => Err(ApiError::Unauthenticated("the account is disabled")),
            Some((false, valid_after)) if claims.iat_ms < valid_after => Err(
                ApiError::Unauthenticated("this session was ended; sign in again"),
            ),
            Some(_) => Ok(()),
        }
    }

    /// Forgets what was read of an account, after this server changed it.
    pub fn forget(&self, user: UserId) {
        if let Ok(mut seen) = self.seen.lock() {
            seen.remove(&user);
        }
    }
}

fn authenticate(req: &HttpRequest, keys: &TokenKeys) -> Result<Claims, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::Unauthenticated("no Authorization header"))?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthenticated(
            "the Authorization header must be `Bearer <token>`",
        ))?;
    keys.verify(token)
}

/// A new random secret: 256 bits, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A one-time password an admin hands over: 16 characters (about 79 bits) from an alphabet
/// without look-alikes (no `i`, `l`, `o`, `0`, `1`), in groups of four to read out on a phone.
pub fn one_time_password() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    let mut password = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            password.push('-');
        }
        let pick = rng.random_range(0..ALPHABET.len());
        password.push(char::from(ALPHABET.get(pick).copied().unwrap_or(b'a')));
    }
    password
}

/// Refresh tokens are stored only as their SHA-256, so a copy of the database cannot sign in.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
