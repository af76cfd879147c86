//! `/ws/inbox-updates`: the one push channel of the inbox. Only signed-in staff reach it
//! (it is a staff route: the session gate answers 401 otherwise), and only while their
//! session lasts: it is looked up again every few seconds, and the socket closes once the
//! session has been signed out or has expired.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Extension;
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::routes;

use super::Routes;
use crate::model::{InboxPush, StaffUser};
use crate::server::auth::token_hash;
use crate::server::db::users;
use crate::server::realtime::Published;
use crate::server::session::session_token;
use crate::server::state::AppState;

/// A client that cannot take a message within this time is dropped (it will reconnect and
/// resync); it never slows anyone else down.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);
const PING_EVERY: Duration = Duration::from_secs(25);
/// How often the socket's session is looked up again: a signed-out or expired session stops
/// receiving customers' messages within this time.
const SESSION_CHECK_EVERY: Duration = Duration::from_secs(3);
/// The inbox only listens on this socket and sends nothing but control frames: anything
/// bigger than this from a client closes it, instead of the 64 MiB tungstenite allows.
const MAX_CLIENT_MESSAGE_BYTES: usize = 4 * 1024;

pub fn router() -> Routes {
    Routes::new().route(routes!(inbox_updates))
}

/// Live inbox updates (websocket)
///
/// Each text message is one inbox event as JSON; `Resync` asks the client to reload what it
/// shows, after it fell behind.
#[utoipa::path(
    get,
    path = "/ws/inbox-updates",
    responses(
        (status = 101, description = "Switched to the websocket protocol"),
        (status = 401, description = "No staff session"),
    )
)]
pub async fn inbox_updates(
    State(state): State<AppState>,
    Extension(user): Extension<StaffUser>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    // The gate let the request through, so it carries a session cookie.
    let session = session_token(&headers).map(token_hash).unwrap_or_default();
    let events = state.hub.subscribe();
    let upgrade = upgrade
        .max_message_size(MAX_CLIENT_MESSAGE_BYTES)
        .max_frame_size(MAX_CLIENT_MESSAGE_BYTES);
    upgrade.on_upgrade(move |socket| async move {
        tracing::debug!(user_id = user.id, "inbox updates connected");
        stream(socket, events, &state, &session).await;
        tracing::debug!(user_id = user.id, "inbox updates closed");
    })
}

/// Whether the session is still signed in. A database failure is not a sign-out: the check
/// is made again at the next round.
async fn signed_out(state: &AppState, session: &str) -> bool {
    match users::find_session_user(&state.db, session, chrono::Utc::now()).await {
        Ok(user) => user.is_none(),
        Err(error) => {
            tracing::warn!(%error, "cannot look up the session of an inbox socket");
            false
        }
    }
}

async fn stream(
    mut socket: WebSocket,
    mut events: tokio::sync::broadcast::Receiver<Arc<Published>>,
    state: &AppState,
    session: &str,
) {
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut session_check =
        tokio::time::interval_at(tokio::time::Instant::now() + SESSION_CHECK_EVERY, SESSION_CHECK_EVERY);
    loop {
        let text = tokio::select! {
            event = events.recv() => match event {
                Ok(published) => published.json(),
                Err(RecvError::Lagged(_)) => serde_json::to_string(&InboxPush::Resync)
                    .expect("inbox pushes serialise")
                    .into(),
                Err(RecvError::Closed) => break,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => continue,
            },
            _ = ping.tick() => {
                if send(&mut socket, Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
                continue;
            }
            _ = session_check.tick() => {
                if signed_out(state, session).await {
                    let _ = send(&mut socket, Message::Close(None)).await;
                    break;
                }
                continue;
            }
        };
        if send(&mut socket, Message::Text(text)).await.is_err() {
            break;
        }
    }
}

async fn send(socket: &mut WebSocket, message: Message) -> Result<(), ()> {
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}
