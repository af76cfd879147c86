//! Builds the app from settings and serves it until a shutdown signal. Tests start it on
//! port 0 with their own settings and shutdown future.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, on, MethodFilter};
use axum::{middleware, Router};
use chrono::Utc;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, render_route_with_context, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;

use super::access;
use super::ai::Ai;
use super::auth::{hash_password, LoginThrottle};
use super::config::{AdminBootstrap, ConfigError, DatabaseUrl, Settings, LOG_FILTER};
use super::db::{demo, users, Backend, Db, DbError};
use super::headers;
use super::origin;
use super::realtime::{self, Hub};
use super::routes;
use super::session;
use super::state::AppState;
use super::whatsapp::sender::Sender;
use super::whatsapp::templates::TemplateSource;
use super::{campaigns, scheduler};
use crate::app::{shell, App};
use crate::model::Role;

/// Why the app did not start, as one line naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("DATABASE_URL: cannot open the database ({0})")]
    Database(DbError),
    #[error("database migration failed ({0})")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("FRONTDESK_ADMIN_EMAIL and FRONTDESK_ADMIN_PASSWORD: required on the first start, when no staff account exists yet")]
    NoAdmin,
    #[error("cannot prepare the database ({0})")]
    Bootstrap(DbError),
    #[error("LEPTOS_SITE_ADDR: cannot listen on {0} ({1})")]
    Bind(SocketAddr, std::io::Error),
    #[error("the server stopped with an error ({0})")]
    Serve(std::io::Error),
    #[error("backup: {0}")]
    Backup(crate::server::db::BackupError),
}

/// Reads the settings and serves until Ctrl-C or SIGTERM.
pub async fn run() -> Result<(), StartupError> {
    let settings = Settings::load()?;
    init_tracing();
    let app = Application::build(settings).await?;
    tracing::info!(address = %app.local_addr(), "Frontdesk is listening");
    app.run_until(shutdown_signal()).await
}

/// `frontdesk backup PATH`: a consistent copy of the configured SQLite database, taken while
/// the app may be running.
pub async fn backup(path: &std::path::Path) -> Result<(), StartupError> {
    let settings = Settings::load()?;
    let db = Db::connect(&settings.database.url, 1)
        .await
        .map_err(StartupError::Database)?;
    let copied = db.backup_to(path).await;
    db.close().await;
    copied.map_err(StartupError::Backup)
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(LOG_FILTER.default));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Opens and migrates the database, creates the first admin and the demo data when
    /// needed, and binds the listener (port 0 picks a free port).
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let db = Db::connect(&settings.database.url, settings.database.max_connections)
            .await
            .map_err(StartupError::Database)?;
        db.migrate().await?;
        bootstrap_admin(&db, settings.admin.as_ref(), settings.demo_data).await?;
        if settings.demo_data && demo::database_is_empty(&db).await.map_err(StartupError::Bootstrap)? {
            let tz = settings.business.timezone;
            // Templates come from Graph when it can be asked; else the demo has a few.
            let demo_templates =
                settings.whatsapp.access_token.is_none() || settings.whatsapp.business_account_id.is_none();
            // All of the demo or none of it: a failed start leaves the database empty.
            db.transaction(move |tx| {
                Box::pin(async move {
                    let now = Utc::now();
                    demo::load_demo_salon(&mut *tx, tz, now).await?;
                    if demo_templates {
                        demo::load_demo_templates(&mut *tx, now).await?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(StartupError::Bootstrap)?;
            tracing::info!("loaded the demo salon into the empty database");
        }
        let dummy_password_hash = hash_password("no account has this password").expect("hashing a constant");
        warn_about_webhook_security(&settings);

        let addr = settings.leptos.site_addr;
        let listener = TcpListener::bind(addr).await.map_err(|e| StartupError::Bind(addr, e))?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .expect("the HTTP client builds");
        let ai = Ai::from_settings(&settings.ai, http.clone());
        let template_source = TemplateSource::from_settings(&settings.whatsapp, http.clone()).ok();
        // Other instances may send for the same number: pace through the database too.
        let shared_pacing = (db.backend() == Backend::Postgres).then(|| db.clone());
        let sender = Sender::from_settings(&settings.whatsapp, http, shared_pacing);
        tracing::info!(
            ai = %ai.label(),
            whatsapp = if sender.is_outbox() { "outbox (messages are recorded, not sent)" } else { "Cloud API" },
            "message pipeline ready"
        );
        let hub = match db.backend() {
            // Other instances may serve the same database: tell them what changes.
            Backend::Postgres => Hub::shared(),
            Backend::Sqlite => Hub::default(),
        };
        let settings = Arc::new(settings);
        let state = AppState {
            leptos_options: settings.leptos.clone(),
            db,
            settings,
            login_throttle: Arc::new(LoginThrottle::default()),
            dummy_password_hash: dummy_password_hash.into(),
            hub,
            ai: Arc::new(ai),
            sender: Arc::new(sender),
            template_source: template_source.map(Arc::new),
            knowledge: Arc::default(),
            roi_cache: Arc::default(),
            wake_scheduler: Arc::new(Notify::new()),
            wake_campaigns: Arc::new(Notify::new()),
        };
        let router = router(state.clone());
        Ok(Application {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves HTTP and runs the scheduler until `shutdown` completes. Dropping the returned
    /// future stops both at once, as a crash would.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), StartupError> {
        let (stop_scheduler, scheduler_stopped) = watch::channel(false);
        sync_templates_in_background(&self.state);
        let jobs = scheduler::run(self.state.clone(), scheduler_stopped.clone());
        let grace = self.state.settings.scheduler.shutdown_grace;
        let campaign_sends = campaigns::sender::run(self.state.clone(), scheduler_stopped.clone(), grace);
        let relay = match &self.state.settings.database.url {
            DatabaseUrl::Postgres(url) => Some(realtime::relay(
                self.state.clone(),
                url.expose().to_string(),
                scheduler_stopped,
            )),
            DatabaseUrl::Sqlite { .. } => None,
        };
        let relay = async move {
            if let Some(relay) = relay {
                relay.await;
            }
        };
        // Pages stream in several small writes; with Nagle's algorithm each later write waits
        // for the client's delayed ACK (40 ms on Linux), so send them at once.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::warn!(%error, "cannot set TCP_NODELAY");
            }
        });
        // The peer's address keys the sign-in throttle.
        let service = self
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = axum::serve(listener, service).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_scheduler.send(true);
        });
        let (served, (), (), ()) = tokio::join!(server.into_future(), jobs, campaign_sends, relay);
        self.state.db.close().await;
        served.map_err(StartupError::Serve)
    }
}

/// Reads the templates from Graph once at start-up, beside serving: a slow or failing Graph
/// never delays the start, and the library keeps what it had.
fn sync_templates_in_background(state: &AppState) {
    let Some(source) = state.template_source.clone() else {
        return;
    };
    let db = state.db.clone();
    tokio::spawn(async move {
        match source.sync(&db).await {
            Ok(report) => tracing::info!(
                stored = report.stored,
                removed = report.removed,
                retired = report.retired,
                "synced the WhatsApp message templates"
            ),
            Err(error) => tracing::warn!(%error, "syncing the WhatsApp message templates failed"),
        }
    });
}

fn warn_about_webhook_security(settings: &Settings) {
    match (&settings.whatsapp.app_secret, settings.dev_mode) {
        (Some(_), _) => {}
        (None, true) => tracing::warn!(
            "DEVELOPMENT MODE: WHATSAPP_APP_SECRET is not set, so the webhook accepts UNSIGNED posts. Never run like this in production."
        ),
        (None, false) => tracing::warn!(
            "WHATSAPP_APP_SECRET is not set: the webhook refuses every post (set it, or FRONTDESK_DEV_MODE=true for local testing)"
        ),
    }
}

/// Demo accounts created beside the first admin when demo data is on, to try the roles.
pub const DEMO_STAFF: [(&str, &str, Role); 2] = [
    ("agent@frontdesk.local", "Agent", Role::Agent),
    ("marketer@frontdesk.local", "Marketer", Role::Marketer),
];

/// Creates the first admin on a start with no staff accounts (and, for the demo, an agent
/// and a marketer who share the admin's password).
async fn bootstrap_admin(db: &Db, admin: Option<&AdminBootstrap>, demo_staff: bool) -> Result<(), StartupError> {
    if users::count_users(db).await.map_err(StartupError::Bootstrap)? > 0 {
        return Ok(());
    }
    let admin = admin.ok_or(StartupError::NoAdmin)?;
    let hash = hash_password(admin.password.expose()).expect("argon2 hashes any password");
    users::create_user(db, &admin.email, "Admin", Role::Admin, &hash, Utc::now())
        .await
        .map_err(StartupError::Bootstrap)?;
    tracing::info!("created the first admin account");
    if demo_staff {
        for (email, name, role) in DEMO_STAFF {
            if users::normalize_email(email) != users::normalize_email(&admin.email) {
                users::create_user(db, email, name, role, &hash, Utc::now())
                    .await
                    .map_err(StartupError::Bootstrap)?;
            }
        }
    }
    Ok(())
}

/// Form posts and JSON are small; anything bigger is refused before it is read.
const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// A CSV file of contacts, sent as JSON text (100,000 lines are about 4 MB), is the one
/// large body we take, and only on its own endpoint.
const IMPORT_PATH: &str = "/api/contacts/import";
const IMPORT_BODY_LIMIT_BYTES: usize = crate::pages::contacts_import::MAX_FILE_BYTES + 4 * 1024 * 1024;

/// Raises the body limit for the import endpoint; it runs inside the general limit's layer,
/// so its limit is the one the server function's body reader sees.
async fn import_body_limit(mut request: Request, next: middleware::Next) -> axum::response::Response {
    if request.uri().path() == IMPORT_PATH {
        DefaultBodyLimit::max(IMPORT_BODY_LIMIT_BYTES).apply(&mut request);
    }
    next.run(request).await
}

/// The public routes and the sign-in page, the browser bundle, and the staff part behind
/// the session gate.
fn router(state: AppState) -> Router {
    let (public, _) = routes::public_routes().split();
    let (sign_in, staff_pages) = generate_route_list(App)
        .into_iter()
        .partition(|listing| listing.path() == session::SIGN_IN_PAGE);
    let pkg_dir = std::path::Path::new(&*state.leptos_options.site_root).join(&*state.leptos_options.site_pkg_dir);
    public
        .merge(sign_in_page(&state, sign_in))
        .route_layer(TraceLayer::new_for_http().make_span_with(request_span))
        // The browser bundle is served by a plain file service: leptos_axum's file handler
        // runs inside a reactive owner and can pick up a status another request left behind.
        // A release build (scripts/release) puts a gzip copy beside each file, sent to every
        // browser that accepts gzip: the wasm shrinks to about a third on the wire.
        .nest_service(
            &format!("/{}", state.leptos_options.site_pkg_dir),
            ServeDir::new(pkg_dir).precompressed_gzip(),
        )
        // public/'s files, open to everyone (search engines read robots.txt before any
        // sign-in), built into the binary so they answer even before the site is built.
        .route(
            "/robots.txt",
            get(|| public_file("text/plain; charset=utf-8", ROBOTS_TXT)),
        )
        .route("/favicon.svg", get(|| public_file("image/svg+xml", FAVICON_SVG)))
        .merge(staff_app(&state, staff_pages))
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(origin::same_origin))
        .layer(middleware::from_fn(headers::security_headers))
        .with_state(state)
}

const ROBOTS_TXT: &str = include_str!("../../public/robots.txt");
const FAVICON_SVG: &str = include_str!("../../public/favicon.svg");

async fn public_file(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type)], body)
}

/// Request spans carry the matched route, never the raw URI with its query.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!("request", method = %request.method(), route)
}

/// The sign-in page, open to everyone; someone already signed in is sent on to the inbox.
fn sign_in_page(state: &AppState, page: Vec<AxumRouteListing>) -> Router<AppState> {
    pages(state, page).layer(middleware::from_fn_with_state(
        state.clone(),
        session::redirect_signed_in,
    ))
}

/// Leptos pages, rendered on the server with the app state in their context. (Not with
/// `leptos_routes_with_context`, which also adds every server function, without the access
/// gate: `server_functions` adds them.)
fn pages(state: &AppState, listings: Vec<AxumRouteListing>) -> Router<AppState> {
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let options = state.leptos_options.clone();
    Router::new().leptos_routes_with_handler(
        listings.clone(),
        render_route_with_context::<AppState, _>(listings, context, move || shell(options.clone())),
    )
}

/// Every server function in the registry, each behind the access gate (`model::access`
/// declares who may call it; one without a declaration is refused).
fn server_functions(state: &AppState) -> Router<AppState> {
    let mut router = Router::new();
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        let state = state.clone();
        let handler = move |request: Request| {
            let state = state.clone();
            leptos_axum::handle_server_fns_with_context(move || provide_context(state.clone()), request)
        };
        let method = MethodFilter::try_from(method).expect("server functions use standard HTTP methods");
        router = router.route(path, on(method, handler));
    }
    router.route_layer(middleware::from_fn(access::server_functions))
}

/// Everything that needs a signed-in staff user: the staff routes, every other page, every
/// server function and the 404 page.
fn staff_app(state: &AppState, staff_pages: Vec<AxumRouteListing>) -> Router<AppState> {
    let (staff, _) = routes::staff_routes().split();
    staff
        .merge(pages(state, staff_pages))
        .merge(server_functions(state))
        .route_layer(TraceLayer::new_for_http().make_span_with(request_span))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            || (),
            shell,
        ))
        .layer(middleware::from_fn(import_body_limit))
        .layer(middleware::from_fn_with_state(state.clone(), session::require_staff))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
