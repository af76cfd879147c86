use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio::sync::Notify;

use super::auth::LoginThrottle;
use super::config::Settings;
use super::controller::Pipeline;
use super::db::Db;

/// Everything a request handler or server function needs, built once at start-up.
/// Server functions read it from the Leptos context (`leptos_routes_with_context`).
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub settings: Arc<Settings>,
    pub login_throttle: Arc<LoginThrottle>,
    /// Checked against when an email is unknown, so sign-in takes as long either way.
    pub dummy_password_hash: Arc<str>,
    pub pipeline: Arc<Pipeline>,
    /// Rung when jobs are added, so the scheduler need not wait for its next poll.
    pub wake_scheduler: Arc<Notify>,
}
