//! Conversations and their messages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Contact;

string_enum! {
    ConversationMode {
        Bot => "bot",
        Human => "human",
    }
}

string_enum! {
    Direction {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

string_enum! {
    Author {
        Customer => "customer",
        Bot => "bot",
        Staff => "staff",
        System => "system",
    }
}

string_enum! {
    /// Delivery state of a message. Outbound messages only move forward: sent → delivered → read.
    DeliveryStatus {
        Received => "received",
        Pending => "pending",
        Sent => "sent",
        Delivered => "delivered",
        Read => "read",
        Failed => "failed",
    }
}

string_enum! {
    /// What the AI understood a customer's message to be.
    Intent {
        Greeting => "GREETING",
        Faq => "FAQ",
        NameProvided => "NAME_PROVIDED",
        BookingRequest => "BOOKING_REQUEST",
        BookingConfirmed => "BOOKING_CONFIRMED",
        BookingCancelled => "BOOKING_CANCELLED",
        BookingReschedule => "BOOKING_RESCHEDULE",
        BookingAbandoned => "BOOKING_ABANDONED",
        HumanRequested => "HUMAN_REQUESTED",
        OptOut => "OPT_OUT",
        Yes => "YES",
        No => "NO",
        Other => "OTHER",
    }
}

string_enum! {
    /// Whether the receptionist knows the customer: new (or no name yet) or returning.
    CustomerContext {
        NewCustomer => "NEW_CUSTOMER",
        ReturningCustomer => "RETURNING_CUSTOMER",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: i64,
    pub contact: Contact,
    pub mode: ConversationMode,
    pub assigned_user_id: Option<i64>,
    pub last_activity_at: DateTime<Utc>,
    pub last_message_preview: Option<String>,
    pub unread_count: i64,
    pub needs_attention: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: Direction,
    pub author: Author,
    pub body: String,
    pub wa_message_id: Option<String>,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    pub intent: Option<Intent>,
    pub created_at: DateTime<Utc>,
}

/// The WhatsApp id of every message written in the customer simulator starts with this
/// (real ones start with `wamid.`), so staff can tell a simulated customer from a real one.
pub const SIMULATED_WAMID_PREFIX: &str = "sim.";

impl Message {
    /// Written by staff in the customer simulator, not by a real customer.
    pub fn is_simulated(&self) -> bool {
        self.wa_message_id
            .as_deref()
            .is_some_and(|id| id.starts_with(SIMULATED_WAMID_PREFIX))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatHistory {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}
