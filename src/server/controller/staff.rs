//! What staff do to a conversation from the inbox: take over, hand back, reply by hand, and
//! edit the contact. Each change is one transaction; the inbox hears of it after it commits.

use chrono::Utc;

use super::outbound::{self, Delivery, Outgoing};
use super::{sentences, ProcessError};
use crate::model::{
    name_or_fallback, AuditAction, AuditSubject, Author, ConsentSource, Conversation, ConversationMode, DeliveryStatus,
    InboxEvent, Message, NameSource, Outcome, StaffUser,
};
use crate::server::db::conversations::{self, NewMessage};
use crate::server::db::{audit, contacts, tags, templates, DbError};
use crate::server::state::AppState;
use crate::server::whatsapp::sender::TemplateMessage;

/// Why a staff reply was not sent.
#[derive(Debug, thiserror::Error)]
pub enum StaffReplyError {
    #[error(
        "The customer's last message is more than 24 hours old, so WhatsApp only allows an approved template now."
    )]
    OutsideWindow,
    /// The chosen template cannot be sent (not approved, or it needs more than a name).
    #[error("{0}")]
    TemplateUnusable(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// "Take over" / "Hand back to bot" from the inbox. The mode, the assignment, the flag, the
/// outcome, the note in the chat and the audit entry change together or not at all.
#[tracing::instrument(skip_all, fields(conversation_id = conversation_id))]
pub async fn set_mode(
    app: &AppState,
    conversation_id: i64,
    mode: ConversationMode,
    staff: &StaffUser,
) -> Result<Conversation, DbError> {
    let staff = staff.clone();
    let note = app
        .db
        .transaction(move |tx| {
            Box::pin(async move {
                let conversation = conversations::get_conversation(&mut *tx, conversation_id).await?;
                if conversation.mode == mode {
                    return Ok(None);
                }
                conversations::set_mode(&mut *tx, conversation_id, mode).await?;
                let assignee = (mode == ConversationMode::Human).then_some(staff.id);
                conversations::assign(&mut *tx, conversation_id, assignee).await?;
                conversations::set_needs_attention(&mut *tx, conversation_id, false).await?;
                let text = match mode {
                    ConversationMode::Human => {
                        let contact_id = conversation.contact.id;
                        contacts::set_outcome(&mut *tx, contact_id, Outcome::HumanHandled, Utc::now()).await?;
                        sentences::notes::took_over(&staff.email)
                    }
                    ConversationMode::Bot => sentences::notes::handed_back(&staff.email),
                };
                let mut new = NewMessage::new(conversation_id, Author::System, &text, DeliveryStatus::Read, Utc::now());
                new.staff_user_id = Some(staff.id);
                let note = conversations::insert_message(&mut *tx, &new).await?;
                let entry = audit::NewEntry {
                    actor: &audit::Actor::staff(&staff),
                    action: match mode {
                        ConversationMode::Human => AuditAction::TakeOver,
                        ConversationMode::Bot => AuditAction::HandBack,
                    },
                    subject: AuditSubject::Conversation,
                    subject_id: conversation_id,
                    detail: String::new(),
                    at: Utc::now(),
                };
                audit::record(&mut *tx, &entry).await?;
                Ok::<_, DbError>(Some(note))
            })
        })
        .await?;
    if let Some(note) = note {
        outbound::publish_message(app, &note);
    }
    let conversation = conversations::get_conversation(&app.db, conversation_id).await?;
    app.hub.publish(InboxEvent::ConversationChanged {
        conversation: conversation.clone(),
    });
    Ok(conversation)
}

/// A reply typed by staff in the inbox, sent through WhatsApp like the bot's.
#[tracing::instrument(skip_all, fields(conversation_id = conversation_id))]
pub async fn send_reply(
    app: &AppState,
    conversation_id: i64,
    staff: &StaffUser,
    text: &str,
) -> Result<Message, StaffReplyError> {
    let now = Utc::now();
    let conversation = conversations::get_conversation(&app.db, conversation_id).await?;
    let contact = &conversation.contact;
    if !contact.window_open(now) {
        return Err(StaffReplyError::OutsideWindow);
    }
    deliver_staff_message(app, &conversation, staff, text.to_string(), Outgoing::Text).await
}

/// A message from staff about the customer's appointment (booked, moved, cancelled from the
/// appointments page), sent like a reply typed in the inbox.
pub async fn notify(app: &AppState, contact_id: i64, staff: &StaffUser, text: &str) -> Result<(), StaffReplyError> {
    let now = Utc::now();
    let contact = contacts::get_contact(&app.db, contact_id).await?;
    if !contact.window_open(now) {
        return Err(StaffReplyError::OutsideWindow);
    }
    let conversation = conversations::get_or_create_conversation(&app.db, contact_id, now).await?;
    deliver_staff_message(app, &conversation, staff, text.to_string(), Outgoing::Text).await?;
    Ok(())
}

/// Stores a staff message (clearing the attention flag) and hands it to WhatsApp as
/// `outgoing`; the stored body is what the customer reads.
async fn deliver_staff_message(
    app: &AppState,
    conversation: &Conversation,
    staff: &StaffUser,
    text: String,
    outgoing: Outgoing<'_>,
) -> Result<Message, StaffReplyError> {
    let (conversation_id, staff_id, now) = (conversation.id, staff.id, Utc::now());
    let message = app
        .db
        .transaction(move |tx| {
            Box::pin(async move {
                let mut new = NewMessage::new(conversation_id, Author::Staff, &text, DeliveryStatus::Pending, now);
                new.staff_user_id = Some(staff_id);
                let message = conversations::insert_message(&mut *tx, &new).await?;
                conversations::set_needs_attention(&mut *tx, conversation_id, false).await?;
                Ok::<_, DbError>(message)
            })
        })
        .await?;
    outbound::publish_message(app, &message);
    match outbound::send_as(app, &conversation.contact, &message, outgoing, Delivery::Staff).await {
        Ok(()) => {}
        Err(ProcessError::Db(error)) => return Err(error.into()),
        Err(error) => tracing::warn!(%error, "staff message not sent yet"),
    }
    outbound::publish_conversation(app, conversation_id).await;
    Ok(conversations::get_message(&app.db, message.id).await?)
}

/// An approved template sent by staff, with the customer's name (or "there") in it: the only
/// way to reach a customer whose 24-hour window is closed. The chat shows the text the
/// customer got.
#[tracing::instrument(skip_all, fields(conversation_id = conversation_id, template_id = template_id))]
pub async fn send_template(
    app: &AppState,
    conversation_id: i64,
    staff: &StaffUser,
    template_id: i64,
) -> Result<Message, StaffReplyError> {
    let conversation = conversations::get_conversation(&app.db, conversation_id).await?;
    let contact = &conversation.contact;
    if contact.opted_out_at.is_some() {
        return Err(StaffReplyError::TemplateUnusable(
            "The customer opted out of messages (STOP), so no template is sent.".into(),
        ));
    }
    let template = templates::get_template(&app.db, template_id).await?;
    if !template.is_approved() {
        return Err(StaffReplyError::TemplateUnusable(format!(
            "The template {} is {}, not approved by WhatsApp: it cannot be sent.",
            template.name,
            template.status.to_lowercase()
        )));
    }
    let name = name_or_fallback(contact.name.as_deref());
    let Some(wire) = TemplateMessage::with_name(&template, name) else {
        return Err(StaffReplyError::TemplateUnusable(format!(
            "The template {} needs more than the customer's name; send it from a campaign.",
            template.name
        )));
    };
    let text = template.render(name);
    deliver_staff_message(app, &conversation, staff, text, Outgoing::Template(&wire)).await
}

/// A contact as staff edit it in the side panel, already validated.
#[derive(Clone, Debug)]
pub struct ContactEdit {
    /// `None` clears the name.
    pub name: Option<String>,
    pub notes: String,
    /// A catalog's language code (`es`); `None`: not known yet.
    pub language: Option<String>,
    pub tags: Vec<String>,
    /// Marketing consent: `Some(true)` gives it (kept as it was if already given),
    /// `Some(false)` withdraws it, `None` leaves it alone.
    pub consent: Option<bool>,
}

/// Saves a contact edit: name, notes, language, consent and tags change together, or (when the database
/// refuses any of it) nothing changes.
pub async fn save_contact(app: &AppState, contact_id: i64, edit: ContactEdit) -> Result<(), DbError> {
    app.db
        .transaction(move |tx| {
            Box::pin(async move {
                contacts::set_name(&mut *tx, contact_id, edit.name.as_deref(), NameSource::Staff).await?;
                contacts::set_notes(&mut *tx, contact_id, &edit.notes).await?;
                contacts::set_language(&mut *tx, contact_id, edit.language.as_deref()).await?;
                if let Some(consent) = edit.consent {
                    let source = consent.then_some(ConsentSource::Staff);
                    contacts::set_consent(&mut *tx, contact_id, source, Utc::now()).await?;
                }
                tags::replace_contact_tags(&mut *tx, contact_id, &edit.tags).await
            })
        })
        .await?;
    let conversation = conversations::get_or_create_conversation(&app.db, contact_id, Utc::now()).await?;
    app.hub.publish(InboxEvent::ConversationChanged { conversation });
    Ok(())
}
