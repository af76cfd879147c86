//! Every sentence the bot writes to a customer, and the notes it leaves for staff, in one
//! place: change the wording here, not in the controller. (The AI's own sentences come from
//! the AI; these are the ones our code decides.)

use chrono::DateTime;
use chrono::Utc;
use chrono_tz::Tz;

use crate::server::booking::describe;

pub const FALLBACK: &str = "Sorry, I'm having a little trouble right now. I'll get back to you in a moment.";
pub const UNSUPPORTED_MESSAGE: &str = "Thanks! I can only read text messages for now. Could you type your question?";
pub const OPTED_OUT: &str = "You're unsubscribed and won't get messages from us. Reply START any time to opt back in.";
pub const OPTED_IN: &str = "Welcome back! You'll hear from us again. How can I help?";
pub const HOLDING: &str = "Thanks for your patience. A member of our team has your message and will reply shortly.";
pub const NO_APPOINTMENT_TO_CANCEL: &str = "I couldn't find an upcoming appointment to cancel.";
pub const TIME_DOES_NOT_EXIST: &str = "That time does not exist on that day. Which other time suits you?";

/// "Your colour on Friday 20 Mar at 14:00 is cancelled."
pub fn cancelled(service: &str, tz: Tz, starts_at: DateTime<Utc>) -> String {
    format!(
        "Your {} on {} is cancelled.",
        service.to_lowercase(),
        describe(tz, starts_at)
    )
}

/// The confirmation of a booking, thanking the customer by name when we know it.
pub fn booked(service: &str, staff: &str, tz: Tz, starts_at: DateTime<Utc>, name: Option<&str>) -> String {
    let thanks = name.map(|n| format!(", {n}")).unwrap_or_default();
    format!(
        "You're booked: {} with {staff} on {}. See you then{thanks}!",
        service.to_lowercase(),
        describe(tz, starts_at)
    )
}

/// Free times on one day; `later_day` says the asked-for day had none.
pub fn offer(service: &str, day: &str, times: &[String], later_day: bool) -> String {
    let lead = if later_day { "That day is full. " } else { "" };
    format!(
        "{lead}For a {} on {day} I can offer {}. Which time suits you?",
        service.to_lowercase(),
        times.join(", ")
    )
}

/// One offered time: "14:00 with Ana García".
pub fn offered_time(time: &str, staff: &str) -> String {
    format!("{time} with {staff}")
}

/// The asked-for time was taken; what follows is the offer of other times.
pub fn not_available(tz: Tz, starts_at: DateTime<Utc>, offer: &str) -> String {
    format!("Sorry, {} is not available. {offer}", describe(tz, starts_at))
}

pub fn nothing_free(service: &str) -> String {
    format!(
        "Sorry, I can't find a free time for a {} in the next two weeks. A member of our team will help you.",
        service.to_lowercase()
    )
}

/// The one follow-up of a booking left unfinished.
pub fn abandoned_booking_follow_up(name: Option<&str>, service: Option<&str>) -> String {
    let hello = name.map_or("Hi!".to_string(), |n| format!("Hi {n}!"));
    let what = service.map_or("your appointment".to_string(), |s| format!("your {}", s.to_lowercase()));
    format!("{hello} Would you still like to book {what}? Tell me a day and time and I'll check what's free.")
}

/// Notes for staff in the chat; customers never receive them.
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
