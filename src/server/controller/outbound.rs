//! Everything the business sends: the bot's replies, notes for staff, handing messages to
//! WhatsApp (and trying again when it asks), and telling open inboxes what changed.

use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::jobs::{schedule, ConversationJob, JobKind};
use super::ProcessError;
use crate::model::{Author, Contact, DeliveryStatus, InboxEvent, Intent, Message};
use crate::server::ai::AiReply;
use crate::server::db::conversations::{self, NewMessage, ReplyChanges};
use crate::server::db::{Commit, DbError};
use crate::server::realtime::Change;
use crate::server::state::AppState;
use crate::server::whatsapp::sender::{SendError, TemplateMessage};

/// One message from the bot: what it says, what it answers and why.
#[derive(Clone, Copy)]
pub struct Reply<'a> {
    pub text: &'a str,
    /// The customer message this answers. `None` for messages of our own (follow-ups,
    /// holding messages, the fallback), so a retried job still sees that message unanswered.
    pub answering: Option<&'a Message>,
    pub intent: Option<Intent>,
    /// The AI answer it came from, for its token cost.
    pub ai: Option<&'a AiReply>,
    /// What the customer's message changed, saved with the reply.
    pub changes: ReplyChanges<'a>,
}

impl<'a> Reply<'a> {
    pub fn answer(message: &'a Message, text: &'a str, intent: Intent) -> Reply<'a> {
        Reply {
            text,
            answering: Some(message),
            intent: Some(intent),
            ai: None,
            changes: ReplyChanges::default(),
        }
    }

    pub fn unprompted(text: &'a str, intent: Option<Intent>) -> Reply<'a> {
        Reply {
            text,
            answering: None,
            intent,
            ai: None,
            changes: ReplyChanges::default(),
        }
    }
}

/// Stores the bot's message (with what it changes), then hands it to WhatsApp.
pub async fn reply(
    app: &AppState,
    contact: &Contact,
    conversation_id: i64,
    reply: Reply<'_>,
) -> Result<Message, ProcessError> {
    let mut new = NewMessage::new(
        conversation_id,
        Author::Bot,
        reply.text,
        DeliveryStatus::Pending,
        Utc::now(),
    );
    new.intent = reply.intent;
    new.reply_to_message_id = reply.answering.map(|m| m.id);
    let model = app.ai.model_id();
    if let Some(ai) = reply.ai {
        new.tokens = (ai.usage.prompt, ai.usage.output, ai.usage.thinking);
        new.ai_model = model.as_deref();
    }
    let message = conversations::insert_reply(&app.db, &new, reply.changes).await?;
    publish_message(app, &message);
    send(app, contact, &message, Delivery::First).await?;
    Ok(message)
}

/// A note for staff in the chat; customers never receive it.
pub async fn note(app: &AppState, conversation_id: i64, text: &str, intent: Intent) -> Result<(), ProcessError> {
    let mut new = NewMessage::new(conversation_id, Author::System, text, DeliveryStatus::Read, Utc::now());
    new.intent = Some(intent);
    let message = conversations::insert_message(&app.db, &new).await?;
    publish_message(app, &message);
    Ok(())
}

/// Which hand-over to WhatsApp this is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// A job's first attempt (a bot reply, or one the job found still pending).
    First,
    /// A [`JobKind::Deliver`] job trying again.
    Retry,
    /// Staff sending, in their request: a first attempt whose result they are shown.
    Staff,
}

impl Delivery {
    /// A job's send result may commit without waiting for the disk: the job's completion
    /// commits durably after it (see [`COMMIT_WITHOUT_WAITING`]). Should the database server
    /// crash in between, the job runs again and resends a reply whose result was lost: the
    /// price of not waiting for the disk once per message. Staff are told theirs.
    ///
    /// [`COMMIT_WITHOUT_WAITING`]: crate::server::db::COMMIT_WITHOUT_WAITING
    fn commit(self) -> Commit {
        match self {
            Delivery::First | Delivery::Retry => Commit::WithoutWaiting,
            Delivery::Staff => Commit::Durable,
        }
    }
}

/// What goes to WhatsApp for a stored message: its text, or an approved template whose
/// rendered text is the stored body (outside the 24-hour window).
#[derive(Clone, Copy)]
pub enum Outgoing<'a> {
    Text,
    Template(&'a TemplateMessage),
}

/// Hands a stored message to WhatsApp as text and records the result. When WhatsApp asks us
/// to wait, a first attempt schedules a retry job; a retry job fails so the queue backs off.
pub async fn send(
    app: &AppState,
    contact: &Contact,
    message: &Message,
    delivery: Delivery,
) -> Result<(), ProcessError> {
    send_as(app, contact, message, Outgoing::Text, delivery).await
}

/// [`send`] for text or a template. Everything else WhatsApp refuses (the window, the
/// marketing limit, spam-rate limiting, an undeliverable number) is recorded on the message
/// and not retried: trying again soon would be refused the same way.
pub async fn send_as(
    app: &AppState,
    contact: &Contact,
    message: &Message,
    outgoing: Outgoing<'_>,
    delivery: Delivery,
) -> Result<(), ProcessError> {
    let result = match outgoing {
        Outgoing::Text => app.sender.send_text(&contact.wa_id, &message.body).await,
        Outgoing::Template(template) => app.sender.send_template(&contact.wa_id, template).await,
    };
    let (wa_id, status, error) = match &result {
        Ok(wa_id) => (Some(wa_id.as_str()), DeliveryStatus::Sent, None),
        Err(error) => (None, DeliveryStatus::Failed, Some(error.to_string())),
    };
    record_send_result(app, message.id, wa_id, status, error.as_deref(), delivery.commit()).await?;
    app.hub.publish(InboxEvent::DeliveryStatusChanged {
        conversation_id: message.conversation_id,
        message_id: message.id,
        wa_message_id: wa_id.map(str::to_string),
        status,
        error,
    });
    match result {
        Ok(_) => Ok(()),
        Err(error @ (SendError::RetryLater(_) | SendError::Uncertain(_))) if delivery == Delivery::Retry => {
            Err(ProcessError::Retry(error.to_string(), None))
        }
        // The retry job resends the stored text, which is not the template: a failed
        // template send stays failed, shown to staff, who may send it again.
        Err(error @ (SendError::RetryLater(_) | SendError::Uncertain(_))) if matches!(outgoing, Outgoing::Text) => {
            tracing::warn!(message_id = message.id, %error, "WhatsApp asked us to retry; scheduled");
            let job = ConversationJob {
                conversation_id: message.conversation_id,
                message_id: Some(message.id),
                updated_at_ms: None,
            };
            let run_at = Utc::now() + chrono::Duration::seconds(10);
            schedule(app, JobKind::Deliver, &job, format!("deliver:{}", message.id), run_at).await
        }
        Err(error) => {
            tracing::warn!(message_id = message.id, %error, "WhatsApp refused a message");
            Ok(())
        }
    }
}

/// How long a send's result is tried again while the database cannot be reached.
const RESULT_PATIENCE: Duration = Duration::from_secs(30);
const RESULT_RETRY_EVERY: Duration = Duration::from_millis(100);

/// Records what WhatsApp answered to a send. The message has left: were the result given
/// up at once when the database is briefly unreachable (a restart, a network blip), the job
/// would run again, find the reply still pending and send it a second time. So the result
/// is tried again for a while, soon after the database is back, while the job keeps its
/// lock.
async fn record_send_result(
    app: &AppState,
    message_id: i64,
    wa_id: Option<&str>,
    status: DeliveryStatus,
    error: Option<&str>,
    commit: Commit,
) -> Result<(), DbError> {
    let started = Instant::now();
    let mut first_failure = true;
    loop {
        match conversations::set_send_result(&app.db, message_id, wa_id, status, error, commit).await {
            Err(DbError::Other(cause)) if started.elapsed() < RESULT_PATIENCE => {
                if std::mem::take(&mut first_failure) {
                    tracing::warn!(message_id, error = %cause, "cannot record a send's result yet; trying again");
                }
                tokio::time::sleep(RESULT_RETRY_EVERY).await;
            }
            recorded => return recorded,
        }
    }
}

/// Sends again a message WhatsApp asked us to retry.
#[tracing::instrument(skip_all, fields(conversation_id = job.conversation_id))]
pub async fn deliver(app: &AppState, job: &ConversationJob) -> Result<(), ProcessError> {
    let Some(message_id) = job.message_id else {
        return Ok(());
    };
    let message = conversations::get_message(&app.db, message_id).await?;
    if !matches!(message.status, DeliveryStatus::Pending | DeliveryStatus::Failed) {
        return Ok(());
    }
    let conversation = conversations::get_conversation(&app.db, message.conversation_id).await?;
    send(app, &conversation.contact, &message, Delivery::Retry).await
}

pub fn publish_message(app: &AppState, message: &Message) {
    app.hub.publish(InboxEvent::MessageCreated {
        conversation_id: message.conversation_id,
        message: message.clone(),
    });
}

/// Tells open inboxes the conversation's new state (mode, name, flags, unread count).
pub async fn publish_conversation(app: &AppState, conversation_id: i64) {
    if !app.hub.has_listeners() {
        // No need to read it: nobody has the inbox open here (a new one loads it fresh).
        app.hub.tell_others(Change::Conversation { conversation_id });
        return;
    }
    match conversations::get_conversation(&app.db, conversation_id).await {
        Ok(conversation) => app.hub.publish(InboxEvent::ConversationChanged { conversation }),
        Err(error) => tracing::warn!(%error, "cannot read a conversation to publish it"),
    }
}
