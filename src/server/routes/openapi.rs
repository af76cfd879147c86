//! The OpenAPI description of the plain HTTP routes (server functions are the web app's own).

use axum::Json;
use serde_json::{json, Value};

pub async fn document() -> Json<Value> {
    Json(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Frontdesk",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "WhatsApp webhook and operational routes of Frontdesk."
        },
        "paths": {
            "/webhook/whatsapp": {
                "get": {
                    "summary": "Meta's webhook verification handshake",
                    "parameters": [
                        { "name": "hub.mode", "in": "query", "required": true, "schema": { "type": "string", "enum": ["subscribe"] } },
                        { "name": "hub.verify_token", "in": "query", "required": true, "schema": { "type": "string" } },
                        { "name": "hub.challenge", "in": "query", "required": true, "schema": { "type": "string" } }
                    ],
                    "responses": {
                        "200": { "description": "The challenge, echoed as plain text", "content": { "text/plain": { "schema": { "type": "string" } } } },
                        "403": { "description": "Wrong mode or verify token" }
                    }
                },
                "post": {
                    "summary": "WhatsApp Cloud API event notifications (messages and delivery statuses)",
                    "parameters": [
                        { "name": "X-Hub-Signature-256", "in": "header", "required": true,
                          "description": "sha256=<hex HMAC-SHA256 of the raw body with the app secret>", "schema": { "type": "string" } }
                    ],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/WebhookPayload" } } } },
                    "responses": {
                        "200": { "description": "Stored; answered in the background", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/IngestSummary" } } } },
                        "400": { "description": "Not JSON, or not a WhatsApp Business Account notification" },
                        "401": { "description": "Missing or wrong signature" },
                        "413": { "description": "Body larger than 256 KiB" },
                        "422": { "description": "No readable message or status in the payload" },
                        "503": { "description": "Could not be stored now; Meta will deliver it again" }
                    }
                }
            },
            "/api/health": {
                "get": {
                    "summary": "Health check",
                    "responses": { "200": { "description": "The database answers" }, "503": { "description": "The database does not answer" } }
                }
            }
        },
        "components": {
            "schemas": {
                "WebhookPayload": {
                    "type": "object",
                    "required": ["object", "entry"],
                    "properties": {
                        "object": { "type": "string", "enum": ["whatsapp_business_account"] },
                        "entry": { "type": "array", "items": { "type": "object", "properties": {
                            "changes": { "type": "array", "items": { "type": "object", "properties": {
                                "field": { "type": "string" },
                                "value": { "type": "object" }
                            } } }
                        } } }
                    }
                },
                "IngestSummary": {
                    "type": "object",
                    "properties": {
                        "messages": { "type": "integer", "description": "New messages stored" },
                        "duplicates": { "type": "integer", "description": "Messages already received before" },
                        "statuses": { "type": "integer", "description": "Delivery statuses applied" },
                        "rejected": { "type": "integer", "description": "Entries that could not be read" }
                    }
                }
            }
        }
    }))
}
