//! Plain axum routes: the ones that are not Leptos pages or server functions. Each module
//! owns its `router()`; this module sorts them into the public group and the staff group
//! (which `startup` puts behind the session gate), puts every route behind the access gate,
//! and builds the OpenAPI document from the same declarations, with the roles that may call
//! each operation from `model::access`.

pub mod analytics;
pub mod auth;
pub mod campaigns;
pub mod contacts;
pub mod health;
pub mod home;
pub mod inbox_updates;
pub mod openapi;
pub mod webhook;

use axum::{middleware, Router};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{OpenApi, PathItem};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use super::session::SESSION_COOKIE;
use super::state::AppState;
use crate::model::access::{self, Access};

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

    /// The axum router, each route behind the access gate, and the OpenAPI paths it serves.
    pub fn split(self) -> (Router<AppState>, OpenApi) {
        let (router, paths) = self.0.split_for_parts();
        let gated = router.route_layer(middleware::from_fn(super::access::plain_routes));
        (gated, paths)
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
        .merge(analytics::public_router())
        .merge(auth::router())
        .merge(campaigns::public_router())
        .merge(health::router())
        .merge(openapi::router())
        .merge(webhook::router())
}

/// Routes for signed-in staff only.
pub fn staff_routes() -> Routes {
    Routes::new()
        .merge(home::router())
        .merge(inbox_updates::router())
        .merge(campaigns::staff_router())
        .merge(contacts::staff_router())
}

const SESSION_SCHEME: &str = "session";
const API_TOKEN_SCHEME: &str = "api_token";

fn operations(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("PUT", &mut item.put),
        ("POST", &mut item.post),
        ("DELETE", &mut item.delete),
        ("OPTIONS", &mut item.options),
        ("HEAD", &mut item.head),
        ("PATCH", &mut item.patch),
        ("TRACE", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| Some((method, operation.as_mut()?)))
}

/// Each operation's security requirement says who may call it, from `model::access`: the
/// session (or API token) it needs, with the roles that may call it as the requirement's
/// list (OpenAPI 3.1 lets a non-OAuth scheme list role names there). Public operations have
/// none.
fn declare_access(document: &mut OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            let Some(endpoint) = access::plain_route(method, path) else {
                continue; // refused by the gate, and named by the access tests
            };
            let requirement = |scheme: &str, roles: &[crate::model::Role]| {
                SecurityRequirement::new(scheme, roles.iter().map(|role| role.as_str()))
            };
            operation.security = match endpoint.access {
                Access::Public => None,
                Access::Staff(roles) => Some(vec![requirement(SESSION_SCHEME, roles)]),
                Access::StaffOrToken(roles) => Some(vec![
                    requirement(SESSION_SCHEME, roles),
                    requirement(API_TOKEN_SCHEME, roles),
                ]),
            };
        }
    }
}

/// The OpenAPI document of every plain route, built from the declarations the router is
/// built from.
pub fn document() -> OpenApi {
    let mut document = openapi::base_document();
    document.merge(public_routes().split().1);
    document.merge(staff_routes().split().1);
    declare_access(&mut document);
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
            API_TOKEN_SCHEME,
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

    #[test]
    fn the_document_names_the_roles_that_may_call_each_operation() {
        let document: Value = serde_json::to_value(document()).unwrap();
        let paths = &document["paths"];
        assert_eq!(
            paths["/api/campaigns/broadcast"]["post"]["security"],
            serde_json::json!([{ "session": ["admin", "marketer"] }, { "api_token": ["admin", "marketer"] }])
        );
        assert_eq!(
            paths["/ws/inbox-updates"]["get"]["security"],
            serde_json::json!([{ "session": ["admin", "agent", "marketer"] }])
        );
        assert!(paths["/api/health"]["get"].get("security").is_none());
    }
}
