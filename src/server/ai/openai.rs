//! OpenAI-compatible chat completions (Ollama, vLLM, llama.cpp server) with the same JSON
//! contract as Gemini.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::{parse_reply, prompt, send, with_retries, AiContext, AiError, AiReply, TokenUsage};
use crate::server::config::{AiSettings, Secret};

const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct OpenAiClient {
    http: reqwest::Client,
    url: String,
    model: String,
    key: Option<Secret>,
}

#[derive(Deserialize)]
struct Response {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
}

#[derive(Deserialize, Default)]
struct Usage {
    #[serde(default)]
    prompt_tokens: i64,
    #[serde(default)]
    completion_tokens: i64,
}

impl OpenAiClient {
    pub fn new(settings: &AiSettings, http: reqwest::Client) -> OpenAiClient {
        let base = settings
            .openai_api_base
            .clone()
            .expect("settings require a base URL for openai");
        OpenAiClient {
            http,
            url: format!("{}/v1/chat/completions", base.trim_end_matches('/')),
            model: settings.openai_model.clone(),
            key: settings.openai_api_key.clone(),
        }
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub async fn reply(&self, context: &AiContext) -> Result<AiReply, AiError> {
        let mut messages = vec![json!({ "role": "system", "content": prompt::system_instruction(context) })];
        messages.extend(prompt::turns(context).into_iter().map(
            |(role, text)| json!({ "role": if role == "model" { "assistant" } else { "user" }, "content": text }),
        ));
        let body = json!({
            "model": self.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": { "name": "receptionist_answer", "schema": prompt::json_schema() },
            },
            "temperature": 0.3,
        });
        with_retries("OpenAI-compatible", || self.call(&body)).await
    }

    async fn call(&self, body: &serde_json::Value) -> Result<AiReply, AiError> {
        let mut request = self.http.post(&self.url).json(body).timeout(TIMEOUT);
        if let Some(key) = &self.key {
            request = request.bearer_auth(key.expose());
        }
        let (status, retry_after, bytes) = send(request).await?;
        if !status.is_success() {
            let detail = format!("HTTP {}", status.as_u16());
            return Err(match status.as_u16() {
                429 | 500 | 502 | 503 | 504 => AiError::Unavailable { detail, retry_after },
                _ => AiError::Refused(detail),
            });
        }
        let response: Response =
            serde_json::from_slice(&bytes).map_err(|e| AiError::Malformed(format!("not a chat completion ({e})")))?;
        let usage = response.usage.unwrap_or_default();
        let text = response
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| AiError::Malformed("no choices".into()))?;
        parse_reply(
            &text,
            TokenUsage {
                prompt: usage.prompt_tokens,
                output: usage.completion_tokens,
                thinking: 0,
            },
        )
    }
}
