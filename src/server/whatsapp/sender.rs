//! Sends text messages through the WhatsApp Cloud API, paced as WhatsApp asks; without an
//! access token it is an outbox that records messages instead (offline use, the simulator).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::model::MessageTemplate;
use crate::server::config::{Secret, WhatsAppSettings};
use crate::server::db::{limits, Db};

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
    /// 131049: WhatsApp held back a marketing message "to maintain healthy ecosystem
    /// engagement" (this person got enough marketing lately). Worth one try a day, no sooner.
    #[error("not delivered: WhatsApp limits the marketing messages this person receives")]
    MarketingLimit,
    /// 131048: too many recipients flagged our messages as spam; sending more makes it worse.
    #[error("spam-rate limited: WhatsApp holds back messages from this number for now")]
    SpamRateLimited,
    #[error("refused by WhatsApp: {0}")]
    Rejected(String),
    /// The request went out but no answer came back (timed out, or the answer broke off):
    /// WhatsApp may have sent the message. Chat replies retry (the customer waits for an
    /// answer); campaign sends do not (a marketing message twice is worse than once late).
    #[error("no answer from WhatsApp; the message may have been sent: {0}")]
    Uncertain(String),
}

impl SendError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::RetryLater(_) | SendError::Uncertain(_))
    }
}

#[derive(Debug)]
pub enum Sender {
    CloudApi {
        http: reqwest::Client,
        messages_url: String,
        token: Secret,
        // Boxed: the pacer's state is large beside the outbox's nothing.
        pacer: Box<Pacer>,
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

/// Graph's error answer, for every Graph call of ours.
#[derive(Deserialize)]
pub(super) struct ErrorResponse {
    pub(super) error: GraphError,
}

#[derive(Deserialize)]
pub(super) struct GraphError {
    pub(super) code: Option<i64>,
    pub(super) message: Option<String>,
}

impl Sender {
    /// `shared`: the database other instances pace through too (PostgreSQL), if any.
    pub fn from_settings(settings: &WhatsAppSettings, http: reqwest::Client, shared: Option<Db>) -> Sender {
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
                pacer: Box::new(
                    Pacer::new(settings.pair_interval, settings.messages_per_second).shared_through(shared),
                ),
            },
            _ => Sender::Outbox,
        }
    }

    pub fn is_outbox(&self) -> bool {
        matches!(self, Sender::Outbox)
    }

    /// Sends a text and returns WhatsApp's message id (`wamid…`), or an `outbox.…` id.
    pub async fn send_text(&self, to: &str, body: &str) -> Result<String, SendError> {
        self.send(
            to,
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": { "preview_url": false, "body": body },
            }),
        )
        .await
    }

    /// Sends an approved template (the only kind WhatsApp delivers outside the 24-hour
    /// window) and returns its message id, or an `outbox.…` id.
    pub async fn send_template(&self, to: &str, template: &TemplateMessage) -> Result<String, SendError> {
        self.send(to, template.request(to)).await
    }

    /// The one way a message reaches WhatsApp: paced, posted, its answer read.
    async fn send(&self, to: &str, request: Value) -> Result<String, SendError> {
        match self {
            Sender::Outbox => Ok(format!("outbox.{}", hex::encode(rand::random::<[u8; 12]>()))),
            Sender::CloudApi {
                http,
                messages_url,
                token,
                pacer,
            } => {
                pacer.wait_turn(to).await;
                let response = http
                    .post(messages_url)
                    .bearer_auth(token.expose())
                    .json(&request)
                    .timeout(Duration::from_secs(15))
                    .send()
                    .await
                    .map_err(|e| {
                        let detail = format!("cannot reach WhatsApp ({})", without_url(&e));
                        // A connection never made sent nothing; a timeout may have.
                        if e.is_connect() {
                            SendError::RetryLater(detail)
                        } else {
                            SendError::Uncertain(detail)
                        }
                    })?;
                let status = response.status();
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| SendError::Uncertain(format!("WhatsApp's answer broke off ({})", without_url(&e))))?;
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

/// A template message to one person: the template's name and language, and the body's
/// parameters in the order the template lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateMessage {
    pub name: String,
    pub language: String,
    pub parameters: Vec<TemplateParameter>,
}

/// One body parameter: `customer_name` (named) or `1` (positional), and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateParameter {
    pub name: String,
    pub text: String,
}

impl TemplateMessage {
    /// `template` with `name` in its name parameter; `None` when it has other parameters,
    /// which nothing here knows how to fill.
    pub fn with_name(template: &MessageTemplate, name: &str) -> Option<TemplateMessage> {
        if !template.needs_only_a_name() {
            return None;
        }
        Some(TemplateMessage {
            name: template.name.clone(),
            language: template.language.clone(),
            parameters: template
                .parameters
                .iter()
                .map(|p| TemplateParameter {
                    name: p.clone(),
                    text: name.to_string(),
                })
                .collect(),
        })
    }

    /// Graph's request body. Named parameters carry `parameter_name`; positional ones go in
    /// their order without it; a template without parameters has no components.
    fn request(&self, to: &str) -> Value {
        let mut template = json!({
            "name": self.name,
            "language": { "code": self.language },
        });
        if !self.parameters.is_empty() {
            let parameters: Vec<Value> = self
                .parameters
                .iter()
                .map(|p| {
                    if p.name.bytes().all(|b| b.is_ascii_digit()) {
                        json!({ "type": "text", "text": p.text })
                    } else {
                        json!({ "type": "text", "parameter_name": p.name, "text": p.text })
                    }
                })
                .collect();
            template["components"] = json!([{ "type": "body", "parameters": parameters }]);
        }
        json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": template,
        })
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
        Some(131049) => SendError::MarketingLimit,
        Some(131048) => SendError::SpamRateLimited,
        Some(130429 | 131056 | 80007) => SendError::RetryLater(format!("{}: {detail}", code.unwrap_or_default())),
        Some(code) if status >= 500 => SendError::RetryLater(format!("{code}: {detail}")),
        Some(code) => SendError::Rejected(format!("{code}: {detail}")),
        None if status == 429 || status >= 500 => SendError::RetryLater(detail),
        None => SendError::Rejected(detail),
    }
}

/// Spaces messages: at most one per `pair_interval` to the same person, and no more than
/// `per_second` in all. Callers wait for their turn.
///
/// Turns are handed out evenly spaced, but a task woken late (a busy runtime) would go out
/// together with the next ones; so each release is also checked against the last second's
/// releases, which keeps "never above the rate" true in every one-second window.
///
/// With several instances on one PostgreSQL database the turns are also taken in the
/// database ([`limits::take_send_turns`]), so the rates hold for the business number
/// whichever instance sends.
#[derive(Debug)]
pub struct Pacer {
    pair_interval: Duration,
    global_interval: Duration,
    per_second: usize,
    state: Mutex<PacerState>,
    shared: Option<SharedTurns>,
}

#[derive(Debug)]
struct SharedTurns {
    db: Db,
    last_prune: Mutex<Instant>,
}

/// How often turns long past are removed from the database.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct PacerState {
    next_global: Option<Instant>,
    next_for: HashMap<String, Instant>,
    /// When the last `per_second` messages were let go, oldest first.
    released: VecDeque<Instant>,
}

/// The window the release count is kept in: a second, and a little more for the jitter of
/// the way to WhatsApp, so that messages let go a second apart cannot arrive closer.
const RATE_WINDOW: Duration = Duration::from_millis(1_020);

impl Pacer {
    pub fn new(pair_interval: Duration, per_second: u32) -> Pacer {
        Pacer {
            pair_interval,
            global_interval: Duration::from_secs(1) / per_second.max(1),
            per_second: per_second.max(1) as usize,
            state: Mutex::new(PacerState::default()),
            shared: None,
        }
    }

    /// Takes turns through `db` as well (PostgreSQL, where other instances may send).
    pub fn shared_through(mut self, db: Option<Db>) -> Pacer {
        self.shared = db.map(|db| SharedTurns {
            db,
            last_prune: Mutex::new(Instant::now()),
        });
        self
    }

    /// Waits for this message's turn among every instance's: the business number's next
    /// turn, and the person's. A database that cannot be asked does not stop the message;
    /// this instance's own pacing still holds.
    async fn wait_shared_turn(&self, recipient: &str) {
        let Some(shared) = &self.shared else {
            return;
        };
        let person = format!("to:{}", crate::server::auth::token_hash(recipient));
        // Spread over the release window, as this instance's own check is: turns taken by
        // instances that cannot see each other's releases keep some room for late wake-ups.
        let number_gap = i64::try_from(RATE_WINDOW.as_micros() / self.per_second as u128)
            .unwrap_or(i64::MAX)
            .max(1);
        let person_gap = i64::try_from(self.pair_interval.as_micros()).unwrap_or(i64::MAX);
        let mut keys = vec![("number", number_gap)];
        if person_gap > 0 {
            keys.push((person.as_str(), person_gap));
        }
        match limits::take_send_turns(&shared.db, &keys).await {
            Ok(wait) => tokio::time::sleep(Duration::from_micros(wait.unsigned_abs())).await,
            Err(error) => tracing::warn!(%error, "cannot take a shared WhatsApp sending turn"),
        }
        let mut last_prune = shared.last_prune.lock().await;
        if last_prune.elapsed() >= PRUNE_EVERY {
            *last_prune = Instant::now();
            if let Err(error) = limits::prune_send_turns(&shared.db).await {
                tracing::warn!(%error, "cannot forget old WhatsApp sending turns");
            }
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
        self.wait_shared_turn(recipient).await;
        loop {
            let free_at = {
                let mut state = self.state.lock().await;
                let now = Instant::now();
                match state.released.front() {
                    Some(&oldest) if state.released.len() >= self.per_second && oldest + RATE_WINDOW > now => {
                        oldest + RATE_WINDOW
                    }
                    _ => {
                        if state.released.len() >= self.per_second {
                            state.released.pop_front();
                        }
                        state.released.push_back(now);
                        return;
                    }
                }
            };
            tokio::time::sleep_until(free_at).await;
        }
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
        assert_eq!(classify(400, error(131049)), SendError::MarketingLimit);
        assert_eq!(classify(400, error(131048)), SendError::SpamRateLimited);
        assert!(
            !SendError::MarketingLimit.is_retryable(),
            "once a day, by the campaign sender"
        );
        assert!(!SendError::SpamRateLimited.is_retryable(), "more sends make it worse");
        assert!(!classify(400, error(100)).is_retryable());
    }

    fn template(body: &str, parameters: &[&str]) -> MessageTemplate {
        MessageTemplate {
            id: 1,
            name: "seasonal_offer".into(),
            language: "en".into(),
            category: "MARKETING".into(),
            status: "APPROVED".into(),
            body: body.into(),
            parameters: parameters.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn template_requests_have_graphs_wire_format() {
        let named = TemplateMessage::with_name(&template("Hi {{customer_name}}", &["customer_name"]), "Ana").unwrap();
        assert_eq!(
            named.request("34600111222"),
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "34600111222",
                "type": "template",
                "template": {
                    "name": "seasonal_offer",
                    "language": { "code": "en" },
                    "components": [{ "type": "body", "parameters": [
                        { "type": "text", "parameter_name": "customer_name", "text": "Ana" }
                    ] }]
                }
            })
        );
        let positional = TemplateMessage::with_name(&template("Hi {{1}}", &["1"]), "Ana").unwrap();
        assert_eq!(
            positional.request("1")["template"]["components"][0]["parameters"],
            json!([{ "type": "text", "text": "Ana" }])
        );
        let plain = TemplateMessage::with_name(&template("Hello", &[]), "Ana").unwrap();
        assert!(plain.request("1")["template"].get("components").is_none());
        assert_eq!(
            TemplateMessage::with_name(&template("{{1}} on {{2}}", &["1", "2"]), "Ana"),
            None,
            "a second parameter cannot be filled from the name"
        );
    }

    /// A runtime too busy to wake the waiting sends on time must not let them out together.
    #[tokio::test(flavor = "current_thread")]
    async fn late_wake_ups_never_exceed_the_rate() {
        let pacer = std::sync::Arc::new(Pacer::new(Duration::ZERO, 20));
        let released = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let (pacer, released) = (pacer.clone(), released.clone());
                tokio::spawn(async move {
                    pacer.wait_turn(&format!("person {i}")).await;
                    released.lock().unwrap().push(Instant::now());
                })
            })
            .collect();
        tokio::task::yield_now().await;
        // Blocks the only worker thread: a second's worth of turns fall due meanwhile.
        std::thread::sleep(Duration::from_millis(1_200));
        for task in tasks {
            task.await.unwrap();
        }
        let mut released = released.lock().unwrap().clone();
        released.sort();
        let most_in_a_second = (0..released.len())
            .map(|i| {
                released[i..]
                    .iter()
                    .take_while(|at| **at < released[i] + Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap();
        assert_eq!(released.len(), 50);
        assert!(most_in_a_second <= 20, "{most_in_a_second} messages in one second");
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
