//! One hub of inbox events (the seed's websocket manager). Publishing never waits: a slow
//! listener falls behind and is told it lagged, it never holds up the pipeline.

use tokio::sync::broadcast;

use crate::model::InboxEvent;

/// Events buffered per listener before the slowest one is told it lagged.
const BUFFER: usize = 1024;

#[derive(Clone, Debug)]
pub struct Hub {
    sender: broadcast::Sender<InboxEvent>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            sender: broadcast::channel(BUFFER).0,
        }
    }
}

impl Hub {
    pub fn publish(&self, event: InboxEvent) {
        // No listener is fine: nobody has the inbox open.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<InboxEvent> {
        self.sender.subscribe()
    }
}
