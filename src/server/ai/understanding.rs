//! One structured reading of a customer message, whichever provider made it: what they want
//! (possibly several things), their name, what they want booked, which offered time they
//! picked, whether they said "don't", and their language. The controller decides from this
//! alone; a model's own sentence is used only where the code has nothing to decide.

use serde::{Deserialize, Serialize};

use super::{clean_name, AiError};
use crate::model::Intent;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Understanding {
    /// What the message asks for, in the order said; never empty once parsed.
    pub intents: Vec<Intent>,
    pub customer_name: Option<String>,
    /// ISO 639-1 code of the message's language, when it can be told.
    pub language: Option<String>,
    pub booking: Option<BookingFields>,
    /// A reference to one of the times just offered.
    pub choice: Option<Choice>,
    /// "Please don't cancel": the intents are said in the negative.
    pub negated: bool,
    /// A factual question the offline receptionist answers from the knowledge. Remote models
    /// answer questions in their own reply, so they leave this empty.
    pub question: Option<Question>,
}

impl Understanding {
    pub fn has(&self, intent: Intent) -> bool {
        self.intents.contains(&intent)
    }

    /// The intent stored with the message: the first that asks the code to act.
    pub fn main_intent(&self) -> Intent {
        self.intents.first().copied().unwrap_or(Intent::Other)
    }
}

/// What the customer asked to book, as far as it is known. The code checks it against real
/// availability; the AI's word is never enough.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFields {
    #[serde(default)]
    pub service: Option<String>,
    /// `YYYY-MM-DD` in the business time zone: the day, or the first day of a range.
    #[serde(default)]
    pub date: Option<String>,
    /// The last day of a range ("next week"), `YYYY-MM-DD`.
    #[serde(default)]
    pub date_to: Option<String>,
    /// `HH:MM`, 24-hour clock: an exact time.
    #[serde(default)]
    pub time: Option<String>,
    /// The window: nothing before `earliest`, nothing at or after `latest` (`HH:MM`).
    #[serde(default)]
    pub earliest: Option<String>,
    #[serde(default)]
    pub latest: Option<String>,
    #[serde(default)]
    pub staff: Option<String>,
}

impl BookingFields {
    /// Newer fields win; what the customer said before is kept. A window is replaced whole
    /// ("after 5" then "before 11" is not 17:00–11:00), and a day without a range ends the
    /// earlier range.
    pub fn merged_over(self, earlier: &BookingFields) -> BookingFields {
        let new_window = self.earliest.is_some() || self.latest.is_some();
        let (earliest, latest) = if new_window {
            (self.earliest, self.latest)
        } else {
            (earlier.earliest.clone(), earlier.latest.clone())
        };
        let date_to = match (&self.date, self.date_to) {
            (Some(_), date_to) => date_to,
            (None, date_to) => date_to.or_else(|| earlier.date_to.clone()),
        };
        BookingFields {
            service: self.service.or_else(|| earlier.service.clone()),
            date: self.date.or_else(|| earlier.date.clone()),
            date_to,
            time: self.time.or_else(|| earlier.time.clone()),
            earliest,
            latest,
            staff: self.staff.or_else(|| earlier.staff.clone()),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == BookingFields::default()
    }
}

/// Which of the offered times the customer took.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// 1-based position in the offer; -1 is the last.
    #[serde(default)]
    pub index: Option<i64>,
    /// `HH:MM` of the offered time.
    #[serde(default)]
    pub time: Option<String>,
    #[serde(default)]
    pub staff: Option<String>,
    /// "Any is fine".
    #[serde(default)]
    pub any: bool,
}

/// A question with one factual answer in the knowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// Opening hours on one day (`YYYY-MM-DD`), or the week's when no day was named.
    Hours {
        date: Option<String>,
        asks: HoursAsked,
    },
    /// A service's price, or the price list.
    Price {
        service: Option<i64>,
    },
    Duration {
        service: i64,
    },
    Faq {
        id: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoursAsked {
    Open,
    Opening,
    Closing,
}

/// The JSON every remote provider must produce. The older single-intent form (`intent`,
/// `booking.part_of_day`) is still read.
#[derive(Deserialize)]
struct Raw {
    reply: String,
    #[serde(default)]
    intents: Vec<String>,
    #[serde(default)]
    intent: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    customer_name: Option<String>,
    #[serde(default)]
    booking: Option<RawBooking>,
    #[serde(default)]
    choice: Option<Choice>,
    #[serde(default)]
    negated: Option<bool>,
}

#[derive(Deserialize)]
struct RawBooking {
    #[serde(flatten)]
    fields: BookingFields,
    #[serde(default)]
    part_of_day: Option<String>,
}

/// The longest reply we send; WhatsApp allows 4,096 characters, a receptionist needs far fewer.
const MAX_REPLY_CHARS: usize = 1500;

/// A provider's JSON answer, checked: its own sentence and what it understood.
pub fn parse(text: &str) -> Result<(String, Understanding), AiError> {
    let text = text.trim();
    // Some models wrap JSON in a Markdown fence despite being asked not to.
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(text);
    let raw: Raw =
        serde_json::from_str(text).map_err(|e| AiError::Malformed(format!("not the JSON contract ({e})")))?;
    let reply = raw.reply.trim();
    if reply.is_empty() {
        return Err(AiError::Malformed("empty reply".into()));
    }
    let mut intents = Vec::new();
    for name in raw.intents.iter().chain(raw.intent.iter()) {
        let intent = Intent::parse(name.trim()).ok_or_else(|| {
            AiError::Malformed(format!(
                "unknown intent `{}`",
                name.chars().take(40).collect::<String>()
            ))
        })?;
        if !intents.contains(&intent) {
            intents.push(intent);
        }
    }
    if intents.is_empty() {
        return Err(AiError::Malformed("no intent".into()));
    }
    let booking = raw.booking.map(|b| {
        let mut fields = b.fields;
        if let Some((earliest, latest)) = b.part_of_day.as_deref().and_then(part_of_day_window) {
            fields.earliest = fields.earliest.or(Some(earliest.into()));
            fields.latest = fields.latest.or(Some(latest.into()));
        }
        fields
    });
    let understanding = Understanding {
        intents,
        customer_name: raw.customer_name.as_deref().and_then(clean_name),
        language: raw.language.map(|l| l.trim().to_lowercase()).filter(|l| !l.is_empty()),
        booking: booking.filter(|b| !b.is_empty()),
        choice: raw.choice,
        negated: raw.negated.unwrap_or(false),
        question: None,
    };
    Ok((reply.chars().take(MAX_REPLY_CHARS).collect(), understanding))
}

/// The window of a part of the day as people in a salon mean it.
pub fn part_of_day_window(part: &str) -> Option<(&'static str, &'static str)> {
    match part.trim().to_lowercase().as_str() {
        "morning" => Some(("00:00", "12:00")),
        "afternoon" => Some(("12:00", "17:00")),
        "evening" => Some(("17:00", "24:00")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_structured_answer_is_read_and_checked() {
        let (reply, u) = parse(
            r#"{"reply":"¡Hola Marta!","intents":["NAME_PROVIDED","BOOKING_REQUEST"],"language":"ES",
                "customer_name":" Marta ","booking":{"service":"Highlights","date":"2026-12-01","time":"10:00",
                "earliest":null,"latest":null,"staff":null,"date_to":null},"choice":null,"negated":false}"#,
        )
        .unwrap();
        assert_eq!(reply, "¡Hola Marta!");
        assert_eq!(u.intents, vec![Intent::NameProvided, Intent::BookingRequest]);
        assert_eq!(u.customer_name.as_deref(), Some("Marta"));
        assert_eq!(u.language.as_deref(), Some("es"));
        assert_eq!(u.booking.unwrap().time.as_deref(), Some("10:00"));
    }

    #[test]
    fn the_older_single_intent_form_is_still_read() {
        let (_, u) = parse(
            r#"{"reply":"Let me check","intent":"BOOKING_REQUEST","booking":{"service":"Colour","part_of_day":"afternoon"}}"#,
        )
        .unwrap();
        assert_eq!(u.intents, vec![Intent::BookingRequest]);
        let booking = u.booking.unwrap();
        assert_eq!(booking.earliest.as_deref(), Some("12:00"));
        assert_eq!(booking.latest.as_deref(), Some("17:00"));
        let fenced = parse("```json\n{\"reply\":\"Hi\",\"intent\":\"GREETING\"}\n```").unwrap();
        assert_eq!(fenced.0, "Hi");
    }

    #[test]
    fn malformed_answers_are_refused() {
        for bad in [
            "not json",
            r#"{"reply":"","intent":"GREETING"}"#,
            r#"{"reply":"Hi","intent":"DELETE_EVERYTHING"}"#,
            r#"{"reply":"Hi","intents":[]}"#,
            r#"{"intent":"GREETING"}"#,
        ] {
            assert!(matches!(parse(bad), Err(AiError::Malformed(_))), "{bad}");
        }
    }

    #[test]
    fn a_window_is_replaced_whole() {
        let earlier = BookingFields {
            service: Some("Colour".into()),
            date: Some("2026-12-01".into()),
            earliest: Some("17:00".into()),
            ..Default::default()
        };
        let other_day = BookingFields {
            date: Some("2026-12-02".into()),
            ..Default::default()
        }
        .merged_over(&earlier);
        assert_eq!(other_day.earliest.as_deref(), Some("17:00"), "the window is kept");
        assert_eq!(other_day.service.as_deref(), Some("Colour"));
        let before = BookingFields {
            latest: Some("11:00".into()),
            ..Default::default()
        }
        .merged_over(&earlier);
        assert_eq!((before.earliest, before.latest.as_deref()), (None, Some("11:00")));
    }
}
