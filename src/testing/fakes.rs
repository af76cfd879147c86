//! Small servers on loopback that speak the exact wire formats of the WhatsApp Cloud API and
//! the Gemini API, so the production clients talk to them unchanged.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

/// One message as the fake Graph API received it.
#[derive(Clone, Debug)]
pub struct SentMessage {
    pub to: String,
    /// A text message's body; empty for a template.
    pub body: String,
    /// What a template message asked for; `None` for text.
    pub template: Option<SentTemplate>,
    /// The request body exactly as received.
    pub request: Value,
    pub wamid: String,
    pub authorization: String,
    pub path: String,
    /// When it arrived.
    pub at: std::time::Instant,
}

/// A template send: which template, and its body parameters in order, each with its
/// `parameter_name` when it is a named one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentTemplate {
    pub name: String,
    pub language: String,
    pub parameters: Vec<(Option<String>, String)>,
}

/// One request for the template list.
#[derive(Clone, Debug)]
pub struct TemplateListRequest {
    pub path: String,
    pub query: HashMap<String, String>,
    pub authorization: String,
}

#[derive(Default)]
struct GraphState {
    base: OnceLock<String>,
    sent: Mutex<Vec<SentMessage>>,
    /// Error answers (status, Graph error code) to give before succeeding again.
    failures: Mutex<VecDeque<(u16, i64)>>,
    /// Error answers (status, Graph error code) for every send to these recipients.
    failing_recipients: Mutex<HashMap<String, (u16, i64)>>,
    /// Sends are held unanswered (and not recorded) while this is on,
    hang: AtomicBool,
    /// or once this many sends are recorded (`usize::MAX`, the default: never).
    hang_after: std::sync::atomic::AtomicUsize,
    /// How many sends are being held unanswered right now.
    held: std::sync::atomic::AtomicUsize,
    /// The business account's templates, in Graph's format.
    templates: Mutex<Vec<Value>>,
    /// An error answer (status, Graph error code) for the next template list request.
    templates_failure: Mutex<Option<(u16, i64)>>,
    template_requests: Mutex<Vec<TemplateListRequest>>,
}

#[derive(Clone)]
pub struct FakeGraph {
    pub base: String,
    state: Arc<GraphState>,
}

impl FakeGraph {
    pub async fn start() -> FakeGraph {
        let state = Arc::new(GraphState {
            hang_after: std::sync::atomic::AtomicUsize::new(usize::MAX),
            ..GraphState::default()
        });
        let router = Router::new()
            .route("/{version}/{phone_number_id}/messages", post(graph_send))
            .route("/{version}/{waba_id}/message_templates", get(graph_templates))
            .with_state(state.clone());
        let base = serve(router).await;
        let _ = state.base.set(base.clone());
        FakeGraph { base, state }
    }

    /// The templates the business account lists, in Graph's format (see [`graph_template`]).
    pub fn set_templates(&self, templates: Vec<Value>) {
        *self.state.templates.lock().unwrap() = templates;
    }

    /// Answers the next template list request with a Graph error.
    pub fn fail_templates_next(&self, status: u16, code: i64) {
        *self.state.templates_failure.lock().unwrap() = Some((status, code));
    }

    pub fn template_requests(&self) -> Vec<TemplateListRequest> {
        self.state.template_requests.lock().unwrap().clone()
    }

    /// The template messages received, with their recipients.
    pub fn templates_sent(&self) -> Vec<(String, SentTemplate)> {
        self.sent()
            .into_iter()
            .filter_map(|m| m.template.map(|t| (m.to, t)))
            .collect()
    }

    /// Answers every send to `to` with this Graph error (131049, 131048, …) from now on.
    pub fn fail_for(&self, to: &str, status: u16, code: i64) {
        self.state
            .failing_recipients
            .lock()
            .unwrap()
            .insert(to.to_string(), (status, code));
    }

    pub fn sent(&self) -> Vec<SentMessage> {
        self.state.sent.lock().unwrap().clone()
    }

    pub fn sent_to(&self, to: &str) -> Vec<String> {
        self.sent().into_iter().filter(|m| m.to == to).map(|m| m.body).collect()
    }

    pub fn fail_next(&self, status: u16, code: i64) {
        self.state.failures.lock().unwrap().push_back((status, code));
    }

    /// Holds every send unanswered until `hang(false)`: a server killed meanwhile has not
    /// sent anything.
    pub fn hang(&self, on: bool) {
        if !on {
            self.state.hang_after.store(usize::MAX, Ordering::SeqCst);
        }
        self.state.hang.store(on, Ordering::SeqCst);
    }

    /// Hangs, as [`FakeGraph::hang`], every send after the first `sends` recorded ones: a
    /// crash then finds sends in WhatsApp's hands however fast the first ones went.
    pub fn hang_after(&self, sends: usize) {
        self.state.hang_after.store(sends, Ordering::SeqCst);
    }

    /// How many sends are held unanswered right now: a test that kills the sender once this
    /// reaches its number of sends in flight knows none of them was answered.
    pub fn held(&self) -> usize {
        self.state.held.load(Ordering::SeqCst)
    }
}

async fn graph_send(
    State(state): State<Arc<GraphState>>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let hanging = || {
        state.hang.load(Ordering::SeqCst) || state.sent.lock().unwrap().len() >= state.hang_after.load(Ordering::SeqCst)
    };
    if hanging() {
        // Counted down also when the sender's connection closes and this future is dropped.
        struct Held<'a>(&'a GraphState);
        impl Drop for Held<'_> {
            fn drop(&mut self) {
                self.0.held.fetch_sub(1, Ordering::SeqCst);
            }
        }
        state.held.fetch_add(1, Ordering::SeqCst);
        let _held = Held(&state);
        while hanging() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Its sender is gone by now (killed): this one was never delivered.
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let to = body["to"].as_str().unwrap_or_default().to_string();
    let failure = state.failures.lock().unwrap().pop_front();
    let failure = failure.or_else(|| state.failing_recipients.lock().unwrap().get(&to).copied());
    if let Some((status, code)) = failure {
        return graph_error(status, code);
    }
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["recipient_type"], "individual");
    let template = match body["type"].as_str() {
        Some("text") => None,
        Some("template") => Some(sent_template(&body["template"])),
        other => panic!("the fake Graph knows text and template messages, not {other:?}"),
    };
    let mut sent = state.sent.lock().unwrap();
    let wamid = format!("wamid.FAKE{}", sent.len() + 1);
    sent.push(SentMessage {
        to: to.clone(),
        body: body["text"]["body"].as_str().unwrap_or_default().to_string(),
        template,
        request: body.clone(),
        wamid: wamid.clone(),
        authorization: authorization(&headers),
        path: format!("/{version}/{phone_number_id}/messages"),
        at: std::time::Instant::now(),
    });
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": wamid }]
    }))
    .into_response()
}

fn graph_error(status: u16, code: i64) -> Response {
    let error =
        json!({ "error": { "message": "fake failure", "type": "OAuthException", "code": code, "fbtrace_id": "x" } });
    (StatusCode::from_u16(status).unwrap(), Json(error)).into_response()
}

fn authorization(headers: &HeaderMap) -> String {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .into()
}

/// Reads a template request strictly: Graph refuses anything else.
fn sent_template(template: &Value) -> SentTemplate {
    let components = template
        .get("components")
        .map(|c| c.as_array().expect("components is a list"));
    let mut parameters = Vec::new();
    for component in components.into_iter().flatten() {
        assert_eq!(component["type"], "body", "only body parameters are sent");
        for parameter in component["parameters"].as_array().expect("body parameters") {
            assert_eq!(parameter["type"], "text");
            parameters.push((
                parameter["parameter_name"].as_str().map(str::to_string),
                parameter["text"].as_str().expect("a parameter's text").to_string(),
            ));
        }
    }
    SentTemplate {
        name: template["name"].as_str().expect("a template name").to_string(),
        language: template["language"]["code"]
            .as_str()
            .expect("a language code")
            .to_string(),
        parameters,
    }
}

/// A template as Graph lists it: its body text with `{{…}}` placeholders and a header and
/// footer around it, as real templates have.
pub fn graph_template(name: &str, language: &str, category: &str, status: &str, body: &str) -> Value {
    let named = body.contains("{{") && !body.contains("{{1}}");
    json!({
        "name": name,
        "language": language,
        "category": category,
        "status": status,
        "parameter_format": if named { "NAMED" } else { "POSITIONAL" },
        "components": [
            { "type": "HEADER", "format": "TEXT", "text": "Frontdesk Demo Salon" },
            { "type": "BODY", "text": body },
            { "type": "FOOTER", "text": "Reply STOP to opt out" }
        ],
        "id": format!("{}", 1000 + name.len())
    })
}

/// `GET /{version}/{waba_id}/message_templates?limit=N&after=K`: the list in pages of
/// `limit`, with Graph's cursors and a full `next` link while more follow.
async fn graph_templates(
    State(state): State<Arc<GraphState>>,
    Path((version, waba_id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/{version}/{waba_id}/message_templates");
    state.template_requests.lock().unwrap().push(TemplateListRequest {
        path: path.clone(),
        query: query.clone(),
        authorization: authorization(&headers),
    });
    if let Some((status, code)) = state.templates_failure.lock().unwrap().take() {
        return graph_error(status, code);
    }
    let templates = state.templates.lock().unwrap().clone();
    let limit: usize = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(25).max(1);
    let start: usize = query.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let end = (start + limit).min(templates.len());
    let page = templates.get(start..end).unwrap_or_default().to_vec();
    let mut paging = json!({ "cursors": { "before": start.to_string(), "after": end.to_string() } });
    if end < templates.len() {
        let fields = query.get("fields").cloned().unwrap_or_default();
        let base = state.base.get().cloned().unwrap_or_default();
        paging["next"] = json!(format!("{base}{path}?fields={fields}&limit={limit}&after={end}"));
    }
    Json(json!({ "data": page, "paging": paging })).into_response()
}

/// What the fake Gemini answers next.
#[derive(Clone, Debug)]
pub enum GeminiAnswer {
    /// A structured reply: the JSON object the model would put in the text part.
    Reply(Value),
    /// Raw text in the text part (for malformed answers).
    Text(String),
    /// An HTTP error with Google's error body; `retry_delay` like "0.2s".
    Error(u16, &'static str, Option<&'static str>),
    /// Never answers (the caller times out or is killed).
    Hang,
}

#[derive(Default)]
struct GeminiState {
    answers: Mutex<VecDeque<GeminiAnswer>>,
    /// Answers kept for the request whose latest customer message contains the key, in order.
    addressed: Mutex<Vec<(String, GeminiAnswer)>>,
    /// Answers wait until this many requests have arrived, then all go at once.
    gate: Mutex<Option<usize>>,
    gate_opened: tokio::sync::Notify,
    requests: Mutex<Vec<Value>>,
    keys: Mutex<Vec<String>>,
}

#[derive(Clone)]
pub struct FakeGemini {
    pub base: String,
    state: Arc<GeminiState>,
}

impl FakeGemini {
    pub async fn start() -> FakeGemini {
        let state = Arc::new(GeminiState::default());
        let router = Router::new()
            .route("/v1beta/models/{model_action}", post(gemini_generate))
            .with_state(state.clone());
        FakeGemini {
            base: serve(router).await,
            state,
        }
    }

    pub fn answer(&self, answer: GeminiAnswer) {
        self.state.answers.lock().unwrap().push_back(answer);
    }

    pub fn reply(&self, reply: Value) {
        self.answer(GeminiAnswer::Reply(reply));
    }

    /// Keeps `answer` for a request whose latest customer message contains `message`, so a
    /// retried request for an older message cannot take it; other requests get the answers
    /// queued by [`FakeGemini::answer`].
    pub fn answer_to(&self, message: &str, answer: GeminiAnswer) {
        self.state.addressed.lock().unwrap().push((message.to_string(), answer));
    }

    /// Forgets the scripted answers nobody asked for, so a script for one exchange never
    /// answers the next (a turn the app handled without the model leaves its answer unused).
    pub fn clear_answers(&self) {
        self.state.answers.lock().unwrap().clear();
        self.state.addressed.lock().unwrap().clear();
    }

    /// Holds every answer until `count` requests are waiting (or two seconds pass), then
    /// answers them together: the callers then act at the same moment, as in a rush.
    pub fn answer_together(&self, count: usize) {
        *self.state.gate.lock().unwrap() = Some(count);
    }

    pub fn requests(&self) -> Vec<Value> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn keys(&self) -> Vec<String> {
        self.state.keys.lock().unwrap().clone()
    }

    /// The system instruction of request `index`.
    pub fn instruction(&self, index: usize) -> String {
        self.requests()[index]["systemInstruction"]["parts"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

async fn wait_at_the_gate(state: &GeminiState) {
    let opened = state.gate_opened.notified();
    let arrived = state.requests.lock().unwrap().len();
    let gate = *state.gate.lock().unwrap();
    match gate {
        Some(count) if arrived >= count => state.gate_opened.notify_waiters(),
        Some(_) => {
            let _ = tokio::time::timeout(Duration::from_secs(2), opened).await;
        }
        None => {}
    }
}

/// The first answer kept for the latest customer message of this request, taken out.
fn addressed_answer(state: &GeminiState, body: &Value) -> Option<GeminiAnswer> {
    let latest = body["contents"]
        .as_array()?
        .iter()
        .rev()
        .find(|content| content["role"] == "user")?["parts"]
        .as_array()?
        .iter()
        .filter_map(|part| part["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let mut addressed = state.addressed.lock().unwrap();
    let at = addressed
        .iter()
        .position(|(message, _)| latest.contains(message.as_str()))?;
    Some(addressed.remove(at).1)
}

async fn gemini_generate(
    State(state): State<Arc<GeminiState>>,
    Path(model_action): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    assert!(model_action.ends_with(":generateContent"), "{model_action}");
    assert_eq!(body["generationConfig"]["responseMimeType"], "application/json");
    state.requests.lock().unwrap().push(body.clone());
    wait_at_the_gate(&state).await;
    state.keys.lock().unwrap().push(
        headers
            .get("x-goog-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .into(),
    );
    let next = addressed_answer(&state, &body).or_else(|| state.answers.lock().unwrap().pop_front());
    let text = match next {
        Some(GeminiAnswer::Reply(reply)) => reply.to_string(),
        Some(GeminiAnswer::Text(text)) => text,
        Some(GeminiAnswer::Error(status, reason, retry_delay)) => {
            let details = retry_delay
                .map(|d| json!([{ "@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": d }]))
                .unwrap_or(json!([]));
            let body =
                json!({ "error": { "code": status, "message": "fake error", "status": reason, "details": details } });
            return (StatusCode::from_u16(status).unwrap(), Json(body)).into_response();
        }
        Some(GeminiAnswer::Hang) => {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            unreachable!()
        }
        None => {
            let body = json!({ "error": { "code": 500, "message": "no scripted answer", "status": "INTERNAL" } });
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
        }
    };
    Json(json!({
        "candidates": [{
            "content": { "role": "model", "parts": [{ "text": text }] },
            "finishReason": "STOP",
            "index": 0
        }],
        "usageMetadata": { "promptTokenCount": 812, "candidatesTokenCount": 41, "thoughtsTokenCount": 17, "totalTokenCount": 870 },
        "modelVersion": "gemini-2.5-flash"
    }))
    .into_response()
}
