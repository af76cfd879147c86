//! Staff sign-in: password hashing, session tokens, the login throttle, and the gate that
//! keeps every page and server function behind a session.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use leptos::prelude::use_context;
use leptos::server_fn::error::FromServerFnError;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::db::users;
use super::state::AppState;
use crate::model::{AppError, Role, StaffUser};

pub const SESSION_COOKIE: &str = "frontdesk_session";

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A new random session token for the cookie; only its hash is stored.
pub fn new_session_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// HttpOnly keeps the token from page scripts; SameSite=Lax keeps other sites from posting
/// with it (our state-changing requests are all POSTs).
/// `secure` (set when the app is served over HTTPS) keeps the browser from ever sending the
/// cookie over plain HTTP.
pub fn session_cookie(token: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&cookie).expect("hex token is a valid header value")
}

pub fn cleared_session_cookie(secure: bool) -> HeaderValue {
    session_cookie("", Duration::ZERO, secure)
}

/// Slows down repeated failed sign-ins per email: three tries are free, then each further
/// failure doubles the wait (capped), and a quiet quarter of an hour forgets them.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

const FREE_ATTEMPTS: u32 = 3;
const MAX_WAIT: Duration = Duration::from_secs(300);
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Bounds memory if someone tries many different emails.
const MAX_TRACKED: usize = 10_000;

impl LoginThrottle {
    /// How long the caller must still wait before trying this email again.
    pub fn wait_for(&self, email: &str) -> Option<Duration> {
        let failures = self.failures.lock().expect("login throttle lock");
        let record = failures.get(email)?;
        let required = Self::required_wait(record.count)?;
        required.checked_sub(record.last.elapsed()).filter(|d| !d.is_zero())
    }

    pub fn record_failure(&self, email: &str) {
        let mut failures = self.failures.lock().expect("login throttle lock");
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, f| f.last.elapsed() < FORGET_AFTER);
        }
        let now = Instant::now();
        let record = failures
            .entry(email.to_string())
            .or_insert(Failures { count: 0, last: now });
        if record.last.elapsed() >= FORGET_AFTER {
            record.count = 0;
        }
        record.count += 1;
        record.last = now;
    }

    pub fn record_success(&self, email: &str) {
        self.failures.lock().expect("login throttle lock").remove(email);
    }

    fn required_wait(count: u32) -> Option<Duration> {
        let over = count.checked_sub(FREE_ATTEMPTS + 1)?;
        Some(Duration::from_secs(2u64 << over.min(16)).min(MAX_WAIT))
    }
}

/// Paths anyone may open: the sign-in page and form, static assets, the health check and
/// the WhatsApp webhook (which checks Meta's signature instead).
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/auth/login" | "/auth/logout" | "/api/health" | "/api/openapi.json" | "/favicon.ico"
    ) || path.starts_with("/pkg/")
        || path.starts_with("/webhook/")
}

fn is_static_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico"
}

/// Resolves the session cookie to a staff user (made available to handlers and server
/// functions as `Extension<StaffUser>`) and turns away requests without one: pages are
/// redirected to sign-in, API calls get 401.
pub async fn session_gate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if is_static_asset(&path) {
        return next.run(request).await;
    }
    let user = match session_token(request.headers()) {
        Some(token) => match users::find_session_user(&state.db, &token_hash(token), chrono::Utc::now()).await {
            Ok(user) => user,
            Err(error) => {
                super::error::internal(&error);
                return (StatusCode::SERVICE_UNAVAILABLE, "Frontdesk cannot reach its database.").into_response();
            }
        },
        None => None,
    };
    match user {
        Some(_) if path == "/login" => Redirect::to("/inbox").into_response(),
        Some(user) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        None if is_public(&path) => next.run(request).await,
        None if path.starts_with("/api/") || path.starts_with("/ws/") => unauthorized(),
        None => {
            let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            Redirect::to(&format!("/login?next={next}")).into_response()
        }
    }
}

/// A 401 whose body a server-function client decodes as [`AppError::Unauthorized`].
fn unauthorized() -> Response {
    let mut response = Response::new(Body::from(AppError::Unauthorized.ser()));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The signed-in staff user of the current server-function call (run it inside
/// [`super::error::respond`], which turns a refusal into a 401 or 403).
pub async fn require_user() -> Result<StaffUser, AppError> {
    match leptos_axum::extract::<Extension<StaffUser>>().await {
        Ok(Extension(user)) => Ok(user),
        Err(_) => Err(AppError::Unauthorized),
    }
}

/// Like [`require_user`], for actions only some roles may take.
pub async fn require_role(allowed: &[Role]) -> Result<StaffUser, AppError> {
    let user = require_user().await?;
    if allowed.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The application state inside a server function.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn the_session_cookie_is_secure_when_served_over_https() {
        let plain = session_cookie("abc123", Duration::from_secs(60), false);
        assert_eq!(
            plain,
            "frontdesk_session=abc123; HttpOnly; SameSite=Lax; Path=/; Max-Age=60"
        );
        let secure = session_cookie("abc123", Duration::from_secs(60), true);
        assert!(secure.to_str().unwrap().ends_with("; Max-Age=60; Secure"), "{secure:?}");
        let cleared = cleared_session_cookie(true);
        assert_eq!(
            cleared,
            "frontdesk_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Secure"
        );
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; frontdesk_session=abc123; x=y"),
        );
        assert_eq!(session_token(&headers), Some("abc123"));
        headers.insert(header::COOKIE, HeaderValue::from_static("frontdesk_session="));
        assert_eq!(session_token(&headers), None);
    }

    #[test]
    fn repeated_failures_are_slowed_down_and_success_forgives() {
        let throttle = LoginThrottle::default();
        for _ in 0..FREE_ATTEMPTS {
            assert_eq!(throttle.wait_for("a@b.c"), None);
            throttle.record_failure("a@b.c");
        }
        assert_eq!(throttle.wait_for("a@b.c"), None, "three failures are free");
        throttle.record_failure("a@b.c");
        let wait = throttle
            .wait_for("a@b.c")
            .expect("the fourth failure must be slowed down");
        assert!(wait <= Duration::from_secs(2));
        assert_eq!(throttle.wait_for("other@b.c"), None, "other accounts are not affected");
        throttle.record_success("a@b.c");
        assert_eq!(throttle.wait_for("a@b.c"), None);
    }

    #[test]
    fn only_sign_in_assets_health_and_webhook_are_public() {
        assert!(is_public("/login"));
        assert!(is_public("/pkg/frontdesk.wasm"));
        assert!(is_public("/webhook/whatsapp"));
        assert!(!is_public("/inbox"));
        assert!(!is_public("/api/inbox/conversations"));
        assert!(!is_public("/nope"));
    }
}
