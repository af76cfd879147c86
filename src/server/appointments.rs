//! Staff's work on appointments: the day's list, booking for a customer, moving, cancelling,
//! and marking attended or no-show. Bookings and moves go through the receptionist's own
//! booking path, so staff can take only free time too. The customer hears of a change only
//! when staff ask for it.

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};

use super::backoffice::EditError;
use super::booking::{self, BookingRequest, SlotQuery, Window};
use super::controller::{self, sentences, staff::StaffReplyError};
use super::db::appointments::{self, Which};
use super::db::{contacts, knowledge, DbError};
use super::i18n;
use super::state::AppState;
use crate::model::{
    is_mark, AppointmentChange, AppointmentForm, AppointmentStatus, BookingSource, Contact, DaySchedule, NameSource,
    Outcome, ScheduledAppointment, StaffUser, WaId,
};

/// Free times offered when the one asked for is taken.
const ALTERNATIVES: usize = 3;

/// The appointments of a business-local day, and those waiting to be marked.
pub async fn day(app: &AppState, day: NaiveDate, now: DateTime<Utc>) -> Result<DaySchedule, DbError> {
    let tz = app.settings.business.timezone;
    let start = booking::at_local(tz, day, 0, 0).unwrap_or(now);
    let end = booking::at_local(tz, day + Duration::days(1), 0, 0).unwrap_or(start + Duration::days(1));
    Ok(DaySchedule {
        day,
        today: booking::local_parts(tz, now).0,
        now,
        timezone: tz.name().to_string(),
        currency: app.settings.business.currency.clone(),
        appointments: appointments::list(&app.db, Which::Starting(start, end), tz).await?,
        unmarked: appointments::list(&app.db, Which::Unmarked(now), tz).await?,
        attended_after_hours: app.settings.analytics.attended_after.num_hours(),
        services: knowledge::list_services(&app.db).await?,
        staff: knowledge::list_staff(&app.db).await?,
    })
}

/// Marks an appointment that has started attended (`Completed`) or a no-show, or corrects
/// an earlier mark.
pub async fn mark(app: &AppState, id: i64, status: AppointmentStatus, now: DateTime<Utc>) -> Result<(), EditError> {
    if !is_mark(status) {
        return Err(EditError::Invalid("Mark an appointment attended or a no-show.".into()));
    }
    if appointments::mark(&app.db, id, status, now).await? {
        publish(app, id).await;
        return Ok(());
    }
    let found = appointments::get(&app.db, id, app.settings.business.timezone).await?;
    Err(EditError::Conflict(match found.appointment.status {
        AppointmentStatus::Cancelled => "This appointment was cancelled; there is nothing to mark.".into(),
        _ => "This appointment has not started yet: mark it once it has.".into(),
    }))
}

/// Cancels a booked appointment that has not started.
pub async fn cancel(
    app: &AppState,
    staff: &StaffUser,
    id: i64,
    notify: bool,
    now: DateTime<Utc>,
) -> Result<AppointmentChange, EditError> {
    let found = appointments::get(&app.db, id, app.settings.business.timezone).await?;
    let appointment = &found.appointment;
    if appointment.status != AppointmentStatus::Booked || appointment.starts_at <= now {
        return Err(EditError::Conflict(
            "Only a booked appointment that has not started can be cancelled.".into(),
        ));
    }
    let contact_id = appointment.contact_id;
    let cancelled = app
        .db
        .transaction(move |tx| {
            Box::pin(async move {
                let cancelled = knowledge::cancel_appointment(&mut *tx, id).await?;
                if cancelled {
                    contacts::set_outcome(&mut *tx, contact_id, Outcome::Cancelled, now).await?;
                }
                Ok::<_, DbError>(cancelled)
            })
        })
        .await?;
    if !cancelled {
        return Err(EditError::Conflict(
            "This appointment was changed meanwhile; reload the page.".into(),
        ));
    }
    publish(app, id).await;
    let notice = if notify {
        let tz = app.settings.business.timezone;
        let contact = contacts::get_contact(&app.db, contact_id).await?;
        let lang = i18n::language_of(&app.settings.business, &contact);
        let text = sentences::cancelled(&lang, &appointment.service_name, tz, appointment.starts_at);
        Some(tell(app, staff, contact_id, &text).await?)
    } else {
        None
    };
    Ok(AppointmentChange {
        appointment_id: id,
        notice,
    })
}

/// Books a new appointment for a customer (`form.appointment_id` empty) or moves a booked
/// one, in a free slot only.
pub async fn save(
    app: &AppState,
    staff: &StaffUser,
    form: &AppointmentForm,
    now: DateTime<Utc>,
) -> Result<AppointmentChange, EditError> {
    let tz = app.settings.business.timezone;
    let (date, time) = form.when().map_err(EditError::Invalid)?;
    let starts_at = booking::at_local(tz, date, time.hour(), time.minute())
        .ok_or_else(|| EditError::Invalid("That time does not exist on that day (the clocks change).".into()))?;
    if starts_at <= now {
        return Err(EditError::Invalid("That time has passed; choose a later one.".into()));
    }
    let knowledge = app.knowledge.get(&app.db).await?;
    let moving = match form.appointment_id {
        Some(id) => {
            let found = appointments::get(&app.db, id, app.settings.business.timezone).await?;
            if found.appointment.status != AppointmentStatus::Booked || found.appointment.starts_at <= now {
                return Err(EditError::Conflict(
                    "Only a booked appointment that has not started can be moved.".into(),
                ));
            }
            Some(found)
        }
        None => None,
    };
    let service_id = moving.as_ref().map_or(form.service_id, |m| m.appointment.service_id);
    let service = knowledge
        .service(service_id)
        .filter(|s| s.active || moving.is_some())
        .cloned()
        .ok_or_else(|| EditError::Invalid("Choose one of the services on offer.".into()))?;
    let wa_id = match moving {
        Some(_) => None,
        None => Some(WaId::parse(&form.phone).map_err(|_| {
            EditError::Invalid(
                "Enter the customer's WhatsApp number with its country code, like +34 600 123 456.".into(),
            )
        })?),
    };
    let name = form.name.trim();
    if name.chars().count() > 100 {
        return Err(EditError::Invalid("A name is at most 100 characters.".into()));
    }
    let mut request = BookingRequest {
        contact_id: moving.as_ref().map_or(0, |m| m.appointment.contact_id),
        service: service.clone(),
        staff_id: form.staff_id,
        starts_at,
        source: BookingSource::Staff,
        moving: moving.as_ref().map(|m| m.appointment.id),
    };
    // Free time is checked before a new customer is added, so a refused booking adds nobody.
    // (The schedule does not depend on who the booking is for.)
    if booking::free_staff_at(&app.db, &knowledge, tz, &request, now)
        .await?
        .is_empty()
    {
        return Err(EditError::Conflict(
            not_free(app, &knowledge, &service, form, date, starts_at, now).await?,
        ));
    }
    let contact = match wa_id {
        None => contacts::get_contact(&app.db, request.contact_id).await?,
        Some(wa_id) => customer(app, &wa_id, name, now).await?,
    };
    request.contact_id = contact.id;
    let Some(booked) = controller::booking::book(app, &knowledge, request, now).await? else {
        // Taken in the moment since the check.
        return Err(EditError::Conflict(
            not_free(app, &knowledge, &service, form, date, starts_at, now).await?,
        ));
    };
    publish(app, booked.appointment_id).await;
    let notice = if form.notify {
        let lang = i18n::language_of(&app.settings.business, &contact);
        let text = match moving {
            Some(_) => sentences::rescheduled(&lang, &service.name, &booked.slot.staff_name, tz, starts_at),
            None => sentences::booked(
                &lang,
                &service.name,
                &booked.slot.staff_name,
                tz,
                starts_at,
                contact.name.as_deref(),
            ),
        };
        Some(tell(app, staff, contact.id, &text).await?)
    } else {
        None
    };
    Ok(AppointmentChange {
        appointment_id: booked.appointment_id,
        notice,
    })
}

/// The customer a new booking is for, found by number or added (with the name staff typed,
/// unless we know one already).
async fn customer(app: &AppState, wa_id: &WaId, name: &str, now: DateTime<Utc>) -> Result<Contact, DbError> {
    let contact = contacts::get_or_create_contact(&app.db, wa_id, None, now, None).await?;
    if contact.name.is_none() && contact.profile_name.is_none() && !name.is_empty() {
        contacts::set_name(&app.db, contact.id, Some(name), NameSource::Staff).await?;
        return contacts::get_contact(&app.db, contact.id).await;
    }
    Ok(contact)
}

/// Why the time asked for cannot be booked, with the nearest free times that day.
async fn not_free(
    app: &AppState,
    knowledge: &booking::KnowledgeSnapshot,
    service: &crate::model::Service,
    form: &AppointmentForm,
    date: NaiveDate,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let tz = app.settings.business.timezone;
    let query = SlotQuery {
        service,
        date,
        window: Window::WHOLE_DAY,
        staff_id: form.staff_id,
        moving: form.appointment_id,
    };
    let slots = booking::free_slots(&app.db, knowledge, tz, &query, now).await?;
    let nearby = booking::nearest(&slots, starts_at, ALTERNATIVES);
    if nearby.is_empty() {
        return Ok(format!(
            "{} has no free time for {} that day.",
            date.format("%a %-d %b"),
            service.name
        ));
    }
    let times: Vec<String> = nearby
        .iter()
        .map(|slot| {
            format!(
                "{} with {}",
                slot.starts_at.with_timezone(&tz).format("%H:%M"),
                slot.staff_name
            )
        })
        .collect();
    Ok(format!("That time is not free. Free nearby: {}.", times.join(", ")))
}

/// Sends the customer `text` from `staff`, and says how it went.
async fn tell(app: &AppState, staff: &StaffUser, contact_id: i64, text: &str) -> Result<String, DbError> {
    Ok(match controller::staff::notify(app, contact_id, staff, text).await {
        Ok(()) => "The customer was sent a WhatsApp message about it.".into(),
        Err(StaffReplyError::OutsideWindow) => "Saved, but the customer was not told: their last message is more \
             than 24 hours old, so WhatsApp allows only an approved template (send one from the inbox)."
            .into(),
        Err(StaffReplyError::Db(error)) => return Err(error),
        Err(error) => format!("Saved, but the customer was not told: {error}"),
    })
}

/// Tells the inbox that the customer's appointments changed, so an open contact panel reads
/// them again, and has the ROI figures worked out anew.
async fn publish(app: &AppState, appointment_id: i64) {
    app.roi_cache.forget();
    if let Ok(ScheduledAppointment {
        conversation_id: Some(conversation_id),
        ..
    }) = appointments::get(&app.db, appointment_id, app.settings.business.timezone).await
    {
        app.hub
            .publish(crate::model::InboxEvent::AppointmentsChanged { conversation_id });
    }
}
