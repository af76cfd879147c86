//! One hub of inbox events (the seed's websocket manager). Publishing never waits: a slow
//! listener falls behind and is told it lagged, it never holds up the pipeline.
//!
//! On PostgreSQL several instances may serve one business, and a customer's messages may be
//! handled by one while staff watch on another. So each published event is also told to the
//! other instances through `NOTIFY` ([`relay`]): a small [`Change`] naming what changed
//! (payloads are capped at 8000 bytes, and a message body is no business of the channel);
//! each instance reads the change from the database and fans it out to its own listeners.
//! SQLite serves one process and keeps the in-process path only.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use tokio::sync::{broadcast, mpsc, watch};

use crate::model::{InboxEvent, InboxPush};
use crate::server::db::{self, conversations, Db, DbResult};
use crate::server::state::AppState;

/// Events buffered per listener before the slowest one is told it lagged.
const BUFFER: usize = 1024;
/// Changes waiting to be told to the other instances; beyond this they are dropped, and
/// the other instances' inboxes catch up when they next load.
const RELAY_BUFFER: usize = 4096;
/// Changes per `NOTIFY`: a few kilobytes, well inside PostgreSQL's 8000-byte payload.
const CHANGES_PER_NOTICE: usize = 64;
/// The channel every instance of one database listens on.
pub const CHANNEL: &str = "frontdesk_inbox";
/// How long to wait before connecting the listener again after the database went away.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// One published event, shared by every listener: it is cloned as an `Arc` and turned into
/// JSON once, by the first listener that sends it, however many staff have the inbox open.
#[derive(Debug)]
pub struct Published {
    push: InboxPush,
    json: OnceLock<Utf8Bytes>,
}

impl Published {
    fn new(push: InboxPush) -> Arc<Published> {
        Arc::new(Published {
            push,
            json: OnceLock::new(),
        })
    }

    /// The event as `/ws/inbox-updates` sends it.
    pub fn json(&self) -> Utf8Bytes {
        self.json
            .get_or_init(|| {
                serde_json::to_string(&self.push)
                    .expect("inbox pushes serialise")
                    .into()
            })
            .clone()
    }
}

/// What changed, as the other instances are told: enough to read the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Message { conversation_id: i64, message_id: i64 },
    Conversation { conversation_id: i64 },
    Delivery { conversation_id: i64, message_id: i64 },
    Removed { conversation_id: i64 },
    Appointments { conversation_id: i64 },
}

impl Change {
    fn of(event: &InboxEvent) -> Change {
        match event {
            InboxEvent::MessageCreated {
                conversation_id,
                message,
            } => Change::Message {
                conversation_id: *conversation_id,
                message_id: message.id,
            },
            InboxEvent::ConversationChanged { conversation } => Change::Conversation {
                conversation_id: conversation.id,
            },
            InboxEvent::DeliveryStatusChanged {
                conversation_id,
                message_id,
                ..
            } => Change::Delivery {
                conversation_id: *conversation_id,
                message_id: *message_id,
            },
            InboxEvent::ConversationRemoved { conversation_id } => Change::Removed {
                conversation_id: *conversation_id,
            },
            InboxEvent::AppointmentsChanged { conversation_id } => Change::Appointments {
                conversation_id: *conversation_id,
            },
        }
    }

    /// The event this change stands for, as it is now in the database.
    async fn event(self, db: &Db) -> DbResult<InboxEvent> {
        Ok(match self {
            Change::Message {
                conversation_id,
                message_id,
            } => InboxEvent::MessageCreated {
                conversation_id,
                message: conversations::get_message(db, message_id).await?,
            },
            Change::Conversation { conversation_id } => InboxEvent::ConversationChanged {
                conversation: conversations::get_conversation(db, conversation_id).await?,
            },
            Change::Delivery {
                conversation_id,
                message_id,
            } => {
                let message = conversations::get_message(db, message_id).await?;
                InboxEvent::DeliveryStatusChanged {
                    conversation_id,
                    message_id,
                    wa_message_id: message.wa_message_id,
                    status: message.status,
                    error: message.error,
                }
            }
            Change::Removed { conversation_id } => InboxEvent::ConversationRemoved { conversation_id },
            Change::Appointments { conversation_id } => InboxEvent::AppointmentsChanged { conversation_id },
        })
    }
}

/// One `NOTIFY` payload: changes made on the instance `from`.
#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    from: u64,
    changes: Vec<Change>,
}

#[derive(Clone, Debug)]
pub struct Hub {
    sender: broadcast::Sender<Arc<Published>>,
    relay: Option<Relay>,
}

/// This instance's side of the relay: its id, and the queue of changes to tell the others.
#[derive(Clone, Debug)]
struct Relay {
    instance: u64,
    outbox: mpsc::Sender<Change>,
    /// Taken once by [`relay`].
    pending: Arc<Mutex<Option<mpsc::Receiver<Change>>>>,
}

impl Default for Hub {
    /// The hub of the only instance (SQLite).
    fn default() -> Self {
        Hub {
            sender: broadcast::channel(BUFFER).0,
            relay: None,
        }
    }
}

impl Hub {
    /// The hub of one of several instances on one PostgreSQL database; [`relay`] connects it.
    pub fn shared() -> Hub {
        let (outbox, pending) = mpsc::channel(RELAY_BUFFER);
        Hub {
            relay: Some(Relay {
                instance: rand::random(),
                outbox,
                pending: Arc::new(Mutex::new(Some(pending))),
            }),
            ..Hub::default()
        }
    }

    /// Whether anybody has the inbox open on this instance (building an event for nobody
    /// can be skipped, once the other instances were told).
    pub fn has_listeners(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    pub fn publish(&self, event: InboxEvent) {
        self.tell_others(Change::of(&event));
        self.publish_here(event);
    }

    /// Tells the other instances only: this one has nobody to show it to.
    pub fn tell_others(&self, change: Change) {
        if let Some(relay) = &self.relay {
            if relay.outbox.try_send(change).is_err() {
                tracing::warn!("inbox changes are piling up; other instances will miss some");
            }
        }
    }

    fn publish_here(&self, event: InboxEvent) {
        if self.has_listeners() {
            let _ = self.sender.send(Published::new(InboxPush::Event(Box::new(event))));
        }
    }

    /// Asks every inbox open here to load again: events may have been missed.
    fn resync_here(&self) {
        if self.has_listeners() {
            let _ = self.sender.send(Published::new(InboxPush::Resync));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }
}

/// Relays inbox changes between the instances on one PostgreSQL database until `shutdown`:
/// this instance's go out in batched `NOTIFY`s, the others' come in through `LISTEN`. Does
/// nothing for a hub of one instance.
pub async fn relay(app: AppState, database_url: String, mut shutdown: watch::Receiver<bool>) {
    let Some(relay) = app.hub.relay.clone() else {
        return;
    };
    let Some(pending) = relay.pending.lock().expect("relay lock").take() else {
        return;
    };
    let stopped = async move {
        while !*shutdown.borrow() {
            if shutdown.changed().await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = send_changes(&app.db, relay.instance, pending) => {}
        () = receive_changes(&app, relay.instance, &database_url) => {}
        () = stopped => {}
    }
}

async fn send_changes(db: &Db, instance: u64, mut pending: mpsc::Receiver<Change>) {
    let mut changes = Vec::with_capacity(CHANGES_PER_NOTICE);
    while pending.recv_many(&mut changes, CHANGES_PER_NOTICE).await > 0 {
        let notice = Notice {
            from: instance,
            changes: std::mem::take(&mut changes),
        };
        let payload = serde_json::to_string(&notice).expect("notices serialise");
        if let Err(error) = db::notify(db, CHANNEL, &payload).await {
            tracing::warn!(%error, "cannot tell the other instances about inbox changes");
        }
    }
}

async fn receive_changes(app: &AppState, instance: u64, database_url: &str) {
    // The listener's own connection, from a pool of one that gives up connecting as soon as
    // we would try again anyway: `PgListener::connect`'s pool keeps trying for 30 s with
    // growing pauses, so an instance could stay deaf for seconds after the database is back.
    let connections = match PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(RECONNECT_AFTER)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy(database_url)
    {
        Ok(pool) => pool,
        Err(error) => {
            tracing::error!(%error, "cannot listen for other instances' inbox changes");
            return std::future::pending().await;
        }
    };
    let mut reconnecting = false;
    loop {
        let mut listener = match connect_listener(&connections).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for other instances' inbox changes; trying again");
                tokio::time::sleep(RECONNECT_AFTER).await;
                continue;
            }
        };
        if reconnecting {
            tracing::info!("listening for other instances' inbox changes again");
            // What they said meanwhile is lost: every open inbox loads again.
            app.hub.resync_here();
        }
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => match serde_json::from_str::<Notice>(notification.payload()) {
                    Ok(notice) if notice.from != instance => fan_out(app, notice.changes).await,
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "an inbox notice could not be read"),
                },
                Ok(None) | Err(_) => {
                    tracing::warn!("lost the connection that listens for other instances' inbox changes");
                    app.hub.resync_here();
                    break;
                }
            }
        }
        reconnecting = true;
        tokio::time::sleep(RECONNECT_AFTER).await;
    }
}

async fn connect_listener(connections: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(connections).await?;
    // Reconnecting is done above, so a lost connection is noticed and said.
    listener.eager_reconnect(false);
    // The pool is this listener's alone and is never closed.
    listener.ignore_pool_close_event(true);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Shows other instances' changes to the inboxes open here, read from the database as they
/// are now.
async fn fan_out(app: &AppState, changes: Vec<Change>) {
    for change in changes {
        if matches!(change, Change::Appointments { .. } | Change::Removed { .. }) {
            app.roi_cache.forget();
        }
        if !app.hub.has_listeners() {
            continue;
        }
        match change.event(&app.db).await {
            Ok(event) => app.hub.publish_here(event),
            // Gone since (an erasure): there is nothing left to show.
            Err(db::DbError::NotFound(_)) => {}
            Err(error) => {
                tracing::warn!(%error, "cannot read another instance's inbox change");
                app.hub.resync_here();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeliveryStatus;

    #[tokio::test]
    async fn every_listener_gets_the_same_json_as_the_wire_type() {
        let hub = Hub::default();
        let status = |message_id, status| InboxEvent::DeliveryStatusChanged {
            conversation_id: 1,
            message_id,
            wa_message_id: Some(format!("wamid.{message_id}")),
            status,
            error: None,
        };
        hub.publish(status(1, DeliveryStatus::Read));
        let (mut first, mut second) = (hub.subscribe(), hub.subscribe());
        let event = status(2, DeliveryStatus::Delivered);
        hub.publish(event.clone());
        let expected = serde_json::to_string(&InboxPush::Event(Box::new(event))).unwrap();
        let (a, b) = (first.recv().await.unwrap(), second.recv().await.unwrap());
        assert!(Arc::ptr_eq(&a, &b), "one shared event, not a copy per listener");
        assert_eq!(a.json().as_str(), expected);
        assert_eq!(b.json().as_str(), expected);
        assert!(first.try_recv().is_err(), "nothing was queued before anyone listened");
    }

    #[tokio::test]
    async fn other_instances_are_told_what_changed_even_with_nobody_listening_here() {
        let hub = Hub::shared();
        let mut pending = hub.relay.as_ref().unwrap().pending.lock().unwrap().take().unwrap();
        hub.publish(InboxEvent::AppointmentsChanged { conversation_id: 7 });
        hub.publish(InboxEvent::DeliveryStatusChanged {
            conversation_id: 7,
            message_id: 70,
            wa_message_id: Some("wamid.secret".into()),
            status: DeliveryStatus::Failed,
            error: Some("a long error text".into()),
        });
        let mut changes = Vec::new();
        pending.recv_many(&mut changes, 10).await;
        assert_eq!(
            changes,
            [
                Change::Appointments { conversation_id: 7 },
                Change::Delivery {
                    conversation_id: 7,
                    message_id: 70
                }
            ]
        );
        let notice = serde_json::to_string(&Notice { from: 1, changes }).unwrap();
        assert!(
            !notice.contains("wamid") && !notice.contains("error"),
            "notes name what changed, nothing more: {notice}"
        );
    }
}
