//! Campaign benchmark on SQLite (a temporary database file), on this machine.
//!
//! 1. Planning: 100,000 contacts with a realistic mix (most with marketing consent, some
//!    opted out or stopped promotions, some with past, recent or upcoming appointments, some
//!    in human mode, a quarter sent an earlier campaign, a few of those within the recency
//!    days) are seeded with `INSERT … SELECT` straight into the database. Then
//!    `campaigns::preview` (the plan with every check, nothing written) and
//!    `campaigns::launch` (the plan again, and the campaign with one recipient row per
//!    contact, written 2,000 rows per transaction so live traffic gets the writer in
//!    between) are timed separately, each repeat on the same contacts;
//!    the launched campaign is deleted after each repeat (not timed). The campaign sends an
//!    approved template (free text would skip every closed 24-hour window) and starts ten
//!    minutes later, so the sender stays idle while it is measured.
//! 2. Sending: a template campaign to BENCH_SEND consenting contacts with no delay, sending
//!    hours 00:00–24:00, against a fake Graph API on loopback that records when each message
//!    arrives, at `WHATSAPP_MESSAGES_PER_SECOND=80`. Reported: messages per second from the
//!    first arrival to the last, the most arrivals in any 1-second window `[t, t + 1 s)`
//!    (the Pacer spaces sends 12.5 ms apart, so 80 fit exactly; on a busy machine a late
//!    wake-up can move a few arrivals into the next window, so the most in any 10 seconds,
//!    divided by 10, is shown too), copies per recipient, and every recipient row's final
//!    status.
//! 3. Webhook acknowledgement latency while a campaign sends: the pipeline benchmark's open
//!    loop of signed webhook posts (one customer text each, every POST on its own task, so a
//!    slow answer never delays the next), first on an app with no campaign, then on a fresh
//!    app whose campaign (as in 2) has been sending for two seconds. Each post's bot reply
//!    goes through the same Pacer as the campaign (one business number, one rate), so the
//!    campaign's share of the 80 messages/s drops while the load runs; its sends and all
//!    outbound messages during the window are reported too. Each app is stopped right after
//!    its window, with replies still queued.
//!
//! The app is the real one (`TestApp`, i.e. `Application::build` + `run_until`) with the
//! offline AI receptionist and no demo data, on its own tokio runtime (2 worker threads, one
//! per core); the load generator and the fake Graph API run on another runtime, like a
//! separate process on the same machine. Tracing is not initialised (no log output).
//!
//! Run: `cargo bench --no-default-features --features ssr --bench campaigns`
//!
//! Knobs (environment, all optional):
//!   BENCH_CONTACTS=100000       part 1: contacts seeded
//!   BENCH_SEND=10000            parts 2 and 3: recipients of the sending campaign
//!   BENCH_MESSAGES_PER_SECOND=80  WHATSAPP_MESSAGES_PER_SECOND of the app
//!   BENCH_RATE=500              part 3: offered webhook posts per second
//!   BENCH_SECONDS=10            part 3: duration of each load window
//!   BENCH_REPEATS=3             repeats of each part (medians)
//!   BENCH_APP_THREADS=2         worker threads of the app's runtime
//!   BENCH_LOAD_THREADS=2        worker threads of the load generator's runtime
//!   BENCH_ONLY=plan|send|webhook  run one part only
//!   BENCH_PROFILE=1             parts 2 and 3: also count every SQL statement (sqlx's own
//!                               events) and print them per send or per post, with their
//!                               slowest time; adds overhead
//!   BENCH_KEEP_DB=1             keep the temp database files and print their paths

use frontdesk::testing;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use frontdesk::model::{CampaignDraft, CampaignPlan};
use frontdesk::server::campaigns;
use frontdesk::server::db::audit::Actor;
use frontdesk::server::db::{users, Db};
use frontdesk::server::whatsapp::{payload, signature};
use frontdesk::testing::load::{client, median, runtime, send, Post};
use serde_json::{json, Value};
use testing::{test_settings, TestApp, TestDb};
use tokio::runtime::Runtime;

const APP_SECRET: &str = "bench-app-secret";
const TEMPLATE: &str = "bench_offer";
const DAY_MS: i64 = 86_400_000;
/// Texts the offline receptionist answers without booking anything (greeting, hours, prices).
const TEXTS: &[&str] = &[
    "hi",
    "What are your opening hours?",
    "How much is a women's haircut?",
    "Hello there",
];
const WARMUP_POSTS: usize = 100;
/// How long the campaign sends before the load window of part 3 starts.
const CAMPAIGN_LEAD: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------------------------------
// Configuration

#[derive(Clone, Debug)]
struct Config {
    contacts: i64,
    send: i64,
    messages_per_second: u32,
    rate: u32,
    seconds: u64,
    repeats: usize,
    app_threads: usize,
    load_threads: usize,
    only: Option<String>,
    profile: bool,
    keep_db: bool,
}

impl Config {
    fn from_env() -> Config {
        Config {
            contacts: testing::env_or("BENCH_CONTACTS", 100_000i64).max(1),
            send: testing::env_or("BENCH_SEND", 10_000i64).max(1),
            messages_per_second: testing::env_or("BENCH_MESSAGES_PER_SECOND", 80u32).max(1),
            rate: testing::env_or("BENCH_RATE", 500u32).max(1),
            seconds: testing::env_or("BENCH_SECONDS", 10u64).max(1),
            repeats: testing::env_or("BENCH_REPEATS", 3usize).max(1),
            app_threads: testing::env_or("BENCH_APP_THREADS", 2usize).max(1),
            load_threads: testing::env_or("BENCH_LOAD_THREADS", 2usize).max(1),
            only: std::env::var("BENCH_ONLY").ok().filter(|s| !s.is_empty()),
            profile: testing::env_or("BENCH_PROFILE", 0u8) == 1,
            keep_db: testing::env_or("BENCH_KEEP_DB", 0u8) == 1,
        }
    }

    fn runs(&self, part: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == part)
    }
}

// ---------------------------------------------------------------------------------------
// A fake WhatsApp Graph API that records when each message arrives: the same wire format as
// `testing::fakes::FakeGraph`.

#[derive(Clone, Debug)]
struct Arrival {
    at: Instant,
    to: String,
    template: bool,
}

#[derive(Default)]
struct GraphState {
    count: AtomicUsize,
    templates: AtomicUsize,
    arrivals: Mutex<Vec<Arrival>>,
}

#[derive(Clone)]
struct RecordingGraph {
    base: String,
    state: Arc<GraphState>,
}

impl RecordingGraph {
    async fn start() -> RecordingGraph {
        let state = Arc::new(GraphState::default());
        let router = Router::new()
            .route("/{version}/{phone_number_id}/messages", post(graph_send))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        RecordingGraph { base, state }
    }

    fn count(&self) -> usize {
        self.state.count.load(Ordering::SeqCst)
    }

    fn templates(&self) -> usize {
        self.state.templates.load(Ordering::SeqCst)
    }

    fn arrivals(&self) -> Vec<Arrival> {
        self.state.arrivals.lock().unwrap().clone()
    }

    /// Polls (every 5 ms) until `done` holds; the time it did, or `None` after `timeout`.
    async fn wait_until(&self, timeout: Duration, done: impl Fn(&RecordingGraph) -> bool) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            if done(self) {
                return Some(Instant::now());
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn graph_send(
    State(state): State<Arc<GraphState>>,
    Path((_version, _phone_number_id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let at = Instant::now();
    let to = body["to"].as_str().unwrap_or_default().to_string();
    let template = body["type"].as_str() == Some("template");
    state.arrivals.lock().unwrap().push(Arrival {
        at,
        to: to.clone(),
        template,
    });
    if template {
        state.templates.fetch_add(1, Ordering::SeqCst);
    }
    let n = state.count.fetch_add(1, Ordering::SeqCst) + 1;
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": format!("wamid.FAKE{n}") }]
    }))
}

// ---------------------------------------------------------------------------------------
// The app under test

struct Rig {
    app: TestApp,
    db: TestDb,
    graph: RecordingGraph,
}

fn settings(cfg: &Config, db_url: &str, graph: &RecordingGraph) -> frontdesk::server::config::Settings {
    let per_second = cfg.messages_per_second.to_string();
    test_settings(
        db_url,
        &[
            ("WHATSAPP_APP_SECRET", APP_SECRET),
            ("WHATSAPP_ACCESS_TOKEN", "bench-graph-token"),
            ("WHATSAPP_PHONE_NUMBER_ID", "1098765"),
            ("WHATSAPP_API_BASE", graph.base.as_str()),
            ("WHATSAPP_PAIR_INTERVAL_MS", "0"),
            ("WHATSAPP_MESSAGES_PER_SECOND", per_second.as_str()),
            ("CAMPAIGNS_DAILY_LIMIT", "100000"),
            ("FRONTDESK_DEMO_DATA", "false"),
            ("AI_PROVIDER", "offline"),
            // Part 3 stops its apps with replies still queued behind the Pacer.
            ("SCHEDULER_SHUTDOWN_GRACE_SECONDS", "1"),
        ],
    )
}

fn start_rig(cfg: &Config, app_rt: &Runtime, load_rt: &Runtime) -> Rig {
    let graph = load_rt.block_on(RecordingGraph::start());
    app_rt.block_on(async {
        let db = TestDb::sqlite().await;
        let app = TestApp::start(settings(cfg, &db.url, &graph)).await;
        Rig { app, db, graph }
    })
}

fn stop_rig(cfg: &Config, rig: Rig, app_rt: &Runtime) {
    app_rt.block_on(async {
        rig.app.stop().await;
        if cfg.keep_db {
            eprintln!("  kept database: {}", rig.db.url);
            rig.db.db.close().await;
        } else {
            rig.db.cleanup().await;
        }
    });
}

// ---------------------------------------------------------------------------------------
// Seeding, straight into the database

async fn exec(db: &Db, sql: &str, now: i64, n: i64) {
    sqlx::query(sql)
        .bind(now)
        .bind(n)
        .execute(db.pool())
        .await
        .unwrap_or_else(|e| panic!("seed: {e}\n{sql}"));
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await.unwrap()
}

/// `n` contacts. Realistic: the mix of the module comment, numbered 1..=n (an empty database:
/// no demo data); otherwise every contact is named, consenting, and has nothing to skip for.
async fn seed_contacts(db: &Db, n: i64, realistic: bool) {
    let now = Utc::now().timestamp_millis();
    let numbers = "WITH RECURSIVE n(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM n WHERE c < $2)";
    let contacts = if realistic {
        // 10 % unnamed; 15 % without consent; 2 % opted out; 1 % stopped promotions;
        // 10 % wrote within the last day.
        format!(
            "{numbers} INSERT INTO contacts (id, wa_id, name, name_source, first_seen_at, last_seen_at, \
             last_inbound_at, opted_out_at, consent_at, consent_source, marketing_stopped_at, notes) \
             SELECT c, '4930' || printf('%08d', c), \
             CASE WHEN c % 10 = 0 THEN NULL ELSE 'Customer ' || c END, \
             CASE WHEN c % 10 = 0 THEN NULL ELSE 'customer' END, \
             $1 - 400 * {DAY_MS}, $1 - (c % 90) * {DAY_MS}, \
             CASE WHEN c % 10 = 1 THEN $1 - 3600000 ELSE $1 - (c % 90) * {DAY_MS} - 60000 END, \
             CASE WHEN c % 50 = 0 THEN $1 - 10 * {DAY_MS} END, \
             CASE WHEN c % 20 IN (3, 7, 11) THEN NULL ELSE $1 - 60 * {DAY_MS} END, \
             CASE WHEN c % 20 IN (3, 7, 11) THEN NULL ELSE 'import' END, \
             CASE WHEN c % 97 = 5 THEN $1 - 5 * {DAY_MS} END, '' FROM n"
        )
    } else {
        format!(
            "{numbers} INSERT INTO contacts (wa_id, name, name_source, first_seen_at, last_seen_at, \
             last_inbound_at, consent_at, consent_source, notes) \
             SELECT '4930' || printf('%08d', c), 'Customer ' || c, 'customer', $1 - 400 * {DAY_MS}, \
             $1 - 30 * {DAY_MS}, $1 - 30 * {DAY_MS}, $1 - 60 * {DAY_MS}, 'import', '' FROM n"
        )
    };
    exec(db, &contacts, now, n).await;
    if !realistic {
        return;
    }
    // 80 % have a conversation; 2.5 % of all are in human mode.
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO conversations (contact_id, mode, flow_state, last_activity_at, unread_count, \
             needs_attention, created_at) \
             SELECT c, CASE WHEN c % 40 = 2 THEN 'human' ELSE 'bot' END, 'idle', $1 - (c % 90) * {DAY_MS}, 0, 0, \
             $1 - 400 * {DAY_MS} FROM n WHERE c % 5 <> 4"
        ),
        now,
        n,
    )
    .await;
    sqlx::query("INSERT INTO services (name, duration_minutes, price_cents) VALUES ('Bench cut', 30, 2500)")
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO staff (name) VALUES ('Bench Stylist')")
        .execute(db.pool())
        .await
        .unwrap();
    let service = scalar(db, "SELECT MAX(id) FROM services").await;
    let staff = scalar(db, "SELECT MAX(id) FROM staff").await;
    // Past visits for 1 in 6 (months ago); a recent booking for 1 in 29 (made 5 days ago);
    // an upcoming appointment for 1 in 23 (one slot per contact, a minute apart).
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO appointments (contact_id, service_id, staff_id, starts_at, ends_at, status, \
             source, price_cents, created_at) \
             SELECT c, {service}, {staff}, $1 - (30 + c % 150) * {DAY_MS}, $1 - (30 + c % 150) * {DAY_MS} + 1800000, \
             'completed', 'bot', 2500, $1 - (32 + c % 150) * {DAY_MS} FROM n WHERE c % 6 = 0 \
             UNION ALL \
             SELECT c, {service}, {staff}, $1 - 2 * {DAY_MS}, $1 - 2 * {DAY_MS} + 1800000, 'completed', 'staff', \
             2500, $1 - 5 * {DAY_MS} FROM n WHERE c % 29 = 1 \
             UNION ALL \
             SELECT c, {service}, {staff}, $1 + {DAY_MS} + c * 60000, $1 + {DAY_MS} + c * 60000 + 1800000, \
             'booked', 'bot', 2500, $1 - 20 * {DAY_MS} FROM n WHERE c % 23 = 2"
        ),
        now,
        n,
    )
    .await;
    // An earlier campaign sent to a quarter: a month ago, or (1 in 12) two days ago.
    let user = scalar(db, "SELECT MIN(id) FROM users").await;
    sqlx::query(&format!(
        "INSERT INTO campaigns (name, message_text, name_fallback, audience, recency_days, excluded_outcomes, \
         min_delay_seconds, max_delay_seconds, sending_from_minute, sending_until_minute, attribution_days, status, \
         disclaimer_accepted_by, disclaimer_accepted_at, created_at, starts_at, expires_at, next_send_at) \
         VALUES ('Earlier', 'Hi {{customer_name}}', 'there', '{{}}', 7, '', 20, 90, 540, 1200, 7, 'completed', \
         {user}, $1, $1, $1, $1, $1)"
    ))
    .bind(now - 40 * DAY_MS)
    .execute(db.pool())
    .await
    .unwrap();
    let earlier = scalar(db, "SELECT MAX(id) FROM campaigns").await;
    exec(
        db,
        &format!(
            "{numbers} INSERT INTO campaign_recipients (campaign_id, contact_id, rendered_text, status, \
             scheduled_at, sent_at, updated_at) \
             SELECT {earlier}, c, 'Hi Customer ' || c, 'sent', $1 - 40 * {DAY_MS}, \
             CASE WHEN c % 12 = 0 THEN $1 - 2 * {DAY_MS} ELSE $1 - 30 * {DAY_MS} END, $1 FROM n WHERE c % 4 = 0"
        ),
        now,
        n,
    )
    .await;
}

/// An approved marketing template with the customer's name, as a Graph sync stores it.
async fn approved_template(db: &Db) {
    sqlx::query(
        "INSERT INTO message_templates (name, language, category, status, body, parameters, synced_at) \
         VALUES ($1, 'en', 'MARKETING', 'APPROVED', 'Hi {{customer_name}}, 20% off colour this week!', \
         'customer_name', 0)",
    )
    .bind(TEMPLATE)
    .execute(db.pool())
    .await
    .unwrap();
}

/// The first admin, as the launches' actor.
async fn admin(db: &Db) -> Actor {
    let id = scalar(db, "SELECT MIN(id) FROM users").await;
    Actor::staff(&users::get_user(db, id).await.expect("the first admin"))
}

/// A template campaign to everyone, with no delay, all day.
fn draft(name: &str) -> CampaignDraft {
    CampaignDraft {
        name: name.into(),
        template: Some(TEMPLATE.into()),
        min_delay_seconds: 0,
        max_delay_seconds: 0,
        sending_from: "00:00".into(),
        sending_until: "24:00".into(),
        acknowledge_disclaimer: true,
        ..CampaignDraft::default()
    }
}

// ---------------------------------------------------------------------------------------
// Statistics

/// The most instants (sorted) in any window `[t, t + width)`.
fn max_in_window(sorted: &[Instant], width: Duration) -> usize {
    let mut best = 0;
    let mut end = 0;
    for (start, at) in sorted.iter().enumerate() {
        while end < sorted.len() && sorted[end] < *at + width {
            end += 1;
        }
        best = best.max(end - start);
    }
    best
}

// ---------------------------------------------------------------------------------------
// Part 1: planning 100,000 contacts

#[derive(Clone, Debug)]
struct PlanResult {
    seed_s: f64,
    preview_s: Vec<f64>,
    launch_s: Vec<f64>,
    rows: i64,
    plan: CampaignPlan,
}

fn plan_part(cfg: &Config, app_rt: &Runtime, load_rt: &Runtime) -> PlanResult {
    let rig = start_rig(cfg, app_rt, load_rt);
    let result = app_rt.block_on(async {
        let (app, db) = (&rig.app.state, &rig.app.state.db);
        let started = Instant::now();
        seed_contacts(db, cfg.contacts, true).await;
        approved_template(db).await;
        sqlx::query("ANALYZE").execute(db.pool()).await.unwrap();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_all(db.pool())
            .await
            .unwrap();
        let seed_s = started.elapsed().as_secs_f64();
        let admin = admin(db).await;
        // Ten minutes ahead: the sender leaves it alone while it is measured.
        let mut draft = draft("Planning");
        draft.schedule_at = Some(Utc::now() + chrono::Duration::minutes(10));
        let (mut preview_s, mut launch_s) = (Vec::new(), Vec::new());
        let mut rows = 0;
        let mut plan = None;
        for run in 0..cfg.repeats {
            let started = Instant::now();
            let previewed = campaigns::preview(app, &draft).await.expect("preview");
            preview_s.push(started.elapsed().as_secs_f64());
            let started = Instant::now();
            let launched = campaigns::launch(app, &draft, &admin, None).await.expect("launch");
            launch_s.push(started.elapsed().as_secs_f64());
            assert_eq!(previewed.audience, launched.plan.audience, "preview and launch agree");
            rows = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM campaign_recipients WHERE campaign_id = $1")
                .bind(launched.campaign_id)
                .fetch_one(db.pool())
                .await
                .unwrap();
            println!(
                "  planning run {}: preview {:.3} s, launch {:.3} s, {} recipient rows",
                run + 1,
                preview_s[run],
                launch_s[run],
                rows
            );
            for sql in [
                "DELETE FROM campaign_recipients WHERE campaign_id = $1",
                "DELETE FROM campaigns WHERE id = $1",
            ] {
                sqlx::query(sql)
                    .bind(launched.campaign_id)
                    .execute(db.pool())
                    .await
                    .unwrap();
            }
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_all(db.pool())
                .await
                .unwrap();
            plan = Some(launched.plan);
        }
        PlanResult {
            seed_s,
            preview_s,
            launch_s,
            rows,
            plan: plan.expect("at least one run"),
        }
    });
    stop_rig(cfg, rig, app_rt);
    result
}

// ---------------------------------------------------------------------------------------
// Part 2: sending at the configured rate

#[derive(Clone, Debug, Default)]
struct SendResult {
    recipients: i64,
    received: usize,
    /// First send's arrival after launch returned.
    first_after_s: f64,
    /// First arrival to last.
    span_s: f64,
    rate: f64,
    max_in_second: usize,
    /// The most arrivals in any 10-second window, per second: the rate without network jitter.
    max_in_ten_seconds: f64,
    duplicates: usize,
    missing: usize,
    /// Recipient rows by final status.
    statuses: Vec<(String, i64)>,
    timed_out: bool,
}

impl SendResult {
    fn all_sent(&self) -> bool {
        self.statuses.len() == 1 && self.statuses[0].0 == "sent" && self.statuses[0].1 == self.recipients
    }
}

async fn launch_sending(rig: &Rig, n: i64) -> (i64, Instant) {
    let (app, db) = (&rig.app.state, &rig.app.state.db);
    seed_contacts(db, n, false).await;
    approved_template(db).await;
    let admin = admin(db).await;
    let launched = campaigns::launch(app, &draft("Sending"), &admin, None)
        .await
        .expect("launch");
    // Part 3's warm-up customers are contacts too, without consent: skipped.
    let to_send = launched.plan.sending_today + launched.plan.later_days;
    assert_eq!(to_send as i64, n, "every seeded contact is sent to, today");
    (launched.campaign_id, Instant::now())
}

async fn recipient_statuses(db: &Db, campaign_id: i64) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT status, COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 GROUP BY status ORDER BY status",
    )
    .bind(campaign_id)
    .fetch_all(db.pool())
    .await
    .unwrap()
}

fn send_run(cfg: &Config, run: usize, app_rt: &Runtime, load_rt: &Runtime) -> SendResult {
    let rig = start_rig(cfg, app_rt, load_rt);
    let (campaign_id, launched_at) = app_rt.block_on(launch_sending(&rig, cfg.send));
    let profile = frontdesk::testing::profile::start(cfg.profile);
    profile.reset();
    let expected = cfg.send as usize;
    let timeout = Duration::from_secs(60 + 2 * cfg.send as u64 / u64::from(cfg.messages_per_second));
    let done = load_rt.block_on(async {
        let done = rig.graph.wait_until(timeout, |g| g.templates() >= expected).await;
        // Anything extra (a second copy) would show up now.
        tokio::time::sleep(Duration::from_secs(1)).await;
        done
    });
    let statuses = app_rt.block_on(async {
        // The last sends' rows settle right after their answer.
        let mut statuses = recipient_statuses(&rig.app.state.db, campaign_id).await;
        for _ in 0..100 {
            if statuses.iter().all(|(s, _)| s != "sending") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            statuses = recipient_statuses(&rig.app.state.db, campaign_id).await;
        }
        statuses
    });
    profile.print(&format!("send run #{}", run + 1), Some(expected));
    let arrivals: Vec<Arrival> = rig.graph.arrivals().into_iter().filter(|a| a.template).collect();
    stop_rig(cfg, rig, app_rt);
    let mut per_recipient: HashMap<&str, usize> = HashMap::new();
    for a in &arrivals {
        *per_recipient.entry(a.to.as_str()).or_default() += 1;
    }
    let mut times: Vec<Instant> = arrivals.iter().map(|a| a.at).collect();
    times.sort();
    let span = match (times.first(), times.last()) {
        (Some(first), Some(last)) => last.duration_since(*first),
        _ => Duration::ZERO,
    };
    SendResult {
        recipients: cfg.send,
        received: arrivals.len(),
        first_after_s: times
            .first()
            .map_or(f64::NAN, |t| t.saturating_duration_since(launched_at).as_secs_f64()),
        span_s: span.as_secs_f64(),
        rate: (times.len().saturating_sub(1)) as f64 / span.as_secs_f64().max(f64::MIN_POSITIVE),
        max_in_second: max_in_window(&times, Duration::from_secs(1)),
        max_in_ten_seconds: max_in_window(&times, Duration::from_secs(10)) as f64 / 10.0,
        duplicates: per_recipient.values().map(|n| n - 1).sum(),
        missing: expected.saturating_sub(per_recipient.len()),
        statuses,
        timed_out: done.is_none(),
    }
}

// ---------------------------------------------------------------------------------------
// Part 3: webhook acknowledgement latency, with and without a campaign sending

fn make_posts(tag: &str, count: usize) -> Vec<Post> {
    (0..count)
        .map(|i| {
            // Customers other than the campaign's contacts, 1,000 of them in rotation.
            let from = format!("44790{:07}", i % 1000);
            let body = payload::text_message_payload(
                &from,
                Some("Bench Customer"),
                &format!("wamid.bench.{tag}.{i}"),
                Utc::now(),
                TEXTS[(i / 1000) % TEXTS.len()],
            )
            .to_string();
            let signature = signature::header_for(APP_SECRET.as_bytes(), body.as_bytes());
            Post { body, signature }
        })
        .collect()
}

#[derive(Clone, Debug, Default)]
struct LoadResult {
    sent: usize,
    errors: usize,
    achieved_rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
    /// Campaign messages that arrived at the fake Graph during the window, per second.
    campaign_rate: f64,
    /// All outbound messages (campaign and bot replies) during the window, per second.
    outbound_rate: f64,
    /// The most outbound messages of any kind in a 1-second window over the whole run.
    max_outbound_in_second: usize,
}

/// Open loop: post `i` leaves at `start + i / rate`, each on its own task.
async fn open_loop(rig: &Rig, cfg: &Config, posts: Vec<Post>, client: &reqwest::Client) -> LoadResult {
    let url: Arc<str> = rig.app.url("/webhook/whatsapp").into();
    let count = posts.len();
    let interval = Duration::from_secs(1) / cfg.rate;
    let start = tokio::time::Instant::now() + Duration::from_millis(20);
    let mut tasks = Vec::with_capacity(count);
    for (i, post) in posts.into_iter().enumerate() {
        tokio::time::sleep_until(start + interval * i as u32).await;
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move { send(&client, &url, &post).await }));
    }
    let sending_took = start.elapsed();
    let mut latencies = Vec::with_capacity(count);
    let mut errors = 0;
    for task in tasks {
        let (latency, ok) = task.await.unwrap();
        latencies.push(latency);
        errors += usize::from(!ok);
    }
    let (window_start, window_end) = (start.into_std(), start.into_std() + sending_took);
    let arrivals = rig.graph.arrivals();
    let in_window: Vec<&Arrival> = arrivals
        .iter()
        .filter(|a| a.at >= window_start && a.at < window_end)
        .collect();
    let mut all: Vec<Instant> = arrivals.iter().map(|a| a.at).collect();
    all.sort();
    latencies.sort();
    let seconds = sending_took.as_secs_f64();
    LoadResult {
        sent: count,
        errors,
        achieved_rate: count as f64 / seconds,
        p50: testing::ms(testing::percentile(&latencies, 0.50)),
        p99: testing::ms(testing::percentile(&latencies, 0.99)),
        max: testing::ms(*latencies.last().unwrap_or(&Duration::ZERO)),
        campaign_rate: in_window.iter().filter(|a| a.template).count() as f64 / seconds,
        outbound_rate: in_window.len() as f64 / seconds,
        max_outbound_in_second: max_in_window(&all, Duration::from_secs(1)),
    }
}

fn load_run(cfg: &Config, run: usize, with_campaign: bool, app_rt: &Runtime, load_rt: &Runtime) -> LoadResult {
    let rig = start_rig(cfg, app_rt, load_rt);
    let tag = format!("{}{run}", if with_campaign { "c" } else { "b" });
    let posts = make_posts(&tag, cfg.rate as usize * cfg.seconds as usize);
    let warmup = make_posts(&format!("w{tag}"), WARMUP_POSTS);
    let client = client();
    load_rt.block_on(async {
        // Opens connections and lets the app settle: a few posts, answered end to end.
        for post in &warmup {
            let (_, ok) = send(&client, &rig.app.url("/webhook/whatsapp"), post).await;
            assert!(ok, "warm-up post failed");
        }
        rig.graph
            .wait_until(Duration::from_secs(60), |g| g.count() >= WARMUP_POSTS)
            .await
            .expect("warm-up messages answered");
    });
    if with_campaign {
        app_rt.block_on(launch_sending(&rig, cfg.send));
        load_rt.block_on(async {
            rig.graph
                .wait_until(Duration::from_secs(30), |g| g.templates() > 0)
                .await
                .expect("the campaign sends");
            tokio::time::sleep(CAMPAIGN_LEAD).await;
        });
    }
    let profile = frontdesk::testing::profile::start(cfg.profile);
    profile.reset();
    let result = load_rt.block_on(open_loop(&rig, cfg, posts, &client));
    let label = if with_campaign {
        "with a campaign"
    } else {
        "without a campaign"
    };
    profile.print(
        &format!("webhook run #{} {label}, per post", run + 1),
        Some(result.sent),
    );
    drop(client);
    stop_rig(cfg, rig, app_rt);
    result
}

// ---------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; there are no other arguments to read.
    let cfg = Config::from_env();
    let app_rt = runtime("app", cfg.app_threads);
    let load_rt = runtime("load", cfg.load_threads);
    println!(
        "Frontdesk campaign benchmark: SQLite temp file, AI_PROVIDER=offline, WHATSAPP_MESSAGES_PER_SECOND={}, \
         app runtime {} threads, load runtime {} threads, {} CPU(s), repeats {}",
        cfg.messages_per_second,
        cfg.app_threads,
        cfg.load_threads,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.repeats
    );

    let plan = cfg.runs("plan").then(|| plan_part(&cfg, &app_rt, &load_rt));
    let mut sends: Vec<SendResult> = Vec::new();
    if cfg.runs("send") {
        for run in 0..cfg.repeats {
            let r = send_run(&cfg, run, &app_rt, &load_rt);
            println!(
                "  send run {}: {} messages at {:.2}/s, at most {} in a second, {} duplicates",
                run + 1,
                r.received,
                r.rate,
                r.max_in_second,
                r.duplicates
            );
            sends.push(r);
        }
    }
    let mut loads: Vec<(LoadResult, LoadResult)> = Vec::new();
    if cfg.runs("webhook") {
        for run in 0..cfg.repeats {
            let without = load_run(&cfg, run, false, &app_rt, &load_rt);
            let with = load_run(&cfg, run, true, &app_rt, &load_rt);
            println!(
                "  webhook run {}: p99 {:.2} ms without a campaign, {:.2} ms with one",
                run + 1,
                without.p99,
                with.p99
            );
            loads.push((without, with));
        }
    }

    println!();
    if let Some(p) = &plan {
        let preview = median(p.preview_s.clone());
        let launch = median(p.launch_s.clone());
        println!(
            "1. Planning a template campaign for {} contacts with every check (target: < 2 s); seeding took {:.1} s",
            cfg.contacts, p.seed_s
        );
        println!(
            "   preview (plan, nothing written): median {preview:.3} s  {:?}",
            p.preview_s
        );
        println!(
            "   launch (plan + {} recipient rows, 2,000 per transaction): median {launch:.3} s  {:?}",
            p.rows, p.launch_s
        );
        let skipped: Vec<String> = p
            .plan
            .skipped
            .iter()
            .map(|s| format!("{} {}", s.reason.as_str(), s.count))
            .collect();
        println!(
            "   plan: audience {}, sending today {}, later days {}, held out {}, skipped: {}",
            p.plan.audience,
            p.plan.sending_today,
            p.plan.later_days,
            p.plan.held_out,
            skipped.join(", ")
        );
        println!();
    }
    if !sends.is_empty() {
        println!(
            "2. Sending {} recipients, no delay, fake Graph, {} messages/s configured (targets: >= {:.0}/s, \
             at most {} in any second, no duplicate)",
            cfg.send,
            cfg.messages_per_second,
            0.95 * f64::from(cfg.messages_per_second),
            cfg.messages_per_second
        );
        println!(
            "{:>4} {:>8} {:>9} {:>8} {:>9} {:>10} {:>11} {:>6} {:>8}  recipient rows",
            "run", "received", "first s", "span s", "msg/s", "max in 1 s", "max 10 s /s", "dupes", "missing"
        );
        for (i, r) in sends.iter().enumerate() {
            let rows: Vec<String> = r.statuses.iter().map(|(s, n)| format!("{s} {n}")).collect();
            println!(
                "{:>4} {:>8} {:>9.3} {:>8.2} {:>9.2} {:>10} {:>11.1} {:>6} {:>8}  {}{}{}",
                i + 1,
                r.received,
                r.first_after_s,
                r.span_s,
                r.rate,
                r.max_in_second,
                r.max_in_ten_seconds,
                r.duplicates,
                r.missing,
                rows.join(", "),
                if r.all_sent() { " (all sent)" } else { " (NOT all sent)" },
                if r.timed_out { ", TIMED OUT" } else { "" }
            );
        }
        if sends.len() > 1 {
            println!(
                " med: {:.2} msg/s ({:.1} % of the configured rate), at most {} in a second over all runs, \
                 {} duplicates in all",
                median(sends.iter().map(|r| r.rate).collect()),
                100.0 * median(sends.iter().map(|r| r.rate).collect()) / f64::from(cfg.messages_per_second),
                sends.iter().map(|r| r.max_in_second).max().unwrap_or(0),
                sends.iter().map(|r| r.duplicates).sum::<usize>()
            );
        } else if let Some(r) = sends.first() {
            println!(
                "   ({:.1} % of the configured rate)",
                100.0 * r.rate / f64::from(cfg.messages_per_second)
            );
        }
        println!("   (first s: launch to the first arrival; msg/s: (received - 1) / span; max in 1 s: most arrivals in any [t, t + 1 s); \
             max 10 s /s: most in any 10 s, divided by 10)");
        println!();
    }
    if !loads.is_empty() {
        println!(
            "3. Webhook acknowledgement latency, open loop, {}/s for {} s (target: p99 < 20 ms while a campaign sends)",
            cfg.rate, cfg.seconds
        );
        println!(
            "{:>4} {:>9} {:>6} {:>6} {:>10} {:>8} {:>8} {:>8} {:>11} {:>11} {:>13}",
            "run",
            "campaign",
            "posts",
            "errors",
            "achieved/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "campaign/s",
            "outbound/s",
            "max out 1 s"
        );
        let row = |label: &str, campaign: &str, r: &LoadResult| {
            println!(
                "{:>4} {:>9} {:>6} {:>6} {:>10.0} {:>8.2} {:>8.2} {:>8.1} {:>11.1} {:>11.1} {:>13}",
                label,
                campaign,
                r.sent,
                r.errors,
                r.achieved_rate,
                r.p50,
                r.p99,
                r.max,
                r.campaign_rate,
                r.outbound_rate,
                r.max_outbound_in_second
            );
        };
        for (i, (without, with)) in loads.iter().enumerate() {
            row(&(i + 1).to_string(), "no", without);
            row(&(i + 1).to_string(), "sending", with);
        }
        let med = |pick: &dyn Fn(&(LoadResult, LoadResult)) -> f64| median(loads.iter().map(pick).collect());
        let (p50_without, p99_without) = (med(&|l| l.0.p50), med(&|l| l.0.p99));
        let (p50_with, p99_with) = (med(&|l| l.1.p50), med(&|l| l.1.p99));
        println!(
            " med: p50 {p50_without:.2} → {p50_with:.2} ms, p99 {p99_without:.2} → {p99_with:.2} ms with a campaign \
             sending (p99 ratio {:.2})",
            p99_with / p99_without
        );
        println!("   (campaign/s, outbound/s: messages at the fake Graph during the window; bot replies share the 80/s with the campaign; max out 1 s: all outbound, whole run)");
    }
}
