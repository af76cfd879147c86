//! The message controller (the seed's `process_incoming_message`): from a stored inbound
//! WhatsApp message to the bot's reply, acting on what the AI understood. The AI proposes;
//! this code decides what is saved, booked and sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};

use super::ai::{Ai, AiContext, AiError, AiReply, BookingFields, Turn, MAX_NAME_ASKS};
use super::booking::{self, KnowledgeSnapshot, PartOfDay, SlotQuery};
use super::config::Settings;
use super::db::conversations::{self, NewMessage};
use super::db::jobs::{self, NewJob};
use super::db::{contacts, knowledge, Db, DbError};
use super::realtime::Hub;
use super::whatsapp::payload::InboundMessage;
use super::whatsapp::sender::{SendError, Sender};
use crate::model::{
    Author, BookingSource, Contact, Conversation, ConversationMode, CustomerContext, DeliveryStatus, InboxEvent,
    Intent, Message, NameSource, Outcome, StaffUser,
};

/// How long the business knowledge is reused before it is read again.
const KNOWLEDGE_TTL: Duration = Duration::from_secs(30);
/// How much history the AI sees.
const MEMORY_MESSAGES: i64 = 20;
/// Slots offered in one reply.
const OFFERED_SLOTS: usize = 3;
/// How far ahead to look when the asked-for day is full.
const SEARCH_DAYS: i64 = 14;

pub const FALLBACK_REPLY: &str = "Sorry, I'm having a little trouble right now. I'll get back to you in a moment.";
const UNSUPPORTED_REPLY: &str = "Thanks! I can only read text messages for now. Could you type your question?";
const OPTED_OUT_REPLY: &str =
    "You're unsubscribed and won't get messages from us. Reply START any time to opt back in.";
const OPTED_IN_REPLY: &str = "Welcome back! You'll hear from us again. How can I help?";
const HOLDING_REPLY: &str = "Thanks for your patience. A member of our team has your message and will reply shortly.";

/// Job kinds the scheduler runs.
pub const JOB_INBOUND: &str = "inbound";
pub const JOB_BOOKING_FOLLOWUP: &str = "booking_followup";
pub const JOB_HUMAN_HOLD: &str = "human_hold";
pub const JOB_DELIVER: &str = "deliver";

#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Try the job again later (AI down, WhatsApp busy).
    #[error("{0}")]
    Retry(String, Option<Duration>),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("bad job payload: {0}")]
    BadPayload(String),
}

/// Why a staff reply was not sent.
#[derive(Debug, thiserror::Error)]
pub enum StaffReplyError {
    #[error(
        "The customer's last message is more than 24 hours old, so WhatsApp only allows an approved template now."
    )]
    OutsideWindow,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// What the conversation is in the middle of, kept in `conversations.flow_state`.
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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingBooking {
    pub fields: BookingFields,
    pub updated_at_ms: i64,
    #[serde(default)]
    pub followed_up: bool,
}

impl FlowState {
    fn read(text: &str) -> FlowState {
        serde_json::from_str(text).unwrap_or_default()
    }

    fn write(&self) -> String {
        serde_json::to_string(self).expect("flow state serialises")
    }
}

#[derive(Serialize, Deserialize)]
struct ConversationJob {
    conversation_id: i64,
    #[serde(default)]
    message_id: Option<i64>,
    #[serde(default)]
    updated_at_ms: Option<i64>,
}

pub struct Pipeline {
    pub db: Db,
    pub ai: Ai,
    pub sender: Sender,
    pub hub: Hub,
    pub settings: Arc<Settings>,
    knowledge: RwLock<Option<(Instant, Arc<KnowledgeSnapshot>)>>,
    /// Bookings run one at a time, so checking a slot and taking it cannot interleave.
    booking_lock: Mutex<()>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("ai", &self.ai.label())
            .finish_non_exhaustive()
    }
}

impl Pipeline {
    pub fn new(db: Db, ai: Ai, sender: Sender, hub: Hub, settings: Arc<Settings>) -> Pipeline {
        Pipeline {
            db,
            ai,
            sender,
            hub,
            settings,
            knowledge: RwLock::new(None),
            booking_lock: Mutex::new(()),
        }
    }

    pub async fn knowledge(&self) -> Result<Arc<KnowledgeSnapshot>, DbError> {
        if let Some((loaded, snapshot)) = self.knowledge.read().await.as_ref() {
            if loaded.elapsed() < KNOWLEDGE_TTL {
                return Ok(snapshot.clone());
            }
        }
        let snapshot = Arc::new(KnowledgeSnapshot::load(&self.db).await?);
        *self.knowledge.write().await = Some((Instant::now(), snapshot.clone()));
        Ok(snapshot)
    }

    /// Runs one job of the kinds above.
    pub async fn run_job(&self, kind: &str, payload: &str) -> Result<(), ProcessError> {
        match kind {
            JOB_INBOUND => {
                let inbound: InboundMessage =
                    serde_json::from_str(payload).map_err(|e| ProcessError::BadPayload(e.to_string()))?;
                self.process_incoming_message(&inbound).await
            }
            JOB_BOOKING_FOLLOWUP | JOB_HUMAN_HOLD | JOB_DELIVER => {
                let job: ConversationJob =
                    serde_json::from_str(payload).map_err(|e| ProcessError::BadPayload(e.to_string()))?;
                match kind {
                    JOB_BOOKING_FOLLOWUP => self.follow_up_abandoned_booking(&job).await,
                    JOB_HUMAN_HOLD => self.hold_waiting_customer(&job).await,
                    _ => self.deliver(&job).await,
                }
            }
            other => Err(ProcessError::BadPayload(format!("unknown job kind `{other}`"))),
        }
    }

    /// Called when a job has used all its attempts: staff must look at the conversation.
    pub async fn give_up(&self, kind: &str, payload: &str) {
        let conversation_id = match kind {
            JOB_INBOUND => match serde_json::from_str::<InboundMessage>(payload) {
                Ok(inbound) => match contacts::find_contact_by_wa_id(&self.db, &inbound.from).await {
                    Ok(Some(contact)) => conversations::get_or_create_conversation(&self.db, contact.id, Utc::now())
                        .await
                        .ok()
                        .map(|c| c.id),
                    _ => None,
                },
                Err(_) => None,
            },
            _ => serde_json::from_str::<ConversationJob>(payload)
                .ok()
                .map(|j| j.conversation_id),
        };
        if let Some(id) = conversation_id {
            if conversations::set_needs_attention(&self.db, id, true).await.is_ok() {
                self.publish_conversation(id).await;
            }
        }
    }

    /// The whole path of one customer message. Safe to run again for the same message: it
    /// is stored once (by its WhatsApp id) and answered once.
    pub async fn process_incoming_message(&self, inbound: &InboundMessage) -> Result<(), ProcessError> {
        let now = Utc::now();
        let sent_at = inbound.sent_at.min(now);
        let profile_name = inbound.profile_name.as_deref();
        let contact =
            contacts::get_or_create_contact(&self.db, &inbound.from, profile_name, now, Some(sent_at)).await?;
        let conversation = conversations::get_or_create_conversation(&self.db, contact.id, now).await?;
        self.hub.publish(InboxEvent::ConversationChanged {
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
        let message = match conversations::insert_inbound_message(&self.db, &new).await? {
            Some(message) => {
                self.publish_message(&message);
                message
            }
            // Stored by an earlier attempt of this job, which may also have answered it.
            None => {
                let stored = conversations::find_message_by_wa_id(&self.db, &inbound.wa_message_id)
                    .await?
                    .ok_or(DbError::NotFound("stored message"))?;
                if let Some(reply) = conversations::reply_to(&self.db, stored.id).await? {
                    // The answer was stored, but the app stopped before handing it to
                    // WhatsApp: send it now rather than never.
                    if reply.status == DeliveryStatus::Pending {
                        self.send(&contact, &reply, false).await?;
                    }
                    return Ok(());
                }
                stored
            }
        };

        if !inbound.is_text() {
            self.reply(
                &contact,
                &conversation,
                Some(&message),
                UNSUPPORTED_REPLY,
                Some(Intent::Other),
                None,
            )
            .await?;
            return Ok(());
        }
        match inbound.body.trim().to_uppercase().as_str() {
            "STOP" | "UNSUBSCRIBE" => return self.opt_out(&contact, &conversation, &message, now).await,
            "START" if contact.opted_out_at.is_some() => {
                contacts::set_opted_out(&self.db, contact.id, false, now).await?;
                let reply = Some(Intent::Other);
                self.reply(&contact, &conversation, Some(&message), OPTED_IN_REPLY, reply, None)
                    .await?;
                return Ok(());
            }
            _ => {}
        }
        if conversation.mode == ConversationMode::Human {
            // Staff are answering: the bot stays silent, but the customer is not forgotten.
            let job = ConversationJob {
                conversation_id: conversation.id,
                message_id: Some(message.id),
                updated_at_ms: None,
            };
            self.schedule(
                JOB_HUMAN_HOLD,
                &job,
                format!("hold:{}", message.id),
                now + self.settings.conversations.human_hold,
            )
            .await?;
            return Ok(());
        }

        let mut flow = FlowState::read(&conversation.flow_state);
        let context = self.context(&contact, &message, &flow, now).await?;
        let answer = match self.ai.reply(&context).await {
            Ok(answer) => answer,
            Err(error) => {
                return self
                    .fall_back(&contact, &conversation, &message, &mut flow, error)
                    .await
            }
        };
        self.act(&contact, &conversation, &message, &mut flow, answer, now)
            .await
    }

    async fn context(
        &self,
        contact: &Contact,
        message: &Message,
        flow: &FlowState,
        now: DateTime<Utc>,
    ) -> Result<AiContext, ProcessError> {
        let history = conversations::history_for_contact(&self.db, contact.id, MEMORY_MESSAGES + 1).await?;
        let appointments = knowledge::appointments_for_contact(&self.db, contact.id).await?;
        let earlier: Vec<&Message> = history.iter().filter(|m| m.id != message.id).collect();
        // Returning: we know their name and they have written to us before.
        let returning = contact.name.is_some() && earlier.iter().any(|m| m.author == Author::Customer);
        let business = &self.settings.business;
        Ok(AiContext {
            business_name: business.name.clone(),
            timezone: business.timezone,
            currency: business.currency.clone(),
            knowledge: self.knowledge().await?,
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

    /// The AI failed or answered nonsense: the customer gets one short fallback and the
    /// message is tried again later.
    async fn fall_back(
        &self,
        contact: &Contact,
        conversation: &Conversation,
        message: &Message,
        flow: &mut FlowState,
        error: AiError,
    ) -> Result<(), ProcessError> {
        tracing::warn!(conversation_id = conversation.id, %error, "AI answer failed; the message will be retried");
        if flow.fallback_sent_for != Some(message.id) {
            // Not a reply to the message (reply_to stays empty), so the retry still answers it.
            self.reply(contact, conversation, None, FALLBACK_REPLY, None, None)
                .await?;
            flow.fallback_sent_for = Some(message.id);
            conversations::set_flow_state(&self.db, conversation.id, &flow.write()).await?;
        }
        let retry_after = match &error {
            AiError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        };
        Err(ProcessError::Retry(error.to_string(), retry_after))
    }

    async fn act(
        &self,
        contact: &Contact,
        conversation: &Conversation,
        message: &Message,
        flow: &mut FlowState,
        answer: AiReply,
        now: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        let mut text = answer.text.clone();
        let mut intent = answer.intent;
        match answer.intent {
            Intent::NameProvided => {
                if let Some(name) = &answer.customer_name {
                    contacts::set_name(&self.db, contact.id, Some(name), NameSource::Customer).await?;
                    self.publish_conversation(conversation.id).await;
                }
            }
            Intent::HumanRequested => {
                conversations::set_mode(&self.db, conversation.id, ConversationMode::Human).await?;
                conversations::set_needs_attention(&self.db, conversation.id, true).await?;
                contacts::set_outcome(&self.db, contact.id, Outcome::HumanHandled, now).await?;
                self.note(
                    conversation,
                    "The customer asked for a person. The bot is paused.",
                    Intent::HumanRequested,
                )
                .await?;
                self.publish_conversation(conversation.id).await;
            }
            Intent::OptOut => return self.opt_out(contact, conversation, message, now).await,
            Intent::BookingCancelled => {
                text = match knowledge::cancel_next_appointment(&self.db, contact.id, now).await? {
                    Some(cancelled) => {
                        contacts::set_outcome(&self.db, contact.id, Outcome::Cancelled, now).await?;
                        format!(
                            "Your {} on {} is cancelled.",
                            cancelled.service_name.to_lowercase(),
                            booking::describe(self.settings.business.timezone, cancelled.starts_at)
                        )
                    }
                    None => "I couldn't find an upcoming appointment to cancel.".to_string(),
                };
                flow.booking = None;
            }
            Intent::BookingAbandoned => {
                contacts::set_outcome(&self.db, contact.id, Outcome::BookingAbandoned, now).await?;
                flow.booking = None;
            }
            Intent::BookingRequest | Intent::BookingConfirmed => {
                let (decided, booked) = self.handle_booking(contact, conversation, flow, &answer, now).await?;
                if let Some(decided) = decided {
                    text = decided;
                }
                if booked {
                    intent = Intent::BookingConfirmed;
                } else if intent == Intent::BookingConfirmed {
                    intent = Intent::BookingRequest;
                }
            }
            _ => {}
        }
        // Counting stops at the limit, so a conversation that no longer asks keeps its state.
        if contact.name.is_none() && answer.intent != Intent::NameProvided && flow.name_asks < MAX_NAME_ASKS {
            flow.name_asks += 1;
        }
        flow.fallback_sent_for = None;
        let flow_state = flow.write();
        if flow_state != conversation.flow_state {
            conversations::set_flow_state(&self.db, conversation.id, &flow_state).await?;
        }
        self.reply(contact, conversation, Some(message), &text, Some(intent), Some(&answer))
            .await?;
        Ok(())
    }

    /// Turns a booking wish into the truth: a booked appointment, or free times to choose
    /// from. Returns the reply to send instead of the AI's (if any) and whether it booked.
    async fn handle_booking(
        &self,
        contact: &Contact,
        conversation: &Conversation,
        flow: &mut FlowState,
        answer: &AiReply,
        now: DateTime<Utc>,
    ) -> Result<(Option<String>, bool), ProcessError> {
        let tz = self.settings.business.timezone;
        let knowledge = self.knowledge().await?;
        let said = answer.booking.clone().unwrap_or_default();
        let fields = match &flow.booking {
            Some(pending) if !pending.followed_up => said.merged_over(&pending.fields),
            _ => said,
        };
        self.remember_booking(conversation, flow, fields.clone(), now).await?;

        let today = booking::local_parts(tz, now).0;
        let Some(service) = fields
            .service
            .as_deref()
            .and_then(|s| knowledge.find_service(s))
            .cloned()
        else {
            return Ok((None, false));
        };
        let Some(date) = fields.date.as_deref().and_then(|d| parse_date(d, today)) else {
            return Ok((None, false));
        };
        let staff_id = fields
            .staff
            .as_deref()
            .and_then(|s| knowledge.find_staff(s))
            .map(|s| s.id);
        let part_of_day = fields.part_of_day.as_deref().and_then(PartOfDay::parse);
        let what = service.name.to_lowercase();

        if let Some((hour, minute)) = fields.time.as_deref().and_then(booking::parse_time) {
            let Some(starts_at) = booking::at_local(tz, date, hour, minute) else {
                return Ok((
                    Some("That time does not exist on that day. Which other time suits you?".into()),
                    false,
                ));
            };
            let booked = {
                let _one_at_a_time = self.booking_lock.lock().await;
                booking::book_if_free(
                    &self.db,
                    &knowledge,
                    tz,
                    contact.id,
                    &service,
                    staff_id,
                    starts_at,
                    now,
                    BookingSource::Bot,
                )
                .await?
            };
            if let Some(booked) = booked {
                flow.booking = None;
                contacts::set_outcome(&self.db, contact.id, Outcome::Booked, now).await?;
                self.publish_conversation(conversation.id).await;
                let thanks = contact.name.as_deref().map(|n| format!(", {n}")).unwrap_or_default();
                return Ok((
                    Some(format!(
                        "You're booked: {what} with {} on {}. See you then{thanks}!",
                        booked.slot.staff_name,
                        booking::describe(tz, booked.slot.starts_at)
                    )),
                    true,
                ));
            }
            // Not free: forget the time, keep the rest, and offer what is free.
            let mut without_time = fields.clone();
            without_time.time = None;
            self.remember_booking(conversation, flow, without_time, now).await?;
            let wanted = SlotQuery {
                service: &service,
                date,
                part_of_day,
                staff_id,
            };
            let offer = self.offer(&knowledge, &wanted, Some(starts_at), now).await?;
            return Ok((
                Some(format!(
                    "Sorry, {} is not available. {offer}",
                    booking::describe(tz, starts_at)
                )),
                false,
            ));
        }
        let wanted = SlotQuery {
            service: &service,
            date,
            part_of_day,
            staff_id,
        };
        let offer = self.offer(&knowledge, &wanted, None, now).await?;
        Ok((Some(offer), false))
    }

    async fn remember_booking(
        &self,
        conversation: &Conversation,
        flow: &mut FlowState,
        fields: BookingFields,
        now: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        let updated_at_ms = now.timestamp_millis();
        flow.booking = Some(PendingBooking {
            fields,
            updated_at_ms,
            followed_up: false,
        });
        // If the customer goes quiet now, follow up once after the configured delay.
        let job = ConversationJob {
            conversation_id: conversation.id,
            message_id: None,
            updated_at_ms: Some(updated_at_ms),
        };
        self.schedule(
            JOB_BOOKING_FOLLOWUP,
            &job,
            format!("followup:{}:{updated_at_ms}", conversation.id),
            now + self.settings.conversations.abandon_after,
        )
        .await
    }

    /// Free times for the service on that day (or the next days with any), as a reply.
    async fn offer(
        &self,
        knowledge: &KnowledgeSnapshot,
        wanted: &SlotQuery<'_>,
        near: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<String, ProcessError> {
        let tz = self.settings.business.timezone;
        let service = wanted.service;
        for offset in 0..SEARCH_DAYS {
            let day = wanted.date + chrono::Duration::days(offset);
            // Only the asked-for day is narrowed to the asked-for part of the day.
            let part_of_day = if offset == 0 { wanted.part_of_day } else { None };
            let query = SlotQuery {
                date: day,
                part_of_day,
                ..*wanted
            };
            let mut slots = booking::free_slots(&self.db, knowledge, tz, &query, now).await?;
            if slots.is_empty() {
                continue;
            }
            // Around a time that was not free, offer the nearest ones, in order of the day.
            if let Some(near) = near.filter(|_| offset == 0) {
                slots.sort_by_key(|s| ((s.starts_at - near).num_minutes().abs(), s.starts_at));
                slots.truncate(OFFERED_SLOTS);
                slots.sort_by_key(|s| s.starts_at);
            }
            let times: Vec<String> = slots
                .iter()
                .take(OFFERED_SLOTS)
                .map(|s| {
                    format!(
                        "{} with {}",
                        s.starts_at.with_timezone(&tz).format("%H:%M"),
                        s.staff_name
                    )
                })
                .collect();
            let day_name = day.format("%A %-d %b");
            let lead = if offset == 0 {
                String::new()
            } else {
                "That day is full. ".to_string()
            };
            return Ok(format!(
                "{lead}For a {} on {day_name} I can offer {}. Which time suits you?",
                service.name.to_lowercase(),
                times.join(", ")
            ));
        }
        Ok(format!(
            "Sorry, I can't find a free time for a {} in the next two weeks. A member of our team will help you.",
            service.name.to_lowercase()
        ))
    }

    async fn opt_out(
        &self,
        contact: &Contact,
        conversation: &Conversation,
        message: &Message,
        now: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        if contact.opted_out_at.is_some() {
            // One confirmation is enough; a repeated STOP gets silence.
            return Ok(());
        }
        contacts::set_opted_out(&self.db, contact.id, true, now).await?;
        self.reply(
            contact,
            conversation,
            Some(message),
            OPTED_OUT_REPLY,
            Some(Intent::OptOut),
            None,
        )
        .await?;
        self.publish_conversation(conversation.id).await;
        Ok(())
    }

    /// A booking left unfinished: mark it abandoned and follow up once, if WhatsApp's
    /// 24-hour window is still open.
    async fn follow_up_abandoned_booking(&self, job: &ConversationJob) -> Result<(), ProcessError> {
        let now = Utc::now();
        let conversation = conversations::get_conversation(&self.db, job.conversation_id).await?;
        let mut flow = FlowState::read(&conversation.flow_state);
        let Some(pending) = flow.booking.as_mut() else {
            return Ok(());
        };
        if pending.followed_up || Some(pending.updated_at_ms) != job.updated_at_ms {
            return Ok(()); // booked, cancelled, followed up, or the customer wrote again since
        }
        pending.followed_up = true;
        let service = pending.fields.service.clone();
        conversations::set_flow_state(&self.db, conversation.id, &flow.write()).await?;
        let contact = &conversation.contact;
        contacts::set_outcome(&self.db, contact.id, Outcome::BookingAbandoned, now).await?;
        self.note(&conversation, "Booking left unfinished.", Intent::BookingAbandoned)
            .await?;
        let window_open = contact.window_open(now);
        if conversation.mode == ConversationMode::Bot && window_open && contact.opted_out_at.is_none() {
            let hello = contact
                .name
                .as_deref()
                .map_or("Hi!".to_string(), |n| format!("Hi {n}!"));
            let what = service.map_or("your appointment".to_string(), |s| format!("your {}", s.to_lowercase()));
            let text = format!(
                "{hello} Would you still like to book {what}? Tell me a day and time and I'll check what's free."
            );
            self.reply(
                contact,
                &conversation,
                None,
                &text,
                Some(Intent::BookingAbandoned),
                None,
            )
            .await?;
        }
        self.publish_conversation(conversation.id).await;
        Ok(())
    }

    /// A customer waiting for staff in human mode gets a holding message once, and the
    /// conversation is flagged.
    async fn hold_waiting_customer(&self, job: &ConversationJob) -> Result<(), ProcessError> {
        let conversation = conversations::get_conversation(&self.db, job.conversation_id).await?;
        let Some(message_id) = job.message_id else {
            return Ok(());
        };
        if conversation.mode != ConversationMode::Human
            || conversations::has_outbound_after(&self.db, conversation.id, message_id).await?
        {
            return Ok(());
        }
        conversations::set_needs_attention(&self.db, conversation.id, true).await?;
        self.reply(&conversation.contact, &conversation, None, HOLDING_REPLY, None, None)
            .await?;
        self.publish_conversation(conversation.id).await;
        Ok(())
    }

    /// Sends again a message WhatsApp asked us to retry.
    async fn deliver(&self, job: &ConversationJob) -> Result<(), ProcessError> {
        let Some(message_id) = job.message_id else {
            return Ok(());
        };
        let message = conversations::get_message(&self.db, message_id).await?;
        if !matches!(message.status, DeliveryStatus::Pending | DeliveryStatus::Failed) {
            return Ok(());
        }
        let conversation = conversations::get_conversation(&self.db, message.conversation_id).await?;
        self.send(&conversation.contact, &message, true).await
    }

    /// Stores the bot's answer, then hands it to WhatsApp.
    async fn reply(
        &self,
        contact: &Contact,
        conversation: &Conversation,
        answering: Option<&Message>,
        text: &str,
        intent: Option<Intent>,
        ai: Option<&AiReply>,
    ) -> Result<Message, ProcessError> {
        let mut new = NewMessage::new(conversation.id, Author::Bot, text, DeliveryStatus::Pending, Utc::now());
        new.intent = intent.map(Intent::as_str);
        new.reply_to_message_id = answering.map(|m| m.id);
        if let Some(ai) = ai {
            new.tokens = (ai.usage.prompt, ai.usage.output, ai.usage.thinking);
        }
        let message = conversations::insert_message(&self.db, &new).await?;
        self.publish_message(&message);
        self.send(contact, &message, false).await?;
        Ok(message)
    }

    /// A note for staff in the chat; customers never receive it.
    async fn note(&self, conversation: &Conversation, text: &str, intent: Intent) -> Result<(), ProcessError> {
        let mut new = NewMessage::new(conversation.id, Author::System, text, DeliveryStatus::Read, Utc::now());
        new.intent = Some(intent.as_str());
        let message = conversations::insert_message(&self.db, &new).await?;
        self.publish_message(&message);
        Ok(())
    }

    async fn send(&self, contact: &Contact, message: &Message, is_retry: bool) -> Result<(), ProcessError> {
        let result = self.sender.send_text(&contact.wa_id, &message.body).await;
        let (wa_id, status, error) = match &result {
            Ok(wa_id) => (Some(wa_id.as_str()), DeliveryStatus::Sent, None),
            Err(error) => (None, DeliveryStatus::Failed, Some(error.to_string())),
        };
        conversations::set_send_result(&self.db, message.id, wa_id, status, error.as_deref()).await?;
        self.hub.publish(InboxEvent::DeliveryStatusChanged {
            wa_message_id: wa_id.unwrap_or_default().to_string(),
            status,
        });
        match result {
            Ok(_) => Ok(()),
            Err(error @ SendError::RetryLater(_)) if is_retry => Err(ProcessError::Retry(error.to_string(), None)),
            Err(error @ SendError::RetryLater(_)) => {
                tracing::warn!(message_id = message.id, %error, "WhatsApp asked us to retry; scheduled");
                let job = ConversationJob {
                    conversation_id: message.conversation_id,
                    message_id: Some(message.id),
                    updated_at_ms: None,
                };
                self.schedule(
                    JOB_DELIVER,
                    &job,
                    format!("deliver:{}", message.id),
                    Utc::now() + chrono::Duration::seconds(10),
                )
                .await
            }
            Err(error) => {
                tracing::warn!(message_id = message.id, %error, "WhatsApp refused a message");
                Ok(())
            }
        }
    }

    async fn schedule(
        &self,
        kind: &str,
        job: &ConversationJob,
        dedupe_key: String,
        run_at: DateTime<Utc>,
    ) -> Result<(), ProcessError> {
        let payload = serde_json::to_string(job).expect("job payload serialises");
        let new = NewJob {
            kind,
            payload,
            dedupe_key: Some(dedupe_key),
            lane: None,
            run_at,
            max_attempts: 5,
        };
        jobs::enqueue(&self.db, &[new], Utc::now()).await?;
        Ok(())
    }

    /// "Take over" / "Hand back to bot" from the inbox.
    pub async fn set_mode_by_staff(
        &self,
        conversation_id: i64,
        mode: ConversationMode,
        staff: &StaffUser,
    ) -> Result<Conversation, DbError> {
        let conversation = conversations::get_conversation(&self.db, conversation_id).await?;
        if conversation.mode != mode {
            conversations::set_mode(&self.db, conversation_id, mode).await?;
            conversations::assign(
                &self.db,
                conversation_id,
                (mode == ConversationMode::Human).then_some(staff.id),
            )
            .await?;
            conversations::set_needs_attention(&self.db, conversation_id, false).await?;
            let note = match mode {
                ConversationMode::Human => {
                    contacts::set_outcome(&self.db, conversation.contact.id, Outcome::HumanHandled, Utc::now()).await?;
                    format!("{} took over. The bot is paused.", staff.email)
                }
                ConversationMode::Bot => format!("{} handed the conversation back to the bot.", staff.email),
            };
            let mut new = NewMessage::new(conversation_id, Author::System, &note, DeliveryStatus::Read, Utc::now());
            new.staff_user_id = Some(staff.id);
            let message = conversations::insert_message(&self.db, &new).await?;
            self.publish_message(&message);
        }
        let conversation = conversations::get_conversation(&self.db, conversation_id).await?;
        self.hub.publish(InboxEvent::ConversationChanged {
            conversation: conversation.clone(),
        });
        Ok(conversation)
    }

    /// A reply typed by staff in the inbox, sent through WhatsApp like the bot's.
    pub async fn send_staff_reply(
        &self,
        conversation_id: i64,
        staff: &StaffUser,
        text: &str,
    ) -> Result<Message, StaffReplyError> {
        let now = Utc::now();
        let conversation = conversations::get_conversation(&self.db, conversation_id).await?;
        let contact = &conversation.contact;
        if !contact.window_open(now) {
            return Err(StaffReplyError::OutsideWindow);
        }
        let mut new = NewMessage::new(conversation_id, Author::Staff, text, DeliveryStatus::Pending, now);
        new.staff_user_id = Some(staff.id);
        let message = conversations::insert_message(&self.db, &new).await?;
        self.publish_message(&message);
        conversations::set_needs_attention(&self.db, conversation_id, false).await?;
        match self.send(contact, &message, false).await {
            Ok(()) => {}
            Err(ProcessError::Db(error)) => return Err(error.into()),
            Err(error) => tracing::warn!(%error, "staff reply not sent yet"),
        }
        self.publish_conversation(conversation_id).await;
        Ok(conversations::get_message(&self.db, message.id).await?)
    }

    fn publish_message(&self, message: &Message) {
        self.hub.publish(InboxEvent::MessageCreated {
            conversation_id: message.conversation_id,
            message: message.clone(),
        });
    }

    async fn publish_conversation(&self, conversation_id: i64) {
        if !self.hub.has_listeners() {
            return; // no need to read it: nobody has the inbox open (a new one loads it fresh)
        }
        match conversations::get_conversation(&self.db, conversation_id).await {
            Ok(conversation) => self.hub.publish(InboxEvent::ConversationChanged { conversation }),
            Err(error) => tracing::warn!(%error, "cannot read a conversation to publish it"),
        }
    }
}

/// `YYYY-MM-DD` from a model, or a day in words from a person.
fn parse_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| booking::parse_day(text, today))
}

/// The job that processes one inbound message: deduplicated by WhatsApp message id, in the
/// lane of its sender so one customer's messages are answered in order.
pub fn inbound_job(message: &InboundMessage, now: DateTime<Utc>) -> NewJob<'static> {
    NewJob {
        kind: JOB_INBOUND,
        payload: serde_json::to_string(message).expect("inbound message serialises"),
        dedupe_key: Some(format!("wamid:{}", message.wa_message_id)),
        lane: Some(format!("contact:{}", message.from.as_str())),
        run_at: now,
        max_attempts: 8,
    }
}
