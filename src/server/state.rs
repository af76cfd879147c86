use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio::sync::Notify;

use super::ai::Ai;
use super::auth::LoginThrottle;
use super::booking::KnowledgeCache;
use super::config::Settings;
use super::db::Db;
use super::realtime::Hub;
use super::whatsapp::sender::Sender;
use super::whatsapp::templates::TemplateSource;

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
    /// Inbox events for every open inbox (the seed's websocket manager).
    pub hub: Hub,
    pub ai: Arc<Ai>,
    /// WhatsApp Cloud API client, or the outbox.
    pub sender: Arc<Sender>,
    /// The business account's templates on Graph; `None` without an access token and a
    /// business account id (the library then holds the demo's templates, if any).
    pub template_source: Option<Arc<TemplateSource>>,
    pub knowledge: Arc<KnowledgeCache>,
    /// ROI reports computed recently, by range.
    pub roi_cache: Arc<super::analytics::RoiCache>,
    /// Rung when jobs are added, so the scheduler need not wait for its next poll.
    pub wake_scheduler: Arc<Notify>,
    /// Rung when a campaign is launched, resumed or retried, so its sender starts at once.
    #[from_ref(skip)]
    pub wake_campaigns: Arc<Notify>,
}
