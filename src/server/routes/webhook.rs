//! `/webhook/whatsapp`: Meta's verification handshake and event notifications.
//!
//! A notification is answered fast: its messages are stored as jobs (deduplicated by their
//! WhatsApp id) and delivery statuses applied, then the scheduler answers in the background.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use serde_json::json;

use crate::model::InboxEvent;
use crate::server::controller::inbound_job;
use crate::server::db::{conversations, jobs, DbError};
use crate::server::state::AppState;
use crate::server::whatsapp::{payload, signature};

/// `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C` → `C` when the token matches.
pub async fn verify(State(state): State<AppState>, Query(params): Query<HashMap<String, String>>) -> Response {
    let expected = state.settings.whatsapp.verify_token.as_ref();
    let mode_ok = params.get("hub.mode").map(String::as_str) == Some("subscribe");
    let token_ok = match (expected, params.get("hub.verify_token")) {
        (Some(expected), Some(given)) => constant_time_eq(expected.expose().as_bytes(), given.as_bytes()),
        _ => false,
    };
    match params.get("hub.challenge") {
        Some(challenge) if mode_ok && token_ok => (StatusCode::OK, challenge.clone()).into_response(),
        _ => (StatusCode::FORBIDDEN, "verification failed").into_response(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
    match &state.settings.whatsapp.app_secret {
        Some(secret) if !signature::is_valid(secret.expose().as_bytes(), &body, signature) => {
            return error(StatusCode::UNAUTHORIZED, "X-Hub-Signature-256 does not match the body");
        }
        Some(_) => {}
        None if state.settings.dev_mode => {}
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                "the webhook is not configured (WHATSAPP_APP_SECRET is not set)",
            )
        }
    }
    match ingest(&state, &body).await {
        Ok(summary) if summary.is_empty_but_rejected() => {
            (StatusCode::UNPROCESSABLE_ENTITY, Json(summary)).into_response()
        }
        Ok(summary) => (StatusCode::OK, Json(summary)).into_response(),
        Err(IngestError::Payload(e)) => error(StatusCode::BAD_REQUEST, &e.to_string()),
        Err(IngestError::Storage(e)) => {
            crate::server::error::internal(&e);
            // 5xx makes Meta deliver the notification again later: nothing is lost.
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "cannot store the notification right now",
            )
        }
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct IngestSummary {
    pub messages: u64,
    pub duplicates: u64,
    pub statuses: u64,
    pub rejected: usize,
}

impl IngestSummary {
    fn is_empty_but_rejected(&self) -> bool {
        self.rejected > 0 && self.messages + self.duplicates + self.statuses == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Payload(#[from] payload::PayloadError),
    #[error(transparent)]
    Storage(#[from] DbError),
}

/// Stores what a notification carries. Shared by the webhook and the customer simulator.
pub async fn ingest(state: &AppState, body: &[u8]) -> Result<IngestSummary, IngestError> {
    let parsed = payload::parse(body)?;
    if parsed.rejected > 0 {
        tracing::warn!(rejected = parsed.rejected, "webhook entries could not be read");
    }
    let now = Utc::now();
    let new_jobs: Vec<_> = parsed.messages.iter().map(|m| inbound_job(m, now)).collect();
    let added = if new_jobs.is_empty() {
        0
    } else {
        jobs::enqueue(&state.db, &new_jobs, now).await?
    };
    let mut statuses = 0;
    for update in &parsed.statuses {
        if conversations::apply_delivery_status(
            &state.db,
            &update.wa_message_id,
            update.status,
            update.error.as_deref(),
        )
        .await?
        {
            statuses += 1;
            state.hub.publish(InboxEvent::DeliveryStatusChanged {
                wa_message_id: update.wa_message_id.clone(),
                status: update.status,
            });
        }
    }
    if added > 0 {
        state.wake_scheduler.notify_one();
    }
    Ok(IngestSummary {
        messages: added,
        duplicates: new_jobs.len() as u64 - added,
        statuses,
        rejected: parsed.rejected,
    })
}
