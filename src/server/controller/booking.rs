//! The booking conversation: turns what the customer has said so far into the truth — a
//! booked appointment, or free times to choose from. The slots themselves come from
//! [`crate::server::booking`].

use chrono::{DateTime, NaiveDate, Utc};

use super::flow::{FlowState, PendingBooking};
use super::jobs::{schedule, ConversationJob, JobKind};
use super::{outbound, sentences, ProcessError};
use crate::model::{BookingSource, Contact, Conversation, Outcome};
use crate::server::ai::BookingFields;
use crate::server::booking::{self as engine, Booked, BookingRequest, KnowledgeSnapshot, PartOfDay, SlotQuery};
use crate::server::db::{contacts, DbError};
use crate::server::i18n::{language_of, Lang};
use crate::server::state::AppState;

/// Slots offered in one reply.
const OFFERED_SLOTS: usize = 3;
/// How far ahead to look when the asked-for day is full.
const SEARCH_DAYS: i64 = 14;

/// Where one message left the booking.
#[derive(Debug, PartialEq, Eq)]
pub enum BookingStep {
    /// The service or the day is not known yet: the AI's own question stands.
    NeedsDetails,
    /// An appointment exists.
    Booked { confirmation: String },
    /// Free times to choose from, or why there are none.
    Offered { offer: String },
}

/// The conversation a booking step happens in.
pub struct Talk<'a> {
    pub contact: &'a Contact,
    pub conversation: &'a Conversation,
    pub flow: &'a mut FlowState,
    /// When the customer wrote.
    pub now: DateTime<Utc>,
}

/// One step of the booking conversation, with what the customer just said (`said`) merged
/// over what they said before.
pub async fn step(app: &AppState, talk: Talk<'_>, said: BookingFields) -> Result<BookingStep, ProcessError> {
    let tz = app.settings.business.timezone;
    let lang = language_of(&app.settings.business, talk.contact);
    let knowledge = app.knowledge.get(&app.db).await?;
    let fields = match &talk.flow.booking {
        Some(pending) if !pending.followed_up => said.merged_over(&pending.fields),
        _ => said,
    };
    remember(app, talk.conversation, talk.flow, fields.clone(), talk.now).await?;

    let today = engine::local_parts(tz, talk.now).0;
    let Some(service) = fields
        .service
        .as_deref()
        .and_then(|s| knowledge.find_service(s))
        .cloned()
    else {
        return Ok(BookingStep::NeedsDetails);
    };
    let Some(date) = fields.date.as_deref().and_then(|d| parse_date(d, today)) else {
        return Ok(BookingStep::NeedsDetails);
    };
    let wanted = SlotQuery {
        service: &service,
        date,
        part_of_day: fields.part_of_day.as_deref().and_then(PartOfDay::parse),
        staff_id: fields
            .staff
            .as_deref()
            .and_then(|s| knowledge.find_staff(s))
            .map(|s| s.id),
    };
    let Some((hour, minute)) = fields.time.as_deref().and_then(engine::parse_time) else {
        let offer = offer(app, &lang, &knowledge, &wanted, None, talk.now).await?;
        return Ok(BookingStep::Offered { offer });
    };
    let Some(starts_at) = engine::at_local(tz, date, hour, minute) else {
        let offer = sentences::time_does_not_exist(&lang);
        return Ok(BookingStep::Offered { offer });
    };
    book_or_offer(app, talk, &knowledge, fields, &wanted, starts_at).await
}

/// The customer named a time (`starts_at`): book it if it is free, else offer the nearest
/// free ones.
async fn book_or_offer(
    app: &AppState,
    talk: Talk<'_>,
    knowledge: &KnowledgeSnapshot,
    fields: BookingFields,
    wanted: &SlotQuery<'_>,
    starts_at: DateTime<Utc>,
) -> Result<BookingStep, ProcessError> {
    let Talk {
        contact,
        conversation,
        flow,
        now,
    } = talk;
    let tz = app.settings.business.timezone;
    let lang = language_of(&app.settings.business, contact);
    let service = wanted.service;
    let request = BookingRequest {
        contact_id: contact.id,
        service: service.clone(),
        staff_id: wanted.staff_id,
        starts_at,
        source: BookingSource::Bot,
    };
    if let Some(booked) = book(app, knowledge, request, now).await? {
        flow.booking = None;
        outbound::publish_conversation(app, conversation.id).await;
        let staff = &booked.slot.staff_name;
        let confirmation = sentences::booked(&lang, &service.name, staff, tz, starts_at, contact.name.as_deref());
        return Ok(BookingStep::Booked { confirmation });
    }
    // Not free: forget the time, keep the rest, and offer what is free.
    let mut without_time = fields;
    without_time.time = None;
    remember(app, conversation, flow, without_time, now).await?;
    let offer = offer(app, &lang, knowledge, wanted, Some(starts_at), now).await?;
    Ok(BookingStep::Offered {
        offer: sentences::not_available(&lang, tz, starts_at, &offer),
    })
}

/// Books the time if someone is still free then, and records the outcome with it, in one
/// transaction. Losing a race for the slot is "not free", never an error.
async fn book(
    app: &AppState,
    knowledge: &KnowledgeSnapshot,
    request: BookingRequest,
    now: DateTime<Utc>,
) -> Result<Option<Booked>, ProcessError> {
    let tz = app.settings.business.timezone;
    let candidates = engine::free_staff_at(&app.db, knowledge, tz, &request, now).await?;
    if candidates.is_empty() {
        return Ok(None);
    }
    let booked = app
        .db
        .transaction(move |tx| {
            Box::pin(async move {
                let booked = engine::book_first_free(&mut *tx, &request, &candidates, now).await?;
                if booked.is_some() {
                    contacts::set_outcome(&mut *tx, request.contact_id, Outcome::Booked, now).await?;
                }
                Ok::<_, DbError>(booked)
            })
        })
        .await;
    match booked {
        Err(DbError::Conflict(_)) => Ok(None),
        other => Ok(other?),
    }
}

/// Keeps what the customer asked for, and follows up once if they go quiet now.
async fn remember(
    app: &AppState,
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
    let job = ConversationJob {
        conversation_id: conversation.id,
        message_id: None,
        updated_at_ms: Some(updated_at_ms),
    };
    let dedupe_key = format!("followup:{}:{updated_at_ms}", conversation.id);
    let run_at = now + app.settings.conversations.abandon_after;
    schedule(app, JobKind::BookingFollowup, &job, dedupe_key, run_at).await
}

/// Free times for the service on that day (or the next days with any), as a reply. Around
/// a time that was not free (`near`), the nearest ones.
async fn offer(
    app: &AppState,
    lang: &Lang,
    knowledge: &KnowledgeSnapshot,
    wanted: &SlotQuery<'_>,
    near: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, ProcessError> {
    let tz = app.settings.business.timezone;
    for offset in 0..SEARCH_DAYS {
        let day = wanted.date + chrono::Duration::days(offset);
        // Only the asked-for day is narrowed to the asked-for part of the day.
        let part_of_day = if offset == 0 { wanted.part_of_day } else { None };
        let query = SlotQuery {
            date: day,
            part_of_day,
            ..*wanted
        };
        let mut slots = engine::free_slots(&app.db, knowledge, tz, &query, now).await?;
        if slots.is_empty() {
            continue;
        }
        if let Some(near) = near.filter(|_| offset == 0) {
            slots.sort_by_key(|s| ((s.starts_at - near).num_minutes().abs(), s.starts_at));
            slots.truncate(OFFERED_SLOTS);
            slots.sort_by_key(|s| s.starts_at);
        }
        let times: Vec<String> = slots
            .iter()
            .take(OFFERED_SLOTS)
            .map(|s| {
                let time = s.starts_at.with_timezone(&tz).format("%H:%M").to_string();
                sentences::offered_time(lang, &time, &s.staff_name)
            })
            .collect();
        return Ok(sentences::offer(lang, &wanted.service.name, day, &times, offset > 0));
    }
    Ok(sentences::nothing_free(lang, &wanted.service.name))
}

/// `YYYY-MM-DD` from a model, or a day in words from a person.
fn parse_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .or_else(|| engine::parse_day(text, today))
}
