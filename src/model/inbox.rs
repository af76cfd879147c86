//! What the inbox page is sent: list pages, the open chat, and live events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Appointment, ChatHistory, Conversation, DeliveryStatus, LanguageChoice, Message};

/// What the server pushes over `/ws/inbox-updates`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InboxPush {
    Event(Box<InboxEvent>),
    /// Events were missed (a slow connection, a reconnect): fetch the current state again.
    Resync,
}

/// What the inbox is told as it happens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InboxEvent {
    MessageCreated {
        conversation_id: i64,
        message: Message,
    },
    ConversationChanged {
        conversation: Conversation,
    },
    /// One of our messages moved on: handed to WhatsApp (with the id WhatsApp gave it),
    /// delivered, read, or failed (with why).
    DeliveryStatusChanged {
        conversation_id: i64,
        message_id: i64,
        wa_message_id: Option<String>,
        status: DeliveryStatus,
        error: Option<String>,
    },
    /// The conversation is gone: its contact was erased with everything that was theirs.
    ConversationRemoved {
        conversation_id: i64,
    },
    /// Staff booked, moved, cancelled or marked one of the customer's appointments.
    AppointmentsChanged {
        conversation_id: i64,
    },
}

string_enum! {
    ConversationFilter {
        All => "all",
        NeedsAttention => "needs_attention",
        Human => "human",
        Bot => "bot",
    }
}

/// Keyset position in the conversation list (most recent activity first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationCursor {
    pub last_activity_ms: i64,
    pub id: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationPage {
    pub conversations: Vec<Conversation>,
    pub next_cursor: Option<ConversationCursor>,
}

/// A page of the inbox list as the browser gets it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxList {
    pub page: ConversationPage,
    pub clock: BusinessClock,
}

/// Everything the inbox shows for one open conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub history: ChatHistory,
    pub tags: Vec<String>,
    pub appointments: Vec<Appointment>,
    /// WhatsApp allows free-form replies only within 24 hours of the customer's last message.
    pub window_open: bool,
    pub clock: BusinessClock,
    /// The languages the contact can be written to in, for the contact editor.
    pub languages: Vec<LanguageChoice>,
}

/// The business's offset from UTC when the data was read, so server and browser render the
/// same local times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessClock {
    pub utc_offset_minutes: i32,
}

impl BusinessClock {
    /// "Fri 14 Mar, 16:05" in the business's time zone.
    pub fn format(self, time: DateTime<Utc>) -> String {
        match chrono::FixedOffset::east_opt(self.utc_offset_minutes * 60) {
            Some(offset) => time.with_timezone(&offset).format("%a %-d %b, %H:%M").to_string(),
            None => time.format("%a %-d %b, %H:%M UTC").to_string(),
        }
    }
}
