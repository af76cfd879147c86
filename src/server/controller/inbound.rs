//! The path of one customer message (the seed's `process_incoming_message`): store it once,
//! handle the keywords and human mode, ask the AI, then act on what it understood. The AI
//! proposes; this code decides what is saved, booked and sent.

use chrono::{DateTime, Utc};

use super::booking::{self, BookingStep, Talk};
use super::flow::FlowState;
use super::jobs::{schedule, ConversationJob, JobKind};
use super::outbound::{self, Delivery, Reply};
use super::{sentences, ProcessError};
use crate::model::{
    Author, Contact, Conversation, ConversationMode, CustomerContext, DeliveryStatus, InboxEvent, Intent, Message,
    NameSource, Outcome,
};
use crate::server::ai::{AiContext, AiError, AiReply, Turn, MAX_NAME_ASKS};
use crate::server::db::conversations::{self, ConversationState, NewMessage};
use crate::server::db::{contacts, knowledge, DbError};
use crate::server::i18n::language_of;
use crate::server::state::AppState;
use crate::server::whatsapp::payload::InboundMessage;

/// How much history the AI sees.
const MEMORY_MESSAGES: i64 = 20;

/// A customer message, stored, with who sent it and where.
struct Received {
    contact: Contact,
    conversation: Conversation,
    flow: FlowState,
    message: Message,
}

/// The whole path of one customer message. Safe to run again for the same message: it is
/// stored once (by its WhatsApp id) and answered once.
#[tracing::instrument(skip_all, fields(conversation_id = tracing::field::Empty))]
pub async fn process_incoming_message(app: &AppState, inbound: &InboundMessage) -> Result<(), ProcessError> {
    let now = Utc::now();
    let Some(received) = receive(app, inbound, now).await? else {
        return Ok(()); // answered by an earlier attempt of this job
    };
    let Received {
        contact,
        conversation,
        mut flow,
        message,
    } = received;
    let lang = language_of(&app.settings.business, &contact);
    if !inbound.is_text() {
        let text = sentences::unsupported_message(&lang);
        let unsupported = Reply::answer(&message, &text, Intent::Other);
        outbound::reply(app, &contact, conversation.id, unsupported).await?;
        return Ok(());
    }
    match inbound.body.trim().to_uppercase().as_str() {
        "STOP" | "UNSUBSCRIBE" => return opt_out(app, &contact, &conversation, &message, now).await,
        "START" if contact.opted_out_at.is_some() => {
            contacts::set_opted_out(&app.db, contact.id, false, now).await?;
            let text = sentences::opted_in(&lang);
            let welcome = Reply::answer(&message, &text, Intent::Other);
            outbound::reply(app, &contact, conversation.id, welcome).await?;
            return Ok(());
        }
        _ => {}
    }
    if conversation.mode == ConversationMode::Human {
        return wait_for_staff(app, &conversation, &message, now).await;
    }
    let context = context(app, &contact, &message, &flow, now).await?;
    match app.ai.reply(&context).await {
        Ok(answer) => act(app, &contact, &conversation, &message, &mut flow, answer, now).await,
        Err(error) => fall_back(app, &contact, &conversation, &message, &mut flow, error).await,
    }
}

/// Stores the message and its contact. `None` when an earlier attempt already answered it
/// (an answer stored but not yet handed to WhatsApp is sent now rather than never).
async fn receive(
    app: &AppState,
    inbound: &InboundMessage,
    now: DateTime<Utc>,
) -> Result<Option<Received>, ProcessError> {
    let sent_at = inbound.sent_at.min(now);
    let profile_name = inbound.profile_name.as_deref();
    let contact = contacts::get_or_create_contact(&app.db, &inbound.from, profile_name, now, Some(sent_at)).await?;
    let ConversationState {
        conversation,
        flow_state,
    } = conversations::get_or_create_conversation_state(&app.db, contact.id, now).await?;
    tracing::Span::current().record("conversation_id", conversation.id);
    app.hub.publish(InboxEvent::ConversationChanged {
        conversation: conversation.clone(),
    });

    let mut new = NewMessage::new(
        conversation.id,
        Author::Customer,
        &inbound.body,
        DeliveryStatus::Received,
        now,
    );
    new.wa_message_id = Some(&inbound.wa_message_id);
    let message = match conversations::insert_inbound_message(&app.db, &new).await? {
        Some(message) => {
            outbound::publish_message(app, &message);
            message
        }
        // Stored by an earlier attempt of this job, which may also have answered it.
        None => {
            let stored = conversations::find_message_by_wa_id(&app.db, &inbound.wa_message_id)
                .await?
                .ok_or(DbError::NotFound("stored message"))?;
            if let Some(reply) = conversations::reply_to(&app.db, stored.id).await? {
                if reply.status == DeliveryStatus::Pending {
                    outbound::send(app, &contact, &reply, Delivery::First).await?;
                }
                return Ok(None);
            }
            stored
        }
    };
    Ok(Some(Received {
        contact,
        conversation,
        flow: FlowState::read(&flow_state),
        message,
    }))
}

/// Staff are answering: the bot stays silent, but the customer is not forgotten.
async fn wait_for_staff(
    app: &AppState,
    conversation: &Conversation,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    let job = ConversationJob {
        conversation_id: conversation.id,
        message_id: Some(message.id),
        updated_at_ms: None,
    };
    let run_at = now + app.settings.conversations.human_hold;
    schedule(app, JobKind::HumanHold, &job, format!("hold:{}", message.id), run_at).await
}

/// What the AI knows when it answers: the business, the customer and the conversation.
async fn context(
    app: &AppState,
    contact: &Contact,
    message: &Message,
    flow: &FlowState,
    now: DateTime<Utc>,
) -> Result<AiContext, ProcessError> {
    let history = conversations::history_for_contact(&app.db, contact.id, MEMORY_MESSAGES + 1).await?;
    let appointments = knowledge::appointments_for_contact(&app.db, contact.id).await?;
    let earlier: Vec<&Message> = history.iter().filter(|m| m.id != message.id).collect();
    // Returning: we know their name and they have written to us before.
    let returning = contact.name.is_some() && earlier.iter().any(|m| m.author == Author::Customer);
    let business = &app.settings.business;
    Ok(AiContext {
        business_name: business.name.clone(),
        timezone: business.timezone,
        currency: business.currency.clone(),
        knowledge: app.knowledge.get(&app.db).await?,
        customer: if returning {
            CustomerContext::ReturningCustomer
        } else {
            CustomerContext::NewCustomer
        },
        name: contact.name.clone(),
        name_asks: flow.name_asks,
        appointments,
        history: earlier
            .iter()
            .map(|m| Turn {
                author: m.author,
                text: m.body.clone(),
            })
            .collect(),
        message: message.body.clone(),
        pending_booking: flow
            .booking
            .as_ref()
            .filter(|b| !b.followed_up)
            .map(|b| b.fields.clone()),
        now,
    })
}

/// The AI failed or answered nonsense: the customer gets one short fallback and the message
/// is tried again later.
async fn fall_back(
    app: &AppState,
    contact: &Contact,
    conversation: &Conversation,
    message: &Message,
    flow: &mut FlowState,
    error: AiError,
) -> Result<(), ProcessError> {
    tracing::warn!(%error, "AI answer failed; the message will be retried");
    if flow.fallback_sent_for != Some(message.id) {
        // Not an answer to the message (reply_to stays empty), so the retry still answers it.
        let text = sentences::fallback(&language_of(&app.settings.business, contact));
        outbound::reply(app, contact, conversation.id, Reply::unprompted(&text, None)).await?;
        flow.fallback_sent_for = Some(message.id);
        conversations::set_flow_state(&app.db, conversation.id, &flow.write()).await?;
    }
    let retry_after = match &error {
        AiError::Unavailable { retry_after, .. } => *retry_after,
        _ => None,
    };
    Err(ProcessError::Retry(error.to_string(), retry_after))
}

/// Acts on what the AI understood, then sends the answer: the AI's own words, or ours
/// where the code decided (bookings, cancellations). One match over the intents, so what
/// each intent does is read in one place.
async fn act(
    app: &AppState,
    contact: &Contact,
    conversation: &Conversation,
    message: &Message,
    flow: &mut FlowState,
    answer: AiReply,
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    let flow_before = flow.clone();
    let mut text = answer.text.clone();
    let mut intent = answer.intent;
    match answer.intent {
        Intent::NameProvided => {
            if let Some(name) = &answer.customer_name {
                contacts::set_name(&app.db, contact.id, Some(name), NameSource::Customer).await?;
                outbound::publish_conversation(app, conversation.id).await;
            }
        }
        Intent::HumanRequested => hand_to_staff(app, contact, conversation, now).await?,
        Intent::OptOut => return opt_out(app, contact, conversation, message, now).await,
        Intent::BookingCancelled => {
            text = cancel_next_appointment(app, contact, conversation.id, now).await?;
            flow.booking = None;
        }
        Intent::BookingAbandoned => {
            contacts::set_outcome(&app.db, contact.id, Outcome::BookingAbandoned, now).await?;
            flow.booking = None;
        }
        Intent::BookingRequest | Intent::BookingConfirmed => {
            let said = answer.booking.clone().unwrap_or_default();
            let talk = Talk {
                contact,
                conversation,
                flow,
                now,
            };
            (text, intent) = match booking::step(app, talk, said).await? {
                // Not enough known yet: the AI's own question stands.
                BookingStep::NeedsDetails => (text, Intent::BookingRequest),
                BookingStep::Booked { confirmation } => (confirmation, Intent::BookingConfirmed),
                BookingStep::Offered { offer } => (offer, Intent::BookingRequest),
            };
        }
        _ => {}
    }
    // Counting stops at the limit, so a conversation that no longer asks keeps its state.
    if contact.name.is_none() && answer.intent != Intent::NameProvided && flow.name_asks < MAX_NAME_ASKS {
        flow.name_asks += 1;
    }
    flow.fallback_sent_for = None;
    // Most messages leave the flow as it was: no write for them.
    if *flow != flow_before {
        conversations::set_flow_state(&app.db, conversation.id, &flow.write()).await?;
    }
    let reply = Reply {
        ai: Some(&answer),
        ..Reply::answer(message, &text, intent)
    };
    outbound::reply(app, contact, conversation.id, reply).await?;
    Ok(())
}

/// The customer asked for a person: the bot pauses and the inbox flags the conversation.
async fn hand_to_staff(
    app: &AppState,
    contact: &Contact,
    conversation: &Conversation,
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    let conversation_id = conversation.id;
    let contact_id = contact.id;
    app.db
        .transaction(move |tx| {
            Box::pin(async move {
                conversations::set_mode(&mut *tx, conversation_id, ConversationMode::Human).await?;
                conversations::set_needs_attention(&mut *tx, conversation_id, true).await?;
                contacts::set_outcome(&mut *tx, contact_id, Outcome::HumanHandled, now).await?;
                Ok::<_, DbError>(())
            })
        })
        .await?;
    outbound::note(
        app,
        conversation.id,
        sentences::notes::HUMAN_REQUESTED,
        Intent::HumanRequested,
    )
    .await?;
    outbound::publish_conversation(app, conversation.id).await;
    Ok(())
}

/// Cancels the customer's next appointment; the sentence that says what happened.
async fn cancel_next_appointment(
    app: &AppState,
    contact: &Contact,
    conversation_id: i64,
    now: DateTime<Utc>,
) -> Result<String, ProcessError> {
    let contact_id = contact.id;
    let cancelled = app
        .db
        .transaction(move |tx| {
            Box::pin(async move {
                let cancelled = knowledge::cancel_next_appointment(&mut *tx, contact_id, now).await?;
                if cancelled.is_some() {
                    contacts::set_outcome(&mut *tx, contact_id, Outcome::Cancelled, now).await?;
                }
                Ok::<_, DbError>(cancelled)
            })
        })
        .await?;
    if cancelled.is_some() {
        outbound::publish_conversation(app, conversation_id).await; // the outcome changed
    }
    let lang = language_of(&app.settings.business, contact);
    Ok(match cancelled {
        Some(cancelled) => sentences::cancelled(
            &lang,
            &cancelled.service_name,
            app.settings.business.timezone,
            cancelled.starts_at,
        ),
        None => sentences::no_appointment_to_cancel(&lang),
    })
}

async fn opt_out(
    app: &AppState,
    contact: &Contact,
    conversation: &Conversation,
    message: &Message,
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    if contact.opted_out_at.is_some() {
        // One confirmation is enough; a repeated STOP gets silence.
        return Ok(());
    }
    contacts::set_opted_out(&app.db, contact.id, true, now).await?;
    let text = sentences::opted_out(&language_of(&app.settings.business, contact));
    let confirmation = Reply::answer(message, &text, Intent::OptOut);
    outbound::reply(app, contact, conversation.id, confirmation).await?;
    outbound::publish_conversation(app, conversation.id).await;
    Ok(())
}
