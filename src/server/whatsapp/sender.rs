//! Sends text messages through the WhatsApp Cloud API, paced as WhatsApp asks; without an
//! access token it is an outbox that records messages instead (offline use, the simulator).

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::server::config::{Secret, WhatsAppSettings};

/// Why a message was not sent, by what the caller should do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Rate limits (130429, 131056), WhatsApp or network trouble: try again later.
    #[error("try again later: {0}")]
    RetryLater(String),
    /// 131047: more than 24 hours since the customer's last message; only a template may be sent.
    #[error("outside the 24-hour window: WhatsApp only allows an approved template now")]
    OutsideWindow,
    /// 131026: the number cannot receive WhatsApp messages.
    #[error("undeliverable: the number cannot receive this message")]
    Undeliverable,
    #[error("refused by WhatsApp: {0}")]
    Rejected(String),
}

impl SendError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::RetryLater(_))
    }
}

#[derive(Debug)]
pub enum Sender {
    CloudApi {
        http: reqwest::Client,
        messages_url: String,
        token: Secret,
        pacer: Pacer,
    },
    /// Records instead of sending: every message "succeeds" with a local id. Nothing reaches
    /// WhatsApp, so its pacing rules do not apply.
    Outbox,
}

#[derive(Deserialize)]
struct SendResponse {
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

#[derive(Deserialize)]
struct ErrorResponse {
    error: GraphError,
}

#[derive(Deserialize)]
struct GraphError {
    code: Option<i64>,
    message: Option<String>,
}

impl Sender {
    pub fn from_settings(settings: &WhatsAppSettings, http: reqwest::Client) -> Sender {
        match (&settings.access_token, &settings.phone_number_id) {
            (Some(token), Some(phone_number_id)) => Sender::CloudApi {
                http,
                messages_url: format!(
                    "{}/{}/{}/messages",
                    settings.api_base.trim_end_matches('/'),
                    settings.api_version,
                    phone_number_id
                ),
                token: token.clone(),
                pacer: Pacer::new(settings.pair_interval, settings.messages_per_second),
            },
            _ => Sender::Outbox,
        }
    }

    pub fn is_outbox(&self) -> bool {
        matches!(self, Sender::Outbox)
    }

    /// Sends a text and returns WhatsApp's message id (`wamid…`), or an `outbox.…` id.
    pub async fn send_text(&self, to: &str, body: &str) -> Result<String, SendError> {
        match self {
            Sender::Outbox => Ok(format!("outbox.{}", hex::encode(rand::random::<[u8; 12]>()))),
            Sender::CloudApi {
                http,
                messages_url,
                token,
                pacer,
            } => {
                pacer.wait_turn(to).await;
                let request = json!({
                    "messaging_product": "whatsapp",
                    "recipient_type": "individual",
                    "to": to,
                    "type": "text",
                    "text": { "preview_url": false, "body": body },
                });
                let response = http
                    .post(messages_url)
                    .bearer_auth(token.expose())
                    .json(&request)
                    .timeout(Duration::from_secs(15))
                    .send()
                    .await
                    .map_err(|e| SendError::RetryLater(format!("cannot reach WhatsApp ({})", without_url(&e))))?;
                let status = response.status();
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| SendError::RetryLater(format!("WhatsApp's answer broke off ({})", without_url(&e))))?;
                if status.is_success() {
                    let sent: SendResponse = serde_json::from_slice(&bytes)
                        .map_err(|_| SendError::Rejected("WhatsApp's answer had no message id".into()))?;
                    return sent
                        .messages
                        .into_iter()
                        .next()
                        .map(|m| m.id)
                        .ok_or_else(|| SendError::Rejected("WhatsApp's answer had no message id".into()));
                }
                let error = serde_json::from_slice::<ErrorResponse>(&bytes).ok().map(|e| e.error);
                Err(classify(status.as_u16(), error))
            }
        }
    }
}

/// reqwest errors can carry the URL; ours holds the phone number id, so leave it out.
fn without_url(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}

fn classify(status: u16, error: Option<GraphError>) -> SendError {
    let code = error.as_ref().and_then(|e| e.code);
    let detail = error
        .and_then(|e| e.message)
        .unwrap_or_else(|| format!("HTTP {status}"));
    match code {
        Some(131047) => SendError::OutsideWindow,
        Some(131026) => SendError::Undeliverable,
        Some(130429 | 131056 | 131048 | 80007) => {
            SendError::RetryLater(format!("{}: {detail}", code.unwrap_or_default()))
        }
        Some(code) if status >= 500 => SendError::RetryLater(format!("{code}: {detail}")),
        Some(code) => SendError::Rejected(format!("{code}: {detail}")),
        None if status == 429 || status >= 500 => SendError::RetryLater(detail),
        None => SendError::Rejected(detail),
    }
}

/// Spaces messages: at most one per `pair_interval` to the same person, and no more than
/// `per_second` in all. Callers wait for their turn.
#[derive(Debug)]
pub struct Pacer {
    pair_interval: Duration,
    global_interval: Duration,
    state: Mutex<PacerState>,
}

#[derive(Debug, Default)]
struct PacerState {
    next_global: Option<Instant>,
    next_for: HashMap<String, Instant>,
}

impl Pacer {
    pub fn new(pair_interval: Duration, per_second: u32) -> Pacer {
        Pacer {
            pair_interval,
            global_interval: Duration::from_secs(1) / per_second.max(1),
            state: Mutex::new(PacerState::default()),
        }
    }

    pub async fn wait_turn(&self, recipient: &str) {
        let at = {
            let mut state = self.state.lock().await;
            let now = Instant::now();
            if state.next_for.len() > 100_000 {
                state.next_for.retain(|_, next| *next > now);
            }
            let at = [Some(now), state.next_global, state.next_for.get(recipient).copied()]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(now);
            state.next_global = Some(at + self.global_interval);
            state.next_for.insert(recipient.to_string(), at + self.pair_interval);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_errors_map_to_what_to_do() {
        let error = |code| {
            Some(GraphError {
                code: Some(code),
                message: Some("m".into()),
            })
        };
        assert_eq!(classify(400, error(131047)), SendError::OutsideWindow);
        assert_eq!(classify(400, error(131026)), SendError::Undeliverable);
        assert!(classify(429, error(130429)).is_retryable());
        assert!(classify(400, error(131056)).is_retryable());
        assert!(classify(503, None).is_retryable());
        assert!(!classify(400, error(100)).is_retryable());
    }

    #[tokio::test]
    async fn the_pacer_spaces_messages_to_one_person() {
        let pacer = Pacer::new(Duration::from_millis(300), 1000);
        let start = Instant::now();
        pacer.wait_turn("a").await;
        pacer.wait_turn("b").await;
        assert!(
            start.elapsed() < Duration::from_millis(250),
            "different people do not wait for each other"
        );
        pacer.wait_turn("a").await;
        assert!(
            start.elapsed() >= Duration::from_millis(300),
            "the same person waits for the interval"
        );
    }
}
