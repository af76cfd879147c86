//! The sign-in and sign-out forms. They are plain form posts answered with a redirect, so
//! they work before the page is hydrated and every page after them is rendered afresh.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::Routes;
use crate::server::auth::{new_session_token, token_hash};
use crate::server::db::users;
use crate::server::session::{cleared_session_cookie, session_cookie, session_token, HOME_PAGE, SIGN_IN_PAGE};
use crate::server::startup::DEMO_STAFF;
use crate::server::state::AppState;

pub fn router() -> Routes {
    Routes::new().route(routes!(login)).route(routes!(logout))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginForm {
    email: String,
    #[schema(format = Password)]
    password: String,
    /// Where to go after signing in: a path on this site (default `/inbox`).
    #[serde(default)]
    next: String,
}

/// Where to go after signing in: only paths on this site, so the form cannot be used to
/// send people elsewhere.
pub fn safe_next(next: &str) -> &str {
    // Browsers drop tabs and newlines anywhere in a URL (`/\t/evil.example` becomes
    // `//evil.example`, another site) and read `\` as `/`: a path with either is refused.
    let stray = next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    if next.starts_with('/') && !next.starts_with("//") && !stray {
        next
    } else {
        HOME_PAGE
    }
}

/// Who is signing in: the peer, or behind a reverse proxy the address the proxy appended
/// last to `X-Forwarded-For` (earlier entries come from the client and can be forged).
fn client_address(headers: &HeaderMap, peer: SocketAddr, behind_proxy: bool) -> IpAddr {
    let forwarded = || {
        let list = headers.get("x-forwarded-for")?.to_str().ok()?;
        list.rsplit(',').next()?.trim().parse().ok()
    };
    if behind_proxy {
        forwarded().unwrap_or(peer.ip())
    } else {
        peer.ip()
    }
}

fn back_to_login(error: &str, next: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    Redirect::to(&format!("{SIGN_IN_PAGE}?error={error}&next={next}")).into_response()
}

/// Staff sign-in
///
/// The sign-in form's post. Refusals go back to the sign-in page with `error=invalid`,
/// `error=throttled&wait=<seconds>` or `error=unavailable`.
#[utoipa::path(
    post,
    path = "/auth/login",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses((
        status = 303,
        description = "Signed in: on to `next`, with the session cookie set; or back to the sign-in page",
        headers(("Location" = String), ("Set-Cookie" = String, description = "The session cookie, when signed in")),
    ))
)]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(&form.next).to_string();
    let email = users::normalize_email(&form.email);
    let address = client_address(&headers, peer, state.settings.behind_proxy);
    // Counted before the check: parallel guesses cannot all pass an empty count.
    match state.login_throttle.reserve(&state.db, address, &email).await {
        Ok(Ok(())) => {}
        Ok(Err(wait)) => return back_to_login(&format!("throttled&wait={}", wait.as_secs().max(1)), &next),
        Err(error) => {
            crate::server::error::internal(&error);
            return back_to_login("unavailable", &next);
        }
    }
    // The demo's agent and marketer share the demo password: they exist only for the demo.
    let demo_account = DEMO_STAFF
        .iter()
        .any(|(demo, _, _)| users::normalize_email(demo) == email);
    let found = match users::find_login(&state.db, &email).await {
        Ok(_) if demo_account && !state.settings.demo_data => None,
        Ok(found) => found,
        Err(error) => {
            crate::server::error::internal(&error);
            return back_to_login("unavailable", &next);
        }
    };
    // Check a hash even for an unknown email, so the answer's timing does not tell which
    // emails have accounts.
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, state.dummy_password_hash.to_string()),
    };
    let Some(matches) = state.login_throttle.check_password(form.password, hash).await else {
        return back_to_login("unavailable", &next);
    };
    let user = match user {
        Some(user) if matches => user,
        _ => {
            tracing::info!("sign-in refused");
            return back_to_login("invalid", &next);
        }
    };
    if let Err(error) = state.login_throttle.record_success(&state.db, address, &email).await {
        // The sign-in stands; the attempt just stays counted until it is forgotten.
        tracing::warn!(%error, "cannot take back a successful sign-in's attempt");
    }

    let token = new_session_token();
    let now = Utc::now();
    let lifetime = chrono::Duration::days(state.settings.session_days);
    if let Err(error) = users::create_session(&state.db, &token_hash(&token), user.id, now, now + lifetime).await {
        crate::server::error::internal(&error);
        return back_to_login("unavailable", &next);
    }
    tracing::info!(user_id = user.id, "signed in");
    let max_age = Duration::from_secs(lifetime.num_seconds().unsigned_abs());
    let mut response = Redirect::to(&next).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, max_age, state.settings.secure_cookies),
    );
    response
}

/// Sign out
///
/// Ends the session of the cookie sent, if any, and clears the cookie.
#[utoipa::path(
    post,
    path = "/auth/logout",
    responses((
        status = 303,
        description = "Back to the sign-in page, with the session cookie cleared",
        headers(("Location" = String), ("Set-Cookie" = String)),
    ))
)]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = session_token(&headers) {
        if let Err(error) = users::delete_session(&state.db, &token_hash(token)).await {
            crate::server::error::internal(&error);
        }
    }
    let mut response = Redirect::to(SIGN_IN_PAGE).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cleared_session_cookie(state.settings.secure_cookies),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::{client_address, safe_next};
    use axum::http::HeaderMap;

    #[test]
    fn behind_a_proxy_the_client_is_the_address_it_appended() {
        let peer = "10.0.0.9:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
        assert_eq!(client_address(&headers, peer, true).to_string(), "203.0.113.7");
        assert_eq!(
            client_address(&headers, peer, false).to_string(),
            "10.0.0.9",
            "not trusted by default"
        );
        assert_eq!(client_address(&HeaderMap::new(), peer, true).to_string(), "10.0.0.9");
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/campaigns?x=1"), "/campaigns?x=1");
        assert_eq!(safe_next("https://evil.example"), "/inbox");
        assert_eq!(safe_next("//evil.example"), "/inbox");
        assert_eq!(safe_next("/\t/evil.example"), "/inbox", "a tab browsers drop");
        assert_eq!(safe_next("/\n/evil.example"), "/inbox");
        assert_eq!(safe_next("/\\evil.example"), "/inbox");
        assert_eq!(safe_next("/inbox?c=4"), "/inbox?c=4");
        assert_eq!(safe_next(""), "/inbox");
    }
}
