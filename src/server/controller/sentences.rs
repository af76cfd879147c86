//! Every sentence the bot writes to a customer, in the customer's language, and the notes it
//! leaves for staff, in one place. The words live in the message catalogs
//! (`locales/<code>/main.ftl`); these functions name them and pass their arguments. (The
//! AI's own sentences come from the AI; these are the ones our code decides.)

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::model::opening_hours_on;
use crate::server::booking::KnowledgeSnapshot;
use crate::server::i18n::{self, Lang};

pub fn fallback(lang: &Lang) -> String {
    i18n::text(lang, "fallback", &[])
}

pub fn unsupported_message(lang: &Lang) -> String {
    i18n::text(lang, "unsupported-message", &[])
}

pub fn opted_out(lang: &Lang) -> String {
    i18n::text(lang, "opted-out", &[])
}

pub fn opted_in(lang: &Lang) -> String {
    i18n::text(lang, "opted-in", &[])
}

pub fn holding(lang: &Lang) -> String {
    i18n::text(lang, "holding", &[])
}

pub fn no_appointment_to_cancel(lang: &Lang) -> String {
    i18n::text(lang, "no-appointment-to-cancel", &[])
}

pub fn time_does_not_exist(lang: &Lang) -> String {
    i18n::text(lang, "time-does-not-exist", &[])
}

/// "Your colour on Friday 20 March at 14:00 is cancelled."
pub fn cancelled(lang: &Lang, service: &str, tz: Tz, starts_at: DateTime<Utc>) -> String {
    i18n::text(
        lang,
        "cancelled",
        &[
            ("service", service.to_lowercase().into()),
            ("when", i18n::when(lang, tz, starts_at).into()),
        ],
    )
}

/// The confirmation of a booking, thanking the customer by name when we know it.
pub fn booked(lang: &Lang, service: &str, staff: &str, tz: Tz, starts_at: DateTime<Utc>, name: Option<&str>) -> String {
    let mut args = vec![
        ("service", service.to_lowercase().into()),
        ("staff", staff.into()),
        ("when", i18n::when(lang, tz, starts_at).into()),
    ];
    match name {
        Some(name) => {
            args.push(("name", name.into()));
            i18n::text(lang, "booked-name", &args)
        }
        None => i18n::text(lang, "booked", &args),
    }
}

/// Free times on one day: "For a colour on Friday 4 December I can offer …".
pub fn offer(lang: &Lang, service: &str, day: NaiveDate, times: &[String]) -> String {
    i18n::text(
        lang,
        "offer-intro",
        &[
            ("service", service.to_lowercase().into()),
            ("day", i18n::day(lang, day).into()),
            ("times", i18n::list(lang, times).into()),
        ],
    )
}

/// One offered time: "14:00 with Ana García".
pub fn offered_time(lang: &Lang, time: &str, staff: &str) -> String {
    i18n::text(lang, "offered-time", &[("time", time.into()), ("staff", staff.into())])
}

/// The asked-for time is taken (what follows is the offer of other times).
pub fn not_available(lang: &Lang, tz: Tz, starts_at: DateTime<Utc>) -> String {
    i18n::text(
        lang,
        "not-available",
        &[("when", i18n::when(lang, tz, starts_at).into())],
    )
}

pub fn nothing_free(lang: &Lang, service: &str) -> String {
    i18n::text(lang, "nothing-free", &[("service", service.to_lowercase().into())])
}

/// The one follow-up of a booking left unfinished.
pub fn abandoned_booking_follow_up(lang: &Lang, name: Option<&str>, service: Option<&str>) -> String {
    let hello = match name {
        Some(name) => i18n::text(lang, "hi-name", &[("name", name.into())]),
        None => i18n::text(lang, "hi", &[]),
    };
    let ask = match service {
        Some(service) => i18n::text(
            lang,
            "follow-up-booking-service",
            &[("service", service.to_lowercase().into())],
        ),
        None => i18n::text(lang, "follow-up-booking", &[]),
    };
    format!("{hello} {ask}")
}

/// "Shall I cancel your colour with Ana on …?"
pub fn confirm_cancel(lang: &Lang, service: &str, staff: &str, tz: Tz, starts_at: DateTime<Utc>) -> String {
    i18n::text(
        lang,
        "confirm-cancel",
        &[
            ("service", service.to_lowercase().into()),
            ("staff", staff.into()),
            ("when", i18n::when(lang, tz, starts_at).into()),
        ],
    )
}

/// "Don't cancel": the appointment stays, and the customer hears which one.
pub fn kept_appointment(lang: &Lang, service: &str, tz: Tz, starts_at: DateTime<Utc>) -> String {
    i18n::text(
        lang,
        "kept-appointment",
        &[
            ("service", service.to_lowercase().into()),
            ("when", i18n::when(lang, tz, starts_at).into()),
        ],
    )
}

pub fn nothing_to_confirm(lang: &Lang) -> String {
    i18n::text(lang, "nothing-to-confirm", &[])
}

pub fn confirm_reschedule(
    lang: &Lang,
    service: &str,
    staff: &str,
    tz: Tz,
    old: DateTime<Utc>,
    new: DateTime<Utc>,
) -> String {
    i18n::text(
        lang,
        "confirm-reschedule",
        &[
            ("service", service.to_lowercase().into()),
            ("staff", staff.into()),
            ("old", i18n::when(lang, tz, old).into()),
            ("new", i18n::when(lang, tz, new).into()),
        ],
    )
}

pub fn rescheduled(lang: &Lang, service: &str, staff: &str, tz: Tz, starts_at: DateTime<Utc>) -> String {
    i18n::text(
        lang,
        "rescheduled",
        &[
            ("service", service.to_lowercase().into()),
            ("staff", staff.into()),
            ("when", i18n::when(lang, tz, starts_at).into()),
        ],
    )
}

pub fn no_appointment_to_move(lang: &Lang) -> String {
    i18n::text(lang, "no-appointment-to-move", &[])
}

pub fn name_thanks(lang: &Lang, name: &str) -> String {
    i18n::text(lang, "name-thanks", &[("name", name.into())])
}

pub fn human_handover(lang: &Lang) -> String {
    i18n::text(lang, "human-handover", &[])
}

pub fn booking_abandoned(lang: &Lang) -> String {
    i18n::text(lang, "booking-abandoned", &[])
}

/// The customer's answer pointed at none of the offered times: ask again with them.
pub fn which_offered(lang: &Lang, times: &[String]) -> String {
    i18n::text(lang, "which-offered", &[("times", i18n::list(lang, times).into())])
}

pub fn date_passed(lang: &Lang) -> String {
    i18n::text(lang, "date-passed", &[])
}

pub fn date_does_not_exist(lang: &Lang) -> String {
    i18n::text(lang, "date-does-not-exist", &[])
}

pub fn staff_does_not_do(lang: &Lang, staff: &str, service: &str) -> String {
    i18n::text(
        lang,
        "staff-does-not-do",
        &[("staff", staff.into()), ("service", service.to_lowercase().into())],
    )
}

/// A holiday or one-off closure on that day.
pub fn closed_for(lang: &Lang, date: NaiveDate, reason: &str) -> String {
    i18n::text(
        lang,
        "closed-for",
        &[("day", i18n::day(lang, date).into()), ("reason", reason.into())],
    )
}

/// "We're closed on Mondays."
pub fn closed_on_weekday(lang: &Lang, date: NaiveDate) -> String {
    let day = i18n::weekday_plural(lang, date.weekday());
    i18n::text(lang, "closed-on-weekday", &[("day", day.into())])
}

/// Open that day, but nobody who does the service is in (time off, not their day).
pub fn staff_away(lang: &Lang, date: NaiveDate) -> String {
    i18n::text(lang, "staff-away", &[("day", i18n::day(lang, date).into())])
}

/// The hours of that day, when the time asked for is outside them.
pub fn outside_hours(lang: &Lang, knowledge: &KnowledgeSnapshot, date: NaiveDate) -> String {
    let weekday = date.weekday().num_days_from_monday() as usize;
    i18n::text(
        lang,
        "outside-hours",
        &[
            ("day", i18n::day(lang, date).into()),
            ("hours", opening_hours_on(&knowledge.hours, weekday).into()),
        ],
    )
}

pub fn fully_booked(lang: &Lang, date: NaiveDate) -> String {
    i18n::text(lang, "fully-booked", &[("day", i18n::day(lang, date).into())])
}

pub fn nothing_in_window(lang: &Lang, date: NaiveDate) -> String {
    i18n::text(lang, "nothing-in-window", &[("day", i18n::day(lang, date).into())])
}

/// Notes for staff in the chat; customers never receive them, so they stay in the staff's
/// language (English).
pub mod notes {
    pub const BOOKING_ABANDONED: &str = "Booking left unfinished.";
    pub const HUMAN_REQUESTED: &str = "The customer asked for a person. The bot is paused.";

    pub fn took_over(staff_email: &str) -> String {
        format!("{staff_email} took over. The bot is paused.")
    }

    pub fn handed_back(staff_email: &str) -> String {
        format!("{staff_email} handed the conversation back to the bot.")
    }
}
