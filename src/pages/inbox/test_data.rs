//! Conversations and messages for the inbox's unit tests.

use chrono::{DateTime, Duration, Utc};

use crate::model::{Author, Contact, Conversation, ConversationMode, DeliveryStatus, Direction, Message};

pub fn at(minute: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap() + Duration::minutes(minute)
}

pub fn conversation(id: i64, minute: i64, name: &str) -> Conversation {
    Conversation {
        id,
        contact: Contact {
            id,
            wa_id: format!("3460000000{id}"),
            name: Some(name.to_string()),
            name_source: None,
            profile_name: None,
            first_seen_at: at(0),
            last_seen_at: at(minute),
            last_inbound_at: Some(at(minute)),
            opted_out_at: None,
            last_outcome: None,
            notes: String::new(),
            language: None,
            consent_at: None,
            consent_source: None,
        },
        mode: ConversationMode::Bot,
        assigned_user_id: None,
        last_activity_at: at(minute),
        last_message_preview: None,
        unread_count: 0,
        needs_attention: false,
    }
}

pub fn inbound(id: i64, conversation_id: i64, minute: i64, body: &str) -> Message {
    Message {
        id,
        conversation_id,
        direction: Direction::Inbound,
        author: Author::Customer,
        body: body.to_string(),
        wa_message_id: Some(format!("wamid.{id}")),
        status: DeliveryStatus::Received,
        error: None,
        intent: None,
        created_at: at(minute),
    }
}
