//! `/webhook/whatsapp`: Meta's verification handshake and event notifications.
//!
//! A notification is answered fast: its messages are stored as jobs (deduplicated by their
//! WhatsApp id) and delivery statuses applied, then the scheduler answers in the background.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::routes;

use super::Routes;
use crate::model::{DeliveryStatus, InboxEvent, RecipientStatus};
use crate::server::controller::inbound_job;
use crate::server::db::{campaigns, conversations, jobs, DbError};
use crate::server::state::AppState;
use crate::server::whatsapp::{payload, signature};

pub fn router() -> Routes {
    Routes::new().route(routes!(verify, receive))
}

/// The query of Meta's verification handshake. Each part is optional here so that a missing
/// one is refused like a wrong one (403), as Meta expects.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Handshake {
    #[serde(rename = "hub.mode")]
    #[param(required = true, schema_with = subscribe_only)]
    mode: Option<String>,
    /// `WHATSAPP_VERIFY_TOKEN`, as entered in the Meta app.
    #[serde(rename = "hub.verify_token")]
    #[param(required = true)]
    verify_token: Option<String>,
    /// Echoed back when the token matches.
    #[serde(rename = "hub.challenge")]
    #[param(required = true)]
    challenge: Option<String>,
}

fn subscribe_only() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["subscribe"]))
}

/// Meta's webhook verification handshake
///
/// `GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C` → `C` when the token matches.
#[utoipa::path(
    get,
    path = "/webhook/whatsapp",
    params(Handshake),
    responses(
        (status = 200, description = "The challenge, echoed as plain text", body = String, content_type = "text/plain"),
        (status = 403, description = "Wrong mode or verify token"),
    )
)]
pub async fn verify(State(state): State<AppState>, Query(handshake): Query<Handshake>) -> Response {
    let expected = state.settings.whatsapp.verify_token.as_ref();
    let mode_ok = handshake.mode.as_deref() == Some("subscribe");
    let token_ok = match (expected, &handshake.verify_token) {
        (Some(expected), Some(given)) => constant_time_eq(expected.expose().as_bytes(), given.as_bytes()),
        _ => false,
    };
    match handshake.challenge {
        Some(challenge) if mode_ok && token_ok => (StatusCode::OK, challenge).into_response(),
        _ => (StatusCode::FORBIDDEN, "verification failed").into_response(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// WhatsApp Cloud API event notifications (messages and delivery statuses)
///
/// Messages are stored as jobs (deduplicated by their WhatsApp id) and statuses applied before
/// the answer; the replies are worked out in the background.
#[utoipa::path(
    post,
    path = "/webhook/whatsapp",
    params(("X-Hub-Signature-256" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body with the app secret>")),
    request_body(content = payload::WebhookPayload, content_type = "application/json"),
    responses(
        (status = 200, description = "Stored; answered in the background", body = IngestSummary),
        (status = 400, description = "Not JSON, or not a WhatsApp Business Account notification"),
        (status = 401, description = "Missing or wrong signature"),
        (status = 413, description = "Body larger than 256 KiB"),
        (status = 422, description = "No readable message or status in the payload", body = IngestSummary),
        (status = 503, description = "Could not be stored now; Meta will deliver it again"),
    )
)]
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

#[derive(Debug, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct IngestSummary {
    /// New messages stored
    pub messages: u64,
    /// Messages already received before
    pub duplicates: u64,
    /// Delivery statuses applied
    pub statuses: u64,
    /// Entries that could not be read
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
        let applied = conversations::apply_delivery_status(
            &state.db,
            &update.wa_message_id,
            update.status,
            update.error.as_deref(),
        )
        .await?;
        if applied.changed() {
            statuses += 1;
        }
        if applied.messages.is_empty() {
            // Not a message of a chat: perhaps a campaign's.
            let status = match update.status {
                DeliveryStatus::Delivered => Some(RecipientStatus::Delivered),
                DeliveryStatus::Read => Some(RecipientStatus::Read),
                DeliveryStatus::Failed => Some(RecipientStatus::Failed),
                _ => None,
            };
            if let Some(status) = status {
                let error = update.error.as_deref();
                if campaigns::apply_delivery_status(&state.db, &update.wa_message_id, status, error, now)
                    .await?
                    .is_some()
                {
                    statuses += 1;
                }
            }
        }
        for change in applied.messages {
            state.hub.publish(InboxEvent::DeliveryStatusChanged {
                conversation_id: change.conversation_id,
                message_id: change.message_id,
                wa_message_id: Some(update.wa_message_id.clone()),
                status: update.status,
                error: change.error,
            });
        }
    }
    for preference in &parsed.marketing_preferences {
        campaigns::set_marketing_stopped(&state.db, preference.wa_id.as_str(), preference.stop, preference.at).await?;
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
