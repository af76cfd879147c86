//! Message pipeline benchmark on SQLite (a temporary database file) or PostgreSQL (a fresh
//! database on the server of TEST_DATABASE_URL, dropped afterwards), on this machine.
//!
//! 0. Calibration: what one SQL statement costs through the app's own pool (1 and N
//!    connections), to read the results below against.
//! 1. Webhook acknowledgement latency: signed WhatsApp webhook posts (one text message
//!    each) at a fixed offered load, open loop: sends are scheduled at fixed intervals and
//!    each POST runs on its own task, so a slow answer never delays the next send. Latency
//!    is measured from the send to the complete response; non-2xx answers count as errors.
//!    The app keeps answering the messages in the background meanwhile, as in production.
//! 2. End-to-end throughput: N messages from M customers, posted with bounded concurrency,
//!    timed until the fake Graph API has received a reply for every one. Then nothing may
//!    be lost: exactly one reply per message, no queued, running or failed job left.
//!
//! The app is the real one (`Application::build` + `run_until`) with the offline AI
//! receptionist (instant, no network). It runs on its own tokio runtime (2 worker threads,
//! one per core); the load generator and the fake Graph API run on another runtime, like a
//! separate process on the same machine. Tracing is not initialised (no log output).
//! With BENCH_INSTANCES=2 two apps share the database, each on a runtime of its own (as two
//! processes would be), and the webhook posts alternate between them; a message may be
//! answered by either instance, and the checks still demand exactly one reply per message.
//!
//! Run: `cargo bench --no-default-features --features ssr --bench pipeline`
//! On PostgreSQL: `BENCH_DB=postgres TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`
//! before the same command (the role must be allowed to create databases).
//!
//! Knobs (environment, all optional):
//!   BENCH_DB=sqlite             `sqlite` (a temp file) or `postgres` (needs TEST_DATABASE_URL)
//!   BENCH_INSTANCES=1           app instances on the one database (PostgreSQL for more than 1)
//!   BENCH_RATES=500,2000        offered webhook posts per second, one level after another
//!   BENCH_SECONDS=5             duration of each latency level
//!   BENCH_REPEATS=3             runs per latency level and of the end-to-end test (medians)
//!   BENCH_MESSAGES=5000         end-to-end: messages
//!   BENCH_CUSTOMERS=1000        end-to-end: distinct customers (latency runs rotate as many)
//!   BENCH_CONCURRENCY=64        end-to-end: posts in flight at most
//!   BENCH_WORKERS=32            SCHEDULER_WORKERS of the app
//!   BENCH_DB_CONNECTIONS=8      DATABASE_MAX_CONNECTIONS of the app
//!   BENCH_APP_THREADS=2         worker threads of each app instance's runtime
//!   BENCH_LOAD_THREADS=2        worker threads of the load generator's runtime
//!   BENCH_ONLY=calibrate|latency|e2e  run one part only
//!   BENCH_PROFILE=1             also aggregate every SQL statement's execution time (from
//!                               sqlx's own statement events) and print the top statements per
//!                               run; this adds overhead, so its timings are not the results
//!   BENCH_KEEP_DB=1             keep the temp database files (or PostgreSQL databases) and
//!                               print where they are

use frontdesk::testing;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use frontdesk::server::db::jobs;
use frontdesk::server::whatsapp::{payload, signature};
use frontdesk::testing::load::{client, median, runtime, send, Post};
use serde_json::{json, Value};
use sqlx::Connection;
use testing::{test_settings, TestApp, TestDb};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

const APP_SECRET: &str = "bench-app-secret";
/// Texts the offline receptionist answers without booking anything (greeting, hours, prices).
const TEXTS: &[&str] = &[
    "hi",
    "What are your opening hours?",
    "How much is a women's haircut?",
    "Hello there",
];
const WARMUP_POSTS: usize = 200;

// ---------------------------------------------------------------------------------------
// Configuration

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BenchDb {
    Sqlite,
    Postgres,
}

impl BenchDb {
    fn name(self) -> &'static str {
        match self {
            BenchDb::Sqlite => "SQLite temp file",
            BenchDb::Postgres => "PostgreSQL fresh database",
        }
    }
}

#[derive(Clone, Debug)]
struct Config {
    db: BenchDb,
    instances: usize,
    rates: Vec<u32>,
    seconds: u64,
    repeats: usize,
    messages: usize,
    customers: usize,
    concurrency: usize,
    workers: usize,
    db_connections: u32,
    app_threads: usize,
    load_threads: usize,
    only: Option<String>,
    profile: bool,
    keep_db: bool,
}

impl Config {
    fn from_env() -> Config {
        let rates = std::env::var("BENCH_RATES").unwrap_or_else(|_| "500,2000".into());
        let db = match std::env::var("BENCH_DB").unwrap_or_default().trim() {
            "" | "sqlite" => BenchDb::Sqlite,
            "postgres" | "postgresql" => BenchDb::Postgres,
            other => panic!("BENCH_DB: `sqlite` or `postgres`, not `{other}`"),
        };
        if db == BenchDb::Postgres {
            assert!(
                std::env::var("TEST_DATABASE_URL").is_ok(),
                "BENCH_DB=postgres needs TEST_DATABASE_URL (a server where it may create databases)"
            );
        }
        let instances = testing::env_or("BENCH_INSTANCES", 1usize).max(1);
        assert!(
            instances == 1 || db == BenchDb::Postgres,
            "BENCH_INSTANCES above 1 needs BENCH_DB=postgres (SQLite is one process's file)"
        );
        Config {
            db,
            instances,
            rates: rates
                .split(',')
                .map(|r| r.trim().parse().expect("BENCH_RATES: numbers separated by commas"))
                .collect(),
            seconds: testing::env_or("BENCH_SECONDS", 5),
            repeats: testing::env_or("BENCH_REPEATS", 3usize).max(1),
            messages: testing::env_or("BENCH_MESSAGES", 5000),
            customers: testing::env_or("BENCH_CUSTOMERS", 1000usize).max(1),
            concurrency: testing::env_or("BENCH_CONCURRENCY", 64usize).max(1),
            workers: testing::env_or("BENCH_WORKERS", 32),
            db_connections: testing::env_or("BENCH_DB_CONNECTIONS", 8),
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
// A fake WhatsApp Graph API that counts: the same wire format as `testing::fakes::FakeGraph`,
// but with a lock-free counter to poll (FakeGraph only hands out a clone of everything sent).

#[derive(Default)]
struct GraphState {
    count: AtomicUsize,
    per_recipient: Mutex<HashMap<String, u32>>,
}

#[derive(Clone)]
struct CountingGraph {
    base: String,
    state: Arc<GraphState>,
}

impl CountingGraph {
    async fn start() -> CountingGraph {
        let state = Arc::new(GraphState::default());
        let router = Router::new()
            .route("/{version}/{phone_number_id}/messages", post(graph_send))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        CountingGraph { base, state }
    }

    fn count(&self) -> usize {
        self.state.count.load(Ordering::SeqCst)
    }

    fn per_recipient(&self) -> HashMap<String, u32> {
        self.state.per_recipient.lock().unwrap().clone()
    }

    /// Polls (every millisecond) until `target` replies arrived; the time it took, or `None`.
    async fn wait_for(&self, target: usize, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.count() >= target {
                return Some(Instant::now());
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

async fn graph_send(
    State(state): State<Arc<GraphState>>,
    Path((_version, _phone_number_id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let to = body["to"].as_str().unwrap_or_default().to_string();
    *state.per_recipient.lock().unwrap().entry(to.clone()).or_default() += 1;
    let n = state.count.fetch_add(1, Ordering::SeqCst) + 1;
    Json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": to, "wa_id": to }],
        "messages": [{ "id": format!("wamid.FAKE{n}") }]
    }))
}

// ---------------------------------------------------------------------------------------
// The app under test

/// The app instances (one per runtime of `app_rts`, in that order) on one database.
struct Rig {
    apps: Vec<TestApp>,
    db: TestDb,
    graph: CountingGraph,
    webhook_urls: Vec<String>,
}

fn settings(cfg: &Config, db_url: &str, graph: &CountingGraph) -> frontdesk::server::config::Settings {
    let workers = cfg.workers.to_string();
    let connections = cfg.db_connections.to_string();
    test_settings(
        db_url,
        &[
            ("WHATSAPP_APP_SECRET", APP_SECRET),
            ("WHATSAPP_ACCESS_TOKEN", "bench-graph-token"),
            ("WHATSAPP_PHONE_NUMBER_ID", "1098765"),
            ("WHATSAPP_API_BASE", graph.base.as_str()),
            ("WHATSAPP_PAIR_INTERVAL_MS", "0"),
            ("WHATSAPP_MESSAGES_PER_SECOND", "100000"),
            ("FRONTDESK_DEMO_DATA", "true"),
            ("AI_PROVIDER", "offline"),
            ("SCHEDULER_WORKERS", workers.as_str()),
            ("DATABASE_MAX_CONNECTIONS", connections.as_str()),
        ],
    )
}

async fn new_db(cfg: &Config) -> TestDb {
    match cfg.db {
        BenchDb::Sqlite => TestDb::sqlite().await,
        BenchDb::Postgres => TestDb::postgres().await.expect("TEST_DATABASE_URL is set"),
    }
}

/// Each instance starts on its own runtime (its connections and tasks live there), one
/// after the other, so only the first loads the demo data.
fn start_rig(cfg: &Config, app_rts: &[Runtime], load_rt: &Runtime) -> Rig {
    let graph = load_rt.block_on(CountingGraph::start());
    let db = app_rts[0].block_on(new_db(cfg));
    let apps: Vec<TestApp> = app_rts
        .iter()
        .map(|rt| rt.block_on(TestApp::start(settings(cfg, &db.url, &graph))))
        .collect();
    let webhook_urls = apps.iter().map(|app| app.url("/webhook/whatsapp")).collect();
    Rig {
        apps,
        db,
        graph,
        webhook_urls,
    }
}

fn stop_rig(cfg: &Config, rig: Rig, app_rts: &[Runtime]) {
    for (app, rt) in rig.apps.into_iter().zip(app_rts) {
        rt.block_on(app.stop());
    }
    app_rts[0].block_on(async {
        if cfg.keep_db {
            eprintln!("  kept database: {}", rig.db.url);
            rig.db.db.close().await;
        } else {
            rig.db.cleanup().await;
        }
    });
}

/// What the database says after a run.
#[derive(Debug, Default, Clone)]
struct DbCheck {
    inbound: i64,
    /// Inbound bench messages without exactly one bot reply linked to them.
    not_one_reply: i64,
    /// Bot replies whose send did not succeed.
    unsent_replies: i64,
    queued: i64,
    running: i64,
    failed: i64,
    done: i64,
}

fn check_db(rig: &Rig, app_rts: &[Runtime]) -> DbCheck {
    let db = rig.apps[0].state.db.clone();
    app_rts[0].block_on(async move {
        let scalar = |sql: &'static str| {
            let db = db.clone();
            async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(db.pool()).await.unwrap() }
        };
        let mut check = DbCheck {
            inbound: scalar(
                "SELECT COUNT(*) FROM messages WHERE author = 'customer' AND wa_message_id LIKE 'wamid.bench.%'",
            )
            .await,
            not_one_reply: scalar(
                "SELECT COUNT(*) FROM messages m WHERE m.author = 'customer' AND m.wa_message_id LIKE 'wamid.bench.%' \
                 AND (SELECT COUNT(*) FROM messages r WHERE r.reply_to_message_id = m.id AND r.author = 'bot') <> 1",
            )
            .await,
            unsent_replies: scalar(
                "SELECT COUNT(*) FROM messages r JOIN messages m ON m.id = r.reply_to_message_id \
                 WHERE m.wa_message_id LIKE 'wamid.bench.%' AND r.status <> 'sent'",
            )
            .await,
            ..DbCheck::default()
        };
        for (status, count) in jobs::counts(&db).await.unwrap() {
            match status.as_str() {
                "queued" => check.queued = count,
                "running" => check.running = count,
                "failed" => check.failed = count,
                "done" => check.done = count,
                _ => {}
            }
        }
        check
    })
}

// ---------------------------------------------------------------------------------------
// Webhook posts

fn customer(prefix: &str, i: usize) -> String {
    format!("{prefix}{i:07}")
}

fn make_post(from: &str, wamid: &str, text: &str) -> Post {
    let body = payload::text_message_payload(from, Some("Bench Customer"), wamid, Utc::now(), text).to_string();
    let signature = signature::header_for(APP_SECRET.as_bytes(), body.as_bytes());
    Post { body, signature }
}

/// `count` posts rotating over `customers` customers, each with its own wamid.
fn make_posts(tag: &str, prefix: &str, count: usize, customers: usize) -> (Vec<Post>, HashMap<String, u32>) {
    let mut expected: HashMap<String, u32> = HashMap::new();
    let posts = (0..count)
        .map(|i| {
            let from = customer(prefix, i % customers);
            *expected.entry(from.clone()).or_default() += 1;
            make_post(
                &from,
                &format!("wamid.bench.{tag}.{i}"),
                TEXTS[(i / customers) % TEXTS.len()],
            )
        })
        .collect();
    (posts, expected)
}

/// Posts with at most `concurrency` in flight, alternating between `urls` (the instances);
/// returns the latencies and the error count.
async fn post_bounded(
    client: &reqwest::Client,
    urls: &[String],
    posts: Vec<Post>,
    concurrency: usize,
) -> (Vec<Duration>, usize) {
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = Vec::with_capacity(posts.len());
    for (i, post) in posts.into_iter().enumerate() {
        let permit = permits.clone().acquire_owned().await.unwrap();
        let (client, url) = (client.clone(), urls[i % urls.len()].clone());
        tasks.push(tokio::spawn(async move {
            let result = send(&client, &url, &post).await;
            drop(permit);
            result
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut errors = 0;
    for task in tasks {
        let (latency, ok) = task.await.unwrap();
        latencies.push(latency);
        errors += usize::from(!ok);
    }
    (latencies, errors)
}

/// Opens connections and lets the app settle: a few posts, answered end to end.
async fn warm_up(rig: &Rig, client: &reqwest::Client) {
    let (posts, _) = make_posts("warmup", "44791", WARMUP_POSTS, 50);
    let (_, errors) = post_bounded(client, &rig.webhook_urls, posts, 32).await;
    assert_eq!(errors, 0, "warm-up posts failed");
    rig.graph
        .wait_for(WARMUP_POSTS, Duration::from_secs(60))
        .await
        .expect("warm-up messages answered");
}

// ---------------------------------------------------------------------------------------
// Statistics

// ---------------------------------------------------------------------------------------
// Part 0: what one SQL statement costs through the app's own `Db` (same pragmas): reads on
// the pool (1 or N connections), writes through `Db::write`, and 32 concurrent writers both
// through the pool (SQLite's busy handler queues them) and through `Db::write` (the app does).

#[derive(Clone, Debug)]
struct CalibrationResult {
    pool: u32,
    select_us: f64,
    /// The same SELECT on a connection held across statements (no pool acquire/release).
    held_select_us: f64,
    update_us: f64,
    tx_us: f64,
    /// 32 concurrent writers through the pool: updates/s and the slowest update.
    pool_writers: (f64, f64),
    /// The same through `Db::write`.
    app_writers: (f64, f64),
}

fn calibrate(cfg: &Config, pool: u32, app_rt: &Runtime) -> CalibrationResult {
    use frontdesk::server::config::DatabaseUrl;
    use frontdesk::server::db::Db;
    const SEQUENTIAL: usize = 2000;
    app_rt.block_on(async {
        // A fresh database of the benchmark's kind, opened again with `pool` connections.
        let scratch = new_db(cfg).await;
        let db = Db::connect(&DatabaseUrl::parse(&scratch.url).unwrap(), pool)
            .await
            .unwrap();
        let table = match cfg.db {
            BenchDb::Sqlite => "CREATE TABLE counters (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)",
            BenchDb::Postgres => "CREATE TABLE counters (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)",
        };
        sqlx::query(table).execute(db.pool()).await.unwrap();
        for id in 0..32i64 {
            sqlx::query("INSERT INTO counters (id, v) VALUES ($1, 0)")
                .bind(id)
                .execute(db.pool())
                .await
                .unwrap();
        }
        let started = Instant::now();
        for _ in 0..SEQUENTIAL {
            let _: i64 = sqlx::query_scalar("SELECT v FROM counters WHERE id = $1")
                .bind(1i64)
                .fetch_one(db.pool())
                .await
                .unwrap();
        }
        let select_us = started.elapsed().as_secs_f64() * 1e6 / SEQUENTIAL as f64;
        let mut held = db.pool().acquire().await.unwrap();
        let started = Instant::now();
        for _ in 0..SEQUENTIAL {
            let _: i64 = sqlx::query_scalar("SELECT v FROM counters WHERE id = $1")
                .bind(1i64)
                .fetch_one(&mut *held)
                .await
                .unwrap();
        }
        let held_select_us = started.elapsed().as_secs_f64() * 1e6 / SEQUENTIAL as f64;
        drop(held);
        let started = Instant::now();
        for _ in 0..SEQUENTIAL {
            sqlx::query("UPDATE counters SET v = v + 1 WHERE id = $1")
                .bind(1i64)
                .execute(&mut *db.write().await.unwrap())
                .await
                .unwrap();
        }
        let update_us = started.elapsed().as_secs_f64() * 1e6 / SEQUENTIAL as f64;
        let started = Instant::now();
        for _ in 0..SEQUENTIAL {
            let mut conn = db.write().await.unwrap();
            let mut tx = conn.begin().await.unwrap();
            sqlx::query("UPDATE counters SET v = v + 1 WHERE id = $1")
                .bind(1i64)
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
        let tx_us = started.elapsed().as_secs_f64() * 1e6 / SEQUENTIAL as f64;
        let pool_writers = concurrent_updates(&db, false).await;
        let app_writers = concurrent_updates(&db, true).await;
        db.close().await;
        scratch.cleanup().await;
        CalibrationResult {
            pool,
            select_us,
            held_select_us,
            update_us,
            tx_us,
            pool_writers,
            app_writers,
        }
    })
}

/// 32 tasks updating 200 times each at once; returns updates/s and the slowest update (ms).
async fn concurrent_updates(db: &frontdesk::server::db::Db, through_write: bool) -> (f64, f64) {
    const WRITERS: i64 = 32;
    const PER_WRITER: usize = 200;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for id in 0..WRITERS {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            for _ in 0..PER_WRITER {
                let one = Instant::now();
                let update = sqlx::query("UPDATE counters SET v = v + 1 WHERE id = $1").bind(id);
                if through_write {
                    update.execute(&mut *db.write().await.unwrap()).await.unwrap();
                } else {
                    update.execute(db.pool()).await.unwrap();
                }
                worst = worst.max(one.elapsed());
            }
            worst
        }));
    }
    let mut worst = Duration::ZERO;
    for task in tasks {
        worst = worst.max(task.await.unwrap());
    }
    let rate = (WRITERS as usize * PER_WRITER) as f64 / started.elapsed().as_secs_f64();
    (rate, testing::ms(worst))
}

// ---------------------------------------------------------------------------------------
// Part 1: acknowledgement latency at a fixed offered load

#[derive(Clone, Debug)]
struct LatencyResult {
    rate: u32,
    sent: usize,
    errors: usize,
    achieved_rate: f64,
    p50: f64,
    p99: f64,
    max: f64,
    /// p99 measured from the scheduled send time (includes any lag of the sender).
    p99_scheduled: f64,
    /// Inbound messages (warm-up included) the database should hold.
    expected_inbound: usize,
    /// Time from the last send until every message (warm-up included) had its reply.
    drain_s: Option<f64>,
    /// Messages answered end to end per second over the run (first send to last reply).
    e2e_rate: Option<f64>,
    lost: usize,
    check: DbCheck,
}

fn latency_run(cfg: &Config, rate: u32, run: usize, app_rts: &[Runtime], load_rt: &Runtime) -> LatencyResult {
    let rig = start_rig(cfg, app_rts, load_rt);
    let count = rate as usize * cfg.seconds as usize;
    let (posts, _) = make_posts(&format!("lat{rate}r{run}"), "44790", count, cfg.customers);
    let interval = Duration::from_secs(1) / rate;
    let profile = frontdesk::testing::profile::start(cfg.profile);

    let result = load_rt.block_on(async {
        let client = client();
        warm_up(&rig, &client).await;
        profile.reset();
        let urls: Vec<Arc<str>> = rig.webhook_urls.iter().map(|url| url.as_str().into()).collect();
        let start = tokio::time::Instant::now() + Duration::from_millis(20);
        let mut tasks = Vec::with_capacity(count);
        for (i, post) in posts.into_iter().enumerate() {
            let at = start + interval * i as u32;
            tokio::time::sleep_until(at).await;
            let (client, url) = (client.clone(), urls[i % urls.len()].clone());
            tasks.push(tokio::spawn(async move {
                let (latency, ok) = send(&client, &url, &post).await;
                (latency, at.elapsed(), ok)
            }));
        }
        let sending_took = start.elapsed();
        let mut latencies = Vec::with_capacity(count);
        let mut from_schedule = Vec::with_capacity(count);
        let mut errors = 0;
        for task in tasks {
            let (latency, since_scheduled, ok) = task.await.unwrap();
            latencies.push(latency);
            from_schedule.push(since_scheduled);
            errors += usize::from(!ok);
        }
        let last_send = start + sending_took;
        let accepted = count - errors;
        let timeout = Duration::from_secs(60 + count as u64 / 50);
        let answered = rig.graph.wait_for(WARMUP_POSTS + accepted, timeout).await;
        // Anything extra (a second reply) would show up now.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let received = rig.graph.count();
        drop(client);
        latencies.sort();
        from_schedule.sort();
        LatencyResult {
            rate,
            sent: count,
            errors,
            achieved_rate: count as f64 / sending_took.as_secs_f64(),
            p50: testing::ms(testing::percentile(&latencies, 0.50)),
            p99: testing::ms(testing::percentile(&latencies, 0.99)),
            max: testing::ms(*latencies.last().unwrap_or(&Duration::ZERO)),
            p99_scheduled: testing::ms(testing::percentile(&from_schedule, 0.99)),
            drain_s: answered.map(|t| t.saturating_duration_since(last_send.into_std()).as_secs_f64()),
            e2e_rate: answered.map(|t| accepted as f64 / t.duration_since(start.into_std()).as_secs_f64()),
            expected_inbound: WARMUP_POSTS + accepted,
            lost: (WARMUP_POSTS + accepted).saturating_sub(received),
            check: DbCheck::default(),
        }
    });
    let mut result = result;
    result.check = check_db(&rig, app_rts);
    profile.print(&format!("latency run at {rate}/s #{}", run + 1), None);
    stop_rig(cfg, rig, app_rts);
    result
}

// ---------------------------------------------------------------------------------------
// Part 2: end-to-end throughput

#[derive(Clone, Debug)]
struct E2eResult {
    messages: usize,
    errors: usize,
    post_s: f64,
    total_s: Option<f64>,
    ack_p50: f64,
    ack_p99: f64,
    replies: usize,
    lost: usize,
    extra: usize,
    wrong_recipients: usize,
    check: DbCheck,
}

fn e2e_run(cfg: &Config, run: usize, app_rts: &[Runtime], load_rt: &Runtime) -> E2eResult {
    let rig = start_rig(cfg, app_rts, load_rt);
    let (posts, expected) = make_posts(&format!("e2e{run}"), "44792", cfg.messages, cfg.customers);
    let profile = frontdesk::testing::profile::start(cfg.profile);

    let mut result = load_rt.block_on(async {
        let client = client();
        warm_up(&rig, &client).await;
        profile.reset();
        let started = Instant::now();
        let (mut latencies, errors) = post_bounded(&client, &rig.webhook_urls, posts, cfg.concurrency).await;
        let posted = started.elapsed();
        let accepted = cfg.messages - errors;
        let timeout = Duration::from_secs(120 + cfg.messages as u64 / 20);
        let answered = rig.graph.wait_for(WARMUP_POSTS + accepted, timeout).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let received = rig.graph.count().saturating_sub(WARMUP_POSTS);
        let per_recipient = rig.graph.per_recipient();
        let wrong_recipients = expected
            .iter()
            .filter(|(to, n)| per_recipient.get(*to) != Some(n))
            .count();
        drop(client);
        latencies.sort();
        E2eResult {
            messages: cfg.messages,
            errors,
            post_s: posted.as_secs_f64(),
            total_s: answered.map(|t| t.duration_since(started).as_secs_f64()),
            ack_p50: testing::ms(testing::percentile(&latencies, 0.50)),
            ack_p99: testing::ms(testing::percentile(&latencies, 0.99)),
            replies: received,
            lost: cfg.messages.saturating_sub(received),
            extra: received.saturating_sub(cfg.messages),
            wrong_recipients,
            check: DbCheck::default(),
        }
    });
    result.check = check_db(&rig, app_rts);
    profile.print(&format!("end-to-end run #{}", run + 1), Some(cfg.messages));
    stop_rig(cfg, rig, app_rts);
    result
}

// ---------------------------------------------------------------------------------------

/// CPU time used so far (Linux, in clock ticks of 1/100 s): by the whole machine, by this
/// process, and by the PostgreSQL server's processes (running as `postgres`).
fn cpu_ticks() -> Option<(u64, u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    let machine = fields.iter().take(8).sum::<u64>() - fields.get(3)? - fields.get(4)?;
    let process = process_ticks(&std::fs::read_to_string("/proc/self/stat").ok()?)?.1;
    // A connection's server process ends with the run: its time is then its parent's (the
    // postmaster's) "children" time.
    let postgres = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("stat")).ok())
        .filter_map(|stat| process_ticks(&stat))
        .filter(|(name, _, _)| name == "postgres")
        .map(|(_, own, children)| own + children)
        .sum();
    Some((machine, process, postgres))
}

/// A process's name, CPU ticks (user + system) and its ended children's, from its
/// `/proc/<pid>/stat`.
fn process_ticks(stat: &str) -> Option<(String, u64, u64)> {
    let (head, tail) = stat.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_string();
    let after_name: Vec<&str> = tail.split_whitespace().collect();
    // utime, stime, cutime and cstime are the 14th to 17th fields; the 3rd is the first
    // after the name.
    let field = |i: usize| after_name.get(i).and_then(|f| f.parse::<u64>().ok());
    Some((name, field(11)? + field(12)?, field(13)? + field(14)?))
}

/// Measures how busy the rest of the machine was, to spot runs disturbed by other work. The
/// PostgreSQL server is part of the system under test: it is counted on its own.
struct Noise(Option<(u64, u64, u64)>, Instant);

impl Noise {
    fn start() -> Noise {
        Noise(cpu_ticks(), Instant::now())
    }

    /// Cores used by PostgreSQL and by other processes since `start`.
    fn other_cores(&self) -> String {
        match (self.0, cpu_ticks()) {
            (Some((m0, p0, g0)), Some((m1, p1, g1))) => {
                let seconds = self.1.elapsed().as_secs_f64();
                let postgres = g1.saturating_sub(g0);
                let other = (m1 - m0).saturating_sub(p1 - p0).saturating_sub(postgres) as f64 / 100.0;
                if postgres > 0 {
                    format!(
                        "postgres {:.2} cores, other processes {:.2} cores",
                        postgres as f64 / 100.0 / seconds,
                        other / seconds
                    )
                } else {
                    format!("other processes: {:.2} cores", other / seconds)
                }
            }
            _ => "?".into(),
        }
    }
}

fn opt(value: Option<f64>, precision: usize) -> String {
    value.map_or("timeout".to_string(), |v| format!("{v:.precision$}"))
}

fn main() {
    // `cargo bench` passes `--bench`; there are no other arguments to read.
    let cfg = Config::from_env();
    let app_rts: Vec<Runtime> = (0..cfg.instances)
        .map(|i| runtime(&format!("app{i}"), cfg.app_threads))
        .collect();
    let load_rt = runtime("load", cfg.load_threads);
    println!(
        "Frontdesk pipeline benchmark: {}, {} app instance(s), AI_PROVIDER=offline, SCHEDULER_WORKERS={}, \
         DATABASE_MAX_CONNECTIONS={}, app runtime(s) {} threads, load runtime {} threads, {} CPU(s), repeats {}",
        cfg.db.name(),
        cfg.instances,
        cfg.workers,
        cfg.db_connections,
        cfg.app_threads,
        cfg.load_threads,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.repeats
    );

    let mut calibration: Vec<CalibrationResult> = Vec::new();
    if cfg.runs("calibrate") {
        let mut pools = vec![1, cfg.db_connections];
        pools.dedup();
        for pool in pools {
            calibration.push(calibrate(&cfg, pool, &app_rts[0]));
        }
    }
    let mut latency: Vec<LatencyResult> = Vec::new();
    if cfg.runs("latency") {
        for &rate in &cfg.rates {
            for run in 0..cfg.repeats {
                let noise = Noise::start();
                let r = latency_run(&cfg, rate, run, &app_rts, &load_rt);
                println!(
                    "  latency {rate}/s run {}: p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms, errors {}, drain {} s, lost {} ({})",
                    run + 1,
                    r.p50,
                    r.p99,
                    r.max,
                    r.errors,
                    opt(r.drain_s, 2),
                    r.lost,
                    noise.other_cores()
                );
                latency.push(r);
            }
        }
    }
    let mut e2e: Vec<E2eResult> = Vec::new();
    if cfg.runs("e2e") {
        for run in 0..cfg.repeats {
            let noise = Noise::start();
            let r = e2e_run(&cfg, run, &app_rts, &load_rt);
            println!(
                "  end-to-end run {}: {} messages in {} s, lost {} ({})",
                run + 1,
                r.messages,
                opt(r.total_s, 2),
                r.lost,
                noise.other_cores()
            );
            e2e.push(r);
        }
    }

    println!();
    if !calibration.is_empty() {
        println!(
            "0. One statement through the app's Db ({}, same settings), 2000 sequential; 32 tasks x 200 concurrent updates",
            cfg.db.name()
        );
        println!(
            "{:>5} {:>10} {:>16} {:>10} {:>16} {:>27} {:>27}",
            "pool",
            "SELECT us",
            "SELECT held us",
            "UPDATE us",
            "BEGIN/UPD/COMMIT",
            "32 via pool: upd/s, max ms",
            "32 via write: upd/s, max ms"
        );
        for c in &calibration {
            println!(
                "{:>5} {:>10.1} {:>16.1} {:>10.1} {:>16.1} {:>18.0} {:>8.1} {:>18.0} {:>8.1}",
                c.pool,
                c.select_us,
                c.held_select_us,
                c.update_us,
                c.tx_us,
                c.pool_writers.0,
                c.pool_writers.1,
                c.app_writers.0,
                c.app_writers.1
            );
        }
        println!("   (us: microseconds per statement, sequential; SELECT on the pool, held: on one connection kept across statements; UPDATE and BEGIN/UPD/COMMIT through Db::write)");
        println!();
    }
    if !latency.is_empty() {
        println!(
            "1. Webhook acknowledgement latency, open loop, {} s per level (target: p99 < 20 ms at 2000/s)",
            cfg.seconds
        );
        println!(
            "{:>9} {:>4} {:>6} {:>6} {:>10} {:>8} {:>8} {:>8} {:>11} {:>8} {:>9} {:>5}  jobs left q/r/f, one reply each",
            "offered/s",
            "run",
            "posts",
            "errors",
            "achieved/s",
            "p50 ms",
            "p99 ms",
            "max ms",
            "p99 sched",
            "drain s",
            "e2e msg/s",
            "lost"
        );
        let row = |label: &str, r: &LatencyResult| {
            println!(
                "{:>9} {:>4} {:>6} {:>6} {:>10.0} {:>8.2} {:>8.2} {:>8.1} {:>11.2} {:>8} {:>9} {:>5}  {}/{}/{}, {}",
                r.rate,
                label,
                r.sent,
                r.errors,
                r.achieved_rate,
                r.p50,
                r.p99,
                r.max,
                r.p99_scheduled,
                opt(r.drain_s, 2),
                opt(r.e2e_rate, 0),
                r.lost,
                r.check.queued,
                r.check.running,
                r.check.failed,
                if r.check.not_one_reply == 0 && r.check.unsent_replies == 0 {
                    "yes".to_string()
                } else {
                    format!(
                        "NO ({} without exactly one, {} unsent)",
                        r.check.not_one_reply, r.check.unsent_replies
                    )
                }
            );
        };
        for &rate in &cfg.rates {
            let runs: Vec<&LatencyResult> = latency.iter().filter(|r| r.rate == rate).collect();
            for (i, r) in runs.iter().enumerate() {
                row(&(i + 1).to_string(), r);
            }
            if runs.len() > 1 {
                let pick = |f: &dyn Fn(&LatencyResult) -> f64| median(runs.iter().map(|r| f(r)).collect());
                let med = LatencyResult {
                    rate,
                    sent: runs[0].sent,
                    errors: median(runs.iter().map(|r| r.errors as f64).collect()) as usize,
                    achieved_rate: pick(&|r| r.achieved_rate),
                    p50: pick(&|r| r.p50),
                    p99: pick(&|r| r.p99),
                    max: pick(&|r| r.max),
                    p99_scheduled: pick(&|r| r.p99_scheduled),
                    expected_inbound: runs[0].expected_inbound,
                    drain_s: runs
                        .iter()
                        .all(|r| r.drain_s.is_some())
                        .then(|| pick(&|r| r.drain_s.unwrap())),
                    e2e_rate: runs
                        .iter()
                        .all(|r| r.e2e_rate.is_some())
                        .then(|| pick(&|r| r.e2e_rate.unwrap())),
                    lost: runs.iter().map(|r| r.lost).sum(),
                    check: DbCheck {
                        inbound: runs[0].expected_inbound as i64
                            - runs
                                .iter()
                                .map(|r| (r.expected_inbound as i64 - r.check.inbound).abs())
                                .sum::<i64>(),
                        queued: runs.iter().map(|r| r.check.queued).sum(),
                        running: runs.iter().map(|r| r.check.running).sum(),
                        failed: runs.iter().map(|r| r.check.failed).sum(),
                        not_one_reply: runs.iter().map(|r| r.check.not_one_reply).sum(),
                        unsent_replies: runs.iter().map(|r| r.check.unsent_replies).sum(),
                        ..DbCheck::default()
                    },
                };
                row("med", &med);
            }
        }
        println!("   (p99 sched: from the scheduled send time; lost and jobs left are summed on the median row)");
        println!();
    }
    if !e2e.is_empty() {
        println!(
            "2. End-to-end throughput: {} messages from {} customers, at most {} posts in flight (target: >= 1000 msg/s)",
            cfg.messages, cfg.customers, cfg.concurrency
        );
        println!(
            "{:>4} {:>6} {:>8} {:>9} {:>8} {:>9} {:>9} {:>9} {:>7} {:>5} {:>5} {:>6}  jobs q/r/f/done, one reply each",
            "run",
            "errors",
            "post s",
            "ingest/s",
            "total s",
            "e2e msg/s",
            "ack p50",
            "ack p99",
            "replies",
            "lost",
            "extra",
            "wrong"
        );
        for (i, r) in e2e.iter().enumerate() {
            println!(
                "{:>4} {:>6} {:>8.2} {:>9.0} {:>8} {:>9} {:>9.2} {:>9.2} {:>7} {:>5} {:>5} {:>6}  {}/{}/{}/{}, {}",
                i + 1,
                r.errors,
                r.post_s,
                (r.messages - r.errors) as f64 / r.post_s,
                opt(r.total_s, 2),
                opt(r.total_s.map(|t| r.messages as f64 / t), 0),
                r.ack_p50,
                r.ack_p99,
                r.replies,
                r.lost,
                r.extra,
                r.wrong_recipients,
                r.check.queued,
                r.check.running,
                r.check.failed,
                r.check.done,
                if r.check.not_one_reply == 0
                    && r.check.unsent_replies == 0
                    && r.check.inbound == (WARMUP_POSTS + r.messages - r.errors) as i64
                {
                    "yes".to_string()
                } else {
                    format!(
                        "NO ({} of {} stored, {} without exactly one reply, {} unsent)",
                        r.check.inbound,
                        WARMUP_POSTS + r.messages - r.errors,
                        r.check.not_one_reply,
                        r.check.unsent_replies
                    )
                }
            );
        }
        if e2e.len() > 1 {
            let rates: Vec<f64> = e2e
                .iter()
                .filter_map(|r| r.total_s.map(|t| r.messages as f64 / t))
                .collect();
            println!(
                " med: e2e {:.0} msg/s, ingest {:.0} posts/s, ack p99 {:.2} ms, lost {} in all runs",
                median(rates),
                median(e2e.iter().map(|r| (r.messages - r.errors) as f64 / r.post_s).collect()),
                median(e2e.iter().map(|r| r.ack_p99).collect()),
                e2e.iter().map(|r| r.lost).sum::<usize>()
            );
        }
        println!("   (wrong: customers whose reply count differs from their message count; done includes the warm-up's {WARMUP_POSTS})");
    }
}
