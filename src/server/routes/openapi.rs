//! `/api/openapi.json`: the OpenAPI description of the plain HTTP routes (server functions
//! are the web app's own).

use axum::Json;
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};
use utoipa_axum::routes;

use super::Routes;

pub fn router() -> Routes {
    Routes::new().route(routes!(document))
}

/// The document's title; its paths come from the route declarations.
pub fn base_document() -> OpenApi {
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Frontdesk")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("WhatsApp webhook and operational routes of Frontdesk.")),
        )
        .build()
}

/// This OpenAPI document
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    responses((status = 200, description = "The OpenAPI 3.1 description of the plain HTTP routes", content_type = "application/json"))
)]
pub async fn document() -> Json<OpenApi> {
    // Built on each request (a few microseconds) rather than kept in the app state: it is
    // asked for rarely, and it stays a pure function of the route declarations.
    Json(super::document())
}
