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
        let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let connection = std::rc::Rc::new(client::Connection::new(
            std::rc::Rc::new(on_push),
            set_status,
            stopped.clone(),
        ));
        // Connect once the page is interactive (never during server rendering).
        Effect::new(move |_| client::open(connection.clone()));
        on_cleanup(move || stopped.store(true, std::sync::atomic::Ordering::Relaxed));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (on_push, set_status);
    status
}

#[cfg(feature = "hydrate")]
mod client {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{MessageEvent, WebSocket};

    use super::LiveStatus;
    use crate::model::InboxPush;

    const MAX_PAUSE: Duration = Duration::from_secs(30);

    pub struct Connection {
        on_push: Rc<dyn Fn(InboxPush)>,
        set_status: WriteSignal<LiveStatus>,
        stopped: Arc<AtomicBool>,
        failures: Cell<u32>,
        opened_before: Cell<bool>,
    }

    impl Connection {
        pub fn new(
            on_push: Rc<dyn Fn(InboxPush)>,
            set_status: WriteSignal<LiveStatus>,
            stopped: Arc<AtomicBool>,
        ) -> Self {
            Connection {
                on_push,
                set_status,
                stopped,
                failures: Cell::new(0),
                opened_before: Cell::new(false),
            }
        }

        fn stopped(&self) -> bool {
            self.stopped.load(Ordering::Relaxed)
        }
    }

    pub fn open(connection: Rc<Connection>) {
        if connection.stopped() {
            return;
        }
        let location = window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        let Ok(host) = location.host() else { return };
        let socket = match WebSocket::new(&format!("{scheme}://{host}/ws/inbox-updates")) {
            Ok(socket) => socket,
            Err(_) => return reconnect_later(connection),
        };

        let on_open = {
            let connection = connection.clone();
            Closure::<dyn FnMut()>::new(move || {
                connection.failures.set(0);
                connection.set_status.set(LiveStatus::Live);
                // Anything may have happened while we were away.
                if connection.opened_before.replace(true) {
                    (connection.on_push)(InboxPush::Resync);
                }
            })
        };
        let on_message = {
            let connection = connection.clone();
            let socket = socket.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                if connection.stopped() {
                    let _ = socket.close();
                    return;
                }
                let push = event
                    .data()
                    .as_string()
                    .and_then(|text| serde_json::from_str::<InboxPush>(&text).ok());
                (connection.on_push)(push.unwrap_or(InboxPush::Resync));
            })
        };
        let on_close = {
            let connection = connection.clone();
            Closure::<dyn FnMut()>::new(move || {
                if !connection.stopped() {
                    connection.set_status.set(LiveStatus::Reconnecting);
                    reconnect_later(connection.clone());
                }
            })
        };
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // The socket owns its handlers for as long as it lives.
        on_open.forget();
        on_message.forget();
        on_close.forget();
    }

    fn reconnect_later(connection: Rc<Connection>) {
        let failures = connection.failures.get() + 1;
        connection.failures.set(failures);
        let pause = (Duration::from_millis(500) * 2u32.pow(failures.min(6))).min(MAX_PAUSE);
        set_timeout(move || open(connection), pause);
    }
}
