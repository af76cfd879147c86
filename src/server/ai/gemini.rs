//! Gemini `generateContent` with structured JSON output.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::{parse_delay, parse_reply, prompt, send, with_retries, AiContext, AiError, AiReply, TokenUsage};
use crate::server::config::{AiSettings, Secret};

const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct GeminiClient {
    http: reqwest::Client,
    url: String,
    model: String,
    key: Secret,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    #[serde(default)]
    candidates: Vec<Candidate>,
    usage_metadata: Option<Usage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<Content>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Part {
    text: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Usage {
    #[serde(default)]
    prompt_token_count: i64,
    #[serde(default)]
    candidates_token_count: i64,
    #[serde(default)]
    thoughts_token_count: i64,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

impl GeminiClient {
    pub fn new(settings: &AiSettings, http: reqwest::Client) -> GeminiClient {
        GeminiClient {
            http,
            url: format!(
                "{}/v1beta/models/{}:generateContent",
                settings.gemini_api_base.trim_end_matches('/'),
                settings.gemini_model
            ),
            model: settings.gemini_model.clone(),
            key: settings
                .gemini_api_key
                .clone()
                .expect("settings require a key for Gemini"),
        }
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub async fn reply(&self, context: &AiContext) -> Result<AiReply, AiError> {
        let contents: Vec<_> = prompt::turns(context)
            .into_iter()
            .map(|(role, text)| json!({ "role": role, "parts": [{ "text": text }] }))
            .collect();
        let body = json!({
            "systemInstruction": { "parts": [{ "text": prompt::system_instruction(context) }] },
            "contents": contents,
            "generationConfig": {
                "responseMimeType": "application/json",
                "responseSchema": prompt::response_schema(),
                "temperature": 0.3,
            },
        });
        with_retries("Gemini", || self.call(&body)).await
    }

    async fn call(&self, body: &serde_json::Value) -> Result<AiReply, AiError> {
        let request = self
            .http
            .post(&self.url)
            .header("x-goog-api-key", self.key.expose())
            .json(body)
            .timeout(TIMEOUT);
        let (status, header_delay, bytes) = send(request).await?;
        if !status.is_success() {
            let error = serde_json::from_slice::<ErrorBody>(&bytes).ok().map(|b| b.error);
            let body_delay = error.as_ref().and_then(|e| {
                e.details
                    .iter()
                    .find_map(|d| d.get("retryDelay").and_then(|v| v.as_str()).and_then(parse_delay))
            });
            let detail = format!(
                "HTTP {}{}",
                status.as_u16(),
                error.map(|e| format!(" {}", e.status)).unwrap_or_default()
            );
            return Err(match status.as_u16() {
                429 | 500 | 502 | 503 | 504 => AiError::Unavailable {
                    detail,
                    retry_after: body_delay.or(header_delay),
                },
                _ => AiError::Refused(detail),
            });
        }
        let response: Response = serde_json::from_slice(&bytes)
            .map_err(|e| AiError::Malformed(format!("not a generateContent answer ({e})")))?;
        let usage = response.usage_metadata.unwrap_or_default();
        let usage = TokenUsage {
            prompt: usage.prompt_token_count,
            output: usage.candidates_token_count,
            thinking: usage.thoughts_token_count,
        };
        let candidate = response
            .candidates
            .into_iter()
            .next()
            .ok_or_else(|| AiError::Malformed("no candidates".into()))?;
        let text: String = candidate
            .content
            .map(|c| c.parts.into_iter().filter_map(|p| p.text).collect())
            .unwrap_or_default();
        if text.trim().is_empty() {
            return Err(AiError::Malformed(format!(
                "empty answer (finishReason {})",
                candidate.finish_reason.unwrap_or_else(|| "unknown".into())
            )));
        }
        parse_reply(&text, usage)
    }
}
