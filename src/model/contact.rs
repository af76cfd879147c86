//! Contacts: who writes to the business, by WhatsApp id, name and outcome.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{AppError, ConsentSource};

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
    /// The code of the language we write to them in (`en`, `es`); `None` until it is known.
    pub language: Option<String>,
    /// Marketing consent: since when, and who recorded it. Campaigns skip contacts without it.
    pub consent_at: Option<DateTime<Utc>>,
    pub consent_source: Option<ConsentSource>,
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

/// A language staff can pick for a contact: its code and how it calls itself ("Español").
/// The server sends the list, so a new catalog shows up without browser code changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LanguageChoice {
    pub code: String,
    pub name: String,
}

/// One line of an imported file that was not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedLine {
    /// The line's number in the file, counting the header as line 1 (as a spreadsheet shows it).
    pub line: u64,
    pub reason: String,
}

/// What a CSV import of contacts did. `lines = rejected + duplicates + created + merged`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The stored record of this import.
    pub import_id: i64,
    /// Data lines read (the header is not counted).
    pub lines: u64,
    /// New contacts.
    pub created: u64,
    /// Existing contacts the file added to (name, tags, consent).
    pub merged: u64,
    /// Lines that repeated a number seen earlier in the file, merged into it.
    pub duplicates: u64,
    /// Contacts whose marketing consent this import recorded (consent already given is kept).
    pub consent_given: u64,
    pub rejected: Vec<RejectedLine>,
}
