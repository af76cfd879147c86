//! The path of one customer message (the seed's `process_incoming_message`): store it once,
//! handle the keywords and human mode, ask the AI, then act on what it understood. The AI
//! proposes; this code decides what is saved, booked and sent.

use chrono::{DateTime, Utc};

use super::booking::{self, BookingStep, Talk};
use super::flow::{Confirmation, FlowState};
use super::jobs::{schedule, ConversationJob, JobKind};
use super::outbound::{self, Delivery, Reply};
use super::{sentences, ProcessError};
use crate::model::{
    Author, ConsentSource, Contact, Conversation, ConversationMode, CustomerContext, DeliveryStatus, InboxEvent,
    Intent, Message, NameSource, Outcome,
};
use crate::server::ai::{AiContext, AiError, AiReply, Turn, Understanding, MAX_NAME_ASKS};
use crate::server::db::arrivals::{self, Arrival, Incoming};
use crate::server::db::conversations::{self, ConversationState, ReplyChanges};
use crate::server::db::{contacts, knowledge, DbError};
use crate::server::i18n::{self, Lang};
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
    /// A campaign message to the contact waits for an answer.
    campaign_waiting: bool,
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
        campaign_waiting,
    } = received;
    // An answer to a campaign message counts as the campaign's reply.
    if campaign_waiting {
        crate::server::db::campaigns::mark_replied(&app.db, contact.id, now).await?;
    }
    let lang = i18n::language_of(&app.settings.business, &contact);
    if !inbound.is_text() {
        let text = sentences::unsupported_message(&lang);
        let unsupported = Reply::answer(&message, &text, Intent::Other);
        outbound::reply(app, &contact, conversation.id, unsupported).await?;
        return Ok(());
    }
    match inbound.body.trim().to_uppercase().as_str() {
        "STOP" | "UNSUBSCRIBE" => return opt_out(app, &contact, &conversation, &message, &lang, now).await,
        // START is the customer's own marketing consent, whether or not they had opted out.
        "START" if contact.opted_out_at.is_none() => {
            contacts::set_consent(&app.db, contact.id, Some(ConsentSource::Customer), now).await?;
        }
        "START" => {
            let contact_id = contact.id;
            app.db
                .transaction(move |tx| {
                    Box::pin(async move {
                        contacts::set_opted_out(&mut *tx, contact_id, false, now).await?;
                        contacts::set_consent(&mut *tx, contact_id, Some(ConsentSource::Customer), now).await
                    })
                })
                .await
                .map_err(ProcessError::Db)?;
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
    let context = context(app, &contact, &message, &flow, lang, now).await?;
    match app.ai.reply(&context).await {
        Ok(answer) => act(app, &contact, &conversation, &message, &mut flow, answer, now).await,
        Err(error) => {
            fall_back(
                app,
                &contact,
                &conversation,
                &message,
                &mut flow,
                &context.language,
                error,
            )
            .await
        }
    }
}

/// Stores the message and its contact. `None` when an earlier attempt already answered it
/// (an answer stored but not yet handed to WhatsApp is sent now rather than never).
async fn receive(
    app: &AppState,
    inbound: &InboundMessage,
    now: DateTime<Utc>,
) -> Result<Option<Received>, ProcessError> {
    let incoming = Incoming {
        from: &inbound.from,
        profile_name: inbound.profile_name.as_deref(),
        wa_message_id: &inbound.wa_message_id,
        body: &inbound.body,
        sent_at: inbound.sent_at.min(now),
    };
    let Arrival {
        contact,
        conversation: ConversationState {
            conversation,
            flow_state,
        },
        message,
        campaign_waiting,
    } = arrivals::store(&app.db, &incoming, now).await?;
    tracing::Span::current().record("conversation_id", conversation.id);
    app.hub.publish(InboxEvent::ConversationChanged {
        conversation: conversation.clone(),
    });

    let message = match message {
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
        campaign_waiting,
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
    language: Lang,
    now: DateTime<Utc>,
) -> Result<AiContext, ProcessError> {
    let (history, appointments) = conversations::memory_of_contact(&app.db, contact.id, MEMORY_MESSAGES + 1).await?;
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
        offered: flow
            .offer
            .iter()
            .flat_map(|offer| &offer.slots)
            .map(|slot| {
                let when = i18n::when(&language, business.timezone, slot.starts_at);
                format!("{when} ({})", slot.staff_name)
            })
            .collect(),
        confirming: flow.confirming.as_ref().map(|c| match c {
            Confirmation::Cancel { .. } => "cancel their next appointment".to_string(),
            Confirmation::Move { starts_at, .. } => format!(
                "move their next appointment to {}",
                i18n::when(&language, business.timezone, *starts_at)
            ),
        }),
        language,
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
    lang: &Lang,
    error: AiError,
) -> Result<(), ProcessError> {
    tracing::warn!(%error, "AI answer failed; the message will be retried");
    if flow.fallback_sent_for != Some(message.id) {
        // Not an answer to the message (reply_to stays empty), so the retry still answers it.
        outbound::reply(
            app,
            contact,
            conversation.id,
            Reply::unprompted(&sentences::fallback(lang), None),
        )
        .await?;
        flow.fallback_sent_for = Some(message.id);
        conversations::set_flow_state(&app.db, conversation.id, &flow.write()).await?;
    }
    let retry_after = match &error {
        AiError::Unavailable { retry_after, .. } => *retry_after,
        _ => None,
    };
    Err(ProcessError::Retry(error.to_string(), retry_after))
}

/// Acts on everything the message was understood to say, then sends one answer: the
/// code's sentences where it decided (bookings, changes, handover), else the receptionist's
/// own. Read top to bottom: a pending question first, then the person, the name, and the
/// booking, which together make the reply.
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
    let u = &answer.understanding;
    let (lang, new_language) = language(app, contact, u);
    if u.has(Intent::OptOut) {
        if new_language {
            contacts::set_language(&app.db, contact.id, Some(lang.code())).await?;
        }
        return opt_out(app, contact, conversation, message, &lang, now).await;
    }
    let mut decided: Vec<String> = Vec::new();
    let mut intent = u.main_intent();
    // An answer to "Shall I …?": only a clear yes acts; anything else changes nothing.
    if let Some(confirmation) = flow.confirming.take() {
        if u.has(Intent::Yes) && !u.negated {
            let talk = talk(contact, conversation, flow, &lang, now);
            let step = booking::confirmed(app, talk, confirmation).await?;
            intent = said(step, &mut decided).unwrap_or(Intent::Yes);
        } else if u.has(Intent::No) || u.negated {
            decided.push(sentences::nothing_to_confirm(&lang));
            intent = Intent::No;
        }
    }
    if u.has(Intent::HumanRequested) {
        hand_to_staff(app, contact, conversation, now).await?;
        decided.push(sentences::human_handover(&lang));
    }
    let new_name = u.customer_name.as_deref().filter(|_| u.has(Intent::NameProvided));
    if let Some(name) = new_name {
        contacts::set_name(&app.db, contact.id, Some(name), NameSource::Customer).await?;
        outbound::publish_conversation(app, conversation.id).await;
    }
    if decided.is_empty() {
        let event = act_on_booking(app, contact, conversation, flow, &lang, u, now, &mut decided).await?;
        // A reply says "booked" only when something was booked.
        intent = event.unwrap_or(match intent {
            Intent::BookingConfirmed => Intent::BookingRequest,
            other => other,
        });
    }
    let text = match (decided.is_empty(), new_name) {
        (true, _) => answer.text.clone(),
        (false, Some(name)) => format!("{} {}", sentences::name_thanks(&lang, name), decided.join(" ")),
        (false, None) => decided.join(" "),
    };
    // Counting stops at the limit, so a conversation that no longer asks keeps its state.
    if contact.name.is_none() && new_name.is_none() && flow.name_asks < MAX_NAME_ASKS {
        flow.name_asks += 1;
    }
    flow.fallback_sent_for = None;
    // Most messages leave the flow as it was: nothing more to write for them.
    let flow_state = (*flow != flow_before).then(|| flow.write());
    let reply = Reply {
        ai: Some(&answer),
        changes: ReplyChanges {
            flow_state: flow_state.as_deref(),
            language: new_language.then(|| (contact.id, lang.code())),
        },
        ..Reply::answer(message, &text, intent)
    };
    outbound::reply(app, contact, conversation.id, reply).await?;
    if new_language {
        outbound::publish_conversation(app, conversation.id).await;
    }
    Ok(())
}

/// The booking part of a message: cancel, move, pick an offered time, or ask for one. The
/// code's answer goes into `decided`; nothing there means the receptionist's own words
/// stand. Returns what happened, if anything did.
#[allow(clippy::too_many_arguments)]
async fn act_on_booking(
    app: &AppState,
    contact: &Contact,
    conversation: &Conversation,
    flow: &mut FlowState,
    lang: &Lang,
    u: &Understanding,
    now: DateTime<Utc>,
    decided: &mut Vec<String>,
) -> Result<Option<Intent>, ProcessError> {
    let said_booking = u.booking.clone().unwrap_or_default();
    let talk = talk(contact, conversation, flow, lang, now);
    let step = if u.has(Intent::BookingCancelled) {
        let upcoming = knowledge::next_appointment(&app.db, contact.id, now).await?;
        if upcoming.is_none() && talk.flow.booking.is_some() && !u.negated {
            return abandon(app, contact, talk.flow, lang, now, decided).await;
        }
        booking::ask_to_cancel(app, talk, u.negated).await?
    } else if u.has(Intent::BookingReschedule) {
        booking::reschedule(app, talk, said_booking).await?
    } else if let Some(choice) = u.choice.as_ref().filter(|_| talk.flow.offer.is_some()) {
        booking::take_choice(app, talk, choice).await?
    } else if u.has(Intent::BookingRequest) || u.has(Intent::BookingConfirmed) {
        booking::step(app, talk, said_booking).await?
    } else if u.has(Intent::BookingAbandoned) {
        return abandon(app, contact, talk.flow, lang, now, decided).await;
    } else {
        return Ok(None);
    };
    Ok(said(step, decided))
}

/// Puts a booking step's answer into the reply; what happened, if anything did.
fn said(step: BookingStep, decided: &mut Vec<String>) -> Option<Intent> {
    match step {
        BookingStep::NeedsDetails => None,
        BookingStep::Answer { text, event } => {
            decided.push(text);
            event
        }
    }
}

async fn abandon(
    app: &AppState,
    contact: &Contact,
    flow: &mut FlowState,
    lang: &Lang,
    now: DateTime<Utc>,
    decided: &mut Vec<String>,
) -> Result<Option<Intent>, ProcessError> {
    contacts::set_outcome(&app.db, contact.id, Outcome::BookingAbandoned, now).await?;
    flow.booking = None;
    flow.offer = None;
    decided.push(sentences::booking_abandoned(lang));
    Ok(Some(Intent::BookingAbandoned))
}

fn talk<'a>(
    contact: &'a Contact,
    conversation: &'a Conversation,
    flow: &'a mut FlowState,
    lang: &'a Lang,
    now: DateTime<Utc>,
) -> Talk<'a> {
    Talk {
        contact,
        conversation,
        flow,
        lang,
        now,
    }
}

/// The language to answer in: the message's own when it can be told, else the contact's,
/// else the business's; and whether it is new for the contact (to be remembered then).
fn language(app: &AppState, contact: &Contact, u: &Understanding) -> (Lang, bool) {
    match u.language.as_deref().and_then(Lang::parse) {
        Some(said) => {
            let new = contact.language.as_deref() != Some(said.code());
            (said, new)
        }
        None => (i18n::language_of(&app.settings.business, contact), false),
    }
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

async fn opt_out(
    app: &AppState,
    contact: &Contact,
    conversation: &Conversation,
    message: &Message,
    lang: &Lang,
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    if contact.opted_out_at.is_some() {
        // One confirmation is enough; a repeated STOP gets silence.
        return Ok(());
    }
    contacts::set_opted_out(&app.db, contact.id, true, now).await?;
    let text = sentences::opted_out(lang);
    let confirmation = Reply::answer(message, &text, Intent::OptOut);
    outbound::reply(app, contact, conversation.id, confirmation).await?;
    outbound::publish_conversation(app, conversation.id).await;
    Ok(())
}
