//! A rig for the message pipeline: the app on a free port with fake WhatsApp Graph and
//! Gemini servers on loopback, and signed webhook posts as Meta sends them.

use crate::model::WaId;
use crate::server::db::contacts;
use crate::server::whatsapp::{payload, signature};
use chrono::{Datelike, Utc, Weekday};

use super::fakes::{FakeGemini, FakeGraph};
use super::{eventually, test_settings, TestApp, TestDb, ADMIN_EMAIL, ADMIN_PASSWORD};

pub const APP_SECRET: &str = "test-app-secret";
pub const TZ: chrono_tz::Tz = chrono_tz::Europe::Madrid;

pub enum Brain {
    Gemini,
    Offline,
}

pub struct Rig {
    pub app: TestApp,
    pub graph: FakeGraph,
    pub gemini: FakeGemini,
    pub db: TestDb,
}

impl Rig {
    pub async fn start(brain: Brain, extra: &[(&str, &str)]) -> Rig {
        let db = TestDb::sqlite().await;
        Rig::start_on(db, brain, extra).await
    }

    pub async fn start_on(db: TestDb, brain: Brain, extra: &[(&str, &str)]) -> Rig {
        let graph = FakeGraph::start().await;
        let gemini = FakeGemini::start().await;
        let app = TestApp::start(settings(&db.url, &graph, &gemini, brain, extra)).await;
        Rig { app, graph, gemini, db }
    }

    pub fn db(&self) -> &crate::server::db::Db {
        &self.app.state.db
    }

    /// Posts a signed text-message webhook, as Meta would.
    pub async fn say(&self, from: &str, wamid: &str, text: &str) -> reqwest::Response {
        let body = payload::text_message_payload(from, Some("Sara L"), wamid, Utc::now(), text).to_string();
        self.post_signed(body).await
    }

    pub async fn post_signed(&self, body: String) -> reqwest::Response {
        post_signed(&self.app, body).await
    }

    /// Waits until the customer has received `count` messages and returns them.
    pub async fn replies(&self, to: &str, count: usize) -> Vec<String> {
        eventually(15, &format!("{count} message(s) to {to}"), || async {
            self.graph.sent_to(to).len() >= count
        })
        .await;
        self.graph.sent_to(to)
    }

    pub async fn contact(&self, wa: &str) -> crate::model::Contact {
        contacts::find_contact_by_wa_id(self.db(), &WaId::parse(wa).unwrap())
            .await
            .unwrap()
            .expect("contact exists")
    }

    pub async fn finish(self) {
        self.app.stop().await;
        self.db.cleanup().await;
    }
}

/// Posts a webhook body signed with the app secret, as Meta would.
pub async fn post_signed(app: &TestApp, body: String) -> reqwest::Response {
    let signature = signature::header_for(APP_SECRET.as_bytes(), body.as_bytes());
    app.client
        .post(app.url("/webhook/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The environment of an app wired to the fake servers, as variables: for an app in this
/// process (through [`settings`]) or for the binary in another one.
pub fn pipeline_env(graph: &FakeGraph, gemini: &FakeGemini, brain: Brain) -> Vec<(&'static str, String)> {
    vec![
        ("WHATSAPP_APP_SECRET", APP_SECRET.into()),
        ("WHATSAPP_VERIFY_TOKEN", "verify-me".into()),
        ("WHATSAPP_ACCESS_TOKEN", "graph-token".into()),
        ("WHATSAPP_PHONE_NUMBER_ID", "1098765".into()),
        ("WHATSAPP_API_BASE", graph.base.clone()),
        ("WHATSAPP_PAIR_INTERVAL_MS", "0".into()),
        ("WHATSAPP_MESSAGES_PER_SECOND", "1000".into()),
        ("FRONTDESK_TIMEZONE", "Europe/Madrid".into()),
        ("GEMINI_API_BASE", gemini.base.clone()),
        ("GEMINI_API_KEY", "gemini-test-key".into()),
        (
            "AI_PROVIDER",
            match brain {
                Brain::Gemini => "gemini",
                Brain::Offline => "offline",
            }
            .into(),
        ),
    ]
}

pub fn settings(
    db_url: &str,
    graph: &FakeGraph,
    gemini: &FakeGemini,
    brain: Brain,
    extra: &[(&str, &str)],
) -> crate::server::config::Settings {
    let env = pipeline_env(graph, gemini, brain);
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    test_settings(db_url, &env)
}

/// A Friday at least two days ahead, as `YYYY-MM-DD` (the demo salon is open on Fridays).
pub fn next_friday() -> String {
    let mut day = Utc::now().with_timezone(&TZ).date_naive() + chrono::Duration::days(2);
    // The demo salon is closed on its holidays: Christmas, Boxing Day, New Year's Day.
    let holiday = |day: chrono::NaiveDate| matches!((day.month(), day.day()), (12, 25) | (12, 26) | (1, 1));
    while day.weekday() != Weekday::Fri || holiday(day) {
        day = day.succ_opt().unwrap();
    }
    day.format("%Y-%m-%d").to_string()
}

/// The Frontdesk binary (`env!("CARGO_BIN_EXE_frontdesk")`, known only to test targets) in
/// its own process, serving on `port` with the given environment (usually [`pipeline_env`])
/// and demo data; returns once its health check answers. Killing the child is a real
/// `kill -9`.
pub async fn start_process(
    binary: &str,
    db_url: &str,
    port: u16,
    env: &[(&'static str, String)],
) -> tokio::process::Child {
    let mut command = tokio::process::Command::new(binary);
    command
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("DATABASE_URL", db_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("FRONTDESK_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("FRONTDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("FRONTDESK_DEMO_DATA", "true")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true);
    let child = command.spawn().expect("the frontdesk binary starts");
    let health = format!("http://127.0.0.1:{port}/api/health");
    eventually(60, "the app process to answer its health check", || async {
        reqwest::get(&health).await.is_ok_and(|r| r.status().is_success())
    })
    .await;
    child
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
