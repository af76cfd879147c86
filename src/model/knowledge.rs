//! What the business offers: services, staff, hours, FAQs, appointments, and how they
//! read to people.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    AppointmentStatus {
        Booked => "booked",
        Cancelled => "cancelled",
        Completed => "completed",
        NoShow => "no_show",
    }
}

string_enum! {
    /// Who made a booking: what the analytics page credits the bot with.
    BookingSource {
        Bot => "bot",
        Staff => "staff",
        Campaign => "campaign",
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: i64,
    pub contact_id: i64,
    pub service_id: i64,
    pub service_name: String,
    pub staff_id: i64,
    pub staff_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub status: AppointmentStatus,
    pub source: BookingSource,
    pub price_cents: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Service {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub duration_minutes: i64,
    pub price_cents: i64,
    pub active: bool,
    /// Other words customers use for it, comma-separated, in any language
    /// ("corte de pelo, haircut").
    pub aliases: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffMember {
    pub id: i64,
    pub name: String,
    pub role_title: String,
    pub active: bool,
}

/// One opening period on a weekday (0 = Monday), in minutes after local midnight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpeningHours {
    pub weekday: i64,
    pub opens_minute: i64,
    pub closes_minute: i64,
}

/// Days the business is closed besides its weekly hours (holidays, one-off closures), from
/// `starts_on` to `ends_on` inclusive, in the business's time zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Closure {
    pub id: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// As customers are told it: "Christmas".
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Faq {
    pub id: i64,
    pub question: String,
    pub answer: String,
}

/// Everything the knowledge page shows; the AI reads the same tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Knowledge {
    pub business_name: String,
    pub timezone: String,
    pub currency: String,
    pub services: Vec<Service>,
    pub staff: Vec<StaffMember>,
    pub hours: Vec<OpeningHours>,
    pub faqs: Vec<Faq>,
}

/// Formats an amount in minor units, e.g. 5500 EUR → "55.00 EUR".
pub fn format_money(cents: i64, currency: &str) -> String {
    format!("{} {currency}", format_decimal(cents))
}

/// An amount in minor units as a plain decimal, e.g. -1234 → "-12.34".
pub fn format_decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The opening periods of one weekday (0 = Monday), e.g. "09:00–14:00, 16:00–19:00", or
/// "closed".
pub fn opening_hours_on(hours: &[OpeningHours], weekday: usize) -> String {
    let periods: Vec<String> = hours
        .iter()
        .filter(|h| h.weekday == weekday as i64)
        .map(|h| {
            format!(
                "{}–{}",
                format_minute_of_day(h.opens_minute),
                format_minute_of_day(h.closes_minute)
            )
        })
        .collect();
    if periods.is_empty() {
        "closed".to_string()
    } else {
        periods.join(", ")
    }
}

/// "09:30" for 570 minutes after midnight.
pub fn format_minute_of_day(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}
