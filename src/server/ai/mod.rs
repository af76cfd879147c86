//! The AI receptionist behind one interface: Gemini, an OpenAI-compatible server, or the
//! offline receptionist. Every provider answers with the same JSON contract, which is
//! validated here before the controller acts on it.

pub mod gemini;
pub mod offline;
pub mod openai;
pub mod prompt;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::booking::KnowledgeSnapshot;
use super::config::{AiProvider, AiSettings};
use crate::model::{Appointment, Author, CustomerContext, Intent};

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
    pub now: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub author: Author,
    pub text: String,
}

/// What the customer asked to book, as far as it is known. The code checks it against real
/// availability; the AI's word is never enough.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookingFields {
    pub service: Option<String>,
    /// `YYYY-MM-DD` in the business time zone.
    pub date: Option<String>,
    /// `HH:MM`, 24-hour clock.
    pub time: Option<String>,
    /// `morning`, `afternoon` or `evening`.
    pub part_of_day: Option<String>,
    pub staff: Option<String>,
}

impl BookingFields {
    /// Newer fields win; what the customer said before is kept.
    pub fn merged_over(self, earlier: &BookingFields) -> BookingFields {
        BookingFields {
            service: self.service.or_else(|| earlier.service.clone()),
            date: self.date.or_else(|| earlier.date.clone()),
            time: self.time.or_else(|| earlier.time.clone()),
            part_of_day: self.part_of_day.or_else(|| earlier.part_of_day.clone()),
            staff: self.staff.or_else(|| earlier.staff.clone()),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub prompt: i64,
    pub output: i64,
    /// Thinking tokens are billed too.
    pub thinking: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AiReply {
    pub text: String,
    pub intent: Intent,
    pub customer_name: Option<String>,
    pub booking: Option<BookingFields>,
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

/// The JSON every provider must produce.
#[derive(Deserialize)]
struct RawReply {
    reply: String,
    intent: String,
    #[serde(default)]
    customer_name: Option<String>,
    #[serde(default)]
    booking: Option<BookingFields>,
}

/// The longest reply we send; WhatsApp allows 4,096 characters, a receptionist needs far fewer.
const MAX_REPLY_CHARS: usize = 1500;

/// Parses and re-validates a provider's JSON answer.
pub fn parse_reply(text: &str, usage: TokenUsage) -> Result<AiReply, AiError> {
    let text = text.trim();
    // Some models wrap JSON in a Markdown fence despite being asked not to.
    let text = text
        .strip_prefix("```json")
        .or_else(|| text.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(text);
    let raw: RawReply =
        serde_json::from_str(text).map_err(|e| AiError::Malformed(format!("not the JSON contract ({e})")))?;
    let reply = raw.reply.trim();
    if reply.is_empty() {
        return Err(AiError::Malformed("empty reply".into()));
    }
    let intent = Intent::parse(raw.intent.trim()).ok_or_else(|| {
        AiError::Malformed(format!(
            "unknown intent `{}`",
            raw.intent.chars().take(40).collect::<String>()
        ))
    })?;
    Ok(AiReply {
        text: reply.chars().take(MAX_REPLY_CHARS).collect(),
        intent,
        customer_name: raw.customer_name.as_deref().and_then(clean_name),
        booking: raw.booking,
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
    fn a_valid_answer_is_read_and_checked() {
        let reply = parse_reply(
            r#"{"reply":"Nice to meet you, Sara!","intent":"NAME_PROVIDED","customer_name":" Sara ","booking":null}"#,
            TokenUsage::default(),
        )
        .unwrap();
        assert_eq!(reply.intent, Intent::NameProvided);
        assert_eq!(reply.customer_name.as_deref(), Some("Sara"));
        let fenced = parse_reply(
            "```json\n{\"reply\":\"Hi\",\"intent\":\"GREETING\"}\n```",
            TokenUsage::default(),
        );
        assert_eq!(fenced.unwrap().text, "Hi");
    }

    #[test]
    fn malformed_answers_are_refused() {
        for bad in [
            "not json",
            r#"{"reply":"","intent":"GREETING"}"#,
            r#"{"reply":"Hi","intent":"DELETE_EVERYTHING"}"#,
            r#"{"intent":"GREETING"}"#,
        ] {
            assert!(
                matches!(parse_reply(bad, TokenUsage::default()), Err(AiError::Malformed(_))),
                "{bad}"
            );
        }
    }

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
