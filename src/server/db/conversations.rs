//! Conversations and their messages. Every conversation read here comes with its contact,
//! joined in the same query: the inbox never pays one query per row.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::contacts::{contact_columns, expect_one, ContactRow};
use super::{
    appointments, from_ms, id_list, parse_stored, rows_as_json, rows_from_json, to_ms, Backend, Commit, DbError,
    DbExecutor, DbResult, COMMIT_WITHOUT_WAITING,
};
use crate::model::{
    Appointment, Author, ChatHistory, Conversation, ConversationCursor, ConversationFilter, ConversationMode,
    ConversationPage, DeliveryStatus, Direction, Intent, Message,
};

static CONVERSATION_SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT cv.id, cv.mode, cv.assigned_user_id, cv.flow_state, cv.last_activity_at, \
         cv.last_message_preview, cv.unread_count, cv.needs_attention, {} \
         FROM conversations cv JOIN contacts ct ON ct.id = cv.contact_id",
        contact_columns("ct.")
    )
});

pub(super) const MESSAGE_COLUMNS: &str = "id, conversation_id, direction, author, body, wa_message_id, \
     status, error, intent, created_at";

#[derive(FromRow)]
pub(super) struct ConversationRow {
    id: i64,
    mode: String,
    assigned_user_id: Option<i64>,
    flow_state: String,
    last_activity_at: i64,
    last_message_preview: Option<String>,
    unread_count: i64,
    needs_attention: i64,
    #[sqlx(flatten)]
    contact: ContactRow,
}

impl ConversationRow {
    fn into_conversation(self) -> DbResult<Conversation> {
        Ok(self.into_state()?.conversation)
    }

    pub(super) fn into_state(self) -> DbResult<ConversationState> {
        let conversation = Conversation {
            id: self.id,
            contact: self.contact.into_contact()?,
            mode: parse_stored("conversation mode", &self.mode, ConversationMode::parse)?,
            assigned_user_id: self.assigned_user_id,
            last_activity_at: from_ms(self.last_activity_at),
            last_message_preview: self.last_message_preview,
            unread_count: self.unread_count,
            needs_attention: self.needs_attention != 0,
        };
        Ok(ConversationState {
            conversation,
            flow_state: self.flow_state,
        })
    }
}

/// A conversation with what it is in the middle of: the controller's view, which never
/// reaches the browser.
#[derive(Clone, Debug)]
pub struct ConversationState {
    pub conversation: Conversation,
    /// The controller's JSON (`controller::flow::FlowState`).
    pub flow_state: String,
}

#[derive(FromRow, serde::Deserialize)]
pub(super) struct MessageRow {
    pub(super) id: i64,
    pub(super) conversation_id: i64,
    pub(super) direction: String,
    pub(super) author: String,
    pub(super) body: String,
    pub(super) wa_message_id: Option<String>,
    pub(super) status: String,
    pub(super) error: Option<String>,
    pub(super) intent: Option<String>,
    pub(super) created_at: i64,
}

impl MessageRow {
    pub(super) fn into_message(self) -> DbResult<Message> {
        Ok(Message {
            id: self.id,
            conversation_id: self.conversation_id,
            direction: parse_stored("direction", &self.direction, Direction::parse)?,
            author: parse_stored("author", &self.author, Author::parse)?,
            body: self.body,
            wa_message_id: self.wa_message_id,
            status: parse_stored("delivery status", &self.status, DeliveryStatus::parse)?,
            error: self.error,
            intent: self
                .intent
                .as_deref()
                .map(|i| parse_stored("intent", i, Intent::parse))
                .transpose()?,
            created_at: from_ms(self.created_at),
        })
    }
}

/// The contact's conversation, created on its first message.
pub async fn get_or_create_conversation(
    db: impl DbExecutor,
    contact_id: i64,
    now: DateTime<Utc>,
) -> DbResult<Conversation> {
    Ok(get_or_create_conversation_state(db, contact_id, now)
        .await?
        .conversation)
}

/// [`get_or_create_conversation`] with the controller's flow state.
pub async fn get_or_create_conversation_state(
    mut db: impl DbExecutor,
    contact_id: i64,
    now: DateTime<Utc>,
) -> DbResult<ConversationState> {
    let sql = format!("{} WHERE cv.contact_id = $1", *CONVERSATION_SELECT);
    // Nearly every message comes from a contact who already has one: a read, no write.
    if let Some(row) = sqlx::query_as::<_, ConversationRow>(&sql)
        .bind(contact_id)
        .fetch_optional(&mut *db.reader().await?)
        .await?
    {
        return row.into_state();
    }
    // Idempotent insert: concurrent first messages agree on one conversation.
    sqlx::query(
        "INSERT INTO conversations (contact_id, last_activity_at, created_at) VALUES ($1, $2, $2) \
         ON CONFLICT (contact_id) DO NOTHING",
    )
    .bind(contact_id)
    .bind(to_ms(now))
    .execute(&mut *db.writer().await?)
    .await?;
    let row: ConversationRow = sqlx::query_as(&sql)
        .bind(contact_id)
        .fetch_one(&mut *db.reader().await?)
        .await?;
    row.into_state()
}

pub async fn get_conversation(db: impl DbExecutor, id: i64) -> DbResult<Conversation> {
    Ok(get_conversation_state(db, id).await?.conversation)
}

pub async fn get_conversation_state(mut db: impl DbExecutor, id: i64) -> DbResult<ConversationState> {
    let sql = format!("{} WHERE cv.id = $1", *CONVERSATION_SELECT);
    let row: Option<ConversationRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.ok_or(DbError::NotFound("conversation"))?.into_state()
}

#[derive(Clone, Debug, Default)]
pub struct ConversationQuery {
    /// Part of a name or phone number; empty matches everyone.
    pub search: String,
    pub filter: Option<ConversationFilter>,
    pub after: Option<ConversationCursor>,
    pub limit: i64,
}

/// One page of the inbox list, most recent activity first, by keyset (no OFFSET scans).
pub async fn list_conversations(mut db: impl DbExecutor, query: &ConversationQuery) -> DbResult<ConversationPage> {
    let limit = query.limit.clamp(1, 200);
    let search = query.search.trim().to_lowercase();
    let candidates = search_candidates(&mut db, &search).await?;
    if candidates.as_ref().is_some_and(Vec::is_empty) {
        return Ok(ConversationPage::default());
    }
    let sql = list_sql(candidates.as_deref());
    let pattern = format!("%{}%", escape_like(&search));
    let filter = query.filter.unwrap_or(ConversationFilter::All);
    // The first page starts after a cursor past every row, so one statement serves all pages.
    let (after_time, after_id) = query
        .after
        .map(|c| (c.last_activity_ms, c.id))
        .unwrap_or((i64::MAX, i64::MAX));
    let rows: Vec<ConversationRow> = sqlx::query_as(&sql)
        .bind(&search)
        .bind(&pattern)
        .bind(filter.as_str())
        .bind(after_time)
        .bind(after_id)
        .bind(limit + 1)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    let has_more = rows.len() as i64 > limit;
    let conversations = rows
        .into_iter()
        .take(limit as usize)
        .map(ConversationRow::into_conversation)
        .collect::<DbResult<Vec<_>>>()?;
    let next_cursor = has_more
        .then(|| conversations.last())
        .flatten()
        .map(|c| ConversationCursor {
            last_activity_ms: to_ms(c.last_activity_at),
            id: c.id,
        });
    Ok(ConversationPage {
        conversations,
        next_cursor,
    })
}

/// The list's statement; `$1` is the lowercased search, `$2` its LIKE pattern, `$3` the
/// filter, `$4`/`$5` the cursor and `$6` the page size plus one. `only_contacts` narrows it
/// to the candidates of [`search_candidates`].
pub fn list_sql(only_contacts: Option<&[i64]>) -> String {
    let only_contacts = only_contacts.map_or(String::new(), |ids| format!("AND ct.id IN ({})", id_list(ids)));
    format!(
        "{} WHERE ($1 = '' OR LOWER(COALESCE(ct.name, '')) LIKE $2 ESCAPE '\\' OR ct.wa_id LIKE $2 ESCAPE '\\') \
         {only_contacts} \
         AND ($3 = 'all' OR ($3 = 'needs_attention' AND cv.needs_attention = 1) OR cv.mode = $3) \
         AND (cv.last_activity_at, cv.id) < ($4, $5) \
         ORDER BY cv.last_activity_at DESC, cv.id DESC LIMIT $6",
        *CONVERSATION_SELECT
    )
}

/// Searches narrower than this many contacts use the trigram index; broader ones walk the
/// inbox in order, where matches are common enough to fill a page quickly.
const MAX_SEARCH_CANDIDATES: i64 = 500;

/// On SQLite, the contacts a search of three or more characters can match, found by the
/// trigram index (`contact_search`, migration 0004), or `None` when the list should rather
/// be walked: no search, too short for trigrams, or too many candidates to sort. The list's
/// own conditions still decide, so the index only narrows. PostgreSQL's trigram indexes
/// serve those conditions directly.
pub async fn search_candidates(mut db: impl DbExecutor, search: &str) -> DbResult<Option<Vec<i64>>> {
    if db.backend() != Backend::Sqlite || search.chars().count() < 3 {
        return Ok(None);
    }
    // One quoted phrase: the trigram tokenizer matches it as a substring, ignoring case.
    let phrase = format!("\"{}\"", search.replace('"', "\"\""));
    let ids: Vec<i64> = sqlx::query_scalar("SELECT rowid FROM contact_search WHERE contact_search MATCH $1 LIMIT $2")
        .bind(phrase)
        .bind(MAX_SEARCH_CANDIDATES + 1)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    Ok((ids.len() as i64 <= MAX_SEARCH_CANDIDATES).then_some(ids))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A conversation with its latest `limit` messages, oldest first.
pub async fn chat_history(mut db: impl DbExecutor, conversation_id: i64, limit: i64) -> DbResult<ChatHistory> {
    let conversation = get_conversation(&mut db, conversation_id).await?;
    let messages = latest_messages(&mut db, "conversation_id = $1", conversation_id, limit).await?;
    Ok(ChatHistory { conversation, messages })
}

/// The messages of a contact's conversation, with the contact's id as `$1`. `=` on the
/// contact's one conversation (not `IN`) lets SQLite walk the message index backwards and
/// stop at the limit, without sorting the whole chat.
const OF_CONTACT: &str = "conversation_id = (SELECT id FROM conversations WHERE contact_id = $1)";

/// A contact's latest `limit` messages, oldest first.
pub async fn history_for_contact(mut db: impl DbExecutor, contact_id: i64, limit: i64) -> DbResult<Vec<Message>> {
    latest_messages(&mut db, OF_CONTACT, contact_id, limit).await
}

/// What the receptionist remembers of a customer: their latest `limit` messages (oldest
/// first) and their appointments (newest first). Read for every message the AI answers, so
/// on PostgreSQL both come in one round trip.
pub async fn memory_of_contact(
    mut db: impl DbExecutor,
    contact_id: i64,
    limit: i64,
) -> DbResult<(Vec<Message>, Vec<Appointment>)> {
    if db.backend() == Backend::Sqlite {
        let history = latest_messages(&mut db, OF_CONTACT, contact_id, limit).await?;
        let appointments = super::knowledge::appointments_for_contact(&mut db, contact_id).await?;
        return Ok((history, appointments));
    }
    let (appointments_sql, appointment_binds) = appointments::select(appointments::Which::OfContact(contact_id));
    debug_assert_eq!(
        appointment_binds,
        [contact_id],
        "both selects bind the contact's id as $1"
    );
    let sql = format!(
        "SELECT {} AS history, {} AS appointments",
        rows_as_json(&latest_messages_sql(OF_CONTACT)),
        rows_as_json(&appointments_sql)
    );
    let (history, appointments): (String, String) = sqlx::query_as(&sql)
        .bind(contact_id)
        .bind(limit.clamp(1, MOST_MESSAGES))
        .fetch_one(&mut *db.reader().await?)
        .await?;
    let mut history = rows_from_json::<MessageRow>(&history)?
        .into_iter()
        .map(MessageRow::into_message)
        .collect::<DbResult<Vec<_>>>()?;
    history.reverse();
    let appointments = rows_from_json::<appointments::Row>(&appointments)?
        .into_iter()
        .map(|row| Ok(row.into_scheduled(chrono_tz::UTC)?.appointment))
        .collect::<DbResult<Vec<_>>>()?;
    Ok((history, appointments))
}

/// Every message of a conversation, oldest first (a customer's data export).
pub async fn all_messages(mut db: impl DbExecutor, conversation_id: i64) -> DbResult<Vec<Message>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 ORDER BY created_at, id");
    let rows: Vec<MessageRow> = sqlx::query_as(&sql)
        .bind(conversation_id)
        .fetch_all(&mut *db.reader().await?)
        .await?;
    rows.into_iter().map(MessageRow::into_message).collect()
}

/// Most messages one read returns.
const MOST_MESSAGES: i64 = 1000;

/// The latest messages meeting `condition` (on `$1`), newest first, at most `$2`.
fn latest_messages_sql(condition: &str) -> String {
    format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE {condition} ORDER BY created_at DESC, id DESC LIMIT $2")
}

async fn latest_messages(mut db: impl DbExecutor, condition: &str, key: i64, limit: i64) -> DbResult<Vec<Message>> {
    let rows: Vec<MessageRow> = sqlx::query_as(&latest_messages_sql(condition))
        .bind(key)
        .bind(limit.clamp(1, MOST_MESSAGES))
        .fetch_all(&mut *db.reader().await?)
        .await?;
    let mut messages = rows
        .into_iter()
        .map(MessageRow::into_message)
        .collect::<DbResult<Vec<_>>>()?;
    messages.reverse();
    Ok(messages)
}

#[derive(Clone, Debug)]
pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub direction: Direction,
    pub author: Author,
    pub staff_user_id: Option<i64>,
    pub body: &'a str,
    pub wa_message_id: Option<&'a str>,
    pub status: DeliveryStatus,
    pub intent: Option<Intent>,
    /// The inbound message this one answers.
    pub reply_to_message_id: Option<i64>,
    /// AI tokens spent on this message: prompt, output, thinking.
    pub tokens: (i64, i64, i64),
    /// The model that spent them, as `provider/model`.
    pub ai_model: Option<&'a str>,
    pub created_at: DateTime<Utc>,
}

impl<'a> NewMessage<'a> {
    /// A message with no WhatsApp id, intent, reply link or token cost yet.
    pub fn new(
        conversation_id: i64,
        author: Author,
        body: &'a str,
        status: DeliveryStatus,
        created_at: DateTime<Utc>,
    ) -> Self {
        NewMessage {
            conversation_id,
            direction: if author == Author::Customer {
                Direction::Inbound
            } else {
                Direction::Outbound
            },
            author,
            staff_user_id: None,
            body,
            wa_message_id: None,
            status,
            intent: None,
            reply_to_message_id: None,
            tokens: (0, 0, 0),
            ai_model: None,
            created_at,
        }
    }
}

/// Stores a message; a trigger moves its conversation to the top of the inbox in the same
/// statement (migration 0003).
pub async fn insert_message(mut db: impl DbExecutor, message: &NewMessage<'_>) -> DbResult<Message> {
    insert(&mut db, message, "")
        .await?
        .ok_or(DbError::NotFound("stored message"))
}

/// Stores a message received from WhatsApp, unless one with its WhatsApp id is already
/// stored (a redelivery or a retried job): then nothing is written and `None` comes back.
pub async fn insert_inbound_message(mut db: impl DbExecutor, message: &NewMessage<'_>) -> DbResult<Option<Message>> {
    insert(&mut db, message, "ON CONFLICT (wa_message_id) DO NOTHING").await
}

const INSERT_MESSAGE: &str = "INSERT INTO messages (conversation_id, direction, author, staff_user_id, body, \
     wa_message_id, status, intent, created_at, reply_to_message_id, prompt_tokens, output_tokens, \
     thinking_tokens, ai_model) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

type MessageQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Any, MessageRow, sqlx::any::AnyArguments<'q>>;

/// Binds the parameters of [`INSERT_MESSAGE`].
fn bind_message<'q>(query: MessageQuery<'q>, message: &'q NewMessage<'_>) -> MessageQuery<'q> {
    query
        .bind(message.conversation_id)
        .bind(message.direction.as_str())
        .bind(message.author.as_str())
        .bind(message.staff_user_id)
        .bind(message.body)
        .bind(message.wa_message_id)
        .bind(message.status.as_str())
        .bind(message.intent.map(Intent::as_str))
        .bind(to_ms(message.created_at))
        .bind(message.reply_to_message_id)
        .bind(message.tokens.0)
        .bind(message.tokens.1)
        .bind(message.tokens.2)
        .bind(message.ai_model)
}

async fn insert(mut db: impl DbExecutor, message: &NewMessage<'_>, on_conflict: &str) -> DbResult<Option<Message>> {
    let sql = format!("{INSERT_MESSAGE} {on_conflict} RETURNING {MESSAGE_COLUMNS}");
    let row: Option<MessageRow> = bind_message(sqlx::query_as(&sql), message)
        .fetch_optional(&mut *db.writer().await?)
        .await?;
    row.map(MessageRow::into_message).transpose()
}

/// What a bot reply changes besides itself, stored with it: the reply and the state it was
/// written in are saved together or not at all.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReplyChanges<'a> {
    /// The conversation's flow state, when the customer's message moved it on.
    pub flow_state: Option<&'a str>,
    /// The contact's language (contact id, code), when they wrote in a new one.
    pub language: Option<(i64, &'a str)>,
}

/// Stores a bot reply with what it changes. On PostgreSQL one statement does all of it
/// (writes inside `WITH`): one round trip and one commit instead of up to three, and the
/// commit does not wait for the disk ([`COMMIT_WITHOUT_WAITING`]: replies are written by
/// jobs). SQLite allows no writes inside `WITH` and runs the steps in one transaction.
pub async fn insert_reply(
    mut db: impl DbExecutor,
    message: &NewMessage<'_>,
    changes: ReplyChanges<'_>,
) -> DbResult<Message> {
    let row: MessageRow = match db.backend() {
        Backend::Postgres => {
            // Parameters go on from the message's 14; $1 is its conversation.
            let mut writes = Vec::new();
            if changes.flow_state.is_some() {
                writes.push("flow AS (UPDATE conversations SET flow_state = $15 WHERE id = $1)".to_string());
            }
            if changes.language.is_some() {
                let n = 15 + writes.len();
                writes.push(format!(
                    "language AS (UPDATE contacts SET language = ${n} WHERE id = ${})",
                    n + 1
                ));
            }
            let with = if writes.is_empty() {
                String::new()
            } else {
                format!("WITH {}", writes.join(", "))
            };
            let sql = format!("{with} {INSERT_MESSAGE} RETURNING {MESSAGE_COLUMNS}, {COMMIT_WITHOUT_WAITING}");
            let mut query = bind_message(sqlx::query_as(&sql), message);
            if let Some(flow_state) = changes.flow_state {
                query = query.bind(flow_state);
            }
            if let Some((contact_id, code)) = changes.language {
                query = query.bind(code).bind(contact_id);
            }
            query.fetch_one(&mut *db.writer().await?).await?
        }
        Backend::Sqlite if changes.flow_state.is_none() && changes.language.is_none() => {
            return insert_message(db, message).await;
        }
        Backend::Sqlite => {
            let mut conn = db.writer().await?;
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            if let Some(flow_state) = changes.flow_state {
                set_flow_state(&mut *tx, message.conversation_id, flow_state).await?;
            }
            if let Some((contact_id, code)) = changes.language {
                super::contacts::set_language(&mut *tx, contact_id, Some(code)).await?;
            }
            let sql = format!("{INSERT_MESSAGE} RETURNING {MESSAGE_COLUMNS}");
            let row = bind_message(sqlx::query_as(&sql), message).fetch_one(&mut *tx).await?;
            tx.commit().await?;
            row
        }
    };
    row.into_message()
}

pub async fn set_mode(mut db: impl DbExecutor, conversation_id: i64, mode: ConversationMode) -> DbResult<()> {
    let done = sqlx::query("UPDATE conversations SET mode = $1 WHERE id = $2")
        .bind(mode.as_str())
        .bind(conversation_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "conversation")
}

pub async fn set_needs_attention(mut db: impl DbExecutor, conversation_id: i64, needs_attention: bool) -> DbResult<()> {
    let done = sqlx::query("UPDATE conversations SET needs_attention = $1 WHERE id = $2")
        .bind(i64::from(needs_attention))
        .bind(conversation_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "conversation")
}

pub async fn mark_read(mut db: impl DbExecutor, conversation_id: i64) -> DbResult<()> {
    let done = sqlx::query("UPDATE conversations SET unread_count = 0 WHERE id = $1")
        .bind(conversation_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "conversation")
}

pub async fn find_message_by_wa_id(mut db: impl DbExecutor, wa_message_id: &str) -> DbResult<Option<Message>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE wa_message_id = $1");
    let row: Option<MessageRow> = sqlx::query_as(&sql)
        .bind(wa_message_id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.map(MessageRow::into_message).transpose()
}

pub async fn get_message(mut db: impl DbExecutor, id: i64) -> DbResult<Message> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1");
    let row: Option<MessageRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.ok_or(DbError::NotFound("message"))?.into_message()
}

/// The answer to an inbound message, if one is stored (a retried job must not answer twice).
pub async fn reply_to(mut db: impl DbExecutor, message_id: i64) -> DbResult<Option<Message>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE reply_to_message_id = $1 ORDER BY id LIMIT 1");
    let row: Option<MessageRow> = sqlx::query_as(&sql)
        .bind(message_id)
        .fetch_optional(&mut *db.reader().await?)
        .await?;
    row.map(MessageRow::into_message).transpose()
}

/// Whether the business wrote anything in the conversation after this message.
pub async fn has_outbound_after(mut db: impl DbExecutor, conversation_id: i64, message_id: i64) -> DbResult<bool> {
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND id > $2 AND direction = 'outbound'",
    )
    .bind(conversation_id)
    .bind(message_id)
    .fetch_one(&mut *db.reader().await?)
    .await?;
    Ok(count > 0)
}

/// Records the outcome of handing a message to WhatsApp.
pub async fn set_send_result(
    mut db: impl DbExecutor,
    message_id: i64,
    wa_message_id: Option<&str>,
    status: DeliveryStatus,
    error: Option<&str>,
    commit: Commit,
) -> DbResult<()> {
    let sql = format!(
        "UPDATE messages SET wa_message_id = COALESCE($1, wa_message_id), status = $2, error = $3 WHERE id = $4 \
         RETURNING id{}",
        commit.returning_item(db.backend())
    );
    let done = sqlx::query(&sql)
        .bind(wa_message_id)
        .bind(status.as_str())
        .bind(error)
        .bind(message_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "message")
}

/// One of our messages a delivery status moved on.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct StatusChange {
    pub message_id: i64,
    pub conversation_id: i64,
    /// The error now stored with it (a failure's reason).
    pub error: Option<String>,
}

/// What a WhatsApp delivery status changed.
#[derive(Debug, Default)]
pub struct DeliveryApplied {
    pub messages: Vec<StatusChange>,
}

impl DeliveryApplied {
    pub fn changed(&self) -> bool {
        !self.messages.is_empty()
    }
}

/// Applies a WhatsApp delivery status to our message, never moving backwards: sent →
/// delivered → read; failed replaces only sent (and keeps its error). Campaign messages are
/// not in chats: `db::campaigns::apply_delivery_status` takes theirs.
pub async fn apply_delivery_status(
    mut db: impl DbExecutor,
    wa_message_id: &str,
    status: DeliveryStatus,
    error: Option<&str>,
) -> DbResult<DeliveryApplied> {
    const RANK: &str = "CASE status WHEN 'pending' THEN 0 WHEN 'scheduled' THEN 0 WHEN 'sent' THEN 1 \
                        WHEN 'failed' THEN 2 WHEN 'delivered' THEN 3 WHEN 'read' THEN 4 ELSE 0 END";
    let rank: i64 = match status {
        DeliveryStatus::Sent => 1,
        DeliveryStatus::Failed => 2,
        DeliveryStatus::Delivered => 3,
        DeliveryStatus::Read => 4,
        DeliveryStatus::Pending | DeliveryStatus::Received => return Ok(DeliveryApplied::default()),
    };
    let messages_sql = format!(
        "UPDATE messages SET status = $1, error = COALESCE($2, error) WHERE wa_message_id = $3 AND {RANK} < $4 \
         RETURNING id AS message_id, conversation_id, error"
    );
    let messages = sqlx::query_as(&messages_sql)
        .bind(status.as_str())
        .bind(error)
        .bind(wa_message_id)
        .bind(rank)
        .fetch_all(&mut *db.writer().await?)
        .await?;
    Ok(DeliveryApplied { messages })
}

pub async fn set_flow_state(mut db: impl DbExecutor, conversation_id: i64, flow_state: &str) -> DbResult<()> {
    let done = sqlx::query("UPDATE conversations SET flow_state = $1 WHERE id = $2")
        .bind(flow_state)
        .bind(conversation_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "conversation")
}

/// The staff member handling a conversation (none when the bot has it).
pub async fn assign(mut db: impl DbExecutor, conversation_id: i64, user_id: Option<i64>) -> DbResult<()> {
    let done = sqlx::query("UPDATE conversations SET assigned_user_id = $1 WHERE id = $2")
        .bind(user_id)
        .bind(conversation_id)
        .execute(&mut *db.writer().await?)
        .await?;
    expect_one(done.rows_affected(), "conversation")
}
