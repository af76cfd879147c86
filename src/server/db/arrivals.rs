//! A customer message's arrival: its contact (created on first contact), its conversation
//! (likewise) and the message itself, stored once by its WhatsApp id.
//!
//! On PostgreSQL one statement does all of it (writes inside `WITH`), one round trip instead
//! of three or four; SQLite allows no writes inside `WITH` and runs the steps one by one,
//! which cost it no round trip (the database is in the process).

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::contacts::{self, contact_columns, UPSERT_CONTACT};
use super::conversations::{self, ConversationRow, ConversationState, MessageRow, NewMessage, MESSAGE_COLUMNS};
use super::{campaigns, to_ms, Backend, Db, DbResult, COMMIT_WITHOUT_WAITING};
use crate::model::{Author, Contact, DeliveryStatus, Direction, Message, WaId};

/// A customer's message as WhatsApp delivered it.
#[derive(Clone, Copy, Debug)]
pub struct Incoming<'a> {
    pub from: &'a WaId,
    pub profile_name: Option<&'a str>,
    pub wa_message_id: &'a str,
    pub body: &'a str,
    /// When they sent it (never later than now): it opens WhatsApp's 24-hour window.
    pub sent_at: DateTime<Utc>,
}

/// What [`store`] found and wrote.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub contact: Contact,
    pub conversation: ConversationState,
    /// The message as stored now; `None` when one with its WhatsApp id was stored before (a
    /// redelivery or a retried job), and nothing was written for it.
    pub message: Option<Message>,
    /// A campaign message to this contact still waits for an answer, which this may be.
    pub campaign_waiting: bool,
}

/// Stores a customer's message with its contact and conversation (each created when new).
/// On the `Db` itself, not in a transaction: on SQLite each step is a write of its own, as
/// before, and every step can be repeated.
pub async fn store(db: &Db, incoming: &Incoming<'_>, now: DateTime<Utc>) -> DbResult<Arrival> {
    if db.backend() == Backend::Postgres {
        if let Some(arrival) = store_in_one(db, incoming, now).await? {
            return Ok(arrival);
        }
        // Another statement was creating the conversation at the same moment; one by one,
        // the steps below find it.
    }
    let contact =
        contacts::get_or_create_contact(db, incoming.from, incoming.profile_name, now, Some(incoming.sent_at)).await?;
    let conversation = conversations::get_or_create_conversation_state(db, contact.id, now).await?;
    let mut new = customer_message(conversation.conversation.id, incoming.body, now);
    new.wa_message_id = Some(incoming.wa_message_id);
    let message = conversations::insert_inbound_message(db, &new).await?;
    let campaign_waiting = campaigns::awaits_reply(db, contact.id).await?;
    Ok(Arrival {
        contact,
        conversation,
        message,
        campaign_waiting,
    })
}

fn customer_message<'a>(conversation_id: i64, body: &'a str, now: DateTime<Utc>) -> NewMessage<'a> {
    NewMessage::new(conversation_id, Author::Customer, body, DeliveryStatus::Received, now)
}

/// The row of [`store_in_one`]: the conversation with its contact, and the message's
/// columns (prefixed `m_`, all empty when it was stored before).
#[derive(FromRow)]
struct ArrivalRow {
    #[sqlx(flatten)]
    conversation: ConversationRow,
    campaign_waiting: i64,
    m_id: Option<i64>,
    m_direction: Option<String>,
    m_author: Option<String>,
    m_body: Option<String>,
    m_wa_message_id: Option<String>,
    m_status: Option<String>,
    m_error: Option<String>,
    m_intent: Option<String>,
    m_created_at: Option<i64>,
}

/// PostgreSQL: the contact's upsert, the conversation's lookup or insert and the message's
/// insert in one statement. `None` when a concurrent statement was inserting the same
/// conversation (the contact is stored; nothing else is).
///
/// The conversation is read from the statement's snapshot, as a separate read before the
/// insert would see it: without this message's touch (the trigger of migration 0003 runs
/// after the statement).
///
/// It commits without waiting for the disk ([`COMMIT_WITHOUT_WAITING`]): it runs in the
/// message's job, whose queued payload is what the webhook's answer promised to keep.
async fn store_in_one(db: &Db, incoming: &Incoming<'_>, now: DateTime<Utc>) -> DbResult<Option<Arrival>> {
    let new = customer_message(0, incoming.body, now);
    let message_columns = MESSAGE_COLUMNS
        .split(", ")
        .map(|column| format!("m.{} AS m_{}", column.trim(), column.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "WITH ct AS ({UPSERT_CONTACT} RETURNING *), \
         found AS (SELECT cv.* FROM conversations cv JOIN ct ON cv.contact_id = ct.id), \
         made AS (INSERT INTO conversations (contact_id, last_activity_at, created_at) \
           SELECT ct.id, $3, $3 FROM ct WHERE NOT EXISTS (SELECT 1 FROM found) \
           ON CONFLICT (contact_id) DO NOTHING RETURNING *), \
         cv AS (SELECT * FROM found UNION ALL SELECT * FROM made), \
         m AS (INSERT INTO messages (conversation_id, direction, author, body, wa_message_id, status, created_at) \
           SELECT cv.id, $5, $6, $7, $8, $9, $3 FROM cv \
           ON CONFLICT (wa_message_id) DO NOTHING RETURNING {MESSAGE_COLUMNS}) \
         SELECT cv.id, cv.mode, cv.assigned_user_id, cv.flow_state, cv.last_activity_at, \
           cv.last_message_preview, cv.unread_count, cv.needs_attention, {contact}, \
           CASE WHEN EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.contact_id = ct.id \
             AND r.status IN {waiting}) THEN 1 ELSE 0 END AS campaign_waiting, \
           {message_columns}, {COMMIT_WITHOUT_WAITING} AS commit_without_waiting \
         FROM ct JOIN cv ON TRUE LEFT JOIN m ON TRUE",
        contact = contact_columns("ct."),
        waiting = campaigns::AWAITING_REPLY,
    );
    let row: Option<ArrivalRow> = sqlx::query_as(&sql)
        .bind(incoming.from.as_str())
        .bind(incoming.profile_name)
        .bind(to_ms(now))
        .bind(to_ms(incoming.sent_at))
        .bind(Direction::Inbound.as_str())
        .bind(new.author.as_str())
        .bind(new.body)
        .bind(incoming.wa_message_id)
        .bind(new.status.as_str())
        .fetch_optional(&mut *db.write().await?)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let conversation = row.conversation.into_state()?;
    let message = match row.m_id {
        Some(id) => Some(
            MessageRow {
                id,
                conversation_id: conversation.conversation.id,
                direction: row.m_direction.unwrap_or_default(),
                author: row.m_author.unwrap_or_default(),
                body: row.m_body.unwrap_or_default(),
                wa_message_id: row.m_wa_message_id,
                status: row.m_status.unwrap_or_default(),
                error: row.m_error,
                intent: row.m_intent,
                created_at: row.m_created_at.unwrap_or_default(),
            }
            .into_message()?,
        ),
        None => None,
    };
    Ok(Some(Arrival {
        contact: conversation.conversation.contact.clone(),
        conversation,
        message,
        campaign_waiting: row.campaign_waiting != 0,
    }))
}
