//! Webhook payloads as Meta sends them, turned into our inbound messages and status updates.
//!
//! Messages and statuses are read one by one, so one malformed entry does not cost the valid
//! ones of the same payload.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::model::{DeliveryStatus, WaId};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PayloadError {
    #[error("the body is not valid JSON: {0}")]
    NotJson(String),
    #[error("`object` must be \"whatsapp_business_account\"")]
    WrongObject,
    #[error("the payload has no `entry` list")]
    NoEntries,
}

/// A customer's message, as stored for the pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundMessage {
    pub wa_message_id: String,
    pub from: WaId,
    /// The WhatsApp profile name: a suggestion, never taken as the customer's name unasked.
    pub profile_name: Option<String>,
    pub sent_at: DateTime<Utc>,
    /// `text`, or another WhatsApp type we store as a placeholder (`image`, `audio`, …).
    pub kind: String,
    pub body: String,
}

impl InboundMessage {
    pub fn is_text(&self) -> bool {
        self.kind == "text"
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusUpdate {
    pub wa_message_id: String,
    pub status: DeliveryStatus,
    pub at: DateTime<Utc>,
    pub error: Option<String>,
}

/// A customer's choice in WhatsApp's own "stop promotions" / "resume" for this business.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketingPreference {
    pub wa_id: WaId,
    /// True: stop marketing messages; false: resume them.
    pub stop: bool,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedWebhook {
    pub messages: Vec<InboundMessage>,
    pub statuses: Vec<StatusUpdate>,
    /// From the `user_preferences` field (category `marketing_messages`).
    pub marketing_preferences: Vec<MarketingPreference>,
    /// Entries that could not be read (logged, not stored).
    pub rejected: usize,
}

/// A webhook notification as Meta posts it; also the webhook's documented request body.
#[derive(Deserialize, ToSchema)]
pub struct WebhookPayload {
    /// `whatsapp_business_account`
    object: String,
    #[schema(inline)]
    entry: Option<Vec<Entry>>,
}

#[derive(Deserialize, ToSchema)]
struct Entry {
    #[serde(default)]
    #[schema(inline)]
    changes: Vec<Change>,
}

#[derive(Deserialize, ToSchema)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    #[schema(inline)]
    value: ChangeValue,
}

#[derive(Deserialize, Default, ToSchema)]
struct ChangeValue {
    #[serde(default)]
    contacts: Vec<Value>,
    #[serde(default)]
    messages: Vec<Value>,
    #[serde(default)]
    statuses: Vec<Value>,
    #[serde(default)]
    user_preferences: Vec<Value>,
}

#[derive(Deserialize)]
struct RawPreference {
    wa_id: String,
    category: String,
    value: String,
    timestamp: Value,
}

#[derive(Deserialize)]
struct RawContact {
    profile: Option<RawProfile>,
    wa_id: Option<String>,
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct RawProfile {
    name: Option<String>,
}

#[derive(Deserialize)]
struct RawMessage {
    from: Option<String>,
    from_user_id: Option<String>,
    id: String,
    timestamp: String,
    #[serde(rename = "type")]
    kind: String,
    text: Option<RawText>,
}

#[derive(Deserialize)]
struct RawText {
    body: String,
}

#[derive(Deserialize)]
struct RawStatus {
    id: String,
    status: String,
    timestamp: String,
    #[serde(default)]
    errors: Vec<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    code: Option<i64>,
    title: Option<String>,
    message: Option<String>,
}

/// The longest customer text we keep (WhatsApp's own limit is 4,096 characters).
const MAX_BODY_CHARS: usize = 4096;

pub fn parse(body: &[u8]) -> Result<ParsedWebhook, PayloadError> {
    let payload: WebhookPayload = serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    if payload.object != "whatsapp_business_account" {
        return Err(PayloadError::WrongObject);
    }
    let entries = payload.entry.ok_or(PayloadError::NoEntries)?;
    let mut parsed = ParsedWebhook::default();
    for change in entries.into_iter().flat_map(|e| e.changes) {
        if change.field == "user_preferences" {
            for raw in change.value.user_preferences {
                match read_preference(raw) {
                    Some(Some(preference)) => parsed.marketing_preferences.push(preference),
                    Some(None) => {}
                    None => parsed.rejected += 1,
                }
            }
            continue;
        }
        if change.field != "messages" {
            continue;
        }
        let contacts: Vec<RawContact> = change
            .value
            .contacts
            .into_iter()
            .filter_map(|c| serde_json::from_value(c).ok())
            .collect();
        for raw in change.value.messages {
            match read_message(raw, &contacts) {
                Some(message) => parsed.messages.push(message),
                None => parsed.rejected += 1,
            }
        }
        for raw in change.value.statuses {
            match read_status(raw) {
                Some(status) => parsed.statuses.push(status),
                None => parsed.rejected += 1,
            }
        }
    }
    Ok(parsed)
}

fn read_message(raw: Value, contacts: &[RawContact]) -> Option<InboundMessage> {
    let raw: RawMessage = serde_json::from_value(raw).ok()?;
    if raw.id.is_empty() || raw.id.len() > 256 {
        return None;
    }
    let sender = raw.from.as_deref().or(raw.from_user_id.as_deref())?;
    let from = WaId::parse(sender).ok()?;
    // The contact entry names the sender by number or, in newer payloads, by user id only.
    let profile_name = contacts
        .iter()
        .find(|c| {
            c.wa_id
                .as_deref()
                .is_some_and(|w| WaId::parse(w).ok().as_ref() == Some(&from))
                || c.user_id.as_deref() == Some(from.as_str())
        })
        .or_else(|| (contacts.len() == 1).then(|| &contacts[0]))
        .and_then(|c| c.profile.as_ref()?.name.clone())
        .map(|name| name.trim().chars().take(100).collect::<String>())
        .filter(|name| !name.is_empty());
    let body = match (raw.kind.as_str(), raw.text) {
        ("text", Some(text)) => text.body.chars().take(MAX_BODY_CHARS).collect(),
        ("text", None) => return None,
        (other, _) => placeholder(other),
    };
    Some(InboundMessage {
        wa_message_id: raw.id,
        from,
        profile_name,
        sent_at: unix_time(&raw.timestamp)?,
        kind: raw.kind.chars().take(32).collect(),
        body,
    })
}

/// What staff see for a message the bot cannot read.
fn placeholder(kind: &str) -> String {
    let what = match kind {
        "image" => "an image",
        "audio" => "a voice message",
        "video" => "a video",
        "document" => "a document",
        "sticker" => "a sticker",
        "location" => "a location",
        "contacts" => "a contact card",
        "reaction" => "a reaction",
        _ => "a message of a type we cannot show",
    };
    format!("[The customer sent {what}]")
}

fn read_status(raw: Value) -> Option<StatusUpdate> {
    let raw: RawStatus = serde_json::from_value(raw).ok()?;
    let status = match raw.status.as_str() {
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "read" => DeliveryStatus::Read,
        "failed" => DeliveryStatus::Failed,
        _ => return None,
    };
    let error = raw.errors.first().map(|e| {
        let text = e.message.as_deref().or(e.title.as_deref()).unwrap_or("delivery failed");
        match e.code {
            Some(code) => format!("{code}: {text}"),
            None => text.to_string(),
        }
    });
    Some(StatusUpdate {
        wa_message_id: raw.id,
        status,
        at: unix_time(&raw.timestamp)?,
        error,
    })
}

/// A preference we act on, `Some(None)` for one of another category, `None` when unreadable.
fn read_preference(raw: Value) -> Option<Option<MarketingPreference>> {
    let raw: RawPreference = serde_json::from_value(raw).ok()?;
    let wa_id = WaId::parse(&raw.wa_id).ok()?;
    // Meta sends the time as a number; accept it as text too.
    let at = match &raw.timestamp {
        Value::Number(n) => unix_time(&n.to_string())?,
        Value::String(s) => unix_time(s)?,
        _ => return None,
    };
    if raw.category != "marketing_messages" {
        return Some(None);
    }
    let stop = match raw.value.as_str() {
        "stop" => true,
        "resume" => false,
        _ => return Some(None),
    };
    Some(Some(MarketingPreference { wa_id, stop, at }))
}

fn unix_time(seconds: &str) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(seconds.parse().ok()?, 0).single()
}

/// A text-message webhook exactly as Meta sends it (the simulator and tests post these).
pub fn text_message_payload(
    from: &str,
    profile_name: Option<&str>,
    wa_message_id: &str,
    at: DateTime<Utc>,
    body: &str,
) -> Value {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": "0",
            "changes": [{
                "field": "messages",
                "value": {
                    "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550000000", "phone_number_id": "0" },
                    "contacts": [{ "profile": { "name": profile_name }, "wa_id": from }],
                    "messages": [{
                        "from": from,
                        "id": wa_message_id,
                        "timestamp": at.timestamp().to_string(),
                        "type": "text",
                        "text": { "body": body }
                    }]
                }
            }]
        }]
    })
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    /// A notification as Meta sends it, around one change `value` (from Meta's documented
    /// examples).
    fn notification(value: &str) -> String {
        format!(
            r#"{{
      "object": "whatsapp_business_account",
      "entry": [{{
        "id": "102290129340398",
        "changes": [{{
          "value": {{
            "messaging_product": "whatsapp",
            "metadata": {{ "display_phone_number": "15550783881", "phone_number_id": "106540352242922" }},
            {value}
          }},
          "field": "messages"
        }}]
      }}]
    }}"#
        )
    }

    // Meta's documented example of a text message notification.
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        notification(
            r#""contacts": [{ "profile": { "name": "Sheena Nelson" }, "wa_id": "16505551234" }],
            "messages": [{
              "from": "16505551234",
              "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
              "timestamp": "1749416383",
              "type": "text",
              "text": { "body": "Does it come in another color?" }
            }]"#,
        )
    });

    // Meta's documented example of a status notification (delivered).
    static STATUS: LazyLock<String> = LazyLock::new(|| {
        notification(
            r#""statuses": [{
              "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA",
              "status": "delivered",
              "timestamp": "1750030073",
              "recipient_id": "16505551234",
              "pricing": { "billable": true, "pricing_model": "PMP", "category": "marketing", "type": "regular" }
            }]"#,
        )
    });

    #[test]
    fn reads_a_text_message_with_its_profile_name() {
        let parsed = parse(TEXT.as_bytes()).unwrap();
        assert_eq!(parsed.rejected, 0);
        let message = &parsed.messages[0];
        assert_eq!(message.from.as_str(), "16505551234");
        assert_eq!(message.profile_name.as_deref(), Some("Sheena Nelson"));
        assert_eq!(message.body, "Does it come in another color?");
        assert_eq!(message.sent_at.timestamp(), 1749416383);
        assert!(message.is_text());
    }

    #[test]
    fn reads_a_delivery_status() {
        let parsed = parse(STATUS.as_bytes()).unwrap();
        assert_eq!(parsed.statuses.len(), 1);
        assert_eq!(parsed.statuses[0].status, DeliveryStatus::Delivered);
        assert_eq!(parsed.statuses[0].error, None);
    }

    #[test]
    fn a_failed_status_keeps_its_error() {
        let failed = STATUS.replace("\"delivered\"", "\"failed\"").replace(
            "\"pricing\"",
            r#""errors": [{"code": 131047, "title": "Re-engagement message"}], "pricing""#,
        );
        let parsed = parse(failed.as_bytes()).unwrap();
        assert_eq!(parsed.statuses[0].status, DeliveryStatus::Failed);
        assert_eq!(
            parsed.statuses[0].error.as_deref(),
            Some("131047: Re-engagement message")
        );
    }

    #[test]
    fn an_unknown_type_becomes_a_readable_placeholder() {
        let image = TEXT.replace(
            r#""type": "text",
              "text": { "body": "Does it come in another color?" }"#,
            r#""type": "image", "image": { "id": "1", "mime_type": "image/jpeg" }"#,
        );
        let parsed = parse(image.as_bytes()).unwrap();
        assert_eq!(parsed.messages[0].kind, "image");
        assert_eq!(parsed.messages[0].body, "[The customer sent an image]");
        assert!(!parsed.messages[0].is_text());
    }

    #[test]
    fn a_payload_with_only_a_user_id_names_the_sender_by_it() {
        let user_only = TEXT
            .replace(r#""wa_id": "16505551234""#, r#""user_id": "US.13491208655302741918""#)
            .replace(
                r#""from": "16505551234""#,
                r#""from_user_id": "US.13491208655302741918""#,
            );
        let parsed = parse(user_only.as_bytes()).unwrap();
        assert_eq!(parsed.messages[0].from.as_str(), "US.13491208655302741918");
        assert_eq!(parsed.messages[0].profile_name.as_deref(), Some("Sheena Nelson"));
    }

    #[test]
    fn bad_payloads_are_refused_and_bad_entries_skipped() {
        assert!(matches!(parse(b"{not json"), Err(PayloadError::NotJson(_))));
        assert_eq!(
            parse(br#"{"object":"page","entry":[]}"#),
            Err(PayloadError::WrongObject)
        );
        assert_eq!(
            parse(br#"{"object":"whatsapp_business_account"}"#),
            Err(PayloadError::NoEntries)
        );
        // One message without an id next to a good one: the good one survives.
        let mixed = TEXT.replace(
            r#""messages": [{"#,
            r#""messages": [{"from": "16505551234", "timestamp": "1", "type": "text", "text": {"body": "x"}}, {"#,
        );
        let parsed = parse(mixed.as_bytes()).unwrap();
        assert_eq!(parsed.messages.len(), 1);
        assert_eq!(parsed.rejected, 1);
    }

    #[test]
    fn the_simulator_payload_is_a_valid_webhook() {
        let payload = text_message_payload("34600111222", Some("Sara"), "wamid.SIM1", Utc::now(), "hi");
        let parsed = parse(payload.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.messages[0].body, "hi");
        assert_eq!(parsed.messages[0].profile_name.as_deref(), Some("Sara"));
    }

    #[test]
    fn reads_whatsapps_stop_promotions() {
        let body = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"user_preferences",
            "value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"2"},
            "contacts":[{"wa_id":"34600111222","profile":{"name":"Ana"}}],
            "user_preferences":[
              {"wa_id":"34600111222","detail":"User requested to stop marketing messages","category":"marketing_messages","value":"stop","timestamp":1731705721},
              {"wa_id":"34600111333","detail":"User requested to resume marketing messages","category":"marketing_messages","value":"resume","timestamp":"1731705722"},
              {"wa_id":"34600111444","category":"something_else","value":"stop","timestamp":1731705723},
              {"wa_id":"not a number","category":"marketing_messages","value":"stop","timestamp":1}
            ]}}]}]}"#;
        let parsed = parse(body.as_bytes()).unwrap();
        assert_eq!(parsed.marketing_preferences.len(), 2);
        assert_eq!(parsed.marketing_preferences[0].wa_id.as_str(), "34600111222");
        assert!(parsed.marketing_preferences[0].stop);
        assert!(!parsed.marketing_preferences[1].stop);
        assert_eq!(parsed.rejected, 1, "the unreadable one is counted");
    }
}
