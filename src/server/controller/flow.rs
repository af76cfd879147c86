//! What a conversation is in the middle of, kept in `conversations.flow_state` between
//! messages. Server-internal: it never reaches the browser.

use serde::{Deserialize, Serialize};

use crate::server::ai::BookingFields;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowState {
    /// Replies sent while the name was unknown; the bot stops asking after two.
    #[serde(default)]
    pub name_asks: u32,
    #[serde(default)]
    pub booking: Option<PendingBooking>,
    /// The inbound message that already got the fallback reply (it gets only one).
    #[serde(default)]
    pub fallback_sent_for: Option<i64>,
}

/// A booking the customer started and has not finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingBooking {
    pub fields: BookingFields,
    pub updated_at_ms: i64,
    #[serde(default)]
    pub followed_up: bool,
}

impl FlowState {
    /// A state that cannot be read (an older shape) starts afresh rather than wedging the
    /// conversation.
    pub fn read(text: &str) -> FlowState {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn write(&self) -> String {
        serde_json::to_string(self).expect("flow state serialises")
    }
}
