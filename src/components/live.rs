//! The browser end of `/ws/inbox-updates`: connects, reconnects with growing pauses, and
//! hands every push to the page. After a reconnect the page is told to resync, so nothing
//! missed while offline stays missing.

use leptos::prelude::*;

use crate::model::InboxPush;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Live,
    Reconnecting,
}

impl LiveStatus {
    pub fn label(self) -> &'static str {
        match self {
            LiveStatus::Connecting => "Connecting…",
            LiveStatus::Live => "Live",
            LiveStatus::Reconnecting => "Reconnecting…",
        }
    }
}

/// Subscribes the current page to inbox pushes and returns the connection status.
pub fn use_inbox_updates(on_push: impl Fn(InboxPush) + 'static) -> ReadSignal<LiveStatus> {
    let (status, set_status) = signal(LiveStatus::Connecting);
    #[cfg(feature = "hydrate")]
    {
        let (stop, registration) = futures::future::AbortHandle::new_pair();
        let mut start = Some((on_push, registration));
        // Connect once the page is interactive (effects never run during server rendering).
        Effect::new(move |_| {
            if let Some((on_push, registration)) = start.take() {
                let connection = client::stay_connected(on_push, set_status);
                leptos::task::spawn_local(async move {
                    let _ = futures::future::Abortable::new(connection, registration).await;
                });
            }
        });
        // Leaving the page drops the connection task, and with it the socket.
        on_cleanup(move || stop.abort());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (on_push, set_status);
    status
}

#[cfg(feature = "hydrate")]
mod client {
    use std::future::poll_fn;
    use std::pin::Pin;
    use std::time::Duration;

    use futures::{Sink, StreamExt};
    use gloo_net::websocket::futures::WebSocket;
    use gloo_net::websocket::{Message, State};
    use leptos::prelude::*;

    use super::LiveStatus;
    use crate::model::InboxPush;

    const FIRST_PAUSE: Duration = Duration::from_millis(500);
    const MAX_PAUSE: Duration = Duration::from_secs(30);

    /// Connects, listens until the connection ends, and connects again, for as long as the
    /// task runs.
    pub async fn stay_connected(on_push: impl Fn(InboxPush), set_status: WriteSignal<LiveStatus>) {
        let mut failures = 0u32;
        let mut opened_before = false;
        loop {
            if let Some(socket) = open().await {
                failures = 0;
                set_status.set(LiveStatus::Live);
                // Anything may have happened while we were away.
                if std::mem::replace(&mut opened_before, true) {
                    on_push(InboxPush::Resync);
                }
                listen(socket, &on_push).await;
            }
            set_status.set(LiveStatus::Reconnecting);
            failures += 1;
            sleep((FIRST_PAUSE * 2u32.pow(failures.min(6))).min(MAX_PAUSE)).await;
        }
    }

    /// A socket once it is open, or `None` if it could not connect.
    async fn open() -> Option<WebSocket> {
        let location = window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let host = location.host().ok()?;
        let mut socket = WebSocket::open(&format!("{scheme}://{host}/ws/inbox-updates")).ok()?;
        // Ready to send means the handshake is over, one way or the other.
        poll_fn(|cx| Pin::new(&mut socket).poll_ready(cx)).await.ok()?;
        matches!(socket.state(), State::Open).then_some(socket)
    }

    async fn listen(mut socket: WebSocket, on_push: &impl Fn(InboxPush)) {
        while let Some(Ok(message)) = socket.next().await {
            let push = match message {
                Message::Text(text) => serde_json::from_str::<InboxPush>(&text).ok(),
                Message::Bytes(_) => None,
            };
            // A push we cannot read is a missed event.
            on_push(push.unwrap_or(InboxPush::Resync));
        }
    }

    async fn sleep(pause: Duration) {
        let (wake, woken) = futures::channel::oneshot::channel();
        set_timeout(
            move || {
                let _ = wake.send(());
            },
            pause,
        );
        let _ = woken.await;
    }
}
