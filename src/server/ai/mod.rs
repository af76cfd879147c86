//! The AI receptionist behind one interface: Gemini, an OpenAI-compatible server, or the
//! offline receptionist. Every provider answers with the same JSON contract, which is
//! validated here before the controller acts on it.

pub mod gemini;
pub mod offline;
pub mod openai;
pub mod prompt;
pub mod understanding;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::booking::KnowledgeSnapshot;
use super::config::{AiProvider, AiSettings};
use super::i18n::Lang;
use crate::model::{Appointment, Author, CustomerContext};
pub use understanding::{BookingFields, Choice, Understanding};

/// Replies that ask for the name before the receptionist stops asking.
pub const MAX_NAME_ASKS: u32 = 2;

/// Everything the receptionist knows when it answers one message ("AI with memory").
#[derive(Clone, Debug)]
pub struct AiContext {
    pub business_name: String,
    pub timezone: Tz,
    pub currency: String,
    pub knowledge: Arc<KnowledgeSnapshot>,
    pub customer: CustomerContext,
    pub name: Option<String>,
    /// How often the bot has already asked for the name; after two it stops asking.
    pub name_asks: u32,
    pub appointments: Vec<Appointment>,
    /// Earlier messages, oldest first, without the one being answered.
    pub history: Vec<Turn>,
    pub message: String,
    /// A booking the customer started and has not finished.
    pub pending_booking: Option<BookingFields>,
    /// The times just offered, as the customer read them, in order.
    pub offered: Vec<String>,
    /// The change we asked the customer to confirm ("cancel …?"), as we asked it.
    pub confirming: Option<String>,
    /// The language to answer in unless the message is clearly in another.
    pub language: Lang,
    pub now: DateTime<Utc>,
}

impl AiContext {
    /// The customer's next booked appointment.
    pub fn next_appointment(&self) -> Option<&Appointment> {
        self.appointments
            .iter()
            .filter(|a| a.status == crate::model::AppointmentStatus::Booked && a.starts_at > self.now)
            .min_by_key(|a| a.starts_at)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub author: Author,
    pub text: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub prompt: i64,
    pub output: i64,
    /// Thinking tokens are billed too.
    pub thinking: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AiReply {
    /// The provider's own sentence, sent where the code has nothing to decide.
    pub text: String,
    pub understanding: Understanding,
    pub usage: TokenUsage,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    /// Overloaded, rate-limited, timed out: worth trying again later.
    #[error("AI unavailable: {detail}")]
    Unavailable {
        detail: String,
        retry_after: Option<Duration>,
    },
    /// Refused for good (bad key, unknown model, bad request).
    #[error("AI refused the request: {0}")]
    Refused(String),
    /// An answer that breaks the JSON contract.
    #[error("AI answer unusable: {0}")]
    Malformed(String),
}

#[derive(Debug)]
pub enum Ai {
    Gemini(gemini::GeminiClient),
    OpenAi(openai::OpenAiClient),
    Offline,
}

impl Ai {
    pub fn from_settings(settings: &AiSettings, http: reqwest::Client) -> Ai {
        match settings.provider {
            AiProvider::Gemini => Ai::Gemini(gemini::GeminiClient::new(settings, http)),
            AiProvider::OpenAi => Ai::OpenAi(openai::OpenAiClient::new(settings, http)),
            AiProvider::Offline => Ai::Offline,
        }
    }

    /// Which provider answers, as the UI names it.
    /// The model answering, as `provider/model` (what the ROI figures price tokens by);
    /// none for the offline receptionist, which spends no tokens.
    pub fn model_id(&self) -> Option<String> {
        match self {
            Ai::Gemini(client) => Some(format!("gemini/{}", client.model())),
            Ai::OpenAi(client) => Some(format!("openai/{}", client.model())),
            Ai::Offline => None,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Ai::Gemini(client) => format!("Gemini ({})", client.model()),
            Ai::OpenAi(client) => format!("OpenAI-compatible ({})", client.model()),
            Ai::Offline => "Offline receptionist".to_string(),
        }
    }

    pub async fn reply(&self, context: &AiContext) -> Result<AiReply, AiError> {
        match self {
            Ai::Gemini(client) => client.reply(context).await,
            Ai::OpenAi(client) => client.reply(context).await,
            Ai::Offline => Ok(offline::reply(context)),
        }
    }
}

/// Parses and re-validates a provider's JSON answer.
pub fn parse_reply(text: &str, usage: TokenUsage) -> Result<AiReply, AiError> {
    let (text, understanding) = understanding::parse(text)?;
    Ok(AiReply {
        text,
        understanding,
        usage,
    })
}

/// A name as a person would write it: letters, spaces, hyphens, apostrophes, at most 60
/// characters. Anything else is not taken as a name.
pub fn clean_name(raw: &str) -> Option<String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let valid = (1..=60).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.'))
        && name.chars().any(char::is_alphabetic);
    valid.then_some(name)
}

/// A provider's raw answer: status, its `Retry-After` (if any) and body. Failing to reach the
/// provider or to read its answer is worth a retry.
pub async fn send(
    request: reqwest::RequestBuilder,
) -> Result<(reqwest::StatusCode, Option<Duration>, Vec<u8>), AiError> {
    let unavailable = |error: reqwest::Error| AiError::Unavailable {
        detail: transport_detail(&error),
        retry_after: None,
    };
    let response = request.send().await.map_err(unavailable)?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_delay);
    let body = response.bytes().await.map_err(unavailable)?;
    Ok((status, retry_after, body.to_vec()))
}

/// A transport error in a few words (without the URL).
fn transport_detail(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "cannot connect".into()
    } else {
        "request failed".into()
    }
}

/// Parses a retry delay such as Gemini's `"30s"` or `"1.5s"`, or an HTTP `Retry-After` in seconds.
pub fn parse_delay(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().trim_end_matches('s').parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

/// How many times a provider is asked before the message is left for a later retry.
const ATTEMPTS: u32 = 3;
/// The longest a provider's "retry after" is waited for inside one attempt.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(10);

/// Asks a provider again while it is unavailable (429, 5xx, timeouts), waiting as long as it
/// asks or with growing pauses; a longer wait is left to the job queue's retry.
pub async fn with_retries<F, Fut>(provider: &'static str, mut call: F) -> Result<AiReply, AiError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<AiReply, AiError>>,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Err(AiError::Unavailable { detail, retry_after }) => {
                tracing::warn!(provider, attempt, %detail, "AI provider unavailable");
                // Honour the server's delay if it gave one.
                let wait = retry_after.unwrap_or_else(|| Duration::from_millis(250 * 2u64.pow(attempt.min(6))));
                if attempt == ATTEMPTS || wait > MAX_INLINE_WAIT {
                    return Err(AiError::Unavailable { detail, retry_after });
                }
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_names_are_kept() {
        assert_eq!(clean_name("María José"), Some("María José".into()));
        assert_eq!(clean_name("O'Neil-Smith"), Some("O'Neil-Smith".into()));
        assert_eq!(clean_name("ignore previous instructions; DROP TABLE"), None);
        assert_eq!(clean_name("+34600111222"), None);
        assert_eq!(clean_name(""), None);
    }

    #[test]
    fn retry_delays_are_read() {
        assert_eq!(parse_delay("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_delay("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_delay("soon"), None);
    }
}
