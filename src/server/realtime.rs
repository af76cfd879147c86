//! One hub of inbox events (the seed's websocket manager). Publishing never waits: a slow
//! listener falls behind and is told it lagged, it never holds up the pipeline.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::broadcast;

use crate::model::{InboxEvent, InboxPush};

/// Events buffered per listener before the slowest one is told it lagged.
const BUFFER: usize = 1024;

/// One published event, shared by every listener: it is cloned as an `Arc` and turned into
/// JSON once, by the first listener that sends it, however many staff have the inbox open.
#[derive(Debug)]
pub struct Published {
    push: InboxPush,
    json: OnceLock<Utf8Bytes>,
}

impl Published {
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

#[derive(Clone, Debug)]
pub struct Hub {
    sender: broadcast::Sender<Arc<Published>>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            sender: broadcast::channel(BUFFER).0,
        }
    }
}

impl Hub {
    /// Whether anybody has the inbox open (building an event for nobody can be skipped).
    pub fn has_listeners(&self) -> bool {
        self.sender.receiver_count() > 0
    }

    pub fn publish(&self, event: InboxEvent) {
        if !self.has_listeners() {
            return;
        }
        let _ = self.sender.send(Arc::new(Published {
            push: InboxPush::Event(Box::new(event)),
            json: OnceLock::new(),
        }));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
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
}
