//! `/api/health`: for load balancers and the test scripts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::Routes;
use crate::server::state::AppState;

pub fn router() -> Routes {
    Routes::new().route(routes!(health))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `database unavailable`.
    status: &'static str,
}

/// Health check
///
/// 200 when the database answers.
#[utoipa::path(
    get,
    path = "/api/health",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(Health { status: "ok" })),
        Err(error) => {
            tracing::warn!(%error, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "database unavailable",
                }),
            )
        }
    }
}
