//! `/api/health`: for load balancers and the test scripts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::routes;

use super::Routes;
use crate::server::db::jobs;
use crate::server::state::AppState;

pub fn router() -> Routes {
    Routes::new().route(routes!(health))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `database unavailable`.
    status: &'static str,
    /// How long the longest-waiting job (a customer message to answer, a follow-up, a
    /// campaign send) has waited for a worker, in seconds: 0 when none waits. Absent when the
    /// database does not answer. Work falling behind shows here first.
    queue_lag_seconds: Option<f64>,
}

/// Health check
///
/// 200 when the database answers, with the job queue's lag.
#[utoipa::path(
    get,
    path = "/api/health",
    responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer", body = Health),
    )
)]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let now = chrono::Utc::now();
    let oldest = match state.db.ping().await {
        Ok(()) => jobs::oldest_due(&state.db, now).await,
        Err(error) => Err(error),
    };
    match oldest {
        Ok(oldest) => {
            let lag = oldest.map_or(0.0, |due| (now - due).num_milliseconds().max(0) as f64 / 1000.0);
            let health = Health {
                status: "ok",
                queue_lag_seconds: Some(lag),
            };
            (StatusCode::OK, Json(health))
        }
        Err(error) => {
            tracing::warn!(%error, "health check: database unavailable");
            let health = Health {
                status: "database unavailable",
                queue_lag_seconds: None,
            };
            (StatusCode::SERVICE_UNAVAILABLE, Json(health))
        }
    }
}
