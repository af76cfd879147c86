//! What a conversation is in the middle of, kept in `conversations.flow_state` between
//! messages. Server-internal: it never reaches the browser.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::server::ai::BookingFields;
use crate::server::booking::Slot;

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
    /// The times of the last offer, which "the first one" or "the 10:30" refer to.
    #[serde(default)]
    pub offer: Option<Offer>,
    /// A change we asked the customer to confirm; only a clear yes carries it out.
    #[serde(default)]
    pub confirming: Option<Confirmation>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub service_id: i64,
    pub slots: Vec<Slot>,
    /// The appointment these times would move, when the offer is for a reschedule.
    pub moving: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Confirmation {
    Cancel {
        appointment_id: i64,
    },
    Move {
        appointment_id: i64,
        staff_id: i64,
        starts_at: DateTime<Utc>,
    },
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
