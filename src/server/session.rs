//! The staff session layer: the session cookie, the gate in front of the staff routes, pages
//! and server functions (a session, whatever its role: `server::access` checks roles), and
//! what server functions use to learn who is calling.
//!
//! Which routes are behind the gate is decided where they are grouped (`startup`), not here:
//! the gate refuses everything it is layered on that has no session.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use leptos::prelude::use_context;

use super::auth::token_hash;
use super::db::users;
use super::state::AppState;
use crate::model::{AppError, StaffUser};

pub const SESSION_COOKIE: &str = "frontdesk_session";

/// The one page open to everyone: where the gate sends people without a session.
pub const SIGN_IN_PAGE: &str = "/login";

/// Where a signed-in user goes instead of the sign-in page.
pub const HOME_PAGE: &str = "/inbox";

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

/// The staff user whose session cookie the request carries, if any. Without the database
/// nobody can be recognised, so the request is answered with 503 rather than treated as
/// signed out.
async fn signed_in_user(state: &AppState, headers: &HeaderMap) -> Result<Option<StaffUser>, Response> {
    let Some(token) = session_token(headers) else {
        return Ok(None);
    };
    users::find_session_user(&state.db, &token_hash(token), chrono::Utc::now())
        .await
        .map_err(|error| {
            super::error::internal(&error);
            database_unavailable(headers)
        })
}

const DATABASE_UNAVAILABLE: &str = "Frontdesk cannot reach its database.";

/// What staff see while the database cannot be reached: a page that says so and looks again
/// by itself (browsers), or the sentence alone (API calls).
fn database_unavailable(headers: &HeaderMap) -> Response {
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_page {
        return (StatusCode::SERVICE_UNAVAILABLE, DATABASE_UNAVAILABLE).into_response();
    }
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"refresh\" content=\"10\"><title>Frontdesk is unavailable</title>\
         <link rel=\"stylesheet\" href=\"/pkg/frontdesk.css\"></head><body><main class=\"login\"><div class=\"login-card\"><h1>{DATABASE_UNAVAILABLE}</h1><p>Nothing already received is lost: customers' messages are \
         answered once it is back. This page tries again every 10 seconds.</p></div></main></body></html>"
    );
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page,
    )
        .into_response()
}

/// The gate of the staff routes, pages and server functions: resolves the session cookie to a
/// staff user (made available as `Extension<StaffUser>`) and turns away requests without one:
/// pages are redirected to sign-in, API calls and websockets get 401.
pub async fn require_staff(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    match signed_in_user(&state, request.headers()).await {
        Err(unavailable) => unavailable,
        Ok(Some(user)) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        Ok(None) => {
            let path = request.uri().path();
            if path.starts_with("/api/") || path.starts_with("/ws/") {
                return super::error::server_fn_refusal(&AppError::Unauthorized);
            }
            let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
            let next: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
            Redirect::to(&format!("{SIGN_IN_PAGE}?next={next}")).into_response()
        }
    }
}

/// In front of the sign-in page: someone already signed in goes straight to the inbox.
pub async fn redirect_signed_in(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match signed_in_user(&state, request.headers()).await {
        Err(unavailable) => unavailable,
        Ok(Some(_)) => Redirect::to(HOME_PAGE).into_response(),
        Ok(None) => next.run(request).await,
    }
}

/// The signed-in staff user of the current server-function call. Who may call which server
/// function is declared in `model::access` and enforced by the gate in front of them
/// (`server::access`), not here.
pub async fn require_user() -> Result<StaffUser, AppError> {
    match leptos_axum::extract::<Extension<StaffUser>>().await {
        Ok(Extension(user)) => Ok(user),
        Err(_) => Err(AppError::Unauthorized),
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
}
