//! Support for the tests and benchmarks (`--features testing`, which they turn on): a fresh
//! database per test on SQLite or PostgreSQL, the app on port 0, fake WhatsApp Graph and
//! Gemini servers on loopback, the pipeline rig, and benchmark statistics. Never in a build
//! that ships.

pub mod fakes;
pub mod load;
pub mod profile;
pub mod proxy;
pub mod rig;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::model::{NameSource, WaId};
use crate::server::config::{DatabaseUrl, Settings};
use crate::server::db::{contacts, Db};
use rand::Rng;

pub struct TestDb {
    pub db: Db,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    PostgresDatabase { admin_url: String, name: String },
}

fn unique_suffix() -> String {
    format!("{}_{:08x}", std::process::id(), rand::thread_rng().gen::<u32>())
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("frontdesk-test-{}", unique_suffix()));
        let url = format!("sqlite://{}/frontdesk.db", dir.display());
        let db = connect(&url).await;
        TestDb {
            db,
            url,
            cleanup: Cleanup::Dir(dir),
        }
    }

    /// A new, empty database on the server named by TEST_DATABASE_URL; `None` (and a note
    /// on stderr) when it is not set.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!("SKIPPED: PostgreSQL test (TEST_DATABASE_URL is not set)");
            return None;
        };
        let name = format!("frontdesk_test_{}", unique_suffix());
        let admin = connect_raw(&admin_url).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(admin.pool())
            .await
            .expect("create the test database");
        admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        let db = connect(url.as_str()).await;
        Some(TestDb {
            db,
            url: url.to_string(),
            cleanup: Cleanup::PostgresDatabase { admin_url, name },
        })
    }

    pub async fn cleanup(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::PostgresDatabase { admin_url, name } => {
                let admin = connect_raw(&admin_url).await;
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(admin.pool())
                    .await;
                admin.close().await;
            }
        }
    }
}

async fn connect_raw(url: &str) -> Db {
    let url = DatabaseUrl::parse(url).expect("test database URL");
    Db::connect(&url, 16).await.expect("connect to the test database")
}

async fn connect(url: &str) -> Db {
    let db = connect_raw(url).await;
    db.migrate().await.expect("migrations apply to an empty database");
    db
}

pub const ADMIN_EMAIL: &str = "admin@frontdesk.test";
pub const ADMIN_PASSWORD: &str = "correct-horse-battery";

/// A customer first seen 30 days ago, named by staff when `name` is given, with marketing
/// consent recorded by staff when `consent`: one of a campaign's possible recipients.
pub async fn campaign_contact(db: &Db, wa: &str, name: Option<&str>, consent: bool) -> i64 {
    let wa_id = WaId::parse(wa).expect("a test number");
    let first_seen = chrono::Utc::now() - chrono::Duration::days(30);
    let contact = contacts::get_or_create_contact(db, &wa_id, None, first_seen, None)
        .await
        .expect("contact stored");
    if let Some(name) = name {
        contacts::set_name(db, contact.id, Some(name), NameSource::Staff)
            .await
            .expect("name stored");
    }
    if consent {
        sqlx::query("UPDATE contacts SET consent_at = $1, consent_source = 'staff' WHERE id = $2")
            .bind(chrono::Utc::now().timestamp_millis())
            .bind(contact.id)
            .execute(db.pool())
            .await
            .expect("consent stored");
    }
    contact.id
}

/// Settings for an app on a free port with the given database, demo data and a first admin.
pub fn test_settings(database_url: &str, extra: &[(&str, &str)]) -> Settings {
    let mut env: HashMap<String, String> = [
        ("DATABASE_URL", database_url),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("FRONTDESK_ADMIN_EMAIL", ADMIN_EMAIL),
        ("FRONTDESK_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("FRONTDESK_DEMO_DATA", "true"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::from_sources("test", None, move |name| env.get(name).cloned()).expect("valid test settings")
}

/// The app on a free port, with a way to stop it gracefully or kill it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: crate::server::state::AppState,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    pub async fn start(settings: Settings) -> TestApp {
        let app = crate::server::startup::Application::build(settings)
            .await
            .expect("app starts");
        let base = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A request that never gets an answer fails its test, naming the address, rather
            // than holding the whole run until CI's time limit.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        TestApp {
            base,
            client,
            state,
            shutdown: Some(tx),
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        let _ = self.shutdown.take().unwrap().send(());
        self.server.await.unwrap();
    }

    /// Stops the app the way a crash would: no graceful shutdown, running jobs dropped.
    pub async fn kill(self) {
        self.server.abort();
        let _ = self.server.await;
    }
}

/// Polls until `check` holds, or panics with `what` after `seconds`.
pub async fn eventually<F, Fut>(seconds: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out after {seconds} s waiting for: {what}");
}

/// A benchmark knob from the environment, or its default; a value that does not parse stops
/// the run with the variable's name.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: cannot read `{value}`")),
        _ => default,
    }
}

/// The `q` quantile (0..=1) of sorted benchmark samples, by the nearest-rank method.
pub fn percentile(sorted: &[std::time::Duration], q: f64) -> std::time::Duration {
    if sorted.is_empty() {
        return std::time::Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// A duration in milliseconds, for benchmark reports.
pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One test per database: `on_both_databases!(a, b)` runs `async fn a(db: &Db)` on a fresh
/// SQLite file and, when `TEST_DATABASE_URL` is set, on a fresh PostgreSQL database, and
/// removes each afterwards.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::testing::TestDb::sqlite().await;
                super::$test(&db.db).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = $crate::testing::TestDb::postgres().await else { return };
                super::$test(&db.db).await;
                db.cleanup().await;
            }
        }
    )*};
}

/// Like [`on_both_databases!`] for tests that start the app themselves: `async fn a(db:
/// TestDb)` gets the database's URL with it and removes it when done.
#[macro_export]
macro_rules! on_both_test_databases {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$test($crate::testing::TestDb::sqlite().await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) = $crate::testing::TestDb::postgres().await else { return };
                super::$test(db).await;
            }
        }
    )*};
}
