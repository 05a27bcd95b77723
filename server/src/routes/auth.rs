//! Sign-in, token refresh, logout, "who am I" and changing one's own password.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Duration, Utc};
use kinthread_shared::UserId;
use kinthread_shared::api::{
    ErrorBody, LoginRequest, PasswordChange, RefreshRequest, TokenResponse, User,
};

use crate::access::{self, Action};
use crate::app::AppState;
use crate::auth::{SignedIn, random_token, token_hash};
use crate::error::ApiError;
use crate::extract::Json;
use crate::store::users::{self, Account, RefreshUse};
use crate::throttle::Admission;

/// Issues an access token and a fresh refresh token for an account.
async fn issue_tokens(state: &AppState, account: Account) -> Result<TokenResponse, ApiError> {
    let refresh_token = random_token();
    let hash = token_hash(&refresh_token);
    let ttl = Duration::days(state.tokens.refresh_ttl_days);
    let user_id = account.user.id;
    state
        .db
        .write(move |conn| {
            users::insert_refresh_token(conn, user_id, &hash, ttl).map_err(ApiError::from)
        })
        .await?;
    Ok(TokenResponse {
        access_token: state
            .tokens
            .issue(&account.auth_user(), account.user.must_change_password)?,
        token_type: "Bearer".to_owned(),
        expires_in: state.tokens.access_ttl_seconds,
        refresh_token,
        user: account.user,
    })
}

/// Signs in with username and password. Repeated wrong passwords for one account or from one
/// address make the next attempts wait (429 with `Retry-After`); a long run of them locks the
/// account until an admin unlocks it. An account signing in with a one-time password from an
/// admin's reset gets `user.must_change_password`, and its access token reaches nothing but
/// `POST /me/password`, `GET /auth/me` and `POST /auth/logout` until the password is changed.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse, description = "signed in"),
        (status = 401, body = ErrorBody, description = "`bad_credentials`: wrong username or password, or a disabled or locked account"),
        (status = 429, body = ErrorBody, description = "`too_many_requests`: too many wrong passwords; wait `Retry-After` seconds")))]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let LoginRequest { username, password } = body.into_inner();
    let key = users::fold_username(&username);
    let address = request.peer_addr().map(|peer| peer.ip());
    if let Admission::Wait(wait) = state.logins.admit(&key, address, Instant::now()) {
        return Err(ApiError::TooManyRequests(wait));
    }
    let account = state
        .db
        .read(move |conn| users::by_username(conn, &username).map_err(ApiError::from))
        .await?;
    if account.as_ref().is_some_and(|a| a.login_locked) {
        return Err(ApiError::Unauthenticated(
            "this account is locked after too many wrong passwords; an administrator can unlock it",
        ));
    }
    let passwords = state.passwords.clone();
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    // argon2 is deliberately slow: off the async threads, a few at a time, and as slow for
    // unknown users.
    let slot = state.logins.check_slot().await?;
    let verified = web::block(move || passwords.verify(&password, stored.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    drop(slot);
    match account {
        Some(account) if verified && !account.disabled => {
            state.logins.succeeded(&key, address);
            Ok(web::Json(issue_tokens(&state, account).await?))
        }
        account => {
            let failures = state.logins.failed(&key, address, Instant::now());
            if let Some(account) = account
                && failures >= state.logins.policy().lockout_after
            {
                lock_account(&state, account.user.id).await?;
            }
            Err(ApiError::BadCredentials)
        }
    }
}

/// Locks an account after a long run of wrong passwords, and audits it.
async fn lock_account(state: &AppState, id: UserId) -> Result<(), ApiError> {
    state
        .db
        .write(move |conn| {
            let change = users::AccountChange {
                login_locked: Some(true),
                ..Default::default()
            };
            users::update(conn, id, &change, Utc::now())?;
            crate::store::audit::record(
                conn,
                None,
                "user.login_locked",
                None,
                Some(&format!("{id}: too many wrong passwords")),
            )?;
            Ok(())
        })
        .await
}

/// Trades a refresh token for a new token pair; the old refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse, description = "a new token pair"),
        (status = 401, body = ErrorBody, description = "`unauthenticated`: the refresh token is unknown, expired, used before or revoked")))]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let hash = token_hash(&body.refresh_token);
    let account = state
        .db
        .write(
            move |conn| match users::use_refresh_token(conn, &hash, Utc::now())? {
                RefreshUse::Used(user_id) => Ok::<_, ApiError>(users::get(conn, user_id)?),
                RefreshUse::Invalid | RefreshUse::Replayed => Ok(None),
            },
        )
        .await?;
    match account {
        Some(account) if !account.disabled => Ok(web::Json(issue_tokens(&state, account).await?)),
        _ => Err(ApiError::Unauthenticated(
            "the refresh token is not valid; sign in again",
        )),
    }
}

/// Revokes a refresh token. Access tokens are short-lived and simply expire.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "the refresh token no longer works")),
    security(("bearer" = [])))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    _user: SignedIn,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let hash = token_hash(&body.refresh_token);
    state
        .db
        .write(move |conn| {
            users::revoke_refresh_token(conn, &hash, Utc::now()).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = User, description = "the signed-in account")),
    security(("bearer" = [])))]
#[get("/auth/me")]
pub async fn me(
    state: web::Data<AppState>,
    SignedIn(user): SignedIn,
) -> Result<web::Json<User>, ApiError> {
    let account = state
        .db
        .read(move |conn| users::get(conn, user.id).map_err(ApiError::from))
        .await?
        .ok_or(ApiError::Unauthenticated("the account no longer exists"))?;
    Ok(web::Json(account.user))
}

/// Changes the signed-in account's own password; the old one is required, and a wrong one
/// counts as a failed sign-in (the same waits and lockout). Every session of the account ends
/// (refresh tokens revoked, access tokens refused on every server copy within
/// `auth::STANDING_TTL`); the answer is a new token pair for this one. The way out for an
/// account that must change the one-time password an admin gave it.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 200, body = TokenResponse, description = "changed: a new token pair; every other session of the account has ended"),
        (status = 403, body = ErrorBody, description = "`wrong_password`: the old password is wrong (counted like a failed sign-in)"),
        (status = 422, body = ErrorBody, description = "`validation_failed`: the new password is shorter than 10 or longer than 1024 characters, or the same as the old"),
        (status = 429, body = ErrorBody, description = "`too_many_requests`: too many wrong passwords; wait `Retry-After` seconds")),
    security(("bearer" = [])))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    request: HttpRequest,
    SignedIn(user): SignedIn,
    body: Json<PasswordChange>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    access::require(&user, Action::ChangeOwnPassword)?;
    let PasswordChange {
        old_password,
        new_password,
    } = body.into_inner();
    super::users::check_password("new_password", &new_password)
        .map_err(|e| ApiError::Validation(vec![e]))?;
    if new_password == old_password {
        return Err(ApiError::validation(
            "new_password",
            "must differ from the old password",
        ));
    }
    let account = state
        .db
        .read(move |conn| users::get(conn, user.id).map_err(ApiError::from))
        .await?
        .ok_or(ApiError::Unauthenticated("the account no longer exists"))?;
    let key = users::fold_username(&account.user.username);
    let address = request.peer_addr().map(|peer| peer.ip());
    if let Admission::Wait(wait) = state.logins.admit(&key, address, Instant::now()) {
        return Err(ApiError::TooManyRequests(wait));
    }
    let passwords = state.passwords.clone();
    let stored = account.password_hash.clone();
    let slot = state.logins.check_slot().await?;
    let verified = web::block(move || {
        passwords
            .verify(&old_password, Some(&stored))
            .then(|| passwords.hash(&new_password))
    })
    .await
    .map_err(ApiError::internal)?;
    drop(slot);
    let Some(hash) = verified else {
        let failures = state.logins.failed(&key, address, Instant::now());
        if failures >= state.logins.policy().lockout_after {
            lock_account(&state, user.id).await?;
        }
        return Err(ApiError::WrongPassword);
    };
    let hash = hash?;
    state.logins.succeeded(&key, address);
    let account = state
        .db
        .write(move |conn| {
            users::set_password(conn, user.id, &hash, false, Utc::now())?;
            crate::store::audit::record(
                conn,
                Some(&user),
                "user.password_change",
                user.family_id,
                Some(&format!("{}: password changed, sessions ended", user.id)),
            )?;
            users::get(conn, user.id)?
                .ok_or(ApiError::Unauthenticated("the account no longer exists"))
        })
        .await?;
    state.standings.forget(user.id);
    Ok(web::Json(issue_tokens(&state, account).await?))
}
