//! Every sentence the bot writes to a customer, and the notes it leaves for staff, in one
//! place. The wording lives in the catalogs, `locales/<code>/main.ftl`, one per language;
//! these functions name each message's arguments, so a caller cannot forget one and every
//! language gets the same ones. (The AI's own sentences come from the AI; these are the
//! ones our code decides.)

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::server::i18n::{self, text, Arg, Lang};

pub fn fallback(lang: &Lang) -> String {
    text(lang, "fallback", &[])
}

pub fn unsupported_message(lang: &Lang) -> String {
    text(lang, "unsupported-message", &[])
}

pub fn opted_out(lang: &Lang) -> String {
    text(lang, "opted-out", &[])
}

pub fn opted_in(lang: &Lang) -> String {
    text(lang, "opted-in", &[])
}

pub fn holding(lang: &Lang) -> String {
    text(lang, "holding", &[])
}

pub fn no_appointment_to_cancel(lang: &Lang) -> String {
    text(lang, "no-appointment-to-cancel", &[])
}

pub fn time_does_not_exist(lang: &Lang) -> String {
    text(lang, "time-does-not-exist", &[])
}

/// "Your colour on Friday 20 March at 14:00 is cancelled."
pub fn cancelled(lang: &Lang, service: &str, tz: Tz, starts_at: DateTime<Utc>) -> String {
    let args: [(&str, Arg); 2] = [
        ("service", service.to_lowercase().into()),
        ("when", i18n::when(lang, tz, starts_at).into()),
    ];
    text(lang, "cancelled", &args)
}

/// The confirmation of a booking, thanking the customer by name when we know it.
pub fn booked(lang: &Lang, service: &str, staff: &str, tz: Tz, starts_at: DateTime<Utc>, name: Option<&str>) -> String {
    let mut args: Vec<(&str, Arg)> = vec![
        ("service", service.to_lowercase().into()),
        ("staff", staff.into()),
        ("when", i18n::when(lang, tz, starts_at).into()),
    ];
    match name {
        Some(name) => {
            args.push(("name", name.into()));
            text(lang, "booked-name", &args)
        }
        None => text(lang, "booked", &args),
    }
}

/// Free times (`times`, each an [`offered_time`]) on one day; `later_day` says the
/// asked-for day had none.
pub fn offer(lang: &Lang, service: &str, day: NaiveDate, times: &[String], later_day: bool) -> String {
    let day = i18n::day(lang, day);
    let args: [(&str, Arg); 3] = [
        ("service", service.to_lowercase().into()),
        ("day", (&day).into()),
        ("times", i18n::list(lang, times).into()),
    ];
    let offer = text(lang, "offer-intro", &args);
    if later_day {
        format!("{} {offer}", text(lang, "other-day", &[("day", day.into())]))
    } else {
        offer
    }
}

/// One offered time: "14:00 with Ana García".
pub fn offered_time(lang: &Lang, time: &str, staff: &str) -> String {
    text(lang, "offered-time", &[("time", time.into()), ("staff", staff.into())])
}

/// The asked-for time was taken; what follows is the offer of other times.
pub fn not_available(lang: &Lang, tz: Tz, starts_at: DateTime<Utc>, offer: &str) -> String {
    let when = i18n::when(lang, tz, starts_at);
    format!("{} {offer}", text(lang, "not-available", &[("when", when.into())]))
}

pub fn nothing_free(lang: &Lang, service: &str) -> String {
    text(lang, "nothing-free", &[("service", service.to_lowercase().into())])
}

/// The one follow-up of a booking left unfinished.
pub fn abandoned_booking_follow_up(lang: &Lang, name: Option<&str>, service: Option<&str>) -> String {
    let hello = match name {
        Some(name) => text(lang, "hi-name", &[("name", name.into())]),
        None => text(lang, "hi", &[]),
    };
    let question = match service {
        Some(service) => text(
            lang,
            "follow-up-booking-service",
            &[("service", service.to_lowercase().into())],
        ),
        None => text(lang, "follow-up-booking", &[]),
    };
    format!("{hello} {question}")
}

/// Notes for staff in the chat; customers never receive them, so they stay in English.
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn es() -> Lang {
        Lang::parse("es").unwrap()
    }

    #[test]
    fn english_sentences_keep_their_wording() {
        let en = Lang::english();
        let tz = chrono_tz::Europe::Madrid;
        let at = tz.with_ymd_and_hms(2026, 12, 4, 12, 30, 0).unwrap().with_timezone(&Utc);
        assert_eq!(
            booked(&en, "Colour", "Ana García", tz, at, Some("Sara")),
            "You're booked: colour with Ana García on Friday 4 December at 12:30. See you then, Sara!"
        );
        assert_eq!(
            booked(&en, "Colour", "Ana García", tz, at, None),
            "You're booked: colour with Ana García on Friday 4 December at 12:30. See you then!"
        );
        let times = vec![offered_time(&en, "12:00", "Ana"), offered_time(&en, "14:00", "Ben")];
        let day = at.date_naive();
        assert_eq!(
            offer(&en, "Colour", day, &times, true),
            "The nearest free day is Friday 4 December. For a colour on Friday 4 December I can offer \
             12:00 with Ana or 14:00 with Ben. Which time suits you?"
        );
        assert_eq!(
            abandoned_booking_follow_up(&en, None, Some("Colour")),
            "Hi! Would you still like to book your colour? Tell me a day and time and I'll check what's free."
        );
        assert_eq!(
            cancelled(&en, "Colour", tz, at),
            "Your colour on Friday 4 December at 12:30 is cancelled."
        );
    }

    #[test]
    fn spanish_sentences_use_spanish_dates() {
        let tz = chrono_tz::Europe::Madrid;
        let at = tz.with_ymd_and_hms(2026, 12, 4, 12, 30, 0).unwrap().with_timezone(&Utc);
        assert_eq!(
            booked(&es(), "Mechas", "Chloe", tz, at, Some("Carmen")),
            "¡Reservado, Carmen! Te esperamos el viernes 4 de diciembre a las 12:30 para mechas con Chloe."
        );
        let times = vec![offered_time(&es(), "12:00", "Ana"), offered_time(&es(), "14:00", "Ben")];
        assert_eq!(
            offer(&es(), "Tinte", at.date_naive(), &times, false),
            "Para tinte el viernes 4 de diciembre te puedo ofrecer 12:00 con Ana o 14:00 con Ben. \
             ¿Qué hora te va mejor?"
        );
        assert_eq!(
            abandoned_booking_follow_up(&es(), Some("Carmen"), None),
            "¡Hola, Carmen! ¿Todavía quieres reservar tu cita? Dime día y hora y miro qué hay libre."
        );
    }
}
