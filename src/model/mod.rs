//! Wire types shared by the server and the browser: serde only, no I/O.

mod error;
#[macro_use]
mod string_enum;

pub use error::AppError;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum! {
    /// What a staff account may do.
    Role {
        Admin => "admin",
        Agent => "agent",
        Marketer => "marketer",
    }
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Agent => "Agent",
            Role::Marketer => "Marketer",
        }
    }
}

/// A signed-in staff member, as the browser sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// What the frame around every page shows: who is signed in and what answers customers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: StaffUser,
    /// e.g. "Gemini (gemini-2.5-flash)" or "Offline receptionist".
    pub ai_provider: String,
    /// True when WhatsApp messages are recorded, not sent (no access token configured).
    pub whatsapp_outbox: bool,
}

string_enum! {
    /// Where a contact's name came from; a name the customer told us wins over a profile name.
    NameSource {
        Customer => "customer",
        WhatsappProfile => "whatsapp_profile",
        Staff => "staff",
    }
}

string_enum! {
    /// A contact's latest notable result.
    Outcome {
        Booked => "booked",
        BookingAbandoned => "booking_abandoned",
        Cancelled => "cancelled",
        OptedOut => "opted_out",
        HumanHandled => "human_handled",
        NoResponse => "no_response",
    }
}

string_enum! {
    ConversationMode {
        Bot => "bot",
        Human => "human",
    }
}

string_enum! {
    Direction {
        Inbound => "inbound",
        Outbound => "outbound",
    }
}

string_enum! {
    Author {
        Customer => "customer",
        Bot => "bot",
        Staff => "staff",
        System => "system",
    }
}

string_enum! {
    /// Delivery state of a message. Outbound messages only move forward: sent → delivered → read.
    DeliveryStatus {
        Received => "received",
        Pending => "pending",
        Sent => "sent",
        Delivered => "delivered",
        Read => "read",
        Failed => "failed",
    }
}

/// A WhatsApp user id: the digits of the phone number in international form, or, in newer
/// payloads that carry no number, the business-scoped user id (e.g. `US.13491208655302741918`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WaId(String);

impl WaId {
    /// Accepts `+34 600 123 456`, `34600123456` and the like (E.164 allows at most 15 digits),
    /// or a business-scoped user id: two letters, a dot, then letters and digits.
    pub fn parse(raw: &str) -> Result<WaId, AppError> {
        let raw = raw.trim();
        if let Some((country, rest)) = raw.split_once('.') {
            let valid = country.len() == 2
                && country.bytes().all(|b| b.is_ascii_uppercase())
                && (1..=64).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_alphanumeric());
            return if valid {
                Ok(WaId(raw.to_string()))
            } else {
                Err(AppError::Invalid("That is not a WhatsApp user id.".into()))
            };
        }
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '+'))
            .collect();
        if digits.len() < 6 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AppError::Invalid(
                "A WhatsApp number has 6 to 15 digits, with the country code.".into(),
            ));
        }
        Ok(WaId(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How staff see a WhatsApp id: `+34600111222`, or a user id as it is.
pub fn format_wa_id(wa_id: &str) -> String {
    if wa_id.bytes().all(|b| b.is_ascii_digit()) {
        format!("+{wa_id}")
    } else {
        wa_id.to_string()
    }
}

string_enum! {
    /// What the AI understood a customer's message to be.
    Intent {
        Greeting => "GREETING",
        Faq => "FAQ",
        NameProvided => "NAME_PROVIDED",
        BookingRequest => "BOOKING_REQUEST",
        BookingConfirmed => "BOOKING_CONFIRMED",
        BookingCancelled => "BOOKING_CANCELLED",
        BookingAbandoned => "BOOKING_ABANDONED",
        HumanRequested => "HUMAN_REQUESTED",
        OptOut => "OPT_OUT",
        Other => "OTHER",
    }
}

string_enum! {
    /// Whether the receptionist knows the customer: new (or no name yet) or returning.
    CustomerContext {
        NewCustomer => "NEW_CUSTOMER",
        ReturningCustomer => "RETURNING_CUSTOMER",
    }
}

/// What the server pushes over `/ws/inbox-updates`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InboxPush {
    Event(Box<InboxEvent>),
    /// Events were missed (a slow connection, a reconnect): fetch the current state again.
    Resync,
}

/// What the inbox is told as it happens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum InboxEvent {
    MessageCreated {
        conversation_id: i64,
        message: Message,
    },
    ConversationChanged {
        conversation: Conversation,
    },
    DeliveryStatusChanged {
        wa_message_id: String,
        status: DeliveryStatus,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: i64,
    pub wa_id: String,
    pub name: Option<String>,
    pub name_source: Option<NameSource>,
    /// The WhatsApp profile name: a suggestion only, never used as the customer's name unasked.
    pub profile_name: Option<String>,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub last_inbound_at: Option<DateTime<Utc>>,
    pub opted_out_at: Option<DateTime<Utc>>,
    pub last_outcome: Option<Outcome>,
    pub notes: String,
}

impl Contact {
    /// What staff see: the name, or else the phone number.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.wa_id)
    }

    /// WhatsApp allows free-form messages only within 24 hours of the customer's last one.
    pub fn window_open(&self, now: DateTime<Utc>) -> bool {
        self.last_inbound_at
            .is_some_and(|at| now - at < chrono::Duration::hours(24))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: i64,
    pub contact: Contact,
    pub mode: ConversationMode,
    pub assigned_user_id: Option<i64>,
    pub last_activity_at: DateTime<Utc>,
    pub last_message_preview: Option<String>,
    pub unread_count: i64,
    pub needs_attention: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: Direction,
    pub author: Author,
    pub body: String,
    pub wa_message_id: Option<String>,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    pub intent: Option<Intent>,
    pub created_at: DateTime<Utc>,
}

string_enum! {
    ConversationFilter {
        All => "all",
        NeedsAttention => "needs_attention",
        Human => "human",
        Bot => "bot",
    }
}

/// Keyset position in the conversation list (most recent activity first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationCursor {
    pub last_activity_ms: i64,
    pub id: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ConversationPage {
    pub conversations: Vec<Conversation>,
    pub next_cursor: Option<ConversationCursor>,
}

/// A page of the inbox list as the browser gets it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InboxList {
    pub page: ConversationPage,
    pub clock: BusinessClock,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatHistory {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

/// Everything the inbox shows for one open conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationDetail {
    pub history: ChatHistory,
    pub tags: Vec<String>,
    pub appointments: Vec<Appointment>,
    /// WhatsApp allows free-form replies only within 24 hours of the customer's last message.
    pub window_open: bool,
    pub clock: BusinessClock,
}

/// The business's offset from UTC when the data was read, so server and browser render the
/// same local times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessClock {
    pub utc_offset_minutes: i32,
}

impl BusinessClock {
    /// "Fri 14 Mar, 16:05" in the business's time zone.
    pub fn format(self, time: DateTime<Utc>) -> String {
        match chrono::FixedOffset::east_opt(self.utc_offset_minutes * 60) {
            Some(offset) => time.with_timezone(&offset).format("%a %-d %b, %H:%M").to_string(),
            None => time.format("%a %-d %b, %H:%M UTC").to_string(),
        }
    }
}

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
    pub service_name: String,
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
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", cents / 100, cents % 100)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wa_id_keeps_digits_and_rejects_junk() {
        assert_eq!(WaId::parse("+34 600-123-456").unwrap().as_str(), "34600123456");
        assert!(WaId::parse("12345").is_err());
        assert!(WaId::parse("1234567890123456").is_err());
        assert!(WaId::parse("34600abc456").is_err());
        assert_eq!(
            WaId::parse("US.13491208655302741918").unwrap().as_str(),
            "US.13491208655302741918"
        );
        assert!(WaId::parse("US.1349 1208").is_err());
        assert_eq!(format_wa_id("34600111222"), "+34600111222");
    }

    #[test]
    fn string_enums_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Outcome::parse("nonsense"), None);
        assert_eq!(serde_json::to_string(&Outcome::OptedOut).unwrap(), "\"opted_out\"");
    }

    #[test]
    fn money_and_minutes_format_for_people() {
        assert_eq!(format_money(5500, "EUR"), "55.00 EUR");
        assert_eq!(format_money(-5, "EUR"), "-0.05 EUR");
        assert_eq!(format_minute_of_day(570), "09:30");
    }
}
