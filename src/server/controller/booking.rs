//! The booking conversation: turns what the customer has said so far into the truth — a
//! booked appointment, times to choose from with the true reason when the wish cannot be
//! met, or a change to confirm. The slots themselves come from [`crate::server::booking`].

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::flow::{Confirmation, FlowState, Offer, PendingBooking};
use super::jobs::{schedule, ConversationJob, JobKind};
use super::{outbound, sentences, ProcessError};
use crate::model::{Appointment, BookingSource, Contact, Conversation, Intent, Outcome, Service};
use crate::server::ai::{BookingFields, Choice};
use crate::server::booking::{
    self as engine, Booked, BookingRequest, KnowledgeSnapshot, Slot, SlotQuery, Unavailable, Window,
};
use crate::server::db::{contacts, knowledge, DbError};
use crate::server::i18n::Lang;
use crate::server::state::AppState;

/// Slots offered in one reply.
const OFFERED_SLOTS: usize = 3;
/// How far ahead to look when the asked-for day has nothing.
const SEARCH_DAYS: i64 = 14;

/// Where one message left the booking.
#[derive(Debug, PartialEq, Eq)]
pub enum BookingStep {
    /// The service or the day is not known yet: the receptionist's own question stands.
    NeedsDetails,
    /// What the code decided, in the customer's language, with what happened when
    /// something did (booked, cancelled, moved) for the inbox to show.
    Answer { text: String, event: Option<Intent> },
}

impl BookingStep {
    fn says(text: String) -> BookingStep {
        BookingStep::Answer { text, event: None }
    }
}

/// The conversation a booking step happens in.
pub struct Talk<'a> {
    pub contact: &'a Contact,
    pub conversation: &'a Conversation,
    pub flow: &'a mut FlowState,
    pub lang: &'a Lang,
    /// When the customer wrote.
    pub now: DateTime<Utc>,
}

/// What to look for when offering times.
struct Search<'a> {
    service: &'a Service,
    staff_id: Option<i64>,
    window: Window,
    from: NaiveDate,
    /// The last day to look at (a range such as "next week"), else two weeks on.
    to: Option<NaiveDate>,
    /// Around a time that was not free, the nearest ones on that day.
    near: Option<DateTime<Utc>>,
    moving: Option<i64>,
}

/// One step of the booking conversation, with what the customer just said (`said`) merged
/// over what they said before.
pub async fn step(app: &AppState, talk: Talk<'_>, said: BookingFields) -> Result<BookingStep, ProcessError> {
    let knowledge = app.knowledge.get(&app.db).await?;
    let fields = match &talk.flow.booking {
        Some(pending) if !pending.followed_up => said.merged_over(&pending.fields),
        _ => said,
    };
    remember(app, talk.conversation, talk.flow, fields.clone(), talk.now).await?;
    let Some(service) = fields
        .service
        .as_deref()
        .and_then(|s| knowledge.find_service(s))
        .cloned()
    else {
        return Ok(BookingStep::NeedsDetails);
    };
    let Some(date_text) = fields.date.as_deref() else {
        return Ok(BookingStep::NeedsDetails);
    };
    let lang = talk.lang;
    let Ok(date) = NaiveDate::parse_from_str(date_text, "%Y-%m-%d") else {
        // Forget the impossible day, so the next message can name another.
        let mut without_day = fields;
        without_day.date = None;
        remember(app, talk.conversation, talk.flow, without_day, talk.now).await?;
        return Ok(BookingStep::says(sentences::date_does_not_exist(lang)));
    };
    let mut lead = Vec::new();
    let staff_id = match fields.staff.as_deref().and_then(|s| knowledge.find_staff(s)) {
        Some(staff) if knowledge.staff_for(service.id).any(|s| s.id == staff.id) => Some(staff.id),
        Some(staff) => {
            lead.push(sentences::staff_does_not_do(lang, &staff.name, &service.name));
            None
        }
        None => None,
    };
    let window = Window::from_bounds(fields.earliest.as_deref(), fields.latest.as_deref());
    let to = fields
        .date_to
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let search = Search {
        service: &service,
        staff_id,
        window,
        from: date,
        to,
        near: None,
        moving: None,
    };
    let time = fields.time.as_deref().and_then(engine::parse_hh_mm);
    let Some((hour, minute)) = time else {
        let text = offer(app, &knowledge, talk.flow, &search, lang, talk.now, lead).await?;
        return Ok(BookingStep::says(text));
    };
    let tz = app.settings.business.timezone;
    let Some(starts_at) = engine::at_local(tz, date, hour, minute) else {
        return Ok(BookingStep::says(sentences::time_does_not_exist(lang)));
    };
    let request = BookingRequest {
        contact_id: talk.contact.id,
        service: service.clone(),
        staff_id,
        starts_at,
        source: BookingSource::Bot,
        moving: None,
    };
    if let Some(booked) = book(app, &knowledge, request, talk.now).await? {
        outbound::publish_conversation(app, talk.conversation.id).await;
        return Ok(booked_answer(app, talk, &service, &booked, lead));
    }
    let today = engine::local_parts(tz, talk.now).0;
    if starts_at > talk.now && date >= today {
        // Closed days are explained with the offer; here, why that time is not possible.
        let minute = i64::from(hour * 60 + minute);
        let exact = SlotQuery {
            service: &service,
            date,
            window: Window {
                earliest: minute,
                latest: minute + 1,
            },
            staff_id,
            moving: None,
        };
        match engine::why_unavailable(&knowledge, &exact, today) {
            Unavailable::OutsideHours => lead.push(sentences::outside_hours(lang, &knowledge, date)),
            Unavailable::FullyBooked => lead.push(sentences::not_available(lang, tz, starts_at)),
            _ => {}
        }
    }
    // Not free: forget the time, keep the rest, and offer the nearest free ones.
    let mut without_time = fields;
    without_time.time = None;
    remember(app, talk.conversation, talk.flow, without_time, talk.now).await?;
    let search = Search {
        near: Some(starts_at),
        ..search
    };
    let text = offer(app, &knowledge, talk.flow, &search, lang, talk.now, lead).await?;
    Ok(BookingStep::says(text))
}

/// The customer answered an offer: book what they picked, or ask again when it does not
/// point at one of the offered times.
pub async fn take_choice(app: &AppState, talk: Talk<'_>, choice: &Choice) -> Result<BookingStep, ProcessError> {
    let Some(offered) = talk.flow.offer.clone() else {
        return Ok(BookingStep::NeedsDetails);
    };
    let tz = app.settings.business.timezone;
    let Some(slot) = chosen(&offered.slots, choice, tz) else {
        // "the 16:00" when 16:00 was not offered, "with Ben" when Ben was not: a new wish.
        if choice.time.is_some() || choice.staff.is_some() {
            let day = offered.slots.first().map(|s| engine::local_parts(tz, s.starts_at).0);
            let said = BookingFields {
                date: day.map(|d| d.format("%Y-%m-%d").to_string()),
                time: choice.time.clone(),
                staff: choice.staff.clone(),
                ..Default::default()
            };
            if offered.moving.is_none() {
                return step(app, talk, said).await;
            }
        }
        let times: Vec<String> = offered.slots.iter().map(|s| offered_time(talk.lang, tz, s)).collect();
        return Ok(BookingStep::says(sentences::which_offered(talk.lang, &times)));
    };
    let knowledge = app.knowledge.get(&app.db).await?;
    let Some(service) = knowledge.service(offered.service_id).cloned() else {
        return Ok(BookingStep::NeedsDetails);
    };
    if let Some(appointment_id) = offered.moving {
        let appointment = knowledge::appointments_for_contact(&app.db, talk.contact.id)
            .await?
            .into_iter()
            .find(|a| a.id == appointment_id);
        let Some(appointment) = appointment else {
            return Ok(BookingStep::says(sentences::no_appointment_to_move(talk.lang)));
        };
        talk.flow.offer = None;
        return Ok(ask_to_move(app, talk, &appointment, &slot));
    }
    let request = BookingRequest {
        contact_id: talk.contact.id,
        service: service.clone(),
        staff_id: Some(slot.staff_id),
        starts_at: slot.starts_at,
        source: BookingSource::Bot,
        moving: None,
    };
    match book(app, &knowledge, request, talk.now).await? {
        Some(booked) => {
            outbound::publish_conversation(app, talk.conversation.id).await;
            Ok(booked_answer(app, talk, &service, &booked, Vec::new()))
        }
        None => {
            // Taken since it was offered: offer again around it.
            let search = Search {
                service: &service,
                staff_id: None,
                window: Window::WHOLE_DAY,
                from: engine::local_parts(tz, slot.starts_at).0,
                to: None,
                near: Some(slot.starts_at),
                moving: None,
            };
            let lead = vec![sentences::not_available(talk.lang, tz, slot.starts_at)];
            let text = offer(app, &knowledge, talk.flow, &search, talk.lang, talk.now, lead).await?;
            Ok(BookingStep::says(text))
        }
    }
}

/// The offered slot a choice points at: by position, by time, by stylist, or the first for
/// "any is fine". Several hints must agree.
fn chosen(slots: &[Slot], choice: &Choice, tz: chrono_tz::Tz) -> Option<Slot> {
    let by_index = choice.index.and_then(|i| match i {
        -1 => slots.last(),
        i if i >= 1 => slots.get(usize::try_from(i - 1).ok()?),
        _ => None,
    });
    let local_time = |s: &Slot| s.starts_at.with_timezone(&tz).format("%H:%M").to_string();
    let mut candidates: Vec<&Slot> = match by_index {
        Some(slot) => vec![slot],
        None if choice.index.is_some() => return None,
        None => slots.iter().collect(),
    };
    if let Some(time) = &choice.time {
        candidates.retain(|s| &local_time(s) == time);
    }
    if let Some(staff) = &choice.staff {
        let wanted = staff.to_lowercase();
        candidates.retain(|s| {
            let name = s.staff_name.to_lowercase();
            name == wanted || name.split_whitespace().next() == Some(wanted.as_str())
        });
    }
    let specific = choice.index.is_some() || choice.time.is_some() || choice.staff.is_some();
    if !specific && !choice.any {
        return None;
    }
    candidates.first().map(|s| (*s).clone())
}

/// The customer wants to cancel: restate the next appointment and ask; "don't cancel" keeps
/// it and says so.
pub async fn ask_to_cancel(app: &AppState, talk: Talk<'_>, negated: bool) -> Result<BookingStep, ProcessError> {
    let tz = app.settings.business.timezone;
    let next = knowledge::next_appointment(&app.db, talk.contact.id, talk.now).await?;
    let lang = talk.lang;
    Ok(BookingStep::says(match next {
        Some(a) if negated => sentences::kept_appointment(lang, &a.service_name, tz, a.starts_at),
        Some(a) => {
            talk.flow.confirming = Some(Confirmation::Cancel { appointment_id: a.id });
            sentences::confirm_cancel(lang, &a.service_name, &a.staff_name, tz, a.starts_at)
        }
        None if negated => sentences::nothing_to_confirm(lang),
        None => sentences::no_appointment_to_cancel(lang),
    }))
}

/// The customer wants to move their next appointment. Service and stylist stay unless they
/// ask otherwise; a free new time is restated and asked about, else times are offered.
pub async fn reschedule(app: &AppState, talk: Talk<'_>, said: BookingFields) -> Result<BookingStep, ProcessError> {
    let tz = app.settings.business.timezone;
    let lang = talk.lang;
    let Some(appointment) = knowledge::next_appointment(&app.db, talk.contact.id, talk.now).await? else {
        return Ok(BookingStep::says(sentences::no_appointment_to_move(lang)));
    };
    let knowledge = app.knowledge.get(&app.db).await?;
    let Some(service) = knowledge.service(appointment.service_id).cloned() else {
        return Ok(BookingStep::says(sentences::no_appointment_to_move(lang)));
    };
    let old_date = engine::local_parts(tz, appointment.starts_at).0;
    let date = match said.date.as_deref() {
        Some(text) => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) => date,
            Err(_) => return Ok(BookingStep::says(sentences::date_does_not_exist(lang))),
        },
        None => old_date,
    };
    let staff_id = said
        .staff
        .as_deref()
        .and_then(|s| knowledge.find_staff(s))
        .filter(|s| knowledge.staff_for(service.id).any(|p| p.id == s.id))
        .map_or(appointment.staff_id, |s| s.id);
    let search = Search {
        service: &service,
        staff_id: Some(staff_id),
        window: Window::from_bounds(said.earliest.as_deref(), said.latest.as_deref()),
        from: date,
        to: None,
        near: None,
        moving: Some(appointment.id),
    };
    // A new day without a time keeps the time only when they said "same time".
    let time = said.time.as_deref().and_then(engine::parse_hh_mm);
    let unchanged = said.date.is_none() && time.is_none();
    let Some((hour, minute)) = time.filter(|_| !unchanged) else {
        let text = offer(app, &knowledge, talk.flow, &search, lang, talk.now, Vec::new()).await?;
        return Ok(BookingStep::says(text));
    };
    let Some(starts_at) = engine::at_local(tz, date, hour, minute) else {
        return Ok(BookingStep::says(sentences::time_does_not_exist(lang)));
    };
    let request = BookingRequest {
        contact_id: talk.contact.id,
        service: service.clone(),
        staff_id: Some(staff_id),
        starts_at,
        source: BookingSource::Bot,
        moving: Some(appointment.id),
    };
    let free = engine::free_staff_at(&app.db, &knowledge, tz, &request, talk.now).await?;
    match free.first() {
        Some(slot) => Ok(ask_to_move(app, talk, &appointment, slot)),
        None => {
            let search = Search {
                near: Some(starts_at),
                ..search
            };
            let lead = vec![sentences::not_available(lang, tz, starts_at)];
            let text = offer(app, &knowledge, talk.flow, &search, lang, talk.now, lead).await?;
            Ok(BookingStep::says(text))
        }
    }
}

fn ask_to_move(app: &AppState, talk: Talk<'_>, appointment: &Appointment, slot: &Slot) -> BookingStep {
    let tz = app.settings.business.timezone;
    talk.flow.confirming = Some(Confirmation::Move {
        appointment_id: appointment.id,
        staff_id: slot.staff_id,
        starts_at: slot.starts_at,
    });
    BookingStep::says(sentences::confirm_reschedule(
        talk.lang,
        &appointment.service_name,
        &slot.staff_name,
        tz,
        appointment.starts_at,
        slot.starts_at,
    ))
}

/// A clear yes to the change we asked about: carry it out, in one transaction.
pub async fn confirmed(
    app: &AppState,
    talk: Talk<'_>,
    confirmation: Confirmation,
) -> Result<BookingStep, ProcessError> {
    let tz = app.settings.business.timezone;
    let lang = talk.lang;
    let contact_id = talk.contact.id;
    let now = talk.now;
    let appointment = knowledge::appointments_for_contact(&app.db, contact_id)
        .await?
        .into_iter()
        .find(|a| {
            let id = match &confirmation {
                Confirmation::Cancel { appointment_id } | Confirmation::Move { appointment_id, .. } => *appointment_id,
            };
            a.id == id && a.status == crate::model::AppointmentStatus::Booked
        });
    let Some(appointment) = appointment else {
        return Ok(BookingStep::says(sentences::nothing_to_confirm(lang)));
    };
    match confirmation {
        Confirmation::Cancel { appointment_id } => {
            let cancelled = app
                .db
                .transaction(move |tx| {
                    Box::pin(async move {
                        let cancelled = knowledge::cancel_appointment(&mut *tx, appointment_id).await?;
                        if cancelled {
                            contacts::set_outcome(&mut *tx, contact_id, Outcome::Cancelled, now).await?;
                        }
                        Ok::<_, DbError>(cancelled)
                    })
                })
                .await?;
            if !cancelled {
                return Ok(BookingStep::says(sentences::nothing_to_confirm(lang)));
            }
            outbound::publish_conversation(app, talk.conversation.id).await;
            Ok(BookingStep::Answer {
                text: sentences::cancelled(lang, &appointment.service_name, tz, appointment.starts_at),
                event: Some(Intent::BookingCancelled),
            })
        }
        Confirmation::Move {
            appointment_id,
            staff_id,
            starts_at,
        } => {
            let knowledge = app.knowledge.get(&app.db).await?;
            let Some(service) = knowledge.service(appointment.service_id).cloned() else {
                return Ok(BookingStep::says(sentences::nothing_to_confirm(lang)));
            };
            let request = BookingRequest {
                contact_id,
                service: service.clone(),
                staff_id: Some(staff_id),
                starts_at,
                source: BookingSource::Bot,
                moving: Some(appointment_id),
            };
            match book(app, &knowledge, request, now).await? {
                Some(booked) => {
                    outbound::publish_conversation(app, talk.conversation.id).await;
                    let text = sentences::rescheduled(lang, &service.name, &booked.slot.staff_name, tz, starts_at);
                    Ok(BookingStep::Answer {
                        text,
                        event: Some(Intent::BookingReschedule),
                    })
                }
                None => {
                    // Taken meanwhile: the old appointment stays; offer times around the new one.
                    let search = Search {
                        service: &service,
                        staff_id: Some(staff_id),
                        window: Window::WHOLE_DAY,
                        from: engine::local_parts(tz, starts_at).0,
                        to: None,
                        near: Some(starts_at),
                        moving: Some(appointment_id),
                    };
                    let lead = vec![sentences::not_available(lang, tz, starts_at)];
                    let text = offer(app, &knowledge, talk.flow, &search, lang, now, lead).await?;
                    Ok(BookingStep::says(text))
                }
            }
        }
    }
}

fn booked_answer(
    app: &AppState,
    talk: Talk<'_>,
    service: &Service,
    booked: &Booked,
    mut lead: Vec<String>,
) -> BookingStep {
    let tz = app.settings.business.timezone;
    talk.flow.booking = None;
    talk.flow.offer = None;
    lead.push(sentences::booked(
        talk.lang,
        &service.name,
        &booked.slot.staff_name,
        tz,
        booked.slot.starts_at,
        talk.contact.name.as_deref(),
    ));
    BookingStep::Answer {
        text: lead.join(" "),
        event: Some(Intent::BookingConfirmed),
    }
}

/// Books (or moves) if someone is still free then, and records the outcome with it, in one
/// transaction. Losing a race for the slot is "not free", never an error.
pub(crate) async fn book(
    app: &AppState,
    knowledge: &KnowledgeSnapshot,
    request: BookingRequest,
    now: DateTime<Utc>,
) -> Result<Option<Booked>, DbError> {
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
                if booked.is_some() && request.moving.is_none() {
                    contacts::set_outcome(&mut *tx, request.contact_id, Outcome::Booked, now).await?;
                }
                Ok::<_, DbError>(booked)
            })
        })
        .await;
    match booked {
        Err(DbError::Conflict(_)) => Ok(None),
        other => other,
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

/// Free times for the search, as a reply: on the asked-for day, or — with the true reason
/// it has none — on the nearest day that has some, in the same window. The times are kept
/// in the flow so "the first one" can refer to them.
async fn offer(
    app: &AppState,
    knowledge: &KnowledgeSnapshot,
    flow: &mut FlowState,
    search: &Search<'_>,
    lang: &Lang,
    now: DateTime<Utc>,
    mut lead: Vec<String>,
) -> Result<String, ProcessError> {
    let tz = app.settings.business.timezone;
    let today = engine::local_parts(tz, now).0;
    if search.from < today {
        lead.push(sentences::date_passed(lang));
    }
    // Other days keep the time of day asked about.
    let near_minute = search.near.map(|near| engine::local_parts(tz, near).1);
    for day in days_to_search(search, today) {
        let query = SlotQuery {
            service: search.service,
            date: day,
            window: search.window,
            staff_id: search.staff_id,
            moving: search.moving,
        };
        let slots = engine::free_slots(&app.db, knowledge, tz, &query, now).await?;
        if slots.is_empty() {
            if day == search.from {
                lead.extend(reason(lang, knowledge, &query, search, today));
            }
            continue;
        }
        let near = near_minute.and_then(|m| engine::at_local(tz, day, m / 60, m % 60));
        let picked = match near {
            Some(near) => engine::nearest(&slots, near, OFFERED_SLOTS),
            None => engine::spread(&slots, OFFERED_SLOTS),
        };
        let times: Vec<String> = picked.iter().map(|s| offered_time(lang, tz, s)).collect();
        flow.offer = Some(Offer {
            service_id: search.service.id,
            slots: picked,
            moving: search.moving,
        });
        lead.push(sentences::offer(lang, &search.service.name, day, &times));
        return Ok(lead.join(" "));
    }
    flow.offer = None;
    lead.push(sentences::nothing_free(lang, &search.service.name));
    Ok(lead.join(" "))
}

/// The days to look at, in order: a range as asked, else the asked-for day and then the
/// nearest ones on either side ("Sunday" is closed: Saturday before Tuesday), never before
/// today.
fn days_to_search(search: &Search<'_>, today: NaiveDate) -> Vec<NaiveDate> {
    if let Some(to) = search.to {
        return search.from.max(today).iter_days().take_while(|d| *d <= to).collect();
    }
    let from = search.from.max(today);
    let mut days = vec![from];
    for offset in 1..SEARCH_DAYS {
        days.push(from + Duration::days(offset));
        let before = from - Duration::days(offset);
        if before >= today {
            days.push(before);
        }
    }
    days
}

/// Why the asked-for day has nothing, as the customer should hear it; nothing to say when
/// a taken time was already explained.
fn reason(
    lang: &Lang,
    knowledge: &KnowledgeSnapshot,
    query: &SlotQuery<'_>,
    search: &Search<'_>,
    today: NaiveDate,
) -> Option<String> {
    Some(match engine::why_unavailable(knowledge, query, today) {
        Unavailable::Past => return None, // said before the search
        Unavailable::Closure(why) => sentences::closed_for(lang, search.from, &why),
        Unavailable::ClosedWeekday => sentences::closed_on_weekday(lang, search.from),
        Unavailable::StaffAway => sentences::staff_away(lang, search.from),
        Unavailable::OutsideHours if search.near.is_some() => return None,
        Unavailable::OutsideHours => sentences::outside_hours(lang, knowledge, search.from),
        Unavailable::FullyBooked if search.near.is_some() => return None,
        Unavailable::FullyBooked if query.window == Window::WHOLE_DAY => sentences::fully_booked(lang, search.from),
        Unavailable::FullyBooked => sentences::nothing_in_window(lang, search.from),
    })
}

/// One offered time: "14:00 with Ana García".
fn offered_time(lang: &Lang, tz: chrono_tz::Tz, slot: &Slot) -> String {
    let time = slot.starts_at.with_timezone(&tz).format("%H:%M").to_string();
    sentences::offered_time(lang, &time, &slot.staff_name)
}
