//! Plain axum routes: the ones that are not Leptos pages or server functions. Each module
//! owns its `router()`; this module sorts them into the public group and the staff group
//! (which `startup` puts behind the session gate) and builds the OpenAPI document from the
//! same declarations.

pub mod auth;
pub mod campaigns;
pub mod contacts;
pub mod health;
pub mod home;
pub mod inbox_updates;
pub mod openapi;
pub mod webhook;

use axum::Router;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use super::session::SESSION_COOKIE;
use super::state::AppState;

/// Plain routes with their OpenAPI description. A route can only be added from a handler's
/// `#[utoipa::path]` (through `utoipa_axum::routes!`), so the router and the document cannot
/// drift apart: a route is in the document because it is served, and vice versa.
pub struct Routes(OpenApiRouter<AppState>);

impl Routes {
    pub fn new() -> Routes {
        Routes(OpenApiRouter::default())
    }

    pub fn route(self, route: UtoipaMethodRouter<AppState>) -> Routes {
        Routes(self.0.routes(route))
    }

    pub fn merge(self, other: Routes) -> Routes {
        Routes(self.0.merge(other.0))
    }

    /// The axum router and the OpenAPI paths it serves.
    pub fn split(self) -> (Router<AppState>, OpenApi) {
        self.0.split_for_parts()
    }
}

impl Default for Routes {
    fn default() -> Routes {
        Routes::new()
    }
}

/// Routes anyone may call: sign-in and sign-out, the health check, the OpenAPI document and
/// the WhatsApp webhook (which checks Meta's signature instead of a session).
pub fn public_routes() -> Routes {
    Routes::new()
        .merge(auth::router())
        .merge(campaigns::public_router())
        .merge(health::router())
        .merge(openapi::router())
        .merge(webhook::router())
}

/// Routes for signed-in staff only. Their operations say so in the document, from this
/// grouping, as the gate does in `startup`.
pub fn staff_routes() -> Routes {
    let mut routes = Routes::new()
        .merge(home::router())
        .merge(inbox_updates::router())
        .merge(campaigns::staff_router())
        .merge(contacts::staff_router());
    let requirement = SecurityRequirement::new(SESSION_SCHEME, Vec::<String>::new());
    for item in routes.0.get_openapi_mut().paths.paths.values_mut() {
        for operation in operations(item) {
            operation.security = Some(vec![requirement.clone()]);
        }
    }
    routes
}

const SESSION_SCHEME: &str = "session";

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
}

/// The OpenAPI document of every plain route, built from the declarations the router is
/// built from.
pub fn document() -> OpenApi {
    let mut document = openapi::base_document();
    document.merge(public_routes().split().1);
    document.merge(staff_routes().split().1);
    document
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            SESSION_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "Set by POST /auth/login",
            ))),
        );
    document
        .components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token an admin created on the Campaigns page"))
                    .build(),
            ),
        );
    document
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    #[test]
    fn the_document_describes_the_webhook_from_its_types() {
        let document: Value = serde_json::to_value(document()).unwrap();
        let printed = serde_json::to_string_pretty(&document).unwrap();
        let webhook = &document["paths"]["/webhook/whatsapp"];
        assert_eq!(
            webhook["get"]["summary"], "Meta's webhook verification handshake",
            "{printed}"
        );
        let names: Vec<&str> = webhook["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["hub.mode", "hub.verify_token", "hub.challenge"], "{printed}");
        assert_eq!(
            webhook["get"]["parameters"][0]["schema"]["enum"][0], "subscribe",
            "{printed}"
        );
        assert_eq!(
            webhook["post"]["parameters"][0]["name"], "X-Hub-Signature-256",
            "{printed}"
        );
        for status in ["200", "400", "401", "413", "422", "503"] {
            assert!(
                webhook["post"]["responses"][status]["description"].is_string(),
                "{status}: {printed}"
            );
        }
        let schemas = &document["components"]["schemas"];
        assert!(
            schemas["WebhookPayload"]["properties"]["entry"].is_object(),
            "{printed}"
        );
        assert!(
            schemas["IngestSummary"]["properties"]["duplicates"]["description"].is_string(),
            "{printed}"
        );
        assert_eq!(
            document["components"]["securitySchemes"]["session"]["name"],
            SESSION_COOKIE
        );
    }
}
